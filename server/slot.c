/* slot.c -- a finite site's request (capacity.h): suspended at once, then in service (its
 * delay runs), queued (suspended with no timer entry until a slot frees), refused (the
 * overload answer) or taken out of the queue when its client leaves or the server stops.
 *
 * The order of decisions: the capacity decision comes first, at arrival (admitted, queued or
 * refused); the scripted status or fault (drawn at arrival by seed, site and k, and journaled
 * as planned) is carried out only once the request has been in service for its delay. A
 * refused request gets the site's overload answer instead, whatever its script said; its k is
 * spent all the same. Whichever thread takes a waiter out of its queue (capacity.c decides
 * under the site's lock) is the one that hands its connection to the timer, exactly once. */
#include "internal.h"

#include "clock.h"

#include <stddef.h>

static struct req *req_of_waiter(struct srv_cap_waiter *w)
{
	return (struct req *)(void *)((char *)w - offsetof(struct req, cap));
}

/* the slots and queue bound r shares (its query's, else its site's) */
static uint32_t limit_of(const struct req *r)
{
	return (r->o.has & SRV_HAS_CAPACITY) ? r->o.capacity : r->site->capacity;
}

int srv_slot_finite(const struct req *r)
{
	return limit_of(r) != 0;
}

/* r took a slot at now_us: its delay starts (r's connection is suspended; any thread) */
static void start_service(struct srv_server *srv, struct req *r, uint64_t now_us)
{
	r->slot = SLOT_SERVING;
	r->queue_us = r->cap.queue_us;
	r->start_us = now_us;
	r->deadline_us = now_us + r->wait_us;
	srv_schedule(srv, r->conn, r->deadline_us, 1);
}

/* r left the queue without a slot (its client left, or a stop): resumed at once, and
 * resumed() sees its deadline not reached (any thread) */
static void cut_waiter(struct srv_server *srv, struct srv_cap_waiter *w)
{
	struct req *r = req_of_waiter(w);

	r->deadline_us = UINT64_MAX;
	srv_schedule(srv, r->conn, 0, 0);
}

void srv_slot_leave(struct srv_server *srv, struct req *r)
{
	size_t i = r->sites ? srv_sites_index(r->sites, r->site) : 0;

	if (r->slot == SLOT_QUEUED && r->state == REQ_SUSPENDED) {
		/* never resumed (the daemon stopped under it): out of the queue if still there */
		srv_capacity_cancel(srv->capacity, i, &r->cap);
		r->slot = SLOT_NONE;
		return;
	}
	if (r->slot != SLOT_SERVING)
		return;
	r->slot = SLOT_NONE;
	struct srv_cap_waiter *w = srv_capacity_leave(srv->capacity, i, clock_now_us());
	while (w) {
		struct srv_cap_waiter *next = w->next; /* w's request may be answered at once */
		start_service(srv, req_of_waiter(w), w->admitted_us);
		w = next;
	}
}

/* the queue was full: r is answered with the overload answer at once, not delayed */
static void refused(struct srv_server *srv, struct req *r, uint64_t now)
{
	r->slot = SLOT_REJECTED;
	atomic_fetch_sub_explicit(&srv->stats.delay_us_sum, r->delay_us, memory_order_relaxed);
	r->delay_us = 0;
	if (r->held) { /* a planned fault=timeout that never runs */
		r->held = 0;
		atomic_fetch_sub_explicit(&srv->stats.held, 1, memory_order_relaxed);
	}
	r->deadline_us = now;
	srv_schedule(srv, r->conn, now, 0);
}

enum MHD_Result srv_slot_wait(struct srv_server *srv, struct MHD_Connection *conn, struct req *r,
                              uint64_t wait)
{
	const struct srv_site *site = r->site;
	uint64_t now = clock_now_us();

	r->cap.limit = limit_of(r);
	r->cap.qmax = (r->o.has & SRV_HAS_QUEUE) ? r->o.queue : site->queue;
	r->cap.fd = srv_conn_fd(conn);
	r->wait_us = wait;
	r->conn = conn;
	if (r->verdict.fault == SRV_FAULT_TIMEOUT) {
		r->held = 1;
		atomic_fetch_add_explicit(&srv->stats.held, 1, memory_order_relaxed);
	}
	atomic_fetch_add_explicit(&srv->stats.delay_us_sum, r->delay_us, memory_order_relaxed);
	r->state = REQ_SUSPENDED;
	r->slot = SLOT_QUEUED; /* before the queue can hand r to another thread */
	srv_suspend(srv, conn);
	switch (srv_capacity_enter(srv->capacity, srv_sites_index(r->sites, site), &r->cap, now)) {
	case SRV_CAP_ADMIT:
		start_service(srv, r, now);
		break;
	case SRV_CAP_QUEUED:
		break; /* r belongs to the queue now: not touched again on this thread */
	case SRV_CAP_FULL:
		refused(srv, r, now);
		break;
	}
	return MHD_YES;
}

size_t srv_slot_watch(void *arg)
{
	struct srv_server *srv = arg;
	size_t watched = 0;
	struct srv_cap_waiter *w = srv_capacity_gone(srv->capacity, &watched);

	while (w) {
		struct srv_cap_waiter *next = w->next;
		cut_waiter(srv, w);
		w = next;
	}
	return watched;
}

void srv_slot_cut_queued(struct srv_server *srv)
{
	struct srv_cap_waiter *w = srv_capacity_close(srv->capacity);

	while (w) {
		struct srv_cap_waiter *next = w->next;
		cut_waiter(srv, w);
		w = next;
	}
}
