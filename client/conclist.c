/* conclist.c -- parsing -c's list forms (N,N,... and MODE=N,...); knows nothing of limits per
 * mode (cli.c checks them). */
#include "conclist.h"

#include "units.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define CONC_FORMS "N, a list N,N,... (sweep) or MODE=N,... (compare, e.g. threads=10,async=100)"

/* one item, "N" or "MODE=N", into out */
static int conc_item(const char *item, unsigned max, struct conc_list *out, char *err,
                     size_t errlen)
{
	char buf[64];
	snprintf(buf, sizeof(buf), "%s", item);
	char *eq = strchr(buf, '=');
	enum mode m = MODE_SEQUENTIAL;
	if (eq) {
		*eq = '\0';
		if (mode_parse(buf, &m) != 0 || m == MODE_SEQUENTIAL) {
			snprintf(err, errlen,
			         "-c: unknown mode '%.20s' in '%.60s': expected threads, processes "
			         "or "
			         "async",
			         buf, item);
			return -EINVAL;
		}
	}
	if ((eq != NULL) != (out->n == 0 ? eq != NULL : out->by_mode)) {
		snprintf(err, errlen, "-c: expected %s, not both forms", CONC_FORMS);
		return -EINVAL;
	}
	out->by_mode = eq != NULL;
	uint64_t v;
	char why[160];
	if (units_parse_u64(eq ? eq + 1 : buf, 1, max, &v, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "-c: expected %s, values from 1 to %u, got '%.40s': %s",
		         CONC_FORMS, max, item, why);
		return -EINVAL;
	}
	if (eq)
		out->per_mode[m] = (unsigned)v;
	out->v[out->n++] = (unsigned)v;
	return 0;
}

int conc_list_parse(const char *s, unsigned max, struct conc_list *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	const char *p = s;
	for (;;) {
		size_t len = strcspn(p, ",");
		char item[64];
		if (len == 0 || len >= sizeof(item)) {
			snprintf(err, errlen, "-c: expected %s, got '%.60s'", CONC_FORMS, s);
			return -EINVAL;
		}
		if (out->n == CONC_LIST_MAX) {
			snprintf(err, errlen, "-c: at most %d values", CONC_LIST_MAX);
			return -EINVAL;
		}
		memcpy(item, p, len);
		item[len] = '\0';
		if (conc_item(item, max, out, err, errlen) != 0)
			return -EINVAL;
		if (p[len] == '\0')
			return 0;
		p += len + 1;
	}
}
