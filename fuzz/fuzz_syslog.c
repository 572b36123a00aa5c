/* libFuzzer target: the syslog reader (RFC 3164 / RFC 3339 headers, sshd, su and sudo
 * messages, rsyslog's repeated-message lines) on any bytes, read whole and in pieces. */
#include "fuzz_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fz_run(data, size, SN_FORMAT_SYSLOG);
}
