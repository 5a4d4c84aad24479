/* live.c -- the live site table: copy, change, publish with an atomic store, retire; free
 * the retired tables at a moment when no request is in flight. */
#include "live.h"

#include "config.h"
#include "rng.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct retired {
	struct srv_sites *table;
	uint64_t gen;
};

struct srv_live {
	const struct srv_sites *configured;
	_Atomic(const struct srv_sites *) live;
	struct srv_sites *own; /* the live table when it is one of ours, else NULL */
	atomic_uint_fast64_t gen;
	pthread_mutex_t lock; /* changes and retirements */
	struct retired retired[SRV_LIVE_RETIRED_MAX];
	size_t nretired;
};

struct srv_live *srv_live_new(const struct srv_sites *configured)
{
	struct srv_live *l = calloc(1, sizeof(*l));

	if (!l || pthread_mutex_init(&l->lock, NULL) != 0) {
		free(l);
		return NULL;
	}
	l->configured = configured;
	atomic_init(&l->live, configured);
	atomic_init(&l->gen, 0);
	return l;
}

void srv_live_free(struct srv_live *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->nretired; i++)
		free(l->retired[i].table);
	free(l->own);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

const struct srv_sites *srv_live_sites(struct srv_live *l)
{
	return atomic_load(&l->live); /* seq_cst: see srv_stats_begin */
}

uint64_t srv_live_gen(struct srv_live *l)
{
	return atomic_load(&l->gen);
}

void srv_live_quiet(struct srv_live *l, uint64_t gen)
{
	size_t kept = 0;

	pthread_mutex_lock(&l->lock);
	for (size_t i = 0; i < l->nretired; i++) {
		if (l->retired[i].gen <= gen)
			free(l->retired[i].table);
		else
			l->retired[kept++] = l->retired[i];
	}
	l->nretired = kept;
	pthread_mutex_unlock(&l->lock);
}

/* publishes next (ours) and retires the table it replaces (lock held) */
static void publish(struct srv_live *l, struct srv_sites *next)
{
	atomic_store(&l->live, next);
	if (l->own) {
		uint64_t g = atomic_fetch_add(&l->gen, 1) + 1;
		l->retired[l->nretired++] = (struct retired){l->own, g};
	}
	l->own = next;
}

/* a copy of the live table to change (lock held), or NULL (*rc set) */
static struct srv_sites *begin_change(struct srv_live *l, int *rc)
{
	if (l->nretired == SRV_LIVE_RETIRED_MAX) {
		*rc = -EBUSY;
		return NULL;
	}
	struct srv_sites *next = malloc(sizeof(*next));
	if (!next) {
		*rc = -ENOMEM;
		return NULL;
	}
	memcpy(next, srv_live_sites(l), sizeof(*next));
	return next;
}

int srv_live_put(struct srv_live *l, const char *name, const char *const *keys,
                 const char *const *values, size_t n, char *err, size_t errlen)
{
	int rc = 0;

	if (srv_site_name_check(name) != 0) {
		snprintf(err, errlen,
		         "invalid site name '%.40s'; accepted: 1-31 characters a-z, 0-9, "
		         "'_' or '-', not starting with '__'",
		         name);
		return -EINVAL;
	}
	pthread_mutex_lock(&l->lock);
	struct srv_sites *next = begin_change(l, &rc);
	if (!next)
		goto out;
	struct srv_site *site = srv_sites_get(next, name);
	if (site && !site->path[0]) /* removed at runtime: back with the defaults */
		snprintf(site->path, sizeof(site->path), "/%s", name);
	if (!site && !(site = srv_sites_add(next, name))) {
		snprintf(err, errlen, "too many sites; accepted: at most %d", SRV_SITES_MAX);
		rc = -ENOSPC;
		goto fail;
	}
	if ((rc = srv_config_apply(next, name, keys, values, n, err, errlen)) != 0 ||
	    (rc = srv_sites_check(next, err, errlen)) != 0)
		goto fail;
	site->stream = rng_stream_of(site->name);
	publish(l, next);
	goto out;
fail:
	free(next);
out:
	pthread_mutex_unlock(&l->lock);
	return rc;
}

int srv_live_delete(struct srv_live *l, const char *name)
{
	int rc = 0;

	pthread_mutex_lock(&l->lock);
	struct srv_sites *next = begin_change(l, &rc);
	if (!next)
		goto out;
	struct srv_site *site = srv_sites_get(next, name);
	const struct srv_site *conf = NULL;
	for (size_t i = 0; i < l->configured->n; i++)
		if (strcmp(l->configured->site[i].name, name) == 0)
			conf = &l->configured->site[i];
	if (!site || !site->path[0]) {
		rc = -ENOENT;
		free(next);
		goto out;
	}
	if (conf) {
		*site = *conf;
	} else { /* added at runtime: keep its index (its counters), route nothing to it */
		site->path[0] = '\0';
		site->nhosts = 0;
	}
	publish(l, next);
out:
	pthread_mutex_unlock(&l->lock);
	return rc;
}
