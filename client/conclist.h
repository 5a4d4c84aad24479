/* conclist.h -- the list forms of -c: "1,2,4,8" (sweep) and "threads=10,processes=4,async=100"
 * (compare, one setting per mode). A plain "8" is one value. */
#ifndef LATLAB_CONCLIST_H
#define LATLAB_CONCLIST_H

#include "modes.h"

#include <stddef.h>

#define CONC_LIST_MAX 32 /* values in one list */

struct conc_list {
	unsigned v[CONC_LIST_MAX]; /* the values, in the order given (not by_mode) */
	size_t n;
	int by_mode;                   /* MODE=N pairs were given */
	unsigned per_mode[MODE_COUNT]; /* by_mode: the setting of each mode, 0 when not named */
};

/* Parses s (-c's value) into *out: values from 1 to max. 0, or -EINVAL with a message naming
 * -c and the accepted forms. */
int conc_list_parse(const char *s, unsigned max, struct conc_list *out, char *err, size_t errlen);

#endif
