/* reqsched.h -- the load scheduler every mode takes its requests from: which request comes next
 * and when it is due.
 *
 * Three shapes: a batch of n requests, all due at the start (the lesson); a closed loop for
 * -d DUR (wrk: a worker that finishes takes the next request until the time is up; each is
 * due when it is taken); and the open model of --rate R (wrk2, vegeta: request i is due at
 * t0 + i/R whoever sends it, so a stalled server shows up in the latency measured from the
 * due time). A struct sched may live in shared memory (processes): it holds no pointers. */
#ifndef LATLAB_REQSCHED_H
#define LATLAB_REQSCHED_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct batch;

struct sched {
	size_t n;           /* requests at most */
	double rate;        /* requests per second; 0: none */
	uint64_t end_us;    /* closed loop: take nothing at or after t0 + end_us; 0: none */
	uint64_t t0;        /* the run's start, CLOCK_MONOTONIC microseconds */
	atomic_size_t next; /* the next index to hand out (may pass n) */
	atomic_int stopped; /* set by sched_stop: hand out nothing more */
	/* the in-flight gauge (concurrency without per-request records): transfers between
	 * sched_begin and sched_end now, and the most at once */
	atomic_size_t in_flight;
	atomic_size_t in_flight_max;
};

/* Sets s up for batch b starting at t0 (CLOCK_MONOTONIC us). */
void sched_init(struct sched *s, const struct batch *b, uint64_t t0);

/* Claims the next request: returns 1 with its index in *i and its due time (microseconds
 * after t0) in *due_us, or 0 when the run is over (n handed out, the time is up, Ctrl-C or
 * sched_stop). Thread- and process-safe. */
int sched_claim(struct sched *s, size_t *i, uint64_t *due_us);

/* Hands out nothing more. */
void sched_stop(struct sched *s);

/* The requests handed out so far (at most n). */
size_t sched_claimed(const struct sched *s);

/* A transfer starts: counts it in flight and raises the maximum. Thread- and process-safe. */
void sched_begin(struct sched *s);

/* A transfer started with sched_begin has ended. */
void sched_end(struct sched *s);

/* The most transfers in flight at once so far. */
size_t sched_in_flight_max(const struct sched *s);

/* Sleeps until t0 + due_us (at once when that has passed); wakes early on Ctrl-C. */
void sched_wait(const struct sched *s, uint64_t due_us);

#endif
