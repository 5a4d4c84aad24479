/* trail.c -- a request's journal entry (journal.h): what it brought when it arrived (method,
 * path and query, headers, body size and hash, site, scenario, seq, delay, planned status or
 * fault) and how it ended. The ring itself is journal.c's. */
#include "internal.h"

#include "clock.h"

#include <stdio.h>
#include <string.h>

struct text {
	char *buf;
	size_t cap, len;
	int first; /* the next query parameter is the first: '?' before it, else '&' */
};

/* appends s (bytes outside printable ASCII as '?'), keeping buf terminated, never past cap */
static void put(struct text *t, const char *s)
{
	for (; s && *s && t->len + 1 < t->cap; s++)
		t->buf[t->len++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
	t->buf[t->len] = '\0';
}

static enum MHD_Result on_query(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
	struct text *t = cls;
	(void)kind;
	put(t, t->first ? "?" : "&");
	t->first = 0;
	put(t, key);
	if (value) {
		put(t, "=");
		put(t, value);
	}
	return MHD_YES;
}

static enum MHD_Result on_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
	struct text *t = cls;
	(void)kind;
	size_t before = t->len;
	put(t, key);
	put(t, ": ");
	put(t, value);
	if (t->len + 1 >= t->cap) { /* no room for the whole line: drop it, stop */
		t->len = before;
		t->buf[before] = '\0';
		return MHD_NO;
	}
	t->buf[t->len++] = '\n'; /* room checked above */
	t->buf[t->len] = '\0';
	return MHD_YES;
}

void srv_trail_arrive(struct srv_server *srv, struct MHD_Connection *conn, struct req *r,
                      const char *url, const char *method, unsigned status)
{
	char target[SRV_JOURNAL_TARGET], headers[SRV_JOURNAL_HEADERS];
	struct text tt = {target, sizeof(target), 0, 1}, th = {headers, sizeof(headers), 0, 0};

	if (!srv->journal)
		return;
	put(&tt, url);
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, on_query, &tt);
	headers[0] = '\0';
	MHD_get_connection_values(conn, MHD_HEADER_KIND, on_header, &th);
	struct srv_journal_arrival a = {
	        .time = r->arrived_rt,
	        .arrived_us = r->arrived_us,
	        .method = method,
	        .target = target,
	        .headers = headers,
	        .site = r->site ? r->site->name : NULL,
	        .scenario = r->scenario,
	        .body_bytes = r->body_bytes,
	        .body_sha256 = r->body_sha256,
	        .seq = r->seq,
	        .delay_us = r->delay_us,
	        .status = status,
	        .fault = r->verdict.fault ? srv_fault_name(r->verdict.fault) : NULL,
	};
	r->journal_id = srv_journal_arrive(srv->journal, &a);
}

void srv_trail_end(struct srv_server *srv, struct req *r, enum MHD_RequestTerminationCode toe)
{
	static const char *const names[] = {"answered", "answered", "client_gone", "cut_at_stop"};
	enum req_outcome o = r->outcome;

	if (!r->journal_id)
		return;
	if (o == OUT_PENDING) /* refused, or its client left before the answer was out */
		o = toe == MHD_REQUEST_TERMINATED_COMPLETED_OK || r->sent_status ? OUT_ANSWERED
		                                                                 : OUT_CLIENT_GONE;
	struct srv_journal_end e = {names[o], r->sent_status, r->answered_us, clock_now_us()};
	srv_journal_end(srv->journal, r->journal_id, &e);
}
