/* async.c -- libevent loops driving the curl multi socket API: libcurl tells a loop which
 * sockets and which timeout to watch (sock_cb, timer_cb), libevent tells libcurl when they
 * are ready (curl_multi_socket_action). Each loop owns its share of the c transfer slots; a
 * slot that finishes takes the next request from the scheduler and reuses its easy handle;
 * under --rate a slot that took a request early waits for its due time on a timer. One loop
 * (the default, the lesson's) runs in the calling thread; --loops N runs N loops on N threads
 * sharing the scheduler, like wrk -t. Each loop logs its thread's state (activity.h): on a
 * CPU inside its callbacks, else waiting on the network while transfers are in flight; loop j
 * is worker (lane) j. Shape: curl's docs/examples/hiperfifo.c. */
#include "modes.h"

#include "activity.h"
#include "batch.h"
#include "clock.h"
#include "collect.h"
#include "http.h"
#include "reqsched.h"
#include "stop.h"
#include "trace.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ASYNC_CHUNK 64 /* first requests started per loop pass (64..1024 measured: same wall) */

struct async_loop;

/* One transfer slot: an easy handle and the record of the request it carries. */
struct async_slot {
	struct http_xfer x; /* CURLINFO_PRIVATE points at x, the slot's first member */
	struct req_result res;
	struct event wait; /* --rate: fires at the due time of the request the slot took */
	struct async_loop *L;
	size_t i;              /* the request it carries */
	unsigned char busy;    /* in the multi, transferring */
	unsigned char waiting; /* holding a request until its due time */
	unsigned char used;    /* 0: no request yet, 1: one (FRESH_CONNECT set), 2: more (unset) */
};

struct async_loop {
	const struct runner *rn;
	struct event_base *base;
	CURLM *multi;
	struct event timer;      /* libcurl's single timeout */
	struct event stop_check; /* looks at the Ctrl-C flag every 50 ms */
	struct event feed;       /* starts the next chunk of first requests, once per loop pass */
	struct async_slot *slots;
	size_t nslots;        /* slots set up */
	size_t want;          /* slots this loop runs */
	curl_socket_t *fresh; /* sockets libcurl just opened and wants writable */
	size_t nfresh;
	size_t fed;               /* slots[0, fed) have been given their first request */
	size_t active;            /* slots busy or waiting */
	int exhausted;            /* the scheduler has nothing more for this loop */
	int events_set;           /* timer, feed and stop_check are assigned */
	int rc;                   /* 0, or why the loop could not run */
	struct async_sock *spare; /* socket records to reuse */
	pthread_t thread;
	uint32_t id;     /* the loop's number: its lane */
	size_t inflight; /* slots busy (in the multi) */
	/* what the loop's thread did: on a CPU inside callbacks, else waiting on the network */
	struct span_log log;
	uint64_t enter_us, enter_cpu_us, leave_us;
};

/* a callback begins: the time since the last one was spent waiting on the network (or idle,
 * with nothing in flight) */
static void async_enter(struct async_loop *L)
{
	L->enter_us = clock_now_us() - L->rn->t0;
	L->enter_cpu_us = activity_cpu_now_us(CLOCK_THREAD_CPUTIME_ID);
	if (L->inflight > 0 && L->enter_us > L->leave_us)
		span_log_add(&L->log, L->id, WS_NET, L->leave_us, L->enter_us, 0);
}

/* a callback ends: the thread was on a CPU since async_enter */
static void async_leave(struct async_loop *L)
{
	uint64_t cpu = activity_cpu_now_us(CLOCK_THREAD_CPUTIME_ID) - L->enter_cpu_us;
	L->leave_us = clock_now_us() - L->rn->t0;
	span_log_add(&L->log, L->id, WS_CPU, L->enter_us, L->leave_us, cpu);
}

/* one per socket libcurl asks us to watch; reused (event_assign) while the socket lives, then
 * kept on the loop's spare list for the next socket (libcurl 7.88 removes and re-adds a
 * keep-alive socket around every request: no malloc/free per request) */
struct async_sock {
	struct event ev;
	struct async_loop *loop;
	struct async_sock *next_spare;
};

static void async_drain(struct async_loop *L);

static void async_check_end(struct async_loop *L)
{
	if (L->exhausted && L->active == 0)
		event_base_loopbreak(L->base);
}

/* hands a request that cannot run to the collector */
static void async_fail(struct async_loop *L, struct async_slot *sl, const char *why)
{
	http_record_error(&sl->res, L->rn->b, sl->i, ERR_OTHER, why, clock_now_us() - L->rn->t0);
	collect_done(L->rn->col, &sl->res);
}

/* puts request sl->i on the wire: 0, or -1 when it failed (and was recorded) */
static int async_add(struct async_loop *L, struct async_slot *sl)
{
	struct http_xfer *x = &sl->x;
	if (http_xfer_prepare(x, L->rn->b, sl->i, L->id, &sl->res) != 0) {
		http_xfer_finish(x, CURLE_URL_MALFORMAT);
		collect_done(L->rn->col, &sl->res);
		return -1;
	}
	/* a handle's first request cannot find an idle connection (all start together), so
	 * skip libcurl's scan of the connection cache, which is linear in the open
	 * connections: quadratic for 10,000 in flight. Later requests reuse connections. */
	if (sl->used < 2) /* set once per handle: 1 for its first request, 0 after */
		curl_easy_setopt(x->easy, CURLOPT_FRESH_CONNECT, sl->used ? 0L : 1L);
	sl->used = sl->used ? 2 : 1;
	CURLMcode mc = curl_multi_add_handle(L->multi, x->easy);
	if (mc != CURLM_OK) {
		async_fail(L, sl, curl_multi_strerror(mc));
		return -1;
	}
	sl->busy = 1;
	L->active++;
	L->inflight++;
	sched_begin(L->rn->sched);
	return 0;
}

/* gives slot sl the next request: now, or at its due time; leaves it idle at the end */
static void async_start(struct async_loop *L, struct async_slot *sl)
{
	uint64_t due;
	while (!L->exhausted) {
		if (!sched_claim(L->rn->sched, &sl->i, &due)) {
			L->exhausted = 1;
			return;
		}
		sl->res.due_us = due;
		uint64_t now = clock_now_us() - L->rn->t0;
		if (due > now) {
			struct timeval tv = {(time_t)((due - now) / 1000000),
			                     (suseconds_t)((due - now) % 1000000)};
			sl->waiting = 1;
			L->active++;
			evtimer_add(&sl->wait, &tv);
			return;
		}
		if (async_add(L, sl) == 0)
			return;
	}
}

static void async_on_due(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct async_slot *sl = arg;
	struct async_loop *L = sl->L;
	async_enter(L);
	sl->waiting = 0;
	L->active--;
	if (async_add(L, sl) != 0)
		async_start(L, sl);
	async_check_end(L);
	async_leave(L);
}

/* A connect on loopback has usually completed when connect(2) returns, but libcurl 7.88 only
 * looks at a connecting socket again once the loop reports it writable (one more epoll pass
 * and an EPOLLOUT registration per connection). So tell libcurl at once that each socket it
 * just opened is writable: it checks (poll, SO_ERROR) and sends the request, or keeps waiting
 * when the connect is still in progress. A stale or reused fd is harmless: libcurl checks. */
static void async_kick_fresh(struct async_loop *L)
{
	int running;
	while (L->nfresh > 0) {
		curl_socket_t s = L->fresh[--L->nfresh];
		curl_multi_socket_action(L->multi, s, CURL_CSELECT_OUT, &running);
	}
}

static void async_on_socket_ready(evutil_socket_t fd, short what, void *arg)
{
	struct async_loop *L = arg;
	async_enter(L);
	int action = ((what & EV_READ) ? CURL_CSELECT_IN : 0) |
	             ((what & EV_WRITE) ? CURL_CSELECT_OUT : 0);
	int running;
	curl_multi_socket_action(L->multi, fd, action, &running);
	async_kick_fresh(L);
	async_drain(L);
	async_leave(L);
}

static void async_on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct async_loop *L = arg;
	async_enter(L);
	int running;
	curl_multi_socket_action(L->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	async_kick_fresh(L);
	async_drain(L);
	async_leave(L);
}

/* CURLMOPT_SOCKETFUNCTION: watch s for what libcurl wants, or stop watching it */
static int async_sock_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *sockp)
{
	(void)easy;
	struct async_loop *L = userp;
	struct async_sock *si = sockp;
	if (what == CURL_POLL_REMOVE) {
		if (si) {
			event_del(&si->ev);
			si->next_spare = L->spare;
			L->spare = si;
		}
		return 0;
	}
	if (!si) {
		si = L->spare;
		if (si)
			L->spare = si->next_spare;
		else if (!(si = calloc(1, sizeof(*si))))
			return -1;
		si->loop = L;
		curl_multi_assign(L->multi, s, si);
		if ((what & CURL_POLL_OUT) && L->nfresh < L->want)
			L->fresh[L->nfresh++] = s;
	} else {
		event_del(&si->ev); /* fd numbers are reused: never re-assign a pending event */
	}
	short kind = EV_PERSIST | ((what & CURL_POLL_IN) ? EV_READ : 0) |
	             ((what & CURL_POLL_OUT) ? EV_WRITE : 0);
	event_assign(&si->ev, L->base, s, kind, async_on_socket_ready, L);
	event_add(&si->ev, NULL);
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: only (re)arms our timer; calling libcurl from here is forbidden */
static int async_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	(void)multi;
	struct async_loop *L = userp;
	if (timeout_ms < 0) {
		evtimer_del(&L->timer);
		return 0;
	}
	struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
	evtimer_add(&L->timer, &tv);
	return 0;
}

/* records every finished transfer and reuses its handle for the next request */
static void async_drain(struct async_loop *L)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(L->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		CURL *easy = msg->easy_handle;
		CURLcode rc = msg->data.result; /* msg is invalid after remove_handle */
		struct http_xfer *x = NULL;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x);
		struct async_slot *sl = (struct async_slot *)x;
		http_xfer_finish(x, rc);
		sched_end(L->rn->sched);
		L->inflight--;
		run_work(L->rn->b, x);
		collect_done(L->rn->col, &sl->res);
		sl->busy = 0;
		L->active--;
		/* curl_multi_remove_handle walks every cached connection (7.88: the connect-only
		 * sweep), so with 10,000 in flight removing each finished handle costs O(n^2).
		 * A handle with no next request stays parked in the multi (finished transfers
		 * do nothing there); curl_multi_cleanup detaches it at the end. */
		if (!L->exhausted) {
			curl_multi_remove_handle(L->multi, easy);
			async_start(L, sl);
		}
	}
	async_check_end(L);
}

/* Starts the first requests of up to ASYNC_CHUNK idle slots, then yields to the loop.
 * libcurl connects every handle added before its 0 ms timer fires, inside one
 * curl_multi_socket_action call, and sends nothing until all of them are connected: with
 * 10,000 added at once the first request left ~0.3 s after the batch start. In chunks, the
 * loop sends the requests of one chunk while the next one connects. */
static void async_on_feed(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct async_loop *L = arg;
	async_enter(L);
	for (size_t n = 0; n < ASYNC_CHUNK && L->fed < L->nslots && !L->exhausted; n++)
		async_start(L, &L->slots[L->fed++]);
	if (L->fed < L->nslots && !L->exhausted) {
		struct timeval now = {0, 0};
		evtimer_add(&L->feed, &now);
	}
	async_check_end(L);
	async_leave(L);
}

/* Ctrl-C: take nothing new (run_mode counts the rest as interrupted); what is in flight
 * finishes, as in the other modes; a request held for its due time is not sent */
static void async_on_stop_check(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct async_loop *L = arg;
	if (!stop_requested() || L->exhausted)
		return;
	sched_stop(L->rn->sched);
	L->exhausted = 1;
	for (size_t k = 0; k < L->nslots; k++) {
		struct async_slot *sl = &L->slots[k];
		if (!sl->waiting)
			continue;
		evtimer_del(&sl->wait);
		sl->waiting = 0;
		L->active--;
		async_fail(L, sl, STOP_MSG);
	}
	async_check_end(L);
}

static int async_setup(struct async_loop *L)
{
	struct event_config *cfg = event_config_new();
	if (!cfg)
		return -ENOMEM;
	event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER | EVENT_BASE_FLAG_NOLOCK |
	                                   EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	L->base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	L->multi = curl_multi_init();
	L->slots = calloc(L->want, sizeof(*L->slots));
	L->fresh = calloc(L->want, sizeof(*L->fresh));
	if (!L->base || !L->multi || !L->slots || !L->fresh)
		return -ENOMEM;
	evtimer_assign(&L->timer, L->base, async_on_timer, L);
	evtimer_assign(&L->feed, L->base, async_on_feed, L);
	event_assign(&L->stop_check, L->base, -1, EV_PERSIST, async_on_stop_check, L);
	struct timeval every = {0, 50000};
	event_add(&L->stop_check, &every);
	L->events_set = 1;
	int bad = 0;
	long c = (long)L->want;
	bad |= curl_multi_setopt(L->multi, CURLMOPT_SOCKETFUNCTION, async_sock_cb) != CURLM_OK;
	bad |= curl_multi_setopt(L->multi, CURLMOPT_SOCKETDATA, L) != CURLM_OK;
	bad |= curl_multi_setopt(L->multi, CURLMOPT_TIMERFUNCTION, async_timer_cb) != CURLM_OK;
	bad |= curl_multi_setopt(L->multi, CURLMOPT_TIMERDATA, L) != CURLM_OK;
	bad |= curl_multi_setopt(L->multi, CURLMOPT_MAX_HOST_CONNECTIONS, c) != CURLM_OK;
	bad |= curl_multi_setopt(L->multi, CURLMOPT_MAXCONNECTS, c) != CURLM_OK;
	if (bad)
		return -EINVAL;
	pid_t pid = getpid(), tid = trace_gettid(); /* one loop, one thread: ask once */
	for (size_t k = 0; k < L->want; k++) {
		struct async_slot *sl = &L->slots[k];
		int rc = http_xfer_init_as(&sl->x, L->rn->b, L->rn->t0, pid, tid);
		if (rc != 0)
			return rc;
		sl->L = L;
		evtimer_assign(&sl->wait, L->base, async_on_due, sl);
		L->nslots = k + 1;
	}
	return 0;
}

static void async_teardown(struct async_loop *L)
{
	/* the multi goes first: curl_multi_cleanup ends what is still in flight, detaches every
	 * handle still added (parked ones too) and closes the connections, removing their
	 * sockets through async_sock_cb; then the easy handles are free to go */
	if (L->multi)
		curl_multi_cleanup(L->multi);
	for (size_t k = 0; k < L->nslots; k++) {
		evtimer_del(&L->slots[k].wait);
		http_xfer_cleanup(&L->slots[k].x);
	}
	if (L->events_set) {
		evtimer_del(&L->timer);
		evtimer_del(&L->feed);
		event_del(&L->stop_check);
	}
	if (L->base)
		event_base_free(L->base);
	while (L->spare) {
		struct async_sock *si = L->spare;
		L->spare = si->next_spare;
		free(si);
	}
	free(L->fresh);
	free(L->slots);
}

/* one loop's whole life, in the thread that runs it */
static void *async_loop_main(void *arg)
{
	struct async_loop *L = arg;
	L->rc = async_setup(L);
	if (L->rc == 0) {
		async_on_feed(-1, 0, L);
		if (!(L->exhausted && L->active == 0) && event_base_dispatch(L->base) < 0)
			L->rc = -EIO;
		/* the loop only stops early on an internal failure: record what it left */
		const char *why = stop_requested() ? STOP_MSG : "event loop stopped";
		for (size_t k = 0; k < L->nslots; k++) {
			struct async_slot *sl = &L->slots[k];
			if (sl->busy)
				run_cut_short(L->rn, &sl->res, why);
			else if (sl->waiting)
				async_fail(L, sl, why);
		}
	}
	if (L->rc != 0) /* a loop that cannot run takes nothing more */
		sched_stop(L->rn->sched);
	async_teardown(L);
	return NULL;
}

int mode_async(struct runner *rn)
{
	size_t nloops = rn->b->loops > 1 ? rn->b->loops : 1;
	if (nloops > rn->workers)
		nloops = rn->workers;
	struct async_loop *loops = calloc(nloops, sizeof(*loops));
	if (!loops)
		return -ENOMEM;
	for (size_t j = 0; j < nloops; j++) {
		loops[j].rn = rn;
		loops[j].id = (uint32_t)j;
		loops[j].log.max = activity_log_max(nloops);
		loops[j].want = rn->workers / nloops + (j < rn->workers % nloops);
	}
	size_t started = 0;
	int rc = 0;
	if (nloops == 1) {
		async_loop_main(&loops[0]);
		started = 1;
	} else {
		for (; started < nloops; started++) {
			int e = pthread_create(&loops[started].thread, NULL, async_loop_main,
			                       &loops[started]);
			if (e != 0) {
				rc = -e;
				sched_stop(rn->sched);
				break;
			}
		}
		for (size_t j = 0; j < started; j++)
			pthread_join(loops[j].thread, NULL);
	}
	size_t ran = 0;
	for (size_t j = 0; j < started; j++)
		activity_take(rn->out, &loops[j].log);
	for (size_t j = 0; j < started; j++) {
		if (loops[j].rc == 0)
			ran += loops[j].want;
		else if (!rc)
			rc = loops[j].rc;
	}
	if (ran)
		rn->not_run = stop_requested() ? STOP_MSG : "event loop stopped";
	free(loops);
	return ran ? (int)ran : (rc ? rc : -EAGAIN);
}
