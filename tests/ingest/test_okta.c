/* The Okta System Log reader: exact events for sign-ins that succeed, fail, are allowed,
 * denied or challenged, single sign-on to an application, Okta's own events; the geolocation's
 * coordinates and the country written as a name; the same events from the System Log API's
 * JSON arrays, compact or pretty-printed, read in pieces of any size; bad records reported and
 * skipped; the format recognised. Samples written from Okta's System Log API LogEvent
 * reference. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "json_transcript.h"
#include "ingest/json_stream.h"

#include <jansson.h>

static const char events[] =
    /* 1: a sign-in to Okta; Okta names the country, the coordinates place it */
    "{\"actor\":{\"id\":\"00u1qw1mqitPHM8AJ0g7\",\"type\":\"User\",\"alternateId\":\"alice@exampl"
    "e.com\",\"displayName\":\"Alice Example\",\"detailEntry\":null},\"client\":{\"userAgent\":{"
    "\"rawUserAgent\":\"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_3) AppleWebKit/537.36 (KHTML,"
    " like Gecko) Chrome/122.0 Safari/537.36\",\"os\":\"Mac OS X\",\"browser\":\"CHROME\"},"
    "\"zone\":\"null\",\"device\":\"Computer\",\"id\":null,\"ipAddress\":\"198.51.100.23\","
    "\"geographicalContext\":{\"city\":\"San Francisco\",\"state\":\"California\","
    "\"country\":\"United States\",\"postalCode\":null,\"geolocation\":{\"lat\":37.7852,"
    "\"lon\":-122.3874}}},\"device\":null,\"authenticationContext\":{\"authenticationProvider\":n"
    "ull,\"credentialProvider\":null,\"credentialType\":null,\"issuer\":null,"
    "\"interface\":null,\"authenticationStep\":0,\"externalSessionId\":\"102bZDNFfWaQSyEZQuDgWt-u"
    "Q\"},\"displayMessage\":\"\",\"eventType\":\"user.session.start\",\"outcome\":{\"result\":\""
    "SUCCESS\",\"reason\":null},\"published\":\"2024-03-05T14:21:09.123Z\","
    "\"securityContext\":{\"asNumber\":null,\"asOrg\":null,\"isp\":null,"
    "\"domain\":null,\"isProxy\":null},\"severity\":\"INFO\",\"debugContext\":{\"debugData\":{\"r"
    "equestUri\":\"/api/v1/authn\"}},\"legacyEventType\":null,\"transaction\":{\"type\":\"WEB\","
    "\"id\":\"ZebkD3xn\",\"detail\":{}},\"uuid\":\"a1b2c3d4-0001\",\"version\":\"0\","
    "\"request\":{\"ipChain\":[]},\"target\":null}\n"
    /* 2: the same account fails from elsewhere */
    "{\"actor\":{\"id\":\"00u1qw1mqitPHM8AJ0g7\",\"type\":\"User\",\"alternateId\":\"alice@exampl"
    "e.com\",\"displayName\":\"Alice Example\",\"detailEntry\":null},\"client\":{\"userAgent\":{"
    "\"rawUserAgent\":\"python-requests/2.31.0\",\"os\":\"Mac OS X\",\"browser\":\"CHROME\"},"
    "\"zone\":\"null\",\"device\":\"Computer\",\"id\":null,\"ipAddress\":\"102.89.34.17\","
    "\"geographicalContext\":{\"city\":\"Lagos\",\"state\":\"Lagos\",\"country\":\"Nigeria\","
    "\"postalCode\":null,\"geolocation\":{\"lat\":6.4531,\"lon\":3.3958}}},"
    "\"device\":null,\"authenticationContext\":{\"authenticationProvider\":null,"
    "\"credentialProvider\":null,\"credentialType\":null,\"issuer\":null,"
    "\"interface\":null,\"authenticationStep\":0,\"externalSessionId\":null},"
    "\"displayMessage\":\"\",\"eventType\":\"user.session.start\",\"outcome\":{\"result\":\"FAILU"
    "RE\",\"reason\":\"INVALID_CREDENTIALS\"},\"published\":\"2024-03-05T14:25:41.002Z\","
    "\"securityContext\":{\"asNumber\":null,\"asOrg\":null,\"isp\":null,"
    "\"domain\":null,\"isProxy\":null},\"severity\":\"INFO\",\"debugContext\":{\"debugData\":{\"r"
    "equestUri\":\"/api/v1/authn\"}},\"legacyEventType\":null,\"transaction\":{\"type\":\"WEB\","
    "\"id\":\"ZebkD3xn\",\"detail\":{}},\"uuid\":\"a1b2c3d4-0002\",\"version\":\"0\","
    "\"request\":{\"ipChain\":[]},\"target\":null}\n"
    /* 3: single sign-on: the application is the first target */
    "{\"actor\":{\"id\":\"00u1qw1mqitPHM8AJ0g7\",\"type\":\"User\",\"alternateId\":\"alice@exampl"
    "e.com\",\"displayName\":\"Alice Example\",\"detailEntry\":null},\"client\":{\"userAgent\":{"
    "\"rawUserAgent\":\"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_3) AppleWebKit/537.36 (KHTML,"
    " like Gecko) Chrome/122.0 Safari/537.36\",\"os\":\"Mac OS X\",\"browser\":\"CHROME\"},"
    "\"zone\":\"null\",\"device\":\"Computer\",\"id\":null,\"ipAddress\":\"198.51.100.23\","
    "\"geographicalContext\":{\"city\":\"San Francisco\",\"state\":\"California\","
    "\"country\":\"United States\",\"postalCode\":null,\"geolocation\":{\"lat\":37.7852,"
    "\"lon\":-122.3874}}},\"device\":null,\"authenticationContext\":{\"authenticationProvider\":n"
    "ull,\"credentialProvider\":null,\"credentialType\":null,\"issuer\":null,"
    "\"interface\":null,\"authenticationStep\":0,\"externalSessionId\":\"102bZDNFfWaQSyEZQuDgWt-u"
    "Q\"},\"displayMessage\":\"\",\"eventType\":\"user.authentication.sso\","
    "\"outcome\":{\"result\":\"SUCCESS\",\"reason\":null},\"published\":\"2024-03-05T14:30:00Z\","
    "\"securityContext\":{\"asNumber\":null,\"asOrg\":null,\"isp\":null,"
    "\"domain\":null,\"isProxy\":null},\"severity\":\"INFO\",\"debugContext\":{\"debugData\":{\"r"
    "equestUri\":\"/api/v1/authn\"}},\"legacyEventType\":null,\"transaction\":{\"type\":\"WEB\","
    "\"id\":\"ZebkD3xn\",\"detail\":{}},\"uuid\":\"a1b2c3d4-0003\",\"version\":\"0\","
    "\"request\":{\"ipChain\":[]},\"target\":[{\"id\":\"0oa1gjh63g214q0Hq0g4\","
    "\"type\":\"AppInstance\",\"alternateId\":\"Salesforce.com\",\"displayName\":\"Salesforce.com"
    "\",\"detailEntry\":{\"signOnModeType\":\"SAML_2_0\"}},{\"id\":\"0ua1gjh63g2\","
    "\"type\":\"AppUser\",\"alternateId\":\"alice@example.com\",\"displayName\":\"Alice Example\""
    ",\"detailEntry\":null}]}\n"
    /* 4: a sign-on policy allows: a target without a display name */
    "{\"actor\":{\"id\":\"00u1qw1mqitPHM8AJ0g7\",\"type\":\"User\",\"alternateId\":\"alice@exampl"
    "e.com\",\"displayName\":\"Alice Example\",\"detailEntry\":null},\"client\":{\"userAgent\":{"
    "\"rawUserAgent\":\"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_3) AppleWebKit/537.36 (KHTML,"
    " like Gecko) Chrome/122.0 Safari/537.36\",\"os\":\"Mac OS X\",\"browser\":\"CHROME\"},"
    "\"zone\":\"null\",\"device\":\"Computer\",\"id\":null,\"ipAddress\":\"198.51.100.23\","
    "\"geographicalContext\":{\"city\":\"San Francisco\",\"state\":null,"
    "\"country\":\"United States\",\"postalCode\":null,\"geolocation\":{\"lat\":37.7852,"
    "\"lon\":-122.3874}}},\"device\":null,\"authenticationContext\":{\"authenticationProvider\":n"
    "ull,\"credentialProvider\":null,\"credentialType\":null,\"issuer\":null,"
    "\"interface\":null,\"authenticationStep\":0,\"externalSessionId\":null},"
    "\"displayMessage\":\"\",\"eventType\":\"policy.evaluate_sign_on\",\"outcome\":{\"result\":\""
    "ALLOW\",\"reason\":\"Sign-on policy evaluation resulted in ALLOW\"},"
    "\"published\":\"2024-03-05T14:30:01Z\",\"securityContext\":{\"asNumber\":null,"
    "\"asOrg\":null,\"isp\":null,\"domain\":null,\"isProxy\":null},\"severity\":\"INFO\","
    "\"debugContext\":{\"debugData\":{\"requestUri\":\"/api/v1/authn\"}},"
    "\"legacyEventType\":null,\"transaction\":{\"type\":\"WEB\",\"id\":\"ZebkD3xn\","
    "\"detail\":{}},\"uuid\":\"a1b2c3d4-0004\",\"version\":\"0\",\"request\":{\"ipChain\":[]},"
    "\"target\":[{\"id\":\"0oa1\",\"type\":\"AppInstance\",\"alternateId\":\"Okta Admin Console\""
    ",\"displayName\":null,\"detailEntry\":null}]}\n"
    /* 5: a sign-on policy denies; an IPv6 client whose country is written as a code */
    "{\"actor\":{\"id\":\"00u2\",\"type\":\"User\",\"alternateId\":\"bob@example.com\","
    "\"displayName\":\"Bob\",\"detailEntry\":null},\"client\":{\"userAgent\":{\"rawUserAgent\":\""
    "curl/8.5.0\",\"os\":\"Mac OS X\",\"browser\":\"CHROME\"},\"zone\":\"null\","
    "\"device\":\"Computer\",\"id\":null,\"ipAddress\":\"2001:db8:4::12\","
    "\"geographicalContext\":{\"city\":\"Berlin\",\"state\":\"Berlin\",\"country\":\"DE\","
    "\"postalCode\":null,\"geolocation\":{\"lat\":52.52,\"lon\":13.405}}},"
    "\"device\":null,\"authenticationContext\":{\"authenticationProvider\":null,"
    "\"credentialProvider\":null,\"credentialType\":null,\"issuer\":null,"
    "\"interface\":null,\"authenticationStep\":0,\"externalSessionId\":null},"
    "\"displayMessage\":\"\",\"eventType\":\"policy.evaluate_sign_on\",\"outcome\":{\"result\":\""
    "DENY\",\"reason\":\"Sign-on policy evaluation resulted in DENY\"},\"published\":\"2024-03-05"
    "T14:31:00Z\",\"securityContext\":{\"asNumber\":null,\"asOrg\":null,"
    "\"isp\":null,\"domain\":null,\"isProxy\":null},\"severity\":\"INFO\","
    "\"debugContext\":{\"debugData\":{\"requestUri\":\"/api/v1/authn\"}},"
    "\"legacyEventType\":null,\"transaction\":{\"type\":\"WEB\",\"id\":\"ZebkD3xn\","
    "\"detail\":{}},\"uuid\":\"a1b2c3d4-0005\",\"version\":\"0\",\"request\":{\"ipChain\":[]},"
    "\"target\":[{\"id\":\"0oa2\",\"type\":\"AppInstance\",\"alternateId\":\"Workday\","
    "\"displayName\":\"Workday\",\"detailEntry\":null}]}\n"
    /* 6: a challenge says nothing about success; no coordinates */
    "{\"actor\":{\"id\":\"00u2\",\"type\":\"User\",\"alternateId\":\"bob@example.com\","
    "\"displayName\":\"Bob\",\"detailEntry\":null},\"client\":{\"userAgent\":{\"rawUserAgent\":\""
    "curl/8.5.0\",\"os\":\"Mac OS X\",\"browser\":\"CHROME\"},\"zone\":\"null\","
    "\"device\":\"Computer\",\"id\":null,\"ipAddress\":\"2001:db8:4::12\","
    "\"geographicalContext\":{\"city\":\"Berlin\",\"state\":null,\"country\":\"Germany\","
    "\"postalCode\":null,\"geolocation\":null}},\"device\":null,\"authenticationContext\":{\"auth"
    "enticationProvider\":null,\"credentialProvider\":null,\"credentialType\":null,"
    "\"issuer\":null,\"interface\":null,\"authenticationStep\":0,\"externalSessionId\":null},"
    "\"displayMessage\":\"\",\"eventType\":\"user.authentication.auth_via_mfa\","
    "\"outcome\":{\"result\":\"CHALLENGE\",\"reason\":null},\"published\":\"2024-03-05T14:31:30Z"
    "\",\"securityContext\":{\"asNumber\":null,\"asOrg\":null,\"isp\":null,"
    "\"domain\":null,\"isProxy\":null},\"severity\":\"INFO\",\"debugContext\":{\"debugData\":{\"r"
    "equestUri\":\"/api/v1/authn\"}},\"legacyEventType\":null,\"transaction\":{\"type\":\"WEB\","
    "\"id\":\"ZebkD3xn\",\"detail\":{}},\"uuid\":\"a1b2c3d4-0006\",\"version\":\"0\","
    "\"request\":{\"ipChain\":[]},\"target\":[{\"id\":\"pfd1\",\"type\":\"AuthenticatorEnrollment"
    "\",\"alternateId\":\"unknown\",\"displayName\":\"Okta Verify\",\"detailEntry\":null}]}\n"
    /* 7: Okta itself acting: no client address, no place, no outcome */
    "{\"actor\":{\"id\":\"0oa0\",\"type\":\"SystemPrincipal\",\"alternateId\":\"system@okta.com\""
    ",\"displayName\":\"Okta System\",\"detailEntry\":null},\"client\":{\"userAgent\":null,"
    "\"zone\":null,\"device\":null,\"id\":null,\"ipAddress\":null,\"geographicalContext\":null},"
    "\"device\":null,\"authenticationContext\":{\"authenticationProvider\":null,"
    "\"credentialProvider\":null,\"credentialType\":null,\"issuer\":null,"
    "\"interface\":null,\"authenticationStep\":0,\"externalSessionId\":null},"
    "\"displayMessage\":\"\",\"eventType\":\"system.org.rate_limit.warning\","
    "\"outcome\":null,\"published\":\"2024-03-05T15:00:00Z\",\"securityContext\":{\"asNumber\":nu"
    "ll,\"asOrg\":null,\"isp\":null,\"domain\":null,\"isProxy\":null},\"severity\":\"INFO\","
    "\"debugContext\":{\"debugData\":{\"requestUri\":\"/api/v1/authn\"}},"
    "\"legacyEventType\":null,\"transaction\":{\"type\":\"WEB\",\"id\":\"ZebkD3xn\","
    "\"detail\":{}},\"uuid\":\"a1b2c3d4-0007\",\"version\":\"0\",\"request\":{\"ipChain\":[]},"
    "\"target\":null}\n";
static const char bad_events[] =
    /* 1: no alternateId */
    "{\"actor\":{\"id\":\"00u9\",\"type\":\"User\",\"alternateId\":null},"
    "\"client\":{\"userAgent\":null,\"zone\":\"null\",\"device\":\"Computer\","
    "\"id\":null,\"ipAddress\":\"198.51.100.1\",\"geographicalContext\":null},"
    "\"device\":null,\"authenticationContext\":{\"authenticationProvider\":null,"
    "\"credentialProvider\":null,\"credentialType\":null,\"issuer\":null,"
    "\"interface\":null,\"authenticationStep\":0,\"externalSessionId\":null},"
    "\"displayMessage\":\"\",\"eventType\":\"user.session.start\",\"outcome\":{\"result\":\"SUCCE"
    "SS\"},\"published\":\"2024-03-05T14:21:09Z\",\"securityContext\":{\"asNumber\":null,"
    "\"asOrg\":null,\"isp\":null,\"domain\":null,\"isProxy\":null},\"severity\":\"INFO\","
    "\"debugContext\":{\"debugData\":{\"requestUri\":\"/api/v1/authn\"}},"
    "\"legacyEventType\":null,\"transaction\":{\"type\":\"WEB\",\"id\":\"ZebkD3xn\","
    "\"detail\":{}},\"uuid\":\"b1\",\"version\":\"0\",\"request\":{\"ipChain\":[]},"
    "\"target\":null}\n"
    /* 2: an actor that is a string */
    "{\"actor\":\"alice\",\"client\":{\"userAgent\":null,\"zone\":\"null\","
    "\"device\":\"Computer\",\"id\":null,\"ipAddress\":\"198.51.100.1\","
    "\"geographicalContext\":null},\"device\":null,\"authenticationContext\":{\"authenticationPro"
    "vider\":null,\"credentialProvider\":null,\"credentialType\":null,\"issuer\":null,"
    "\"interface\":null,\"authenticationStep\":0,\"externalSessionId\":null},"
    "\"displayMessage\":\"\",\"eventType\":\"user.session.start\",\"outcome\":{\"result\":\"SUCCE"
    "SS\"},\"published\":\"2024-03-05T14:21:09Z\",\"securityContext\":{\"asNumber\":null,"
    "\"asOrg\":null,\"isp\":null,\"domain\":null,\"isProxy\":null},\"severity\":\"INFO\","
    "\"debugContext\":{\"debugData\":{\"requestUri\":\"/api/v1/authn\"}},"
    "\"legacyEventType\":null,\"transaction\":{\"type\":\"WEB\",\"id\":\"ZebkD3xn\","
    "\"detail\":{}},\"uuid\":\"b2\",\"version\":\"0\",\"request\":{\"ipChain\":[]},"
    "\"target\":null}\n"
    /* 3: a time that is none */
    "{\"actor\":{\"id\":\"00u1qw1mqitPHM8AJ0g7\",\"type\":\"User\",\"alternateId\":\"alice@exampl"
    "e.com\",\"displayName\":\"Alice Example\",\"detailEntry\":null},\"client\":{\"userAgent\":nu"
    "ll,\"zone\":\"null\",\"device\":\"Computer\",\"id\":null,\"ipAddress\":\"198.51.100.1\","
    "\"geographicalContext\":null},\"device\":null,\"authenticationContext\":{\"authenticationPro"
    "vider\":null,\"credentialProvider\":null,\"credentialType\":null,\"issuer\":null,"
    "\"interface\":null,\"authenticationStep\":0,\"externalSessionId\":null},"
    "\"displayMessage\":\"\",\"eventType\":\"user.session.start\",\"outcome\":{\"result\":\"SUCCE"
    "SS\"},\"published\":\"yesterday\",\"securityContext\":{\"asNumber\":null,"
    "\"asOrg\":null,\"isp\":null,\"domain\":null,\"isProxy\":null},\"severity\":\"INFO\","
    "\"debugContext\":{\"debugData\":{\"requestUri\":\"/api/v1/authn\"}},"
    "\"legacyEventType\":null,\"transaction\":{\"type\":\"WEB\",\"id\":\"ZebkD3xn\","
    "\"detail\":{}},\"uuid\":\"b3\",\"version\":\"0\",\"request\":{\"ipChain\":[]},"
    "\"target\":null}\n"
    /* 4: an address that is none */
    "{\"actor\":{\"id\":\"00u1qw1mqitPHM8AJ0g7\",\"type\":\"User\",\"alternateId\":\"alice@exampl"
    "e.com\",\"displayName\":\"Alice Example\",\"detailEntry\":null},\"client\":{\"userAgent\":nu"
    "ll,\"zone\":\"null\",\"device\":\"Computer\",\"id\":null,\"ipAddress\":\"999.1.1.1\","
    "\"geographicalContext\":null},\"device\":null,\"authenticationContext\":{\"authenticationPro"
    "vider\":null,\"credentialProvider\":null,\"credentialType\":null,\"issuer\":null,"
    "\"interface\":null,\"authenticationStep\":0,\"externalSessionId\":null},"
    "\"displayMessage\":\"\",\"eventType\":\"user.session.start\",\"outcome\":{\"result\":\"SUCCE"
    "SS\"},\"published\":\"2024-03-05T14:21:09Z\",\"securityContext\":{\"asNumber\":null,"
    "\"asOrg\":null,\"isp\":null,\"domain\":null,\"isProxy\":null},\"severity\":\"INFO\","
    "\"debugContext\":{\"debugData\":{\"requestUri\":\"/api/v1/authn\"}},"
    "\"legacyEventType\":null,\"transaction\":{\"type\":\"WEB\",\"id\":\"ZebkD3xn\","
    "\"detail\":{}},\"uuid\":\"b4\",\"version\":\"0\",\"request\":{\"ipChain\":[]},"
    "\"target\":null}\n"
    /* 5: a latitude without its longitude */
    "{\"actor\":{\"id\":\"00u1qw1mqitPHM8AJ0g7\",\"type\":\"User\",\"alternateId\":\"alice@exampl"
    "e.com\",\"displayName\":\"Alice Example\",\"detailEntry\":null},\"client\":{\"ipAddress\":\""
    "198.51.100.1\",\"geographicalContext\":{\"city\":\"Paris\",\"country\":\"France\","
    "\"geolocation\":{\"lat\":48.85}}},\"device\":null,\"authenticationContext\":{\"authenticatio"
    "nProvider\":null,\"credentialProvider\":null,\"credentialType\":null,"
    "\"issuer\":null,\"interface\":null,\"authenticationStep\":0,\"externalSessionId\":null},"
    "\"displayMessage\":\"\",\"eventType\":\"user.session.start\",\"outcome\":{\"result\":\"SUCCE"
    "SS\"},\"published\":\"2024-03-05T14:21:09Z\",\"securityContext\":{\"asNumber\":null,"
    "\"asOrg\":null,\"isp\":null,\"domain\":null,\"isProxy\":null},\"severity\":\"INFO\","
    "\"debugContext\":{\"debugData\":{\"requestUri\":\"/api/v1/authn\"}},"
    "\"legacyEventType\":null,\"transaction\":{\"type\":\"WEB\",\"id\":\"ZebkD3xn\","
    "\"detail\":{}},\"uuid\":\"b5\",\"version\":\"0\",\"request\":{\"ipChain\":[]},"
    "\"target\":null}\n"
    /* 6: a latitude out of range */
    "{\"actor\":{\"id\":\"00u1qw1mqitPHM8AJ0g7\",\"type\":\"User\",\"alternateId\":\"alice@exampl"
    "e.com\",\"displayName\":\"Alice Example\",\"detailEntry\":null},\"client\":{\"ipAddress\":\""
    "198.51.100.1\",\"geographicalContext\":{\"city\":\"Paris\",\"country\":\"France\","
    "\"geolocation\":{\"lat\":123,\"lon\":2.35}}},\"device\":null,\"authenticationContext\":{\"au"
    "thenticationProvider\":null,\"credentialProvider\":null,\"credentialType\":null,"
    "\"issuer\":null,\"interface\":null,\"authenticationStep\":0,\"externalSessionId\":null},"
    "\"displayMessage\":\"\",\"eventType\":\"user.session.start\",\"outcome\":{\"result\":\"SUCCE"
    "SS\"},\"published\":\"2024-03-05T14:21:09Z\",\"securityContext\":{\"asNumber\":null,"
    "\"asOrg\":null,\"isp\":null,\"domain\":null,\"isProxy\":null},\"severity\":\"INFO\","
    "\"debugContext\":{\"debugData\":{\"requestUri\":\"/api/v1/authn\"}},"
    "\"legacyEventType\":null,\"transaction\":{\"type\":\"WEB\",\"id\":\"ZebkD3xn\","
    "\"detail\":{}},\"uuid\":\"b6\",\"version\":\"0\",\"request\":{\"ipChain\":[]},"
    "\"target\":null}\n"
    /* 7: no time */
    "{\"actor\":{\"id\":\"00u1qw1mqitPHM8AJ0g7\",\"type\":\"User\",\"alternateId\":\"alice@exampl"
    "e.com\",\"displayName\":\"Alice Example\",\"detailEntry\":null},\"eventType\":\"user.session"
    ".start\",\"uuid\":\"b7\",\"outcome\":{\"result\":\"SUCCESS\"}}\n"
    /* 8: a result that is a number */
    "{\"actor\":{\"id\":\"00u1qw1mqitPHM8AJ0g7\",\"type\":\"User\",\"alternateId\":\"alice@exampl"
    "e.com\",\"displayName\":\"Alice Example\",\"detailEntry\":null},\"client\":{\"userAgent\":nu"
    "ll,\"zone\":\"null\",\"device\":\"Computer\",\"id\":null,\"ipAddress\":\"198.51.100.1\","
    "\"geographicalContext\":null},\"device\":null,\"authenticationContext\":{\"authenticationPro"
    "vider\":null,\"credentialProvider\":null,\"credentialType\":null,\"issuer\":null,"
    "\"interface\":null,\"authenticationStep\":0,\"externalSessionId\":null},"
    "\"displayMessage\":\"\",\"eventType\":\"user.session.start\",\"outcome\":{\"result\":5},"
    "\"published\":\"2024-03-05T14:21:09Z\",\"securityContext\":{\"asNumber\":null,"
    "\"asOrg\":null,\"isp\":null,\"domain\":null,\"isProxy\":null},\"severity\":\"INFO\","
    "\"debugContext\":{\"debugData\":{\"requestUri\":\"/api/v1/authn\"}},"
    "\"legacyEventType\":null,\"transaction\":{\"type\":\"WEB\",\"id\":\"ZebkD3xn\","
    "\"detail\":{}},\"uuid\":\"b8\",\"version\":\"0\",\"request\":{\"ipChain\":[]},"
    "\"target\":null}\n"
    /* 9: a target that is a string */
    "{\"actor\":{\"id\":\"00u1qw1mqitPHM8AJ0g7\",\"type\":\"User\",\"alternateId\":\"alice@exampl"
    "e.com\",\"displayName\":\"Alice Example\",\"detailEntry\":null},\"client\":{\"userAgent\":nu"
    "ll,\"zone\":\"null\",\"device\":\"Computer\",\"id\":null,\"ipAddress\":\"198.51.100.1\","
    "\"geographicalContext\":null},\"device\":null,\"authenticationContext\":{\"authenticationPro"
    "vider\":null,\"credentialProvider\":null,\"credentialType\":null,\"issuer\":null,"
    "\"interface\":null,\"authenticationStep\":0,\"externalSessionId\":null},"
    "\"displayMessage\":\"\",\"eventType\":\"user.session.start\",\"outcome\":{\"result\":\"SUCCE"
    "SS\"},\"published\":\"2024-03-05T14:21:09Z\",\"securityContext\":{\"asNumber\":null,"
    "\"asOrg\":null,\"isp\":null,\"domain\":null,\"isProxy\":null},\"severity\":\"INFO\","
    "\"debugContext\":{\"debugData\":{\"requestUri\":\"/api/v1/authn\"}},"
    "\"legacyEventType\":null,\"transaction\":{\"type\":\"WEB\",\"id\":\"ZebkD3xn\","
    "\"detail\":{}},\"uuid\":\"b9\",\"version\":\"0\",\"request\":{\"ipChain\":[]},"
    "\"target\":\"Salesforce\"}\n"
    /* 10: no event type */
    "{\"actor\":{\"id\":\"00u1qw1mqitPHM8AJ0g7\",\"type\":\"User\",\"alternateId\":\"alice@exampl"
    "e.com\",\"displayName\":\"Alice Example\",\"detailEntry\":null},\"published\":\"2024-03-05T1"
    "4:21:09Z\",\"uuid\":\"b10\"}\n"
    /* 11: fine */
    "{\"actor\":{\"id\":\"00u1qw1mqitPHM8AJ0g7\",\"type\":\"User\",\"alternateId\":\"alice@exampl"
    "e.com\",\"displayName\":\"Alice Example\",\"detailEntry\":null},\"client\":{\"userAgent\":nu"
    "ll,\"zone\":\"null\",\"device\":\"Computer\",\"id\":null,\"ipAddress\":\"198.51.100.1\","
    "\"geographicalContext\":null},\"device\":null,\"authenticationContext\":{\"authenticationPro"
    "vider\":null,\"credentialProvider\":null,\"credentialType\":null,\"issuer\":null,"
    "\"interface\":null,\"authenticationStep\":0,\"externalSessionId\":null},"
    "\"displayMessage\":\"\",\"eventType\":\"user.session.end\",\"outcome\":{\"result\":\"SUCCESS"
    "\"},\"published\":\"2024-03-05T14:21:10Z\",\"securityContext\":{\"asNumber\":null,"
    "\"asOrg\":null,\"isp\":null,\"domain\":null,\"isProxy\":null},\"severity\":\"INFO\","
    "\"debugContext\":{\"debugData\":{\"requestUri\":\"/api/v1/authn\"}},"
    "\"legacyEventType\":null,\"transaction\":{\"type\":\"WEB\",\"id\":\"ZebkD3xn\","
    "\"detail\":{}},\"uuid\":\"b11\",\"version\":\"0\",\"request\":{\"ipChain\":[]},"
    "\"target\":null}\n";

#define UA                                                                                         \
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_3) AppleWebKit/537.36 (KHTML, like Gecko) "         \
    "Chrome/122.0 Safari/537.36"

static const char events_answer[] =
    "ok 1 alice@example.com|2024-03-05T14:21:09.123000Z|198.51.100.23|user|user.session.start|1 "
    "loc='San Francisco, United States' at=37.7852,-122.3874 ua='" UA "' "
    "sid=102bZDNFfWaQSyEZQuDgWt-uQ id=a1b2c3d4-0001\n"
    "ok 2 alice@example.com|2024-03-05T14:25:41.002000Z|102.89.34.17|user|user.session.start|0 "
    "loc='Lagos, Nigeria' at=6.4531,3.3958 ua='python-requests/2.31.0' id=a1b2c3d4-0002\n"
    "ok 3 alice@example.com|2024-03-05T14:30:00.000000Z|198.51.100.23|Salesforce.com|"
    "user.authentication.sso|1 loc='San Francisco, United States' at=37.7852,-122.3874 ua='" UA
    "' sid=102bZDNFfWaQSyEZQuDgWt-uQ id=a1b2c3d4-0003\n"
    "ok 4 alice@example.com|2024-03-05T14:30:01.000000Z|198.51.100.23|Okta Admin Console|"
    "policy.evaluate_sign_on|1 loc='San Francisco, United States' at=37.7852,-122.3874 ua='" UA
    "' id=a1b2c3d4-0004\n"
    "ok 5 bob@example.com|2024-03-05T14:31:00.000000Z|2001:db8:4::12|Workday|"
    "policy.evaluate_sign_on|0 loc='Berlin, DE' cc=DE at=52.5200,13.4050 ua='curl/8.5.0' "
    "id=a1b2c3d4-0005\n"
    "ok 6 bob@example.com|2024-03-05T14:31:30.000000Z|2001:db8:4::12|Okta Verify|"
    "user.authentication.auth_via_mfa|-1 loc='Berlin, Germany' ua='curl/8.5.0' "
    "id=a1b2c3d4-0006\n"
    "ok 7 system@okta.com|2024-03-05T15:00:00.000000Z|-|system|system.org.rate_limit.warning|-1 "
    "id=a1b2c3d4-0007\n"
    "eof 0 ignored\n";

static void each_outcome_and_place_gives_its_exact_event(void **state)
{
    (void)state;
    assert_string_equal(jt(events, SN_FORMAT_AUTO, SN_FORMAT_OKTA), events_answer);
    assert_string_equal(jt(events, SN_FORMAT_OKTA, SN_FORMAT_OKTA), events_answer);
    jt_same_in_pieces(events, SN_FORMAT_AUTO, SN_FORMAT_OKTA);
}

/* The System Log API answers with a JSON array of LogEvents. Caller frees. */
static char *as_array(const char *lines, size_t flags)
{
    json_t *all = json_array();
    for (const char *p = lines; *p;) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        json_error_t je;
        json_t *rec = json_loadb(p, n, 0, &je);
        assert_non_null(rec);
        json_array_append_new(all, rec);
        p += n + (e ? 1 : 0);
    }
    char *s = json_dumps(all, flags | JSON_PRESERVE_ORDER);
    json_decref(all);
    assert_non_null(s);
    return s;
}

static void api_arrays_give_the_same_events(void **state)
{
    (void)state;
    char *want = jt_without_lines(events_answer);
    const size_t shapes[] = {JSON_COMPACT, JSON_INDENT(4)};
    for (size_t i = 0; i < 2; i++) {
        char *array = as_array(events, shapes[i]);
        char *got = jt_without_lines(jt(array, SN_FORMAT_AUTO, SN_FORMAT_OKTA));
        assert_string_equal(got, want);
        jt_same_in_pieces(array, SN_FORMAT_AUTO, SN_FORMAT_OKTA);
        free(got);
        free(array);
    }
    free(want);
}

static void bad_records_are_reported_and_skipped(void **state)
{
    (void)state;
    static const char answer[] =
        "t.json:1: actor.alternateId: required field is missing or empty\n"
        "t.json:2: actor: expected an object, got a string\n"
        "t.json:3: published: 'yesterday' is not a valid timestamp: expected an ISO 8601 / RFC "
        "3339 date and time, or epoch seconds or milliseconds\n"
        "t.json:4: client.ipAddress: '999.1.1.1' is not an IPv4 or IPv6 address\n"
        "t.json:5: client.geographicalContext.geolocation.lon: missing beside "
        "client.geographicalContext.geolocation.lat\n"
        "t.json:6: client.geographicalContext.geolocation.lat: 123 is out of range (-90 to 90 "
        "degrees)\n"
        "t.json:7: published: required field is missing\n"
        "t.json:8: outcome.result: expected a string, got an integer\n"
        "t.json:9: target: expected an array of objects, got a string\n"
        "t.json:10: eventType: required field is missing or empty\n"
        "ok 11 alice@example.com|2024-03-05T14:21:10.000000Z|198.51.100.1|user|user.session.end|1 "
        "id=b11\n"
        "eof 0 ignored\n";
    assert_string_equal(jt(bad_events, SN_FORMAT_AUTO, SN_FORMAT_OKTA), answer);
    jt_same_in_pieces(bad_events, SN_FORMAT_OKTA, SN_FORMAT_OKTA);
}

/* Records one per line are taken whole; every other shape of line is read as before: two records
 * on a line, CRLF, a record and garbage after it, one nested too deep, a record over lines. */
static void lines_of_every_shape_read_alike(void **state)
{
    (void)state;
    char deep[400] = "{\"uuid\":\"d\",\"published\":\"2024-03-05T14:21:12Z\",\"eventType\":"
                     "\"x\",\"actor\":{\"alternateId\":\"dan\"},\"debug\":";
    for (int i = 0; i < SN_JSON_RECORD_DEPTH; i++)
        strcat(deep, "[");
    for (int i = 0; i < SN_JSON_RECORD_DEPTH; i++)
        strcat(deep, "]");
    strcat(deep, "}\n");
    char input[2048];
    snprintf(input, sizeof(input),
             "{\"uuid\":\"a\",\"published\":\"2024-03-05T14:21:09Z\",\"eventType\":\"e1\","
             "\"actor\":{\"alternateId\":\"ann\"}} {\"uuid\":\"b\",\"published\":"
             "\"2024-03-05T14:21:10Z\",\"eventType\":\"e2\",\"actor\":{\"alternateId\":\"bob\"}}\n"
             "{\"uuid\":\"c\",\"published\":\"2024-03-05T14:21:11Z\",\"eventType\":\"e3\","
             "\"actor\":{\"alternateId\":\"cat\"}}\r\n"
             "{\"uuid\":\"g\",\"published\":\"2024-03-05T14:21:11Z\",\"eventType\":\"e4\","
             "\"actor\":{\"alternateId\":\"gus\"}} junk\n"
             "%s"
             "{\"uuid\":\"m\",\n\"published\":\"2024-03-05T14:21:13Z\",\"eventType\":\"e5\","
             "\"actor\":{\"alternateId\":\"max\"}}\n",
             deep);
    assert_string_equal(
        jt(input, SN_FORMAT_OKTA, SN_FORMAT_OKTA),
        "ok 1 ann|2024-03-05T14:21:09.000000Z|-|e1|e1|-1 id=a\n"
        "ok 1 bob|2024-03-05T14:21:10.000000Z|-|e2|e2|-1 id=b\n"
        "ok 2 cat|2024-03-05T14:21:11.000000Z|-|e3|e3|-1 id=c\n"
        "ok 3 gus|2024-03-05T14:21:11.000000Z|-|e4|e4|-1 id=g\n"
        "t.json:3: not valid JSON (RFC 8259): expected a JSON object or an array of them, got "
        "'junk'\n"
        "t.json:4: JSON nested deeper than 64 levels\n"
        "ok 5 max|2024-03-05T14:21:13.000000Z|-|e5|e5|-1 id=m\n"
        "eof 0 ignored\n");
    jt_same_in_pieces(input, SN_FORMAT_OKTA, SN_FORMAT_OKTA);
}

/* A field on the way to another that is no object is reported, not read as absent. */
static void a_string_where_an_object_goes_is_reported(void **state)
{
    (void)state;
    assert_string_equal(
        jt("{\"uuid\":\"s1\",\"published\":\"2024-03-05T14:21:09Z\",\"eventType\":"
           "\"user.session.start\",\"actor\":{\"alternateId\":\"ann\"},\"outcome\":\"SUCCESS\"}\n"
           "{\"uuid\":\"s2\",\"published\":\"2024-03-05T14:21:10Z\",\"eventType\":"
           "\"user.session.start\",\"actor\":{\"alternateId\":\"ann\"},\"client\":"
           "{\"geographicalContext\":[1]}}\n"
           "{\"uuid\":\"s3\",\"published\":\"2024-03-05T14:21:11Z\",\"eventType\":"
           "\"user.session.start\",\"actor\":{\"alternateId\":\"ann\"},\"outcome\":null}\n",
           SN_FORMAT_OKTA, SN_FORMAT_OKTA),
        "t.json:1: outcome: expected an object, got a string\n"
        "t.json:2: client.geographicalContext: expected an object, got an array\n"
        "ok 3 ann|2024-03-05T14:21:11.000000Z|-|user|user.session.start|-1 id=s3\n"
        "eof 0 ignored\n");
}

static void recognised_and_named(void **state)
{
    (void)state;
    sn_format f;
    assert_int_equal(sn_format_from_name("okta", &f), 0);
    assert_int_equal(f, SN_FORMAT_OKTA);
    assert_string_equal(sn_format_name(SN_FORMAT_OKTA), "okta");
    /* a record pretty-printed alone, then one on a line */
    assert_string_equal(
        jt("{\n  \"uuid\": \"u1\",\n  \"published\": \"2024-03-05T14:21:09Z\",\n  \"eventType\": "
           "\"user.session.start\",\n  \"actor\": {\"alternateId\": \"carol@example.com\"}\n}\n"
           "{\"uuid\":\"u2\",\"published\":\"2024-03-05T14:21:10Z\",\"eventType\":"
           "\"user.session.end\",\"actor\":{\"alternateId\":\"carol@example.com\"}}\n",
           SN_FORMAT_AUTO, SN_FORMAT_OKTA),
        "ok 1 carol@example.com|2024-03-05T14:21:09.000000Z|-|user|user.session.start|-1 id=u1\n"
        "ok 7 carol@example.com|2024-03-05T14:21:10.000000Z|-|user|user.session.end|-1 id=u2\n"
        "eof 0 ignored\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_outcome_and_place_gives_its_exact_event),
        cmocka_unit_test(api_arrays_give_the_same_events),
        cmocka_unit_test(bad_records_are_reported_and_skipped),
        cmocka_unit_test(lines_of_every_shape_read_alike),
        cmocka_unit_test(a_string_where_an_object_goes_is_reported),
        cmocka_unit_test(recognised_and_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
