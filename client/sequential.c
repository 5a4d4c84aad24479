/* sequential.c -- the baseline: one reused easy handle, one request after another. */
#include "modes.h"

#include "clock.h"
#include "http.h"
#include "stop.h"
#include "work.h"

int mode_sequential(const struct batch *b, struct run *out)
{
	struct cost_mark mark;
	struct http_xfer x;
	volatile uint64_t sink = 0;
	cost_begin(&mark);
	uint64_t t0 = clock_now_us();
	int rc = http_xfer_init(&x, b, t0);
	if (rc != 0)
		return rc;
	out->concurrency = 1;
	for (size_t i = 0; i < b->n; i++) {
		if (stop_requested()) {
			http_record_error(&out->results[i], b, i, ERR_OTHER, STOP_MSG,
			                  clock_now_us() - t0);
			continue;
		}
		http_xfer_perform(&x, b, i, 0, &out->results[i]);
		if (b->work.iters)
			sink ^= work_burn(b->work.iters, x.body, x.body_len);
	}
	out->wall_us = clock_now_us() - t0;
	http_xfer_cleanup(&x);
	cost_end(&mark, out);
	(void)sink;
	return 0;
}
