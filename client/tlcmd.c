/* tlcmd.c -- the timeline subcommand: reads request CSVs (csvload.c) and draws them with the
 * same picture as --timeline (timeline.c), so a Python lab's run sits beside the C client's. */
#include "tlcmd.h"

#include "csvload.h"
#include "timeline.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void tlcmd_usage(FILE *f)
{
	fputs("usage: latlab-client timeline PATH.csv... -o OUT.svg\n"
	      "\n"
	      "Draws the requests of each CSV (latlab-client --csv, or a lab's --csv with its\n"
	      "mode column) as one panel per run on one time axis.\n"
	      "  -o, --output OUT.svg  where the picture goes (required)\n"
	      "  -h, --help            this text\n",
	      f);
}

int tlcmd_main(int argc, char **argv)
{
	static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	const char *out = NULL;
	int ch;
	opterr = 0;
	optind = 0;
	while ((ch = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
		if (ch == 'o') {
			out = optarg;
		} else if (ch == 'h') {
			tlcmd_usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "latlab-client: timeline: unknown option or missing value "
			                "(see latlab-client timeline --help)\n");
			return 2;
		}
	}
	size_t len = out ? strlen(out) : 0;
	if (!out || len < 4 || strcmp(out + len - 4, ".svg") != 0) {
		fprintf(stderr,
		        "latlab-client: timeline: -o: expected OUT.svg (the picture is SVG; "
		        "for a PNG run rsvg-convert -w 1600 -o out.png OUT.svg)\n");
		return 2;
	}
	if (optind >= argc) {
		fprintf(stderr, "latlab-client: timeline: expected at least one PATH.csv\n");
		return 2;
	}
	struct csv_set set = {0};
	char err[512];
	int status = 0;
	for (int i = optind; i < argc && status == 0; i++)
		if (csvload_file(argv[i], &set, err, sizeof(err)) != 0) {
			fprintf(stderr, "latlab-client: timeline: %s\n", err);
			status = 1;
		}
	if (status == 0 &&
	    timeline_write_svg(out, (const struct run *const *)set.runs, set.nruns,
	                       (const char *const *)set.urls, set.nurls, err, sizeof(err)) != 0) {
		fprintf(stderr, "latlab-client: timeline: %s\n", err);
		status = 1;
	}
	csv_set_free(&set);
	return status;
}
