/* sequential.c -- the baseline: one reused easy handle, one request after another. */
#include "modes.h"

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
	for (size_t i = 0; i < b->n && !stop_requested(); i++) {
		http_xfer_perform(&x, b, i, 0, &rn->out->results[i]);
		run_work(b, &x);
	}
	http_xfer_cleanup(&x);
	return 1;
}
