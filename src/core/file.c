/* sn_file_replace: a temporary file beside the target, flushed, then renamed over it. */
#include "file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

sn_status sn_file_replace(const char *path, const void *data, size_t len, mode_t mode,
                          const char *what, sn_error *err)
{
    struct stat dest;
    if (lstat(path, &dest) == 0 && !S_ISREG(dest.st_mode))
        return sn_error_set(err, SN_ERR_IO, true, path, 0, NULL,
                            "cannot write the %s there: not a regular file", what);
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp)
        return sn_error_set(err, SN_ERR_NOMEM, true, path, 0, NULL, "out of memory");
    snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp); /* a new name, never someone else's file */
    if (fd < 0) {
        sn_status st =
            sn_error_set(err, SN_ERR_IO, true, path, 0, NULL,
                         "cannot create a temporary file beside it: %s", strerror(errno));
        free(tmp);
        return st;
    }
    int e = fchmod(fd, mode) == 0 ? 0 : errno;
    for (size_t done = 0; !e && done < len;) {
        ssize_t n = write(fd, (const char *)data + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            e = n < 0 ? errno : EIO;
        else
            done += (size_t)n;
    }
    if (!e && fsync(fd) != 0)
        e = errno;
    if (close(fd) != 0 && !e)
        e = errno;
    if (!e && rename(tmp, path) != 0)
        e = errno;
    sn_status st = SN_OK;
    if (e) {
        st = sn_error_set(err, SN_ERR_IO, true, path, 0, NULL, "cannot write the %s: %s", what,
                          strerror(e));
        unlink(tmp);
    }
    free(tmp);
    return st;
}
