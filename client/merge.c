/* merge.c -- combining runs' JSON reports into one (the merge subcommand): parse, validate,
 * rebuild each histogram from its buckets, add; the summary and JSON come from report.c. */
#include "merge.h"

#include "batch.h"
#include "histogram.h"
#include "manifest.h"
#include "modes.h"
#include "report.h"
#include "stats.h"
#include "units.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define MERGE_MAX_FILES 10000

/* a non-negative integer member of o, or -1 (with a message) */
static int merge_uint(const json_t *o, const char *key, const char *where, uint64_t *out, char *err,
                      size_t errlen)
{
	const json_t *v = json_object_get(o, key);
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		snprintf(err, errlen, "%s: \"%s\": expected a whole number >= 0", where, key);
		return -EINVAL;
	}
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

/* a histogram object (report_hist_json) added into h */
static int merge_hist(struct hist *h, const json_t *o, const char *where, char *err, size_t errlen)
{
	struct hist *t = hist_new();
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	int rc = -EINVAL;
	uint64_t count, clamped, min, max, sum;
	const json_t *buckets = json_object_get(o, "buckets");
	const json_t *unit = json_object_get(o, "unit");
	if (!json_is_object(o) || !json_is_string(unit) || strcmp(json_string_value(unit), "us")) {
		snprintf(err, errlen, "%s: expected a histogram object with \"unit\": \"us\"",
		         where);
		goto out;
	}
	if (merge_uint(o, "count", where, &count, err, errlen) ||
	    merge_uint(o, "clamped", where, &clamped, err, errlen) ||
	    merge_uint(o, "min", where, &min, err, errlen) ||
	    merge_uint(o, "max", where, &max, err, errlen) ||
	    merge_uint(o, "sum", where, &sum, err, errlen))
		goto out;
	if (!json_is_array(buckets)) {
		snprintf(err, errlen, "%s: \"buckets\": expected [[low_us, count], ...]", where);
		goto out;
	}
	size_t k;
	const json_t *pair;
	json_array_foreach(buckets, k, pair)
	{
		const json_t *lo = json_array_get(pair, 0), *n = json_array_get(pair, 1);
		if (!json_is_array(pair) || json_array_size(pair) != 2 || !json_is_integer(lo) ||
		    !json_is_integer(n) || json_integer_value(lo) < 0 ||
		    json_integer_value(n) < 0 ||
		    hist_add_bucket(t, (uint64_t)json_integer_value(lo),
		                    (uint64_t)json_integer_value(n)) != 0) {
			snprintf(err, errlen,
			         "%s: bucket %zu: expected [low_us, count] with low_us a bucket's "
			         "lowest value",
			         where, k);
			goto out;
		}
	}
	if (hist_count(t) != count || hist_set_totals(t, min, max, sum, clamped) != 0) {
		snprintf(err, errlen,
		         "%s: count, min, max, sum or clamped do not match the buckets", where);
		goto out;
	}
	hist_merge(h, t);
	rc = 0;
out:
	hist_free(t);
	return rc;
}

/* the counts: requests, ok, errors by class, rate's late starts */
static int merge_counts(struct run *dst, const json_t *o, char *err, size_t errlen)
{
	struct stats *st = dst->stats;
	uint64_t n, ok, v;
	if (merge_uint(o, "requests", "run", &n, err, errlen) ||
	    merge_uint(o, "ok", "run", &ok, err, errlen))
		return -EINVAL;
	if (ok > n) {
		snprintf(err, errlen, "run: \"ok\" (%llu) is more than \"requests\" (%llu)",
		         (unsigned long long)ok, (unsigned long long)n);
		return -EINVAL;
	}
	const json_t *errors = json_object_get(o, "errors");
	static const char *const names[] = {"connect", "timeout", "http", "other"};
	for (int e = ERR_CONNECT; e < ERR_NCLASSES; e++) {
		if (merge_uint(errors, names[e - 1], "run: \"errors\"", &v, err, errlen))
			return -EINVAL;
		st->errors[e] += v;
	}
	dst->n += (size_t)n;
	st->count += n;
	st->ok += ok;
	const json_t *rate = json_object_get(o, "rate");
	if (json_is_object(rate)) {
		if (merge_uint(rate, "late_starts", "run: \"rate\"", &v, err, errlen))
			return -EINVAL;
		st->late += v;
		dst->rate += json_number_value(json_object_get(rate, "asked"));
		double achieved = json_number_value(json_object_get(rate, "achieved"));
		if (achieved > 0) /* summed rates, read back by report_summarize */
			st->last_start_us +=
			        (uint64_t)((double)(n > 1 ? n - 1 : 0) * 1e6 / achieved);
	}
	return 0;
}

int merge_add_json(struct run *dst, const json_t *o, char *err, size_t errlen)
{
	if (!json_is_object(o)) {
		snprintf(err, errlen, "expected a run object (latlab-client --json)");
		return -EINVAL;
	}
	enum mode m;
	const json_t *mode = json_object_get(o, "mode");
	if (!json_is_string(mode) || mode_parse(json_string_value(mode), &m) != 0) {
		snprintf(err, errlen,
		         "run: \"mode\": expected sequential, threads, processes or async");
		return -EINVAL;
	}
	const json_t *hists = json_object_get(o, "histograms");
	if (!json_is_object(hists)) {
		snprintf(err, errlen,
		         "run: \"histograms\": missing (written by latlab-client 0.2 and later)");
		return -EINVAL;
	}
	struct stats *st = dst->stats;
	if (merge_hist(st->lat, json_object_get(hists, "latency"), "histograms.latency", err,
	               errlen) ||
	    merge_hist(st->lat_due, json_object_get(hists, "from_due"), "histograms.from_due", err,
	               errlen))
		return -EINVAL;
	for (int p = 0; p < PHASE_COUNT; p++) {
		char where[64];
		snprintf(where, sizeof(where), "histograms.%s", stats_phase_name((enum phase)p));
		if (merge_hist(st->phase[p],
		               json_object_get(hists, stats_phase_name((enum phase)p)), where, err,
		               errlen))
			return -EINVAL;
	}
	if (merge_counts(dst, o, err, errlen) != 0)
		return -EINVAL;
	uint64_t conc;
	double wall = json_number_value(json_object_get(o, "wall_s"));
	if (merge_uint(o, "concurrency", "run", &conc, err, errlen))
		return -EINVAL;
	if (!(wall >= 0)) {
		snprintf(err, errlen, "run: \"wall_s\": expected seconds >= 0");
		return -EINVAL;
	}
	dst->concurrency += (unsigned)conc;
	/* the client's cost: summed over the machines, the largest peak RSS */
	dst->cpu_user_us += (uint64_t)(json_number_value(json_object_get(o, "cpu_user_s")) * 1e6);
	dst->cpu_sys_us += (uint64_t)(json_number_value(json_object_get(o, "cpu_sys_s")) * 1e6);
	dst->ctx_voluntary += (uint64_t)json_integer_value(json_object_get(o, "ctx_voluntary"));
	dst->ctx_involuntary += (uint64_t)json_integer_value(json_object_get(o, "ctx_involuntary"));
	uint64_t rss = (uint64_t)json_integer_value(json_object_get(o, "maxrss_kib"));
	if (rss > dst->maxrss_kib)
		dst->maxrss_kib = rss;
	/* concurrency of runs side by side: their requests in flight add up, so the time
	 * integrals (mean x wall) sum, and the maxima sum to an upper bound of the merged one */
	const json_t *fl = json_object_get(o, "in_flight");
	double fl_mean = json_number_value(json_object_get(fl, "mean"));
	if (fl_mean > 0)
		dst->busy_us += (uint64_t)(fl_mean * wall * 1e6 + 0.5);
	dst->in_flight_max += (size_t)json_integer_value(json_object_get(fl, "max"));
	/* runs side by side: the merged wall is the longest one */
	if ((uint64_t)(wall * 1e6 + 0.5) > dst->wall_us)
		dst->wall_us = (uint64_t)(wall * 1e6 + 0.5);
	dst->mode = m;
	return 0;
}

struct merge_opts {
	const char *json_path;
	int quiet;
	uint64_t max_errors; /* exit 1 only when more failed */
};

static void merge_usage(FILE *f)
{
	fprintf(f,
	        "usage: latlab-client merge [-q] [--json OUT|-] [--max-errors N] RUN.json...\n"
	        "\n"
	        "Combines runs written with --json (one run each, or compare's {\"runs\": ...})\n"
	        "into one report: requests, ok and errors summed, percentiles exact from the\n"
	        "histograms' buckets, wall the longest run's (runs side by side), req/s their "
	        "sum,\nrequests in flight summed (the maximum: the sum of the runs' maxima).\n");
}

/* the files in argv after the options, each run added into r; 0, or 2 (message printed) */
static int merge_files(struct run *r, int argc, char **argv, size_t *nruns)
{
	char err[300];
	for (int k = optind; k < argc; k++) {
		json_error_t jerr;
		json_t *doc = json_load_file(argv[k], 0, &jerr);
		if (!doc) {
			fprintf(stderr, "latlab-client: merge: %s: not JSON: %s (line %d)\n",
			        argv[k], jerr.text, jerr.line);
			return 2;
		}
		const json_t *runs = json_object_get(doc, "runs");
		size_t i;
		const json_t *one;
		int rc = 0;
		if (json_is_array(runs)) {
			json_array_foreach(runs, i, one)
			{
				if (rc == 0)
					rc = merge_add_json(r, one, err, sizeof(err));
				(*nruns)++;
			}
		} else {
			rc = merge_add_json(r, doc, err, sizeof(err));
			(*nruns)++;
		}
		json_decref(doc);
		if (rc != 0) {
			fprintf(stderr, "latlab-client: merge: %s: %s\n", argv[k], err);
			return 2;
		}
	}
	return 0;
}

static int merge_parse(int argc, char **argv, struct merge_opts *o)
{
	static const struct option opts[] = {{"json", required_argument, NULL, 'j'},
	                                     {"max-errors", required_argument, NULL, 'E'},
	                                     {"quiet", no_argument, NULL, 'q'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	memset(o, 0, sizeof(*o));
	opterr = 0;
	optind = 0;
	int ch;
	char why[UNITS_ERR_LEN];
	while ((ch = getopt_long(argc, argv, ":j:qh", opts, NULL)) != -1) {
		if (ch == 'j')
			o->json_path = optarg;
		else if (ch == 'q')
			o->quiet = 1;
		else if (ch == 'h')
			return 1;
		else if (ch == 'E' && units_parse_u64(optarg, 0, UINT64_MAX / 2, &o->max_errors,
		                                      why, sizeof(why)) != 0) {
			fprintf(stderr,
			        "latlab-client: merge: --max-errors: expected a whole number of "
			        "failed "
			        "requests, got '%.40s': %s\n",
			        optarg, why);
			return -1;
		} else if (ch == 'E')
			continue;
		else {
			fprintf(stderr,
			        "latlab-client: merge: %s '%s' (expected --json OUT, -q, "
			        "--max-errors N)\n",
			        ch == ':' ? "option needs a value:" : "unknown option",
			        argv[optind - 1]);
			return -1;
		}
	}
	if (optind >= argc || argc - optind > MERGE_MAX_FILES) {
		fprintf(stderr, "latlab-client: merge: expected 1 to %d RUN.json files\n",
		        MERGE_MAX_FILES);
		return -1;
	}
	return 0;
}

int merge_main(int argc, char **argv)
{
	struct merge_opts o;
	char *given[MERGE_MAX_FILES + 8]; /* the arguments as given, for the manifest */
	int ngiven = argc < MERGE_MAX_FILES + 8 ? argc : MERGE_MAX_FILES + 8;
	memcpy(given, argv, (size_t)ngiven * sizeof(*given));
	int rc = merge_parse(argc, argv, &o);
	if (rc != 0) {
		if (rc > 0)
			merge_usage(stdout);
		return rc > 0 ? 0 : 2;
	}
	struct run *r = run_new(MODE_ASYNC, 0);
	if (!r || !(r->stats = stats_new())) {
		run_free(r);
		fprintf(stderr, "latlab-client: merge: out of memory\n");
		return 1;
	}
	r->nresults = 0;
	size_t nruns = 0;
	int status = merge_files(r, argc, argv, &nruns);
	struct summary s;
	if (status == 0 && report_summarize(r, &s) != 0)
		status = 1;
	if (status == 0) {
		int to_stdout = o.json_path && strcmp(o.json_path, "-") == 0;
		if (!o.quiet) {
			FILE *f = to_stdout ? stderr : stdout;
			fprintf(f, "merged %zu runs\n", nruns);
			report_print_run(f, r, &s, NULL, 0);
		}
		char err[300];
		const struct run *runs[1] = {r};
		json_t *manifest = o.json_path ? manifest_new("merge", ngiven, given) : NULL;
		if (o.json_path &&
		    (!manifest || report_write_json(o.json_path, runs, &s, 1, 0, manifest, err,
		                                    sizeof(err)) != 0)) {
			if (!manifest)
				snprintf(err, sizeof(err), "out of memory");
			fprintf(stderr, "latlab-client: merge: %s\n", err);
			status = 1;
		}
		json_decref(manifest);
		if (status == 0 && s.failed > o.max_errors)
			status = 1;
	}
	run_free(r);
	return status;
}
