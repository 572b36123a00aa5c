/* libFuzzer target: the CSV reader (RFC 4180) on any bytes, read whole and in pieces. */
#include "fuzz_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fz_run(data, size, SN_FORMAT_CSV);
}
