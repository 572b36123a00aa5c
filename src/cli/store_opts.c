/* The store and key options the commands share: where the key comes from, opening the store,
 * and the key that encrypts model files. */
#include "pipeline.h"

#include "core/secret.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
