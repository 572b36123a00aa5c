/* Secrets (signing keys, HMAC keys, encryption keys) read from a file or the environment, never
 * from configuration text, and refused when other users could read them. */
#ifndef SN_SECRET_H
#define SN_SECRET_H

#include "error.h"

#include <stdbool.h>
#include <stddef.h>

/* Longest secret file read: keys and PEM files are far smaller. */
#define SN_SECRET_MAX 65536

/* A secret's bytes; owned, wiped and freed by sn_secret_free. */
typedef struct sn_secret {
    unsigned char *data; /* NUL-terminated for PEM users; len excludes the NUL */
    size_t len;
} sn_secret;

/* Reads a secret file. Refuses (SN_ERR_SECRET) a file that is not a regular file, that its group or
 * other users may read or write, that is empty or larger than SN_SECRET_MAX. One trailing newline
 * (LF or CRLF) is removed. The error names the file but never holds its content. */
sn_status sn_secret_from_file(const char *path, sn_secret *out, sn_error *err);

/* Reads a secret from the environment variable name (a missing or empty variable is an error). */
sn_status sn_secret_from_env(const char *name, sn_secret *out, sn_error *err);

/* The file when path is non-NULL and non-empty, else the environment variable env_name. */
sn_status sn_secret_load(const char *path, const char *env_name, sn_secret *out, sn_error *err);

/* Decodes a 32-byte key written as 64 hexadecimal digits (the form `openssl rand -hex 32`
 * prints). */
sn_status sn_secret_key32(const sn_secret *s, unsigned char key[32], sn_error *err);

/* Wipes and frees; safe on a zeroed or already freed secret. */
void sn_secret_free(sn_secret *s);

/* Lower-case hex of HMAC-SHA-256(key, msg): the keyed token that stands for a personal value
 * (pseudonyms, lookups by user) and the link of a chained record. out gets 64 digits and a NUL;
 * SN_ERR_CRYPTO (and an empty out) if the library fails. */
sn_status sn_hmac_hex(const unsigned char *key, size_t key_len, const void *msg, size_t len,
                      char out[65]);

/* Lower-case hex of SHA-256(msg): 64 digits and a NUL; false (and an empty out) if the library
 * fails. */
bool sn_sha256_hex(const void *msg, size_t len, char out[65]);

#endif
