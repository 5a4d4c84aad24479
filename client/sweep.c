/* sweep.c -- the batch at each concurrency of a list, mode by mode, each run in its own child
 * (compare_mode); the report is the compare table's, the plot is sweep_plot.c's. */
#include "sweep.h"

#include "compare.h"
#include "stop.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sweep_run(const struct batch *b, const enum mode *modes, size_t nmodes, const unsigned *cs,
              size_t ncs, struct run ***out)
{
	size_t total = nmodes * ncs, made = 0;
	struct run **runs = calloc(total ? total : 1, sizeof(*runs));
	if (!runs)
		return -ENOMEM;
	for (size_t i = 0; i < nmodes && !stop_requested(); i++)
		for (size_t j = 0; j < ncs && !stop_requested(); j++) {
			struct run *r = run_new(modes[i], b->n);
			if (!r)
				goto fail;
			runs[made++] = r;
			int rc = compare_mode(b, modes[i], cs[j], r);
			if (rc != 0) {
				fprintf(stderr,
				        "latlab-client: sweep: cannot run %s at -c %u: %s\n",
				        mode_name(modes[i]), cs[j], strerror(-rc));
				goto fail;
			}
		}
	*out = runs;
	return (int)made;
fail:
	for (size_t k = 0; k < made; k++)
		run_free(runs[k]);
	free(runs);
	return -ENOMEM;
}
