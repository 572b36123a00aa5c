/* libFuzzer target: the Elastic Common Schema reader (authentication events, nested or dotted
 * keys) on any bytes, read whole and in pieces; with --format auto, so the detection is fuzzed
 * as well. */
#include "fuzz_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The first byte picks forced ecs or auto (which must then choose it or another). */
    if (size < 2)
        return 0;
    return fz_run(data + 1, size - 1, data[0] & 1 ? SN_FORMAT_AUTO : SN_FORMAT_ECS);
}
