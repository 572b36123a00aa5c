/* Helpers shared by the unit tests. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *tu_data_path(const char *relative)
{
    static char path[4096];
    const char *dir = getenv("SENTINEL_DATA_DIR");
    if (!dir || !*dir)
        dir = "../shared/data";
    snprintf(path, sizeof(path), "%s/%s", dir, relative);
    if (access(path, R_OK) != 0) {
        fprintf(stderr, "note: real data file %s is missing; set SENTINEL_DATA_DIR\n", path);
        return NULL;
    }
    return path;
}

const char *tu_temp_file(const char *content, size_t n)
{
    static char paths[8][64];
    static int slot;
    char *p = paths[slot++ % 8];
    snprintf(p, 64, "/tmp/sn_test_XXXXXX");
    int fd = mkstemp(p);
    if (fd < 0)
        return NULL;
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(fd, content + off, n - off);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    close(fd);
    return p;
}
