/* collect.h -- where every mode hands its finished requests: one collector per run, shared by
 * its threads or loops (a mutex), filling the run's stats (stats.h) and, only when a
 * per-request output asks for them (CSV, timeline), the per-request records; the injected
 * delays by index only for a batch small enough to compute its ideal time. So a long -d run
 * costs histograms and per-second counters, not memory per request. */
#ifndef LATLAB_COLLECT_H
#define LATLAB_COLLECT_H

#include "batch.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define COLLECT_MAX_IDEAL 1000000u /* batches up to this size keep their delays (8 B each) */

struct stats;

struct collect {
	pthread_mutex_t mu;
	struct stats *st;
	struct req_result *recs; /* by index, cap entries, when keep > 0 */
	size_t cap;
	size_t keep;     /* records kept for indices below this */
	size_t dropped;  /* records not kept (index >= keep) */
	int64_t *delays; /* by index, ndelays entries (-1 unknown); NULL: not kept */
	size_t ndelays;
	int failed;       /* out of memory while keeping something */
	uint64_t busy_us; /* end - start summed: requests in flight over time (concurrency) */
	uint64_t last_us; /* clock_now_us() when the last record came in; 0: none yet */
};

/* Sets c up for batch b. 0, or -ENOMEM (c is then safe to collect_fini). */
int collect_init(struct collect *c, const struct batch *b);

/* Adds one finished record (thread-safe) and notes when it came in (last_us). */
void collect_done(struct collect *c, const struct req_result *q);

/* Finished requests so far (thread-safe; for the progress line). */
uint64_t collect_count(struct collect *c);

/* Releases what c still owns (the run takes stats, recs and delays by setting them NULL). */
void collect_fini(struct collect *c);

#endif
