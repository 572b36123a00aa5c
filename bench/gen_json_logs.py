#!/usr/bin/env python3
"""Writes seeded, deterministic JSON logs in the shapes the ingest layer reads, for measuring
parse throughput: AWS CloudTrail (a {"Records": [...]} file on one line, as CloudTrail delivers
it, and the same pretty-printed), Okta System Log (JSON lines), Microsoft Entra ID (Graph
sign-ins and directory audits, JSON lines), Elastic Common Schema and OCSF Authentication
(JSON lines), Windows Security events (JSON lines: NXLog's flat shape and winlogbeat's nested
one) and JSON lines of the reference fields. Record contents follow each vendor's documented
schema; about one record in ten of ECS, OCSF, Entra and Windows is of a kind the readers count
as ignored.

usage: gen_json_logs.py OUTDIR [RECORDS] [SEED]   (default 100000 records, seed 42)
"""
import json
import random
import sys
from datetime import datetime, timedelta, timezone

CITIES = [  # name, ISO code, country name, latitude, longitude
    ("Toronto", "CA", "Canada", 43.6532, -79.3832),
    ("London", "GB", "United Kingdom", 51.5072, -0.1276),
    ("Berlin", "DE", "Germany", 52.52, 13.405),
    ("Sao Paulo", "BR", "Brazil", -23.5505, -46.6333),
    ("Tokyo", "JP", "Japan", 35.6895, 139.6917),
    ("Sydney", "AU", "Australia", -33.8688, 151.2093),
    ("Lagos", "NG", "Nigeria", 6.4531, 3.3958),
    ("San Francisco", "US", "United States", 37.7749, -122.4194),
]
AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_3) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15",
    "aws-cli/2.15.0 Python/3.11.6 Linux/6.1.0 exe/x86_64.debian.12",
    "python-requests/2.31.0",
]


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)


class Gen:
    def __init__(self, seed, n):
        self.rng = random.Random(seed)
        self.n = n
        self.users = ["user%04d" % i for i in range(1000)]
        self.t0 = datetime(2024, 3, 4, tzinfo=timezone.utc)

    def time(self, i):
        return self.t0 + timedelta(seconds=i * 0.6 + self.rng.random() * 0.5)

    def ip(self):
        r = self.rng
        if r.random() < 0.1:
            return "2001:db8:%x::%x" % (r.randrange(65536), r.randrange(65536))
        return "%d.%d.%d.%d" % (r.choice([198, 203, 102, 185]), r.randrange(256), r.randrange(256), 1 + r.randrange(254))

    def city(self):
        return self.rng.choice(CITIES)


def cloudtrail(g, i):
    r = g.rng
    user = r.choice(g.users)
    kind = r.random()
    if kind < 0.5:
        ident = {"type": "AssumedRole", "principalId": "AROAEXAMPLEROLEID:%s@example.com" % user,
                 "arn": "arn:aws:sts::123456789012:assumed-role/Engineer/%s@example.com" % user,
                 "accountId": "123456789012", "accessKeyId": "ASIAEXAMPLE%06d" % i,
                 "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLEROLEID",
                                                      "arn": "arn:aws:iam::123456789012:role/Engineer",
                                                      "accountId": "123456789012", "userName": "Engineer"},
                                    "webIdFederationData": {},
                                    "attributes": {"creationDate": iso(g.time(i)), "mfaAuthenticated": "true"}}}
    elif kind < 0.9:
        ident = {"type": "IAMUser", "principalId": "AIDAEXAMPLE%04d" % g.users.index(user),
                 "arn": "arn:aws:iam::123456789012:user/%s" % user, "accountId": "123456789012",
                 "accessKeyId": "AKIAEXAMPLE%04d" % g.users.index(user), "userName": user}
    else:
        ident = {"type": "AWSService", "invokedBy": "ec2.amazonaws.com"}
    source, name = r.choice([("s3.amazonaws.com", "GetObject"), ("s3.amazonaws.com", "PutObject"),
                             ("ec2.amazonaws.com", "DescribeInstances"), ("iam.amazonaws.com", "ListRoles"),
                             ("sts.amazonaws.com", "AssumeRole"), ("kms.amazonaws.com", "Decrypt")])
    rec = {"eventVersion": "1.09", "userIdentity": ident, "eventTime": iso(g.time(i))[:19] + "Z",
           "eventSource": source, "eventName": name, "awsRegion": "us-east-1",
           "sourceIPAddress": g.ip() if ident["type"] != "AWSService" else "ec2.amazonaws.com",
           "userAgent": r.choice(AGENTS), "requestParameters": None, "responseElements": None,
           "requestID": "%032x" % r.getrandbits(128), "eventID": "%032x" % r.getrandbits(128),
           "readOnly": name.startswith(("Get", "Describe", "List")), "eventType": "AwsApiCall",
           "managementEvent": source != "s3.amazonaws.com", "recipientAccountId": "123456789012",
           "eventCategory": "Management" if source != "s3.amazonaws.com" else "Data",
           "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                          "clientProvidedHostHeader": source}}
    if source == "s3.amazonaws.com":
        bucket = "bucket-%02d" % r.randrange(40)
        key = "data/%d/%08d.parquet" % (r.randrange(100), r.randrange(10 ** 8))
        rec["requestParameters"] = {"bucketName": bucket, "key": key, "Host": bucket + ".s3.amazonaws.com"}
        rec["resources"] = [{"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::%s/%s" % (bucket, key)},
                            {"accountId": "123456789012", "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::" + bucket}]
    if r.random() < 0.05:
        rec["errorCode"] = "AccessDenied"
        rec["errorMessage"] = "Access Denied"
    return rec


def okta(g, i):
    r = g.rng
    user = r.choice(g.users)
    city, cc, country, lat, lon = g.city()
    etype = r.choice(["user.session.start", "user.authentication.sso", "user.authentication.sso",
                      "policy.evaluate_sign_on", "user.session.end"])
    result = "FAILURE" if r.random() < 0.05 else ("ALLOW" if etype.startswith("policy") else "SUCCESS")
    ip = g.ip()
    geo = {"city": city, "state": None, "country": country, "postalCode": None,
           "geolocation": {"lat": lat, "lon": lon}}
    target = None
    if etype == "user.authentication.sso":
        app = r.choice(["Salesforce.com", "Slack", "GitHub Enterprise", "Workday", "AWS IAM Identity Center"])
        target = [{"id": "0oa%08d" % r.randrange(10 ** 8), "type": "AppInstance", "alternateId": app,
                   "displayName": app, "detailEntry": {"signOnModeType": "SAML_2_0"}},
                  {"id": "0ua%08d" % r.randrange(10 ** 8), "type": "AppUser", "alternateId": user + "@example.com",
                   "displayName": user, "detailEntry": None}]
    return {"actor": {"id": "00u%08d" % g.users.index(user), "type": "User", "alternateId": user + "@example.com",
                      "displayName": user.title(), "detailEntry": None},
            "client": {"userAgent": {"rawUserAgent": r.choice(AGENTS), "os": "Windows 10", "browser": "CHROME"},
                       "zone": "null", "device": "Computer", "id": None, "ipAddress": ip, "geographicalContext": geo},
            "device": None,
            "authenticationContext": {"authenticationProvider": None, "credentialProvider": None,
                                      "credentialType": None, "issuer": None, "interface": None,
                                      "authenticationStep": 0, "externalSessionId": "102%022x" % r.getrandbits(88)},
            "displayMessage": "User login to Okta", "eventType": etype,
            "outcome": {"result": result, "reason": "INVALID_CREDENTIALS" if result == "FAILURE" else None},
            "published": iso(g.time(i)),
            "securityContext": {"asNumber": 64496, "asOrg": "example isp", "isp": "example isp",
                                "domain": "example.net", "isProxy": False},
            "severity": "INFO", "debugContext": {"debugData": {"requestId": "%024x" % r.getrandbits(96),
                                                               "requestUri": "/idp/idx/identify", "url": "/idp/idx/identify?"}},
            "legacyEventType": "core.user_auth.login_success", "transaction": {"type": "WEB", "id": "%020x" % r.getrandbits(80), "detail": {}},
            "uuid": "%08x-%04x-11ee-%04x-%012x" % (r.getrandbits(32), r.getrandbits(16), r.getrandbits(16), r.getrandbits(48)),
            "version": "0", "request": {"ipChain": [{"ip": ip, "geographicalContext": geo, "version": "V4", "source": None}]},
            "target": target}


def entra(g, i):
    r = g.rng
    user = r.choice(g.users) + "@contoso.com"
    city, cc, country, lat, lon = g.city()
    if r.random() < 0.1:
        return {"id": "Directory_%032x" % r.getrandbits(128), "category": "UserManagement",
                "correlationId": "%032x" % r.getrandbits(128), "result": "success", "resultReason": "",
                "activityDisplayName": r.choice(["Update user", "Add member to group", "Reset user password"]),
                "activityDateTime": iso(g.time(i)), "loggedByService": "Core Directory", "operationType": "Update",
                "initiatedBy": {"app": None, "user": {"id": "%032x" % r.getrandbits(128), "displayName": None,
                                                      "userPrincipalName": "admin@contoso.com", "ipAddress": g.ip()}},
                "targetResources": [{"id": "%032x" % r.getrandbits(128), "displayName": None, "type": "User",
                                     "userPrincipalName": user, "modifiedProperties": []}],
                "additionalDetails": [{"key": "User-Agent", "value": r.choice(AGENTS)}]}
    code = 50126 if r.random() < 0.05 else 0
    return {"id": "%032x" % r.getrandbits(128), "createdDateTime": iso(g.time(i))[:19] + "Z",
            "userDisplayName": user.split("@")[0].title(), "userPrincipalName": user,
            "userId": "%032x" % r.getrandbits(128), "appId": "00000002-0000-0ff1-ce00-000000000000",
            "appDisplayName": r.choice(["Office 365 Exchange Online", "Microsoft Teams", "Azure Portal", "SharePoint Online"]),
            "ipAddress": g.ip(), "clientAppUsed": r.choice(["Browser", "Mobile Apps and Desktop clients"]),
            "correlationId": "%032x" % r.getrandbits(128), "conditionalAccessStatus": "success", "isInteractive": True,
            "riskDetail": "none", "riskLevelAggregated": "none", "riskLevelDuringSignIn": "none", "riskState": "none",
            "riskEventTypes_v2": [], "resourceDisplayName": "Office 365 Exchange Online",
            "resourceId": "00000002-0000-0ff1-ce00-000000000000",
            "status": {"errorCode": code, "failureReason": "Other." if code == 0 else "Invalid username or password.",
                       "additionalDetails": None},
            "deviceDetail": {"deviceId": "", "displayName": "", "operatingSystem": "Windows 10", "browser": "Edge 122.0.0",
                             "isCompliant": False, "isManaged": False, "trustType": ""},
            "location": {"city": city, "state": None, "countryOrRegion": cc,
                         "geoCoordinates": {"altitude": None, "latitude": lat, "longitude": lon}},
            "appliedConditionalAccessPolicies": [], "authenticationRequirement": "singleFactorAuthentication"}


def ecs(g, i):
    r = g.rng
    user = r.choice(g.users)
    city, cc, country, lat, lon = g.city()
    t = iso(g.time(i))
    if r.random() < 0.1:
        return {"@timestamp": t, "event": {"category": ["process"], "type": ["start"], "action": "exec",
                                           "kind": "event", "module": "auditd"},
                "process": {"name": "bash", "pid": r.randrange(1 << 16)}, "user": {"name": user},
                "host": {"name": "web-%02d" % r.randrange(20)}, "ecs": {"version": "8.11.0"}}
    ok = r.random() >= 0.05
    return {"@timestamp": t, "event": {"category": ["authentication", "session"], "type": ["start"],
                                       "action": "ssh_login", "outcome": "success" if ok else "failure",
                                       "kind": "event", "module": "system", "dataset": "system.auth"},
            "user": {"name": user}, "source": {"ip": g.ip(), "port": r.randrange(1024, 65536),
                                               "geo": {"city_name": city, "country_iso_code": cc,
                                                       "location": {"lat": lat, "lon": lon}}},
            "host": {"name": "bastion-%02d" % r.randrange(4), "hostname": "bastion"},
            "process": {"name": "sshd", "pid": r.randrange(1 << 16)},
            "system": {"auth": {"ssh": {"method": "publickey" if ok else "password"}}},
            "related": {"user": [user], "ip": []}, "ecs": {"version": "8.11.0"},
            "agent": {"type": "filebeat", "version": "8.11.0"}}


def ocsf(g, i):
    r = g.rng
    user = r.choice(g.users)
    city, cc, country, lat, lon = g.city()
    ms = int(g.time(i).timestamp() * 1000)
    meta = {"version": "1.1.0", "product": {"name": "Example IdP", "vendor_name": "Example"},
            "uid": "%032x" % r.getrandbits(128)}
    if r.random() < 0.1:
        return {"time": ms, "class_uid": 3001, "class_name": "Account Change", "category_uid": 3,
                "activity_id": 3, "type_uid": 300103, "severity_id": 1, "user": {"name": user}, "metadata": meta}
    ok = r.random() >= 0.05
    return {"time": ms, "class_uid": 3002, "class_name": "Authentication", "category_uid": 3,
            "category_name": "Identity & Access Management", "activity_id": 1, "activity_name": "Logon",
            "type_uid": 300201, "severity_id": 1, "status_id": 1 if ok else 2, "status": "Success" if ok else "Failure",
            "user": {"name": user, "uid": "00u%08d" % g.users.index(user), "type_id": 1},
            "src_endpoint": {"ip": g.ip(), "location": {"city": city, "country": cc, "lat": lat, "long": lon}},
            "dst_endpoint": {"hostname": "app%02d.example.com" % r.randrange(10)},
            "service": {"name": "Example IdP"}, "session": {"uid": "%024x" % r.getrandbits(96)},
            "is_mfa": r.random() < 0.7, "auth_protocol": "SAML", "auth_protocol_id": 5,
            "http_request": {"user_agent": r.choice(AGENTS)}, "metadata": meta}


def jsonl(g, i):
    r = g.rng
    user = r.choice(g.users)
    city, cc, country, lat, lon = g.city()
    return {"event_id": "E%07d" % i, "user_id": user, "username": user.replace("user", "u."),
            "department": r.choice(["Engineering", "Finance", "Sales", "Legal", "Operations"]),
            "job_title": r.choice(["Engineer", "Analyst", "Manager"]),
            "resource": r.choice(["wiki", "payroll_system", "crm", "git", "hr_portal"]),
            "action": r.choice(["read", "read", "write", "download", "admin"]),
            "timestamp": iso(g.time(i)), "source_ip": g.ip(), "location": "%s, %s" % (city, cc),
            "success": r.random() >= 0.05}


# Windows Security events: (id, action) of the logon and Kerberos/NTLM events, and 4688 (a
# process start), which the reader counts as ignored.
WINDOWS_EVENTS = [(4624, "An account was successfully logged on."), (4625, "An account failed to log on."),
                  (4768, "A Kerberos authentication ticket (TGT) was requested."),
                  (4769, "A Kerberos service ticket was requested."),
                  (4776, "The computer attempted to validate the credentials for an account."),
                  (4688, "A new process has been created.")]


def winevt(g, i):
    r = g.rng
    user = r.choice(g.users)
    eid, message = WINDOWS_EVENTS[5] if r.random() < 0.1 else r.choice(WINDOWS_EVENTS[:5])
    t = g.time(i)
    data = {"SubjectUserSid": "S-1-5-18", "SubjectUserName": "DC01$", "SubjectDomainName": "CONTOSO",
            "SubjectLogonId": "0x3e7", "TargetUserSid": "S-1-5-21-1004336348-1177238915-682003330-%d" % (1000 + g.users.index(user)),
            "TargetUserName": user, "TargetDomainName": "CONTOSO", "TargetLogonId": "0x%x" % r.getrandbits(32),
            "LogonType": "3", "LogonProcessName": "NtLmSsp", "AuthenticationPackageName": "NTLM",
            "WorkstationName": "WS%03d" % r.randrange(200), "LogonGuid": "{00000000-0000-0000-0000-000000000000}",
            "IpAddress": g.ip(), "IpPort": str(r.randrange(1024, 65536)),
            "Status": "0xc000006d" if eid == 4625 else "0x0"}
    if eid in (4768, 4769):
        data["ServiceName"] = "krbtgt" if eid == 4768 else "MSSQLSvc/db%02d.contoso.local" % r.randrange(10)
        data["TicketEncryptionType"] = "0x12"
    if r.random() < 0.5:
        rec = {"EventTime": t.strftime("%Y-%m-%d %H:%M:%S"), "Hostname": "DC01.contoso.local",
               "Keywords": -9214364837600034816, "EventType": "AUDIT_SUCCESS", "SeverityValue": 2,
               "Severity": "INFO", "EventID": eid, "SourceName": "Microsoft-Windows-Security-Auditing",
               "ProviderGuid": "{54849625-5478-4994-A5BA-3E3B0328C30D}", "Version": 2, "Task": 12544,
               "OpcodeValue": 0, "RecordNumber": 100000 + i, "ProcessID": 636, "ThreadID": 4000,
               "Channel": "Security", "Message": message, "Category": "Logon", "Opcode": "Info",
               "EventReceivedTime": t.strftime("%Y-%m-%d %H:%M:%S"), "SourceModuleName": "eventlog",
               "SourceModuleType": "im_msvistalog"}
        rec.update(data)
        return rec
    return {"@timestamp": iso(t), "event": {"code": str(eid), "kind": "event", "provider": "Microsoft-Windows-Security-Auditing",
                                            "action": "logged-in", "outcome": "success"},
            "winlog": {"channel": "Security", "event_id": str(eid), "computer_name": "DC01.contoso.local",
                       "provider_name": "Microsoft-Windows-Security-Auditing", "record_id": str(100000 + i),
                       "event_data": data, "process": {"pid": 636, "thread": {"id": 4000}}},
            "host": {"name": "DC01.contoso.local"}, "message": message,
            "agent": {"type": "winlogbeat", "version": "8.11.0"}, "ecs": {"version": "8.11.0"}}


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 100000
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 42
    g = Gen(seed, n)
    records = [cloudtrail(g, i) for i in range(n)]
    with open(out + "/cloudtrail.json", "w") as f:
        json.dump({"Records": records}, f, separators=(",", ":"))
    with open(out + "/cloudtrail_pretty.json", "w") as f:
        json.dump({"Records": records}, f, indent=2)
    del records
    for name, make in (("okta", okta), ("entra", entra), ("ecs", ecs), ("ocsf", ocsf), ("winevt", winevt),
                       ("jsonl", jsonl)):
        g = Gen(seed, n)
        with open("%s/%s.jsonl" % (out, name), "w") as f:
            for i in range(n):
                f.write(json.dumps(make(g, i), separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
