/* processes.c -- rn->workers forked workers (like multiprocessing.Pool): each creates its own
 * easy handle after the fork, takes requests from the scheduler in shared memory (reqsched.h), and
 * sends fixed-size records back over its own pipe. The parent spawns the workers, collects
 * their records by polling the pipes, and reaps every child, recording a dead worker's
 * unfinished request as ERR_OTHER "worker died". */
#include "modes.h"

#include "activity.h"
#include "batch.h"
#include "clock.h"
#include "collect.h"
#include "fdio.h"
#include "http.h"
#include "reqsched.h"
#include "stop.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { PROC_MSG_START = 1, PROC_MSG_DONE = 2 };

/* One message on a worker's pipe; smaller than PIPE_BUF, so each write is atomic. */
struct proc_msg {
	uint32_t kind;
	uint32_t pad;
	struct req_result res;
	uint32_t nspans; /* DONE: what the worker did for this request, spans[0..nspans) */
	uint32_t pad2;
	struct span spans[3];
};

struct proc_worker {
	pid_t pid;
	int fd;                /* read end; -1 once closed */
	size_t pending;        /* index started and not yet done; SIZE_MAX: none */
	struct req_result cur; /* its record as started */
	size_t have;           /* bytes of msg received so far */
	struct proc_msg msg;
};

/* the parent's side of the workers */
struct proc_pool {
	const struct runner *rn;
	struct proc_worker *w;
	struct pollfd *pfd;
	size_t started;      /* workers forked: w[0, started) */
	struct span_log log; /* the workers' spans as their DONE messages arrive */
};

/* The child's whole life: never returns. */
static void proc_child(const struct runner *rn, int fd, uint32_t id)
{
	const struct batch *b = rn->b;
	struct http_xfer *x = malloc(sizeof(*x));
	if (!x || http_xfer_init(x, b, rn->t0) != 0)
		_exit(3); /* the parent records this worker's share as "worker died" */
	struct proc_msg m;
	memset(&m, 0, sizeof(m));
	struct span_log log = {0};
	size_t i;
	uint64_t due;
	/* the parent records what nobody took as interrupted */
	while (sched_claim(rn->sched, &i, &due)) {
		/* the parent learns of the claim before anything else happens (even the trace
		 * line), so a death at any later point is charged to this request */
		memset(&m.res, 0, sizeof(m.res));
		m.res.index = (uint32_t)i;
		m.res.url_index = (uint32_t)(i % b->nurls);
		m.res.pid = x->pid;
		m.res.tid = x->tid;
		m.res.worker = id;
		m.res.delay_us = -1;
		m.res.due_us = due;
		m.res.start_us = clock_now_us() - rn->t0;
		m.kind = PROC_MSG_START;
		if (fdio_write_all(fd, &m, sizeof(m)) != 0)
			_exit(4);
		sched_wait(rn->sched, due);
		log.n = 0;
		run_request(rn, x, i, id, NULL, CLOCK_PROCESS_CPUTIME_ID, &log, &m.res);
		m.nspans = log.n < 3 ? (uint32_t)log.n : 3;
		memcpy(m.spans, log.v, m.nspans * sizeof(m.spans[0]));
		m.kind = PROC_MSG_DONE;
		if (fdio_write_all(fd, &m, sizeof(m)) != 0)
			_exit(4);
	}
	http_xfer_cleanup(x);
	free(x);
	span_log_free(&log);
	close(fd);
	_exit(0);
}

/* Forks the workers, each with its own pipe. 0, or the -errno of the first pipe or fork
 * that failed (P->started workers are running then). */
static int proc_spawn(struct proc_pool *P)
{
	fflush(stdout); /* a child must not write the parent's buffered output again */
	fflush(stderr);
	for (; P->started < P->rn->workers; P->started++) {
		int fd;
		pid_t pid = fdio_fork_pipe(&fd);
		if (pid < 0)
			return (int)pid;
		if (pid == 0) {
			for (size_t k = 0; k < P->started; k++)
				close(P->w[k].fd);
			/* the worker needs none of the parent's bookkeeping (and valgrind sees
			 * no copy of it lost when the worker exits) */
			free(P->w);
			free(P->pfd);
			proc_child(P->rn, fd, (uint32_t)P->started);
		}
		P->w[P->started].pid = pid;
		P->w[P->started].fd = fd;
		P->w[P->started].pending = SIZE_MAX;
	}
	return 0;
}

/* a message from worker w is complete: file it */
static void proc_take(struct proc_pool *P, struct proc_worker *w)
{
	size_t i = w->msg.res.index;
	if (i >= P->rn->b->n)
		return; /* not ours to trust */
	w->msg.res.errmsg[sizeof(w->msg.res.errmsg) - 1] = '\0';
	if (w->msg.kind == PROC_MSG_START) {
		w->pending = i;
		w->cur = w->msg.res;
	} else if (w->msg.kind == PROC_MSG_DONE && w->pending == i) {
		collect_done(P->rn->col, &w->msg.res);
		w->pending = SIZE_MAX;
		for (uint32_t k = 0; k < w->msg.nspans && k < 3; k++) {
			const struct span *sp = &w->msg.spans[k];
			if (sp->state >= WS_NSTATES || sp->end_us < sp->start_us)
				continue; /* not ours to trust */
			span_log_add(&P->log, sp->worker, (enum wstate)sp->state, sp->start_us,
			             sp->end_us, sp->cpu_us);
		}
	}
}

/* worker w closed its pipe: reap it and record what it left unfinished */
static void proc_close(const struct proc_pool *P, struct proc_worker *w)
{
	close(w->fd);
	w->fd = -1;
	int status = 0;
	pid_t r;
	do
		r = waitpid(w->pid, &status, 0);
	while (r < 0 && errno == EINTR);
	w->pid = 0;
	if (w->pending == SIZE_MAX)
		return;
	char why[64];
	if (r > 0 && WIFSIGNALED(status))
		snprintf(why, sizeof(why), "worker died (signal %d)", WTERMSIG(status));
	else if (r > 0 && WIFEXITED(status))
		snprintf(why, sizeof(why), "worker died (exit %d)", WEXITSTATUS(status));
	else
		snprintf(why, sizeof(why), "worker died");
	run_cut_short(P->rn, &w->cur, why);
	w->pending = SIZE_MAX;
}

/* Reads every worker's records until each has closed its pipe (and is reaped). 0, or the
 * -errno of a failed poll (workers may be left running then). */
static int proc_collect(struct proc_pool *P)
{
	size_t open = P->started;
	while (open > 0) {
		/* Ctrl-C: workers finish the request they hold and take no other */
		if (stop_requested())
			sched_stop(P->rn->sched);
		for (size_t k = 0; k < P->started; k++) {
			P->pfd[k].fd = P->w[k].fd; /* poll ignores negative fds */
			P->pfd[k].events = POLLIN;
			P->pfd[k].revents = 0;
		}
		if (poll(P->pfd, P->started, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (size_t k = 0; k < P->started; k++) {
			struct proc_worker *w = &P->w[k];
			if (w->fd < 0 || !P->pfd[k].revents)
				continue;
			ssize_t got =
			        read(w->fd, (char *)&w->msg + w->have, sizeof(w->msg) - w->have);
			if (got < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (got <= 0) {
				proc_close(P, w);
				open--;
				continue;
			}
			w->have += (size_t)got;
			if (w->have == sizeof(w->msg)) {
				proc_take(P, w);
				w->have = 0;
			}
		}
	}
	return 0;
}

/* after a poll failure: stop and reap the children left, never leave zombies */
static void proc_reap(struct proc_pool *P)
{
	for (size_t k = 0; k < P->started; k++) {
		if (P->w[k].fd < 0)
			continue;
		kill(P->w[k].pid, SIGKILL);
		proc_close(P, &P->w[k]);
	}
}

int mode_processes(struct runner *rn)
{
	struct proc_pool P = {.rn = rn};
	P.w = calloc(rn->workers, sizeof(*P.w));
	P.pfd = calloc(rn->workers, sizeof(*P.pfd));
	int rc = -ENOMEM;
	if (!P.w || !P.pfd)
		goto out;
	rn->not_run = "worker died"; /* what no worker took, unless Ctrl-C stopped them */
	rc = proc_spawn(&P);
	if (proc_collect(&P) != 0)
		proc_reap(&P);
	if (P.started > 0)
		rc = (int)P.started;
	else if (rc == 0)
		rc = -EAGAIN;
out:
	activity_take(rn->out, &P.log);
	free(P.pfd);
	free(P.w);
	return rc;
}
