/* main.c -- latlab-client: parse the command line, run one mode or compare all four, report.
 * Exit 0 when every request succeeded, 1 when any failed (or the run could not happen),
 * 2 for usage errors. */
#include "batch.h"
#include "cli.h"
#include "compare.h"
#include "manifest.h"
#include "merge.h"
#include "modes.h"
#include "report.h"
#include "stop.h"
#include "sweep.h"
#include "timeline.h"
#include "tlcmd.h"
#include "trace_events.h"
#include "work.h"

#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* creates or truncates an output file now, so a bad path fails before the batch runs */
static int main_check_output(const char *flag, const char *path)
{
	if (!path || strcmp(path, "-") == 0)
		return 0;
	/* probe without truncating: an old report stays whole until the new one replaces it,
	 * and a probe file that did not exist before is removed again */
	struct stat st;
	int existed = stat(path, &st) == 0;
	FILE *f = fopen(path, "a");
	if (!f) {
		fprintf(stderr, "latlab-client: %s: cannot write '%s': %s\n", flag, path,
		        strerror(errno));
		return -1;
	}
	fclose(f);
	if (!existed)
		unlink(path);
	return 0;
}

/* 1 when stdout is the JSON or CSV document (--json -, --csv - or --per-second -) */
static int main_stdout_taken(const struct config *cfg)
{
	return (cfg->json_path && strcmp(cfg->json_path, "-") == 0) ||
	       (cfg->csv_path && strcmp(cfg->csv_path, "-") == 0) ||
	       (cfg->seconds_path && strcmp(cfg->seconds_path, "-") == 0);
}

static int main_report_all(const struct config *cfg, struct run *const *runs,
                           const struct run **cruns, struct summary *sums, size_t nruns,
                           const json_t *manifest);

/* summaries, JSON, CSV and timeline for runs[0..nruns); returns the exit status */
static int main_report(const struct config *cfg, struct run *const *runs, size_t nruns,
                       const json_t *manifest)
{
	struct summary *sums = calloc(nruns ? nruns : 1, sizeof(*sums));
	const struct run **cruns = calloc(nruns ? nruns : 1, sizeof(*cruns));
	int status = sums && cruns ? main_report_all(cfg, runs, cruns, sums, nruns, manifest) : 1;
	if (!sums || !cruns)
		fprintf(stderr, "latlab-client: out of memory\n");
	free(cruns);
	free(sums);
	return status;
}

/* main_report with its arrays: cruns[k] = runs[k], sums[k] filled here */
static int main_report_all(const struct config *cfg, struct run *const *runs,
                           const struct run **cruns, struct summary *sums, size_t nruns,
                           const json_t *manifest)
{
	int compare = cfg->compare || cfg->sweep;
	int status = 0;
	char err[256];
	for (size_t k = 0; k < nruns; k++) {
		cruns[k] = runs[k];
		if (runs[k]->records_dropped)
			fprintf(stderr,
			        "latlab-client: --csv/--timeline/--trace-events: kept the records "
			        "of "
			        "the first "
			        "%zu "
			        "requests; %zu more are in the summary and JSON only\n",
			        runs[k]->nresults, runs[k]->records_dropped);
		if (report_summarize(runs[k], &sums[k]) != 0) {
			fprintf(stderr, "latlab-client: out of memory\n");
			return 1;
		}
		if (sums[k].failed > cfg->max_errors) /* --max-errors: 0 unless given */
			status = 1;
	}
	/* with --json -, stdout is the JSON document: the summary moves to stderr */
	FILE *out = cfg->json_path && strcmp(cfg->json_path, "-") == 0         ? stderr
	            : cfg->csv_path && strcmp(cfg->csv_path, "-") == 0         ? stderr
	            : cfg->seconds_path && strcmp(cfg->seconds_path, "-") == 0 ? stderr
	                                                                       : stdout;
	if (!cfg->quiet && compare) {
		report_print_compare(out, cruns, sums, nruns);
		report_print_compare_errors(out, cruns, sums, nruns, cfg->urls, cfg->nurls);
	} else if (!cfg->quiet) {
		report_print_run(out, runs[0], &sums[0], cfg->urls, cfg->nurls);
	}
	fflush(out);
	if (cfg->json_path &&
	    (cfg->sweep ? report_write_json_list(cfg->json_path, "sweep", cruns, sums, nruns,
	                                         manifest, err, sizeof(err))
	                : report_write_json(cfg->json_path, cruns, sums, nruns, compare, manifest,
	                                    err, sizeof(err))) != 0) {
		fprintf(stderr, "latlab-client: %s\n", err);
		status = 1;
	}
	if (cfg->csv_path && report_write_csv(cfg->csv_path, cruns, nruns, cfg->urls, cfg->nurls,
	                                      compare, err, sizeof(err)) != 0) {
		fprintf(stderr, "latlab-client: %s\n", err);
		status = 1;
	}
	if (cfg->plot_path && sweep_plot(cfg->plot_path, cruns, sums, nruns, cfg->work_cpu_us, err,
	                                 sizeof(err)) != 0) {
		fprintf(stderr, "latlab-client: --plot: %s\n", err);
		status = 1;
	}
	if (cfg->trace_events_path &&
	    trace_events_write(cfg->trace_events_path, cruns, nruns, cfg->urls, cfg->nurls, err,
	                       sizeof(err)) != 0) {
		fprintf(stderr, "latlab-client: --trace-events: %s\n", err);
		status = 1;
	}
	if (cfg->seconds_path && !compare &&
	    report_write_seconds(cfg->seconds_path, runs[0], err, sizeof(err)) != 0) {
		fprintf(stderr, "latlab-client: %s\n", err);
		status = 1;
	}
	if (cfg->timeline_path && timeline_write_svg(cfg->timeline_path, cruns, nruns, cfg->urls,
	                                             cfg->nurls, err, sizeof(err)) != 0) {
		fprintf(stderr, "latlab-client: --timeline: %s\n", err);
		status = 1;
	}
	return status;
}

static int main_run(const struct config *cfg, const json_t *manifest)
{
	struct batch b = {
	        .urls = cfg->urls,
	        .nurls = cfg->nurls,
	        .n = cfg->n,
	        .timeout_us = cfg->timeout_us,
	        .work = {.cpu_us = cfg->work_cpu_us, .gil = cfg->gil},
	        .trace = cfg->trace,
	        .trace_fd = main_stdout_taken(cfg) ? STDERR_FILENO : STDOUT_FILENO,
	        .duration_us = cfg->duration_us,
	        .rate = cfg->rate,
	        .keep_records = cli_keep_records(cfg),
	        .loops = cfg->loops,
	        .req = &cfg->req,
	        /* the live line: on a terminal, when stdout carries nothing else */
	        .progress = !cfg->compare && !cfg->sweep && !cfg->quiet && !cfg->trace &&
	                    isatty(1) && !main_stdout_taken(cfg),
	        .cacert = cfg->cacert,
	};
	b.work.iters = work_calibrate(cfg->work_cpu_us);
	struct run *fixed[COMPARE_NMODES] = {NULL};
	struct run **runs = fixed;
	size_t nruns = 0;
	int rc;
	fflush(stdout);
	if (cfg->sweep) {
		rc = sweep_run(&b, cfg->sweep_modes, cfg->nsweep_modes, cfg->clist.v, cfg->clist.n,
		               &runs);
		if (rc < 0)
			runs = fixed;
		nruns = rc > 0 ? (size_t)rc : 0;
		rc = rc < 0 ? rc : 0;
	} else if (cfg->compare) {
		unsigned conc[COMPARE_NMODES] = {
		        cli_concurrency(cfg, MODE_SEQUENTIAL), cli_concurrency(cfg, MODE_THREADS),
		        cli_concurrency(cfg, MODE_PROCESSES), cli_concurrency(cfg, MODE_ASYNC)};
		rc = compare_run(&b, conc, runs);
		nruns = rc > 0 ? (size_t)rc : 0;
		rc = rc > 0 ? 0 : rc;
	} else {
		b.concurrency = cli_concurrency(cfg, cfg->mode);
		runs[0] = run_new(cfg->mode, 0);
		rc = runs[0] ? run_mode(cfg->mode, &b, runs[0]) : -ENOMEM;
		nruns = 1;
	}
	int status;
	if (stop_requested())
		fprintf(stderr, "latlab-client: interrupted: requests not run are counted as "
		                "errors (other)\n");
	if (rc != 0) {
		fprintf(stderr, "latlab-client: %s: the run could not happen: %s\n",
		        cfg->sweep     ? "sweep"
		        : cfg->compare ? "compare"
		                       : mode_name(cfg->mode),
		        strerror(-rc));
		status = 1;
	} else {
		status = main_report(cfg, runs, nruns, manifest);
	}
	for (size_t k = 0; k < (runs == fixed ? (size_t)COMPARE_NMODES : nruns); k++)
		run_free(runs[k]);
	if (runs != fixed)
		free(runs);
	return stop_requested() && status == 0 ? 1 : status;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "latlab-client: libcurl failed to initialise\n");
		return 1;
	}
	struct config cfg;
	memset(&cfg, 0, sizeof(cfg));
	char err[300];
	int status;
	/* the arguments as given, for the manifest: getopt_long reorders argv */
	char **given = malloc(((size_t)argc + 1) * sizeof(*given));
	if (!given) {
		fprintf(stderr, "latlab-client: out of memory\n");
		curl_global_cleanup();
		return 1;
	}
	memcpy(given, argv, ((size_t)argc + 1) * sizeof(*given));
	if (argc > 1 && strcmp(argv[1], "timeline") == 0) {
		status = tlcmd_main(argc - 1, argv + 1);
	} else if (argc > 1 && strcmp(argv[1], "merge") == 0) {
		status = merge_main(argc - 1, argv + 1);
	} else if (cli_parse(argc, argv, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "latlab-client: %s\n", err);
		status = 2;
	} else if (cfg.action == CLI_HELP) {
		cli_usage(stdout);
		status = 0;
	} else if (cfg.action == CLI_VERSION) {
		printf("latlab-client %s (%s)\n", LATLAB_VERSION, curl_version());
		status = 0;
	} else if (main_check_output("--json", cfg.json_path) ||
	           main_check_output("--csv", cfg.csv_path) ||
	           main_check_output("--timeline", cfg.timeline_path) ||
	           main_check_output("--trace-events", cfg.trace_events_path)) {
		status = 2;
	} else {
		stop_install(); /* Ctrl-C: stop the batch, still report what finished */
		json_t *manifest = manifest_new(cfg.sweep     ? "sweep"
		                                : cfg.compare ? "compare"
		                                              : mode_name(cfg.mode),
		                                argc, given);
		status = manifest ? main_run(&cfg, manifest) : 1;
		if (!manifest)
			fprintf(stderr, "latlab-client: out of memory\n");
		json_decref(manifest);
	}
	cli_free(&cfg);
	free(given);
	curl_global_cleanup();
	return status;
}
