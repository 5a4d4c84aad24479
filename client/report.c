/* report.c -- turning finished runs into a summary and the human reports: one run's summary,
 * the compare table and its error notes. Owns no run; JSON is report_json.c, the files
 * (written beside their path and renamed over it) report_file.c. */
#include "report.h"

#include "histogram.h"
#include "stats.h"
#include "stop.h"
#include "units.h"

#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
	s->first_error_err = st->first_error_err;
	s->interrupted = (size_t)st->interrupted;
	s->no_delay_ok = (size_t)st->no_delay_ok;
	const struct hist *h = st->lat;
	/* req/s counts the responses received */
	s->rps_known = hist_count(h) > 0 && r->wall_us > 0;
	s->rps = s->rps_known ? (double)hist_count(h) * 1e6 / (double)r->wall_us : 0;
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
	return activity_measure(r, &s->act);
}

static char *report_dur(uint64_t us, char *buf, size_t len)
{
	return units_format_duration(us, buf, len);
}

/* why the ideal time is unknown, for the summary and the compare notes */
static const char *report_ideal_why(const struct run *r, const struct summary *s, char *buf,
                                    size_t len)
{
	if (s->n == 0)
		snprintf(buf, len, "no requests");
	else if (r->rate > 0 || r->duration_us)
		snprintf(buf, len, "only for a batch");
	else if (!r->delays && r->nresults < r->n)
		snprintf(
		        buf, len,
		        "delays kept for batches of at most 1000000 requests, not for merged runs");
	else if (s->failed && s->first_error != SIZE_MAX)
		snprintf(buf, len, "%zu request%s failed, first request %zu", s->failed,
		         s->failed == 1 ? "" : "s", s->first_error);
	else
		snprintf(buf, len, "the server sent no X-Latlab-Delay-Us on %zu response%s",
		         s->no_delay_ok, s->no_delay_ok == 1 ? "" : "s");
	return buf;
}

/* req/s, or the dash of a run that received no response */
static char *report_rps(const struct summary *s, char *buf, size_t len)
{
	if (s->rps_known)
		snprintf(buf, len, "%.1f", s->rps);
	else
		snprintf(buf, len, "\u2014");
	return buf;
}

/* A connection refused (or a host not found) names the address and how to start the server
 * there, once per report. */
static void report_connect_hint(FILE *f, const struct summary *s, const char *url)
{
	if (s->first_error == SIZE_MAX || s->first_error_err != ERR_CONNECT || !url)
		return;
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL;
	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK) {
		curl_url_get(u, CURLUPART_HOST, &host, 0);
		curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
	}
	if (host && port)
		fprintf(f,
		        "  hint: nothing accepted a connection at %s:%s; is latlab-server running? "
		        "start it with: latlab-server --port %s\n",
		        host, port, port);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
}

/* the speed-up of s over base, or NULL when there is none to give: no base, no response,
 * or either run cut short */
int report_speedup(const struct summary *s, const struct summary *base, double *out)
{
	if (!base || !s->rps_known || !base->rps_known || s->interrupted || base->interrupted ||
	    !s->wall_us)
		return 0;
	*out = (double)base->wall_us / (double)s->wall_us;
	return 1;
}

/* the two numbers of the lesson, as the summary prints them */
static void report_print_activity(FILE *f, const struct run *r, const struct activity *a)
{
	fprintf(f, "  concurrency  %.1f requests in flight on average, %zu at most (-c %u)\n",
	        a->in_flight_mean, a->in_flight_max, r->concurrency);
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	if (!a->on_cpu_known) {
		fprintf(f, "  parallelism  unknown (the workers' activity was not recorded)\n");
		return;
	}
	fprintf(f, "  parallelism  %.2f workers on a CPU on average, %.1f at most (%ld cores)",
	        a->on_cpu_mean, a->on_cpu_max, cores);
	if (a->gil_wait_s > 0)
		fprintf(f, ", %.3fs waiting for the GIL", a->gil_wait_s);
	fputc('\n', f);
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

#define REPORT_HIST_ROWS 10
#define REPORT_HIST_BAR  40

/* the row of value v among REPORT_HIST_ROWS from lo to hi (log-spaced or even) */
static int report_hist_row(uint64_t v, uint64_t lo, uint64_t hi, int logscale)
{
	double x = v <= lo    ? 0
	           : logscale ? log((double)v / (double)lo) / log((double)hi / (double)lo)
	                      : (double)(v - lo) / (double)(hi - lo);
	int k = (int)(x * REPORT_HIST_ROWS);
	return k < 0 ? 0 : k >= REPORT_HIST_ROWS ? REPORT_HIST_ROWS - 1 : k;
}

/* The latency histogram as text (hey's, oha's): REPORT_HIST_ROWS rows from min to max,
 * log-spaced when max is 10x min or more (a tail stays readable), each a count and a bar
 * scaled to the fullest row. Counts come from the histogram's buckets, each placed by its
 * lowest value (exact below 2 ms, within 0.1% above). */
static void report_print_histogram(FILE *f, const struct hist *h)
{
	uint64_t lo = hist_min(h), hi = hist_max(h), cnt[REPORT_HIST_ROWS] = {0}, top = 0;
	if (hist_count(h) == 0)
		return;
	int logscale = lo > 0 && hi >= 10 * lo, rows = hi > lo ? REPORT_HIST_ROWS : 1;
	size_t cur = 0;
	uint64_t low, n;
	while (hist_next_bucket(h, &cur, &low, &n))
		cnt[rows > 1 ? report_hist_row(low, lo, hi, logscale) : 0] += n;
	for (int k = 0; k < rows; k++)
		top = cnt[k] > top ? cnt[k] : top;
	fprintf(f, "  histogram  latency from, requests (%s rows up to max)\n",
	        logscale ? "log-spaced" : "even");
	for (int k = 0; k < rows; k++) {
		double a = logscale ? (double)lo * pow((double)hi / (double)lo, (double)k / rows)
		                    : (double)lo + (double)(hi - lo) * k / rows;
		char from[32], bar[REPORT_HIST_BAR * 3 + 1];
		int w = (int)((cnt[k] * REPORT_HIST_BAR + top - 1) / top), at = 0;
		for (int j = 0; j < w; j++, at += 3)
			memcpy(bar + at, "\xe2\x96\xa0", 3); /* U+25A0, as hey draws it */
		bar[at] = '\0';
		fprintf(f, "  %12s  %8llu%s%s\n",
		        report_dur((uint64_t)(a + 0.5), from, sizeof(from)),
		        (unsigned long long)cnt[k], w ? "  " : "", bar);
	}
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
	report_connect_hint(f, s, s->first_error_url < nurls ? urls[s->first_error_url] : NULL);
	if (s->interrupted)
		fprintf(f, "  interrupted %zu of %zu requests not run (a partial run)\n",
		        s->interrupted, s->n);
	fprintf(f, "  wall       %s   %s req/s (responses received)\n",
	        report_dur(s->wall_us, a, sizeof(a)), report_rps(s, b, sizeof(b)));
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
	report_print_activity(f, r, &s->act);
	if (s->ideal_known) {
		fprintf(f, "  ideal      %s   efficiency %.0f%% (ideal / wall)\n",
		        report_dur(s->ideal_us, a, sizeof(a)), 100.0 * s->efficiency);
	} else {
		char why[128];
		fprintf(f, "  ideal      unknown   efficiency unknown (%s)\n",
		        report_ideal_why(r, s, why, sizeof(why)));
	}
	fprintf(f,
	        "  client     cpu %s user + %s sys, %llu context switches (%llu voluntary), "
	        "peak RSS %s\n",
	        report_dur(r->cpu_user_us, a, sizeof(a)), report_dur(r->cpu_sys_us, b, sizeof(b)),
	        (unsigned long long)(r->ctx_voluntary + r->ctx_involuntary),
	        (unsigned long long)r->ctx_voluntary,
	        units_format_size(r->maxrss_kib * 1024, c, sizeof(c)));
	if (s->lat_count)
		report_print_histogram(f, s->st->lat);
}

void report_print_compare(FILE *f, const struct run *const *runs, const struct summary *sums,
                          size_t nruns)
{
	const struct summary *base = NULL;
	for (size_t k = 0; k < nruns; k++)
		if (runs[k]->mode == MODE_SEQUENTIAL)
			base = &sums[k];
	fprintf(f, "%-11s %5s %11s %11s %7s %9s %9s %8s %8s %8s %6s %9s %8s %8s %9s\n", "mode",
	        "-c", "concurrency", "parallelism", "ok", "wall", "req/s", "p50", "p99", "ideal",
	        "effic", "speed-up", "cpu", "ctx-sw", "peak-RSS");
	for (size_t k = 0; k < nruns; k++) {
		const struct run *r = runs[k];
		const struct summary *s = &sums[k];
		char wall[32], p50[32], p99[32], ideal[32], eff[16], sp[16], cpu[32], rss[32];
		char ok[48], conc[16], par[16], rps[16];
		snprintf(ok, sizeof(ok), "%zu/%zu%s", s->ok, s->n,
		         s->interrupted ? " interrupted" : "");
		report_rps(s, rps, sizeof(rps));
		snprintf(conc, sizeof(conc), "%.1f", s->act.in_flight_mean);
		if (s->act.on_cpu_known)
			snprintf(par, sizeof(par), "%.2f", s->act.on_cpu_mean);
		else
			snprintf(par, sizeof(par), "-");
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
		double x;
		if (report_speedup(s, base, &x))
			snprintf(sp, sizeof(sp), "%.2fx", x);
		else
			snprintf(sp, sizeof(sp), "\u2014");
		report_dur(r->cpu_user_us + r->cpu_sys_us, cpu, sizeof(cpu));
		units_format_size(r->maxrss_kib * 1024, rss, sizeof(rss));
		fprintf(f, "%-11s %5u %11s %11s %7s %9s %9s %8s %8s %8s %6s %9s %8s %8llu %9s\n",
		        mode_name(r->mode), r->concurrency, conc, par, ok, wall, rps, p50, p99,
		        ideal, eff, sp, cpu,
		        (unsigned long long)(r->ctx_voluntary + r->ctx_involuntary), rss);
	}
}

void report_print_compare_errors(FILE *f, const struct run *const *runs, const struct summary *sums,
                                 size_t nruns, const char *const *urls, size_t nurls)
{
	int hinted = 0;
	for (size_t k = 0; k < nruns; k++) {
		const struct summary *s = &sums[k];
		char why[128];
		if (!s->failed && !s->ideal_known && s->n)
			fprintf(f, "%s: ideal unknown: %s\n", mode_name(runs[k]->mode),
			        report_ideal_why(runs[k], s, why, sizeof(why)));
		if (!s->failed)
			continue;
		fprintf(f,
		        "%s: %zu errors (connect %zu, timeout %zu, http %zu, other %zu); first: "
		        "request %zu (%s): %s\n",
		        mode_name(runs[k]->mode), s->failed, s->errors[ERR_CONNECT],
		        s->errors[ERR_TIMEOUT], s->errors[ERR_HTTP], s->errors[ERR_OTHER],
		        s->first_error, s->first_error_url < nurls ? urls[s->first_error_url] : "?",
		        s->first_error_msg);
		if (!hinted && s->first_error_err == ERR_CONNECT) {
			report_connect_hint(
			        f, s, s->first_error_url < nurls ? urls[s->first_error_url] : NULL);
			hinted = 1;
		}
	}
}
