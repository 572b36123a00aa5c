/* libFuzzer target: the audit log's record parser and verifier on any bytes, as one line and as
 * a file of lines, with a fixed key (so that a valid record is reachable from the corpus). */
#include "audit/audit.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned char key[] = "0123456789abcdef0123456789abcdef";
    const char *text = (const char *)data;
    sn_audit_parsed p;
    char why[256];
    sn_audit_parse_line(text, size, &p, why, sizeof(why));

    sn_audit_verifier v;
    sn_error err;
    if (sn_audit_verifier_init(&v, key, 32, &err) != SN_OK)
        return 0;
    /* An anchor past the corpus's three records, so that the end check runs too. */
    sn_audit_verifier_anchor(
        &v, "4:0000000000000000000000000000000000000000000000000000000000000000", &err);
    size_t start = 0;
    while (start < size) {
        const char *nl = memchr(text + start, '\n', size - start);
        size_t end = nl ? (size_t)(nl - text) : size;
        if (!sn_audit_verifier_line(&v, text + start, end - start, nl != NULL))
            break;
        start = end + 1;
    }
    sn_audit_verifier_finish(&v);
    char msg[1024];
    sn_audit_verifier_describe(&v, msg, sizeof(msg));
    return 0;
}
