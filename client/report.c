/* report.c -- turning finished runs into a summary, a compare table, JSON (jansson) and CSV.
 * Owns no run; the summary goes to a FILE the caller names, JSON and CSV to a path (written
 * beside it and renamed over it, so a reader never sees half a report). */
#include "report.h"

#include "atomicfile.h"
#include "histogram.h"
#include "stats.h"
#include "units.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

static const char *const report_err_names[ERR_NCLASSES] = {"", "connect", "timeout", "http",
                                                           "other"};

const char *report_err_name(enum err_class e)
{
	return (unsigned)e < ERR_NCLASSES ? report_err_names[e] : "other";
}

const double report_pcts[REPORT_NPCT] = {50, 75, 90, 99, 99.9, 99.99};
const char *const report_pct_keys[REPORT_NPCT] = {"p50", "p75", "p90", "p99", "p99.9", "p99.99"};

int report_summarize(struct run *r, struct summary *s)
{
	memset(s, 0, sizeof(*s));
	if (!r->stats && run_restat(r) != 0)
		return -ENOMEM;
	const struct stats *st = r->stats;
	s->st = st;
	s->n = r->n;
	s->wall_us = r->wall_us;
	s->ok = (size_t)st->ok;
	for (int e = ERR_CONNECT; e < ERR_NCLASSES; e++)
		s->errors[e] = (size_t)st->errors[e];
	s->failed = s->n > s->ok ? s->n - s->ok : 0;
	s->first_error = st->has_first_error ? (size_t)st->first_error_index : SIZE_MAX;
	s->first_error_url = st->first_error_url;
	s->first_error_msg = st->first_error_msg;
	s->rps = r->wall_us ? (double)r->n * 1e6 / (double)r->wall_us : 0;
	const struct hist *h = st->lat;
	s->lat_count = (size_t)hist_count(h);
	s->lat_min_us = hist_min(h);
	for (int k = 0; k < REPORT_NPCT; k++) {
		s->lat_pct_us[k] = hist_percentile(h, report_pcts[k]);
		s->due_pct_us[k] = hist_percentile(st->lat_due, report_pcts[k]);
	}
	s->lat_p50_us = s->lat_pct_us[0];
	s->lat_p90_us = s->lat_pct_us[2];
	s->lat_p99_us = s->lat_pct_us[3];
	s->lat_max_us = hist_max(h);
	s->lat_mean_us = hist_mean(h);
	s->due_max_us = hist_max(st->lat_due);
	s->due_mean_us = hist_mean(st->lat_due);
	s->late = st->late;
	if (st->count > 1 && st->last_start_us > st->first_start_us)
		s->achieved_rate = (double)(st->count - 1) * 1e6 /
		                   (double)(st->last_start_us - st->first_start_us);
	s->ideal_known = r->n > 0 && run_ideal_us(r, &s->ideal_us) == 0;
	s->efficiency = s->ideal_known && r->wall_us ? (double)s->ideal_us / (double)r->wall_us : 0;
	return 0;
}

static char *report_dur(uint64_t us, char *buf, size_t len)
{
	return units_format_duration(us, buf, len);
}

/* "p50 1.00ms  p75 ...  max 9.00ms" of h (the summary's percentile line) */
static void report_print_pcts(FILE *f, const struct hist *h)
{
	char a[32];
	for (int k = 0; k < REPORT_NPCT; k++)
		fprintf(f, "  %s %s", report_pct_keys[k],
		        report_dur(hist_percentile(h, report_pcts[k]), a, sizeof(a)));
	fprintf(f, "  max %s\n", report_dur(hist_max(h), a, sizeof(a)));
}

/* the compact phase line: p50/p99 of each phase */
static void report_print_phases(FILE *f, const struct stats *st)
{
	char a[32], b[32];
	fprintf(f, "  phases    ");
	for (int p = 0; p < PHASE_COUNT; p++)
		fprintf(f, " %s %s/%s", stats_phase_name((enum phase)p),
		        report_dur(hist_percentile(st->phase[p], 50), a, sizeof(a)),
		        report_dur(hist_percentile(st->phase[p], 99), b, sizeof(b)));
	fprintf(f, "  (p50/p99)\n");
}

/* what --rate asked and what happened: achieved rate, late starts, latency from the due time */
static void report_print_rate(FILE *f, const struct run *r, const struct summary *s)
{
	char a[32], b[32];
	fprintf(f,
	        "  rate       asked %.1f/s, achieved %.1f/s, %llu late starts (> %s after due)\n",
	        r->rate, s->achieved_rate, (unsigned long long)s->late,
	        report_dur(STATS_LATE_US, a, sizeof(a)));
	fprintf(f, "  from due   mean %s",
	        report_dur((uint64_t)(s->due_mean_us + 0.5), b, sizeof(b)));
	report_print_pcts(f, s->st->lat_due);
	fprintf(f, "             (latency from each request's due time: coordinated omission "
	           "corrected)\n");
}

void report_print_run(FILE *f, const struct run *r, const struct summary *s,
                      const char *const *urls, size_t nurls)
{
	char a[32], b[32], c[32];
	fprintf(f, "%s: %zu requests, concurrency %u", mode_name(r->mode), s->n, r->concurrency);
	if (r->rate > 0)
		fprintf(f, ", rate %.1f/s", r->rate);
	if (r->duration_us)
		fprintf(f, ", duration %s", report_dur(r->duration_us, a, sizeof(a)));
	fprintf(f, "\n  ok         %zu\n", s->ok);
	fprintf(f, "  errors     %zu (connect %zu, timeout %zu, http %zu, other %zu)\n", s->failed,
	        s->errors[ERR_CONNECT], s->errors[ERR_TIMEOUT], s->errors[ERR_HTTP],
	        s->errors[ERR_OTHER]);
	if (s->first_error != SIZE_MAX)
		fprintf(f, "  first error request %zu (%s): %s\n", s->first_error,
		        s->first_error_url < nurls ? urls[s->first_error_url] : "?",
		        s->first_error_msg);
	fprintf(f, "  wall       %s   %.1f req/s\n", report_dur(s->wall_us, a, sizeof(a)), s->rps);
	if (s->lat_count) {
		fprintf(f, "  latency    min %s  mean %s", report_dur(s->lat_min_us, a, sizeof(a)),
		        report_dur((uint64_t)(s->lat_mean_us + 0.5), b, sizeof(b)));
		report_print_pcts(f, s->st->lat);
	} else {
		fprintf(f, "  latency    none (no request got an HTTP response)\n");
	}
	if (r->rate > 0 && s->lat_count)
		report_print_rate(f, r, s);
	if (s->lat_count)
		report_print_phases(f, s->st);
	if (s->ideal_known)
		fprintf(f, "  ideal      %s   efficiency %.0f%% (ideal / wall)\n",
		        report_dur(s->ideal_us, a, sizeof(a)), 100.0 * s->efficiency);
	else if (r->rate > 0 || r->duration_us)
		fprintf(f, "  ideal      unknown   efficiency unknown (only for a batch)\n");
	else if (!r->delays && r->nresults < r->n)
		fprintf(f,
		        "  ideal      unknown   efficiency unknown (delays kept for batches of at "
		        "most 1000000 requests, not for merged runs)\n");
	else
		fprintf(f,
		        "  ideal      unknown   efficiency unknown (no X-Latlab-Delay-Us from the "
		        "server)\n");
	fprintf(f,
	        "  client     cpu %s user + %s sys, %llu context switches (%llu voluntary), "
	        "peak RSS %s\n",
	        report_dur(r->cpu_user_us, a, sizeof(a)), report_dur(r->cpu_sys_us, b, sizeof(b)),
	        (unsigned long long)(r->ctx_voluntary + r->ctx_involuntary),
	        (unsigned long long)r->ctx_voluntary,
	        units_format_size(r->maxrss_kib * 1024, c, sizeof(c)));
}

void report_print_compare(FILE *f, const struct run *const *runs, const struct summary *sums,
                          size_t nruns)
{
	const struct summary *base = NULL;
	for (size_t k = 0; k < nruns; k++)
		if (runs[k]->mode == MODE_SEQUENTIAL)
			base = &sums[k];
	fprintf(f, "%-11s %5s %7s %9s %9s %8s %8s %8s %6s %9s %8s %8s %9s\n", "mode", "conc", "ok",
	        "wall", "req/s", "p50", "p99", "ideal", "effic", "speed-up", "cpu", "ctx-sw",
	        "peak-RSS");
	for (size_t k = 0; k < nruns; k++) {
		const struct run *r = runs[k];
		const struct summary *s = &sums[k];
		char wall[32], p50[32], p99[32], ideal[32], eff[16], sp[16], cpu[32], rss[32];
		char ok[32];
		snprintf(ok, sizeof(ok), "%zu/%zu", s->ok, s->n);
		report_dur(s->wall_us, wall, sizeof(wall));
		if (s->lat_count) {
			report_dur(s->lat_p50_us, p50, sizeof(p50));
			report_dur(s->lat_p99_us, p99, sizeof(p99));
		} else {
			snprintf(p50, sizeof(p50), "-");
			snprintf(p99, sizeof(p99), "-");
		}
		if (s->ideal_known) {
			report_dur(s->ideal_us, ideal, sizeof(ideal));
			snprintf(eff, sizeof(eff), "%.0f%%", 100.0 * s->efficiency);
		} else {
			snprintf(ideal, sizeof(ideal), "unknown");
			snprintf(eff, sizeof(eff), "unknown");
		}
		if (base && s->wall_us)
			snprintf(sp, sizeof(sp), "%.2fx",
			         (double)base->wall_us / (double)s->wall_us);
		else
			snprintf(sp, sizeof(sp), "-");
		report_dur(r->cpu_user_us + r->cpu_sys_us, cpu, sizeof(cpu));
		units_format_size(r->maxrss_kib * 1024, rss, sizeof(rss));
		fprintf(f, "%-11s %5u %7s %9s %9.1f %8s %8s %8s %6s %9s %8s %8llu %9s\n",
		        mode_name(r->mode), r->concurrency, ok, wall, s->rps, p50, p99, ideal, eff,
		        sp, cpu, (unsigned long long)(r->ctx_voluntary + r->ctx_involuntary), rss);
	}
}

void report_print_compare_errors(FILE *f, const struct run *const *runs, const struct summary *sums,
                                 size_t nruns, const char *const *urls, size_t nurls)
{
	for (size_t k = 0; k < nruns; k++) {
		const struct summary *s = &sums[k];
		if (!s->failed)
			continue;
		fprintf(f,
		        "%s: %zu errors (connect %zu, timeout %zu, http %zu, other %zu); first: "
		        "request %zu (%s): %s\n",
		        mode_name(runs[k]->mode), s->failed, s->errors[ERR_CONNECT],
		        s->errors[ERR_TIMEOUT], s->errors[ERR_HTTP], s->errors[ERR_OTHER],
		        s->first_error, s->first_error_url < nurls ? urls[s->first_error_url] : "?",
		        s->first_error_msg);
	}
}

/* a json object, or NULL after releasing it when any set failed */
static json_t *report_checked(json_t *o, int bad)
{
	if (!o || bad) {
		json_decref(o);
		return NULL;
	}
	return o;
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

/* the seconds with something in them: up to the last one that has */
static size_t report_nseconds(const struct stats *st)
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
		bad |= json_object_set_new(errors, report_err_names[e],
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
	bad |= json_object_set_new(o, "rps", json_real(s->rps));
	bad |= json_object_set_new(o, "latency_ms", lat);
	bad |= json_object_set_new(o, "latency_count", json_integer((json_int_t)s->lat_count));
	bad |= json_object_set_new(o, "ideal_s",
	                           s->ideal_known ? json_real(s->ideal_us / 1e6) : json_null());
	bad |= json_object_set_new(o, "efficiency",
	                           s->ideal_known ? json_real(s->efficiency) : json_null());
	if (speedup_base)
		bad |= json_object_set_new(
		        o, "speedup",
		        s->wall_us ? json_real((double)speedup_base->wall_us / (double)s->wall_us)
		                   : json_null());
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

/* Where a report goes: stdout, a temporary file renamed over PATH when done (a regular file
 * or a new one), or, for a device, a pipe or a symbolic link, PATH itself. */
struct report_out {
	FILE *f;
	struct atomic_file af; /* af.f is set when the output is atomic */
};

/* Opens path ("-": stdout) into o. 0, or -errno with a message in err. */
static int report_open(struct report_out *o, const char *flag, const char *path, char *err,
                       size_t errlen)
{
	memset(o, 0, sizeof(*o));
	if (strcmp(path, "-") == 0) {
		o->f = stdout;
		return 0;
	}
	struct stat st;
	int rc;
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		o->f = fopen(path, "w");
		rc = o->f ? 0 : -errno;
	} else {
		rc = atomic_file_open(&o->af, path);
		o->f = o->af.f;
	}
	if (rc != 0)
		snprintf(err, errlen, "%s: cannot write '%s': %s", flag, path, strerror(-rc));
	return rc;
}

/* Finishes o: flushes stdout, or closes the file (renaming an atomic one over its path, or
 * removing it when failed). 0, or -EIO with a message in err when failed or a write failed. */
static int report_close(struct report_out *o, int failed, const char *flag, const char *path,
                        char *err, size_t errlen)
{
	int bad = failed || ferror(o->f);
	if (o->f == stdout)
		bad |= fflush(o->f) != 0;
	else if (o->af.f && bad)
		atomic_file_abort(&o->af);
	else if (o->af.f)
		bad |= atomic_file_commit(&o->af) != 0;
	else
		bad |= fclose(o->f) != 0;
	if (bad) {
		snprintf(err, errlen, "%s: writing '%s' failed", flag, path);
		return -EIO;
	}
	return 0;
}

int report_write_json(const char *path, const struct run *const *runs, const struct summary *sums,
                      size_t nruns, int compare, char *err, size_t errlen)
{
	const struct summary *base = NULL;
	if (compare)
		for (size_t k = 0; k < nruns; k++)
			if (runs[k]->mode == MODE_SEQUENTIAL)
				base = &sums[k];
	json_t *root = NULL;
	if (compare) {
		json_t *arr = json_array();
		root = json_object();
		int bad = !arr || !root;
		for (size_t k = 0; k < nruns && !bad; k++)
			bad |= json_array_append_new(arr,
			                             report_run_json(runs[k], &sums[k], base)) != 0;
		if (!bad)
			bad = json_object_set_new(root, "runs", arr) != 0;
		else
			json_decref(arr);
		if (bad) {
			json_decref(root);
			root = NULL;
		}
	} else if (nruns == 1) {
		root = report_run_json(runs[0], &sums[0], NULL);
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

/* one CSV field, quoted when it needs to be (RFC 4180) */
static void report_csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

int report_write_csv(const char *path, const struct run *const *runs, size_t nruns,
                     const char *const *urls, size_t nurls, int compare, char *err, size_t errlen)
{
	struct report_out o;
	if (report_open(&o, "--csv", path, err, errlen) != 0)
		return -EIO;
	FILE *f = o.f;
	fputs("index,url,pid,tid,start_us,end_us,status,bytes,delay_us,error", f);
	fputs(compare ? ",mode\n" : "\n", f);
	for (size_t k = 0; k < nruns; k++) {
		const struct run *r = runs[k];
		for (size_t i = 0; i < r->nresults; i++) {
			const struct req_result *q = &r->results[i];
			fprintf(f, "%u,", q->index);
			report_csv_field(f, q->url_index < nurls ? urls[q->url_index] : "");
			fprintf(f, ",%ld,%ld,%llu,%llu,%d,%llu,", (long)q->pid, (long)q->tid,
			        (unsigned long long)q->start_us, (unsigned long long)q->end_us,
			        q->status, (unsigned long long)q->bytes);
			if (q->delay_us >= 0)
				fprintf(f, "%lld", (long long)q->delay_us);
			fputc(',', f);
			if (q->err != ERR_NONE) {
				char msg[160];
				snprintf(msg, sizeof(msg), "%s: %s", report_err_name(q->err),
				         q->errmsg);
				report_csv_field(f, msg);
			}
			if (compare) {
				fputc(',', f);
				fputs(mode_name(r->mode), f);
			}
			fputc('\n', f);
		}
	}
	return report_close(&o, 0, "--csv", path, err, errlen);
}

int report_write_seconds(const char *path, const struct run *r, char *err, size_t errlen)
{
	struct report_out o;
	if (report_open(&o, "--per-second", path, err, errlen) != 0)
		return -EIO;
	const struct stats *st = r->stats;
	fputs("second,requests,errors,p50_ms,p99_ms\n", o.f);
	size_t n = st ? report_nseconds(st) : 0;
	for (size_t k = 0; k < n; k++) {
		const struct stats_second *sec = &st->seconds[k];
		fprintf(o.f, "%zu,%llu,%llu,", k, (unsigned long long)sec->requests,
		        (unsigned long long)sec->errors);
		if (sec->lat && sec->lat->count)
			fprintf(o.f, "%.3f,%.3f", stats_sec_percentile(sec->lat, 50) / 1e3,
			        stats_sec_percentile(sec->lat, 99) / 1e3);
		else
			fputs(",", o.f);
		fputc('\n', o.f);
	}
	return report_close(&o, 0, "--per-second", path, err, errlen);
}
