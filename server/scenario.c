/* scenario.c -- X-Latlab-Scenario's table: open addressing over a fixed array of names and
 * counters, one mutex held for a hash probe. */
#include "scenario.h"

#include "rng.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS (SRV_SCENARIOS_MAX * 2) /* half full at most: probes stay short */

struct slot {
	char name[SRV_SCENARIO_NAME_MAX]; /* "" = free */
	uint64_t next;
};

struct srv_scenarios {
	pthread_mutex_t lock;
	size_t used;
	struct slot slot[SLOTS];
};

struct srv_scenarios *srv_scenarios_new(void)
{
	struct srv_scenarios *t = calloc(1, sizeof(*t));

	if (t && pthread_mutex_init(&t->lock, NULL) != 0) {
		free(t);
		return NULL;
	}
	return t;
}

void srv_scenarios_free(struct srv_scenarios *t)
{
	if (!t)
		return;
	pthread_mutex_destroy(&t->lock);
	free(t);
}

int srv_scenario_name_check(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= SRV_SCENARIO_NAME_MAX)
		return -EINVAL;
	for (const char *c = name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || strchr("._-:/", *c)))
			return -EINVAL;
	return 0;
}

int srv_scenarios_next(struct srv_scenarios *t, const char *name, uint64_t *k)
{
	int rc = -ENOSPC;

	if (srv_scenario_name_check(name) != 0)
		return -EINVAL;
	size_t i = (size_t)(rng_stream_of(name) % SLOTS);
	pthread_mutex_lock(&t->lock);
	for (size_t probes = 0; probes < SLOTS; probes++, i = (i + 1) % SLOTS) {
		struct slot *s = &t->slot[i];
		if (s->name[0] && strcmp(s->name, name) != 0)
			continue;
		if (!s->name[0]) {
			if (t->used == SRV_SCENARIOS_MAX)
				break;
			snprintf(s->name, sizeof(s->name), "%s", name);
			t->used++;
		}
		*k = s->next++;
		rc = 0;
		break;
	}
	pthread_mutex_unlock(&t->lock);
	return rc;
}

void srv_scenarios_reset(struct srv_scenarios *t)
{
	pthread_mutex_lock(&t->lock);
	memset(t->slot, 0, sizeof(t->slot));
	t->used = 0;
	pthread_mutex_unlock(&t->lock);
}
