/* libFuzzer target: the AWS CloudTrail reader (files of {"Records": [...]}, pretty-printed or
 * on one line, and one record a line) on any bytes, read whole and in pieces; with --format
 * auto, so the detection is fuzzed as well. */
#include "fuzz_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The first byte picks forced cloudtrail or auto (which must then choose it or another). */
    if (size < 2)
        return 0;
    return fz_run(data + 1, size - 1, data[0] & 1 ? SN_FORMAT_AUTO : SN_FORMAT_CLOUDTRAIL);
}
