/* stats.c -- lock-free request counters, overall and per site, and their JSON
 * (/__latlab/stats) and Prometheus (/__latlab/metrics) renderings. */
#include "stats.h"

#include "clock.h"
#include "histogram.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOAD(x) atomic_load_explicit(&(x), memory_order_relaxed)

int srv_stats_init(struct srv_stats *st)
{
	atomic_init(&st->requests, 0);
	atomic_init(&st->in_flight, 0);
	atomic_init(&st->max_in_flight, 0);
	atomic_init(&st->suspended, 0);
	atomic_init(&st->held, 0);
	for (int i = 0; i < 6; i++)
		atomic_init(&st->by_class[i], 0);
	atomic_init(&st->faults, 0);
	atomic_init(&st->delay_us_sum, 0);
	for (size_t i = 0; i < SRV_SITES_MAX; i++) {
		atomic_init(&st->site[i].next_seq, 0);
		atomic_init(&st->site[i].requests, 0);
	}
	st->started_us = clock_now_us();
	st->late = hist_new();
	if (!st->late)
		return -ENOMEM;
	if (pthread_mutex_init(&st->late_lock, NULL) != 0) {
		hist_free(st->late);
		st->late = NULL;
		return -ENOMEM;
	}
	return 0;
}

void srv_stats_destroy(struct srv_stats *st)
{
	if (!st->late)
		return;
	pthread_mutex_destroy(&st->late_lock);
	hist_free(st->late);
	st->late = NULL;
}

void srv_stats_reset(struct srv_stats *st)
{
	atomic_store(&st->requests, LOAD(st->in_flight));
	atomic_store(&st->max_in_flight, LOAD(st->in_flight));
	for (int i = 0; i < 6; i++)
		atomic_store(&st->by_class[i], 0);
	atomic_store(&st->faults, 0);
	atomic_store(&st->delay_us_sum, 0);
	for (size_t i = 0; i < SRV_SITES_MAX; i++) {
		atomic_store(&st->site[i].next_seq, 0);
		atomic_store(&st->site[i].requests, 0);
	}
	pthread_mutex_lock(&st->late_lock);
	hist_reset(st->late);
	pthread_mutex_unlock(&st->late_lock);
}

void srv_stats_late(struct srv_stats *st, uint64_t late_us)
{
	pthread_mutex_lock(&st->late_lock);
	hist_record(st->late, late_us);
	pthread_mutex_unlock(&st->late_lock);
}

struct late_view {
	uint64_t count, p50, p99, max;
};

static struct late_view late_view(struct srv_stats *st)
{
	struct late_view v;
	pthread_mutex_lock(&st->late_lock);
	v.count = hist_count(st->late);
	v.p50 = hist_percentile(st->late, 50);
	v.p99 = hist_percentile(st->late, 99);
	v.max = hist_max(st->late);
	pthread_mutex_unlock(&st->late_lock);
	return v;
}

void srv_stats_begin(struct srv_stats *st)
{
	atomic_fetch_add_explicit(&st->requests, 1, memory_order_relaxed);
	/* seq_cst, as the live table's load and srv_stats_end: live.c frees a retired table
	 * only after in_flight was seen at zero (a locked add on x86 either way) */
	uint_fast64_t now = atomic_fetch_add_explicit(&st->in_flight, 1, memory_order_seq_cst) + 1;
	uint_fast64_t max = LOAD(st->max_in_flight);
	while (now > max &&
	       !atomic_compare_exchange_weak_explicit(&st->max_in_flight, &max, now,
	                                              memory_order_relaxed, memory_order_relaxed))
		;
}

uint64_t srv_stats_end(struct srv_stats *st)
{
	return atomic_fetch_sub_explicit(&st->in_flight, 1, memory_order_seq_cst) - 1;
}

uint64_t srv_stats_next_seq(struct srv_stats *st, size_t i)
{
	return atomic_fetch_add_explicit(&st->site[i].next_seq, 1, memory_order_relaxed);
}

void srv_stats_answered(struct srv_stats *st, size_t i)
{
	atomic_fetch_add_explicit(&st->site[i].requests, 1, memory_order_relaxed);
}

void srv_stats_status(struct srv_stats *st, unsigned status)
{
	unsigned c = status / 100;
	atomic_fetch_add_explicit(&st->by_class[c < 6 ? c : 0], 1, memory_order_relaxed);
}

char *srv_stats_json(struct srv_stats *st, const struct srv_sites *sites)
{
	json_t *root = json_object(), *per_site = json_object(), *by_class = json_object();
	char *text = NULL;

	if (!root || !per_site || !by_class)
		goto out;
	for (size_t i = 0; i < sites->n; i++)
		json_object_set_new(per_site, sites->site[i].name,
		                    json_integer((json_int_t)LOAD(st->site[i].requests)));
	for (int c = 1; c < 6; c++) {
		char key[16];
		snprintf(key, sizeof(key), "%dxx", c);
		json_object_set_new(by_class, key, json_integer((json_int_t)LOAD(st->by_class[c])));
	}
	json_object_set_new(root, "requests", json_integer((json_int_t)LOAD(st->requests)));
	json_object_set(root, "sites", per_site);
	json_object_set(root, "responses", by_class);
	json_object_set_new(root, "in_flight", json_integer((json_int_t)LOAD(st->in_flight)));
	json_object_set_new(root, "max_in_flight",
	                    json_integer((json_int_t)LOAD(st->max_in_flight)));
	json_object_set_new(root, "suspended", json_integer((json_int_t)LOAD(st->suspended)));
	json_object_set_new(root, "faults", json_integer((json_int_t)LOAD(st->faults)));
	json_object_set_new(root, "injected_delay_s",
	                    json_real((double)LOAD(st->delay_us_sum) / 1e6));
	struct late_view lv = late_view(st);
	json_object_set_new(root, "late_us",
	                    json_pack("{s:I,s:I,s:I,s:I}", "count", (json_int_t)lv.count, "p50",
	                              (json_int_t)lv.p50, "p99", (json_int_t)lv.p99, "max",
	                              (json_int_t)lv.max));
	json_object_set_new(root, "uptime_s",
	                    json_real((double)(clock_now_us() - st->started_us) / 1e6));
	text = json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(9));
out:
	json_decref(by_class);
	json_decref(per_site);
	json_decref(root);
	return text;
}

char *srv_stats_metrics(struct srv_stats *st, const struct srv_sites *sites)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fprintf(f, "# HELP latlab_requests_total Requests answered per site.\n"
	           "# TYPE latlab_requests_total counter\n");
	for (size_t i = 0; i < sites->n; i++)
		fprintf(f, "latlab_requests_total{site=\"%s\"} %llu\n", sites->site[i].name,
		        (unsigned long long)LOAD(st->site[i].requests));
	fprintf(f, "# HELP latlab_responses_total Responses by status class.\n"
	           "# TYPE latlab_responses_total counter\n");
	for (int c = 1; c < 6; c++)
		fprintf(f, "latlab_responses_total{class=\"%dxx\"} %llu\n", c,
		        (unsigned long long)LOAD(st->by_class[c]));
	fprintf(f,
	        "# HELP latlab_in_flight Requests in flight now.\n# TYPE latlab_in_flight gauge\n"
	        "latlab_in_flight %llu\n"
	        "# HELP latlab_max_in_flight Most requests in flight at once.\n"
	        "# TYPE latlab_max_in_flight gauge\nlatlab_max_in_flight %llu\n"
	        "# HELP latlab_suspended Connections waiting on the delay timer now.\n"
	        "# TYPE latlab_suspended gauge\nlatlab_suspended %llu\n"
	        "# HELP latlab_faults_total Injected faults.\n"
	        "# TYPE latlab_faults_total counter\nlatlab_faults_total %llu\n"
	        "# HELP latlab_injected_delay_seconds_total Injected delay, summed.\n"
	        "# TYPE latlab_injected_delay_seconds_total counter\n"
	        "latlab_injected_delay_seconds_total %.6f\n",
	        (unsigned long long)LOAD(st->in_flight),
	        (unsigned long long)LOAD(st->max_in_flight),
	        (unsigned long long)LOAD(st->suspended), (unsigned long long)LOAD(st->faults),
	        (double)LOAD(st->delay_us_sum) / 1e6);
	struct late_view lv = late_view(st);
	fprintf(f,
	        "# HELP latlab_late_seconds How long after its deadline a delayed answer was "
	        "queued.\n# TYPE latlab_late_seconds summary\n"
	        "latlab_late_seconds{quantile=\"0.5\"} %.6f\n"
	        "latlab_late_seconds{quantile=\"0.99\"} %.6f\n"
	        "latlab_late_seconds_count %llu\n",
	        (double)lv.p50 / 1e6, (double)lv.p99 / 1e6, (unsigned long long)lv.count);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
