/* units.c -- parse and format durations, sizes and numbers; owns no state. */
#include "units.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int fail(int code, char *err, size_t errlen, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static int fail(int code, char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* Reads the leading unsigned decimal number ("12", "1.5", ".5") of s without strtod's
 * surprises (no sign, hex, inf, nan, exponent or leading space). Returns the number of
 * characters used, 0 when there is no number. */
static size_t scan_decimal(const char *s, double *out)
{
	size_t i = 0, digits = 0;
	double v = 0.0, scale = 1.0;

	while (s[i] >= '0' && s[i] <= '9') {
		v = v * 10.0 + (s[i] - '0');
		i++;
		digits++;
	}
	if (s[i] == '.') {
		size_t dot = i++;
		while (s[i] >= '0' && s[i] <= '9') {
			scale /= 10.0;
			v += (s[i] - '0') * scale;
			i++;
			digits++;
		}
		if (i == dot + 1 && digits == 0)
			return 0;
	}
	if (digits == 0)
		return 0;
	*out = v;
	return i;
}

struct unit {
	const char *name;
	double factor;
};

static const struct unit duration_units[] = {
        {"us", 1.0}, {"ms", 1e3}, {"s", 1e6}, {"m", 60e6}, {NULL, 0},
};

static const struct unit size_units[] = {
        {"", 1.0},          {"B", 1.0},  {"KB", 1e3},           {"KiB", 1024.0}, {"MB", 1e6},
        {"MiB", 1048576.0}, {"GB", 1e9}, {"GiB", 1073741824.0}, {NULL, 0},
};

static int parse_with_units(const char *s, const struct unit *units, int case_exact,
                            const char *what, const char *forms, uint64_t *out, char *err,
                            size_t errlen)
{
	double v;
	size_t n;

	if (!s || !*s)
		return fail(-EINVAL, err, errlen, "empty %s; expected %s", what, forms);
	if (s[0] == '-')
		return fail(-EINVAL, err, errlen, "negative %s '%s'; expected %s", what, s, forms);
	n = scan_decimal(s, &v);
	if (n == 0)
		return fail(-EINVAL, err, errlen, "invalid %s '%s'; expected %s", what, s, forms);
	const char *suffix = s + n;
	/* a bare 0 needs no unit */
	if (*suffix == '\0' && v == 0.0) {
		*out = 0;
		return 0;
	}
	for (const struct unit *u = units; u->name; u++) {
		int same = case_exact ? strcmp(suffix, u->name) == 0
		                      : strcasecmp(suffix, u->name) == 0;
		if (!same)
			continue;
		double total = v * u->factor;
		if (!isfinite(total) || total >= 18446744073709551615.0)
			return fail(-ERANGE, err, errlen, "%s '%s' is too large", what, s);
		*out = (uint64_t)llround(total);
		return 0;
	}
	if (*suffix == '\0')
		return fail(-EINVAL, err, errlen, "%s '%s' needs a unit; expected %s", what, s,
		            forms);
	return fail(-EINVAL, err, errlen, "unknown unit '%s' in %s '%s'; expected %s", suffix, what,
	            s, forms);
}

int units_parse_duration(const char *s, uint64_t *out_us, char *err, size_t errlen)
{
	return parse_with_units(s, duration_units, 1, "duration", UNITS_DURATION_FORMS, out_us, err,
	                        errlen);
}

int units_parse_size(const char *s, uint64_t *out_bytes, char *err, size_t errlen)
{
	uint64_t v = 0;
	int rc = parse_with_units(s, size_units, 0, "size", UNITS_SIZE_FORMS, &v, err, errlen);
	if (rc == 0)
		*out_bytes = v;
	return rc;
}

int units_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out, char *err,
                    size_t errlen)
{
	uint64_t v = 0;

	if (!s || !*s)
		return fail(-EINVAL, err, errlen,
		            "empty number; expected an integer from %llu to %llu",
		            (unsigned long long)min, (unsigned long long)max);
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return fail(-EINVAL, err, errlen,
			            "invalid number '%s'; expected an integer from %llu to %llu", s,
			            (unsigned long long)min, (unsigned long long)max);
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return fail(-ERANGE, err, errlen,
			            "number '%s' is out of range %llu to %llu", s,
			            (unsigned long long)min, (unsigned long long)max);
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return fail(-ERANGE, err, errlen, "number '%s' is out of range %llu to %llu", s,
		            (unsigned long long)min, (unsigned long long)max);
	*out = v;
	return 0;
}

int units_parse_double(const char *s, double min, double max, double *out, char *err, size_t errlen)
{
	double v;
	size_t n;

	if (!s || !*s)
		return fail(-EINVAL, err, errlen, "empty number; expected a number from %g to %g",
		            min, max);
	n = scan_decimal(s, &v);
	if (n == 0 || s[n] != '\0')
		return fail(-EINVAL, err, errlen,
		            "invalid number '%s'; expected a number from %g to %g", s, min, max);
	if (!(v >= min && v <= max))
		return fail(-ERANGE, err, errlen, "number '%s' is out of range %g to %g", s, min,
		            max);
	*out = v;
	return 0;
}

char *units_format_duration(uint64_t us, char *buf, size_t len)
{
	if (us < 1000)
		snprintf(buf, len, "%lluus", (unsigned long long)us);
	else if (us < 1000000)
		snprintf(buf, len, "%.*fms", us < 10000 ? 2 : us < 100000 ? 1 : 0, us / 1e3);
	else if (us < 60000000)
		snprintf(buf, len, "%.2fs", us / 1e6);
	else
		snprintf(buf, len, "%llum%02llus", (unsigned long long)(us / 60000000),
		         (unsigned long long)(us / 1000000 % 60));
	return buf;
}

char *units_format_size(uint64_t bytes, char *buf, size_t len)
{
	if (bytes < 1024)
		snprintf(buf, len, "%lluB", (unsigned long long)bytes);
	else if (bytes < 1048576)
		snprintf(buf, len, "%.1fKiB", bytes / 1024.0);
	else if (bytes < 1073741824ULL)
		snprintf(buf, len, "%.2fMiB", bytes / 1048576.0);
	else
		snprintf(buf, len, "%.2fGiB", bytes / 1073741824.0);
	return buf;
}
