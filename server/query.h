/* query.h -- per-request overrides from the query string, and the delay of a request.
 * Pure functions: no I/O, no allocation, no shared state. */
#ifndef LATLAB_SERVER_QUERY_H
#define LATLAB_SERVER_QUERY_H

#include "script.h"
#include "sites.h"

#include <stddef.h>
#include <stdint.h>

#define SRV_HAS_LATENCY   (1u << 0)
#define SRV_HAS_JITTER    (1u << 1)
#define SRV_HAS_SIZE      (1u << 2)
#define SRV_HAS_SEQ       (1u << 4)
#define SRV_HAS_BANDWIDTH (1u << 5)
#define SRV_HAS_CONNECT   (1u << 7)

#define SRV_QUERY_PARAMS                                                                           \
	"latency, jitter, size, status, seq, bandwidth, fault, connect_delay, fail_first, "        \
	"fail_status, sequence, stall_after, ttfb"
#define SRV_BANDWIDTH_MAX (1ULL << 30)
#define SRV_SEQ_HEADER    "X-Latlab-Seq"

struct srv_overrides {
	unsigned has; /* SRV_HAS_* bits */
	uint64_t latency_us, jitter_us, size, seq, bandwidth, connect_delay_us;
	struct srv_script script; /* status, fault, fail_first, ...: see script.h */
};

/* What went wrong with one parameter, for the 400 JSON body. */
struct srv_param_error {
	char param[48];
	char error[192];
	char accepted[192];
};

/* 1 when key is one of SRV_QUERY_PARAMS, else 0. */
int srv_query_known(const char *key);

/* Applies query parameter key=value (value NULL when absent) to *o. Caps: delays <=
 * max_delay_us, size <= 64 MiB, status 200-599, bandwidth 1 B/s-1 GiB/s; the script keys as
 * srv_script_set. 0, or -EINVAL with *e filled. */
int srv_query_apply(struct srv_overrides *o, const char *key, const char *value,
                    uint64_t max_delay_us, struct srv_param_error *e);

/* Parses an X-Latlab-Seq header value into o->seq; 0, or -EINVAL with *e filled. */
int srv_query_seq_header(struct srv_overrides *o, const char *value, struct srv_param_error *e);

/* The injected delay in us of request seq to site: the site's model drawn at (seed, site
 * stream, seq), or latency= when given; then +- jitter (uniform, also seeded); then times
 * time_scale; clamped to [0, max_delay_us]. Same inputs, same delay. */
uint64_t srv_delay_of(const struct srv_site *site, const struct srv_overrides *o, uint64_t seed,
                      uint64_t seq, double time_scale, uint64_t max_delay_us);

/* The connection set-up delay in us a new connection's first request pays on top of its
 * delay: connect_delay= when given, else the site's; times time_scale; clamped to
 * [0, max_delay_us]. */
uint64_t srv_connect_delay_of(const struct srv_site *site, const struct srv_overrides *o,
                              double time_scale, uint64_t max_delay_us);

#endif
