/* Replacing a file whole: the model, predictor and keys files are written this way. */
#ifndef SN_FILE_H
#define SN_FILE_H

#include "error.h"

#include <stddef.h>
#include <sys/types.h>

/* Replaces the file at path with len bytes of data: written to a new temporary file beside it
 * (with mode), flushed to disk, then renamed over path, so that a crash leaves the old file or
 * the new one, never half of one. Refuses (SN_ERR_IO) when something other than a regular file
 * is at path, since the rename would replace a device, directory, pipe or symbolic link. what
 * names the file in messages ("model", "predictor", "keys file"). */
sn_status sn_file_replace(const char *path, const void *data, size_t len, mode_t mode,
                          const char *what, sn_error *err);

#endif
