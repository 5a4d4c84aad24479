/* http.c -- libcurl easy-handle setup shared by every mode, and what a transfer left behind:
 * status, body bytes, the injected delay header, and an error class. No concurrency here. */
#include "http.h"

#include "clock.h"
#include "reqopts.h"
#include "trace.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static size_t http_on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct http_xfer *x = userp;
	size_t len = size * nmemb;
	x->res->bytes += len;
	if (x->body_len < HTTP_BODY_KEEP) {
		size_t keep = HTTP_BODY_KEEP - x->body_len;
		if (keep > len)
			keep = len;
		memcpy(x->body + x->body_len, data, keep);
		x->body_len += keep;
	}
	return len;
}

/* "X-Latlab-Seq: I" into buf (at least 40 bytes): by hand, as snprintf's format engine cost
 * more than the rest of this file per request */
static void http_seq_header(char *buf, size_t i)
{
	static const char name[] = "X-Latlab-Seq: ";
	char digits[24];
	size_t n = 0;
	do {
		digits[n++] = (char)('0' + i % 10);
		i /= 10;
	} while (i);
	memcpy(buf, name, sizeof(name) - 1);
	char *p = buf + sizeof(name) - 1;
	while (n)
		*p++ = digits[--n];
	*p = '\0';
}

static size_t http_on_header(char *data, size_t size, size_t nmemb, void *userp)
{
	struct http_xfer *x = userp;
	size_t len = size * nmemb;
	int64_t delay;
	if (len < 18 || (data[0] | 0x20) != 'x') /* most headers: not X-Latlab-Delay-Us */
		return len;
	/* a malformed value leaves the delay unknown rather than failing the transfer */
	if (http_parse_delay_header(data, len, &delay) == 1)
		x->res->delay_us = delay;
	else if (http_parse_us_header("x-latlab-queue-us", data, len, &delay) == 1)
		x->res->queue_us = delay;
	return len;
}

int http_parse_delay_header(const char *line, size_t len, int64_t *delay_us)
{
	return http_parse_us_header("x-latlab-delay-us", line, len, delay_us);
}

int http_parse_us_header(const char *name, const char *line, size_t len, int64_t *delay_us)
{
	const size_t nlen = strlen(name);
	if (len <= nlen || line[nlen] != ':' || strncasecmp(line, name, nlen) != 0)
		return 0;
	size_t i = nlen + 1;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	size_t end = len;
	while (end > i && (line[end - 1] == '\r' || line[end - 1] == '\n' || line[end - 1] == ' ' ||
	                   line[end - 1] == '\t'))
		end--;
	if (i == end)
		return -EINVAL;
	int64_t v = 0;
	for (; i < end; i++) {
		if (!isdigit((unsigned char)line[i]))
			return -EINVAL;
		v = v * 10 + (line[i] - '0');
		if (v > HTTP_DELAY_MAX_US)
			return -EINVAL;
	}
	*delay_us = v;
	return 1;
}

enum err_class http_classify(CURLcode rc, long status)
{
	switch (rc) {
	case CURLE_OK:
		return status >= 400 ? ERR_HTTP : status > 0 ? ERR_NONE : ERR_OTHER;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return ERR_CONNECT;
	case CURLE_OPERATION_TIMEDOUT:
		return ERR_TIMEOUT;
	default:
		return ERR_OTHER;
	}
}

int http_xfer_init(struct http_xfer *x, const struct batch *b, uint64_t t0_us)
{
	return http_xfer_init_as(x, b, t0_us, getpid(), trace_gettid());
}

int http_xfer_init_as(struct http_xfer *x, const struct batch *b, uint64_t t0_us, pid_t pid,
                      pid_t tid)
{
	memset(x, 0, sizeof(*x));
	x->url_index = SIZE_MAX;
	x->t0_us = t0_us;
	x->pid = pid;
	x->tid = tid;
	x->easy = curl_easy_init();
	if (!x->easy)
		return -ENOMEM;
	CURL *e = x->easy;
	x->seq_node.data = x->seq_header;
	int bad = reqopts_apply(b->req, e, &x->seq_node) != 0; /* seq_node.next: -H lines */
	bad |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_PROXY, "") != CURLE_OK;
	/* and no proxy for any host: without it libcurl 7.88 reads no_proxy and NO_PROXY from the
	 * environment on every transfer */
	bad |= curl_easy_setopt(e, CURLOPT_NOPROXY, "*") != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_USERAGENT, "latlab-client/" LATLAB_VERSION) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_on_body) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_WRITEDATA, x) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, http_on_header) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_HEADERDATA, x) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, &x->seq_node) != CURLE_OK;
	bad |= curl_easy_setopt(e, CURLOPT_PRIVATE, x) != CURLE_OK;
	if (b->cacert)
		bad |= curl_easy_setopt(e, CURLOPT_CAINFO, b->cacert) != CURLE_OK;
	if (b->timeout_us) {
		long ms = (long)((b->timeout_us + 999) / 1000);
		bad |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, ms) != CURLE_OK;
		bad |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, ms) != CURLE_OK;
	}
	if (bad) {
		http_xfer_cleanup(x);
		return -EINVAL;
	}
	return 0;
}

void http_xfer_cleanup(struct http_xfer *x)
{
	if (x->easy)
		curl_easy_cleanup(x->easy);
	x->easy = NULL;
}

int http_xfer_prepare(struct http_xfer *x, const struct batch *b, size_t i, uint32_t worker,
                      struct req_result *res)
{
	size_t u = i % b->nurls;
	x->res = res;
	res->index = (uint32_t)i;
	res->url_index = (uint32_t)u;
	res->pid = x->pid;
	res->tid = x->tid;
	res->worker = worker;
	res->status = 0;
	res->bytes = 0;
	res->delay_us = -1;
	res->queue_us = 0;
	res->err = ERR_NONE;
	res->errmsg[0] = '\0';
	res->dns_us = res->connect_us = res->tls_us = res->ttfb_us = res->transfer_us = 0;
	x->body_len = 0;
	x->errbuf[0] = '\0';
	http_seq_header(x->seq_header, i);
	if (b->trace)
		trace_request(b->trace_fd, x->pid, x->tid, b->urls[u]);
	res->start_us = clock_now_us() - x->t0_us;
	if (u != x->url_index) {
		x->url_index = SIZE_MAX;
		if (curl_easy_setopt(x->easy, CURLOPT_URL, b->urls[u]) != CURLE_OK)
			return -EINVAL;
		x->url_index = u;
	}
	return 0;
}

static uint32_t http_span(curl_off_t from, curl_off_t to)
{
	if (to <= from || from < 0)
		return 0;
	curl_off_t d = to - from;
	return d > (curl_off_t)UINT32_MAX ? UINT32_MAX : (uint32_t)d;
}

/* libcurl's timers (7.88: all but TOTAL count from the transfer's own start) into phases */
static void http_phases(struct http_xfer *x, struct req_result *res)
{
	curl_off_t dns = 0, conn = 0, tls = 0, pre = 0, first = 0, total = 0;
	curl_easy_getinfo(x->easy, CURLINFO_NAMELOOKUP_TIME_T, &dns);
	curl_easy_getinfo(x->easy, CURLINFO_CONNECT_TIME_T, &conn);
	curl_easy_getinfo(x->easy, CURLINFO_APPCONNECT_TIME_T, &tls);
	curl_easy_getinfo(x->easy, CURLINFO_PRETRANSFER_TIME_T, &pre);
	curl_easy_getinfo(x->easy, CURLINFO_STARTTRANSFER_TIME_T, &first);
	curl_easy_getinfo(x->easy, CURLINFO_TOTAL_TIME_T, &total);
	res->dns_us = http_span(0, dns);
	res->connect_us = http_span(dns, conn);
	res->tls_us = tls > 0 ? http_span(conn, tls) : 0;
	res->ttfb_us = http_span(pre, first);
	res->transfer_us = http_span(first, total);
}

void http_xfer_finish(struct http_xfer *x, CURLcode rc)
{
	struct req_result *res = x->res;
	res->end_us = clock_now_us() - x->t0_us;
	long status = 0;
	if (rc != CURLE_URL_MALFORMAT) {
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
		http_phases(x, res);
	}
	res->status = (int)status;
	res->err = http_classify(rc, status);
	if (res->err == ERR_NONE)
		return;
	if (rc == CURLE_OK && status >= 400)
		snprintf(res->errmsg, sizeof(res->errmsg), "HTTP %ld", status);
	else if (rc == CURLE_OK)
		snprintf(res->errmsg, sizeof(res->errmsg), "no HTTP status");
	else
		snprintf(res->errmsg, sizeof(res->errmsg), "%.95s",
		         x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
}

void http_xfer_perform(struct http_xfer *x, const struct batch *b, size_t i, uint32_t worker,
                       struct req_result *res)
{
	if (http_xfer_prepare(x, b, i, worker, res) != 0) {
		http_xfer_finish(x, CURLE_URL_MALFORMAT);
		return;
	}
	http_xfer_finish(x, curl_easy_perform(x->easy));
}

void http_record_error(struct req_result *res, const struct batch *b, size_t i, enum err_class err,
                       const char *msg, uint64_t at_us)
{
	res->index = (uint32_t)i;
	res->url_index = (uint32_t)(i % b->nurls);
	res->start_us = at_us;
	res->end_us = at_us;
	res->status = 0;
	res->bytes = 0;
	res->delay_us = -1;
	res->queue_us = 0;
	res->err = err;
	res->dns_us = res->connect_us = res->tls_us = res->ttfb_us = res->transfer_us = 0;
	snprintf(res->errmsg, sizeof(res->errmsg), "%s", msg);
}
