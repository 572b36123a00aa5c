/* Fuzz target: the reader of Amazon's access-request file (role mining's matrix mode), then the
 * weighted rows made from what it read. The first byte picks who a row's user is. */
#include "iam/roles.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    FILE *f = fmemopen((void *)(data + 1), size - 1, "rb");
    if (!f)
        return 0;
    sn_role_matrix *m = sn_role_matrix_new();
    sn_error err;
    long rows;
    if (m && sn_role_matrix_read_amazon_stream(m, f, "fuzz",
                                               data[0] & 1 ? SN_AMAZON_ROLE_CODE : SN_AMAZON_TUPLE,
                                               &rows, &err) == SN_OK) {
        sn_csr x;
        int32_t *ru;
        if (sn_role_matrix_rows(m, SN_RW_TFIDF, &x, &ru) == SN_OK) {
            sn_csr_free(&x);
            free(ru);
        }
    }
    sn_role_matrix_free(m);
    fclose(f);
    return 0;
}
