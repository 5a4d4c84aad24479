/* capacity.c -- per-site worker slots and FIFO queues, their counters and queue-wait
 * histograms, the watch over queued clients' sockets, and the sites.ini keys that configure
 * them. One mutex per site; it never touches a connection (slot.c suspends and schedules). */
#include "capacity.h"

#include "histogram.h"
#include "units.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct cap_site {
	pthread_mutex_t lock;
	struct srv_cap_waiter *head, *tail; /* the queue, oldest first */
	uint64_t in_service, queued, max_queued, rejected, admitted, gone;
	uint64_t tickets;  /* arrivals so far: a queue is in ascending ticket order */
	struct hist *wait; /* queue wait of every admitted request (us), made on first use */
};

/* a queued waiter polled by srv_capacity_gone: found again by site and ticket, never by
 * pointer (it may have left the queue, and its memory been reused, while it was polled) */
struct cap_probe {
	size_t site;
	uint64_t ticket;
};

struct srv_capacity {
	struct cap_site site[SRV_SITES_MAX];
	bool closed; /* written under every site's lock, so any one lock reads it */
	/* srv_capacity_gone's buffers (its one thread only) */
	struct pollfd *pfd;
	struct cap_probe *probe;
	size_t pcap;
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
	free(c->pfd);
	free(c->probe);
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
	w->ticket = ++s->tickets;
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

/* room for one more probe (the caller holds one site's lock: a short realloc); 0 or -1 */
static int probe_room(struct srv_capacity *c, size_t n)
{
	if (n < c->pcap)
		return 0;
	size_t cap = c->pcap ? c->pcap * 2 : 256;
	struct pollfd *p = realloc(c->pfd, cap * sizeof(*p));
	if (p)
		c->pfd = p;
	struct cap_probe *q = p ? realloc(c->probe, cap * sizeof(*q)) : NULL;
	if (!q)
		return -1; /* watch what fits; the rest next round */
	c->probe = q;
	c->pcap = cap;
	return 0;
}

/* every queued waiter's socket into c->pfd and c->probe, site by site, in queue order */
static size_t gone_collect(struct srv_capacity *c)
{
	size_t n = 0;

	for (size_t i = 0; i < SRV_SITES_MAX; i++) {
		struct cap_site *s = &c->site[i];
		pthread_mutex_lock(&s->lock);
		for (struct srv_cap_waiter *w = s->head; w; w = w->next) {
			if (w->fd < 0)
				continue;
			if (probe_room(c, n) != 0)
				break;
			c->pfd[n] = (struct pollfd){w->fd, POLLRDHUP, 0};
			c->probe[n++] = (struct cap_probe){i, w->ticket};
		}
		pthread_mutex_unlock(&s->lock);
	}
	return n;
}

/* takes the waiters of probe[*j..] of the same site out of its queue (both in ascending
 * ticket order: one walk), appending them at **last; *j moves past that site's probes */
static void gone_take(struct srv_capacity *c, size_t *j, size_t n, struct srv_cap_waiter ***last)
{
	size_t site = c->probe[*j].site;
	struct cap_site *s = &c->site[site];
	struct srv_cap_waiter **pp = &s->head, *prev = NULL;

	pthread_mutex_lock(&s->lock);
	while (*j < n && c->probe[*j].site == site && *pp) {
		struct srv_cap_waiter *w = *pp;
		if (w->ticket < c->probe[*j].ticket) {
			prev = w;
			pp = &w->next;
			continue;
		}
		if (w->ticket == c->probe[*j].ticket) { /* still queued: it leaves */
			*pp = w->next;
			if (s->tail == w)
				s->tail = prev;
			s->queued--;
			s->gone++;
			w->next = NULL;
			**last = w;
			*last = &w->next;
		}
		(*j)++;
	}
	pthread_mutex_unlock(&s->lock);
	while (*j < n && c->probe[*j].site == site)
		(*j)++;
}

struct srv_cap_waiter *srv_capacity_gone(struct srv_capacity *c, size_t *watched)
{
	struct srv_cap_waiter *out = NULL, **last = &out;
	size_t n = gone_collect(c), gone = 0;

	*watched = n;
	if (n == 0 || poll(c->pfd, n, 0) <= 0)
		return NULL;
	for (size_t i = 0; i < n; i++) /* keep the gone ones' probes, in the same order */
		if (c->pfd[i].revents & (POLLRDHUP | POLLHUP | POLLERR))
			c->probe[gone++] = c->probe[i];
	for (size_t j = 0; j < gone;)
		gone_take(c, &j, gone, &last);
	return out;
}

int srv_capacity_cancel(struct srv_capacity *c, size_t i, struct srv_cap_waiter *w)
{
	struct cap_site *s = &c->site[i];
	struct srv_cap_waiter **pp = &s->head, *prev = NULL;
	int found = 0;

	pthread_mutex_lock(&s->lock);
	for (; *pp; prev = *pp, pp = &(*pp)->next) {
		if (*pp != w)
			continue;
		*pp = w->next;
		if (s->tail == w)
			s->tail = prev;
		s->queued--;
		w->next = NULL;
		found = 1;
		break;
	}
	pthread_mutex_unlock(&s->lock);
	return found;
}

void srv_capacity_reset(struct srv_capacity *c)
{
	for (size_t i = 0; i < SRV_SITES_MAX; i++) {
		struct cap_site *s = &c->site[i];
		pthread_mutex_lock(&s->lock);
		s->max_queued = s->queued;
		s->rejected = s->admitted = s->gone = 0;
		if (s->wait)
			hist_reset(s->wait);
		pthread_mutex_unlock(&s->lock);
	}
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
	uint64_t in_service, queued, max_queued, rejected, gone, count, p50, p90, p99, max;
};

static struct cap_view view(struct cap_site *s)
{
	struct cap_view v;

	pthread_mutex_lock(&s->lock);
	v.in_service = s->in_service;
	v.queued = s->queued;
	v.max_queued = s->max_queued;
	v.rejected = s->rejected;
	v.gone = s->gone;
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
		        "{s:I,s:o,s:I,s:I,s:I,s:I,s:I,s:{s:I,s:I,s:I,s:I,s:I}}", "capacity",
		        (json_int_t)site->capacity, "queue",
		        site->queue == SRV_QUEUE_UNLIMITED ? json_null()
		                                           : json_integer((json_int_t)site->queue),
		        "in_service", (json_int_t)v.in_service, "queued", (json_int_t)v.queued,
		        "max_queued", (json_int_t)v.max_queued, "rejected", (json_int_t)v.rejected,
		        "gone", (json_int_t)v.gone, "queue_wait_us", "count", (json_int_t)v.count,
		        "p50", (json_int_t)v.p50, "p90", (json_int_t)v.p90, "p99",
		        (json_int_t)v.p99, "max", (json_int_t)v.max);
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
	        {"gone_total", "Requests that left the queue because their client left."},
	};
	struct cap_view v[SRV_SITES_MAX];

	for (size_t i = 0; i < sites->n; i++)
		v[i] = view(&c->site[i]);
	for (size_t g = 0; g < 5; g++) {
		fprintf(f, "# HELP latlab_capacity_%s %s\n# TYPE latlab_capacity_%s %s\n",
		        gauges[g][0], gauges[g][1], gauges[g][0], g >= 3 ? "counter" : "gauge");
		for (size_t i = 0; i < sites->n; i++) {
			uint64_t x = g == 0   ? v[i].in_service
			             : g == 1 ? v[i].queued
			             : g == 2 ? v[i].max_queued
			             : g == 3 ? v[i].rejected
			                      : v[i].gone;
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
