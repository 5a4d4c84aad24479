/* collect.c -- the one sink for finished requests: stats always, records and delays only when
 * asked for; a mutex around both, since threads and loops share it. */
#include "collect.h"

#include "clock.h"
#include "stats.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int collect_init(struct collect *c, const struct batch *b)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->mu, NULL);
	c->st = stats_new();
	if (!c->st)
		return -ENOMEM;
	c->keep = b->keep_records;
	if (b->duration_us == 0 && b->rate == 0 && b->n <= COLLECT_MAX_IDEAL) {
		c->delays = malloc((b->n ? b->n : 1) * sizeof(*c->delays));
		if (!c->delays)
			return -ENOMEM;
		for (size_t i = 0; i < b->n; i++)
			c->delays[i] = -1;
		c->ndelays = b->n;
	}
	return 0;
}

/* room for record i; 0 or -ENOMEM */
static int collect_grow(struct collect *c, size_t i)
{
	if (i < c->cap)
		return 0;
	size_t want = c->cap ? c->cap : 1024;
	while (want <= i)
		want *= 2;
	if (want > c->keep)
		want = c->keep;
	struct req_result *g = realloc(c->recs, want * sizeof(*g));
	if (!g)
		return -ENOMEM;
	memset(g + c->cap, 0, (want - c->cap) * sizeof(*g));
	c->recs = g;
	c->cap = want;
	return 0;
}

void collect_done(struct collect *c, const struct req_result *q)
{
	uint64_t now = clock_now_us();
	pthread_mutex_lock(&c->mu);
	if (now > c->last_us)
		c->last_us = now;
	if (stats_add(c->st, q) != 0)
		c->failed = 1;
	if (q->end_us > q->start_us)
		c->busy_us += q->end_us - q->start_us;
	size_t i = q->index;
	if (c->delays && i < c->ndelays)
		c->delays[i] = q->delay_us < 0 ? -1 : q->delay_us + q->queue_us; /* imposed */
	if (i < c->keep && collect_grow(c, i) == 0)
		c->recs[i] = *q;
	else if (i < c->keep)
		c->failed = 1;
	else if (c->keep)
		c->dropped++;
	pthread_mutex_unlock(&c->mu);
}

uint64_t collect_count(struct collect *c)
{
	pthread_mutex_lock(&c->mu);
	uint64_t n = c->st ? c->st->count : 0;
	pthread_mutex_unlock(&c->mu);
	return n;
}

void collect_fini(struct collect *c)
{
	stats_free(c->st);
	free(c->recs);
	free(c->delays);
	pthread_mutex_destroy(&c->mu);
	memset(c, 0, sizeof(*c));
}
