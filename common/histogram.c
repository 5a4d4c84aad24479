/* histogram.c -- log-linear histogram of microsecond values; fixed size, exact min/max/mean. */
#include "histogram.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Values below LINEAR are their own bucket. Above, the range [2^k, 2^(k+1)) for k >= 11
 * is split into SUB linear buckets of width 2^(k-10). */
#define SUB_BITS 10
#define SUB      (1u << SUB_BITS) /* 1024 */
#define LINEAR   (2u * SUB)       /* 2048 */
#define TOP_BIT  32               /* HIST_MAX_US < 2^32 */
#define NBUCKETS (LINEAR + (TOP_BIT - SUB_BITS - 1) * SUB)

struct hist {
	uint64_t count;
	uint64_t min, max;
	uint64_t clamped;
	uint64_t sum_lo, sum_hi; /* exact 128-bit sum of the recorded values, for the mean */
	uint64_t buckets[NBUCKETS];
};

static unsigned bucket_of(uint64_t v)
{
	if (v < LINEAR)
		return (unsigned)v;
	unsigned top = 63u - (unsigned)__builtin_clzll(v); /* >= 11 */
	unsigned shift = top - SUB_BITS;                   /* >= 1 */
	return LINEAR + (shift - 1) * SUB + (unsigned)((v >> shift) - SUB);
}

/* smallest value that lands in bucket b */
static uint64_t bucket_low(unsigned b)
{
	if (b < LINEAR)
		return b;
	unsigned shift = (b - LINEAR) / SUB + 1;
	uint64_t sub = (b - LINEAR) % SUB + SUB;
	return sub << shift;
}

/* largest value that lands in bucket b */
static uint64_t bucket_high(unsigned b)
{
	if (b < LINEAR)
		return b;
	unsigned shift = (b - LINEAR) / SUB + 1;
	return bucket_low(b) + (1ULL << shift) - 1;
}

struct hist *hist_new(void)
{
	struct hist *h = calloc(1, sizeof(*h));
	return h;
}

void hist_free(struct hist *h)
{
	free(h);
}

void hist_reset(struct hist *h)
{
	memset(h, 0, sizeof(*h));
}

void hist_record(struct hist *h, uint64_t us)
{
	if (us > HIST_MAX_US) {
		us = HIST_MAX_US;
		h->clamped++;
	}
	if (h->count == 0 || us < h->min)
		h->min = us;
	if (us > h->max)
		h->max = us;
	h->count++;
	h->sum_lo += us;
	h->sum_hi += h->sum_lo < us; /* carry */
	h->buckets[bucket_of(us)]++;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	if (src->count == 0)
		return;
	if (dst->count == 0 || src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	dst->count += src->count;
	dst->clamped += src->clamped;
	dst->sum_lo += src->sum_lo;
	dst->sum_hi += src->sum_hi + (dst->sum_lo < src->sum_lo);
	for (unsigned i = 0; i < NBUCKETS; i++)
		dst->buckets[i] += src->buckets[i];
}

uint64_t hist_count(const struct hist *h)
{
	return h->count;
}

uint64_t hist_min(const struct hist *h)
{
	return h->count ? h->min : 0;
}

uint64_t hist_max(const struct hist *h)
{
	return h->max;
}

uint64_t hist_clamped(const struct hist *h)
{
	return h->clamped;
}

double hist_mean(const struct hist *h)
{
	if (h->count == 0)
		return 0.0;
	if (h->sum_hi == 0)
		return (double)h->sum_lo / (double)h->count;
	return (ldexp((double)h->sum_hi, 64) + (double)h->sum_lo) / (double)h->count;
}

uint64_t hist_percentile(const struct hist *h, double p)
{
	if (h->count == 0)
		return 0;
	if (!(p > 0.0))
		return h->min;
	if (p >= 100.0)
		return h->max;
	/* nearest rank: the ceil(p/100 * n)-th smallest sample. The relative epsilon keeps 99%
	 * of 100 at rank 99 despite 0.99 * 100 > 99 in binary, at any count. */
	double x = p * (double)h->count / 100.0;
	uint64_t rank = (uint64_t)ceil(x - x * 1e-12);
	if (rank < 1)
		rank = 1;
	uint64_t seen = 0;
	for (unsigned b = 0; b < NBUCKETS; b++) {
		seen += h->buckets[b];
		if (seen >= rank) {
			/* report the middle of the bucket, kept inside what was seen */
			uint64_t v = bucket_low(b) + (bucket_high(b) - bucket_low(b)) / 2;
			if (v < h->min)
				v = h->min;
			if (v > h->max)
				v = h->max;
			return v;
		}
	}
	return h->max;
}

uint64_t hist_sum(const struct hist *h)
{
	return h->sum_hi ? UINT64_MAX : h->sum_lo;
}

int hist_next_bucket(const struct hist *h, size_t *cursor, uint64_t *low, uint64_t *count)
{
	for (size_t b = *cursor; b < NBUCKETS; b++) {
		if (h->buckets[b]) {
			*low = bucket_low((unsigned)b);
			*count = h->buckets[b];
			*cursor = b + 1;
			return 1;
		}
	}
	*cursor = NBUCKETS;
	return 0;
}

int hist_add_bucket(struct hist *h, uint64_t low, uint64_t count)
{
	if (low > HIST_MAX_US)
		return -EINVAL;
	unsigned b = bucket_of(low);
	if (bucket_low(b) != low)
		return -EINVAL;
	if (h->buckets[b] + count < count || h->count + count < count)
		return -ERANGE;
	h->buckets[b] += count;
	h->count += count;
	return 0;
}

int hist_set_totals(struct hist *h, uint64_t min, uint64_t max, uint64_t sum, uint64_t clamped)
{
	if (h->count == 0)
		return min == 0 && max == 0 && sum == 0 && clamped == 0 ? 0 : -EINVAL;
	unsigned first = 0, last = 0;
	for (unsigned b = 0; b < NBUCKETS; b++)
		if (h->buckets[b]) {
			if (!h->buckets[first])
				first = b;
			last = b;
		}
	if (min > max || max > HIST_MAX_US || bucket_of(min) != first || bucket_of(max) != last ||
	    clamped > h->count)
		return -EINVAL;
	/* count * min <= sum <= count * max, without overflowing */
	if ((min && sum / min < h->count) || (sum / h->count > max) ||
	    (sum / h->count == max && sum % h->count) || (!max && sum))
		return -EINVAL;
	h->min = min;
	h->max = max;
	h->sum_lo = sum;
	h->sum_hi = 0;
	h->clamped = clamped;
	return 0;
}
