/* libFuzzer target: the JSON-lines reader (RFC 8259 objects, one a line) on any bytes, read
 * whole and in pieces. */
#include "fuzz_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fz_run(data, size, SN_FORMAT_JSONL);
}
