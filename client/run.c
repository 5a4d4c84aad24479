/* run.c -- allocating a run's records and computing its ideal time from injected delays. */
#include "batch.h"

#include <errno.h>
#include <stdlib.h>

struct run *run_new(enum mode mode, size_t n)
{
	struct run *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->results = calloc(n ? n : 1, sizeof(*r->results));
	if (!r->results) {
		free(r);
		return NULL;
	}
	r->mode = mode;
	r->n = n;
	for (size_t i = 0; i < n; i++) {
		r->results[i].index = (uint32_t)i;
		r->results[i].delay_us = -1;
	}
	return r;
}

void run_free(struct run *r)
{
	if (!r)
		return;
	free(r->results);
	free(r);
}

/* restores the min-heap h[0..n) after h[i] grew */
static void heap_sift_down(uint64_t *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < n && h[l] < h[m])
			m = l;
		if (r < n && h[r] < h[m])
			m = r;
		if (m == i)
			return;
		uint64_t t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

int run_ideal_us(const struct run *r, uint64_t *out)
{
	size_t c = r->concurrency ? r->concurrency : r->n;
	if (c > r->n)
		c = r->n;
	for (size_t i = 0; i < r->n; i++)
		if (r->results[i].delay_us < 0)
			return -ENODATA;
	if (r->n == 0) {
		*out = 0;
		return 0;
	}
	/* heap of the times at which each worker becomes free; all start at 0 */
	uint64_t *free_at = calloc(c, sizeof(*free_at));
	if (!free_at)
		return -ENOMEM;
	uint64_t makespan = 0;
	for (size_t i = 0; i < r->n; i++) {
		uint64_t end = free_at[0] + (uint64_t)r->results[i].delay_us;
		free_at[0] = end;
		heap_sift_down(free_at, c, 0);
		if (end > makespan)
			makespan = end;
	}
	free(free_at);
	*out = makespan;
	return 0;
}
