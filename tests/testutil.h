/* Helpers shared by the unit tests: locating real data, temporary files. */
#ifndef SN_TESTUTIL_H
#define SN_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>

/* Path of a file under the real data directory (SENTINEL_DATA_DIR), or NULL when the directory
 * or the file is missing; prints a plain "missing" note once per file in that case.
 * Returns a static buffer valid until the next call. */
const char *tu_data_path(const char *relative);

/* Writes content to a fresh temporary file and returns its path (static buffer per call slot:
 * up to 8 live paths). */
const char *tu_temp_file(const char *content, size_t n);

#endif
