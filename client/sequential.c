/* sequential.c -- the baseline: one reused easy handle, one request after another. */
#include "modes.h"

#include "activity.h"
#include "batch.h"
#include "http.h"
#include "stop.h"

int mode_sequential(struct runner *rn)
{
	const struct batch *b = rn->b;
	struct http_xfer x;
	int rc = http_xfer_init(&x, b, rn->t0);
	if (rc != 0)
		return rc;
	struct span_log log = {0};
	for (size_t i = 0; i < b->n && !stop_requested(); i++)
		run_request(rn, &x, i, 0, NULL, CLOCK_THREAD_CPUTIME_ID, &log,
		            &rn->out->results[i]);
	http_xfer_cleanup(&x);
	activity_take(rn->out, &log);
	return 1;
}
