/* trace.c -- one "PID process | TID url : URL" line per request start; no buffering, no locks. */
#include "trace.h"

#include "fdio.h"

#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

void trace_request(int fd, pid_t pid, pid_t tid, const char *url)
{
	char line[1024];
	int len = snprintf(line, sizeof(line), "%ld process | %ld url : %s\n", (long)pid, (long)tid,
	                   url);
	if (len < 0)
		return;
	if ((size_t)len >= sizeof(line)) { /* cut a long URL but keep the newline */
		len = (int)sizeof(line) - 1;
		line[len - 1] = '\n';
	}
	(void)fdio_write_all(fd, line, (size_t)len); /* a lost line is no error */
}

pid_t trace_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}
