/* histogram.h -- log-linear latency histogram: constant memory, ~3 significant digits.
 *
 * Values are microseconds from 0 to HIST_MAX_US (1 hour); larger values are clamped to it
 * and counted. Values below 2048 are exact; above, each power-of-two range is split into
 * 1024 linear buckets, so a reported value is within 0.1% of the recorded one. min, max and
 * the mean are exact (an integer sum), over the clamped values. About 190 KiB each. Not
 * thread-safe: keep one per worker and merge. */
#ifndef LATLAB_HISTOGRAM_H
#define LATLAB_HISTOGRAM_H

#include <stddef.h>
#include <stdint.h>

#define HIST_MAX_US (3600ULL * 1000 * 1000)

struct hist;

/* A new empty histogram, or NULL when out of memory. Free with hist_free. */
struct hist *hist_new(void);
void hist_free(struct hist *h);

/* Empties h for reuse without reallocating it (a fuzz input, a per-second window). */
void hist_reset(struct hist *h);

/* Records one value in microseconds (clamped to HIST_MAX_US). */
void hist_record(struct hist *h, uint64_t us);

/* Adds every sample of src into dst (for merging per-worker and per-machine runs). */
void hist_merge(struct hist *dst, const struct hist *src);

uint64_t hist_count(const struct hist *h);
uint64_t hist_min(const struct hist *h); /* 0 when empty */
uint64_t hist_max(const struct hist *h); /* 0 when empty */
double hist_mean(const struct hist *h);  /* 0 when empty */

/* The value at percentile p in [0, 100]: the smallest recorded value v such that at least
 * p% of samples are <= v (nearest rank), reported to within 0.1%, never outside [min, max].
 * 0 when empty. */
uint64_t hist_percentile(const struct hist *h, double p);

/* Clamped samples (values recorded above HIST_MAX_US), kept so merged runs stay exact. */
uint64_t hist_clamped(const struct hist *h);

/* The exact sum of the recorded values, saturated at UINT64_MAX. */
uint64_t hist_sum(const struct hist *h);

/* Walks the non-empty buckets in value order: start with *cursor = 0; returns 1 with the
 * bucket's lowest value and its count, or 0 when there are no more. */
int hist_next_bucket(const struct hist *h, size_t *cursor, uint64_t *low, uint64_t *count);

/* Rebuilding a saved histogram (a run's JSON): adds count samples to the bucket whose lowest
 * value is low. Returns 0, or -EINVAL when low is not a bucket's lowest value or beyond
 * HIST_MAX_US, or -ERANGE when the count would overflow. min/max/sum are set afterwards with
 * hist_set_totals. */
int hist_add_bucket(struct hist *h, uint64_t low, uint64_t count);

/* Sets the exact totals of a histogram rebuilt with hist_add_bucket. Returns 0, or -EINVAL
 * when they cannot belong to its buckets (min above max, min or max outside the first or
 * last non-empty bucket, clamped above the count, a sum outside [count*min, count*max]). */
int hist_set_totals(struct hist *h, uint64_t min, uint64_t max, uint64_t sum, uint64_t clamped);

#endif
