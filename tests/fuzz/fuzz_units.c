/* fuzz_units.c -- libFuzzer target for every parser in common/units (and latency kinds).
 *
 * Each input is NUL-terminated and given to units_parse_duration, units_parse_size,
 * units_parse_u64, units_parse_double and latency_kind_parse. Invariants (a failure aborts):
 * the return code is 0, -EINVAL or -ERANGE; a failed parse leaves the output untouched and
 * writes a NUL-terminated, printable message that fits the buffer and, in UNITS_ERR_LEN
 * bytes, is whole and names the accepted forms whatever the input's length; a successful parse is
 * repeatable, agrees with an independent reading of the text, and its value formats back into text
 * that parses again to within the printed precision. Built by tests/fuzz/run.sh, never by the
 * normal build. */
#include "fuzz.h"
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "latency.h"
#include "units.h"

#define SENTINEL 0x5a5a5a5a5a5a5a5aULL

static int rc_ok(int rc)
{
	return rc == 0 || rc == -EINVAL || rc == -ERANGE;
}

/* a failed parse wrote a terminated message within errlen (and named the forms if the
 * buffer was large enough for the whole message) */
static void check_message(const char *err, size_t errlen, const char *forms, int big)
{
	if (errlen == 0)
		return;
	CHECK(memchr(err, '\0', errlen) != NULL);
	if (big && forms)
		CHECK(strstr(err, forms) != NULL);
	if (big) {
		CHECK(err[0] != '\0');
		CHECK(strlen(err) < UNITS_ERR_LEN - 1); /* whole, not cut by the buffer */
	}
	/* the input is quoted, never echoed raw: no control or non-ASCII bytes */
	for (const char *p = err; *p; p++)
		CHECK(*p >= 0x20 && *p < 0x7f);
}

/* the number part of an accepted duration or size: digits with at most one '.' */
static size_t number_prefix(const char *s)
{
	size_t i = 0;
	int dots = 0;
	while ((s[i] >= '0' && s[i] <= '9') || (s[i] == '.' && !dots)) {
		dots += s[i] == '.';
		i++;
	}
	return i;
}

static int all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

static void fuzz_duration(const char *s, size_t errlen, char *err)
{
	uint64_t v = SENTINEL, again = SENTINEL;
	int rc = units_parse_duration(s, &v, err, errlen);
	CHECK(rc_ok(rc));
	if (rc != 0) {
		CHECK(v == SENTINEL);
		check_message(err, errlen, UNITS_DURATION_FORMS, errlen >= UNITS_ERR_LEN);
		return;
	}
	CHECK(units_parse_duration(s, &again, NULL, 0) == 0 && again == v);
	/* "2m05s": whole minutes, then a duration in s, ms or us, which parses on its own */
	size_t mdigits = strspn(s, "0123456789");
	if (mdigits && s[mdigits] == 'm' && s[mdigits + 1] >= '0' && s[mdigits + 1] <= '9') {
		uint64_t rest = SENTINEL;
		CHECK(units_parse_duration(s + mdigits + 1, &rest, NULL, 0) == 0);
		CHECK(s[strlen(s) - 1] == 's' && v >= rest && (v - rest) % 60000000ULL == 0);
		return;
	}
	/* otherwise the text is a number followed by nothing or a unit */
	const char *unit = s + number_prefix(s);
	CHECK(unit != s);
	CHECK(!*unit || !strcmp(unit, "us") || !strcmp(unit, "ms") || !strcmp(unit, "s") ||
	      !strcmp(unit, "m"));
	if (!*unit)
		CHECK(v == 0);
	/* agrees with strtod for values that a double holds exactly enough */
	double approx = strtod(s, NULL);
	double factor = !*unit || !strcmp(unit, "us") ? 1.0
	                : !strcmp(unit, "ms")         ? 1e3
	                : !strcmp(unit, "s")          ? 1e6
	                                              : 60e6;
	CHECK(fabs(approx * factor - (double)v) <= 1.0 + 1e-9 * (double)v);
	/* formats back; single-unit text (below 59.995 s) parses again to within 3 significant
	 * digits, and the minutes form is used only from there on */
	char buf[32];
	units_format_duration(v, buf, sizeof(buf));
	CHECK(strlen(buf) < sizeof(buf));
	const char *m = strchr(buf, 'm');
	int minutes_form = m && m[1] != 's';
	CHECK(minutes_form == (v >= 59995000));
	if (minutes_form) {
		/* the minutes form parses back to within half a second, except where rounding
		 * up to the second passes UINT64_MAX */
		uint64_t back = SENTINEL;
		if (units_parse_duration(buf, &back, NULL, 0) == 0)
			CHECK(back + 500000 >= v && back - 500000 <= v);
		else
			CHECK(v > UINT64_MAX - 500000);
	} else {
		uint64_t back = SENTINEL;
		CHECK(units_parse_duration(buf, &back, NULL, 0) == 0);
		double tol = v < 1000 ? 0.0 : (double)v * 0.005 + 0.5;
		CHECK(fabs((double)back - (double)v) <= tol);
	}
}

static void fuzz_size(const char *s, size_t errlen, char *err)
{
	uint64_t v = SENTINEL, again = SENTINEL;
	int rc = units_parse_size(s, &v, err, errlen);
	CHECK(rc_ok(rc));
	if (rc != 0) {
		CHECK(v == SENTINEL);
		check_message(err, errlen, UNITS_SIZE_FORMS, errlen >= UNITS_ERR_LEN);
		return;
	}
	CHECK(units_parse_size(s, &again, NULL, 0) == 0 && again == v);
	CHECK(number_prefix(s) > 0);
	/* a plain integer is its own size, exactly, as units_parse_u64 reads it */
	if (all_digits(s)) {
		uint64_t n = SENTINEL;
		CHECK(units_parse_u64(s, 0, UINT64_MAX, &n, NULL, 0) == 0);
		CHECK(n == v);
	}
	char buf[32];
	units_format_size(v, buf, sizeof(buf));
	CHECK(strlen(buf) < sizeof(buf));
	uint64_t back = SENTINEL;
	/* only the top 0.005 GiB below 2^64 rounds up to "17179869184.00GiB", which is 2^64 */
	if (units_parse_size(buf, &back, NULL, 0) != 0) {
		CHECK(v > UINT64_MAX - 5368709);
		return;
	}
	double tol = v < 1024 ? 0.0 : v < 1048576 ? 52.0 : (double)v * 0.005 + 1.0;
	CHECK(fabs((double)back - (double)v) <= tol);
}

static void fuzz_u64(const char *s, uint64_t min, uint64_t max, size_t errlen, char *err)
{
	uint64_t v = SENTINEL;
	int rc = units_parse_u64(s, min, max, &v, err, errlen);
	CHECK(rc_ok(rc));
	if (rc != 0) {
		CHECK(v == SENTINEL);
		check_message(err, errlen, NULL, errlen >= UNITS_ERR_LEN);
		/* a digit string that fits 64 bits and the range would have been accepted */
		if (all_digits(s) && strlen(s) < 20) {
			unsigned long long n = strtoull(s, NULL, 10);
			CHECK(n < min || n > max);
		}
		return;
	}
	CHECK(all_digits(s));
	CHECK(v >= min && v <= max);
	errno = 0;
	unsigned long long n = strtoull(s, NULL, 10);
	CHECK(errno == 0 && n == v);
}

static void fuzz_double(const char *s, double min, double max, size_t errlen, char *err)
{
	double v = -12345.0;
	int rc = units_parse_double(s, min, max, &v, err, errlen);
	CHECK(rc_ok(rc));
	if (rc != 0) {
		CHECK(v == -12345.0);
		check_message(err, errlen, NULL, errlen >= UNITS_ERR_LEN);
		return;
	}
	CHECK(isfinite(v) && v >= min && v <= max);
	/* only digits, one '.', and an optional leading '-' */
	const char *p = s + (s[0] == '-');
	CHECK(p[number_prefix(p)] == '\0');
	/* strtod (C locale) reads the same text as the same number, near enough */
	char *end = NULL;
	double ref = strtod(s, &end);
	CHECK(end && *end == '\0');
	CHECK(fabs(ref - v) <= 1e-12 * fabs(ref) + 1e-300);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	/* the error buffer: sometimes tiny (truncation), usually the documented UNITS_ERR_LEN */
	size_t errlen = size && data[0] % 4 == 0 ? data[size - 1] % 24 : UNITS_ERR_LEN;
	char *err = malloc(errlen + 1);
	if (!err) {
		free(s);
		return 0;
	}
	memset(err, 'x', errlen + 1);

	fuzz_duration(s, errlen, err);
	fuzz_size(s, errlen, err);
	fuzz_u64(s, 0, UINT64_MAX, errlen, err);
	fuzz_u64(s, 1, 65535, errlen, err);
	fuzz_double(s, 0.0, 1e6, errlen, err);
	fuzz_double(s, -1e300, 1e300, errlen, err);

	enum latency_kind k = (enum latency_kind)99;
	if (latency_kind_parse(s, &k) == 0)
		CHECK(strcmp(latency_kind_name(k), s) == 0);
	else
		CHECK(k == (enum latency_kind)99);

	/* formatting any 64-bit value stays within any buffer size */
	if (size >= 8) {
		uint64_t x;
		memcpy(&x, data, 8);
		char buf[40];
		size_t len = data[size - 1] % sizeof(buf);
		memset(buf, 'x', sizeof(buf));
		units_format_duration(x, buf, len);
		CHECK(len == 0 || memchr(buf, '\0', len));
		CHECK(buf[len] == 'x' || len == sizeof(buf));
		units_format_size(x, buf, len);
		CHECK(len == 0 || memchr(buf, '\0', len));
	}
	free(err);
	free(s);
	return 0;
}
