/* Fuzz target: the access predictor's file reader and its labelled request (CSV) reader, which
 * must refuse any damaged input cleanly; a predictor that is accepted must answer a request
 * without reading out of bounds. The first byte picks the reader. The file reader is fed the
 * payload alone: random bytes never pass the checksum in front of it. */
#include "iam/predict.h"
#include "iam/predict_internal.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    sn_error err;
    if (data[0] & 1) {
        sn_predictor *pr = NULL;
        if (sn_predictor_from_payload(&pr, data + 1, size - 1, "fuzz", &err) == SN_OK) {
            const char *vals[SN_PREDICT_MAX_COLUMNS];
            size_t lens[SN_PREDICT_MAX_COLUMNS];
            for (int c = 0; c < SN_PREDICT_MAX_COLUMNS; c++) {
                vals[c] = c % 2 ? "1" : "a";
                lens[c] = 1;
            }
            sn_prediction p;
            sn_predictor_ask(pr, vals, lens, &p);
            sn_buf b;
            sn_buf_init(&b);
            sn_prediction_json(&p, &b);
            sn_predictor_info_json(pr, &b);
            sn_buf_free(&b);
            sn_predictor_free(pr);
        }
        return 0;
    }
    sn_predict_data *d = NULL;
    if (sn_predict_data_parse_csv(&d, (const char *)data + 1, size - 1, "fuzz", "ACTION", &err) ==
        SN_OK)
        sn_predict_data_free(d);
    return 0;
}
