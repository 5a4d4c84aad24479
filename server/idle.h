/* idle.h -- which connections are idle in keep-alive, oldest first, so that at the connection
 * limit the acceptor can give one up for a connection waiting in the backlog (as nginx does
 * when it runs out of connections) instead of letting it wait for the idle timeout.
 *
 * A connection is busy from its first request head until that request completes, and idle
 * from then until the next head. Closing means shutdown(2) of its socket under the lock that
 * libmicrohttpd's close notification also takes, so the descriptor is never one reused by
 * another connection; libmicrohttpd then sees the end of the stream and closes it. */
#ifndef LATLAB_SERVER_IDLE_H
#define LATLAB_SERVER_IDLE_H

#include <stdint.h>

struct srv_idle;
struct srv_idle_conn;

/* An empty registry; NULL when out of memory. */
struct srv_idle *srv_idle_new(void);

/* Frees t (every connection must have been closed). NULL is a no-op. */
void srv_idle_free(struct srv_idle *t);

/* A new connection on socket fd, busy; NULL when out of memory (it is then never given up). */
struct srv_idle_conn *srv_idle_open(struct srv_idle *t, int fd);

/* c's request head came in: not idle. NULL c is a no-op. */
void srv_idle_busy(struct srv_idle *t, struct srv_idle_conn *c);

/* c's request completed: idle from now on, behind every connection idle longer. NULL: no-op. */
void srv_idle_rest(struct srv_idle *t, struct srv_idle_conn *c);

/* c is closing (libmicrohttpd's close notification): forgotten and freed. NULL is a no-op. */
void srv_idle_closed(struct srv_idle *t, struct srv_idle_conn *c);

/* Shuts down the connection idle longest, unless one given up earlier has not closed yet.
 * Returns 1 when one was shut down, 0 otherwise. */
int srv_idle_give_up_oldest(struct srv_idle *t);

/* Connections given up so far. */
uint64_t srv_idle_given_up(struct srv_idle *t);

#endif
