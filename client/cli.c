/* cli.c -- parsing latlab-client's arguments (getopt_long) into a struct config; no I/O
 * besides the usage text, no network. */
#include "cli.h"

#include "units.h"
#include "work.h"

#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>

void cli_usage(FILE *f)
{
	fprintf(f,
	        "usage: latlab-client MODE [options] URL...\n"
	        "\n"
	        "Runs one batch of GET requests and reports how long it took and why.\n"
	        "\n"
	        "Modes (libcurl under all of them; only the concurrency model differs):\n"
	        "  sequential   one request after another on one reused connection\n"
	        "  threads      -c N threads, each with its own connection, sharing one queue\n"
	        "  processes    -c N forked worker processes; results come back over pipes\n"
	        "  async        one event loop (libevent + curl multi), -c N in flight (default "
	        "all)\n"
	        "  compare      the four above on the same batch, then one table\n"
	        "  sweep MODE[,MODE...]  the batch at each -c of a list (default\n"
	        "               1,2,4,8,16,32,64,100), then one table\n"
	        "\n"
	        "Batch:\n"
	        "  -r, --repeat K       the URLs K times over (the lecture's urls * 50); default "
	        "1\n"
	        "  -n, --requests N     N requests cycling through the URLs (not with --repeat)\n"
	        "  -c, --concurrency N  threads, processes or requests in flight (default %u for\n"
	        "                       threads and processes; all for async, up to the "
	        "open-files\n"
	        "                       limit; ignored by sequential); compare also takes\n"
	        "                       threads=10,processes=4,async=100, sweep a list 1,2,4,8\n"
	        "  -t, --timeout DUR    per-request time limit, e.g. 500ms, 10s; 0 = none "
	        "(default 30s)\n"
	        "  -w, --work cpu:DUR   CPU-bound work per response, e.g. cpu:5ms (default none)\n"
	        "  -g, --gil            threads take one global lock for that work, like Python's "
	        "GIL\n"
	        "\n"
	        "Output:\n"
	        "  -T, --trace          print \"PID process | TID url : URL\" as each request "
	        "starts\n"
	        "  -q, --quiet          no summary (trace lines and files are still written)\n"
	        "  -j, --json PATH|-    the run(s) as JSON (with -, the summary goes to stderr)\n"
	        "  -o, --csv PATH|-     one CSV row per request\n"
	        "  -s, --timeline PATH  an SVG Gantt chart: one lane per worker, one bar per "
	        "request\n"
	        "      --plot PATH.svg  sweep: wall time and throughput against concurrency\n"
	        "      --trace-events PATH.json  the run(s) as Chrome Trace Event JSON, for "
	        "Perfetto\n"
	        "                       or chrome://tracing (workers, requests, states, counters)\n"
	        "  -h, --help           this text\n"
	        "  -V, --version        the version\n"
	        "\n"
	        "Limits: at most %u requests, %u URLs of %u bytes, %u threads, %u processes,\n"
	        "%u in flight. Every request carries X-Latlab-Seq: INDEX; a latlab-server answers\n"
	        "with X-Latlab-Delay-Us, from which the ideal time and the efficiency are "
	        "computed\n"
	        "(\"unknown\" against other servers).\n"
	        "\n"
	        "Ctrl-C stops the batch: requests in flight finish, the rest count as errors\n"
	        "(other, \"interrupted\") and the report is still written; a second Ctrl-C ends at "
	        "once.\n"
	        "\n"
	        "Exit status: 0 every request succeeded, 1 some failed (or interrupted), 2 usage "
	        "error.\n"
	        "\n"
	        "Example: latlab-client compare --repeat 50 http://127.0.0.1:8080/naver \\\n"
	        "           http://127.0.0.1:8080/google\n",
	        CLI_DEFAULT_WORKERS, CLI_MAX_REQUESTS, CLI_MAX_URLS, CLI_MAX_URL_LEN,
	        CLI_MAX_THREADS, CLI_MAX_PROCESSES, CLI_MAX_INFLIGHT);
}

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
	uint64_t repeat, n, c;
};

#define CLI_OPT_TRACE_EVENTS 0x100 /* long options without a letter */
#define CLI_OPT_PLOT         0x101

static const struct option cli_opts[] = {
        {"repeat", required_argument, NULL, 'r'},
        {"requests", required_argument, NULL, 'n'},
        {"concurrency", required_argument, NULL, 'c'},
        {"timeout", required_argument, NULL, 't'},
        {"work", required_argument, NULL, 'w'},
        {"gil", no_argument, NULL, 'g'},
        {"trace", no_argument, NULL, 'T'},
        {"quiet", no_argument, NULL, 'q'},
        {"json", required_argument, NULL, 'j'},
        {"csv", required_argument, NULL, 'o'},
        {"timeline", required_argument, NULL, 's'},
        {"trace-events", required_argument, NULL, CLI_OPT_TRACE_EVENTS},
        {"plot", required_argument, NULL, CLI_OPT_PLOT},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
};

/* The options in argv into cfg and k (getopt_long moves the operands to the end). 0, or
 * -EINVAL with a message; stops at --help or --version. */
static int cli_parse_options(int argc, char **argv, struct config *cfg, struct cli_counts *k,
                             char *err, size_t errlen)
{
	const struct cli_number numbers[] = {
	        {'r', "--repeat", "a whole number of passes", CLI_MAX_REQUESTS, &k->repeat},
	        {'n', "-n", "a whole number of requests", CLI_MAX_REQUESTS, &k->n},
	        {'t', "--timeout", UNITS_DURATION_FORMS, 0, &cfg->timeout_us},
	};
	char why[200];
	opterr = 0;
	optind = 0; /* full re-initialisation (GNU), so cli_parse can run more than once */
	int ch;
	while ((ch = getopt_long(argc, argv, ":r:n:c:t:w:gTqj:o:s:hV", cli_opts, NULL)) != -1) {
		const struct cli_number *num = NULL;
		for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++)
			if (numbers[i].opt == ch)
				num = &numbers[i];
		if (num) {
			if (cli_number_parse(num, optarg, err, errlen) != 0)
				return -EINVAL;
			continue;
		}
		switch (ch) {
		case 'c':
			if (conc_list_parse(optarg, CLI_MAX_INFLIGHT, &cfg->clist, err, errlen) !=
			    0)
				return -EINVAL;
			k->c = cfg->clist.n == 1 && !cfg->clist.by_mode ? cfg->clist.v[0] : 0;
			break;
		case CLI_OPT_PLOT:
			cfg->plot_path = optarg;
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
		case 'j':
			cfg->json_path = optarg;
			break;
		case 'o':
			cfg->csv_path = optarg;
			break;
		case 's':
			cfg->timeline_path = optarg;
			break;
		case CLI_OPT_TRACE_EVENTS:
			cfg->trace_events_path = optarg;
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

/* the batch size from -n or --repeat, and -c against the limits of the mode(s) that use it */
static int cli_check_counts(struct config *cfg, const struct cli_counts *k, char *err,
                            size_t errlen)
{
	if (k->n && k->repeat) {
		snprintf(err, errlen, "-n and --repeat both size the batch: give one of them");
		return -EINVAL;
	}
	uint64_t repeat = k->repeat ? k->repeat : 1;
	if (!k->n && repeat * cfg->nurls > CLI_MAX_REQUESTS) {
		snprintf(err, errlen, "--repeat: %zu URLs x %llu is more than %u requests",
		         cfg->nurls, (unsigned long long)repeat, CLI_MAX_REQUESTS);
		return -EINVAL;
	}
	cfg->n = k->n ? (size_t)k->n : (size_t)(repeat * cfg->nurls);
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
	struct cli_counts one = {0, 0, c};
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
	                (cfg->csv_path && strcmp(cfg->csv_path, "-") == 0);
	if (to_stdout > 1) {
		snprintf(err, errlen, "--json - and --csv -: only one of them can use stdout");
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

int cli_parse(int argc, char **argv, struct config *cfg, char *err, size_t errlen)
{
	struct cli_counts k = {0, 0, 0};
	cli_defaults(cfg);
	int rc = cli_parse_options(argc, argv, cfg, &k, err, errlen);
	if (rc != 0 || cfg->action != CLI_RUN)
		return rc;
	rc = cli_parse_operands(argc, argv, cfg, err, errlen);
	if (rc == 0)
		rc = cli_check_counts(cfg, &k, err, errlen);
	if (rc == 0)
		rc = cli_check_outputs(cfg, err, errlen);
	return rc;
}

unsigned cli_concurrency(const struct config *cfg, enum mode m)
{
	size_t c = cfg->concurrency ? cfg->concurrency : CLI_DEFAULT_WORKERS;
	if (m == MODE_SEQUENTIAL)
		c = 1;
	if (m == MODE_ASYNC) /* all: as many as the open-files limit allows */
		c = cfg->concurrency ? cfg->concurrency : cfg->n;
	if (cfg->clist.by_mode && cfg->clist.per_mode[m])
		c = cfg->clist.per_mode[m];
	if (m == MODE_ASYNC && c > cfg->inflight_cap)
		c = cfg->inflight_cap;
	return (unsigned)run_workers(c, 1, cfg->n);
}
