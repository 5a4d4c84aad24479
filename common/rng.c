/* rng.c -- a stateless hash-based uniform draw (splitmix64's finaliser, chained). */
#include "rng.h"

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double to_unit(uint64_t bits)
{
	return (double)(bits >> 11) * 0x1.0p-53;
}

uint64_t rng_hash(uint64_t seed, uint64_t stream, uint64_t index)
{
	/* chain the inputs through the finaliser so that swapping them changes the result */
	uint64_t h = mix64(seed + 0x9e3779b97f4a7c15ULL);
	h = mix64(h ^ (stream + 0xd1b54a32d192ed03ULL));
	h = mix64(h ^ (index + 0x8cb92ba72f3d8dd7ULL));
	return h;
}

double rng_draw(uint64_t seed, uint64_t stream, uint64_t index)
{
	return to_unit(rng_hash(seed, stream, index));
}

uint64_t rng_stream_of(const char *name)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ULL;
	}
	return mix64(h);
}
