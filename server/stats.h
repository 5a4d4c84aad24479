/* stats.h -- the server's counters (lock-free atomics), overall and per site (the seq of the
 * next request without one, answers), and their JSON and Prometheus views.
 *
 * Counters are updated by the worker threads; views read them without stopping anyone, so
 * a view is a consistent-enough snapshot, not an atomic one. The lateness histogram (how
 * long after its deadline a delayed answer was queued) is the one locked part; it is only
 * touched by delayed requests, never on the zero-delay path. */
#ifndef LATLAB_SERVER_STATS_H
#define LATLAB_SERVER_STATS_H

#include "sites.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

struct hist;

/* one site's counters, by its index in the site table */
struct srv_site_stats {
	atomic_uint_fast64_t next_seq; /* k for the next request that brings no seq */
	atomic_uint_fast64_t requests; /* answered requests */
};

struct srv_stats {
	atomic_uint_fast64_t requests;      /* every request that reached the handler */
	atomic_uint_fast64_t in_flight;     /* handler called, not yet completed */
	atomic_uint_fast64_t max_in_flight; /* high-water mark of in_flight */
	atomic_uint_fast64_t suspended;     /* connections waiting on the timer now */
	atomic_uint_fast64_t held;          /* fault=timeout requests in flight: no drain waits */
	atomic_uint_fast64_t by_class[6];   /* responses by status class: [1]=1xx ... [5]=5xx */
	atomic_uint_fast64_t faults;        /* fault= requests carried out */
	atomic_uint_fast64_t delay_us_sum;  /* injected delay, summed over delayed requests */
	struct srv_site_stats site[SRV_SITES_MAX];
	uint64_t started_us; /* clock_now_us at start */
	pthread_mutex_t late_lock;
	struct hist *late; /* us from a delayed request's deadline to its answer */
};

/* Zeroes the counters and records the start time; 0, or -ENOMEM. */
int srv_stats_init(struct srv_stats *st);

/* Frees what srv_stats_init allocated. */
void srv_stats_destroy(struct srv_stats *st);

/* Back to the start (POST /__latlab/reset): the counters, per-site seqs and the lateness
 * histogram; not the gauges of what is in flight now. */
void srv_stats_reset(struct srv_stats *st);

/* A delayed answer was queued late_us after its deadline. */
void srv_stats_late(struct srv_stats *st, uint64_t late_us);

/* A request entered the handler: counts it and raises the in-flight high-water mark. */
void srv_stats_begin(struct srv_stats *st);

/* A request completed (libmicrohttpd's completion callback); returns how many remain. */
uint64_t srv_stats_end(struct srv_stats *st);

/* The k of the next request to site index i that brings no seq (0, 1, 2, ... per site). */
uint64_t srv_stats_next_seq(struct srv_stats *st, size_t i);

/* A response from site index i was queued. */
void srv_stats_answered(struct srv_stats *st, size_t i);

/* A response with this status was queued. */
void srv_stats_status(struct srv_stats *st, unsigned status);

/* /__latlab/stats as a JSON text (malloc'd, caller frees), or NULL when out of memory. */
char *srv_stats_json(struct srv_stats *st, const struct srv_sites *sites);

/* /__latlab/metrics in the Prometheus text format (malloc'd, caller frees), or NULL. */
char *srv_stats_metrics(struct srv_stats *st, const struct srv_sites *sites);

#endif
