/* Fuzz target: the store's readers of its own records (an event with its verdict, an event of
 * schema version 1, the entries of a block of events), which see the decrypted bytes of a row,
 * or in a store without a key whatever the file holds, and must refuse any damaged input
 * cleanly. The first byte picks the reader; for a block, the next two give its event count and
 * the span of its sequence numbers. */
#include "store/store_sqlite.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    sn_buf out;
    sn_buf_init(&out);
    sn_event ev;
    sn_str id;
    sn_stored_verdict v;
    switch (data[0] % 3) {
    case 0:
        if (sn__store_record_decode(data + 1, size - 1, &ev, &id, &v)) {
            sn__store_event_json(&out, &ev, id);
            sn__store_verdict_json(&out, &ev, id, &v);
        }
        break;
    case 1:
        if (sn__store_event_decode_v1(data + 1, size - 1, &ev, &id))
            sn__store_event_json(&out, &ev, id);
        break;
    default: {
        sq_block b;
        sn__sq_block_init(&b);
        b.first_seq = 1;
        b.n = data[1];
        b.last_seq = b.first_seq + data[2];
        static const unsigned char zeros[SN_STORE_TOKEN_LEN * 256];
        sn_buf_append(&b.tokens, zeros, (size_t)b.n * SN_STORE_TOKEN_LEN);
        sn_buf_append(&b.pt, data + 3, size - 3);
        size_t at = 0, index = 0;
        bool bad = false;
        sq_entry e;
        while (sn__sq_block_next(&b, &at, &index, &e, &bad)) {
            sn__store_event_json(&out, &e.ev, e.event_id);
            sn__store_verdict_json(&out, &e.ev, e.event_id, &e.v);
        }
        sn__sq_block_free(&b);
        break;
    }
    }
    sn_buf_free(&out);
    return 0;
}
