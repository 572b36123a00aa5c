-- wrk script for bench/server_bench.sh: POST one fixed access event to /api/v1/analyze/access.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"user_id":"U0001","username":"bench","department":"Engineering",' ..
           '"job_title":"Software Engineer","resource":"github_repo","action":"read",' ..
           '"timestamp":"2026-12-01 10:15:00","source_ip":"192.168.10.20",' ..
           '"location":"Toronto, CA","success":"True"}'
