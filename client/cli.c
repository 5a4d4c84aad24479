/* cli.c -- parsing latlab-client's arguments (getopt_long) into a struct config; no I/O, no
 * network (the usage text is cli_usage.c). */
#include "cli.h"

#include "units.h"
#include "work.h"

#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <unistd.h>

/* 0 when url is an absolute http(s) URL with a host, else -EINVAL + message */
static int cli_check_url(const char *url, char *err, size_t errlen)
{
	if (strlen(url) > CLI_MAX_URL_LEN) {
		snprintf(err, errlen, "URL longer than %u bytes", CLI_MAX_URL_LEN);
		return -EINVAL;
	}
	CURLU *u = curl_url();
	if (!u) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	int rc = -EINVAL;
	char *scheme = NULL, *host = NULL;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
		snprintf(err, errlen, "invalid URL '%.200s': expected http://HOST[:PORT][/PATH]",
		         url);
	} else if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	           (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0)) {
		snprintf(err, errlen,
		         "unsupported URL scheme in '%.200s': expected http:// or https://", url);
	} else if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host[0]) {
		snprintf(err, errlen,
		         "URL '%.200s' has no host: expected http://HOST[:PORT][/PATH]", url);
	} else {
		rc = 0;
	}
	curl_free(host);
	curl_free(scheme);
	curl_url_cleanup(u);
	return rc;
}

/* sockets one process can hold in flight: the open-files limit less a margin for the rest */
static unsigned cli_inflight_cap(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return CLI_MAX_INFLIGHT;
	if (rl.rlim_cur <= 128)
		return 64;
	rlim_t cap = rl.rlim_cur - 64;
	return cap > CLI_MAX_INFLIGHT ? CLI_MAX_INFLIGHT : (unsigned)cap;
}

static void cli_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->action = CLI_RUN;
	cfg->mode = MODE_SEQUENTIAL;
	cfg->timeout_us = CLI_DEFAULT_TIMEOUT;
	cfg->inflight_cap = cli_inflight_cap();
}

/* A numeric option: a whole number from 1 to max, or a duration when max is 0. */
struct cli_number {
	int opt;            /* getopt's letter */
	const char *flag;   /* as named in messages */
	const char *expect; /* what it takes */
	uint64_t max;
	uint64_t *out;
};

/* Parses arg for option t into *t->out. 0, or -EINVAL with a message that names the flag,
 * what it takes, the value given and the parser's reason. */
static int cli_number_parse(const struct cli_number *t, const char *arg, char *err, size_t errlen)
{
	char why[160];
	int rc = t->max ? units_parse_u64(arg, 1, t->max, t->out, why, sizeof(why))
	                : units_parse_duration(arg, t->out, why, sizeof(why));
	if (rc == 0)
		return 0;
	if (t->max)
		snprintf(err, errlen, "%s: expected %s from 1 to %llu, got '%.40s': %s", t->flag,
		         t->expect, (unsigned long long)t->max, arg, why);
	else
		snprintf(err, errlen, "%s: expected %s, got '%.40s': %s", t->flag, t->expect, arg,
		         why);
	return -EINVAL;
}

/* -r, -n and -c as given (0: not given), before the cross-field checks */
struct cli_counts {
	uint64_t repeat, n, c, loops;
};

enum { OPT_RATE = 256, OPT_LOOPS, OPT_PER_SECOND, OPT_TRACE_EVENTS, OPT_PLOT, CLI_OPT_CACERT };

static const struct option cli_opts[] = {
        {"repeat", required_argument, NULL, 'r'},
        {"requests", required_argument, NULL, 'n'},
        {"concurrency", required_argument, NULL, 'c'},
        {"timeout", required_argument, NULL, 't'},
        {"work", required_argument, NULL, 'w'},
        {"gil", no_argument, NULL, 'g'},
        {"duration", required_argument, NULL, 'd'},
        {"rate", required_argument, NULL, OPT_RATE},
        {"loops", required_argument, NULL, OPT_LOOPS},
        {"trace", no_argument, NULL, 'T'},
        {"quiet", no_argument, NULL, 'q'},
        {"json", required_argument, NULL, 'j'},
        {"csv", required_argument, NULL, 'o'},
        {"timeline", required_argument, NULL, 's'},
        {"per-second", required_argument, NULL, OPT_PER_SECOND},
        {"trace-events", required_argument, NULL, OPT_TRACE_EVENTS},
        {"plot", required_argument, NULL, OPT_PLOT},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {"cacert", required_argument, NULL, CLI_OPT_CACERT},
        REQOPTS_LONG_OPTIONS,
        {NULL, 0, NULL, 0},
};

/* --rate R into cfg->rate. 0, or -EINVAL with a message. */
static int cli_parse_rate(const char *arg, struct config *cfg, char *err, size_t errlen)
{
	char why[UNITS_ERR_LEN];
	if (units_parse_double(arg, 0, CLI_MAX_RATE, &cfg->rate, why, sizeof(why)) == 0 &&
	    cfg->rate > 0)
		return 0;
	snprintf(err, errlen,
	         "--rate: expected requests per second above 0 and at most %.0f (e.g. 200 or "
	         "0.5), got '%.40s'",
	         CLI_MAX_RATE, arg);
	return -EINVAL;
}

/* An option that takes a path (checked after parsing) into cfg: 1, or 0 when ch is not one */
static int cli_parse_output(int ch, const char *arg, struct config *cfg)
{
	const char **to = ch == 'j'                ? &cfg->json_path
	                  : ch == 'o'              ? &cfg->csv_path
	                  : ch == 's'              ? &cfg->timeline_path
	                  : ch == OPT_TRACE_EVENTS ? &cfg->trace_events_path
	                  : ch == OPT_PER_SECOND   ? &cfg->seconds_path
	                  : ch == OPT_PLOT         ? &cfg->plot_path
	                  : ch == CLI_OPT_CACERT   ? &cfg->cacert
	                                           : NULL;
	if (to)
		*to = arg;
	return to != NULL;
}

/* --rate, the request options (reqopts.h) and --max-errors: 1 handled, 0 not one of them,
 * or a negative errno with a message */
static int cli_parse_more(int ch, const char *arg, struct config *cfg, char *err, size_t errlen)
{
	if (ch == OPT_RATE)
		return cli_parse_rate(arg, cfg, err, errlen) == 0 ? 1 : -EINVAL;
	if (ch != REQOPT_MAX_ERRORS)
		return reqopts_option(&cfg->req, ch, arg, err, errlen);
	char why[UNITS_ERR_LEN];
	if (units_parse_u64(arg, 0, CLI_MAX_ERRORS, &cfg->max_errors, why, sizeof(why)) == 0)
		return 1;
	snprintf(err, errlen,
	         "--max-errors: expected a whole number of failed requests from 0 to %llu, got "
	         "'%.40s': %s",
	         (unsigned long long)CLI_MAX_ERRORS, arg, why);
	return -EINVAL;
}

/* The options in argv into cfg and k (getopt_long moves the operands to the end). 0, or
 * -EINVAL with a message; stops at --help or --version. */
static int cli_parse_options(int argc, char **argv, struct config *cfg, struct cli_counts *k,
                             char *err, size_t errlen)
{
	const struct cli_number numbers[] = {
	        {'r', "--repeat", "a whole number of passes", CLI_MAX_RUN, &k->repeat},
	        {'n', "-n", "a whole number of requests", CLI_MAX_RUN, &k->n},
	        {'t', "--timeout", UNITS_DURATION_FORMS, 0, &cfg->timeout_us},
	        {'d', "--duration", UNITS_DURATION_FORMS, 0, &cfg->duration_us},
	        {OPT_LOOPS, "--loops", "a whole number of event loops", CLI_MAX_LOOPS, &k->loops},
	};
	char why[200];
	opterr = 0;
	optind = 0; /* full re-initialisation (GNU), so cli_parse can run more than once */
	int ch;
	while ((ch = getopt_long(argc, argv, ":r:n:c:t:w:gd:Tqj:o:s:H:m:hV", cli_opts, NULL)) !=
	       -1) {
		const struct cli_number *num = NULL;
		for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++)
			if (numbers[i].opt == ch)
				num = &numbers[i];
		if (num) {
			if (cli_number_parse(num, optarg, err, errlen) != 0)
				return -EINVAL;
			continue;
		}
		if (cli_parse_output(ch, optarg, cfg))
			continue;
		int more = cli_parse_more(ch, optarg, cfg, err, errlen);
		if (more < 0)
			return more;
		if (more > 0)
			continue;
		switch (ch) {
		case 'c':
			if (conc_list_parse(optarg, CLI_MAX_INFLIGHT, &cfg->clist, err, errlen) !=
			    0)
				return -EINVAL;
			k->c = cfg->clist.n == 1 && !cfg->clist.by_mode ? cfg->clist.v[0] : 0;
			break;
		case 'w':
			if (work_parse(optarg, &cfg->work_cpu_us, why, sizeof(why))) {
				snprintf(err, errlen, "--work: %s", why);
				return -EINVAL;
			}
			break;
		case 'g':
			cfg->gil = 1;
			break;
		case 'T':
			cfg->trace = 1;
			break;
		case 'q':
			cfg->quiet = 1;
			break;
		case 'h':
			cfg->action = CLI_HELP;
			return 0;
		case 'V':
			cfg->action = CLI_VERSION;
			return 0;
		case ':':
			snprintf(err, errlen, "option '%s' needs a value (see --help)",
			         argv[optind - 1]);
			return -EINVAL;
		default:
			if (optopt)
				snprintf(err, errlen, "unknown option '-%c' (see --help)", optopt);
			else
				snprintf(err, errlen, "unknown option '%s' (see --help)",
				         argv[optind - 1]);
			return -EINVAL;
		}
	}
	return 0;
}

#define CLI_MODES "sequential, threads, processes, async, compare or sweep"

/* sweep's MODE[,MODE...] into cfg. 0, or -EINVAL with a message. */
static int cli_parse_sweep_modes(const char *s, struct config *cfg, char *err, size_t errlen)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", s);
	char *save = NULL;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		enum mode m;
		if (mode_parse(t, &m) != 0 || cfg->nsweep_modes == MODE_COUNT) {
			snprintf(
			        err, errlen,
			        "sweep: expected MODE[,MODE...] of sequential, threads, processes, "
			        "async, got '%.60s'",
			        s);
			return -EINVAL;
		}
		cfg->sweep_modes[cfg->nsweep_modes++] = m;
	}
	if (cfg->nsweep_modes == 0) {
		snprintf(err, errlen, "sweep: expected MODE[,MODE...] before the URLs");
		return -EINVAL;
	}
	return 0;
}

/* MODE URL... from argv[optind]. 0, or -EINVAL with a message. */
static int cli_parse_operands(int argc, char **argv, struct config *cfg, char *err, size_t errlen)
{
	if (optind >= argc) {
		snprintf(err, errlen, "missing MODE: expected " CLI_MODES);
		return -EINVAL;
	}
	if (strcmp(argv[optind], "compare") == 0) {
		cfg->compare = 1;
	} else if (strcmp(argv[optind], "sweep") == 0) {
		cfg->sweep = 1;
		if (++optind >= argc) {
			snprintf(err, errlen, "sweep: expected MODE[,MODE...] and URLs");
			return -EINVAL;
		}
		if (cli_parse_sweep_modes(argv[optind], cfg, err, errlen) != 0)
			return -EINVAL;
	} else if (mode_parse(argv[optind], &cfg->mode) != 0) {
		snprintf(err, errlen, "unknown mode '%.40s': expected " CLI_MODES, argv[optind]);
		return -EINVAL;
	}
	optind++;
	cfg->urls = (const char *const *)(argv + optind);
	cfg->nurls = (size_t)(argc - optind);
	if (cfg->nurls == 0) {
		snprintf(err, errlen,
		         "missing URL: expected at least one http://HOST[:PORT][/PATH]");
		return -EINVAL;
	}
	if (cfg->nurls > CLI_MAX_URLS) {
		snprintf(err, errlen, "too many URLs: at most %u", CLI_MAX_URLS);
		return -EINVAL;
	}
	for (size_t i = 0; i < cfg->nurls; i++)
		if (cli_check_url(cfg->urls[i], err, errlen) != 0)
			return -EINVAL;
	return 0;
}

static int cli_check_c(const struct config *cfg, int threads, int procs, int async, uint64_t c,
                       char *err, size_t errlen);
static int cli_check_lists(struct config *cfg, char *err, size_t errlen);

/* 1 when each request of the run needs a record: CSV, timeline, trace events, compare, sweep */
static int cli_needs_records(const struct config *cfg)
{
	return cfg->compare || cfg->sweep || cfg->csv_path || cfg->timeline_path ||
	       cfg->trace_events_path;
}

/* how many requests a run may have: fewer when each needs a record */
static uint64_t cli_max_requests(const struct config *cfg)
{
	return cli_needs_records(cfg) ? CLI_MAX_REQUESTS : CLI_MAX_RUN;
}

/* -d and --rate against the runs that cannot take them, and -d's bound */
static int cli_check_load(const struct config *cfg, char *err, size_t errlen)
{
	if (cfg->duration_us > CLI_MAX_DURATION) {
		snprintf(err, errlen, "--duration: at most one week (168h as 10080m)");
		return -EINVAL;
	}
	if ((cfg->compare || cfg->sweep) && (cfg->duration_us || cfg->rate > 0)) {
		snprintf(err, errlen, "%s: not with %s (it runs one batch per mode or -c)",
		         cfg->duration_us ? "-d" : "--rate", cfg->compare ? "compare" : "sweep");
		return -EINVAL;
	}
	return 0;
}

/* the run's size from -n, --repeat, -d and --rate */
static int cli_check_size(struct config *cfg, const struct cli_counts *k, char *err, size_t errlen)
{
	if (k->n && k->repeat) {
		snprintf(err, errlen, "-n and --repeat both size the batch: give one of them");
		return -EINVAL;
	}
	if (cfg->duration_us && (k->n || k->repeat)) {
		snprintf(err, errlen, "-d and %s both size the run: give one of them",
		         k->n ? "-n" : "--repeat");
		return -EINVAL;
	}
	if (cli_check_load(cfg, err, errlen) != 0)
		return -EINVAL;
	uint64_t max = cli_max_requests(cfg);
	const char *why = max == CLI_MAX_REQUESTS
	                          ? " with --csv, --timeline, --trace-events, compare or sweep"
	                          : "";
	uint64_t repeat = k->repeat ? k->repeat : 1;
	double n;
	if (cfg->duration_us && cfg->rate > 0)
		n = ceil(cfg->rate * (double)cfg->duration_us / 1e6);
	else if (cfg->duration_us)
		n = CLI_MAX_RUN; /* the loop ends with the time; this only bounds it */
	else
		n = k->n ? (double)k->n : (double)repeat * (double)cfg->nurls;
	if (n > (double)max && !(cfg->duration_us && cfg->rate <= 0)) {
		snprintf(err, errlen, "%s: %.0f requests is more than %llu%s",
		         cfg->rate > 0 && cfg->duration_us ? "--rate x -d"
		         : k->n                            ? "-n"
		                                           : "--repeat",
		         n, (unsigned long long)max, why);
		return -EINVAL;
	}
	cfg->n = n < 1 ? 1 : (size_t)n;
	return 0;
}

/* the batch size, and -c and --loops against the limits of the mode(s) that use them */
static int cli_check_counts(struct config *cfg, const struct cli_counts *k, char *err,
                            size_t errlen)
{
	if (cli_check_size(cfg, k, err, errlen) != 0)
		return -EINVAL;
	if (k->loops && (cfg->compare || cfg->sweep || cfg->mode != MODE_ASYNC)) {
		snprintf(err, errlen, "--loops: only for async (event loops on their own threads)");
		return -EINVAL;
	}
	cfg->loops = k->loops ? (unsigned)k->loops : 1;
	if (cfg->sweep || cfg->clist.by_mode)
		return cli_check_lists(cfg, err, errlen);
	if (cfg->clist.n > 1) {
		snprintf(err, errlen,
		         "-c: a list of values is for sweep (e.g. latlab-client sweep "
		         "threads -c 1,2,4,8 URL)");
		return -EINVAL;
	}
	if (!k->c)
		return 0;
	int threads = cfg->compare || cfg->mode == MODE_THREADS;
	int procs = cfg->compare || cfg->mode == MODE_PROCESSES;
	int async = cfg->compare || cfg->mode == MODE_ASYNC;
	if (cli_check_c(cfg, threads, procs, async, k->c, err, errlen) != 0)
		return -EINVAL;
	cfg->concurrency = (unsigned)k->c;
	return 0;
}

/* c against the limits of the modes that use it */
static int cli_check_c(const struct config *cfg, int threads, int procs, int async, uint64_t c,
                       char *err, size_t errlen)
{
	struct cli_counts one = {0, 0, c, 0};
	const struct cli_counts *k = &one;
	if (threads && k->c > CLI_MAX_THREADS) {
		snprintf(err, errlen, "-c: at most %u threads", CLI_MAX_THREADS);
		return -EINVAL;
	}
	if (procs && k->c > CLI_MAX_PROCESSES) {
		snprintf(err, errlen, "-c: at most %u processes", CLI_MAX_PROCESSES);
		return -EINVAL;
	}
	uint64_t eff = k->c < cfg->n ? k->c : cfg->n;
	if (async && eff > cfg->inflight_cap) {
		snprintf(err, errlen,
		         "-c: %llu in flight needs more open files than the limit allows (at most "
		         "%u here): raise ulimit -n or lower -c",
		         (unsigned long long)k->c, cfg->inflight_cap);
		return -EINVAL;
	}
	return 0;
}

/* sweep's list (default 1,2,4,...,100) and compare's MODE=N pairs against their modes' limits */
static int cli_check_lists(struct config *cfg, char *err, size_t errlen)
{
	if (cfg->clist.by_mode && !cfg->compare) {
		snprintf(err, errlen,
		         "-c: MODE=N settings are for compare (e.g. -c "
		         "threads=10,processes=4,async=100)");
		return -EINVAL;
	}
	if (cfg->compare) {
		for (int m = MODE_THREADS; m < MODE_COUNT; m++)
			if (cfg->clist.per_mode[m] &&
			    cli_check_c(cfg, m == MODE_THREADS, m == MODE_PROCESSES,
			                m == MODE_ASYNC, cfg->clist.per_mode[m], err, errlen) != 0)
				return -EINVAL;
		return 0;
	}
	if (cfg->clist.n == 0) {
		static const unsigned dflt[] = {1, 2, 4, 8, 16, 32, 64, 100};
		cfg->clist.n = sizeof(dflt) / sizeof(dflt[0]);
		memcpy(cfg->clist.v, dflt, sizeof(dflt));
	}
	for (size_t i = 0; i < cfg->clist.n; i++)
		for (size_t j = 0; j < cfg->nsweep_modes; j++) {
			enum mode m = cfg->sweep_modes[j];
			if (cli_check_c(cfg, m == MODE_THREADS, m == MODE_PROCESSES,
			                m == MODE_ASYNC, cfg->clist.v[i], err, errlen) != 0)
				return -EINVAL;
		}
	return 0;
}

/* the checks between output flags */
/* 1 when path names a raster image or PDF (.png, .jpg, ...), which --timeline cannot write */
static int cli_raster_path(const char *path)
{
	static const char *const exts[] = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".pdf"};
	size_t len = strlen(path);
	for (size_t k = 0; k < sizeof(exts) / sizeof(exts[0]); k++) {
		size_t e = strlen(exts[k]);
		if (len >= e && strcasecmp(path + len - e, exts[k]) == 0)
			return 1;
	}
	return 0;
}

static int cli_check_outputs(const struct config *cfg, char *err, size_t errlen)
{
	if (cfg->gil && !cfg->work_cpu_us) {
		snprintf(err, errlen, "--gil: only means something with --work cpu:DUR");
		return -EINVAL;
	}
	int to_stdout = (cfg->json_path && strcmp(cfg->json_path, "-") == 0) +
	                (cfg->csv_path && strcmp(cfg->csv_path, "-") == 0) +
	                (cfg->seconds_path && strcmp(cfg->seconds_path, "-") == 0);
	if (to_stdout > 1) {
		snprintf(err, errlen,
		         "--json -, --csv - and --per-second -: only one of them can use stdout");
		return -EINVAL;
	}
	if (cfg->seconds_path && (cfg->compare || cfg->sweep)) {
		snprintf(err, errlen, "--per-second: one run's timeline, not with %s",
		         cfg->compare ? "compare" : "sweep");
		return -EINVAL;
	}
	if (cfg->timeline_path && strcmp(cfg->timeline_path, "-") == 0) {
		snprintf(err, errlen, "--timeline: expected a file path (PATH.svg), not -");
		return -EINVAL;
	}
	if (cfg->plot_path && !cfg->sweep) {
		snprintf(err, errlen,
		         "--plot: only sweep draws a plot (latlab-client sweep MODE -c "
		         "LIST --plot PATH.svg URL)");
		return -EINVAL;
	}
	if (cfg->plot_path &&
	    (strcmp(cfg->plot_path, "-") == 0 || cli_raster_path(cfg->plot_path))) {
		snprintf(err, errlen, "--plot: expected PATH.svg, got '%.100s'", cfg->plot_path);
		return -EINVAL;
	}
	if (cfg->trace_events_path && strcmp(cfg->trace_events_path, "-") == 0) {
		snprintf(err, errlen, "--trace-events: expected a file path (PATH.json), not -");
		return -EINVAL;
	}
	if (cfg->timeline_path && cli_raster_path(cfg->timeline_path)) {
		snprintf(err, errlen,
		         "--timeline: expected PATH.svg (the picture is SVG; for a PNG run "
		         "rsvg-convert -w 1600 -o out.png out.svg), got '%.100s'",
		         cfg->timeline_path);
		return -EINVAL;
	}
	return 0;
}

/* --cacert names a readable file */
static int cli_check_cacert(const struct config *cfg, char *err, size_t errlen)
{
	if (cfg->cacert && access(cfg->cacert, R_OK) != 0) {
		snprintf(err, errlen,
		         "--cacert: cannot read '%.200s': %s; accepted: a readable PEM file of CA "
		         "certificates",
		         cfg->cacert, strerror(errno));
		return -EINVAL;
	}
	return 0;
}

int cli_parse(int argc, char **argv, struct config *cfg, char *err, size_t errlen)
{
	struct cli_counts k = {0, 0, 0, 0};
	cli_defaults(cfg);
	int rc = cli_parse_options(argc, argv, cfg, &k, err, errlen);
	if (rc != 0 || cfg->action != CLI_RUN)
		return rc;
	rc = cli_parse_operands(argc, argv, cfg, err, errlen);
	if (rc == 0)
		rc = reqopts_finish(&cfg->req, err, errlen);
	if (rc == 0)
		rc = cli_check_counts(cfg, &k, err, errlen);
	if (rc == 0)
		rc = cli_check_outputs(cfg, err, errlen);
	if (rc == 0)
		rc = cli_check_cacert(cfg, err, errlen);
	return rc;
}

void cli_free(struct config *cfg)
{
	reqopts_free(&cfg->req);
}

unsigned cli_concurrency(const struct config *cfg, enum mode m)
{
	size_t c = cfg->concurrency ? cfg->concurrency : CLI_DEFAULT_WORKERS;
	if (m == MODE_SEQUENTIAL)
		c = 1;
	if (m == MODE_ASYNC) /* all: as many as the open-files limit allows */
		c = cfg->concurrency                    ? cfg->concurrency
		    : cfg->duration_us || cfg->rate > 0 ? CLI_DEFAULT_LOAD
		                                        : cfg->n;
	if (cfg->clist.by_mode && cfg->clist.per_mode[m])
		c = cfg->clist.per_mode[m];
	if (m == MODE_ASYNC && c > cfg->inflight_cap)
		c = cfg->inflight_cap;
	return (unsigned)run_workers(c, 1, cfg->n);
}

size_t cli_keep_records(const struct config *cfg)
{
	if (!cli_needs_records(cfg))
		return 0;
	return cfg->n < CLI_MAX_RECORDS ? cfg->n : CLI_MAX_RECORDS;
}
