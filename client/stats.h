/* stats.h -- what a run measured, in constant memory: counts by outcome, latency histograms
 * (service time, and time from the due time, which corrects coordinated omission under
 * --rate), one histogram per phase of a request, late starts, and per-second counters.
 *
 * A struct stats is filled one finished record at a time (stats_add) and merged exactly
 * (stats_merge: per loop, per run, per machine). Not thread-safe: collect.h serialises. */
#ifndef LATLAB_STATS_H
#define LATLAB_STATS_H

#include "batch.h"

#include <stddef.h>
#include <stdint.h>

struct hist;

/* The phases of one request: the client's own queue wait (due -> start), then libcurl's
 * timers (CURLINFO_*_TIME_T): DNS, TCP connect, TLS handshake, time to first byte (request
 * sent -> first response byte) and the body's transfer. */
enum phase { PHASE_QUEUE, PHASE_DNS, PHASE_CONNECT, PHASE_TLS, PHASE_TTFB, PHASE_TRANSFER };
#define PHASE_COUNT 6

#define STATS_LATE_US     1000 /* a request that starts later than this after its due time is late */
#define STATS_MAX_SECONDS (7 * 24 * 3600) /* per-second counters kept for at most a week */

/* A small histogram for one second: 32 buckets per power of two (values within 3%),
 * 3.5 KiB, so a 10-minute run's seconds cost about 2 MiB. */
#define STATS_SEC_BUCKETS 896
struct stats_sec_hist {
	uint32_t b[STATS_SEC_BUCKETS];
	uint32_t count;
};

/* One second of a run (by end time): requests finished, errors among them, and a small
 * histogram of their latency (service time), from which p50/p99 per second come. */
struct stats_second {
	uint64_t requests;
	uint64_t errors;
	struct stats_sec_hist *lat; /* NULL until the second has a response */
};

/* The value at percentile p of a second's histogram (within 3%); 0 when empty or NULL. */
uint64_t stats_sec_percentile(const struct stats_sec_hist *h, double p);

struct stats {
	uint64_t count;                /* records added (finished or failed requests) */
	uint64_t ok;                   /* without error */
	uint64_t errors[ERR_NCLASSES]; /* by class; errors[ERR_NONE] unused */
	uint64_t late;                 /* started more than STATS_LATE_US after due */
	uint64_t interrupted;          /* errors (other) for Ctrl-C (STOP_MSG): a partial run */
	uint64_t no_delay_ok;          /* succeeded without an X-Latlab-Delay-Us header */
	uint64_t last_end_us;          /* the latest end seen */
	uint64_t first_start_us;       /* the earliest start (when count > 0) */
	uint64_t last_start_us;        /* the latest start */
	struct hist *lat;              /* end - start, requests that got an HTTP response */
	struct hist *lat_due;          /* end - due, the same requests (corrected for CO) */
	struct hist *phase[PHASE_COUNT];
	int has_first_error;
	uint64_t first_error_index; /* the lowest index that failed */
	uint32_t first_error_url;
	enum err_class first_error_err; /* its class */
	char first_error_msg[96];
	struct stats_second *seconds; /* nseconds entries, second k = [k s, k+1 s) after t0 */
	size_t nseconds;
};

/* A new empty struct stats, or NULL when out of memory. Free with stats_free. */
struct stats *stats_new(void);
void stats_free(struct stats *s);

/* Adds one finished record. Returns 0, or -ENOMEM when a per-second slot could not be made
 * (the totals still count it). */
int stats_add(struct stats *s, const struct req_result *q);

/* Counts count requests that never ran as errors (other) with reason why; index is the
 * first of them, url its URL index. */
void stats_add_missing(struct stats *s, uint64_t count, uint64_t index, uint32_t url,
                       const char *why);

/* Adds everything in src to dst exactly (histograms bucket by bucket). 0 or -ENOMEM. */
int stats_merge(struct stats *dst, const struct stats *src);

/* The name of phase p as used in JSON ("queue", "dns", "connect", "tls", "ttfb",
 * "transfer"). */
const char *stats_phase_name(enum phase p);

#endif
