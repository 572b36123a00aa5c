/* Reading the audit log back: the record parser and the verifier that names the first record
 * that was changed, removed, reordered or cut short. */
#include "audit_internal.h"

#include "../core/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void sn_audit_genesis(const unsigned char *key, size_t key_len, char out[65])
{
    if (sn_hmac_hex(key, key_len, SN_AUDIT_GENESIS, strlen(SN_AUDIT_GENESIS), out) != SN_OK)
        out[0] = '\0';
}

bool sn_audit_mac(const unsigned char *key, size_t key_len, const char *line, size_t signed_len,
                  char out[65])
{
    /* The record without its mac ends where the mac member began, closed by '}'. */
    char stack[1024];
    char *m = signed_len + 1 <= sizeof(stack) ? stack : malloc(signed_len + 1);
    if (!m) {
        out[0] = '\0';
        return false;
    }
    memcpy(m, line, signed_len);
    m[signed_len] = '}';
    bool ok = sn_hmac_hex(key, key_len, m, signed_len + 1, out) == SN_OK;
    if (m != stack)
        free(m);
    return ok;
}

static bool is_hex64(const char *s)
{
    if (strlen(s) != 64)
        return false;
    for (int i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

/* The seq of a line that starts as a record does, whatever follows; 0 otherwise. */
static uint64_t leading_seq(const char *line, size_t n)
{
    static const char head[] = "{\"seq\":";
    size_t h = sizeof(head) - 1;
    if (n <= h || memcmp(line, head, h) != 0)
        return 0;
    uint64_t v = 0;
    size_t i = h;
    for (; i < n && i < h + 19 && line[i] >= '0' && line[i] <= '9'; i++)
        v = v * 10 + (uint64_t)(line[i] - '0');
    return i < n && (line[i] == ',' || line[i] == '}') ? v : 0;
}

static void parse_fail(char *why, size_t cap, const char *problem)
{
    snprintf(why, cap, "malformed record: %s", problem);
}

sn_status sn_audit_parse_line(const char *line, size_t n, sn_audit_parsed *out, char *why,
                              size_t why_cap)
{
    memset(out, 0, sizeof(*out));
    out->seq = leading_seq(line, n);
    json_error_t jerr;
    json_t *root = json_loadb(line, n, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        snprintf(why, why_cap, "malformed JSON: %s (column %d)", jerr.text, jerr.column);
        return SN_ERR_PARSE;
    }
    sn_status st = SN_ERR_PARSE;
    json_t *seq = json_object_get(root, "seq");
    json_t *prev = json_object_get(root, "prev");
    json_t *mac = json_object_get(root, "mac");
    json_t *source = json_object_get(root, "source");
    static const char *const strings[] = {"time", "kind", "actor"};
    if (!json_is_object(root)) {
        parse_fail(why, why_cap, "not a JSON object");
        goto done;
    }
    if (!json_is_integer(seq) || json_integer_value(seq) < 1) {
        parse_fail(why, why_cap, "seq is not a positive integer");
        goto done;
    }
    out->seq = (uint64_t)json_integer_value(seq);
    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
        if (!json_is_string(json_object_get(root, strings[i]))) {
            char problem[64];
            snprintf(problem, sizeof(problem), "%s is missing or not a string", strings[i]);
            parse_fail(why, why_cap, problem);
            goto done;
        }
    if (source && !json_is_string(source) && !json_is_null(source)) {
        parse_fail(why, why_cap, "source is not a string or null");
        goto done;
    }
    if (!json_is_object(json_object_get(root, "details"))) {
        parse_fail(why, why_cap, "details is missing or not an object");
        goto done;
    }
    if (!json_is_string(prev) || !is_hex64(json_string_value(prev))) {
        parse_fail(why, why_cap, "prev is not 64 hexadecimal digits");
        goto done;
    }
    if (!json_is_string(mac) || !is_hex64(json_string_value(mac))) {
        parse_fail(why, why_cap, "mac is not 64 hexadecimal digits");
        goto done;
    }
    /* The mac covers the bytes before it: it must be the last member, written as the writer
     * writes it. */
    if (n < SN_AUDIT_MAC_TAIL + 2 || memcmp(line + n - SN_AUDIT_MAC_TAIL, ",\"mac\":\"", 8) != 0 ||
        memcmp(line + n - 66, json_string_value(mac), 64) != 0 || line[n - 2] != '"' ||
        line[n - 1] != '}') {
        parse_fail(why, why_cap, "mac is not its last member");
        goto done;
    }
    memcpy(out->prev, json_string_value(prev), 65);
    memcpy(out->mac, json_string_value(mac), 65);
    out->signed_len = n - SN_AUDIT_MAC_TAIL;
    st = SN_OK;
done:
    json_decref(root);
    return st;
}

sn_status sn_audit_verifier_init(sn_audit_verifier *v, const unsigned char *key, size_t key_len,
                                 sn_error *err)
{
    memset(v, 0, sizeof(*v));
    if (key_len == 0 || key_len > sizeof(v->key))
        return sn_error_set(err, SN_ERR_SECRET, true, NULL, 0, NULL,
                            "the audit key must be 1-%zu bytes", sizeof(v->key));
    memcpy(v->key, key, key_len);
    v->key_len = key_len;
    sn_audit_genesis(key, key_len, v->genesis);
    if (!v->genesis[0])
        return sn_error_set(err, SN_ERR_CRYPTO, true, NULL, 0, NULL, "HMAC-SHA-256 failed");
    return SN_OK;
}

/* A fresh verifier's records counter starts at 0; a resumed one marks that with this value of
 * last_seq until its first line has been taken. */
#define RESUMING UINT64_MAX

void sn_audit_verifier_resume(sn_audit_verifier *v)
{
    v->last_seq = RESUMING;
}

static bool fault(sn_audit_verifier *v, sn_audit_fault f, uint64_t seq, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static bool fault(sn_audit_verifier *v, sn_audit_fault f, uint64_t seq, const char *fmt, ...)
{
    v->fault = f;
    v->fault_line = v->line;
    v->fault_seq = seq;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->why, sizeof(v->why), fmt, ap);
    va_end(ap);
    return false;
}

bool sn_audit_verifier_line(sn_audit_verifier *v, const char *line, size_t n, bool complete)
{
    if (v->fault)
        return false;
    v->line++;
    if (n > SN_AUDIT_MAX_RECORD - 1)
        return fault(v, SN_AUDIT_FAULT_MALFORMED, 0, "malformed record: longer than %d bytes",
                     SN_AUDIT_MAX_RECORD - 1);
    if (!complete)
        return fault(v, SN_AUDIT_FAULT_MALFORMED, leading_seq(line, n),
                     "record cut short: the file ends inside it (no newline)");
    if (n == 0)
        return fault(v, SN_AUDIT_FAULT_MALFORMED, 0, "malformed record: empty line");
    sn_audit_parsed p;
    char why[256];
    if (sn_audit_parse_line(line, n, &p, why, sizeof(why)) != SN_OK)
        return fault(v, SN_AUDIT_FAULT_MALFORMED, p.seq, "%s", why);
    char mac[65];
    if (!sn_audit_mac(v->key, v->key_len, line, p.signed_len, mac))
        return fault(v, SN_AUDIT_FAULT_MAC, p.seq, "HMAC-SHA-256 failed");
    if (CRYPTO_memcmp(mac, p.mac, 64) != 0)
        return fault(v, SN_AUDIT_FAULT_MAC, p.seq,
                     "mac mismatch: the record was changed after it was written (or the key is "
                     "not this log's)");
    if (v->last_seq == RESUMING) {
        v->last_seq = p.seq;
    } else if (v->records == 0 && v->last_seq == 0) {
        if (strcmp(p.prev, v->genesis) != 0)
            return fault(v, SN_AUDIT_FAULT_CHAIN, p.seq,
                         "chain broken: the first record does not start the chain (records "
                         "before it were removed, or it was moved here)");
        if (p.seq != 1)
            return fault(v, SN_AUDIT_FAULT_SEQ, p.seq,
                         "sequence gap: seq %llu where 1 was expected", (unsigned long long)p.seq);
    } else {
        if (strcmp(p.prev, v->last_mac) != 0)
            return fault(v, SN_AUDIT_FAULT_CHAIN, p.seq,
                         "chain broken: its prev is not the mac of the record before it (line "
                         "%ld, seq %llu): a record was removed or reordered",
                         v->line - 1, (unsigned long long)v->last_seq);
        if (p.seq != v->last_seq + 1)
            return fault(v, SN_AUDIT_FAULT_SEQ, p.seq,
                         "sequence gap: seq %llu where %llu was expected",
                         (unsigned long long)p.seq, (unsigned long long)v->last_seq + 1);
    }
    if (v->anchor_seq && p.seq == v->anchor_seq && strcmp(p.mac, v->anchor_mac) != 0)
        return fault(v, SN_AUDIT_FAULT_ANCHOR, p.seq,
                     "anchor mismatch: this is not the record anchored as seq %llu (its mac "
                     "differs): the log was rewritten from here or earlier",
                     (unsigned long long)p.seq);
    v->last_seq = p.seq;
    memcpy(v->last_mac, p.mac, 65);
    v->records++;
    return true;
}

sn_status sn_audit_verifier_anchor(sn_audit_verifier *v, const char *text, sn_error *err)
{
    const char *colon = strchr(text, ':');
    uint64_t seq = 0;
    const char *p = text;
    for (; p < colon && *p >= '0' && *p <= '9' && seq < UINT64_MAX / 10; p++)
        seq = seq * 10 + (uint64_t)(*p - '0');
    if (!colon || p != colon || seq == 0 || !is_hex64(colon + 1))
        return sn_error_set(err, SN_ERR_USAGE, true, NULL, 0, "--anchor",
                            "expected SEQ:MAC (a seq and its record's 64-digit mac, as `sentinel "
                            "audit verify` prints them)");
    v->anchor_seq = seq;
    memcpy(v->anchor_mac, colon + 1, 65);
    return SN_OK;
}

void sn_audit_verifier_finish(sn_audit_verifier *v)
{
    if (v->fault || !v->anchor_seq || (v->records && v->last_seq >= v->anchor_seq))
        return;
    v->line++;
    fault(v, SN_AUDIT_FAULT_ANCHOR, 0,
          "the log ends at seq %llu, before the anchored record seq %llu: records were removed "
          "from its end",
          (unsigned long long)(v->records ? v->last_seq : 0), (unsigned long long)v->anchor_seq);
}

void sn_audit_verifier_describe(const sn_audit_verifier *v, char *out, size_t cap)
{
    if (!v->fault) {
        snprintf(out, cap, "%llu records, chain intact", (unsigned long long)v->records);
        return;
    }
    if (v->fault_seq)
        snprintf(out, cap, "line %ld (seq %llu): %s", v->fault_line,
                 (unsigned long long)v->fault_seq, v->why);
    else
        snprintf(out, cap, "line %ld: %s", v->fault_line, v->why);
}

sn_status sn_audit_verify_file(const char *path, sn_audit_verifier *v, sn_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return sn_error_set(err, SN_ERR_IO, true, path, 0, NULL, "cannot open: %s",
                            strerror(errno));
    char *line = malloc(SN_AUDIT_MAX_RECORD);
    char *chunk = malloc(65536);
    if (!line || !chunk) {
        free(line);
        free(chunk);
        close(fd);
        return sn_error_set(err, SN_ERR_NOMEM, true, path, 0, NULL, "out of memory");
    }
    /* len counts the whole line; only the first SN_AUDIT_MAX_RECORD bytes are kept, and a longer
     * line is refused on its length alone. */
    size_t len = 0;
    sn_status st = SN_OK;
    for (;;) {
        ssize_t got = read(fd, chunk, 65536);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            st = sn_error_set(err, SN_ERR_IO, true, path, v->line + 1, NULL, "cannot read: %s",
                              strerror(errno));
            break;
        }
        if (got == 0) {
            if (len > 0)
                sn_audit_verifier_line(v, line, len, false);
            break;
        }
        const char *p = chunk, *end = chunk + got;
        while (p < end && !v->fault) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t take = (size_t)((nl ? nl : end) - p);
            if (len < SN_AUDIT_MAX_RECORD) {
                size_t room = SN_AUDIT_MAX_RECORD - len;
                memcpy(line + len, p, take < room ? take : room);
            }
            len += take;
            if (len > SN_AUDIT_MAX_RECORD - 1) {
                sn_audit_verifier_line(v, line, len, true);
                break;
            }
            if (!nl)
                break;
            sn_audit_verifier_line(v, line, len, true);
            len = 0;
            p = nl + 1;
        }
        if (v->fault)
            break;
    }
    if (st == SN_OK)
        sn_audit_verifier_finish(v);
    free(line);
    free(chunk);
    close(fd);
    return st;
}
