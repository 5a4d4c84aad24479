/* latency.h -- latency models: fixed, uniform, normal and lognormal, sampled from uniforms.
 *
 * A model maps uniforms in [0,1) to a delay in microseconds clamped to [0, cap_us]. Parameters
 * per kind (all in microseconds):
 *   fixed      a = delay
 *   uniform    a = min, b = max           (a <= b)
 *   normal     a = mean, b = standard deviation
 *   lognormal  a = median, b = p99        (a > 0, b >= a; b == a means no spread)
 */
#ifndef LATLAB_LATENCY_H
#define LATLAB_LATENCY_H

#include <stddef.h>
#include <stdint.h>

enum latency_kind { LATENCY_FIXED, LATENCY_UNIFORM, LATENCY_NORMAL, LATENCY_LOGNORMAL };

#define LATENCY_KIND_FORMS "fixed, uniform, normal or lognormal"

struct latency_model {
	enum latency_kind kind;
	uint64_t a_us;
	uint64_t b_us;
	uint64_t cap_us;
};

/* Checks parameters (ordering, positivity, a and b <= cap); 0 or -EINVAL with a message. */
int latency_validate(const struct latency_model *m, char *err, size_t errlen);

/* Maps two uniforms in [0,1) to a delay in [0, cap_us]. Pure: same inputs, same delay. */
uint64_t latency_sample(const struct latency_model *m, double u1, double u2);

/* The delay of request `index` on `stream` under `seed`: latency_sample of two rng_draws. */
uint64_t latency_draw(const struct latency_model *m, uint64_t seed, uint64_t stream,
                      uint64_t index);

/* Parses "fixed" / "uniform" / "normal" / "lognormal"; 0 or -EINVAL. */
int latency_kind_parse(const char *s, enum latency_kind *out);

/* The name of a kind ("fixed", ...). */
const char *latency_kind_name(enum latency_kind k);

#endif
