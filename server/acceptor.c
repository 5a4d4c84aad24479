/* acceptor.c -- owns the listening socket; one thread accepts and hands each connection to
 * libmicrohttpd, until srv_acceptor_close closes the socket; at the connection limit it gives
 * up idle keep-alive connections for those waiting (idle.c). It never reads a request. */
#include "acceptor.h"

#include "idle.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

struct srv_acceptor {
	int fd;      /* the listening socket, -1 once closed */
	int wake_fd; /* eventfd: tells the thread to stop, or that a connection closed */
	int ep;      /* epoll over fd and wake_fd */
	unsigned port;
	struct MHD_Daemon *daemon;
	unsigned limit;        /* connections the daemon may hold */
	struct srv_idle *idle; /* keep-alive connections to give up at the limit, or NULL */
	atomic_long open;      /* handed to the daemon and not closed yet */
	pthread_t thread;
	int running;
	atomic_int stop;
};

struct srv_acceptor *srv_acceptor_listen(const char *addr, unsigned port, int backlog, char *err,
                                         size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	struct srv_acceptor *a = calloc(1, sizeof(*a));
	int one = 1;

	if (!a) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->fd = a->wake_fd = a->ep = -1;
	atomic_init(&a->stop, 0);
	atomic_init(&a->open, 0);
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		len = sizeof(*sin6);
	} else {
		snprintf(err, errlen,
		         "--listen: invalid address '%s'; accepted: a numeric IPv4 or IPv6 address",
		         addr);
		goto fail;
	}
	a->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (a->fd < 0 || setsockopt(a->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(a->fd, (struct sockaddr *)&ss, len) != 0 || listen(a->fd, backlog) != 0) {
		snprintf(err, errlen, "cannot listen on %s port %u: %s", addr, port,
		         strerror(errno));
		goto fail;
	}
	len = sizeof(ss);
	if (getsockname(a->fd, (struct sockaddr *)&ss, &len) != 0) {
		snprintf(err, errlen, "getsockname: %s", strerror(errno));
		goto fail;
	}
	a->port = ntohs(ss.ss_family == AF_INET ? sin->sin_port : sin6->sin6_port);
	a->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	a->ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event on_listen = {.events = EPOLLIN, .data.fd = a->fd};
	struct epoll_event on_wake = {.events = EPOLLIN, .data.fd = a->wake_fd};
	if (a->wake_fd < 0 || a->ep < 0 ||
	    epoll_ctl(a->ep, EPOLL_CTL_ADD, a->fd, &on_listen) != 0 ||
	    epoll_ctl(a->ep, EPOLL_CTL_ADD, a->wake_fd, &on_wake) != 0) {
		snprintf(err, errlen, "cannot set up the accept loop: %s", strerror(errno));
		goto fail;
	}
	return a;

fail:
	srv_acceptor_free(a);
	return NULL;
}

unsigned srv_acceptor_port(const struct srv_acceptor *a)
{
	return a->port;
}

/* the daemon holds as many connections as it may (counted here: libmicrohttpd's own count
 * lags behind connections it has been handed but not yet taken up) */
static int at_limit(struct srv_acceptor *a)
{
	return atomic_load(&a->open) >= (long)a->limit;
}

void srv_acceptor_closed(struct srv_acceptor *a)
{
	/* at the limit the thread waits for this: a slot is free */
	if (atomic_fetch_sub(&a->open, 1) >= (long)a->limit) {
		ssize_t w = write(a->wake_fd, &(uint64_t){1}, sizeof(uint64_t));
		(void)w;
	}
}

/* empties the wake-up counter */
static void drain_wake(struct srv_acceptor *a)
{
	uint64_t n;
	ssize_t r = read(a->wake_fd, &n, sizeof(n));
	(void)r;
}

/* connections wait in the backlog */
static int backlog_waiting(struct srv_acceptor *a)
{
	struct pollfd p = {a->fd, POLLIN, 0};
	return poll(&p, 1, 0) > 0 && (p.revents & POLLIN);
}

/* At the limit: while connections wait in the backlog, give up the keep-alive connection idle
 * longest (nginx does the same when it runs out of connections), then wait up to 5 ms for a
 * slot. The listening socket is not polled here, so a full daemon costs no busy loop. */
static void wait_for_slot(struct srv_acceptor *a)
{
	struct pollfd p = {a->wake_fd, POLLIN, 0};

	if (a->idle && backlog_waiting(a))
		srv_idle_give_up_oldest(a->idle);
	if (poll(&p, 1, 5) > 0)
		drain_wake(a);
}

/* accepts until the backlog is empty; -1 to back off (at the limit, out of descriptors) */
static int accept_all(struct srv_acceptor *a)
{
	for (;;) {
		if (at_limit(a))
			return -1; /* the rest waits in the backlog, as with libmicrohttpd's own */
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int c = accept4(a->fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			                       errno == ENOMEM
			               ? -1
			               : 0;
		}
		/* libmicrohttpd owns (and on failure closes) the socket from here on */
		atomic_fetch_add(&a->open, 1);
		if (MHD_add_connection(a->daemon, c, (struct sockaddr *)&ss, len) != MHD_YES)
			atomic_fetch_sub(&a->open, 1); /* refused (and closed) by the daemon */
	}
}

static void *acceptor_main(void *p)
{
	struct srv_acceptor *a = p;
	struct epoll_event ev[2];
	int backoff_ms = -1;

	while (!atomic_load(&a->stop)) {
		if (at_limit(a)) {
			wait_for_slot(a);
			continue;
		}
		int n = epoll_wait(a->ep, ev, 2, backoff_ms);
		backoff_ms = -1;
		if (n < 0 && errno != EINTR)
			break;
		if (atomic_load(&a->stop))
			break;
		for (int i = 0; i < n; i++)
			if (ev[i].data.fd == a->wake_fd)
				drain_wake(a);
		if (accept_all(a) < 0 && !at_limit(a))
			backoff_ms = 5; /* out of descriptors: let connections finish first */
	}
	return NULL;
}

int srv_acceptor_start(struct srv_acceptor *a, struct MHD_Daemon *d, unsigned limit,
                       struct srv_idle *idle)
{
	a->daemon = d;
	a->limit = limit;
	a->idle = idle;
	int rc = pthread_create(&a->thread, NULL, acceptor_main, a);
	if (rc != 0)
		return -rc;
	a->running = 1;
	return 0;
}

void srv_acceptor_close(struct srv_acceptor *a)
{
	if (!a)
		return;
	if (a->running) {
		uint64_t one = 1;
		atomic_store(&a->stop, 1);
		ssize_t w = write(a->wake_fd, &one, sizeof(one));
		(void)w;
		pthread_join(a->thread, NULL);
		a->running = 0;
	}
	if (a->fd >= 0) {
		close(a->fd);
		a->fd = -1;
	}
}

void srv_acceptor_free(struct srv_acceptor *a)
{
	if (!a)
		return;
	srv_acceptor_close(a);
	if (a->ep >= 0)
		close(a->ep);
	if (a->wake_fd >= 0)
		close(a->wake_fd);
	free(a);
}
