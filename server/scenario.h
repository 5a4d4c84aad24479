/* scenario.h -- the named scenarios of X-Latlab-Scenario: each numbers its own requests
 * (k = 0, 1, 2, ...), so that parallel tests against one server do not share fail_first,
 * sequence or the seeded draws. A bounded table (SRV_SCENARIOS_MAX names) behind one short
 * lock, touched only by requests that carry the header. */
#ifndef LATLAB_SERVER_SCENARIO_H
#define LATLAB_SERVER_SCENARIO_H

#include <stdint.h>

#define SRV_SCENARIOS_MAX     4096
#define SRV_SCENARIO_NAME_MAX 64 /* bytes, with the NUL */
#define SRV_SCENARIO_HEADER   "X-Latlab-Scenario"
#define SRV_SCENARIO_FORMS    "1-63 characters of A-Z, a-z, 0-9 and . _ - : /"

struct srv_scenarios;

/* An empty table; NULL when out of memory. */
struct srv_scenarios *srv_scenarios_new(void);

/* Frees the table; NULL is a no-op. */
void srv_scenarios_free(struct srv_scenarios *t);

/* 0 when name is a valid scenario name (SRV_SCENARIO_FORMS), else -EINVAL. */
int srv_scenario_name_check(const char *name);

/* The k of scenario name's next request (0 for its first); 0, or -EINVAL (bad name) or
 * -ENOSPC (the table is full: POST /__latlab/reset empties it). */
int srv_scenarios_next(struct srv_scenarios *t, const char *name, uint64_t *k);

/* Forgets every scenario: their next requests are k = 0 again. */
void srv_scenarios_reset(struct srv_scenarios *t);

#endif
