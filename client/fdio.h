/* fdio.h -- whole-buffer writes to pipes between the client's processes. */
#ifndef LATLAB_FDIO_H
#define LATLAB_FDIO_H

#include <stddef.h>

/* Writes all len bytes of buf to fd, retrying after EINTR and short writes. Returns 0, or -1
 * when the write fails or the reader is gone (errno tells). */
int fdio_write_all(int fd, const void *buf, size_t len);

#endif
