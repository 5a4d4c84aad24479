/* delay.h -- one timer thread that fires items at their deadlines (CLOCK_MONOTONIC, in us).
 *
 * The server suspends a delayed connection, then hands it to the timer; the timer thread
 * sleeps on a condition variable until the earliest deadline and fires every item that is
 * due in one batch per wake-up (the server's fire callback resumes the connection). With 64
 * or more items pending, wake-ups are rounded up to 250 us ticks so that close deadlines share
 * a batch: an item then fires up to 250 us late, never early. No thread ever sleeps for one
 * request's delay. */
#ifndef LATLAB_SERVER_DELAY_H
#define LATLAB_SERVER_DELAY_H

#include <stddef.h>
#include <stdint.h>

/* Called on the timer thread (or, after srv_timer_flush, on the adding thread) once per
 * item, never twice, never before its deadline unless flushed. */
typedef void (*srv_timer_fire_fn)(void *arg, void *item);

/* The socket of a watched item (-1: none), called on the timer thread with the item pending. */
typedef int (*srv_timer_fd_fn)(void *arg, void *item);

struct srv_timer;

/* Starts the timer thread; NULL on failure (errno set). Stop with srv_timer_stop. */
struct srv_timer *srv_timer_start(srv_timer_fire_fn fire, void *arg);

/* Schedules item at deadline_us (clock_now_us time). After srv_timer_flush the item fires
 * at once on the calling thread. A watched item also fires early once its socket (fd_of)
 * reports the peer gone (hang-up, error or the peer's write side shut). 0, or -ENOMEM
 * (nothing scheduled). */
int srv_timer_add(struct srv_timer *t, uint64_t deadline_us, void *item, int watch);

/* Watches the sockets of watched items every every_us with one poll() over all of them (no
 * cost per item added); with more than 1,000 watched the rounds spread out in proportion, up
 * to 10 x every_us (at 10,000 watched: ~4 ms of CPU per round, ~0.4% of a core). Call before
 * any add. */
void srv_timer_watch(struct srv_timer *t, srv_timer_fd_fn fd_of, uint64_t every_us);

/* Fires every pending item now, whatever its deadline, and makes later adds fire at once.
 * Returns how many pending items were fired. */
size_t srv_timer_flush(struct srv_timer *t);

/* Flushes, joins the thread and frees the timer. NULL is a no-op. */
void srv_timer_stop(struct srv_timer *t);

#endif
