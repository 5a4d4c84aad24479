/* capacity.c -- per-site worker slots and FIFO queues, their counters and queue-wait
 * histograms, and the sites.ini keys that configure them. One mutex per site; it never
 * touches a connection (request.c suspends and schedules). */
#include "capacity.h"

#include "histogram.h"
#include "units.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct cap_site {
	pthread_mutex_t lock;
	struct srv_cap_waiter *head, *tail; /* the queue, oldest first */
	uint64_t in_service, queued, max_queued, rejected, admitted;
	struct hist *wait; /* queue wait of every admitted request (us), made on first use */
};

struct srv_capacity {
	struct cap_site site[SRV_SITES_MAX];
	bool closed; /* written under every site's lock, so any one lock reads it */
};

struct srv_capacity *srv_capacity_new(void)
{
	struct srv_capacity *c = calloc(1, sizeof(*c));
	size_t i;

	if (!c)
		return NULL;
	for (i = 0; i < SRV_SITES_MAX; i++)
		if (pthread_mutex_init(&c->site[i].lock, NULL) != 0)
			goto fail;
	return c;
fail:
	while (i-- > 0)
		pthread_mutex_destroy(&c->site[i].lock);
	free(c);
	return NULL;
}

void srv_capacity_free(struct srv_capacity *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < SRV_SITES_MAX; i++) {
		pthread_mutex_destroy(&c->site[i].lock);
		hist_free(c->site[i].wait);
	}
	free(c);
}

/* takes a slot for w (lock held) */
static void admit(struct cap_site *s, struct srv_cap_waiter *w, uint64_t now_us)
{
	s->in_service++;
	s->admitted++;
	w->admitted_us = now_us;
	w->queue_us = now_us > w->enqueued_us ? now_us - w->enqueued_us : 0;
	if (!s->wait)
		s->wait = hist_new(); /* without memory the waits go uncounted, nothing else */
	if (s->wait)
		hist_record(s->wait, w->queue_us);
}

enum srv_cap_verdict srv_capacity_enter(struct srv_capacity *c, size_t i, struct srv_cap_waiter *w,
                                        uint64_t now_us)
{
	struct cap_site *s = &c->site[i];
	enum srv_cap_verdict v = SRV_CAP_ADMIT;

	w->next = NULL;
	w->enqueued_us = now_us;
	w->admitted_us = 0;
	pthread_mutex_lock(&s->lock);
	if (c->closed || (!s->head && s->in_service < w->limit)) {
		admit(s, w, now_us);
	} else if (w->qmax != SRV_QUEUE_UNLIMITED && s->queued >= w->qmax) {
		s->rejected++;
		v = SRV_CAP_FULL;
	} else {
		if (s->tail)
			s->tail->next = w;
		else
			s->head = w;
		s->tail = w;
		if (++s->queued > s->max_queued)
			s->max_queued = s->queued;
		v = SRV_CAP_QUEUED;
	}
	pthread_mutex_unlock(&s->lock);
	return v;
}

struct srv_cap_waiter *srv_capacity_leave(struct srv_capacity *c, size_t i, uint64_t now_us)
{
	struct cap_site *s = &c->site[i];
	struct srv_cap_waiter *out = NULL, **last = &out;

	pthread_mutex_lock(&s->lock);
	if (s->in_service)
		s->in_service--;
	/* the head goes first (FIFO): a later waiter never overtakes it */
	while (s->head && s->in_service < s->head->limit) {
		struct srv_cap_waiter *w = s->head;
		if (!(s->head = w->next))
			s->tail = NULL;
		s->queued--;
		w->next = NULL;
		admit(s, w, now_us);
		*last = w;
		last = &w->next;
	}
	pthread_mutex_unlock(&s->lock);
	return out;
}

struct srv_cap_waiter *srv_capacity_close(struct srv_capacity *c)
{
	struct srv_cap_waiter *out = NULL, **last = &out;

	for (size_t i = 0; i < SRV_SITES_MAX; i++)
		pthread_mutex_lock(&c->site[i].lock);
	c->closed = true;
	for (size_t i = 0; i < SRV_SITES_MAX; i++) {
		struct cap_site *s = &c->site[i];
		if (s->head) {
			*last = s->head;
			last = &s->tail->next;
		}
		s->head = s->tail = NULL;
		s->queued = 0;
	}
	for (size_t i = SRV_SITES_MAX; i-- > 0;)
		pthread_mutex_unlock(&c->site[i].lock);
	return out;
}

struct cap_view {
	uint64_t in_service, queued, max_queued, rejected, count, p50, p90, p99, max;
};

static struct cap_view view(struct cap_site *s)
{
	struct cap_view v;

	pthread_mutex_lock(&s->lock);
	v.in_service = s->in_service;
	v.queued = s->queued;
	v.max_queued = s->max_queued;
	v.rejected = s->rejected;
	v.count = s->wait ? hist_count(s->wait) : 0;
	v.p50 = s->wait ? hist_percentile(s->wait, 50) : 0;
	v.p90 = s->wait ? hist_percentile(s->wait, 90) : 0;
	v.p99 = s->wait ? hist_percentile(s->wait, 99) : 0;
	v.max = s->wait ? hist_max(s->wait) : 0;
	pthread_mutex_unlock(&s->lock);
	return v;
}

json_t *srv_capacity_json(struct srv_capacity *c, const struct srv_sites *sites)
{
	json_t *root = json_object();

	for (size_t i = 0; root && i < sites->n; i++) {
		struct cap_view v = view(&c->site[i]);
		const struct srv_site *site = &sites->site[i];
		json_t *o = json_pack(
		        "{s:I,s:o,s:I,s:I,s:I,s:I,s:{s:I,s:I,s:I,s:I,s:I}}", "capacity",
		        (json_int_t)site->capacity, "queue",
		        site->queue == SRV_QUEUE_UNLIMITED ? json_null()
		                                           : json_integer((json_int_t)site->queue),
		        "in_service", (json_int_t)v.in_service, "queued", (json_int_t)v.queued,
		        "max_queued", (json_int_t)v.max_queued, "rejected", (json_int_t)v.rejected,
		        "queue_wait_us", "count", (json_int_t)v.count, "p50", (json_int_t)v.p50,
		        "p90", (json_int_t)v.p90, "p99", (json_int_t)v.p99, "max",
		        (json_int_t)v.max);
		if (!o || json_object_set_new(root, site->name, o) != 0) {
			json_decref(root);
			return NULL;
		}
	}
	return root;
}

void srv_capacity_metrics(struct srv_capacity *c, const struct srv_sites *sites, FILE *f)
{
	static const char *const gauges[][2] = {
	        {"in_service", "Requests of a finite site in service now."},
	        {"queued", "Requests waiting for a slot now."},
	        {"max_queued", "Most requests waiting for a slot at once."},
	        {"rejected_total", "Requests refused because the queue was full."},
	};
	struct cap_view v[SRV_SITES_MAX];

	for (size_t i = 0; i < sites->n; i++)
		v[i] = view(&c->site[i]);
	for (size_t g = 0; g < 4; g++) {
		fprintf(f, "# HELP latlab_capacity_%s %s\n# TYPE latlab_capacity_%s %s\n",
		        gauges[g][0], gauges[g][1], gauges[g][0], g == 3 ? "counter" : "gauge");
		for (size_t i = 0; i < sites->n; i++) {
			uint64_t x = g == 0   ? v[i].in_service
			             : g == 1 ? v[i].queued
			             : g == 2 ? v[i].max_queued
			                      : v[i].rejected;
			fprintf(f, "latlab_capacity_%s{site=\"%s\"} %llu\n", gauges[g][0],
			        sites->site[i].name, (unsigned long long)x);
		}
	}
	fprintf(f, "# HELP latlab_capacity_queue_wait_seconds Time a request waited for a slot.\n"
	           "# TYPE latlab_capacity_queue_wait_seconds summary\n");
	for (size_t i = 0; i < sites->n; i++) {
		const char *n = sites->site[i].name;
		fprintf(f,
		        "latlab_capacity_queue_wait_seconds{site=\"%s\",quantile=\"0.5\"} %.6f\n"
		        "latlab_capacity_queue_wait_seconds{site=\"%s\",quantile=\"0.9\"} %.6f\n"
		        "latlab_capacity_queue_wait_seconds{site=\"%s\",quantile=\"0.99\"} %.6f\n"
		        "latlab_capacity_queue_wait_seconds_count{site=\"%s\"} %llu\n",
		        n, (double)v[i].p50 / 1e6, n, (double)v[i].p90 / 1e6, n,
		        (double)v[i].p99 / 1e6, n, (unsigned long long)v[i].count);
	}
}

/* a count from 0 to max, or the word "unlimited" (stored as unlimited_as) */
static int parse_count(const char *value, uint64_t max, uint32_t unlimited_as, uint32_t *out,
                       char *why, size_t whylen)
{
	uint64_t v;

	if (strcmp(value, "unlimited") == 0) {
		*out = unlimited_as;
		return 0;
	}
	if (units_parse_u64(value, 0, max, &v, why, whylen) != 0)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int srv_capacity_key(struct srv_site *site, const char *key, const char *value,
                     const char **accepted, char *why, size_t whylen)
{
	uint64_t v;

	if (strcmp(key, "capacity") == 0) {
		*accepted = "a number of requests in service at once from 1 to 100000, or 0 or "
		            "unlimited";
		return parse_count(value, SRV_CAPACITY_MAX, 0, &site->capacity, why, whylen)
		               ? -EINVAL
		               : 1;
	}
	if (strcmp(key, "queue") == 0) {
		*accepted = "a number of waiting requests from 0 to 1000000, or unlimited";
		return parse_count(value, SRV_QUEUE_MAX, SRV_QUEUE_UNLIMITED, &site->queue, why,
		                   whylen)
		               ? -EINVAL
		               : 1;
	}
	if (strcmp(key, "overload_status") == 0) {
		*accepted = "an HTTP status code from 100 to 599, e.g. 503";
		if (units_parse_u64(value, 100, 599, &v, why, whylen) != 0)
			return -EINVAL;
		site->overload_status = (unsigned)v;
		return 1;
	}
	if (strcmp(key, "overload") == 0) {
		*accepted = "status (answer overload_status with Retry-After) or reset (drop the "
		            "connection)";
		if (strcmp(value, "status") != 0 && strcmp(value, "reset") != 0) {
			snprintf(why, whylen, "unknown overload answer '%.40s'", value);
			return -EINVAL;
		}
		site->overload_reset = strcmp(value, "reset") == 0;
		return 1;
	}
	return 0;
}
