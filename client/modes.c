/* modes.c -- the modes by name: the one table from enum mode to its name and its strategy.
 * Runs nothing itself (run.c does). */
#include "modes.h"

#include <errno.h>
#include <string.h>

static const struct {
	const char *name;
	mode_fn fn;
} modes[MODE_COUNT] = {
        [MODE_SEQUENTIAL] = {"sequential", mode_sequential},
        [MODE_THREADS] = {"threads", mode_threads},
        [MODE_PROCESSES] = {"processes", mode_processes},
        [MODE_ASYNC] = {"async", mode_async},
};

const char *mode_name(enum mode m)
{
	return (unsigned)m < MODE_COUNT ? modes[m].name : "?";
}

int mode_parse(const char *s, enum mode *m)
{
	for (unsigned i = 0; i < MODE_COUNT; i++)
		if (strcmp(s, modes[i].name) == 0) {
			*m = (enum mode)i;
			return 0;
		}
	return -EINVAL;
}

mode_fn mode_lookup(enum mode m)
{
	return (unsigned)m < MODE_COUNT ? modes[m].fn : NULL;
}
