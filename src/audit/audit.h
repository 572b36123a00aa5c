/* The tamper-evident audit log: append-only JSON lines, each record carrying the HMAC-SHA-256 of
 * its own bytes and the MAC of the record before it, so that editing, removing or reordering any
 * record is detected by `sentinel audit verify`.
 *
 * A record is one line, its members always in this order and without spaces:
 *   {"seq":N,"time":"2026-12-03T14:02:34.269093Z","kind":"api_call","actor":"anonymous",
 *    "source":"127.0.0.1","details":{...},"prev":"<64 hex>","mac":"<64 hex>"}
 * mac = HMAC-SHA-256(audit key, the line up to the mac member, closed with '}'), that is the
 * record as written without its mac. prev is the mac of the record before it; the first record's
 * prev is the genesis value HMAC-SHA-256(audit key, "sentinel audit log v1 genesis"), so that
 * nobody without the key can start a log or a forged first record. */
#ifndef SN_AUDIT_H
#define SN_AUDIT_H

#include "../core/error.h"
#include "../core/secret.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest record, newline included; longer details are cut (the record then says
 * "truncated": true in its details) and the verifier refuses longer lines. */
#define SN_AUDIT_MAX_RECORD 16384
/* Shortest audit key accepted, in bytes. */
#define SN_AUDIT_MIN_KEY 32
/* Longest detail value kept, in bytes (cut at a character boundary). */
#define SN_AUDIT_MAX_VALUE 512
/* Most detail fields in one record. */
#define SN_AUDIT_MAX_FIELDS 32

typedef struct sn_audit sn_audit;

typedef struct sn_audit_options {
    const char *path;         /* the log; created (mode 0600) when missing */
    const unsigned char *key; /* the MAC key, at least SN_AUDIT_MIN_KEY bytes (copied) */
    size_t key_len;
    const unsigned char *pseudonym_key; /* NULL: personal fields recorded as given (copied) */
    size_t pseudonym_key_len;
    /* 0: fdatasync after every record, before the call returns. N > 0: every record is written
     * at once (a crash of the process loses nothing) and a thread of the log's own calls
     * fdatasync at most every N ms when something was written (a crash of the machine loses at
     * most the last N ms). */
    int fsync_ms;
    /* The clock of the records' time, in microseconds since the epoch; NULL: the real time. */
    int64_t (*now_us)(void);
} sn_audit_options;

/* Opens the log for appending. An existing log is continued: its last record is read and checked
 * (its mac, and its link to the record before it) and the chain goes on from it; a log whose tail
 * fails (changed, not a record) is refused with SN_ERR_CRYPTO or SN_ERR_PARSE and a message
 * saying why and what to do. A last record cut short (no newline, at most SN_AUDIT_MAX_RECORD
 * bytes: what a crash in the middle of a write leaves) is cut off, and the first record written
 * is an "audit_recovered" one with details {"cut_bytes", "cut_sha256", "after_seq"}, so that the
 * cut is in the chain; sn_audit_recovered_bytes then says how many bytes went. A log open in another process is refused (SN_ERR_IO). A key
 * shorter than SN_AUDIT_MIN_KEY is refused (SN_ERR_SECRET). Free with sn_audit_close. */
sn_status sn_audit_open(sn_audit **out, const sn_audit_options *o, sn_error *err);
/* Writes out what remains (fdatasync) and frees; NULL is allowed. */
void sn_audit_close(sn_audit *a);
/* Bytes of an unfinished last record cut off when the log was opened (0: none). */
uint64_t sn_audit_recovered_bytes(const sn_audit *a);

/* ---- Writing records ------------------------------------------------------------------- */

typedef enum sn_audit_type {
    SN_AUDIT_STR,      /* text (cut to SN_AUDIT_MAX_VALUE bytes; invalid UTF-8 replaced) */
    SN_AUDIT_PERSONAL, /* text about a person (a user id, an address): pseudonymised when a
                          pseudonym key is configured */
    SN_AUDIT_INT,
    SN_AUDIT_BOOL,
} sn_audit_type;

/* One member of a record's details. Names are lower-case [a-z0-9_]; a name on the denylist
 * (passwords, tokens, keys, secrets, Authorization headers, cookies, credentials) is dropped with
 * its value, and so is any text value that is an Authorization header's ("Bearer ...",
 * "Basic ..."); the names dropped are listed in the details' "redacted" member. */
typedef struct sn_audit_field {
    const char *name;
    sn_audit_type type;
    const char *str; /* STR and PERSONAL; NULL is written as null */
    long long num;   /* INT; BOOL (0 or 1) */
} sn_audit_field;

#define SN_AUDIT_S(n, v) ((sn_audit_field){(n), SN_AUDIT_STR, (v), 0})
#define SN_AUDIT_P(n, v) ((sn_audit_field){(n), SN_AUDIT_PERSONAL, (v), 0})
#define SN_AUDIT_I(n, v) ((sn_audit_field){(n), SN_AUDIT_INT, NULL, (long long)(v)})
#define SN_AUDIT_B(n, v) ((sn_audit_field){(n), SN_AUDIT_BOOL, NULL, (v) ? 1 : 0})

/* One record to append. */
typedef struct sn_audit_rec {
    const char *kind;   /* auth, api_call, prediction, key_change, config_change, model_change,
                           retention, erasure, alert, ...: [a-z_], 1-32 characters */
    const char *actor;  /* key id or token subject of whoever acted; NULL: "anonymous" */
    const char *source; /* the client's address (pseudonymised like a PERSONAL field); NULL: null */
    const sn_audit_field *fields;
    size_t n_fields;
} sn_audit_rec;

/* Appends one record. Thread-safe: records from many threads get consecutive seq numbers in the
 * order they are written. a == NULL does nothing and returns SN_OK (the log is off). On a write
 * failure the file is cut back to its last whole record, the chain stays where it was and
 * SN_ERR_IO is returned; a bad kind or field name is SN_ERR_USAGE. */
sn_status sn_audit_record(sn_audit *a, const sn_audit_rec *rec, sn_error *err);
/* Appends n records with as few writes as possible (a batch's predictions); same rules. */
sn_status sn_audit_record_many(sn_audit *a, const sn_audit_rec *recs, size_t n, sn_error *err);

/* An authentication attempt: kind "auth", details {"outcome": "success"|"failure", "reason"}.
 * actor is the key id or subject claimed (never the key or token itself); reason may be NULL. */
sn_status sn_audit_auth(sn_audit *a, const char *actor, const char *source, bool ok,
                        const char *reason);

/* Records written since open, and writes that failed. */
uint64_t sn_audit_records(const sn_audit *a);
uint64_t sn_audit_failures(const sn_audit *a);

/* The pseudonym of value: "p:" and HMAC-SHA-256(pseudonym key, value) in hex (66 characters and
 * a NUL). Without a pseudonym key, false. */
bool sn_audit_pseudonym(const sn_audit *a, const char *value, size_t n, char out[67]);
/* The same from a key, for `sentinel audit pseudonym` to find a person's records. */
void sn_audit_pseudonym_with(const unsigned char *key, size_t key_len, const char *value, size_t n,
                             char out[67]);

/* Whether a detail field name is on the denylist (case-insensitive; '-' counts as '_'). */
bool sn_audit_name_denied(const char *name);

/* ---- Verifying ------------------------------------------------------------------------- */

/* Why a record failed verification. */
typedef enum sn_audit_fault {
    SN_AUDIT_FAULT_NONE,
    SN_AUDIT_FAULT_MALFORMED, /* not a JSON record of the layout above (or cut short) */
    SN_AUDIT_FAULT_MAC,       /* its mac does not match its bytes */
    SN_AUDIT_FAULT_CHAIN,     /* its prev is not the previous record's mac */
    SN_AUDIT_FAULT_SEQ,       /* its seq is not one more than the previous record's */
    SN_AUDIT_FAULT_ANCHOR,    /* the anchored record is missing or not the one anchored */
} sn_audit_fault;

/* What the parser takes out of one line. */
typedef struct sn_audit_parsed {
    uint64_t seq; /* 0 when unknown */
    char prev[65], mac[65];
    size_t signed_len; /* bytes of the line the mac covers, before the closing '}' */
} sn_audit_parsed;

/* Parses one line (without its newline) as a record. SN_OK, or SN_ERR_PARSE with why filled (a
 * plain sentence) and out->seq set when at least the seq could be read. */
sn_status sn_audit_parse_line(const char *line, size_t n, sn_audit_parsed *out, char *why,
                              size_t why_cap);

/* Checks records one line at a time, in order. */
typedef struct sn_audit_verifier {
    unsigned char key[256];
    size_t key_len;
    char genesis[65];
    char last_mac[65];
    uint64_t last_seq, records;
    long line;
    /* A record known from elsewhere (a seq and mac kept since): 0 when none. */
    uint64_t anchor_seq;
    char anchor_mac[65];
    /* The first fault: where and why. */
    sn_audit_fault fault;
    long fault_line;
    uint64_t fault_seq; /* 0 when the line's seq could not be read */
    char why[384];
} sn_audit_verifier;

/* key_len at most 256 bytes (SN_ERR_SECRET otherwise). */
sn_status sn_audit_verifier_init(sn_audit_verifier *v, const unsigned char *key, size_t key_len,
                                 sn_error *err);
/* Feeds the next line (without its newline; complete is false for a last line that has none).
 * Returns false at the first fault (and from then on). */
bool sn_audit_verifier_line(sn_audit_verifier *v, const char *line, size_t n, bool complete);
/* Sets the anchor from "SEQ:MAC" (what `sentinel audit verify` printed for the last record at
 * an earlier check): the log must still hold that record, so that records removed from its end
 * are found. SN_ERR_USAGE when text is not of that form. */
sn_status sn_audit_verifier_anchor(sn_audit_verifier *v, const char *text, sn_error *err);
/* After the last line: a fault when the log ends before the anchored record. */
void sn_audit_verifier_finish(sn_audit_verifier *v);
/* The fault as one sentence: "line 3 (seq 3): mac mismatch: ..." */
void sn_audit_verifier_describe(const sn_audit_verifier *v, char *out, size_t cap);

/* Verifies a whole file: reads it line by line (lines longer than SN_AUDIT_MAX_RECORD are
 * faults, never held whole), then sn_audit_verifier_finish. SN_OK once the file was read (v
 * tells whether it is intact);
 * SN_ERR_IO when it cannot be read. */
sn_status sn_audit_verify_file(const char *path, sn_audit_verifier *v, sn_error *err);

/* ---- The key beside the log ------------------------------------------------------------ */

/* Where the key of the log at path lives when no key is configured: beside it, the log's name
 * with a final ".jsonl" replaced by ".key" (audit.jsonl -> audit.key), else with ".key" added
 * (audit.log -> audit.log.key). false when it does not fit in cap. */
bool sn_audit_key_path(const char *log, char *out, size_t cap);
/* Reads such a key file: 64 hexadecimal digits and an optional newline (the key is the 64
 * digits, as if given in SENTINEL_AUDIT_KEY). Refused with SN_ERR_SECRET when it is not a
 * regular file owned by the user running this, its group or others may read or change it, or
 * it holds anything else; the message names the file and says what to do, never the key. */
sn_status sn_audit_key_read(const char *path, sn_secret *out, sn_error *err);
/* The same, making the file first when it is missing and may_create: 32 bytes of OpenSSL's
 * RAND_bytes written as 64 hexadecimal digits and a newline into a new owner-only (0600) file
 * that appears whole under its name or not at all and never replaces one already there (when
 * another process makes it first, that one is read). *created tells whether this call made
 * it. SN_ERR_IO (with strerror) when it cannot be written. */
sn_status sn_audit_key_load_or_create(const char *path, bool may_create, sn_secret *out,
                                      bool *created, sn_error *err);

#endif
