/* compare.c -- the four modes on one batch, each in a child process (so getrusage measures
 * that mode alone), results sent back over a pipe as a header plus fixed-size records. */
#include "compare.h"

#include "fdio.h"
#include "http.h"
#include "modes.h"
#include "stop.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define COMPARE_MAX_SPANS (64u << 20) /* a child claiming more is not believed */

struct compare_head {
	int rc;         /* the mode's return value */
	struct run run; /* results pointer is meaningless on the other side */
};

/* reads exactly len bytes from the child's pipe; 0, or -1 on EOF or error. A Ctrl-C that
 * reached only this process is passed on to the child as SIGTERM (its handler is still in
 * place even when the same Ctrl-C reached it too, so it stops rather than dies). */
static int compare_read_all(int fd, void *buf, size_t len, pid_t child, int *forwarded)
{
	char *p = buf;
	while (len) {
		ssize_t r = read(fd, p, len);
		if (r < 0 && errno == EINTR) {
			if (stop_requested() && !*forwarded) {
				kill(child, SIGTERM);
				*forwarded = 1;
			}
			continue;
		}
		if (r <= 0)
			return -1;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

static void compare_child(const struct batch *b, enum mode m, int fd)
{
	struct compare_head head;
	memset(&head, 0, sizeof(head));
	struct run *r = run_new(m, 0);
	if (!r)
		_exit(3);
	head.rc = run_mode(m, b, r);
	head.run = *r;
	head.run.results = NULL;
	head.run.spans = NULL;
	head.run.delays = NULL;
	head.run.stats = NULL;
	if (head.rc == 0 && r->nresults != r->n)
		head.rc = -ENOMEM; /* compare keeps every record */
	if (fdio_write_all(fd, &head, sizeof(head)) != 0 ||
	    (head.rc == 0 && fdio_write_all(fd, r->results, r->n * sizeof(*r->results)) != 0) ||
	    (head.rc == 0 && fdio_write_all(fd, r->spans, r->nspans * sizeof(*r->spans)) != 0))
		_exit(4);
	run_free(r);
	close(fd);
	_exit(0);
}

/* runs mode m in a child; fills *r (already allocated with b->n records) */
static int compare_one(const struct batch *b, enum mode m, struct run *r)
{
	fflush(stdout);
	fflush(stderr);
	int fd;
	pid_t pid = fdio_fork_pipe(&fd);
	if (pid < 0)
		return (int)pid;
	if (pid == 0)
		compare_child(b, m, fd);
	struct compare_head head;
	int forwarded = 0;
	int rc = compare_read_all(fd, &head, sizeof(head), pid, &forwarded);
	struct span *spans = NULL;
	if (rc == 0 && head.rc == 0 && head.run.n == r->n)
		rc = compare_read_all(fd, r->results, r->n * sizeof(*r->results), pid, &forwarded);
	else if (rc == 0 && head.rc == 0)
		rc = -1;
	if (rc == 0 && head.rc == 0 && head.run.nspans > 0) {
		spans = head.run.nspans <= COMPARE_MAX_SPANS
		                ? malloc(head.run.nspans * sizeof(*spans))
		                : NULL;
		if (!spans || compare_read_all(fd, spans, head.run.nspans * sizeof(*spans), pid,
		                               &forwarded) != 0)
			rc = -1;
	}
	close(fd);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (rc == 0 && head.rc == 0) {
		struct req_result *keep = r->results;
		*r = head.run;
		r->results = keep;
		r->spans = spans;
		r->nresults = r->n;
		for (size_t i = 0; i < r->n; i++)
			r->results[i].errmsg[sizeof(r->results[i].errmsg) - 1] = '\0';
		return run_restat(r);
	}
	free(spans);
	char why[64];
	if (rc == 0)
		snprintf(why, sizeof(why), "%s", strerror(-head.rc));
	else if (WIFSIGNALED(status))
		snprintf(why, sizeof(why), "mode process died (signal %d)", WTERMSIG(status));
	else
		snprintf(why, sizeof(why), "mode process died (exit %d)", WEXITSTATUS(status));
	for (size_t i = 0; i < r->n; i++)
		http_record_error(&r->results[i], b, i, ERR_OTHER, why, 0);
	return run_restat(r);
}

int compare_mode(const struct batch *b, enum mode m, unsigned c, struct run *r)
{
	struct batch bm = *b;
	bm.concurrency = c;
	r->concurrency = (unsigned)run_workers(c, b->n, b->n);
	return compare_one(&bm, m, r);
}

int compare_run(const struct batch *b, const unsigned conc[COMPARE_NMODES],
                struct run *runs[COMPARE_NMODES])
{
	int err = -ENOMEM;
	for (size_t k = 0; k < COMPARE_NMODES; k++)
		runs[k] = NULL;
	for (size_t k = 0; k < COMPARE_NMODES; k++) {
		enum mode m = (enum mode)k; /* the enum's order is the report's order */
		runs[k] = run_new(m, b->n);
		if (!runs[k])
			goto fail;
		struct batch bm = *b;
		bm.concurrency = conc[k];
		runs[k]->concurrency = (unsigned)run_workers(conc[k], b->n, b->n);
		int rc = compare_one(&bm, m, runs[k]);
		if (rc != 0) {
			fprintf(stderr, "latlab-client: compare: cannot run %s: %s\n", mode_name(m),
			        strerror(-rc));
			err = rc;
			goto fail;
		}
		if (stop_requested())
			return (int)k + 1;
	}
	return COMPARE_NMODES;
fail:
	for (size_t k = 0; k < COMPARE_NMODES; k++) {
		run_free(runs[k]);
		runs[k] = NULL;
	}
	return err;
}
