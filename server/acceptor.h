/* acceptor.h -- the listening socket and the thread that accepts connections and hands them
 * to libmicrohttpd (MHD_add_connection).
 *
 * The server owns its listening socket instead of letting libmicrohttpd own it, so that a
 * graceful stop can really stop accepting (close the socket: new connections are refused)
 * without MHD_quiesce_daemon, which races with epoll worker threads in libmicrohttpd 0.9.75
 * and can abort the process ("Failed to remove listen FD from epoll set"). */
#ifndef LATLAB_SERVER_ACCEPTOR_H
#define LATLAB_SERVER_ACCEPTOR_H

#include <stddef.h>

struct MHD_Daemon;
struct srv_acceptor;
struct srv_idle;

/* Binds a non-blocking TCP socket to the numeric address addr and port (0 = a free one) and
 * listens with the given backlog. NULL with a one-line message in err. */
struct srv_acceptor *srv_acceptor_listen(const char *addr, unsigned port, int backlog, char *err,
                                         size_t errlen);

/* The port actually bound. */
unsigned srv_acceptor_port(const struct srv_acceptor *a);

/* Starts the accept thread: every accepted connection goes to d (which must have been started
 * with MHD_USE_NO_LISTEN_SOCKET and outlive srv_acceptor_close). While d holds limit
 * connections, new ones wait in the kernel's backlog, and while some wait there the idle
 * keep-alive connection of idle (NULL: none) idle longest is given up, one at a time, so
 * the waiting ones get their turn. 0 or -errno. */
int srv_acceptor_start(struct srv_acceptor *a, struct MHD_Daemon *d, unsigned limit,
                       struct srv_idle *idle);

/* A connection handed to the daemon has closed (call from libmicrohttpd's
 * MHD_OPTION_NOTIFY_CONNECTION callback on MHD_CONNECTION_NOTIFY_CLOSED). */
void srv_acceptor_closed(struct srv_acceptor *a);

/* Stops the accept thread and closes the socket: new connections are refused from now on.
 * Safe to call more than once. */
void srv_acceptor_close(struct srv_acceptor *a);

/* Closes (if needed) and frees a. NULL is a no-op. */
void srv_acceptor_free(struct srv_acceptor *a);

#endif
