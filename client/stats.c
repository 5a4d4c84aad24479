/* stats.c -- a run's measurements in constant memory (plus one small slot per second): counts,
 * latency and phase histograms, late starts; exact merges. Knows nothing of threads. */
#include "stats.h"

#include "histogram.h"
#include "stop.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const stats_phase_names[PHASE_COUNT] = {"queue", "dns",  "connect",
                                                           "tls",   "ttfb", "transfer"};

const char *stats_phase_name(enum phase p)
{
	return (unsigned)p < PHASE_COUNT ? stats_phase_names[p] : "?";
}

struct stats *stats_new(void)
{
	struct stats *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->lat = hist_new();
	s->lat_due = hist_new();
	int bad = !s->lat || !s->lat_due;
	for (int p = 0; p < PHASE_COUNT; p++)
		bad |= !(s->phase[p] = hist_new());
	if (bad) {
		stats_free(s);
		return NULL;
	}
	return s;
}

void stats_free(struct stats *s)
{
	if (!s)
		return;
	hist_free(s->lat);
	hist_free(s->lat_due);
	for (int p = 0; p < PHASE_COUNT; p++)
		hist_free(s->phase[p]);
	for (size_t k = 0; k < s->nseconds; k++)
		free(s->seconds[k].lat);
	free(s->seconds);
	free(s);
}

/* values below 32 exact; above, 32 linear buckets per power of two up to 2^32 */
static unsigned stats_sec_bucket(uint64_t v)
{
	if (v < 32)
		return (unsigned)v;
	if (v >= (1ULL << 32))
		v = (1ULL << 32) - 1;
	unsigned top = 63u - (unsigned)__builtin_clzll(v); /* 5..31 */
	unsigned shift = top - 5;
	return 32 + shift * 32 + (unsigned)((v >> shift) - 32);
}

static uint64_t stats_sec_mid(unsigned b)
{
	if (b < 32)
		return b;
	unsigned shift = (b - 32) / 32;
	uint64_t low = (uint64_t)((b - 32) % 32 + 32) << shift;
	return low + ((1ULL << shift) >> 1);
}

uint64_t stats_sec_percentile(const struct stats_sec_hist *h, double p)
{
	if (!h || !h->count)
		return 0;
	uint64_t rank = (uint64_t)(p / 100.0 * h->count + 0.999999);
	if (rank < 1)
		rank = 1;
	uint64_t seen = 0;
	for (unsigned b = 0; b < STATS_SEC_BUCKETS; b++) {
		seen += h->b[b];
		if (seen >= rank)
			return stats_sec_mid(b);
	}
	return stats_sec_mid(STATS_SEC_BUCKETS - 1);
}

/* second k's slot, growing the array; NULL when k is out of range or out of memory */
static struct stats_second *stats_second(struct stats *s, uint64_t k)
{
	if (k >= STATS_MAX_SECONDS)
		return NULL;
	if (k >= s->nseconds) {
		size_t want = s->nseconds ? s->nseconds : 16;
		while (want <= k)
			want *= 2;
		struct stats_second *g = realloc(s->seconds, want * sizeof(*g));
		if (!g)
			return NULL;
		memset(g + s->nseconds, 0, (want - s->nseconds) * sizeof(*g));
		s->seconds = g;
		s->nseconds = want;
	}
	return &s->seconds[k];
}

static void stats_note_error(struct stats *s, uint64_t index, uint32_t url, enum err_class e,
                             const char *msg)
{
	if (s->has_first_error && s->first_error_index <= index)
		return;
	s->has_first_error = 1;
	s->first_error_err = e;
	s->first_error_index = index;
	s->first_error_url = url;
	snprintf(s->first_error_msg, sizeof(s->first_error_msg), "%s", msg);
}

int stats_add(struct stats *s, const struct req_result *q)
{
	enum err_class e = (unsigned)q->err < ERR_NCLASSES ? q->err : ERR_OTHER;
	s->count++;
	if (e == ERR_NONE) {
		s->ok++;
		s->no_delay_ok += q->delay_us < 0;
	} else {
		s->errors[e]++;
		s->interrupted += e == ERR_OTHER && strcmp(q->errmsg, STOP_MSG) == 0;
		stats_note_error(s, q->index, q->url_index, e, q->errmsg);
	}
	if (q->end_us > s->last_end_us)
		s->last_end_us = q->end_us;
	if (s->count == 1 || q->start_us < s->first_start_us)
		s->first_start_us = q->start_us;
	if (q->start_us > s->last_start_us)
		s->last_start_us = q->start_us;
	uint64_t queue = q->start_us > q->due_us ? q->start_us - q->due_us : 0;
	if (queue > STATS_LATE_US)
		s->late++;
	hist_record(s->phase[PHASE_QUEUE], queue);
	uint64_t lat = q->end_us > q->start_us ? q->end_us - q->start_us : 0;
	if (q->status > 0) {
		hist_record(s->lat, lat);
		hist_record(s->lat_due, q->end_us > q->due_us ? q->end_us - q->due_us : 0);
		hist_record(s->phase[PHASE_DNS], q->dns_us);
		hist_record(s->phase[PHASE_CONNECT], q->connect_us);
		hist_record(s->phase[PHASE_TLS], q->tls_us);
		hist_record(s->phase[PHASE_TTFB], q->ttfb_us);
		hist_record(s->phase[PHASE_TRANSFER], q->transfer_us);
	}
	struct stats_second *sec = stats_second(s, q->end_us / 1000000);
	if (!sec)
		return -ENOMEM;
	sec->requests++;
	sec->errors += e != ERR_NONE;
	if (q->status > 0) {
		if (!sec->lat && !(sec->lat = calloc(1, sizeof(*sec->lat))))
			return -ENOMEM;
		sec->lat->b[stats_sec_bucket(lat)]++;
		sec->lat->count++;
	}
	return 0;
}

void stats_add_missing(struct stats *s, uint64_t count, uint64_t index, uint32_t url,
                       const char *why)
{
	if (!count)
		return;
	s->count += count;
	s->errors[ERR_OTHER] += count;
	if (strcmp(why, STOP_MSG) == 0)
		s->interrupted += count;
	stats_note_error(s, index, url, ERR_OTHER, why);
}

int stats_merge(struct stats *dst, const struct stats *src)
{
	if (src->count && (!dst->count || src->first_start_us < dst->first_start_us))
		dst->first_start_us = src->first_start_us;
	if (src->last_start_us > dst->last_start_us)
		dst->last_start_us = src->last_start_us;
	dst->count += src->count;
	dst->ok += src->ok;
	for (int e = 0; e < ERR_NCLASSES; e++)
		dst->errors[e] += src->errors[e];
	dst->late += src->late;
	dst->interrupted += src->interrupted;
	dst->no_delay_ok += src->no_delay_ok;
	if (src->last_end_us > dst->last_end_us)
		dst->last_end_us = src->last_end_us;
	hist_merge(dst->lat, src->lat);
	hist_merge(dst->lat_due, src->lat_due);
	for (int p = 0; p < PHASE_COUNT; p++)
		hist_merge(dst->phase[p], src->phase[p]);
	if (src->has_first_error)
		stats_note_error(dst, src->first_error_index, src->first_error_url,
		                 src->first_error_err, src->first_error_msg);
	for (size_t k = 0; k < src->nseconds; k++) {
		const struct stats_second *a = &src->seconds[k];
		if (!a->requests)
			continue;
		struct stats_second *d = stats_second(dst, k);
		if (!d)
			return -ENOMEM;
		d->requests += a->requests;
		d->errors += a->errors;
		if (a->lat) {
			if (!d->lat && !(d->lat = calloc(1, sizeof(*d->lat))))
				return -ENOMEM;
			for (unsigned b = 0; b < STATS_SEC_BUCKETS; b++)
				d->lat->b[b] += a->lat->b[b];
			d->lat->count += a->lat->count;
		}
	}
	return 0;
}
