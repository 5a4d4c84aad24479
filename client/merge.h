/* merge.h -- `latlab-client merge A.json B.json ... [--json OUT]`: one report from runs made
 * apart (on several machines, or one after another), with exact merged percentiles from the
 * histogram buckets each run's JSON carries and summed counts. */
#ifndef LATLAB_MERGE_H
#define LATLAB_MERGE_H

#include <jansson.h>
#include <stddef.h>

struct run;

/* Adds the run described by JSON object o (one run, as report_run_json writes it) into dst:
 * counts summed, histograms merged bucket by bucket, wall the longest, concurrency and rates
 * summed. Returns 0, or -EINVAL with a one-line message in err naming the key and what it
 * should be. dst comes from run_new(mode, 0) with dst->stats set to an empty stats_new(). */
int merge_add_json(struct run *dst, const json_t *o, char *err, size_t errlen);

/* The merge subcommand: argv[0] is "merge". Prints the merged summary (unless -q) and writes
 * --json OUT. Returns the exit status: 0, 1 when a merged request had failed, 2 for usage
 * or unreadable input. */
int merge_main(int argc, char **argv);

#endif
