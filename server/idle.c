/* idle.c -- the keep-alive idle list (oldest first) and giving up its oldest connection at the
 * connection limit. One mutex; it never reads or writes a socket beyond shutdown(2). */
#include "idle.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>

struct srv_idle_conn {
	struct srv_idle_conn *prev, *next; /* in the idle list while idle */
	int fd;
	bool idle;
	bool given_up; /* shut down here, not closed yet */
};

struct srv_idle {
	pthread_mutex_t lock;
	struct srv_idle_conn *head, *tail; /* idle connections, idle longest first */
	unsigned closing;                  /* given up and not closed yet */
	uint64_t given_up;
};

struct srv_idle *srv_idle_new(void)
{
	struct srv_idle *t = calloc(1, sizeof(*t));

	if (t && pthread_mutex_init(&t->lock, NULL) != 0) {
		free(t);
		return NULL;
	}
	return t;
}

void srv_idle_free(struct srv_idle *t)
{
	if (!t)
		return;
	pthread_mutex_destroy(&t->lock);
	free(t);
}

struct srv_idle_conn *srv_idle_open(struct srv_idle *t, int fd)
{
	struct srv_idle_conn *c = calloc(1, sizeof(*c));

	(void)t;
	if (c)
		c->fd = fd;
	return c;
}

/* takes c out of the idle list (lock held) */
static void unlink_idle(struct srv_idle *t, struct srv_idle_conn *c)
{
	if (!c->idle)
		return;
	if (c->prev)
		c->prev->next = c->next;
	else
		t->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		t->tail = c->prev;
	c->prev = c->next = NULL;
	c->idle = false;
}

void srv_idle_busy(struct srv_idle *t, struct srv_idle_conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&t->lock);
	unlink_idle(t, c);
	pthread_mutex_unlock(&t->lock);
}

void srv_idle_rest(struct srv_idle *t, struct srv_idle_conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&t->lock);
	if (!c->idle && !c->given_up) {
		c->idle = true;
		c->prev = t->tail;
		c->next = NULL;
		if (t->tail)
			t->tail->next = c;
		else
			t->head = c;
		t->tail = c;
	}
	pthread_mutex_unlock(&t->lock);
}

void srv_idle_closed(struct srv_idle *t, struct srv_idle_conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&t->lock);
	unlink_idle(t, c);
	if (c->given_up)
		t->closing--;
	pthread_mutex_unlock(&t->lock);
	free(c);
}

int srv_idle_give_up_oldest(struct srv_idle *t)
{
	int done = 0;

	pthread_mutex_lock(&t->lock);
	struct srv_idle_conn *c = t->head;
	if (c && t->closing == 0) {
		unlink_idle(t, c);
		c->given_up = true;
		t->closing++;
		t->given_up++;
		/* still open: libmicrohttpd closes it only after srv_idle_closed, under this lock
		 */
		shutdown(c->fd, SHUT_RDWR);
		done = 1;
	}
	pthread_mutex_unlock(&t->lock);
	return done;
}

uint64_t srv_idle_given_up(struct srv_idle *t)
{
	pthread_mutex_lock(&t->lock);
	uint64_t n = t->given_up;
	pthread_mutex_unlock(&t->lock);
	return n;
}
