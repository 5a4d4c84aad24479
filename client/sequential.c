/* sequential.c -- the baseline: one reused easy handle, one request after another. */
#include "modes.h"

#include "batch.h"
#include "collect.h"
#include "http.h"
#include "sched.h"

#include <string.h>

int mode_sequential(struct runner *rn)
{
	const struct batch *b = rn->b;
	struct http_xfer x;
	int rc = http_xfer_init(&x, b, rn->t0);
	if (rc != 0)
		return rc;
	struct req_result res;
	memset(&res, 0, sizeof(res));
	size_t i;
	uint64_t due;
	while (sched_claim(rn->sched, &i, &due)) {
		sched_wait(rn->sched, due);
		res.due_us = due;
		http_xfer_perform(&x, b, i, 0, &res);
		run_work(b, &x);
		collect_done(rn->col, &res);
	}
	http_xfer_cleanup(&x);
	return 1;
}
