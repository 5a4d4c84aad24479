/* test_units.c -- durations, sizes and plain numbers parse from untrusted text, reject hostile
 * input with a message naming the accepted forms, and format back for reports. */
#include "testutil.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "units.h"

#define SENTINEL 0xdeadbeefULL

struct ok_row {
	const char *in;
	uint64_t want;
};

struct bad_row {
	const char *in;
	int rc; /* -EINVAL or -ERANGE */
};

/* 400 nines, with and without a unit: a very long digit string */
static char long_digits[401];
static char long_digits_us[403];
static char long_fraction[410]; /* "0.000...0001s" */

static int make_long_inputs(void **state)
{
	(void)state;
	memset(long_digits, '9', 400);
	long_digits[400] = '\0';
	snprintf(long_digits_us, sizeof(long_digits_us), "%sus", long_digits);
	memset(long_fraction, '0', sizeof(long_fraction));
	long_fraction[1] = '.';
	long_fraction[sizeof(long_fraction) - 3] = '1';
	long_fraction[sizeof(long_fraction) - 2] = 's';
	long_fraction[sizeof(long_fraction) - 1] = '\0';
	return 0;
}

/* Hostile rows shared by the duration and size parsers: none of them is a value. */
static const struct bad_row hostile_rows[] = {
        {"", -EINVAL},         {"-5ms", -EINVAL},       {"-0", -EINVAL},      {"+5ms", -EINVAL},
        {"1e99s", -EINVAL},    {"1e3", -EINVAL},        {"nan", -EINVAL},     {"NaN", -EINVAL},
        {"inf", -EINVAL},      {"infinity", -EINVAL},   {" 5ms", -EINVAL},    {"5ms ", -EINVAL},
        {"5 ms", -EINVAL},     {"\t5ms", -EINVAL},      {"5ms\n", -EINVAL},   {"5xs", -EINVAL},
        {".", -EINVAL},        {".s", -EINVAL},         {"1..5s", -EINVAL},   {"1.2.3s", -EINVAL},
        {"0x10ms", -EINVAL},   {"ms", -EINVAL},         {"s", -EINVAL},       {"abc", -EINVAL},
        {"5ms5", -EINVAL},     {"5,5s", -EINVAL},       {"1_000ms", -EINVAL}, {"%s%n%x", -EINVAL},
        {"\xff\xfe", -EINVAL}, {"5\xc2\xb5s", -EINVAL}, /* 5µs: only the ASCII "us" is accepted */
};

/* ---- durations ------------------------------------------------------------------------- */

static void duration_parses_each_unit_to_microseconds(void **state)
{
	(void)state;
	static const struct ok_row rows[] = {
	        {"250ms", 250000},
	        {"1.5s", 1500000},
	        {"2m", 120000000},
	        {"150us", 150},
	        {"0", 0},
	        {"0.0", 0},
	        {"000", 0},
	        {"0us", 0},
	        {"0s", 0},
	        {"1us", 1},
	        {"1ms", 1000},
	        {"1s", 1000000},
	        {"1m", 60000000},
	        {".5s", 500000},
	        {"0.25ms", 250},
	        {"0.1s", 100000},
	        {"1.0005ms", 1001}, /* 1000.5 us rounds to the nearest microsecond */
	        {"0.4us", 0},
	        {"2.5us", 3},
	        {"007ms", 7000},
	        {"1.5m", 90000000},
	        {"86400s", 86400000000ULL},
	        {"10000000000000000000us", 10000000000000000000ULL},
	        {"18446744073709549568us", 18446744073709549568ULL}, /* largest double < 2^64 */
	        {"18446744073709551615us", UINT64_MAX},
	        {"18446744073709551614.5us", UINT64_MAX},
	        {"18446744073709551.615ms", UINT64_MAX},
	        {"9007199254740993us", 9007199254740993ULL}, /* 2^53 + 1: no double rounding */
	        {"0.0000015s", 2},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint64_t v = SENTINEL;
		char err[256] = "";
		int rc = units_parse_duration(rows[i].in, &v, err, sizeof(err));
		if (rc != 0 || v != rows[i].want)
			print_error("row %zu '%s': rc %d value %llu, want %llu (%s)\n", i,
			            rows[i].in, rc, (unsigned long long)v,
			            (unsigned long long)rows[i].want, err);
		assert_int_equal(rc, 0);
		assert_int_equal(v, rows[i].want);
	}
}

static void duration_rejects_hostile_input_and_leaves_output_alone(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(hostile_rows) / sizeof(hostile_rows[0]); i++) {
		uint64_t v = SENTINEL;
		char err[512] = "";
		int rc = units_parse_duration(hostile_rows[i].in, &v, err, sizeof(err));
		if (rc != hostile_rows[i].rc)
			print_error("row %zu '%s': rc %d, want %d (%s)\n", i, hostile_rows[i].in,
			            rc, hostile_rows[i].rc, err);
		assert_int_equal(rc, hostile_rows[i].rc);
		assert_int_equal(v, SENTINEL);
		assert_non_null(strstr(err, UNITS_DURATION_FORMS));
	}
}

static void duration_rejects_unknown_units(void **state)
{
	(void)state;
	static const char *const rows[] = {"5xs", "5h",   "5d",    "5ns",  "5MS",   "5Ms", "5S",
	                                   "5M",  "5sec", "5msec", "5mss", "5usus", "5 s", "5b"};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint64_t v = SENTINEL;
		char err[512] = "";
		assert_int_equal(units_parse_duration(rows[i], &v, err, sizeof(err)), -EINVAL);
		assert_int_equal(v, SENTINEL);
		assert_non_null(strstr(err, "unknown duration unit"));
		assert_non_null(strstr(err, UNITS_DURATION_FORMS));
	}
}

static void duration_without_unit_is_rejected_unless_zero(void **state)
{
	(void)state;
	uint64_t v = SENTINEL;
	char err[512] = "";
	assert_int_equal(units_parse_duration("250", &v, err, sizeof(err)), -EINVAL);
	assert_int_equal(v, SENTINEL);
	assert_non_null(strstr(err, "needs a unit"));
	assert_non_null(strstr(err, "250ms"));
	assert_int_equal(units_parse_duration("0.5", &v, err, sizeof(err)), -EINVAL);
	assert_int_equal(units_parse_duration("0", &v, err, sizeof(err)), 0);
	assert_int_equal(v, 0);
}

static void duration_rejects_empty_with_message(void **state)
{
	(void)state;
	uint64_t v = SENTINEL;
	char err[512] = "";
	assert_int_equal(units_parse_duration("", &v, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "empty duration"));
	assert_non_null(strstr(err, "150us, 250ms, 1.5s, 2m"));
	assert_int_equal(units_parse_duration(NULL, &v, err, sizeof(err)), -EINVAL);
	assert_int_equal(v, SENTINEL);
}

static void duration_rejects_negative_with_message(void **state)
{
	(void)state;
	uint64_t v = SENTINEL;
	char err[512] = "";
	assert_int_equal(units_parse_duration("-5ms", &v, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "negative"));
	assert_non_null(strstr(err, "-5ms"));
	assert_non_null(strstr(err, UNITS_DURATION_FORMS));
}

static void duration_rejects_overflow_with_erange(void **state)
{
	(void)state;
	const char *rows[] = {"18446744073709551616us",
	                      "18446744073709551615.5us",
	                      "18446744073709551615ms",
	                      "18446744073709552s",
	                      "18446744073709551616s",
	                      "99999999999999999999m",
	                      "307445734562m", /* 2^64 us is 307445734561.8 minutes */
	                      long_digits_us};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint64_t v = SENTINEL;
		char err[1024] = "";
		int rc = units_parse_duration(rows[i], &v, err, sizeof(err));
		if (rc != -ERANGE)
			print_error("row %zu: rc %d (%s)\n", i, rc, err);
		assert_int_equal(rc, -ERANGE);
		assert_int_equal(v, SENTINEL);
		assert_non_null(strstr(err, "too large"));
		assert_non_null(strstr(err, UNITS_DURATION_FORMS));
	}
}

static void duration_survives_very_long_digit_strings(void **state)
{
	(void)state;
	uint64_t v = SENTINEL;
	char err[64]; /* shorter than the input: the message is truncated, never overrun */
	assert_int_equal(units_parse_duration(long_digits, &v, err, sizeof(err)), -EINVAL);
	assert_true(strlen(err) < sizeof(err));
	assert_int_equal(units_parse_duration(long_digits_us, &v, err, sizeof(err)), -ERANGE);
	assert_true(strlen(err) < sizeof(err));
	assert_int_equal(v, SENTINEL);
	/* 0.000...0001s underflows to 0 us, which is a valid duration */
	assert_int_equal(units_parse_duration(long_fraction, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 0);
}

static void duration_accepts_null_or_zero_length_error_buffer(void **state)
{
	(void)state;
	uint64_t v = SENTINEL;
	char err[4] = "abc";
	assert_int_equal(units_parse_duration("5xs", &v, NULL, 0), -EINVAL);
	assert_int_equal(units_parse_duration("5xs", &v, err, 0), -EINVAL);
	assert_string_equal(err, "abc");
	assert_int_equal(units_parse_duration("5xs", &v, err, 1), -EINVAL);
	assert_string_equal(err, "");
	assert_int_equal(v, SENTINEL);
}

/* however long the input, 256 bytes hold the whole message with the accepted forms; the
 * input is quoted (32 characters at most) and control bytes never reach a log */
static void error_message_quotes_input_briefly_and_always_names_forms(void **state)
{
	(void)state;
	char err[UNITS_ERR_LEN];
	uint64_t v = SENTINEL;
	double d = 0.0;
	/* 400 digits then an unknown unit: the input would be echoed twice */
	char in[420];
	snprintf(in, sizeof(in), "%sxs", long_digits);
	assert_int_equal(units_parse_duration(in, &v, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, UNITS_DURATION_FORMS));
	assert_non_null(strstr(err, "'xs'"));
	/* a long unit or number is cut at 32 characters */
	char unit[420] = "5";
	memset(unit + 1, 'q', 400);
	assert_int_equal(units_parse_duration(unit, &v, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "'qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq...'"));
	assert_non_null(strstr(err, UNITS_DURATION_FORMS));
	assert_int_equal(units_parse_u64(long_digits, 0, 9, &v, err, sizeof(err)), -ERANGE);
	assert_non_null(strstr(err, "'99999999999999999999999999999999...'"));
	assert_int_equal(units_parse_size(in, &v, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, UNITS_SIZE_FORMS));
	assert_int_equal(units_parse_duration(long_digits_us, &v, err, sizeof(err)), -ERANGE);
	assert_non_null(strstr(err, UNITS_DURATION_FORMS));
	assert_int_equal(units_parse_u64(in, 1, 9, &v, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "from 1 to 9"));
	assert_int_equal(units_parse_double(in, 1, 9, &d, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "from 1 to 9"));
	assert_int_equal(v, SENTINEL);
	/* terminal escapes, newlines and UTF-8 are shown as '?' */
	assert_int_equal(units_parse_duration("5\x1b[2J\nms\xc2\xb5", &v, err, sizeof(err)),
	                 -EINVAL);
	for (const char *p = err; *p; p++)
		assert_true(*p >= 0x20 && *p < 0x7f);
	assert_non_null(strstr(err, "'?[2J?ms?"
	                            "?'")); /* split: no trigraph */
	/* the unknown unit is quoted */
	assert_int_equal(units_parse_duration("5xs", &v, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "unknown duration unit 'xs'"));
}

/* every message, for every hostile or very long input, fits UNITS_ERR_LEN whole: the
 * server and client pass buffers of that size and the accepted forms come last */
static void every_error_message_fits_units_err_len(void **state)
{
	(void)state;
	static char longs[8][460];
	snprintf(longs[0], sizeof(longs[0]), "%sxs", long_digits);
	snprintf(longs[1], sizeof(longs[1]), "-%s", long_digits);
	snprintf(longs[2], sizeof(longs[2]), "%s", long_digits_us);
	snprintf(longs[3], sizeof(longs[3]), "1%s", long_digits + 200); /* 201 digits, no unit */
	memset(longs[4], 'x', 450);
	snprintf(longs[5], sizeof(longs[5]), "5%.*s", 440, long_digits_us + 1);
	memset(longs[5] + 1, 'K', 400); /* "5KKKK...": a 400-character unknown unit */
	snprintf(longs[6], sizeof(longs[6]), "%sGiB", long_digits);
	snprintf(longs[7], sizeof(longs[7]), "1.%s", long_digits);
	const char *inputs[8 + sizeof(hostile_rows) / sizeof(hostile_rows[0])];
	size_t n = 0;
	for (size_t i = 0; i < 8; i++)
		inputs[n++] = longs[i];
	for (size_t i = 0; i < sizeof(hostile_rows) / sizeof(hostile_rows[0]); i++)
		inputs[n++] = hostile_rows[i].in;
	for (size_t i = 0; i < n; i++) {
		char err[1024];
		uint64_t v;
		double d;
		err[0] = '\0';
		if (units_parse_duration(inputs[i], &v, err, sizeof(err)) != 0) {
			assert_true(strlen(err) < UNITS_ERR_LEN);
			assert_non_null(strstr(err, UNITS_DURATION_FORMS));
		}
		err[0] = '\0';
		if (units_parse_size(inputs[i], &v, err, sizeof(err)) != 0) {
			assert_true(strlen(err) < UNITS_ERR_LEN);
			assert_non_null(strstr(err, UNITS_SIZE_FORMS));
		}
		err[0] = '\0';
		if (units_parse_u64(inputs[i], 0, UINT64_MAX, &v, err, sizeof(err)) != 0) {
			assert_true(strlen(err) < UNITS_ERR_LEN);
			assert_non_null(strstr(err, "0 to 18446744073709551615"));
		}
		err[0] = '\0';
		if (units_parse_double(inputs[i], -1.5e300, 1.5e300, &d, err, sizeof(err)) != 0) {
			assert_true(strlen(err) < UNITS_ERR_LEN);
			assert_non_null(strstr(err, "-1.5e+300 to 1.5e+300"));
		}
	}
}

/* ---- sizes ----------------------------------------------------------------------------- */

static void size_parses_bytes_and_each_unit(void **state)
{
	(void)state;
	static const struct ok_row rows[] = {
	        {"512", 512},
	        {"28KiB", 28672},
	        {"1MB", 1000000},
	        {"0", 0},
	        {"0B", 0},
	        {"1B", 1},
	        {"1KB", 1000},
	        {"1KiB", 1024},
	        {"1MiB", 1048576},
	        {"1GB", 1000000000},
	        {"1GiB", 1073741824},
	        {"1.5KiB", 1536},
	        {"0.5MiB", 524288},
	        {"28kib", 28672},
	        {"1mb", 1000000},
	        {"1b", 1},
	        {"4096", 4096},
	        {"18446744073709549568", 18446744073709549568ULL},
	        {"18446744073709551615", UINT64_MAX},
	        {"9007199254740993", 9007199254740993ULL},
	        {"17179869183.99999999GiB", 18446744073709551605ULL},
	        {"16GiB", 17179869184ULL},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint64_t v = SENTINEL;
		char err[256] = "";
		int rc = units_parse_size(rows[i].in, &v, err, sizeof(err));
		if (rc != 0 || v != rows[i].want)
			print_error("row %zu '%s': rc %d value %llu, want %llu (%s)\n", i,
			            rows[i].in, rc, (unsigned long long)v,
			            (unsigned long long)rows[i].want, err);
		assert_int_equal(rc, 0);
		assert_int_equal(v, rows[i].want);
	}
}

static void size_rejects_hostile_input_and_leaves_output_alone(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(hostile_rows) / sizeof(hostile_rows[0]); i++) {
		const char *in = hostile_rows[i].in;
		/* "s" is not a size unit either, so every row stays invalid */
		uint64_t v = SENTINEL;
		char err[512] = "";
		int rc = units_parse_size(in, &v, err, sizeof(err));
		if (rc != hostile_rows[i].rc)
			print_error("row %zu '%s': rc %d, want %d (%s)\n", i, in, rc,
			            hostile_rows[i].rc, err);
		assert_int_equal(rc, hostile_rows[i].rc);
		assert_int_equal(v, SENTINEL);
		assert_non_null(strstr(err, UNITS_SIZE_FORMS));
	}
}

static void size_rejects_unknown_units(void **state)
{
	(void)state;
	static const char *const rows[] = {"5xs",   "5K",    "5M",    "5G",     "5TB", "5TiB",
	                                   "5KIBB", "5 KiB", "5KiB ", "5bytes", "5ms", "5KiB5"};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint64_t v = SENTINEL;
		char err[512] = "";
		assert_int_equal(units_parse_size(rows[i], &v, err, sizeof(err)), -EINVAL);
		assert_int_equal(v, SENTINEL);
		assert_non_null(strstr(err, "unknown size unit"));
		assert_non_null(strstr(err, "28KiB, 1MB"));
	}
}

static void size_rejects_overflow_with_erange(void **state)
{
	(void)state;
	const char *rows[] = {"18446744073709551616", "18446744073709551615.5", "17179869184GiB",
	                      "18446744073709552KB", long_digits};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint64_t v = SENTINEL;
		char err[1024] = "";
		int rc = units_parse_size(rows[i], &v, err, sizeof(err));
		if (rc != -ERANGE)
			print_error("row %zu: rc %d (%s)\n", i, rc, err);
		assert_int_equal(rc, -ERANGE);
		assert_int_equal(v, SENTINEL);
		assert_non_null(strstr(err, "too large"));
		assert_non_null(strstr(err, UNITS_SIZE_FORMS));
	}
}

static void size_rejects_negative_and_nan_with_message(void **state)
{
	(void)state;
	uint64_t v = SENTINEL;
	char err[512] = "";
	assert_int_equal(units_parse_size("-1KiB", &v, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "negative size"));
	assert_non_null(strstr(err, UNITS_SIZE_FORMS));
	assert_int_equal(units_parse_size("nan", &v, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "invalid size 'nan'"));
	assert_non_null(strstr(err, UNITS_SIZE_FORMS));
	assert_int_equal(v, SENTINEL);
}

/* ---- plain integers -------------------------------------------------------------------- */

static void u64_accepts_integers_within_range(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		uint64_t min, max, want;
	} rows[] = {
	        {"0", 0, 10, 0},
	        {"10", 0, 10, 10},
	        {"1", 1, 1, 1},
	        {"007", 0, 10, 7},
	        {"65535", 1, 65535, 65535},
	        {"18446744073709551615", 0, UINT64_MAX, UINT64_MAX},
	        {"18446744073709551614", 0, UINT64_MAX, UINT64_MAX - 1},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint64_t v = SENTINEL;
		char err[256] = "";
		assert_int_equal(
		        units_parse_u64(rows[i].in, rows[i].min, rows[i].max, &v, err, sizeof(err)),
		        0);
		assert_int_equal(v, rows[i].want);
	}
}

static void u64_rejects_hostile_and_out_of_range_input(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		uint64_t min, max;
		int rc;
	} rows[] = {
	        {"", 0, 10, -EINVAL},
	        {"-1", 0, 10, -EINVAL},
	        {"-0", 0, 10, -EINVAL},
	        {"+1", 0, 10, -EINVAL},
	        {" 1", 0, 10, -EINVAL},
	        {"1 ", 0, 10, -EINVAL},
	        {"1.0", 0, 10, -EINVAL},
	        {"1e3", 0, 10000, -EINVAL},
	        {"0x10", 0, 100, -EINVAL},
	        {"nan", 0, 10, -EINVAL},
	        {"inf", 0, 10, -EINVAL},
	        {"5ms", 0, 10, -EINVAL},
	        {".", 0, 10, -EINVAL},
	        {"11", 0, 10, -ERANGE},
	        {"0", 1, 10, -ERANGE},
	        {"65536", 1, 65535, -ERANGE},
	        {"18446744073709551616", 0, UINT64_MAX, -ERANGE},
	        {"99999999999999999999999", 0, UINT64_MAX, -ERANGE},
	        {"99999999999999999999999x", 0, UINT64_MAX, -EINVAL},
	        {"99999999999999999999999 ", 0, 10, -EINVAL},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint64_t v = SENTINEL;
		char err[256] = "";
		int rc =
		        units_parse_u64(rows[i].in, rows[i].min, rows[i].max, &v, err, sizeof(err));
		if (rc != rows[i].rc)
			print_error("row %zu '%s': rc %d, want %d\n", i, rows[i].in, rc,
			            rows[i].rc);
		assert_int_equal(rc, rows[i].rc);
		assert_int_equal(v, SENTINEL);
		/* every message names the accepted range */
		char range[96];
		snprintf(range, sizeof(range), "%llu to %llu", (unsigned long long)rows[i].min,
		         (unsigned long long)rows[i].max);
		assert_non_null(strstr(err, range));
	}
	uint64_t v = SENTINEL;
	assert_int_equal(units_parse_u64(NULL, 0, 10, &v, NULL, 0), -EINVAL);
	assert_int_equal(units_parse_u64(long_digits, 0, UINT64_MAX, &v, NULL, 0), -ERANGE);
	assert_int_equal(v, SENTINEL);
}

/* ---- plain decimals -------------------------------------------------------------------- */

static void double_accepts_decimals_within_range(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		double min, max, want;
	} rows[] = {
	        {"1", 0, 10, 1.0},
	        {"1.5", 0, 10, 1.5},
	        {"0.01", 0, 1, 0.01},
	        {".5", 0, 1, 0.5},
	        {"0", 0, 1, 0.0},
	        {"10", 0, 10, 10.0},
	        {"1000000", 0, 1e9, 1e6},
	        {"-1.5", -2, 2, -1.5},
	        {"-2", -2, 2, -2.0},
	        {"0.001", 0.001, 1, 0.001},
	        {"0.0000000000000000000000000001", 0, 1, 1e-28},
	        {"123456789012345678901234567890.5", 0, 1e30, 1.234567890123456789e29},
	        {"3.14159265358979323846264338327950288", 0, 4, 3.14159265358979323846},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		double v = -999.0;
		char err[256] = "";
		int rc = units_parse_double(rows[i].in, rows[i].min, rows[i].max, &v, err,
		                            sizeof(err));
		if (rc != 0)
			print_error("row %zu '%s': rc %d (%s)\n", i, rows[i].in, rc, err);
		assert_int_equal(rc, 0);
		assert_true(fabs(v - rows[i].want) <= 1e-14 * fabs(rows[i].want));
	}
}

/* hundreds of zeros after the point still give the tiny number, not 0 */
static void double_keeps_tiny_values_with_many_leading_zeros(void **state)
{
	(void)state;
	char in[310] = "0.";
	memset(in + 2, '0', 296);
	strcpy(in + 298, "5"); /* 5e-297 */
	double v = 0.0;
	assert_int_equal(units_parse_double(in, 0, 1, &v, NULL, 0), 0);
	assert_true(fabs(v - 5e-297) <= 1e-14 * 5e-297);
}

static void double_rejects_hostile_and_out_of_range_input(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		double min, max;
		int rc;
	} rows[] = {
	        {"", 0, 10, -EINVAL},       {"nan", 0, 10, -EINVAL},      {"NAN", 0, 10, -EINVAL},
	        {"inf", 0, 1e308, -EINVAL}, {"-inf", -1e308, 0, -EINVAL}, {"1e3", 0, 1e9, -EINVAL},
	        {"0x1p3", 0, 100, -EINVAL}, {" 1", 0, 10, -EINVAL},       {"1 ", 0, 10, -EINVAL},
	        {"+1", 0, 10, -EINVAL},     {".", 0, 10, -EINVAL},        {"1..5", 0, 10, -EINVAL},
	        {"1.5x", 0, 10, -EINVAL},   {"--1", -10, 10, -EINVAL},    {"-", -10, 10, -EINVAL},
	        {"-.", -10, 10, -EINVAL},   {"10.5", 0, 10, -ERANGE},     {"-1", 0, 10, -ERANGE},
	        {"0", 0.001, 1, -ERANGE},   {"5", 10, 20, -ERANGE},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		double v = -999.0;
		char err[256] = "";
		int rc = units_parse_double(rows[i].in, rows[i].min, rows[i].max, &v, err,
		                            sizeof(err));
		if (rc != rows[i].rc)
			print_error("row %zu '%s': rc %d, want %d (%s)\n", i, rows[i].in, rc,
			            rows[i].rc, err);
		assert_int_equal(rc, rows[i].rc);
		assert_true(v == -999.0);
		char range[96];
		snprintf(range, sizeof(range), "%g to %g", rows[i].min, rows[i].max);
		assert_non_null(strstr(err, range));
	}
	double v = -999.0;
	assert_int_equal(units_parse_double(long_digits, 0, 1e308, &v, NULL, 0), -ERANGE);
	assert_true(v == -999.0);
}

/* ---- formatting ------------------------------------------------------------------------ */

static void duration_formats_for_humans(void **state)
{
	(void)state;
	static const struct {
		uint64_t us;
		const char *want;
	} rows[] = {
	        {0, "0us"},
	        {150, "150us"},
	        {999, "999us"},
	        {1000, "1.00ms"},
	        {1500, "1.50ms"},
	        {9994, "9.99ms"},
	        {9996, "10.0ms"},
	        {12345, "12.3ms"},
	        {99949, "99.9ms"},
	        {99960, "100ms"},
	        {250000, "250ms"},
	        {999499, "999ms"},
	        {999600, "1.00s"},
	        {999999, "1.00s"},
	        {1500000, "1.50s"},
	        {59994999, "59.99s"},
	        {59995000, "1m00s"},
	        {59999999, "1m00s"},
	        {120000000, "2m00s"},
	        {125000000, "2m05s"},
	        {125600000, "2m06s"},
	        {3600000000ULL, "60m00s"},
	        {UINT64_MAX, "307445734561m50s"},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char buf[32];
		assert_ptr_equal(units_format_duration(rows[i].us, buf, sizeof(buf)), buf);
		assert_string_equal(buf, rows[i].want);
	}
}

static void size_formats_for_humans(void **state)
{
	(void)state;
	static const struct {
		uint64_t bytes;
		const char *want;
	} rows[] = {
	        {0, "0B"},
	        {512, "512B"},
	        {1023, "1023B"},
	        {1024, "1.0KiB"},
	        {28672, "28.0KiB"},
	        {1048524, "1023.9KiB"},
	        {1048575, "1.00MiB"},
	        {1048576, "1.00MiB"},
	        {1000000, "976.6KiB"},
	        {1073741823, "1.00GiB"},
	        {1073741824, "1.00GiB"},
	        {17179869184ULL, "16.00GiB"},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char buf[32];
		assert_ptr_equal(units_format_size(rows[i].bytes, buf, sizeof(buf)), buf);
		assert_string_equal(buf, rows[i].want);
	}
}

static void format_truncates_to_the_buffer(void **state)
{
	(void)state;
	char buf[4];
	units_format_duration(123456, buf, sizeof(buf));
	assert_string_equal(buf, "123");
	units_format_size(28672, buf, sizeof(buf));
	assert_string_equal(buf, "28.");
}

/* Single-unit text (below 59.995 s) parses back to within its printed precision (3
 * significant digits); sizes likewise. */
static void duration_round_trips_through_format(void **state)
{
	(void)state;
	for (uint64_t us = 0; us < 59995000; us = us < 100 ? us + 1 : us * 21 / 20) {
		char buf[32], err[256] = "";
		uint64_t back = SENTINEL;
		units_format_duration(us, buf, sizeof(buf));
		int rc = units_parse_duration(buf, &back, err, sizeof(err));
		if (rc != 0)
			print_error("%llu -> '%s': %s\n", (unsigned long long)us, buf, err);
		assert_int_equal(rc, 0);
		double tol = us < 1000 ? 0.0 : (double)us * 0.005 + 0.5;
		if (fabs((double)back - (double)us) > tol)
			print_error("%llu -> '%s' -> %llu\n", (unsigned long long)us, buf,
			            (unsigned long long)back);
		assert_true(fabs((double)back - (double)us) <= tol);
	}
}

/* What units_format_duration prints from one minute on ("2m05s") parses back, so an error
 * message quoting a limit never shows a form the parser rejects. */
static void duration_accepts_minutes_then_seconds(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		uint64_t want;
	} rows[] = {
	        {"1m00s", 60000000},       {"2m05s", 125000000},  {"2m5s", 125000000},
	        {"1m30.5s", 90500000},     {"1m250ms", 60250000}, {"0m1us", 1},
	        {"60m00s", 3600000000ULL},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint64_t v = SENTINEL;
		char err[UNITS_ERR_LEN] = "";
		assert_int_equal(units_parse_duration(rows[i].in, &v, err, sizeof(err)), 0);
		assert_int_equal(v, rows[i].want);
	}
	static const char *const bad[] = {"1m5",   "1m5m",  "1m5xs", "1m-5s", "m5s",
	                                  "1m 5s", "1m5s ", "1m.s",  "1ms5s"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t v = SENTINEL;
		char err[UNITS_ERR_LEN] = "";
		assert_int_equal(units_parse_duration(bad[i], &v, err, sizeof(err)), -EINVAL);
		assert_int_equal(v, SENTINEL);
		assert_non_null(strstr(err, UNITS_DURATION_FORMS));
	}
	uint64_t v = SENTINEL;
	char err[UNITS_ERR_LEN] = "";
	assert_int_equal(units_parse_duration("307445734562m00s", &v, err, sizeof(err)), -ERANGE);
	assert_int_equal(units_parse_duration("1m18446744073709551615us", &v, err, sizeof(err)),
	                 -ERANGE);
	assert_int_equal(units_parse_duration("99999999999999999999999m1s", &v, err, sizeof(err)),
	                 -ERANGE);
	assert_int_equal(v, SENTINEL);
	assert_non_null(strstr(err, "too large"));
}

static void duration_minutes_round_trip_through_format(void **state)
{
	(void)state;
	for (uint64_t us = 59995000; us < 100ULL * 3600 * 1000000; us = us * 21 / 20) {
		char buf[32], err[UNITS_ERR_LEN] = "";
		uint64_t back = SENTINEL;
		units_format_duration(us, buf, sizeof(buf));
		assert_int_equal(units_parse_duration(buf, &back, err, sizeof(err)), 0);
		/* printed to the second, rounded */
		assert_true(back + 500000 >= us && back <= us + 500000);
	}
}

static void size_round_trips_through_format(void **state)
{
	(void)state;
	for (uint64_t b = 0; b < (1ULL << 40); b = b < 100 ? b + 1 : b * 21 / 20) {
		char buf[32], err[256] = "";
		uint64_t back = SENTINEL;
		units_format_size(b, buf, sizeof(buf));
		int rc = units_parse_size(buf, &back, err, sizeof(err));
		if (rc != 0)
			print_error("%llu -> '%s': %s\n", (unsigned long long)b, buf, err);
		assert_int_equal(rc, 0);
		/* half a unit of the last printed digit: 0.1 KiB, 0.01 MiB or GiB */
		double tol = b < 1024 ? 0.0 : b < 1048576 ? 52.0 : (double)b * 0.005 + 1.0;
		assert_true(fabs((double)back - (double)b) <= tol);
	}
}

static void parsed_exact_values_format_back_exactly(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} rows[] = {
	        {"150us", "150us"},
	        {"250ms", "250ms"},
	        {"1.5s", "1.50s"},
	        {"2m", "2m00s"},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint64_t v = 0;
		char buf[32];
		assert_int_equal(units_parse_duration(rows[i].in, &v, NULL, 0), 0);
		assert_string_equal(units_format_duration(v, buf, sizeof(buf)), rows[i].out);
	}
	uint64_t b = 0;
	char buf[32];
	assert_int_equal(units_parse_size("28KiB", &b, NULL, 0), 0);
	assert_string_equal(units_format_size(b, buf, sizeof(buf)), "28.0KiB");
	assert_int_equal(units_parse_size("512", &b, NULL, 0), 0);
	assert_string_equal(units_format_size(b, buf, sizeof(buf)), "512B");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(duration_parses_each_unit_to_microseconds),
	        cmocka_unit_test(duration_rejects_hostile_input_and_leaves_output_alone),
	        cmocka_unit_test(duration_rejects_unknown_units),
	        cmocka_unit_test(duration_without_unit_is_rejected_unless_zero),
	        cmocka_unit_test(duration_rejects_empty_with_message),
	        cmocka_unit_test(duration_rejects_negative_with_message),
	        cmocka_unit_test(duration_rejects_overflow_with_erange),
	        cmocka_unit_test(duration_survives_very_long_digit_strings),
	        cmocka_unit_test(duration_accepts_null_or_zero_length_error_buffer),
	        cmocka_unit_test(error_message_quotes_input_briefly_and_always_names_forms),
	        cmocka_unit_test(every_error_message_fits_units_err_len),
	        cmocka_unit_test(size_parses_bytes_and_each_unit),
	        cmocka_unit_test(size_rejects_hostile_input_and_leaves_output_alone),
	        cmocka_unit_test(size_rejects_unknown_units),
	        cmocka_unit_test(size_rejects_overflow_with_erange),
	        cmocka_unit_test(size_rejects_negative_and_nan_with_message),
	        cmocka_unit_test(u64_accepts_integers_within_range),
	        cmocka_unit_test(u64_rejects_hostile_and_out_of_range_input),
	        cmocka_unit_test(double_accepts_decimals_within_range),
	        cmocka_unit_test(double_keeps_tiny_values_with_many_leading_zeros),
	        cmocka_unit_test(double_rejects_hostile_and_out_of_range_input),
	        cmocka_unit_test(duration_formats_for_humans),
	        cmocka_unit_test(size_formats_for_humans),
	        cmocka_unit_test(format_truncates_to_the_buffer),
	        cmocka_unit_test(duration_round_trips_through_format),
	        cmocka_unit_test(duration_accepts_minutes_then_seconds),
	        cmocka_unit_test(duration_minutes_round_trip_through_format),
	        cmocka_unit_test(size_round_trips_through_format),
	        cmocka_unit_test(parsed_exact_values_format_back_exactly),
	};
	return cmocka_run_group_tests(tests, make_long_inputs, NULL);
}
