/* fdio.h -- whole-buffer writes to pipes between the client's processes and to stdout. */
#ifndef LATLAB_FDIO_H
#define LATLAB_FDIO_H

#include <stddef.h>
#include <sys/types.h>

/* Writes all len bytes of buf to fd, retrying after EINTR and short writes. Returns 0, or -1
 * when the write fails or the reader is gone (errno tells). */
int fdio_write_all(int fd, const void *buf, size_t len);

/* Forks a child joined to this process by a pipe (both ends close-on-exec) that the child
 * writes and the parent reads. In the child returns 0 with its write end in *fd; in the
 * parent returns the child's pid with its read end in *fd; a negative errno when the pipe or
 * the fork failed (nothing to undo). Flush stdio buffers before calling. */
pid_t fdio_fork_pipe(int *fd);

#endif
