/* processes.c -- c forked workers (like multiprocessing.Pool): each creates its own easy
 * handle after the fork, takes indices from an atomic counter in shared memory, and sends
 * fixed-size records back over its own pipe. The parent polls the pipes, reaps every child,
 * and records a dead worker's unfinished request as ERR_OTHER "worker died". */
#include "modes.h"

#include "clock.h"
#include "fdio.h"
#include "http.h"
#include "stop.h"
#include "work.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

enum { PROC_MSG_START = 1, PROC_MSG_DONE = 2 };

/* One message on a worker's pipe; smaller than PIPE_BUF, so each write is atomic. */
struct proc_msg {
	uint32_t kind;
	uint32_t pad;
	struct req_result res;
};

struct proc_worker {
	pid_t pid;
	int fd;         /* read end; -1 once closed */
	size_t pending; /* index started and not yet done; SIZE_MAX: none */
	size_t have;    /* bytes of msg received so far */
	struct proc_msg msg;
};

/* The child's whole life: never returns. */
static void proc_child(const struct batch *b, atomic_size_t *next, int fd, uint32_t id, uint64_t t0)
{
	struct http_xfer *x = malloc(sizeof(*x));
	if (!x || http_xfer_init(x, b, t0) != 0)
		_exit(3); /* the parent records this worker's share as "worker died" */
	volatile uint64_t sink = 0;
	struct proc_msg m;
	memset(&m, 0, sizeof(m));
	for (;;) {
		if (stop_requested())
			break; /* the parent records what nobody took as interrupted */
		size_t i = atomic_fetch_add(next, 1);
		if (i >= b->n)
			break;
		/* the parent learns of the claim before anything else happens (even the trace
		 * line), so a death at any later point is charged to this request */
		memset(&m.res, 0, sizeof(m.res));
		m.res.index = (uint32_t)i;
		m.res.url_index = (uint32_t)(i % b->nurls);
		m.res.pid = x->pid;
		m.res.tid = x->tid;
		m.res.worker = id;
		m.res.delay_us = -1;
		m.res.start_us = clock_now_us() - t0;
		m.kind = PROC_MSG_START;
		if (fdio_write_all(fd, &m, sizeof(m)) != 0)
			_exit(4);
		int prep = http_xfer_prepare(x, b, i, id, &m.res);
		if (prep != 0)
			http_xfer_finish(x, CURLE_URL_MALFORMAT);
		else
			http_xfer_finish(x, curl_easy_perform(x->easy));
		if (b->work.iters)
			sink ^= work_burn(b->work.iters, x->body, x->body_len);
		m.kind = PROC_MSG_DONE;
		if (fdio_write_all(fd, &m, sizeof(m)) != 0)
			_exit(4);
	}
	(void)sink;
	http_xfer_cleanup(x);
	free(x);
	close(fd);
	_exit(0);
}

/* a message from worker w is complete: file it */
static void proc_take(struct proc_worker *w, const struct batch *b, struct run *out, char *done)
{
	size_t i = w->msg.res.index;
	if (i >= b->n)
		return; /* not ours to trust */
	if (w->msg.kind == PROC_MSG_START) {
		w->pending = i;
		out->results[i] = w->msg.res;
	} else if (w->msg.kind == PROC_MSG_DONE) {
		out->results[i] = w->msg.res;
		out->results[i].errmsg[sizeof(out->results[i].errmsg) - 1] = '\0';
		done[i] = 1;
		if (w->pending == i)
			w->pending = SIZE_MAX;
	}
}

/* worker w closed its pipe: reap it and record what it left unfinished */
static void proc_close(struct proc_worker *w, const struct batch *b, struct run *out, char *done,
                       uint64_t t0)
{
	close(w->fd);
	w->fd = -1;
	int status = 0;
	pid_t r;
	do
		r = waitpid(w->pid, &status, 0);
	while (r < 0 && errno == EINTR);
	w->pid = 0;
	if (w->pending == SIZE_MAX || done[w->pending])
		return;
	char why[64];
	if (r > 0 && WIFSIGNALED(status))
		snprintf(why, sizeof(why), "worker died (signal %d)", WTERMSIG(status));
	else if (r > 0 && WIFEXITED(status))
		snprintf(why, sizeof(why), "worker died (exit %d)", WEXITSTATUS(status));
	else
		snprintf(why, sizeof(why), "worker died");
	struct req_result *res = &out->results[w->pending];
	uint64_t start = res->start_us;
	http_record_error(res, b, w->pending, ERR_OTHER, why, clock_now_us() - t0);
	res->start_us = start <= res->end_us ? start : res->end_us;
	done[w->pending] = 1;
	w->pending = SIZE_MAX;
}

int mode_processes(const struct batch *b, struct run *out)
{
	size_t c = b->concurrency ? b->concurrency : 1;
	if (c > b->n)
		c = b->n ? b->n : 1;
	int rc = 0;
	struct proc_worker *w = calloc(c, sizeof(*w));
	char *done = calloc(b->n ? b->n : 1, 1);
	struct pollfd *pfd = calloc(c, sizeof(*pfd));
	atomic_size_t *next = mmap(NULL, sizeof(*next), PROT_READ | PROT_WRITE,
	                           MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (next == MAP_FAILED)
		next = NULL;
	if (!w || !done || !pfd || !next) {
		rc = -ENOMEM;
		goto out_free;
	}
	atomic_init(next, 0);
	struct cost_mark mark;
	cost_begin(&mark);
	fflush(stdout);
	fflush(stderr);
	uint64_t t0 = clock_now_us();
	size_t started = 0;
	for (; started < c; started++) {
		int p[2];
		if (pipe2(p, O_CLOEXEC) != 0) {
			rc = -errno;
			break;
		}
		pid_t pid = fork();
		if (pid < 0) {
			rc = -errno;
			close(p[0]);
			close(p[1]);
			break;
		}
		if (pid == 0) {
			close(p[0]);
			for (size_t k = 0; k < started; k++)
				close(w[k].fd);
			/* the worker needs none of the parent's bookkeeping (and valgrind sees
			 * no copy of it lost when the worker exits) */
			free(w);
			free(done);
			free(pfd);
			proc_child(b, next, p[1], (uint32_t)started, t0);
		}
		close(p[1]);
		w[started].pid = pid;
		w[started].fd = p[0];
		w[started].pending = SIZE_MAX;
	}
	size_t open = started;
	while (open > 0) {
		/* Ctrl-C: workers finish the request they hold and take no other */
		if (stop_requested())
			atomic_store(next, b->n);
		for (size_t k = 0; k < started; k++) {
			pfd[k].fd = w[k].fd; /* poll ignores negative fds */
			pfd[k].events = POLLIN;
			pfd[k].revents = 0;
		}
		if (poll(pfd, started, -1) < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		for (size_t k = 0; k < started; k++) {
			if (w[k].fd < 0 || !pfd[k].revents)
				continue;
			char *dst = (char *)&w[k].msg + w[k].have;
			ssize_t got = read(w[k].fd, dst, sizeof(w[k].msg) - w[k].have);
			if (got < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (got <= 0) {
				proc_close(&w[k], b, out, done, t0);
				open--;
				continue;
			}
			w[k].have += (size_t)got;
			if (w[k].have == sizeof(w[k].msg)) {
				proc_take(&w[k], b, out, done);
				w[k].have = 0;
			}
		}
	}
	/* a poll failure leaves children behind: stop and reap them, never leave zombies */
	for (size_t k = 0; k < started; k++) {
		if (w[k].fd < 0)
			continue;
		kill(w[k].pid, SIGKILL);
		proc_close(&w[k], b, out, done, t0);
	}
	/* requests no worker took: stopped by Ctrl-C, or every worker died */
	uint64_t now = clock_now_us() - t0;
	for (size_t i = 0; i < b->n; i++)
		if (!done[i])
			http_record_error(&out->results[i], b, i, ERR_OTHER,
			                  stop_requested() ? STOP_MSG : "worker died", now);
	out->wall_us = clock_now_us() - t0;
	cost_end(&mark, out);
	out->concurrency = (unsigned)started;
	if (started > 0)
		rc = 0;
	else if (rc == 0)
		rc = -EAGAIN;
out_free:
	if (next)
		munmap(next, sizeof(*next));
	free(pfd);
	free(done);
	free(w);
	return rc;
}
