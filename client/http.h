/* http.h -- the one HTTP stack under every mode: libcurl easy-handle setup and result capture.
 *
 * A struct http_xfer is the per-handle state of one transfer at a time: it owns the
 * X-Latlab-Seq header node, the error buffer and a bounded copy of the body head (for
 * --work). Every mode calls http_xfer_prepare before a transfer and http_xfer_finish after
 * it; sequential/threads/processes run it with curl_easy_perform, async adds it to a multi. */
#ifndef LATLAB_HTTP_H
#define LATLAB_HTTP_H

#include "batch.h"

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_BODY_KEEP    512           /* body bytes kept for the CPU work loop */
#define HTTP_DELAY_MAX_US 86400000000LL /* larger X-Latlab-Delay-Us values are rejected */

struct http_xfer {
	CURL *easy;
	struct req_result *res; /* the record being filled, not owned */
	size_t url_index;       /* URL currently set on the handle; SIZE_MAX: none yet */
	struct curl_slist seq_node;
	char seq_header[40];
	char errbuf[CURL_ERROR_SIZE];
	unsigned char body[HTTP_BODY_KEEP];
	size_t body_len; /* bytes kept in body (<= HTTP_BODY_KEEP) */
	uint64_t t0_us;  /* batch start, CLOCK_MONOTONIC */
	pid_t pid, tid;  /* who runs this handle: set by http_xfer_init in the running thread */
};

/* Creates x->easy (call it in the thread or process that will run the handle) with the shared
 * options (NOSIGNAL, no proxy, HTTP(S) only, no redirects, callbacks pointing at x,
 * per-request timeout and CA bundle from b). Returns 0, -ENOMEM or -EINVAL. */
int http_xfer_init(struct http_xfer *x, const struct batch *b, uint64_t t0_us);

/* http_xfer_init for a caller that creates many handles in one thread: pid and tid are that
 * thread's getpid() and gettid(), taken once instead of two system calls per handle. */
int http_xfer_init_as(struct http_xfer *x, const struct batch *b, uint64_t t0_us, pid_t pid,
                      pid_t tid);

/* Releases x->easy; x may be re-initialised afterwards. Safe on a zeroed or failed x. */
void http_xfer_cleanup(struct http_xfer *x);

/* Points x at request i of b, recording into res: sets the URL (only when it changed), the
 * X-Latlab-Seq header, and res's index, url_index, pid, tid, worker and start_us (now).
 * Prints the --trace line when b->trace. Returns 0, or -EINVAL when libcurl refuses the URL:
 * the caller then records it with http_xfer_finish(x, CURLE_URL_MALFORMAT). */
int http_xfer_prepare(struct http_xfer *x, const struct batch *b, size_t i, uint32_t worker,
                      struct req_result *res);

/* Completes x's record from the transfer's outcome rc: end_us (now), status, error class
 * and message. Bytes and delay were filled during the transfer. */
void http_xfer_finish(struct http_xfer *x, CURLcode rc);

/* Runs request i of b on x with curl_easy_perform (prepare, perform, finish). */
void http_xfer_perform(struct http_xfer *x, const struct batch *b, size_t i, uint32_t worker,
                       struct req_result *res);

/* Records request i of b as failed without a transfer (worker died, no handle): err and msg,
 * start_us = end_us = at_us, status 0, delay unknown; pid/tid/worker are left as they are. */
void http_record_error(struct req_result *res, const struct batch *b, size_t i, enum err_class err,
                       const char *msg, uint64_t at_us);

/* The error class of a finished transfer: curl code rc and HTTP status (0 when none). */
enum err_class http_classify(CURLcode rc, long status);

/* Parses one raw header line ("Name: value\r\n", len bytes, not NUL-terminated). When it is
 * X-Latlab-Delay-Us (any case) with a decimal value in [0, HTTP_DELAY_MAX_US], stores it in
 * *delay_us and returns 1; returns 0 for other headers and -EINVAL for a malformed value. */
int http_parse_delay_header(const char *line, size_t len, int64_t *delay_us);

#endif
