/* trace.h -- the lecture's per-request trace line, written atomically to stdout (stderr when
 * stdout carries a report). */
#ifndef LATLAB_TRACE_H
#define LATLAB_TRACE_H

#include <sys/types.h>

/* Writes "PID process | TID url : URL\n" to fd with one write(2) (atomic on a pipe for
 * lines under PIPE_BUF; longer URLs are cut). Never fails loudly: a lost trace line is not an
 * error. Callers must fflush(stdout) before a batch so stdio output stays in order. */
void trace_request(int fd, pid_t pid, pid_t tid, const char *url);

/* The caller's kernel thread id (gettid(2)). */
pid_t trace_gettid(void);

#endif
