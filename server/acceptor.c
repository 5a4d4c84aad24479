/* acceptor.c -- owns the listening socket; one thread accepts and hands each connection to
 * libmicrohttpd, until srv_acceptor_close closes the socket. It never reads a request. */
#include "acceptor.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
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
	int wake_fd; /* eventfd: tells the thread to stop */
	int ep;      /* epoll over fd and wake_fd */
	unsigned port;
	struct MHD_Daemon *daemon;
	unsigned limit;   /* connections the daemon may hold */
	atomic_long open; /* handed to the daemon and not closed yet */
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
	atomic_fetch_sub(&a->open, 1);
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
		int n = epoll_wait(a->ep, ev, 2, backoff_ms);
		backoff_ms = -1;
		if (n < 0 && errno != EINTR)
			break;
		if (atomic_load(&a->stop))
			break;
		if (accept_all(a) < 0)
			backoff_ms = 5; /* let connections finish first */
	}
	return NULL;
}

int srv_acceptor_start(struct srv_acceptor *a, struct MHD_Daemon *d, unsigned limit)
{
	a->daemon = d;
	a->limit = limit;
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
