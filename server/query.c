/* query.c -- validates query overrides (latency, jitter, size, seq, bandwidth; the script's
 * status, fault, ... via script.c) and computes a request's deterministic delay. Knows nothing of
 * libmicrohttpd. */
#include "query.h"

#include "rng.h"
#include "units.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* salt for the jitter's uniform so it is independent of the model's two draws */
#define JITTER_SALT 0x6a09e667f3bcc908ULL

static int param_fail(struct srv_param_error *e, const char *param, const char *accepted,
                      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int param_fail(struct srv_param_error *e, const char *param, const char *accepted,
                      const char *fmt, ...)
{
	va_list ap;

	snprintf(e->param, sizeof(e->param), "%s", param);
	snprintf(e->accepted, sizeof(e->accepted), "%s", accepted);
	va_start(ap, fmt);
	vsnprintf(e->error, sizeof(e->error), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int parse_delay(const char *key, const char *value, uint64_t max_delay_us, uint64_t *out,
                       struct srv_param_error *e)
{
	char why[160], accepted[192], cap[32];

	units_format_duration(max_delay_us, cap, sizeof(cap));
	snprintf(accepted, sizeof(accepted), "a duration from 0 to %s (--max-delay), e.g. 250ms",
	         cap);
	if (units_parse_duration(value, out, why, sizeof(why)) != 0)
		return param_fail(e, key, accepted, "%s", why);
	if (*out > max_delay_us)
		return param_fail(e, key, accepted, "%s '%s' exceeds the maximum delay %s", key,
		                  value, cap);
	return 0;
}

int srv_query_known(const char *key)
{
	static const char *const known[] = {
	        "latency",     "jitter", "size",         "status",      "seq",
	        "bandwidth",   "fault",  "fail_first",   "fail_status", "sequence",
	        "stall_after", "ttfb",   "connect_delay"};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(key, known[i]) == 0)
			return 1;
	return 0;
}

int srv_query_apply(struct srv_overrides *o, const char *key, const char *value,
                    uint64_t max_delay_us, struct srv_param_error *e)
{
	char why[160];
	const char *how;
	uint64_t v;

	if (!key || !*key)
		return param_fail(e, "", SRV_QUERY_PARAMS, "empty query parameter name");
	if (!srv_query_known(key))
		return param_fail(e, key, SRV_QUERY_PARAMS, "unknown query parameter '%.64s'", key);
	if (!value || !*value)
		return param_fail(e, key, "a value after '='", "query parameter '%s' has no value",
		                  key);
	int rc = srv_script_set(&o->script, key, value, max_delay_us, why, sizeof(why), &how);
	if (rc < 0)
		return param_fail(e, key, how, "%s: %s", key, why);
	if (rc > 0)
		return 0;
	if (strcmp(key, "latency") == 0) {
		if (parse_delay(key, value, max_delay_us, &o->latency_us, e) != 0)
			return -EINVAL;
		o->has |= SRV_HAS_LATENCY;
	} else if (strcmp(key, "jitter") == 0) {
		if (parse_delay(key, value, max_delay_us, &o->jitter_us, e) != 0)
			return -EINVAL;
		o->has |= SRV_HAS_JITTER;
	} else if (strcmp(key, "size") == 0) {
		const char *acc = "a size from 0 to 64MiB, e.g. 512, 28KiB, 1MB";
		if (units_parse_size(value, &v, why, sizeof(why)) != 0)
			return param_fail(e, key, acc, "%s", why);
		if (v > SRV_SIZE_MAX)
			return param_fail(e, key, acc, "size '%s' exceeds 64MiB", value);
		o->size = v;
		o->has |= SRV_HAS_SIZE;
	} else if (strcmp(key, "connect_delay") == 0) {
		if (parse_delay(key, value, max_delay_us, &o->connect_delay_us, e) != 0)
			return -EINVAL;
		o->has |= SRV_HAS_CONNECT;
	} else if (strcmp(key, "seq") == 0) {
		if (units_parse_u64(value, 0, UINT64_MAX, &v, why, sizeof(why)) != 0)
			return param_fail(e, key, "an integer from 0 to 18446744073709551615",
			                  "seq: %s", why);
		o->seq = v;
		o->has |= SRV_HAS_SEQ;
	} else if (strcmp(key, "bandwidth") == 0) {
		const char *acc = "bytes per second from 1 to 1GiB, e.g. 512, 10KiB, 1MB";
		if (units_parse_size(value, &v, why, sizeof(why)) != 0)
			return param_fail(e, key, acc, "%s", why);
		if (v < 1 || v > SRV_BANDWIDTH_MAX)
			return param_fail(e, key, acc, "bandwidth '%s' is out of range", value);
		o->bandwidth = v;
		o->has |= SRV_HAS_BANDWIDTH;
	}
	return 0;
}

int srv_query_seq_header(struct srv_overrides *o, const char *value, struct srv_param_error *e)
{
	char why[160];
	uint64_t v;

	if (units_parse_u64(value, 0, UINT64_MAX, &v, why, sizeof(why)) != 0)
		return param_fail(e, SRV_SEQ_HEADER, "an integer from 0 to 18446744073709551615",
		                  "header " SRV_SEQ_HEADER ": %s", why);
	o->seq = v;
	o->has |= SRV_HAS_SEQ;
	return 0;
}

uint64_t srv_delay_of(const struct srv_site *site, const struct srv_overrides *o, uint64_t seed,
                      uint64_t seq, double time_scale, uint64_t max_delay_us)
{
	double d;
	uint64_t jitter = (o->has & SRV_HAS_JITTER) ? o->jitter_us : site->jitter_us;

	if (o->has & SRV_HAS_LATENCY)
		d = (double)o->latency_us;
	else
		d = (double)latency_draw(&site->model, seed, site->stream, seq);
	if (jitter) {
		double u = rng_draw(seed, site->stream ^ JITTER_SALT, seq);
		d += (2.0 * u - 1.0) * (double)jitter;
	}
	d *= time_scale;
	if (!(d > 0.0))
		return 0;
	if (d >= (double)max_delay_us)
		return max_delay_us;
	return (uint64_t)llround(d);
}

uint64_t srv_connect_delay_of(const struct srv_site *site, const struct srv_overrides *o,
                              double time_scale, uint64_t max_delay_us)
{
	uint64_t us = (o->has & SRV_HAS_CONNECT) ? o->connect_delay_us : site->connect_delay_us;
	double d = (double)us * time_scale;

	if (!(d > 0.0))
		return 0;
	return d >= (double)max_delay_us ? max_delay_us : (uint64_t)llround(d);
}
