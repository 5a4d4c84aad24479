/* units.h -- parse and format durations, sizes and plain numbers from untrusted text.
 *
 * Every parser takes a NUL-terminated string, writes the value only on success and returns
 * 0, or -EINVAL / -ERANGE and (when err is not NULL) a one-line message naming the accepted
 * forms; the message quotes at most 32 characters of the input (non-printable bytes as '?')
 * and always fits UNITS_ERR_LEN bytes whole. Nothing here allocates. */
#ifndef LATLAB_UNITS_H
#define LATLAB_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* An error buffer of this size always holds a parser's whole message (forms included). */
#define UNITS_ERR_LEN 160

/* Accepted duration forms, for error messages and usage text. */
#define UNITS_DURATION_FORMS                                                                       \
	"a number with a unit us, ms, s or m (e.g. 150us, 250ms, 1.5s, 2m, 2m05s), or 0"
#define UNITS_SIZE_FORMS                                                                           \
	"bytes (e.g. 512) or a number with a unit B, KB, KiB, MB, MiB, GB, GiB (e.g. 28KiB, 1MB)"

/* Parses a duration like "250ms", "1.5s", "2m", "150us", "2m05s" (whole minutes then a
 * duration in s, ms or us: what units_format_duration prints) or "0" into microseconds.
 * Rejects empty, negative, NaN/inf, overflowing (> UINT64_MAX us), trailing garbage and
 * unknown units. A fractional value is rounded to the nearest microsecond. */
int units_parse_duration(const char *s, uint64_t *out_us, char *err, size_t errlen);

/* Parses a size like "512", "28KiB", "1MB" (KB = 1000, KiB = 1024) into bytes. */
int units_parse_size(const char *s, uint64_t *out_bytes, char *err, size_t errlen);

/* Parses a decimal integer in [min, max] with no sign, space or trailing text. */
int units_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out, char *err,
                    size_t errlen);

/* Parses a finite decimal number ("1.5", ".5", "-2" with an optional leading '-', no '+',
 * exponent, hex, inf, nan, space or trailing text) in [min, max]. */
int units_parse_double(const char *s, double min, double max, double *out, char *err,
                       size_t errlen);

/* Formats microseconds for a human to 3 significant digits (rounded): "150us", "1.50ms",
 * "12.3ms", "250ms", "1.50s", then whole seconds from a minute on, "2m05s" (59.995s and up
 * round to that form). Single-unit text parses back with units_parse_duration; the "2m05s"
 * form does not. Truncates to len; returns buf. */
char *units_format_duration(uint64_t us, char *buf, size_t len);

/* Formats bytes for a human (rounded): "512B", "28.0KiB", "1.00MiB", "2.50GiB"; the text
 * parses back with units_parse_size. Truncates to len; returns buf. */
char *units_format_size(uint64_t bytes, char *buf, size_t len);

#endif
