/* Loading secrets safely: permission checks, bounded reads, wiping, and the keyed token. */
#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static sn_status secret_bad(sn_error *err, const char *where, const char *why)
{
    return sn_error_set(err, SN_ERR_SECRET, true, where, 0, NULL, "%s", why);
}

static void trim_newline(sn_secret *s)
{
    if (s->len > 0 && s->data[s->len - 1] == '\n')
        s->len--;
    if (s->len > 0 && s->data[s->len - 1] == '\r')
        s->len--;
    s->data[s->len] = '\0';
}

sn_status sn_secret_from_file(const char *path, sn_secret *out, sn_error *err)
{
    out->data = NULL;
    out->len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return sn_error_set(err, SN_ERR_SECRET, true, path, 0, NULL, "cannot open secret file: %s",
                            strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return secret_bad(err, path, "secret file is not a regular file");
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        close(fd);
        return secret_bad(err, path,
                          "secret file may be read or changed by other users: "
                          "make it readable by its owner only (chmod 600)");
    }
    if (st.st_size <= 0 || st.st_size > SN_SECRET_MAX) {
        close(fd);
        return secret_bad(err, path,
                          st.st_size <= 0 ? "secret file is empty" : "secret file is too large");
    }
    size_t want = (size_t)st.st_size;
    unsigned char *data = malloc(want + 1);
    if (!data) {
        close(fd);
        return sn_error_set(err, SN_ERR_NOMEM, true, path, 0, NULL, "no memory for the secret");
    }
    size_t got = 0;
    while (got < want) {
        ssize_t n = read(fd, data + got, want - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (got != want) {
        OPENSSL_cleanse(data, want + 1);
        free(data);
        return secret_bad(err, path, "secret file changed while it was read");
    }
    out->data = data;
    out->len = got;
    trim_newline(out);
    if (out->len == 0) {
        sn_secret_free(out);
        return secret_bad(err, path, "secret file is empty");
    }
    return SN_OK;
}

sn_status sn_secret_from_env(const char *name, sn_secret *out, sn_error *err)
{
    out->data = NULL;
    out->len = 0;
    const char *v = getenv(name);
    if (!v || !*v)
        return sn_error_set(err, SN_ERR_SECRET, true, NULL, 0, name,
                            "environment variable is not set");
    size_t n = strnlen(v, SN_SECRET_MAX + 1);
    if (n > SN_SECRET_MAX)
        return sn_error_set(err, SN_ERR_SECRET, true, NULL, 0, name,
                            "environment variable is too long for a secret");
    out->data = malloc(n + 1);
    if (!out->data)
        return sn_error_set(err, SN_ERR_NOMEM, true, NULL, 0, name, "no memory for the secret");
    memcpy(out->data, v, n);
    out->len = n;
    trim_newline(out);
    return SN_OK;
}

sn_status sn_secret_load(const char *path, const char *env_name, sn_secret *out, sn_error *err)
{
    if (path && *path)
        return sn_secret_from_file(path, out, err);
    if (env_name && *env_name)
        return sn_secret_from_env(env_name, out, err);
    out->data = NULL;
    out->len = 0;
    return sn_error_set(err, SN_ERR_SECRET, true, NULL, 0, NULL,
                        "no secret configured (give a file or an environment variable)");
}

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

sn_status sn_secret_key32(const sn_secret *s, unsigned char key[32], sn_error *err)
{
    if (!s->data || s->len != 64)
        return sn_error_set(err, SN_ERR_SECRET, true, NULL, 0, NULL,
                            "a key must be 64 hexadecimal digits (32 bytes), such as "
                            "`openssl rand -hex 32` prints");
    for (size_t i = 0; i < 32; i++) {
        int hi = hex_value(s->data[2 * i]), lo = hex_value(s->data[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            OPENSSL_cleanse(key, 32);
            return sn_error_set(err, SN_ERR_SECRET, true, NULL, 0, NULL,
                                "a key must be 64 hexadecimal digits (32 bytes)");
        }
        key[i] = (unsigned char)(hi << 4 | lo);
    }
    return SN_OK;
}

void sn_secret_free(sn_secret *s)
{
    if (!s || !s->data)
        return;
    OPENSSL_cleanse(s->data, s->len + 1);
    free(s->data);
    s->data = NULL;
    s->len = 0;
}

static void hex32(const unsigned char d[32], char out[65])
{
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < 32; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[64] = '\0';
}

sn_status sn_hmac_hex(const unsigned char *key, size_t key_len, const void *msg, size_t len,
                      char out[65])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (!HMAC(EVP_sha256(), key, (int)key_len, msg, len, mac, &mac_len) || mac_len != 32) {
        out[0] = '\0';
        return SN_ERR_CRYPTO;
    }
    hex32(mac, out);
    return SN_OK;
}

bool sn_sha256_hex(const void *msg, size_t len, char out[65])
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int d_len = 0;
    if (EVP_Digest(msg, len, d, &d_len, EVP_sha256(), NULL) != 1 || d_len != 32) {
        out[0] = '\0';
        return false;
    }
    hex32(d, out);
    return true;
}
