/* libFuzzer target: the simdjson document (json_doc.h) against jansson with
 * JSON_REJECT_DUPLICATES, with and without NUL characters allowed in strings (the file readers
 * and the server's request bodies), within a nesting limit of 32 levels. What the document
 * accepts, jansson accepts; what jansson alone accepts (it passes over a NUL byte right after a
 * number or a literal) is accepted by the document once jansson has written it again, as the
 * server then parses it. */
#include "ingest/json_doc.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Nesting of brackets outside strings, as the server counts it before parsing. */
static int depth(const char *s, size_t n)
{
    int d = 0, max = 0;
    int in_str = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '{' || c == '[') {
            if (++d > max)
                max = d;
        } else if ((c == '}' || c == ']') && d > 0) {
            d--;
        }
    }
    return max;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static sn_jdoc *doc[2];
    const char *p = (const char *)data;
    bool shallow = depth(p, size) <= MAX_DEPTH;
    for (int nul = 0; nul < 2; nul++) {
        if (!doc[nul] && !(doc[nul] = sn_jdoc_new()))
            abort();
        sn_jdoc_allow_nul(doc[nul], nul);
        sn_jv root;
        bool ours = sn_jdoc_parse(doc[nul], p, size, false, MAX_DEPTH, &root);
        size_t flags = JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | (nul ? JSON_ALLOW_NUL : 0);
        json_error_t err;
        json_t *j = shallow ? json_loadb(p, size, flags, &err) : NULL;
        /* Deeper than the limit: refused by us; jansson's own limit is not ours to match. */
        if (ours && !j)
            abort();
        if (j && !ours) {
            if (!memchr(p, '\0', size))
                abort();
            char *again = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
            if (!again || !sn_jdoc_parse(doc[nul], again, strlen(again), false, MAX_DEPTH, &root))
                abort();
            free(again);
        }
        json_decref(j);
    }
    return 0;
}
