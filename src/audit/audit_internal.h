/* Shared by the audit log's writer and verifier only. */
#ifndef SN_AUDIT_INTERNAL_H
#define SN_AUDIT_INTERNAL_H

#include "audit.h"

/* What the first record's prev is the MAC of. */
#define SN_AUDIT_GENESIS "sentinel audit log v1 genesis"
/* Longest key kept, in bytes. */
#define SN_AUDIT_MAX_KEY 256
/* ,"mac":"<64 hex>"} */
#define SN_AUDIT_MAC_TAIL 74

/* The genesis value of key (64 hex digits and a NUL). */
void sn_audit_genesis(const unsigned char *key, size_t key_len, char out[65]);
/* The mac of a record line whose first signed_len bytes it covers: HMAC over those bytes and a
 * closing '}'. false when the library fails. */
bool sn_audit_mac(const unsigned char *key, size_t key_len, const char *line, size_t signed_len,
                  char out[65]);
/* Makes v take the next line as a starting point: its mac is checked, not its link or seq (for
 * checking the tail of a log without reading all of it). */
void sn_audit_verifier_resume(sn_audit_verifier *v);

#endif
