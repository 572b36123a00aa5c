/* Error vocabulary: names, messages and formatting of sn_error. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const status_names[] = {
#define SN_X_NAME(code, name, msg) name,
    SN_STATUS_TABLE(SN_X_NAME)
#undef SN_X_NAME
};

static const char *const status_messages[] = {
#define SN_X_MSG(code, name, msg) msg,
    SN_STATUS_TABLE(SN_X_MSG)
#undef SN_X_MSG
};

const char *sn_status_name(sn_status s)
{
    return (unsigned)s < SN_STATUS_COUNT ? status_names[s] : "unknown";
}

const char *sn_status_message(sn_status s)
{
    return (unsigned)s < SN_STATUS_COUNT ? status_messages[s] : "unknown error";
}

void sn_error_clear(sn_error *err)
{
    if (err)
        memset(err, 0, sizeof(*err));
}

sn_status sn_error_set(sn_error *err, sn_status code, bool fatal, const char *file, long line,
                       const char *field, const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    err->fatal = fatal;
    snprintf(err->file, sizeof(err->file), "%s", file ? file : "");
    err->line = line;
    snprintf(err->field, sizeof(err->field), "%s", field ? field : "");
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
    } else {
        snprintf(err->msg, sizeof(err->msg), "%s", sn_status_message(code));
    }
    return code;
}

size_t sn_error_format(const sn_error *err, char *buf, size_t n)
{
    int w = 0;
    if (!buf || n == 0)
        return 0;
    buf[0] = '\0';
    if (err->file[0] && err->line > 0)
        w = snprintf(buf, n, "%s:%ld: ", err->file, err->line);
    else if (err->file[0])
        w = snprintf(buf, n, "%s: ", err->file);
    if (w < 0 || (size_t)w >= n)
        return strlen(buf);
    if (err->field[0]) {
        int k = snprintf(buf + w, n - (size_t)w, "%s: ", err->field);
        if (k < 0 || (size_t)w + (size_t)k >= n)
            return strlen(buf);
        w += k;
    }
    snprintf(buf + w, n - (size_t)w, "%s", err->msg[0] ? err->msg : sn_status_message(err->code));
    return strlen(buf);
}
