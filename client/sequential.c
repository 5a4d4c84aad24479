/* sequential.c -- the baseline: one reused easy handle, one request after another. */
#include "modes.h"

#include "activity.h"
#include "batch.h"
#include "collect.h"
#include "http.h"
#include "reqsched.h"

#include <string.h>

int mode_sequential(struct runner *rn)
{
	const struct batch *b = rn->b;
	struct http_xfer x;
	int rc = http_xfer_init(&x, b, rn->t0);
	if (rc != 0)
		return rc;
	struct span_log log = {.max = ACTIVITY_MAX_SPANS};
	struct req_result res;
	memset(&res, 0, sizeof(res));
	size_t i;
	uint64_t due;
	while (sched_claim(rn->sched, &i, &due)) {
		sched_wait(rn->sched, due);
		res.due_us = due;
		run_request(rn, &x, i, 0, NULL, CLOCK_THREAD_CPUTIME_ID, &log, &res);
		collect_done(rn->col, &res);
	}
	http_xfer_cleanup(&x);
	activity_take(rn->out, &log);
	return 1;
}
