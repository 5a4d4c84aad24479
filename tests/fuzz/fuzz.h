/* fuzz.h -- what latlab's libFuzzer targets share: the entry point's prototype and CHECK,
 * which aborts (so libFuzzer saves the input) when an invariant fails, naming the target's
 * file, the condition and the line. */
#ifndef LATLAB_FUZZ_H
#define LATLAB_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s: invariant failed: %s (line %d)\n", __FILE__, #cond,   \
			        __LINE__);                                                         \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#endif
