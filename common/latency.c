/* latency.c -- latency models sampled from uniforms; pure functions, no state. */
#include "latency.h"

#include "rng.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* z such that P(Z <= z) = 0.99 for a standard normal Z */
#define Z_P99 2.3263478740408408

static const char *const kind_names[] = {"fixed", "uniform", "normal", "lognormal"};

const char *latency_kind_name(enum latency_kind k)
{
	return (unsigned)k < 4 ? kind_names[k] : "?";
}

int latency_kind_parse(const char *s, enum latency_kind *out)
{
	for (unsigned i = 0; i < 4; i++) {
		if (s && strcmp(s, kind_names[i]) == 0) {
			*out = (enum latency_kind)i;
			return 0;
		}
	}
	return -EINVAL;
}

int latency_validate(const struct latency_model *m, char *err, size_t errlen)
{
	const char *msg = NULL;

	switch (m->kind) {
	case LATENCY_FIXED:
		if (m->a_us > m->cap_us)
			msg = "fixed delay exceeds the cap";
		break;
	case LATENCY_UNIFORM:
		if (m->a_us > m->b_us)
			msg = "uniform needs min <= max";
		else if (m->b_us > m->cap_us)
			msg = "uniform max exceeds the cap";
		break;
	case LATENCY_NORMAL:
		if (m->a_us > m->cap_us)
			msg = "normal mean exceeds the cap";
		else if (m->b_us > m->cap_us)
			msg = "normal standard deviation exceeds the cap";
		break;
	case LATENCY_LOGNORMAL:
		if (m->a_us == 0)
			msg = "lognormal needs a median > 0";
		else if (m->b_us < m->a_us)
			msg = "lognormal needs p99 >= median";
		else if (m->b_us > m->cap_us)
			msg = "lognormal p99 exceeds the cap";
		break;
	default:
		msg = "unknown latency model; expected " LATENCY_KIND_FORMS;
	}
	if (!msg)
		return 0;
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
	return -EINVAL;
}

/* a standard normal deviate from two uniforms in [0,1) (Box-Muller) */
static double std_normal(double u1, double u2)
{
	return sqrt(-2.0 * log(1.0 - u1)) * cos(2.0 * M_PI * u2);
}

uint64_t latency_sample(const struct latency_model *m, double u1, double u2)
{
	double v;

	switch (m->kind) {
	case LATENCY_FIXED:
		v = (double)m->a_us;
		break;
	case LATENCY_UNIFORM:
		v = (double)m->a_us + ((double)m->b_us - (double)m->a_us) * u1;
		break;
	case LATENCY_NORMAL:
		v = (double)m->a_us + (double)m->b_us * std_normal(u1, u2);
		break;
	case LATENCY_LOGNORMAL: {
		double sigma = log((double)m->b_us / (double)m->a_us) / Z_P99;
		v = (double)m->a_us * exp(sigma * std_normal(u1, u2));
		break;
	}
	default:
		v = 0.0;
	}
	if (!(v > 0.0))
		return 0;
	if (v >= (double)m->cap_us)
		return m->cap_us;
	/* v < cap <= 2^64: convert directly, rounding half up (llround overflows above 2^63) */
	uint64_t d = (uint64_t)v;
	if (v - (double)d >= 0.5 && d < m->cap_us)
		d++;
	return d;
}

uint64_t latency_draw(const struct latency_model *m, uint64_t seed, uint64_t stream, uint64_t index)
{
	/* two independent uniforms per request: stream and its complement keep them apart */
	double u1 = rng_draw(seed, stream, index);
	double u2 = rng_draw(seed, ~stream, index);
	return latency_sample(m, u1, u2);
}
