/* report.c -- turning finished runs into a summary, a compare table, JSON (jansson) and CSV.
 * Owns no run; the summary goes to a FILE the caller names, JSON and CSV to a path (written
 * beside it and renamed over it, so a reader never sees half a report). */
#include "report.h"

#include "atomicfile.h"
#include "histogram.h"
#include "stop.h"
#include "units.h"

#include <curl/curl.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const report_err_names[ERR_NCLASSES] = {"", "connect", "timeout", "http",
                                                           "other"};

const char *report_err_name(enum err_class e)
{
	return (unsigned)e < ERR_NCLASSES ? report_err_names[e] : "other";
}

int report_summarize(const struct run *r, struct summary *s)
{
	memset(s, 0, sizeof(*s));
	s->n = r->n;
	s->wall_us = r->wall_us;
	s->first_error = SIZE_MAX;
	struct hist *h = hist_new();
	if (!h)
		return -ENOMEM;
	for (size_t i = 0; i < r->n; i++) {
		const struct req_result *q = &r->results[i];
		enum err_class e = (unsigned)q->err < ERR_NCLASSES ? q->err : ERR_OTHER;
		if (e == ERR_NONE && q->delay_us < 0)
			s->no_delay_ok++;
		if (e == ERR_OTHER && strcmp(q->errmsg, STOP_MSG) == 0)
			s->interrupted++;
		if (e == ERR_NONE)
			s->ok++;
		else {
			s->errors[e]++;
			if (s->first_error == SIZE_MAX)
				s->first_error = i;
		}
		if (q->status > 0)
			hist_record(h, q->end_us >= q->start_us ? q->end_us - q->start_us : 0);
	}
	s->failed = s->n - s->ok;
	s->rps_known = hist_count(h) > 0 && r->wall_us > 0;
	s->rps = s->rps_known ? (double)hist_count(h) * 1e6 / (double)r->wall_us : 0;
	s->lat_count = (size_t)hist_count(h);
	s->lat_min_us = hist_min(h);
	s->lat_p50_us = hist_percentile(h, 50);
	s->lat_p90_us = hist_percentile(h, 90);
	s->lat_p99_us = hist_percentile(h, 99);
	s->lat_max_us = hist_max(h);
	s->lat_mean_us = hist_mean(h);
	hist_free(h);
	s->ideal_known = r->n > 0 && run_ideal_us(r, &s->ideal_us) == 0;
	s->efficiency = s->ideal_known && r->wall_us ? (double)s->ideal_us / (double)r->wall_us : 0;
	return activity_measure(r, &s->act);
}

static char *report_dur(uint64_t us, char *buf, size_t len)
{
	return units_format_duration(us, buf, len);
}

/* why the ideal time is unknown, for the summary and the compare notes */
static const char *report_ideal_why(const struct summary *s, char *buf, size_t len)
{
	if (s->n == 0)
		snprintf(buf, len, "no requests");
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
static void report_connect_hint(FILE *f, const struct req_result *q, const char *url)
{
	if (q->err != ERR_CONNECT || !url)
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
static int report_speedup(const struct summary *s, const struct summary *base, double *out)
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

void report_print_run(FILE *f, const struct run *r, const struct summary *s,
                      const char *const *urls, size_t nurls)
{
	char a[32], b[32], c[32], d[32], e[32], g[32];
	fprintf(f, "%s: %zu requests, concurrency %u\n", mode_name(r->mode), s->n, r->concurrency);
	fprintf(f, "  ok         %zu\n", s->ok);
	fprintf(f, "  errors     %zu (connect %zu, timeout %zu, http %zu, other %zu)\n", s->failed,
	        s->errors[ERR_CONNECT], s->errors[ERR_TIMEOUT], s->errors[ERR_HTTP],
	        s->errors[ERR_OTHER]);
	if (s->first_error != SIZE_MAX) {
		const struct req_result *q = &r->results[s->first_error];
		fprintf(f, "  first error request %zu (%s): %s\n", s->first_error,
		        q->url_index < nurls ? urls[q->url_index] : "?", q->errmsg);
		report_connect_hint(f, q, q->url_index < nurls ? urls[q->url_index] : NULL);
	}
	if (s->interrupted)
		fprintf(f, "  interrupted %zu of %zu requests not run (a partial run)\n",
		        s->interrupted, s->n);
	fprintf(f, "  wall       %s   %s req/s (responses received)\n",
	        report_dur(s->wall_us, a, sizeof(a)), report_rps(s, b, sizeof(b)));
	if (s->lat_count)
		fprintf(f, "  latency    min %s  mean %s  p50 %s  p90 %s  p99 %s  max %s\n",
		        report_dur(s->lat_min_us, a, sizeof(a)),
		        report_dur((uint64_t)(s->lat_mean_us + 0.5), b, sizeof(b)),
		        report_dur(s->lat_p50_us, c, sizeof(c)),
		        report_dur(s->lat_p90_us, d, sizeof(d)),
		        report_dur(s->lat_p99_us, e, sizeof(e)),
		        report_dur(s->lat_max_us, g, sizeof(g)));
	else
		fprintf(f, "  latency    none (no request got an HTTP response)\n");
	report_print_activity(f, r, &s->act);
	if (s->ideal_known)
		fprintf(f, "  ideal      %s   efficiency %.0f%% (ideal / wall)\n",
		        report_dur(s->ideal_us, a, sizeof(a)), 100.0 * s->efficiency);
	else {
		char why[128];
		fprintf(f, "  ideal      unknown   efficiency unknown (%s)\n",
		        report_ideal_why(s, why, sizeof(why)));
	}
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
			        report_ideal_why(s, why, sizeof(why)));
		if (!s->failed)
			continue;
		const struct req_result *q = &runs[k]->results[s->first_error];
		fprintf(f,
		        "%s: %zu errors (connect %zu, timeout %zu, http %zu, other %zu); first: "
		        "request %zu (%s): %s\n",
		        mode_name(runs[k]->mode), s->failed, s->errors[ERR_CONNECT],
		        s->errors[ERR_TIMEOUT], s->errors[ERR_HTTP], s->errors[ERR_OTHER],
		        s->first_error, q->url_index < nurls ? urls[q->url_index] : "?", q->errmsg);
		if (!hinted && q->err == ERR_CONNECT) {
			report_connect_hint(f, q, q->url_index < nurls ? urls[q->url_index] : NULL);
			hinted = 1;
		}
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

json_t *report_run_json(const struct run *r, const struct summary *s,
                        const struct summary *speedup_base)
{
	json_t *errors = json_object();
	json_t *lat = json_object();
	json_t *o = json_object();
	int bad = !errors || !lat || !o;
	for (int e = ERR_CONNECT; e < ERR_NCLASSES && !bad; e++)
		bad |= json_object_set_new(errors, report_err_names[e],
		                           json_integer((json_int_t)s->errors[e]));
	if (!bad && s->lat_count) {
		bad |= json_object_set_new(lat, "min", json_real(s->lat_min_us / 1e3));
		bad |= json_object_set_new(lat, "mean", json_real(s->lat_mean_us / 1e3));
		bad |= json_object_set_new(lat, "p50", json_real(s->lat_p50_us / 1e3));
		bad |= json_object_set_new(lat, "p90", json_real(s->lat_p90_us / 1e3));
		bad |= json_object_set_new(lat, "p99", json_real(s->lat_p99_us / 1e3));
		bad |= json_object_set_new(lat, "max", json_real(s->lat_max_us / 1e3));
	} else if (!bad) {
		const char *keys[] = {"min", "mean", "p50", "p90", "p99", "max"};
		for (size_t k = 0; k < 6; k++)
			bad |= json_object_set_new(lat, keys[k], json_null());
	}
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

int report_write_json_list(const char *path, const char *key, const struct run *const *runs,
                           const struct summary *sums, size_t nruns, char *err, size_t errlen)
{
	json_t *arr = json_array();
	json_t *root = json_object();
	int bad = !arr || !root;
	for (size_t k = 0; k < nruns && !bad; k++)
		bad |= json_array_append_new(arr, report_run_json(runs[k], &sums[k], NULL)) != 0;
	if (!bad)
		bad = json_object_set_new(root, key, arr) != 0;
	else
		json_decref(arr);
	if (bad) {
		json_decref(root);
		snprintf(err, errlen, "--json: out of memory");
		return -ENOMEM;
	}
	struct report_out o;
	if (report_open(&o, "--json", path, err, errlen) != 0) {
		json_decref(root);
		return -EIO;
	}
	bad = json_dumpf(root, o.f, JSON_INDENT(2) | JSON_REAL_PRECISION(9)) != 0;
	json_decref(root);
	if (!bad)
		fputc('\n', o.f);
	return report_close(&o, bad, "--json", path, err, errlen);
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
		for (size_t i = 0; i < r->n; i++) {
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
