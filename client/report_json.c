/* report_json.c -- a finished run as JSON (jansson): the contract's keys, percentiles,
 * histograms bucket by bucket, phases, the per-second timeline, concurrency and parallelism. */
#include "report.h"

#include "histogram.h"
#include "report_file.h"
#include "stats.h"

#include <errno.h>
#include <string.h>

/* a json object, or NULL after releasing it when any set failed */
static json_t *report_checked(json_t *o, int bad)
{
	if (!o || bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* "in_flight", "on_cpu" and "gil_wait_s" into o; nonzero when a set failed */
static int report_activity_json(json_t *o, const struct activity *a)
{
	json_t *fl = json_object(), *cpu = a->on_cpu_known ? json_object() : json_null();
	int bad = !fl || !cpu;
	if (!bad) {
		bad |= json_object_set_new(fl, "mean", json_real(a->in_flight_mean));
		bad |= json_object_set_new(fl, "max", json_integer((json_int_t)a->in_flight_max));
	}
	if (!bad && a->on_cpu_known) {
		bad |= json_object_set_new(cpu, "mean", json_real(a->on_cpu_mean));
		bad |= json_object_set_new(cpu, "max", json_real(a->on_cpu_max));
	}
	bad |= json_object_set_new(o, "in_flight", fl);
	bad |= json_object_set_new(o, "on_cpu", cpu);
	bad |= json_object_set_new(o, "gil_wait_s",
	                           a->on_cpu_known ? json_real(a->gil_wait_s) : json_null());
	return bad;
}

json_t *report_pct_json(const struct hist *h)
{
	json_t *o = json_object();
	int bad = !o;
	int any = hist_count(h) > 0;
	if (!bad) {
		bad |= json_object_set_new(o, "min",
		                           any ? json_real(hist_min(h) / 1e3) : json_null());
		bad |= json_object_set_new(o, "mean",
		                           any ? json_real(hist_mean(h) / 1e3) : json_null());
	}
	for (int k = 0; k < REPORT_NPCT && !bad; k++)
		bad |= json_object_set_new(o, report_pct_keys[k],
		                           any ? json_real(hist_percentile(h, report_pcts[k]) / 1e3)
		                               : json_null());
	if (!bad)
		bad |= json_object_set_new(o, "max",
		                           any ? json_real(hist_max(h) / 1e3) : json_null());
	return report_checked(o, bad);
}

json_t *report_hist_json(const struct hist *h)
{
	json_t *o = json_object();
	json_t *arr = json_array();
	int bad = !o || !arr;
	size_t cur = 0;
	uint64_t low, count;
	while (!bad && hist_next_bucket(h, &cur, &low, &count)) {
		json_t *pair = json_pack("[II]", (json_int_t)low, (json_int_t)count);
		bad |= json_array_append_new(arr, pair) != 0;
	}
	if (bad) {
		json_decref(arr);
		json_decref(o);
		return NULL;
	}
	bad |= json_object_set_new(o, "unit", json_string("us"));
	bad |= json_object_set_new(o, "count", json_integer((json_int_t)hist_count(h)));
	bad |= json_object_set_new(o, "clamped", json_integer((json_int_t)hist_clamped(h)));
	bad |= json_object_set_new(o, "min", json_integer((json_int_t)hist_min(h)));
	bad |= json_object_set_new(o, "max", json_integer((json_int_t)hist_max(h)));
	bad |= json_object_set_new(o, "sum", json_integer((json_int_t)hist_sum(h)));
	bad |= json_object_set_new(o, "buckets", arr);
	return report_checked(o, bad);
}

/* "histograms": the latency, the latency from due and each phase, bucket by bucket */
static json_t *report_hists_json(const struct stats *st)
{
	json_t *o = json_object();
	int bad = !o;
	if (!bad) {
		bad |= json_object_set_new(o, "latency", report_hist_json(st->lat));
		bad |= json_object_set_new(o, "from_due", report_hist_json(st->lat_due));
	}
	for (int p = 0; p < PHASE_COUNT && !bad; p++)
		bad |= json_object_set_new(o, stats_phase_name((enum phase)p),
		                           report_hist_json(st->phase[p]));
	return report_checked(o, bad);
}

/* "phases_ms": percentiles of each phase */
static json_t *report_phases_json(const struct stats *st)
{
	json_t *o = json_object();
	int bad = !o;
	for (int p = 0; p < PHASE_COUNT && !bad; p++)
		bad |= json_object_set_new(o, stats_phase_name((enum phase)p),
		                           report_pct_json(st->phase[p]));
	return report_checked(o, bad);
}

/* "rate": what --rate asked and what happened; null without --rate */
static json_t *report_rate_json(const struct run *r, const struct summary *s)
{
	if (r->rate <= 0)
		return json_null();
	json_t *o = json_object();
	int bad = !o;
	if (!bad) {
		bad |= json_object_set_new(o, "asked", json_real(r->rate));
		bad |= json_object_set_new(o, "achieved", json_real(s->achieved_rate));
		bad |= json_object_set_new(o, "late_starts", json_integer((json_int_t)s->late));
		bad |= json_object_set_new(o, "late_after_ms", json_real(STATS_LATE_US / 1e3));
	}
	return report_checked(o, bad);
}

size_t report_nseconds(const struct stats *st)
{
	size_t n = st->nseconds;
	while (n > 0 && !st->seconds[n - 1].requests)
		n--;
	return n;
}

/* "timeline": one entry per second of the run (by end time) */
static json_t *report_timeline_json(const struct stats *st)
{
	json_t *arr = json_array();
	int bad = !arr;
	size_t n = report_nseconds(st);
	for (size_t k = 0; k < n && !bad; k++) {
		const struct stats_second *sec = &st->seconds[k];
		json_t *o = json_object();
		bad |= !o;
		if (bad)
			break;
		int any = sec->lat && sec->lat->count;
		bad |= json_object_set_new(o, "second", json_integer((json_int_t)k));
		bad |= json_object_set_new(o, "requests", json_integer((json_int_t)sec->requests));
		bad |= json_object_set_new(o, "errors", json_integer((json_int_t)sec->errors));
		bad |= json_object_set_new(o, "p50_ms",
		                           any ? json_real(stats_sec_percentile(sec->lat, 50) / 1e3)
		                               : json_null());
		bad |= json_object_set_new(o, "p99_ms",
		                           any ? json_real(stats_sec_percentile(sec->lat, 99) / 1e3)
		                               : json_null());
		bad |= json_array_append_new(arr, o) != 0;
	}
	return report_checked(arr, bad);
}

/* the run's own keys beyond the contract's first ones */
static int report_run_json_more(json_t *o, const struct run *r, const struct summary *s)
{
	const struct stats *st = s->st;
	int bad = 0;
	bad |= json_object_set_new(o, "duration_s",
	                           r->duration_us ? json_real(r->duration_us / 1e6) : json_null());
	bad |= json_object_set_new(o, "rate", report_rate_json(r, s));
	bad |= json_object_set_new(o, "latency_from_due_ms", report_pct_json(st->lat_due));
	bad |= json_object_set_new(o, "phases_ms", report_phases_json(st));
	bad |= json_object_set_new(o, "histograms", report_hists_json(st));
	bad |= json_object_set_new(o, "timeline", report_timeline_json(st));
	return bad;
}

json_t *report_run_json(const struct run *r, const struct summary *s,
                        const struct summary *speedup_base)
{
	json_t *errors = json_object();
	json_t *lat = report_pct_json(s->st->lat);
	json_t *o = json_object();
	int bad = !errors || !lat || !o;
	for (int e = ERR_CONNECT; e < ERR_NCLASSES && !bad; e++)
		bad |= json_object_set_new(errors, report_err_name((enum err_class)e),
		                           json_integer((json_int_t)s->errors[e]));
	if (bad) {
		json_decref(errors);
		json_decref(lat);
		json_decref(o);
		return NULL;
	}
	bad |= json_object_set_new(o, "mode", json_string(mode_name(r->mode)));
	bad |= json_object_set_new(o, "requests", json_integer((json_int_t)s->n));
	bad |= json_object_set_new(o, "concurrency", json_integer(r->concurrency));
	bad |= json_object_set_new(o, "ok", json_integer((json_int_t)s->ok));
	bad |= json_object_set_new(o, "errors", errors);
	bad |= json_object_set_new(o, "wall_s", json_real(s->wall_us / 1e6));
	bad |= json_object_set_new(o, "rps", s->rps_known ? json_real(s->rps) : json_null());
	bad |= json_object_set_new(o, "latency_ms", lat);
	bad |= json_object_set_new(o, "latency_count", json_integer((json_int_t)s->lat_count));
	bad |= json_object_set_new(o, "ideal_s",
	                           s->ideal_known ? json_real(s->ideal_us / 1e6) : json_null());
	bad |= json_object_set_new(o, "efficiency",
	                           s->ideal_known ? json_real(s->efficiency) : json_null());
	double x;
	if (speedup_base)
		bad |= json_object_set_new(o, "speedup",
		                           report_speedup(s, speedup_base, &x) ? json_real(x)
		                                                               : json_null());
	bad |= report_activity_json(o, &s->act);
	bad |= json_object_set_new(o, "cpu_user_s", json_real(r->cpu_user_us / 1e6));
	bad |= json_object_set_new(o, "cpu_sys_s", json_real(r->cpu_sys_us / 1e6));
	bad |= json_object_set_new(o, "ctx_voluntary", json_integer((json_int_t)r->ctx_voluntary));
	bad |= json_object_set_new(o, "ctx_involuntary",
	                           json_integer((json_int_t)r->ctx_involuntary));
	bad |= json_object_set_new(o, "maxrss_kib", json_integer((json_int_t)r->maxrss_kib));
	if (!bad)
		bad |= report_run_json_more(o, r, s);
	return report_checked(o, bad);
}

/* {key: [run, ...]}, each run compared with base (NULL: no speed-up); NULL when out of memory */
static json_t *report_runs_object(const char *key, const struct run *const *runs,
                                  const struct summary *sums, size_t nruns,
                                  const struct summary *base)
{
	json_t *arr = json_array();
	json_t *root = json_object();
	int bad = !arr || !root;
	for (size_t k = 0; k < nruns && !bad; k++)
		bad |= json_array_append_new(arr, report_run_json(runs[k], &sums[k], base)) != 0;
	if (!bad)
		bad = json_object_set_new(root, key, arr) != 0;
	else
		json_decref(arr);
	if (bad) {
		json_decref(root);
		return NULL;
	}
	return root;
}

/* adds the manifest to root (NULL: out of memory already) and writes it to path; takes root */
static int report_write_root(json_t *root, const json_t *manifest, const char *path, char *err,
                             size_t errlen)
{
	if (root && manifest &&
	    json_object_set_new(root, "manifest", json_deep_copy(manifest)) != 0) {
		json_decref(root);
		root = NULL;
	}
	if (!root) {
		snprintf(err, errlen, "--json: out of memory");
		return -ENOMEM;
	}
	struct report_out o;
	if (report_open(&o, "--json", path, err, errlen) != 0) {
		json_decref(root);
		return -EIO;
	}
	int bad = json_dumpf(root, o.f, JSON_INDENT(2) | JSON_REAL_PRECISION(9)) != 0;
	json_decref(root);
	if (!bad)
		fputc('\n', o.f);
	return report_close(&o, bad, "--json", path, err, errlen);
}

int report_write_json_list(const char *path, const char *key, const struct run *const *runs,
                           const struct summary *sums, size_t nruns, const json_t *manifest,
                           char *err, size_t errlen)
{
	return report_write_root(report_runs_object(key, runs, sums, nruns, NULL), manifest, path,
	                         err, errlen);
}

int report_write_json(const char *path, const struct run *const *runs, const struct summary *sums,
                      size_t nruns, int compare, const json_t *manifest, char *err, size_t errlen)
{
	const struct summary *base = NULL;
	json_t *root = NULL;
	if (compare) {
		for (size_t k = 0; k < nruns; k++)
			if (runs[k]->mode == MODE_SEQUENTIAL)
				base = &sums[k];
		root = report_runs_object("runs", runs, sums, nruns, base);
	} else if (nruns == 1) {
		root = report_run_json(runs[0], &sums[0], NULL);
	}
	return report_write_root(root, manifest, path, err, errlen);
}
