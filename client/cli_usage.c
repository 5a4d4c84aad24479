/* cli_usage.c -- latlab-client's usage text (--help); cli.c parses what it describes. */
#include "cli.h"
#include "reqopts.h"

#include <stdio.h>

/* the usage text's load section */
static void cli_usage_load(FILE *f)
{
	fprintf(f,
	        "\n"
	        "Load (wrk, wrk2):\n"
	        "  -d, --duration DUR   closed loop: each worker sends its next request as soon "
	        "as\n"
	        "                       one finishes, until DUR is up (e.g. 30s); requests in "
	        "flight\n"
	        "                       then finish and are counted (not with -n or --repeat)\n"
	        "  --rate R             open model: request i is due at start + i/R seconds across "
	        "all\n"
	        "                       workers (R requests/s, e.g. 200 or 0.5); latency is also\n"
	        "                       measured from the due time (coordinated omission "
	        "corrected);\n"
	        "                       with -d the run is R x DUR requests\n"
	        "  --loops N            async: N event loops on N threads share the batch (default "
	        "1)\n");
}

/* the usage text's output section */
static void cli_usage_output(FILE *f)
{
	fprintf(f,
	        "\n"
	        "Output:\n"
	        "  -T, --trace          print \"PID process | TID url : URL\" as each request "
	        "starts\n"
	        "  -q, --quiet          no summary (trace lines and files are still written)\n"
	        "  -j, --json PATH|-    the run(s) as JSON (with -, the summary goes to stderr)\n"
	        "  -o, --csv PATH|-     one CSV row per request\n"
	        "  -s, --timeline PATH  an SVG Gantt chart: one lane per worker, one bar per "
	        "request\n"
	        "                       (a -d/--rate run of 3 s or more: also per-second strips)\n"
	        "      --plot PATH.svg  sweep: wall time and throughput against concurrency\n"
	        "      --trace-events PATH.json  the run(s) as Chrome Trace Event JSON, for "
	        "Perfetto\n"
	        "                       or chrome://tracing (workers, requests, states, counters)\n"
	        "  --per-second PATH|-  one CSV row per second: requests, errors, p50 and p99 "
	        "(ms)\n");
}

void cli_usage(FILE *f)
{
	fprintf(f,
	        "usage: latlab-client MODE [options] URL...\n"
	        "       latlab-client merge [-q] [--json OUT|-] RUN.json...  (runs into one "
	        "report)\n"
	        "       latlab-client timeline CSV... -o OUT.svg  (request CSVs into one "
	        "picture)\n"
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
	        "      --cacert PATH    trust the CA certificate(s) in PATH (PEM) for https:// "
	        "URLs,\n"
	        "                       instead of the system's (latlab-server writes one)\n",
	        CLI_DEFAULT_WORKERS);
	cli_usage_load(f);
	reqopts_usage(f);
	cli_usage_output(f);
	fprintf(f,
	        "  -h, --help           this text\n"
	        "  -V, --version        the version\n"
	        "\n"
	        "On a terminal a live line shows progress (done/total or elapsed/duration, req/s,\n"
	        "errors, p99 so far, time left) unless --quiet, --trace or an output on stdout.\n"
	        "Under -d or --rate, async keeps %u in flight unless -c says otherwise.\n"
	        "\n"
	        "Limits: at most %u requests with --csv, --timeline, --trace-events, compare or "
	        "sweep\n"
	        "(%u without), "
	        "%u URLs of %u bytes, %u threads, %u processes,\n"
	        "%u in flight. Every request carries X-Latlab-Seq: INDEX; a latlab-server answers\n"
	        "with X-Latlab-Delay-Us, from which the ideal time and the efficiency are "
	        "computed\n"
	        "(\"unknown\" against other servers).\n"
	        "\n"
	        "Ctrl-C stops the batch: requests in flight finish, the rest count as errors\n"
	        "(other, \"interrupted\") and the report is still written; a second Ctrl-C ends at "
	        "once.\n"
	        "\n"
	        "Exit status: 0 every request succeeded (or at most --max-errors failed), 1 more\n"
	        "failed, the run was interrupted or a report could not be written, 2 usage error.\n"
	        "\n"
	        "Example: latlab-client compare --repeat 50 http://127.0.0.1:8080/naver \\\n"
	        "           http://127.0.0.1:8080/google\n",
	        CLI_DEFAULT_LOAD, CLI_MAX_REQUESTS, CLI_MAX_RUN, CLI_MAX_URLS, CLI_MAX_URL_LEN,
	        CLI_MAX_THREADS, CLI_MAX_PROCESSES, CLI_MAX_INFLIGHT);
}
