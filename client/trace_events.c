/* trace_events.c -- Chrome Trace Event JSON of finished runs (jansson), for Perfetto and
 * chrome://tracing; reads runs, never changes them. */
#include "trace_events.h"

#include "activity.h"
#include "atomicfile.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

/* one event; NULL when out of memory */
static json_t *te_event(const char *ph, const char *name, const char *cat, int pid, long tid,
                        uint64_t ts)
{
	return json_pack("{s:s, s:s, s:s, s:i, s:I, s:I}", "ph", ph, "name", name, "cat", cat,
	                 "pid", pid, "tid", (json_int_t)tid, "ts", (json_int_t)ts);
}

/* appends e to arr (stealing it); nonzero when either failed */
static int te_add(json_t *arr, json_t *e)
{
	return !e || json_array_append_new(arr, e) != 0;
}

static int te_meta(json_t *arr, const char *what, int pid, long tid, const char *name)
{
	json_t *e =
	        json_pack("{s:s, s:s, s:i, s:I, s:I, s:{s:s}}", "ph", "M", "name", what, "pid", pid,
	                  "tid", (json_int_t)tid, "ts", (json_int_t)0, "args", "name", name);
	return te_add(arr, e);
}

/* the requests of run r (process pid) as b/e pairs on their workers' tracks */
static int te_requests(json_t *arr, const struct run *r, int pid, const char *const *urls,
                       size_t nurls)
{
	int bad = 0;
	for (size_t i = 0; i < r->n && !bad; i++) {
		const struct req_result *q = &r->results[i];
		if (q->end_us <= q->start_us)
			continue; /* never started */
		const char *url = q->url_index < nurls ? urls[q->url_index] : "?";
		char id[24];
		snprintf(id, sizeof(id), "%u", q->index);
		json_t *b = te_event("b", url, "request", pid, (long)q->worker + 1, q->start_us);
		json_t *e = te_event("e", url, "request", pid, (long)q->worker + 1, q->end_us);
		if (b)
			bad |= json_object_set_new(b, "id", json_string(id)) ||
			       json_object_set_new(b, "args",
			                           json_pack("{s:i, s:I, s:s}", "status", q->status,
			                                     "delay_us", (json_int_t)q->delay_us,
			                                     "error", q->errmsg));
		if (e)
			bad |= json_object_set_new(e, "id", json_string(id));
		bad |= te_add(arr, b);
		bad |= te_add(arr, e);
	}
	return bad;
}

/* the workers' state spans as complete events on their tracks */
static int te_states(json_t *arr, const struct run *r, int pid)
{
	int bad = 0;
	for (size_t k = 0; k < r->nspans && !bad; k++) {
		const struct span *s = &r->spans[k];
		json_t *e = te_event("X", activity_state_name((enum wstate)s->state), "state", pid,
		                     (long)s->worker + 1, s->start_us);
		if (e)
			bad |= json_object_set_new(
			               e, "dur",
			               json_integer((json_int_t)(s->end_us - s->start_us))) ||
			       json_object_set_new(
			               e, "args",
			               json_pack("{s:I}", "cpu_us", (json_int_t)s->cpu_us));
		bad |= te_add(arr, e);
	}
	return bad;
}

/* a step function as counter events */
static int te_counter(json_t *arr, const struct steps *s, int pid, const char *name,
                      const char *key)
{
	int bad = 0;
	for (size_t k = 0; k < s->n && !bad; k++) {
		json_t *e = te_event("C", name, "counter", pid, 0, s->t[k]);
		if (e)
			bad |= json_object_set_new(e, "args", json_pack("{s:f}", key, s->v[k]));
		bad |= te_add(arr, e);
	}
	return bad;
}

/* every event of run r, as process pid */
static int te_run(json_t *arr, const struct run *r, int pid, const char *const *urls, size_t nurls)
{
	char name[64];
	snprintf(name, sizeof(name), "latlab-client %s", mode_name(r->mode));
	int bad = te_meta(arr, "process_name", pid, 0, name);
	uint32_t lanes = 0;
	for (size_t i = 0; i < r->n; i++)
		if (r->results[i].worker + 1 > lanes && r->results[i].worker < 100000)
			lanes = r->results[i].worker + 1;
	for (uint32_t w = 0; w < lanes && !bad; w++) {
		snprintf(name, sizeof(name), "%s %u",
		         r->mode == MODE_PROCESSES ? "process"
		         : r->mode == MODE_ASYNC   ? "event loop"
		                                   : "thread",
		         w + 1);
		bad |= te_meta(arr, "thread_name", pid, (long)w + 1, name);
	}
	bad |= te_requests(arr, r, pid, urls, nurls) || te_states(arr, r, pid);
	struct steps s;
	if (!bad && activity_in_flight_steps(r, &s) == 0) {
		bad |= te_counter(arr, &s, pid, "in flight (concurrency)", "requests");
		activity_steps_free(&s);
	} else {
		bad = 1;
	}
	if (!bad && r->spans_known && activity_on_cpu_steps(r, &s) == 0) {
		bad |= te_counter(arr, &s, pid, "on a CPU (parallelism)", "workers");
		activity_steps_free(&s);
	}
	return bad;
}

int trace_events_write(const char *path, const struct run *const *runs, size_t nruns,
                       const char *const *urls, size_t nurls, char *err, size_t errlen)
{
	json_t *arr = json_array();
	int bad = !arr;
	for (size_t k = 0; k < nruns && !bad; k++)
		bad |= te_run(arr, runs[k], (int)runs[k]->mode + 1, urls, nurls);
	json_t *root =
	        bad ? NULL : json_pack("{s:o, s:s}", "traceEvents", arr, "displayTimeUnit", "ms");
	if (!root) {
		if (bad)
			json_decref(arr);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	struct atomic_file af;
	int rc = atomic_file_open(&af, path);
	if (rc == 0) {
		if (json_dumpf(root, af.f, JSON_COMPACT) != 0) {
			atomic_file_abort(&af);
			rc = -EIO;
		} else {
			rc = atomic_file_commit(&af);
		}
	}
	json_decref(root);
	if (rc != 0)
		snprintf(err, errlen, "cannot write '%s': %s", path, strerror(-rc));
	return rc;
}
