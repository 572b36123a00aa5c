/* The project's one error vocabulary and the error object that carries details to the user. */
#ifndef SN_ERROR_H
#define SN_ERROR_H

#include <stdbool.h>
#include <stddef.h>

/* X(code, name, message): one table generates the enum, names and messages. */
#define SN_STATUS_TABLE(X)                                                                         \
    X(SN_OK, "ok", "success")                                                                      \
    X(SN_EOF, "eof", "end of input")                                                               \
    X(SN_ERR_NOMEM, "nomem", "out of memory")                                                      \
    X(SN_ERR_IO, "io", "input/output error")                                                       \
    X(SN_ERR_USAGE, "usage", "invalid usage")                                                      \
    X(SN_ERR_PARSE, "parse", "malformed input")                                                    \
    X(SN_ERR_MISSING, "missing", "required field missing")                                         \
    X(SN_ERR_RANGE, "range", "value out of range")                                                 \
    X(SN_ERR_TOO_LONG, "too_long", "field too long")                                               \
    X(SN_ERR_UTF8, "utf8", "invalid UTF-8")                                                        \
    X(SN_ERR_FORMAT, "format", "unrecognised input format")                                        \
    X(SN_ERR_EMPTY, "empty", "input is empty")                                                     \
    X(SN_ERR_MODEL, "model", "invalid model file")                                                 \
    X(SN_ERR_LIMIT, "limit", "resource limit exceeded")                                            \
    X(SN_ERR_SECRET, "secret", "secret unavailable or unsafe")                                     \
    X(SN_ERR_AUTH, "auth", "authentication failed")                                                \
    X(SN_ERR_DENIED, "denied", "not allowed")                                                      \
    X(SN_ERR_CRYPTO, "crypto", "cryptographic check failed")                                       \
    X(SN_ERR_STORE, "store", "store error")

typedef enum {
#define SN_X_ENUM(code, name, msg) code,
    SN_STATUS_TABLE(SN_X_ENUM)
#undef SN_X_ENUM
        SN_STATUS_COUNT
} sn_status;

/* Details for the user: which file, line and field, and why. */
typedef struct sn_error {
    sn_status code;
    bool fatal;     /* false: one record is bad, the rest of the input can go on */
    char file[256]; /* "" when not about a file */
    long line;      /* 0 when unknown */
    char field[64]; /* "" when not about one field */
    char msg[512];  /* human-readable reason */
} sn_error;

const char *sn_status_name(sn_status s);
const char *sn_status_message(sn_status s);

/* Fills err (if not NULL) and returns code. file/field may be NULL. */
sn_status sn_error_set(sn_error *err, sn_status code, bool fatal, const char *file, long line,
                       const char *field, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

void sn_error_clear(sn_error *err);

/* "FILE:LINE: FIELD: why" (parts omitted when unknown). Returns the length written. */
size_t sn_error_format(const sn_error *err, char *buf, size_t n);

#endif
