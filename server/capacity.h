/* capacity.h -- finite sites: per-site worker slots and a FIFO queue of waiting requests.
 *
 * A site with capacity K serves at most K requests at once; the rest wait, in arrival order,
 * in a bounded queue (queue = Q) and are refused beyond it (overload). The queue is intrusive:
 * a waiter is a struct srv_cap_waiter embedded in the caller's per-request state, so a queued
 * request costs no allocation here. This module decides and counts; it never touches a
 * connection: the caller suspends before srv_capacity_enter and schedules what it gets back. */
#ifndef LATLAB_SERVER_CAPACITY_H
#define LATLAB_SERVER_CAPACITY_H

#include "sites.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#define SRV_CAPACITY_MAX 100000u  /* capacity: slots per site */
#define SRV_QUEUE_MAX    1000000u /* queue: waiting requests per site */

/* A waiting request; the caller owns the memory and fills limit, qmax and fd before it
 * enters. */
struct srv_cap_waiter {
	struct srv_cap_waiter *next;
	uint32_t limit;       /* the request's capacity (slots it may share), >= 1 */
	uint32_t qmax;        /* the request's queue bound, or SRV_QUEUE_UNLIMITED */
	int fd;               /* its client's socket, watched while it is queued; -1: none */
	uint64_t ticket;      /* set by srv_capacity_enter: its place in its site's arrivals */
	uint64_t enqueued_us; /* set by srv_capacity_enter */
	uint64_t admitted_us; /* set when a slot is taken; 0 while queued */
	uint64_t queue_us;    /* admitted_us - enqueued_us */
};

enum srv_cap_verdict { SRV_CAP_ADMIT, SRV_CAP_QUEUED, SRV_CAP_FULL };

struct srv_capacity;

/* A table of counters and queues for SRV_SITES_MAX sites; NULL when out of memory. */
struct srv_capacity *srv_capacity_new(void);

/* Frees c (its queues must be empty: see srv_capacity_close). NULL is a no-op. */
void srv_capacity_free(struct srv_capacity *c);

/* Request w of site index i arrives at now_us: ADMIT (a slot is taken: w->queue_us = 0),
 * QUEUED (w waits; a later srv_capacity_leave hands it back) or FULL (refused, counted).
 * After srv_capacity_close every request is admitted. */
enum srv_cap_verdict srv_capacity_enter(struct srv_capacity *c, size_t i, struct srv_cap_waiter *w,
                                        uint64_t now_us);

/* A request of site index i leaves its slot at now_us. Returns the waiters that took a slot
 * (linked by next, in queue order; admitted_us and queue_us set), or NULL. */
struct srv_cap_waiter *srv_capacity_leave(struct srv_capacity *c, size_t i, uint64_t now_us);

/* Polls the sockets of every queued waiter once (one thread at a time: the timer's watch
 * round) and takes those whose client is gone (hang-up, error, or its write side shut) out of
 * their queues: returned linked by next, never admitted, each counted as gone. *watched: how
 * many sockets were polled. A waiter is taken out of its queue by exactly one of
 * srv_capacity_leave, srv_capacity_gone, srv_capacity_cancel and srv_capacity_close. */
struct srv_cap_waiter *srv_capacity_gone(struct srv_capacity *c, size_t *watched);

/* Takes w out of site index i's queue if it is still there: 1, else 0 (nothing changes). */
int srv_capacity_cancel(struct srv_capacity *c, size_t i, struct srv_cap_waiter *w);

/* Back to the start (POST /__latlab/reset): rejected, gone, max_queued (to the queue now) and
 * the queue-wait histograms; not the requests in service or queued now. */
void srv_capacity_reset(struct srv_capacity *c);

/* Stops queueing: returns every waiter of every site (linked by next, never admitted), and
 * admits every later arrival at once. For a stop. */
struct srv_cap_waiter *srv_capacity_close(struct srv_capacity *c);

/* Per site: {"capacity", "queue", "in_service", "queued", "max_queued", "rejected", "gone",
 * "queue_wait_us": {"count", "p50", "p90", "p99", "max"}} for every site of sites; a new
 * reference, NULL on failure. */
json_t *srv_capacity_json(struct srv_capacity *c, const struct srv_sites *sites);

/* The same as Prometheus text (latlab_capacity_* families), written to f. */
void srv_capacity_metrics(struct srv_capacity *c, const struct srv_sites *sites, FILE *f);

/* Parses a capacity key of a site's section (capacity, queue, overload, overload_status)
 * into site. 1 when set, 0 when key is not one of them, -EINVAL with the accepted forms in
 * accepted and the problem in why. */
int srv_capacity_key(struct srv_site *site, const char *key, const char *value,
                     const char **accepted, char *why, size_t whylen);

#endif
