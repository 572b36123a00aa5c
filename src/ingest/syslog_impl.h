/* Private to the syslog reader: a line's header, and what its message says about an
 * authentication. */
#ifndef SN_SYSLOG_IMPL_H
#define SN_SYSLOG_IMPL_H

#include "ingest_impl.h"

typedef struct sl_header {
    bool iso;                 /* RFC 3339 stamp (with its year) rather than RFC 3164 */
    unsigned mo, d, h, mi, s; /* RFC 3164 stamp */
    int32_t frac_us;          /* fraction of the second of an RFC 3164 stamp */
    const char *stamp, *host, *prog, *msg;
    size_t stamp_n, host_n, prog_n, msg_n; /* host_n and prog_n may be 0 */
} sl_header;

typedef enum sl_kind {
    SL_IGNORED, /* well-formed, but no authentication event */
    SL_EVENT,
    SL_BAD, /* an authentication message that cannot be read: why, field */
} sl_kind;

typedef struct sl_auth {
    sl_kind kind;
    const char *user, *target, *addr; /* spans of the line */
    size_t user_n, target_n, addr_n;  /* target_n 0: the resource is "host/sshd" */
    const char *action;               /* "login", "su", "sudo" */
    int8_t success;
    long count; /* events the line stands for: 1, or N of "message repeated N times" */
    const char *why, *field;
} sl_auth;

/* Reads the message of a parsed header: sshd, su and sudo messages that are authentications
 * become SL_EVENT. */
void sn_syslog_auth_message(const sl_header *h, sl_auth *a);

#endif
