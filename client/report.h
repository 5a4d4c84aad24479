/* report.h -- what a finished run means: the summary, the compare table, JSON and CSV.
 * Reads struct run records; never changes them. */
#ifndef LATLAB_REPORT_H
#define LATLAB_REPORT_H

#include "batch.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The percentiles reported everywhere: p50 p75 p90 p99 p99.9 p99.99 (then max). */
#define REPORT_NPCT 6
extern const double report_pcts[REPORT_NPCT];
extern const char *const report_pct_keys[REPORT_NPCT]; /* "p50", ..., "p99.99" */

struct stats;
struct hist;

struct summary {
	size_t n;
	size_t ok;
	size_t errors[ERR_NCLASSES]; /* by class; errors[ERR_NONE] is unused */
	size_t failed;               /* n - ok */
	uint64_t wall_us;
	double rps;         /* responses received per second of wall time */
	int rps_known;      /* some response was received (else req/s and speed-up are unknown) */
	size_t interrupted; /* requests recorded as interrupted (Ctrl-C): a partial run */
	size_t no_delay_ok; /* requests that succeeded without an X-Latlab-Delay-Us header */
	/* latency (end - start) of the requests that got an HTTP response */
	size_t lat_count;
	uint64_t lat_min_us, lat_p50_us, lat_p90_us, lat_p99_us, lat_max_us;
	uint64_t lat_pct_us[REPORT_NPCT];
	double lat_mean_us;
	/* --rate: latency from the due time (coordinated omission corrected), late starts */
	uint64_t due_pct_us[REPORT_NPCT];
	uint64_t due_max_us;
	double due_mean_us;
	uint64_t late;
	double achieved_rate; /* requests started per second from the first to the last due */
	int ideal_known;      /* every request carried X-Latlab-Delay-Us */
	uint64_t ideal_us;
	double efficiency;  /* ideal / wall when ideal_known */
	size_t first_error; /* index of the first failed request; SIZE_MAX: none */
	uint32_t first_error_url;
	enum err_class first_error_err;
	const char *first_error_msg; /* borrowed from the run's stats */
	const struct stats *st;      /* the run's stats, borrowed */
	struct activity act;         /* concurrency and parallelism as measured */
};

/* Fills *s from r's stats (computing them from r's records first when r has none). Returns
 * 0 or -ENOMEM. s borrows from r: use it while r lives. */
int report_summarize(struct run *r, struct summary *s);

/* The speed-up of s over base (base wall / s wall) into *out: 1, or 0 when there is none to
 * give (no base, no response, either run cut short). */
int report_speedup(const struct summary *s, const struct summary *base, double *out);

/* Prints the human summary of one run to f. urls name r's batch. */
void report_print_run(FILE *f, const struct run *r, const struct summary *s,
                      const char *const *urls, size_t nurls);

/* Prints the compare table of runs[0..nruns) to f; speed-up is against the run whose mode is
 * MODE_SEQUENTIAL, when there is one. */
void report_print_compare(FILE *f, const struct run *const *runs, const struct summary *sums,
                          size_t nruns);

/* The JSON of a histogram: {"unit": "us", "count", "clamped", "min", "max", "sum",
 * "buckets": [[low, count], ...]} with the non-empty buckets only, so runs merge exactly
 * (merge.h). New reference; NULL on no memory. */
json_t *report_hist_json(const struct hist *h);

/* {"p50": ms, ..., "p99.99": ms, "max": ms, "min": ms, "mean": ms} of h (null when empty).
 * New reference; NULL on no memory. */
json_t *report_pct_json(const struct hist *h);

/* Prints, for each run with failures, its error counts by class and its first error. */
void report_print_compare_errors(FILE *f, const struct run *const *runs, const struct summary *sums,
                                 size_t nruns, const char *const *urls, size_t nurls);

/* The JSON object of one run (the keys README documents, plus the client's cost);
 * speedup_base is the sequential run's summary for a "speedup" key, or NULL. New reference;
 * NULL on no memory. */
json_t *report_run_json(const struct run *r, const struct summary *s,
                        const struct summary *speedup_base);

/* Writes one run's object (compare == 0, nruns == 1) or {"runs": [...]} to path ("-":
 * stdout; a file is replaced whole, or left as it was on failure), with manifest (borrowed;
 * NULL: none) under the key "manifest" of that object. Returns 0, or a negative
 * errno with a one-line message in err. */
int report_write_json(const char *path, const struct run *const *runs, const struct summary *sums,
                      size_t nruns, int compare, const json_t *manifest, char *err, size_t errlen);

/* Writes {key: [run, ...], "manifest": manifest} (each run's object, no speed-up; manifest
 * borrowed, NULL: none) to path as report_write_json does. Returns 0, or a negative errno
 * with a one-line message in err. */
int report_write_json_list(const char *path, const char *key, const struct run *const *runs,
                           const struct summary *sums, size_t nruns, const json_t *manifest,
                           char *err, size_t errlen);

/* Writes the CSV header and one row per request of every run (with a trailing "mode" column
 * when compare) to path ("-": stdout; a file is replaced whole). Returns 0, or a negative
 * errno with a message in err. */
int report_write_csv(const char *path, const struct run *const *runs, size_t nruns,
                     const char *const *urls, size_t nurls, int compare, char *err, size_t errlen);

/* Writes the per-second timeline of r (second,requests,errors,p50_ms,p99_ms; seconds by end
 * time, p50/p99 within 3%, empty without responses) to path ("-": stdout). 0, or a negative
 * errno with a message in err. */
int report_write_seconds(const char *path, const struct run *r, char *err, size_t errlen);

/* The name of an error class as used in JSON and CSV ("connect", ...; "" for ERR_NONE). */
const char *report_err_name(enum err_class e);

#endif
