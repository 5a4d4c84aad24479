/* journal.h -- the recent requests, for tests to assert on (GET /__latlab/requests).
 *
 * A ring of a fixed number of entries allocated at start-up: a request claims the next slot
 * with one atomic add when it arrives (its entry exists from then on) and fills it under the
 * slot's own spin lock; its end (outcome, status or fault, timings) is written into the same
 * slot unless newer requests have taken it over. Readers copy slot by slot under the same
 * locks. No allocation per request, no lock shared between requests. */
#ifndef LATLAB_SERVER_JOURNAL_H
#define LATLAB_SERVER_JOURNAL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define SRV_JOURNAL_MAX     1000000
#define SRV_JOURNAL_HEADERS 384 /* bytes of "Name: value\n" lines kept per request */
#define SRV_JOURNAL_TARGET  256 /* bytes of path and query kept per request */

/* what a request brings, written when it arrives */
struct srv_journal_arrival {
	struct timespec time;                                    /* CLOCK_REALTIME */
	uint64_t arrived_us;                                     /* clock_now_us */
	const char *method, *target, *headers, *site, *scenario; /* site, scenario may be NULL */
	uint64_t body_bytes;
	const char *body_sha256; /* "" when no body */
	uint64_t seq, delay_us;
	unsigned status;   /* planned status (the verdict's), 0 when refused before routing */
	const char *fault; /* planned fault name, NULL for none */
};

/* how it ended */
struct srv_journal_end {
	const char *outcome; /* "answered", "client_gone", "cut_at_stop" (a static string) */
	unsigned status;     /* the status sent, 0 when none */
	uint64_t answered_us, ended_us; /* clock_now_us; 0 when not answered */
};

struct srv_journal;

/* A ring of cap entries (1..SRV_JOURNAL_MAX; 0 gives NULL, which every call accepts as "off").
 * NULL also when out of memory: check errno. */
struct srv_journal *srv_journal_new(size_t cap);

/* Frees the ring; NULL is a no-op. */
void srv_journal_free(struct srv_journal *j);

/* Records an arrival; returns its id (>= 1) for srv_journal_end, 0 when j is NULL. */
uint64_t srv_journal_arrive(struct srv_journal *j, const struct srv_journal_arrival *a);

/* Records how request id ended, unless its slot was taken over since. */
void srv_journal_end(struct srv_journal *j, uint64_t id, const struct srv_journal_end *e);

/* Forgets every entry (POST /__latlab/reset). */
void srv_journal_clear(struct srv_journal *j);

/* The last limit entries (oldest first) whose site and scenario match (NULL: any) as a JSON
 * array (new reference), or NULL when out of memory. */
json_t *srv_journal_json(struct srv_journal *j, const char *site, const char *scenario,
                         size_t limit);

#endif
