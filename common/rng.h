/* rng.h -- seeded randomness: a stateless, order-independent draw.
 *
 * rng_draw(seed, stream, index) hashes its three inputs into a uniform double in [0, 1): the
 * same triple gives the same value on every run, thread and process, whatever the order of
 * calls. That is what makes a site's delay for request k independent of arrival order. */
#ifndef LATLAB_RNG_H
#define LATLAB_RNG_H

#include <stdint.h>

/* A well-mixed 64-bit hash of (seed, stream, index). */
uint64_t rng_hash(uint64_t seed, uint64_t stream, uint64_t index);

/* Stateless uniform double in [0, 1) from (seed, stream, index). */
double rng_draw(uint64_t seed, uint64_t stream, uint64_t index);

/* A stream id for a name (64-bit FNV-1a then mixed), e.g. a site name. */
uint64_t rng_stream_of(const char *name);

#endif
