/* cli.h -- latlab-client's command line: one parse, defaults in one place, cross-field checks. */
#ifndef LATLAB_CLI_H
#define LATLAB_CLI_H

#include "batch.h"
#include "conclist.h"
#include "reqopts.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CLI_MAX_REQUESTS    1000000u    /* -n with per-request records (CSV, timeline, compare) */
#define CLI_MAX_RUN         1000000000u /* -n otherwise; also what one -d run may start */
#define CLI_MAX_RECORDS     1000000u    /* per-request records a -d run keeps for CSV/timeline */
#define CLI_MAX_RATE        1000000.0   /* --rate, requests per second */
#define CLI_MAX_DURATION    (7ULL * 24 * 3600 * 1000000) /* -d: one week */
#define CLI_MAX_LOOPS       64u
#define CLI_DEFAULT_LOAD    100u        /* async in flight without -c under -d or --rate */
#define CLI_MAX_ERRORS      CLI_MAX_RUN /* --max-errors */
#define CLI_MAX_URLS        10000u
#define CLI_MAX_URL_LEN     2048u
#define CLI_MAX_THREADS     1024u
#define CLI_MAX_PROCESSES   256u
#define CLI_MAX_INFLIGHT    100000u
#define CLI_DEFAULT_WORKERS 8u                /* threads and processes without -c */
#define CLI_DEFAULT_TIMEOUT (30ULL * 1000000) /* --timeout default, microseconds */

enum cli_action { CLI_RUN, CLI_HELP, CLI_VERSION };

struct config {
	enum cli_action action;
	enum mode mode;          /* when not compare */
	int compare;             /* MODE compare: every mode in turn */
	const char *const *urls; /* points into argv, not owned */
	size_t nurls;
	size_t n;             /* requests in the batch */
	unsigned concurrency; /* -c as given; 0: the mode's default */
	uint64_t timeout_us;  /* 0: none */
	uint64_t work_cpu_us; /* 0: none */
	int gil;
	int trace;
	int quiet;
	const char *json_path; /* NULL: none; "-": stdout */
	const char *csv_path;  /* NULL: none; "-": stdout */
	const char *timeline_path;
	const char *trace_events_path; /* NULL: none */
	struct conc_list clist;        /* -c as given (one value, a list, or MODE=N pairs) */
	int sweep;                     /* MODE sweep: modes[] at each of clist's values */
	enum mode sweep_modes[MODE_COUNT];
	size_t nsweep_modes;
	const char *plot_path;    /* sweep --plot PATH.svg; NULL: none */
	const char *seconds_path; /* --per-second: NULL none, "-" stdout */
	uint64_t duration_us;     /* -d: 0 none */
	double rate;              /* --rate: 0 none */
	unsigned loops;           /* --loops: async event loops (1) */
	const char *cacert;       /* --cacert: CA bundle for https, NULL: the system's */
	unsigned inflight_cap;    /* async in flight the open-files limit allows (RLIMIT_NOFILE) */
	struct reqopts req;  /* -H, -m, --data, --data-file, --no-keepalive, --http1.0; owned */
	uint64_t max_errors; /* --max-errors: exit 1 only above this many failed (0) */
};

/* Parses argv into *cfg (argv must outlive cfg). Returns 0, or -EINVAL with a one-line
 * message in err naming the flag and the accepted form. Needs curl_global_init first
 * (URLs are checked with libcurl's URL parser: http or https, with a host). An async -c
 * beyond what the open-files limit allows is a usage error. */
int cli_parse(int argc, char **argv, struct config *cfg, char *err, size_t errlen);

/* Frees what cli_parse allocated in cfg (headers, a --data-file body), after a success or a
 * failure; cfg is then unusable until parsed again. */
void cli_free(struct config *cfg);

/* The effective concurrency of a mode under cfg: 1 for sequential, -c or the default for
 * threads and processes, -c or all for async (all: at most cfg->inflight_cap; under -d or
 * --rate CLI_DEFAULT_LOAD); never more than cfg->n (and at least 1). */
unsigned cli_concurrency(const struct config *cfg, enum mode m);

/* Per-request records the run must keep for the outputs cfg asks for (CSV, timeline,
 * --trace-events, compare, sweep): cfg->n capped at CLI_MAX_RECORDS, or 0 when none asks. */
size_t cli_keep_records(const struct config *cfg);

/* Prints the usage text (man-page style) to f; never fails loudly. */
void cli_usage(FILE *f);

#endif
