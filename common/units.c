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

/* Echoing untrusted text: at most SHOWN_MAX characters (then "..."), and anything but
 * printable ASCII as '?', so a message always fits a small buffer with the accepted forms
 * at its end and never carries control bytes into a log or terminal. */
#define SHOWN_MAX 32
#define SHOWN_LEN (SHOWN_MAX + 4)

static const char *show(const char *s, char *buf)
{
	size_t i = 0;
	for (; i < SHOWN_MAX && s[i]; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	if (s[i]) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

/* An unsigned decimal number split into an exact integer part and a fraction in [0, 1). */
struct decimal {
	uint64_t ip;      /* integer part, exact unless ip_over */
	int ip_over;      /* the integer part is >= 2^64 */
	double ip_approx; /* the integer part as a double (inf for absurdly long strings) */
	double frac;      /* fractional part */
};

/* Reads the leading unsigned decimal number ("12", "1.5", ".5", "5.") of s without strtod's
 * surprises (no sign, hex, inf, nan, exponent, locale or leading space). Returns the number
 * of characters used, 0 when there is no number. */
static size_t scan_decimal(const char *s, struct decimal *d)
{
	size_t i = 0, digits = 0;
	uint64_t fnum = 0;
	int fdigits = 0, fzeros = 0;

	d->ip = 0;
	d->ip_over = 0;
	d->ip_approx = 0.0;
	d->frac = 0.0;
	while (s[i] >= '0' && s[i] <= '9') {
		unsigned dig = (unsigned)(s[i] - '0');
		if (!d->ip_over && d->ip > (UINT64_MAX - dig) / 10)
			d->ip_over = 1;
		if (!d->ip_over)
			d->ip = d->ip * 10 + dig;
		d->ip_approx = d->ip_approx * 10.0 + dig;
		i++;
		digits++;
	}
	if (s[i] == '.') {
		i++;
		while (s[i] >= '0' && s[i] <= '9') {
			/* keep 18 significant digits after any leading zeros; the rest is noise */
			if (fnum == 0 && s[i] == '0')
				fzeros++;
			else if (fdigits < 18) {
				fnum = fnum * 10 + (uint64_t)(s[i] - '0');
				fdigits++;
			}
			i++;
			digits++;
		}
		/* in two steps: 10^(zeros + digits) alone overflows for ".000...0001" */
		if (fnum)
			d->frac = (double)fnum / pow(10.0, fdigits) / pow(10.0, fzeros);
	}
	if (digits == 0)
		return 0;
	if (!d->ip_over)
		d->ip_approx = (double)d->ip;
	return i;
}

static double decimal_value(const struct decimal *d)
{
	return d->ip_approx + d->frac;
}

struct unit {
	const char *name;
	uint64_t factor;
};

static const struct unit duration_units[] = {
        {"us", 1}, {"ms", 1000}, {"s", 1000000}, {"m", 60000000}, {NULL, 0},
};

static const struct unit size_units[] = {
        {"", 1},          {"B", 1},           {"KB", 1000},        {"KiB", 1024}, {"MB", 1000000},
        {"MiB", 1048576}, {"GB", 1000000000}, {"GiB", 1073741824}, {NULL, 0},
};

static int parse_with_units(const char *s, const struct unit *units, int case_exact,
                            const char *what, const char *forms, uint64_t *out, char *err,
                            size_t errlen)
{
	struct decimal d;
	size_t n;
	char sb[SHOWN_LEN], ub[SHOWN_LEN];

	/* every message below fits UNITS_ERR_LEN whole, with the forms (test_units checks) */
	if (!s || !*s)
		return fail(-EINVAL, err, errlen, "empty %s; expected %s", what, forms);
	if (s[0] == '-')
		return fail(-EINVAL, err, errlen, "negative %s '%s'; expected %s", what,
		            show(s, sb), forms);
	n = scan_decimal(s, &d);
	if (n == 0)
		return fail(-EINVAL, err, errlen, "invalid %s '%s'; expected %s", what, show(s, sb),
		            forms);
	const char *suffix = s + n;
	/* a bare 0 needs no unit */
	if (*suffix == '\0' && !d.ip_over && d.ip == 0 && d.frac == 0.0) {
		*out = 0;
		return 0;
	}
	for (const struct unit *u = units; u->name; u++) {
		int same = case_exact ? strcmp(suffix, u->name) == 0
		                      : strcasecmp(suffix, u->name) == 0;
		if (!same)
			continue;
		/* exact integer arithmetic; only the fraction goes through a double, rounded
		 * half up to the nearest unit of the result */
		double fpart = d.frac * (double)u->factor;
		uint64_t whole, fr = (uint64_t)fpart, total;
		if (fpart - (double)fr >= 0.5)
			fr++;
		if (d.ip_over || __builtin_mul_overflow(d.ip, u->factor, &whole) ||
		    __builtin_add_overflow(whole, fr, &total))
			return fail(-ERANGE, err, errlen, "%s '%s' is too large; expected %s", what,
			            show(s, sb), forms);
		*out = total;
		return 0;
	}
	if (*suffix == '\0')
		return fail(-EINVAL, err, errlen, "%s '%s' needs a unit; expected %s", what,
		            show(s, sb), forms);
	return fail(-EINVAL, err, errlen, "unknown %s unit '%s'; expected %s", what,
	            show(suffix, ub), forms);
}

/* "2m05s" (what units_format_duration prints from one minute on): whole minutes, then a
 * duration in s, ms or us. Returns 1 when s does not have that shape (parse it as one
 * number and unit), else 0 or a negative errno with a message. */
static int parse_minutes_and_rest(const char *s, uint64_t *out_us, char *err, size_t errlen)
{
	size_t digits = strspn(s, "0123456789");
	if (digits == 0 || s[digits] != 'm' || s[digits + 1] < '0' || s[digits + 1] > '9')
		return 1;
	const char *rest = s + digits + 1;
	size_t len = strlen(rest);
	if (rest[len - 1] != 's')
		return 1;
	char sb[SHOWN_LEN];
	uint64_t minutes = 0, tail = 0, whole, total;
	int over = 0;
	for (size_t i = 0; i < digits; i++)
		over |= __builtin_mul_overflow(minutes, 10, &minutes) ||
		        __builtin_add_overflow(minutes, (uint64_t)(s[i] - '0'), &minutes);
	int rc = parse_with_units(rest, duration_units, 1, "duration", UNITS_DURATION_FORMS, &tail,
	                          NULL, 0);
	if (rc == -EINVAL)
		return fail(-EINVAL, err, errlen, "invalid duration '%s'; expected %s", show(s, sb),
		            UNITS_DURATION_FORMS);
	if (rc != 0 || over || __builtin_mul_overflow(minutes, 60000000ULL, &whole) ||
	    __builtin_add_overflow(whole, tail, &total))
		return fail(-ERANGE, err, errlen, "duration '%s' is too large; expected %s",
		            show(s, sb), UNITS_DURATION_FORMS);
	*out_us = total;
	return 0;
}

int units_parse_duration(const char *s, uint64_t *out_us, char *err, size_t errlen)
{
	if (s) {
		uint64_t v = 0;
		int rc = parse_minutes_and_rest(s, &v, err, errlen);
		if (rc <= 0) {
			if (rc == 0)
				*out_us = v;
			return rc;
		}
	}
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
	char sb[SHOWN_LEN];

	if (!s || !*s)
		return fail(-EINVAL, err, errlen,
		            "empty number; expected an integer from %llu to %llu",
		            (unsigned long long)min, (unsigned long long)max);
	/* syntax first: "99999999999999999999x" is invalid, not out of range */
	if (s[strspn(s, "0123456789")] != '\0')
		return fail(-EINVAL, err, errlen,
		            "invalid number '%s'; expected an integer from %llu to %llu",
		            show(s, sb), (unsigned long long)min, (unsigned long long)max);
	int over = 0;
	for (const char *p = s; *p && !over; p++) {
		unsigned d = (unsigned)(*p - '0');
		over = v > (UINT64_MAX - d) / 10;
		v = v * 10 + d;
	}
	if (over || v < min || v > max)
		return fail(-ERANGE, err, errlen, "number '%s' is out of range %llu to %llu",
		            show(s, sb), (unsigned long long)min, (unsigned long long)max);
	*out = v;
	return 0;
}

int units_parse_double(const char *s, double min, double max, double *out, char *err, size_t errlen)
{
	struct decimal d;
	double v;
	size_t n;
	int neg;
	char sb[SHOWN_LEN];

	if (!s || !*s)
		return fail(-EINVAL, err, errlen, "empty number; expected a number from %g to %g",
		            min, max);
	neg = s[0] == '-';
	n = scan_decimal(s + neg, &d);
	if (n == 0 || s[neg + n] != '\0')
		return fail(-EINVAL, err, errlen,
		            "invalid number '%s'; expected a number from %g to %g", show(s, sb),
		            min, max);
	v = decimal_value(&d);
	if (neg && v != 0.0)
		v = -v;
	if (!(v >= min && v <= max))
		return fail(-ERANGE, err, errlen, "number '%s' is out of range %g to %g",
		            show(s, sb), min, max);
	*out = v;
	return 0;
}

/* Formatting rounds with integers, to 3 significant digits, and moves to the next unit when
 * rounding reaches it: 999999us is "1.00s", never "1000ms". */
static uint64_t div_round(uint64_t n, uint64_t d)
{
	return n / d + (n % d >= d - d / 2);
}

/* fixed-point forms, tried in order: a value below `below` us, rounded to `div` us, prints
 * with `decimals` digits of `unit` while the rounded count stays under `cap` */
static const struct {
	uint64_t below, div, cap;
	int decimals;
	const char *unit;
} duration_forms[] = {
        {10000, 10, 1000, 2, "ms"},      /* 1.00ms .. 9.99ms */
        {100000, 100, 1000, 1, "ms"},    /* 10.0ms .. 99.9ms */
        {1000000, 1000, 1000, 0, "ms"},  /* 100ms .. 999ms */
        {60000000, 10000, 6000, 2, "s"}, /* 1.00s .. 59.99s */
};

char *units_format_duration(uint64_t us, char *buf, size_t len)
{
	if (us < 1000) {
		snprintf(buf, len, "%lluus", (unsigned long long)us);
		return buf;
	}
	for (size_t i = 0; i < sizeof(duration_forms) / sizeof(duration_forms[0]); i++) {
		uint64_t v, scale = 1;
		if (us >= duration_forms[i].below ||
		    (v = div_round(us, duration_forms[i].div)) >= duration_forms[i].cap)
			continue;
		for (int d = 0; d < duration_forms[i].decimals; d++)
			scale *= 10;
		if (duration_forms[i].decimals)
			snprintf(buf, len, "%llu.%0*llu%s", (unsigned long long)(v / scale),
			         duration_forms[i].decimals, (unsigned long long)(v % scale),
			         duration_forms[i].unit);
		else
			snprintf(buf, len, "%llu%s", (unsigned long long)v, duration_forms[i].unit);
		return buf;
	}
	uint64_t v = div_round(us, 1000000);
	snprintf(buf, len, "%llum%02llus", (unsigned long long)(v / 60),
	         (unsigned long long)(v % 60));
	return buf;
}

char *units_format_size(uint64_t bytes, char *buf, size_t len)
{
	const uint64_t kib = 1024, mib = 1048576, gib = 1073741824;
	uint64_t v;

	if (bytes < kib) {
		snprintf(buf, len, "%lluB", (unsigned long long)bytes);
		return buf;
	}
	if (bytes < mib && (v = div_round(bytes * 10, kib)) < 10240) {
		snprintf(buf, len, "%llu.%01lluKiB", (unsigned long long)(v / 10),
		         (unsigned long long)(v % 10));
		return buf;
	}
	if (bytes < gib && (v = div_round(bytes * 100, mib)) < 102400) {
		snprintf(buf, len, "%llu.%02lluMiB", (unsigned long long)(v / 100),
		         (unsigned long long)(v % 100));
		return buf;
	}
	/* bytes * 100 may overflow here: round the remainder alone */
	v = bytes / gib * 100 + div_round(bytes % gib * 100, gib);
	snprintf(buf, len, "%llu.%02lluGiB", (unsigned long long)(v / 100),
	         (unsigned long long)(v % 100));
	return buf;
}
