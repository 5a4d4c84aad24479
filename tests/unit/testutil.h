/* testutil.h -- what latlab's cmocka unit tests share: the include block cmocka needs, reading
 * a file back, and temporary files and folders (all under /tmp, removed by the caller).
 * Header-only: each test program includes it once. */
#ifndef LATLAB_TESTUTIL_H
#define LATLAB_TESTUTIL_H

/* cmocka needs these before its own header */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The whole contents of the file at path, NUL-terminated; the caller frees. Fails the test
 * when the file cannot be read. */
static inline char *tu_slurp_path(const char *path)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	size_t cap = 4096, n = 0;
	char *s = malloc(cap);
	assert_non_null(s);
	for (;;) {
		n += fread(s + n, 1, cap - n - 1, f);
		if (n < cap - 1)
			break;
		cap *= 2;
		s = realloc(s, cap);
		assert_non_null(s);
	}
	assert_false(ferror(f));
	fclose(f);
	s[n] = '\0';
	return s;
}

/* Writes text to a new temporary file; its path goes to buf (at least 32 bytes). The caller
 * unlinks it. */
static inline const char *tu_temp_file(char *buf, size_t len, const char *text)
{
	assert_true(len >= 32);
	snprintf(buf, len, "/tmp/latlab-test-XXXXXX");
	int fd = mkstemp(buf);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

/* Makes a new temporary folder; its path goes to buf (at least 32 bytes). 0, or -1. */
static inline int tu_temp_dir(char *buf, size_t len)
{
	if (len < 32)
		return -1;
	snprintf(buf, len, "/tmp/latlab-test-XXXXXX");
	return mkdtemp(buf) ? 0 : -1;
}

#endif
