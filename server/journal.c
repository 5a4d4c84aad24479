/* journal.c -- the ring of recent requests behind GET /__latlab/requests: preallocated
 * fixed-size entries, one atomic add to claim a slot, one spin lock per slot. */
#include "journal.h"

#include <errno.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry {
	atomic_flag lock;
	uint64_t id; /* 0: empty */
	struct timespec time;
	uint64_t arrived_us, answered_us, ended_us;
	uint64_t body_bytes, seq, delay_us;
	unsigned planned, status;
	const char *outcome; /* NULL: not ended yet */
	char method[16];
	char site[32];
	char scenario[64];
	char fault[16];
	char sha[65];
	char target[SRV_JOURNAL_TARGET];
	char headers[SRV_JOURNAL_HEADERS];
};

struct srv_journal {
	size_t cap;
	atomic_uint_fast64_t next;  /* the id of the next arrival; ids start at 1 */
	atomic_uint_fast64_t floor; /* ids up to this one were cleared */
	struct entry *e;
};

struct srv_journal *srv_journal_new(size_t cap)
{
	if (cap == 0 || cap > SRV_JOURNAL_MAX) {
		errno = cap ? EINVAL : 0;
		return NULL;
	}
	struct srv_journal *j = calloc(1, sizeof(*j));
	if (!j || !(j->e = calloc(cap, sizeof(*j->e)))) {
		free(j);
		errno = ENOMEM;
		return NULL;
	}
	j->cap = cap;
	atomic_init(&j->next, 1);
	atomic_init(&j->floor, 0);
	for (size_t i = 0; i < cap; i++)
		atomic_flag_clear(&j->e[i].lock);
	return j;
}

void srv_journal_free(struct srv_journal *j)
{
	if (!j)
		return;
	free(j->e);
	free(j);
}

static void lock(struct entry *e)
{
	while (atomic_flag_test_and_set_explicit(&e->lock, memory_order_acquire))
		;
}

static void unlock(struct entry *e)
{
	atomic_flag_clear_explicit(&e->lock, memory_order_release);
}

#define COPY(dst, src) snprintf((dst), sizeof(dst), "%s", (src) ? (src) : "")

uint64_t srv_journal_arrive(struct srv_journal *j, const struct srv_journal_arrival *a)
{
	if (!j)
		return 0;
	uint64_t id = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed);
	struct entry *e = &j->e[id % j->cap];

	lock(e);
	e->id = id;
	e->time = a->time;
	e->arrived_us = a->arrived_us;
	e->answered_us = e->ended_us = 0;
	e->body_bytes = a->body_bytes;
	e->seq = a->seq;
	e->delay_us = a->delay_us;
	e->planned = a->status;
	e->status = 0;
	e->outcome = NULL;
	COPY(e->method, a->method);
	COPY(e->site, a->site);
	COPY(e->scenario, a->scenario);
	COPY(e->fault, a->fault);
	COPY(e->sha, a->body_sha256);
	COPY(e->target, a->target);
	COPY(e->headers, a->headers);
	unlock(e);
	return id;
}

void srv_journal_end(struct srv_journal *j, uint64_t id, const struct srv_journal_end *end)
{
	if (!j || !id)
		return;
	struct entry *e = &j->e[id % j->cap];
	lock(e);
	if (e->id == id) { /* else newer requests took the slot over */
		e->outcome = end->outcome;
		e->status = end->status;
		e->answered_us = end->answered_us;
		e->ended_us = end->ended_us;
	}
	unlock(e);
}

void srv_journal_clear(struct srv_journal *j)
{
	if (j)
		atomic_store(&j->floor, atomic_load(&j->next) - 1);
}

/* "Name: value\n" lines as a JSON object */
static json_t *headers_json(const char *lines)
{
	json_t *o = json_object();
	char name[128], value[SRV_JOURNAL_HEADERS];

	for (const char *p = lines; *p;) {
		size_t len = strcspn(p, "\n"), colon = strcspn(p, ":");
		if (colon < len && colon < sizeof(name)) {
			snprintf(name, sizeof(name), "%.*s", (int)colon, p);
			size_t v = colon + 1 + (p[colon + 1] == ' ');
			snprintf(value, sizeof(value), "%.*s", (int)(len > v ? len - v : 0), p + v);
			json_object_set_new(o, name, json_string(value));
		}
		p += len + (p[len] == '\n');
	}
	return o;
}

static json_t *entry_json(const struct entry *e)
{
	char when[48];
	struct tm tm;

	gmtime_r(&e->time.tv_sec, &tm);
	size_t n = strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when + n, sizeof(when) - n, ".%06ldZ", e->time.tv_nsec / 1000);
	json_t *o = json_pack("{s:I,s:s,s:s,s:s,s:o,s:{s:I,s:o},s:o,s:o,s:I,s:I}", "id",
	                      (json_int_t)e->id, "time", when, "method", e->method, "target",
	                      e->target, "headers", headers_json(e->headers), "body", "bytes",
	                      (json_int_t)e->body_bytes, "sha256",
	                      e->sha[0] ? json_string(e->sha) : json_null(), "site",
	                      e->site[0] ? json_string(e->site) : json_null(), "scenario",
	                      e->scenario[0] ? json_string(e->scenario) : json_null(), "seq",
	                      (json_int_t)e->seq, "delay_us", (json_int_t)e->delay_us);
	if (!o)
		return NULL;
	unsigned status = e->outcome ? e->status : e->planned;
	json_object_set_new(o, "status", status ? json_integer(status) : json_null());
	json_object_set_new(o, "fault", e->fault[0] ? json_string(e->fault) : json_null());
	json_object_set_new(o, "outcome", json_string(e->outcome ? e->outcome : "pending"));
	json_t *t = json_object();
	if (e->answered_us)
		json_object_set_new(t, "answered_after_us",
		                    json_integer((json_int_t)(e->answered_us - e->arrived_us)));
	if (e->ended_us)
		json_object_set_new(t, "ended_after_us",
		                    json_integer((json_int_t)(e->ended_us - e->arrived_us)));
	json_object_set_new(o, "timings", t);
	return o;
}

json_t *srv_journal_json(struct srv_journal *j, const char *site, const char *scenario,
                         size_t limit)
{
	json_t *arr = json_array();
	struct entry *copy = malloc(sizeof(*copy));

	if (!arr || !copy || !j) {
		free(copy);
		return j ? (json_decref(arr), NULL) : arr;
	}
	uint64_t hi = atomic_load(&j->next) - 1, floor = atomic_load(&j->floor);
	uint64_t lo = hi >= j->cap ? hi - j->cap + 1 : 1;
	if (lo <= floor)
		lo = floor + 1;
	/* newest first, up to limit matches, then reversed: oldest first */
	for (uint64_t id = hi; id >= lo && id > 0 && json_array_size(arr) < limit; id--) {
		struct entry *e = &j->e[id % j->cap];
		lock(e);
		int ok = e->id == id;
		if (ok)
			memcpy((char *)copy + offsetof(struct entry, id),
			       (char *)e + offsetof(struct entry, id),
			       sizeof(*e) - offsetof(struct entry, id));
		unlock(e);
		if (!ok || (site && strcmp(copy->site, site) != 0) ||
		    (scenario && strcmp(copy->scenario, scenario) != 0))
			continue;
		json_array_append_new(arr, entry_json(copy));
	}
	free(copy);
	json_t *oldest_first = json_array();
	for (size_t i = json_array_size(arr); oldest_first && i-- > 0;)
		json_array_append(oldest_first, json_array_get(arr, i));
	json_decref(arr);
	return oldest_first;
}
