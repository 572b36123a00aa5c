/* The store and key options the commands share: where the key comes from, opening the store,
 * and the key that encrypts model files. */
#include "pipeline.h"

#include "core/secret.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void print_error(const char *command, const sn_error *err)
{
    char msg[1024];
    sn_error_format(err, msg, sizeof(msg));
    fprintf(stderr, "sentinel %s: %s\n", command, msg);
}

sn_store *sn_cli_store_open(const char *db, const char *key_file, const char *command)
{
    sn_store_keys keys;
    sn_error err;
    if (sn_store_keys_load(&keys, key_file, &err) != SN_OK) {
        print_error(command, &err);
        return NULL;
    }
    sn_store *s = NULL;
    sn_status st = sn_store_open(&s, db, &keys, &err);
    OPENSSL_cleanse(&keys, sizeof(keys));
    if (st != SN_OK) {
        print_error(command, &err);
        return NULL;
    }
    return s;
}

sn_store *sn_cli_store_open_writer(const char *db, const char *key_file, const char *command)
{
    sn_store *s = sn_cli_store_open(db, key_file, command);
    return s && sn_cli_store_claim(s, command) ? s : NULL;
}

bool sn_cli_store_claim(sn_store *s, const char *command)
{
    sn_error err;
    if (sn_store_claim(s, &err) == SN_OK)
        return true;
    print_error(command, &err);
    sn_store_close(s);
    return false;
}

sn_store *sn_cli_store_open_existing(const char *db, const char *key_file, const char *command)
{
    /* A mistyped path must not look like an erasure or export of nothing. */
    struct stat st;
    if (!strstr(db, "://") && stat(db, &st) != 0) {
        fprintf(stderr,
                "sentinel %s: %s: no such store (%s); detect, train and serve with --db create "
                "one\n",
                command, db, strerror(errno));
        return NULL;
    }
    return sn_cli_store_open(db, key_file, command);
}

int sn_cli_model_key(const char *key_file, unsigned char key[32], bool *have, const char *command)
{
    *have = false;
    const char *env = getenv(SN_STORE_KEY_ENV);
    if (!(key_file && key_file[0]) && !(env && env[0]))
        return 0;
    sn_store_keys keys;
    sn_error err;
    if (sn_store_keys_load(&keys, key_file, &err) != SN_OK) {
        print_error(command, &err);
        return -1;
    }
    memcpy(key, keys.master, 32);
    OPENSSL_cleanse(&keys, sizeof(keys));
    *have = true;
    return 0;
}

int sn_cli_file_sha256(const char *path, char hex[65])
{
    hex[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char buf[65536], digest[32];
    unsigned int dl = 0;
    size_t n;
    bool ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;
    while (ok && (n = fread(buf, 1, sizeof(buf), f)) > 0)
        ok = EVP_DigestUpdate(md, buf, n) == 1;
    ok = ok && !ferror(f) && EVP_DigestFinal_ex(md, digest, &dl) == 1;
    EVP_MD_CTX_free(md);
    fclose(f);
    for (int i = 0; ok && i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    return ok ? 0 : -1;
}
