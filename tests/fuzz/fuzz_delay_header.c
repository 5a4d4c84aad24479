/* fuzz_delay_header.c -- libFuzzer target for the client's X-Latlab-Delay-Us header parser.
 * fuzz-libs: client
 *
 * Input: one raw header line as a server sends it (not NUL-terminated, any bytes).
 * Invariants: returns 1, 0 or -EINVAL; writes the delay only on 1, and then a value in
 * [0, HTTP_DELAY_MAX_US]; never reads past len (ASan checks that on an exact-size copy). */
#include "fuzz.h"
#include "../../client/http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size ? size : 1); /* exact size: no terminator to lean on */
	if (!line)
		return 0;
	memcpy(line, data, size);
	int64_t d = -12345;
	int rc = http_parse_delay_header(line, size, &d);
	CHECK(rc == 1 || rc == 0 || rc == -EINVAL);
	if (rc == 1)
		CHECK(d >= 0 && d <= (int64_t)HTTP_DELAY_MAX_US);
	else
		CHECK(d == -12345);
	free(line);
	return 0;
}
