/* async.c -- one thread, one libevent loop, the curl multi socket API: libcurl tells us which
 * sockets and which timeout to watch (sock_cb, timer_cb), libevent tells libcurl when they
 * are ready (curl_multi_socket_action). At most c transfers in flight; each finished easy
 * handle is reused for the next request. Shape: curl's docs/examples/hiperfifo.c. */
#include "modes.h"

#include "activity.h"
#include "batch.h"
#include "clock.h"
#include "http.h"
#include "stop.h"
#include "trace.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ASYNC_CHUNK 64 /* first requests started per loop pass (64..1024 measured: same wall) */

struct async_loop {
	const struct batch *b;
	struct run *out;
	struct event_base *base;
	CURLM *multi;
	struct event timer;      /* libcurl's single timeout */
	struct event stop_check; /* looks at the Ctrl-C flag every 50 ms */
	struct event feed;       /* starts the next chunk of first requests, once per loop pass */
	struct http_xfer *xfers;
	unsigned char *busy;  /* busy[k]: xfers[k] is in the multi */
	curl_socket_t *fresh; /* sockets libcurl just opened and wants writable: nfresh of nxfers */
	size_t nfresh;
	size_t nxfers;
	size_t fed;  /* xfers[0, fed) have been given their first request */
	size_t next; /* next request index to start */
	size_t end;  /* requests [next, end) are still to start: b->n, or next after Ctrl-C */
	size_t done; /* requests recorded */
	uint64_t t0;
	int events_set; /* timer, feed and stop_check are assigned */
	/* what the loop's thread did: on a CPU inside callbacks, else waiting on the network */
	struct span_log log;
	uint64_t enter_us, enter_cpu_us, leave_us;
};

/* a callback begins: the time since the last one was spent waiting on the network (or idle,
 * with nothing in flight) */
static void async_enter(struct async_loop *L)
{
	L->enter_us = clock_now_us() - L->t0;
	L->enter_cpu_us = activity_cpu_now_us(CLOCK_THREAD_CPUTIME_ID);
	if (L->next > L->done && L->enter_us > L->leave_us)
		span_log_add(&L->log, 0, WS_NET, L->leave_us, L->enter_us, 0);
}

/* a callback ends: the thread was on a CPU since async_enter */
static void async_leave(struct async_loop *L)
{
	uint64_t cpu = activity_cpu_now_us(CLOCK_THREAD_CPUTIME_ID) - L->enter_cpu_us;
	L->leave_us = clock_now_us() - L->t0;
	span_log_add(&L->log, 0, WS_CPU, L->enter_us, L->leave_us, cpu);
}

/* one per socket libcurl asks us to watch; reused (event_assign) while the socket lives */
struct async_sock {
	struct event ev;
	struct async_loop *loop;
};

static void async_drain(struct async_loop *L);

/* starts the next request that can be started on xfers[k]; leaves it idle at the end */
static void async_start(struct async_loop *L, size_t k)
{
	struct http_xfer *x = &L->xfers[k];
	while (L->next < L->end) {
		size_t i = L->next++;
		if (http_xfer_prepare(x, L->b, i, 0, &L->out->results[i]) != 0) {
			http_xfer_finish(x, CURLE_URL_MALFORMAT);
			L->done++;
			continue;
		}
		/* a handle's first request cannot find an idle connection (all start together),
		 * so skip libcurl's scan of the connection cache, which is linear in the open
		 * connections: quadratic for 10,000 in flight. Later requests reuse connections. */
		curl_easy_setopt(x->easy, CURLOPT_FRESH_CONNECT, i < L->nxfers ? 1L : 0L);
		CURLMcode mc = curl_multi_add_handle(L->multi, x->easy);
		if (mc != CURLM_OK) {
			http_record_error(&L->out->results[i], L->b, i, ERR_OTHER,
			                  curl_multi_strerror(mc), clock_now_us() - L->t0);
			L->done++;
			continue;
		}
		L->busy[k] = 1;
		return;
	}
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
			free(si);
		}
		return 0;
	}
	if (!si) {
		si = calloc(1, sizeof(*si));
		if (!si)
			return -1;
		si->loop = L;
		curl_multi_assign(L->multi, s, si);
		if ((what & CURL_POLL_OUT) && L->nfresh < L->nxfers)
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
		http_xfer_finish(x, rc);
		run_work(L->b, x);
		size_t k = (size_t)(x - L->xfers);
		L->busy[k] = 0;
		L->done++;
		/* curl_multi_remove_handle walks every cached connection (7.88: the connect-only
		 * sweep), so with 10,000 in flight removing each finished handle costs O(n^2).
		 * A handle with no next request stays parked in the multi (finished transfers
		 * do nothing there); curl_multi_cleanup detaches it at the end. */
		if (L->next < L->end) {
			curl_multi_remove_handle(L->multi, easy);
			async_start(L, k);
		}
	}
	if (L->done >= L->end)
		event_base_loopbreak(L->base);
}

/* Starts the first requests of up to ASYNC_CHUNK idle handles, then yields to the loop.
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
	for (size_t n = 0; n < ASYNC_CHUNK && L->fed < L->nxfers; n++)
		async_start(L, L->fed++);
	if (L->fed < L->nxfers && L->next < L->end) {
		struct timeval now = {0, 0};
		evtimer_add(&L->feed, &now);
	}
	if (L->done >= L->end)
		event_base_loopbreak(L->base);
	async_leave(L);
}

/* Ctrl-C: start nothing new (run_mode records the rest as interrupted); what is in flight
 * finishes, as in the other modes */
static void async_on_stop_check(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct async_loop *L = arg;
	if (!stop_requested() || L->end == L->next)
		return;
	L->end = L->next;
	if (L->done >= L->end)
		event_base_loopbreak(L->base);
}

static int async_setup(struct async_loop *L, size_t c)
{
	struct event_config *cfg = event_config_new();
	if (!cfg)
		return -ENOMEM;
	event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER | EVENT_BASE_FLAG_NOLOCK |
	                                   EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	L->base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	L->multi = curl_multi_init();
	L->xfers = calloc(c, sizeof(*L->xfers));
	L->busy = calloc(c, 1);
	L->fresh = calloc(c, sizeof(*L->fresh));
	if (!L->base || !L->multi || !L->xfers || !L->busy || !L->fresh)
		return -ENOMEM;
	evtimer_assign(&L->timer, L->base, async_on_timer, L);
	evtimer_assign(&L->feed, L->base, async_on_feed, L);
	event_assign(&L->stop_check, L->base, -1, EV_PERSIST, async_on_stop_check, L);
	struct timeval every = {0, 50000};
	event_add(&L->stop_check, &every);
	L->events_set = 1;
	int bad = 0;
	bad |= curl_multi_setopt(L->multi, CURLMOPT_SOCKETFUNCTION, async_sock_cb) != CURLM_OK;
	bad |= curl_multi_setopt(L->multi, CURLMOPT_SOCKETDATA, L) != CURLM_OK;
	bad |= curl_multi_setopt(L->multi, CURLMOPT_TIMERFUNCTION, async_timer_cb) != CURLM_OK;
	bad |= curl_multi_setopt(L->multi, CURLMOPT_TIMERDATA, L) != CURLM_OK;
	bad |= curl_multi_setopt(L->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)c) != CURLM_OK;
	bad |= curl_multi_setopt(L->multi, CURLMOPT_MAXCONNECTS, (long)c) != CURLM_OK;
	if (bad)
		return -EINVAL;
	pid_t pid = getpid(), tid = trace_gettid(); /* one loop, one thread: ask once */
	for (size_t k = 0; k < c; k++) {
		int rc = http_xfer_init_as(&L->xfers[k], L->b, L->t0, pid, tid);
		if (rc != 0)
			return rc;
		L->nxfers = k + 1;
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
	for (size_t k = 0; k < L->nxfers; k++)
		http_xfer_cleanup(&L->xfers[k]);
	if (L->events_set) {
		evtimer_del(&L->timer);
		evtimer_del(&L->feed);
		event_del(&L->stop_check);
	}
	if (L->base) {
		event_base_free(L->base);
	}
	free(L->fresh);
	free(L->busy);
	free(L->xfers);
}

int mode_async(struct runner *rn)
{
	struct async_loop L;
	memset(&L, 0, sizeof(L));
	L.b = rn->b;
	L.out = rn->out;
	L.t0 = rn->t0;
	L.end = rn->b->n;
	int rc = async_setup(&L, rn->workers);
	if (rc == 0) {
		async_on_feed(-1, 0, &L);
		if (L.done < L.end && event_base_dispatch(L.base) < 0)
			rc = -EIO;
		/* the loop only stops early on an internal failure: record what it left */
		const char *why = stop_requested() ? STOP_MSG : "event loop stopped";
		for (size_t k = 0; k < L.nxfers; k++)
			if (L.busy[k])
				run_cut_short(rn, L.xfers[k].res, why);
		rn->not_run = why;
	}
	async_teardown(&L);
	activity_take(rn->out, &L.log);
	return rc ? rc : (int)rn->workers;
}
