/* The audit key kept beside its log when none is configured: made at the first start the way a
 * host key is (random bytes, owner-only, never replacing a file that is there), and refused
 * later when other users could read or change it, or it is not what was written. */
#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEY_HEX 64

bool sn_audit_key_path(const char *log, char *out, size_t cap)
{
    static const char ext[] = ".jsonl";
    const size_t ext_len = sizeof(ext) - 1;
    size_t n = strlen(log);
    const char *slash = strrchr(log, '/');
    size_t base = slash ? (size_t)(slash + 1 - log) : 0;
    /* audit.jsonl -> audit.key; a name that is only ".jsonl", or has another ending, gets
     * ".key" added, so that the key is never the log itself. */
    size_t stem = n - base > ext_len && !strcmp(log + n - ext_len, ext) ? n - ext_len : n;
    if (stem > (size_t)1 << 20)
        return false;
    int w = snprintf(out, cap, "%.*s.key", (int)stem, log);
    return w > 0 && (size_t)w < cap;
}

static bool all_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
    }
    return true;
}

sn_status sn_audit_key_read(const char *path, sn_secret *out, sn_error *err)
{
    out->data = NULL;
    out->len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return sn_error_set(err, SN_ERR_SECRET, true, path, 0, NULL,
                            "cannot open the audit key file: %s", strerror(errno));
    struct stat st;
    sn_status bad = SN_OK;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        bad = sn_error_set(err, SN_ERR_SECRET, true, path, 0, NULL,
                           "the audit key file is not a regular file");
    else if (st.st_uid != geteuid())
        bad = sn_error_set(err, SN_ERR_SECRET, true, path, 0, NULL,
                           "the audit key file belongs to another user (uid %lu), not to the "
                           "one running this (uid %lu)",
                           (unsigned long)st.st_uid, (unsigned long)geteuid());
    else if (st.st_mode & (S_IRWXG | S_IRWXO))
        bad = sn_error_set(err, SN_ERR_SECRET, true, path, 0, NULL,
                           "the audit key file may be read or changed by other users (mode "
                           "%04o): make it readable by its owner only (chmod 600)",
                           (unsigned)(st.st_mode & 07777));
    else if (st.st_size != KEY_HEX && st.st_size != KEY_HEX + 1)
        bad = sn_error_set(err, SN_ERR_SECRET, true, path, 0, NULL,
                           "the audit key file holds %lld bytes, not 64 hexadecimal digits and "
                           "a newline (65 bytes, as written at the first start)",
                           (long long)st.st_size);
    if (bad != SN_OK) {
        close(fd);
        return bad;
    }
    char buf[KEY_HEX + 1] = {0};
    size_t want = (size_t)st.st_size, got = 0;
    while (got < want) {
        ssize_t r = read(fd, buf + got, want - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    if (got != want || !all_hex(buf, KEY_HEX) || (want == KEY_HEX + 1 && buf[KEY_HEX] != '\n')) {
        OPENSSL_cleanse(buf, sizeof(buf));
        return sn_error_set(err, SN_ERR_SECRET, true, path, 0, NULL,
                            "the audit key file is not 64 hexadecimal digits and a newline "
                            "(as written at the first start)");
    }
    out->data = malloc(KEY_HEX + 1);
    if (!out->data) {
        OPENSSL_cleanse(buf, sizeof(buf));
        return sn_error_set(err, SN_ERR_NOMEM, true, path, 0, NULL, "no memory for the key");
    }
    memcpy(out->data, buf, KEY_HEX);
    out->data[KEY_HEX] = '\0';
    out->len = KEY_HEX;
    OPENSSL_cleanse(buf, sizeof(buf));
    return SN_OK;
}

/* Flushes the directory holding path, so that a new name in it survives a crash. */
static void sync_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash)
        snprintf(dir, sizeof(dir), ".");
    else if (slash == path)
        snprintf(dir, sizeof(dir), "/");
    else if ((size_t)(slash - path) < sizeof(dir))
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
    else
        return;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        if (fsync(fd) != 0) {
        }
        close(fd);
    }
}

/* Writes a new key to path: 64 hexadecimal digits of 32 random bytes and a newline, into a new
 * temporary file (mode 0600) that is then linked to path, so that path appears whole or not at
 * all and a file already there is never replaced. *lost is set when another process made path
 * first (its key is then the one to use). */
static sn_status create_key(const char *path, bool *lost, sn_error *err)
{
    *lost = false;
    unsigned char raw[KEY_HEX / 2];
    char text[KEY_HEX + 1];
    static const char digits[] = "0123456789abcdef";
    if (RAND_bytes(raw, sizeof(raw)) != 1)
        return sn_error_set(err, SN_ERR_CRYPTO, true, path, 0, NULL,
                            "the random generator failed");
    for (size_t i = 0; i < sizeof(raw); i++) {
        text[2 * i] = digits[raw[i] >> 4];
        text[2 * i + 1] = digits[raw[i] & 15];
    }
    text[KEY_HEX] = '\n';
    OPENSSL_cleanse(raw, sizeof(raw));
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp) {
        OPENSSL_cleanse(text, sizeof(text));
        return sn_error_set(err, SN_ERR_NOMEM, true, path, 0, NULL, "out of memory");
    }
    snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp); /* O_EXCL, mode 0600: a new file nobody else holds */
    int e = fd < 0 ? errno : 0;
    if (!e && fchmod(fd, 0600) != 0)
        e = errno;
    for (size_t done = 0; !e && done < sizeof(text);) {
        ssize_t n = write(fd, text + done, sizeof(text) - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            e = n < 0 ? errno : EIO;
        else
            done += (size_t)n;
    }
    OPENSSL_cleanse(text, sizeof(text));
    if (!e && fsync(fd) != 0)
        e = errno;
    if (fd >= 0 && close(fd) != 0 && !e)
        e = errno;
    if (!e && link(tmp, path) != 0) {
        e = errno;
        if (e == EEXIST) {
            *lost = true;
            e = 0;
        }
    }
    if (fd >= 0)
        unlink(tmp);
    free(tmp);
    if (e)
        return sn_error_set(err, SN_ERR_IO, true, path, 0, NULL,
                            "cannot create the audit key file: %s", strerror(e));
    sync_dir(path);
    return SN_OK;
}

sn_status sn_audit_key_load_or_create(const char *path, bool may_create, sn_secret *out,
                                      bool *created, sn_error *err)
{
    *created = false;
    out->data = NULL;
    out->len = 0;
    struct stat st;
    if (may_create && lstat(path, &st) != 0 && errno == ENOENT) {
        bool lost;
        sn_status s = create_key(path, &lost, err);
        if (s != SN_OK)
            return s;
        *created = !lost;
    }
    return sn_audit_key_read(path, out, err);
}
