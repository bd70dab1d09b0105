/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for src/size.c: SIZE parsing and formatting. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "size.h"
#include "util.h"

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define TiB (1ULL << 40)

static const struct {
	const char *text;
	uint64_t bytes;
} good_bytes[] = {
	{ "0", 0 },
	{ "1", 1 },
	{ "512", 512 },
	{ "4096", 4096 },
	{ "007", 7 },
	{ "1K", KiB },
	{ "1k", KiB },
	{ "64M", 64 * MiB },
	{ "64m", 64 * MiB },
	{ "2G", 2 * GiB },
	{ "2g", 2 * GiB },
	{ "3T", 3 * TiB },
	{ "3t", 3 * TiB },
	{ "128KiB", 128 * KiB },
	{ "128kib", 128 * KiB },
	{ "128KIB", 128 * KiB },
	{ "128KB", 128 * KiB },
	{ "128kb", 128 * KiB },
	{ "128Kb", 128 * KiB },
	{ "256MiB", 256 * MiB },
	{ "1GiB", GiB },
	{ "1TiB", TiB },
	{ "100B", 100 },
	{ "100b", 100 },
	{ "1.5G", GiB + GiB / 2 },
	{ "1.5GiB", GiB + GiB / 2 },
	{ "0.5K", 512 },
	{ "0.25M", 256 * KiB },
	{ "2.0M", 2 * MiB },
	/* A fraction of a unit rounds down to whole bytes. */
	{ "0.1K", 102 },
	{ "9223372036854775807", SIZE_MAX_BYTES },
	{ "9223372036854775807B", SIZE_MAX_BYTES },
	{ "8589934591G", SIZE_MAX_BYTES - (GiB - 1) },
	{ "8388607T", SIZE_MAX_BYTES - (TiB - 1) },
};

static void test_parse_bytes(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(good_bytes); i++) {
		struct size_spec spec = { .kind = SIZE_UNLIMITED, .bytes = 12345 };
		_cleanup_free_ char *why = NULL;
		int r = size_parse(good_bytes[i].text, &spec, &why);

		if (r != 0)
			fail_msg("size_parse(\"%s\") = %d (%s), expected success",
				 good_bytes[i].text, r, why ? why : "no reason");
		if (spec.kind != SIZE_BYTES || spec.bytes != good_bytes[i].bytes)
			fail_msg("size_parse(\"%s\") gave kind %d, %llu bytes; expected %llu bytes",
				 good_bytes[i].text, spec.kind, (unsigned long long)spec.bytes,
				 (unsigned long long)good_bytes[i].bytes);
	}
}

static const struct {
	const char *text;
	uint32_t percent_milli;
} good_percent[] = {
	{ "50%", 50000 },
	{ "1%", 1000 },
	{ "100%", 100000 },
	{ "12.5%", 12500 },
	{ "0.5%", 500 },
	{ "0.001%", 1 },
	{ "99.999%", 99999 },
	/* Thousandths of a percent; finer digits are dropped. */
	{ "33.3339%", 33333 },
	{ "100.000%", 100000 },
};

static void test_parse_percent(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(good_percent); i++) {
		struct size_spec spec = { 0 };
		_cleanup_free_ char *why = NULL;
		int r = size_parse(good_percent[i].text, &spec, &why);

		if (r != 0)
			fail_msg("size_parse(\"%s\") = %d (%s), expected success",
				 good_percent[i].text, r, why ? why : "no reason");
		if (spec.kind != SIZE_PERCENT ||
		    spec.percent_milli != good_percent[i].percent_milli)
			fail_msg("size_parse(\"%s\") gave kind %d, %u milli-percent; expected %u",
				 good_percent[i].text, spec.kind, spec.percent_milli,
				 good_percent[i].percent_milli);
	}
}

static const char *const good_unlimited[] = {
	"max", "MAX", "Max", "unlimited", "UNLIMITED", "Unlimited",
	"infinity", "INFINITY", "Infinity",
};

static void test_parse_unlimited(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(good_unlimited); i++) {
		struct size_spec spec = { .kind = SIZE_BYTES, .bytes = 1 };
		_cleanup_free_ char *why = NULL;
		int r = size_parse(good_unlimited[i], &spec, &why);

		if (r != 0 || spec.kind != SIZE_UNLIMITED)
			fail_msg("size_parse(\"%s\") = %d, kind %d; expected unlimited",
				 good_unlimited[i], r, spec.kind);
	}
}

static const struct {
	const char *text;
	int error;
} bad[] = {
	{ "", -EINVAL },
	{ "-1", -ERANGE },
	{ "-5M", -ERANGE },
	{ "-0", -ERANGE },
	{ "abc", -EINVAL },
	{ "M", -EINVAL },
	{ "5X", -EINVAL },
	{ "5MiBx", -EINVAL },
	{ "5MM", -EINVAL },
	{ "5iB", -EINVAL },
	{ "5Bi", -EINVAL },
	{ "5KiBB", -EINVAL },
	{ "1.5", -EINVAL },
	{ "1.5B", -EINVAL },
	{ "1.", -EINVAL },
	{ "1.G", -EINVAL },
	{ ".5G", -EINVAL },
	{ "1..5G", -EINVAL },
	{ "1.5.5G", -EINVAL },
	{ " 5M", -EINVAL },
	{ "5 M", -EINVAL },
	{ "5M ", -EINVAL },
	{ "+5M", -EINVAL },
	{ "0x10", -EINVAL },
	{ "1e3", -EINVAL },
	{ "maximum", -EINVAL },
	{ "max ", -EINVAL },
	{ "0%", -ERANGE },
	{ "0.0%", -ERANGE },
	{ "0.0001%", -ERANGE },
	{ "101%", -ERANGE },
	{ "100.001%", -ERANGE },
	{ "1000%", -ERANGE },
	{ "99999999999999999999999%", -ERANGE },
	{ "5%x", -EINVAL },
	{ "5%%", -EINVAL },
	{ "%", -EINVAL },
	{ "5 %", -EINVAL },
	{ "-5%", -ERANGE },
	{ "9223372036854775808", -ERANGE },
	{ "9223372036854775808B", -ERANGE },
	{ "18446744073709551616", -ERANGE },
	{ "99999999999999999999999", -ERANGE },
	{ "99999999999999999999999K", -ERANGE },
	{ "8589934592G", -ERANGE },
	{ "8589934592.0G", -ERANGE },
	{ "8388608T", -ERANGE },
	{ "17179869184T", -ERANGE },
	{ "9007199254740992K", -ERANGE },
};

static void test_parse_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		const struct size_spec before = { .kind = SIZE_BYTES, .bytes = 4242 };
		struct size_spec spec = before;
		_cleanup_free_ char *why = NULL;
		int r = size_parse(bad[i].text, &spec, &why);

		if (r != bad[i].error)
			fail_msg("size_parse(\"%s\") = %d, expected %d", bad[i].text, r,
				 bad[i].error);
		if (!why || !*why)
			fail_msg("size_parse(\"%s\") failed without a reason", bad[i].text);
		/* A parser writes its result only on success. */
		if (spec.kind != before.kind || spec.bytes != before.bytes)
			fail_msg("size_parse(\"%s\") wrote its result on failure", bad[i].text);
	}
}

static void test_parse_null_and_no_reason(void **state)
{
	struct size_spec spec;

	(void)state;
	assert_int_equal(size_parse(NULL, &spec, NULL), -EINVAL);
	/* ret_why is optional. */
	assert_int_equal(size_parse("junk", &spec, NULL), -EINVAL);
	assert_int_equal(size_parse("64M", &spec, NULL), 0);
	assert_int_equal(spec.bytes, 64 * MiB);
}

static void test_parse_reasons(void **state)
{
	static const struct {
		const char *text;
		int error;
		const char *why_holds;
	} cases[] = {
		{ "-5M", -ERANGE, "negative" },
		{ "101%", -ERANGE, "100%" },
		{ "99999999999999999999999", -ERANGE, "too large" },
		{ "5X", -EINVAL, "unit" },
		{ "1.5", -EINVAL, "whole number" },
	};
	struct size_spec spec;

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_free_ char *why = NULL;

		assert_int_equal(size_parse(cases[i].text, &spec, &why), cases[i].error);
		assert_non_null(strstr(why, cases[i].why_holds));
		/* A reason is read in a sentence: no period of its own. */
		assert_true(why[strlen(why) - 1] != '.');
	}
}

static void test_largest_accepted(void **state)
{
	struct size_spec spec;

	(void)state;
	assert_int_equal(SIZE_MAX_BYTES, (uint64_t)INT64_MAX);
	assert_int_equal(size_parse("8589934591.999999G", &spec, NULL), 0);
	assert_int_equal(spec.kind, SIZE_BYTES);
	assert_true(spec.bytes <= SIZE_MAX_BYTES);
	assert_true(spec.bytes > SIZE_MAX_BYTES - GiB);
	assert_int_equal(size_parse("8589934592G", &spec, NULL), -ERANGE);
	assert_int_equal(size_parse("9223372036854775807", &spec, NULL), 0);
	assert_int_equal(spec.bytes, SIZE_MAX_BYTES);
}

static const struct {
	uint32_t percent_milli;
	uint64_t budget;
	uint64_t bytes;
} percent_of[] = {
	{ 50000, 8 * GiB, 4 * GiB },
	{ 100000, 8 * GiB, 8 * GiB },
	{ 12500, 8 * GiB, GiB },
	{ 1, 100000, 1 },
	{ 1, 99999, 0 },
	{ 33333, 3000000, 999990 },
	{ 50000, 0, 0 },
	/* No overflow for the largest budget. */
	{ 100000, SIZE_MAX_BYTES, SIZE_MAX_BYTES },
	{ 50000, UINT64_MAX, UINT64_MAX / 2 },
};

static void test_percent_of(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(percent_of); i++) {
		uint64_t got = size_percent_of(percent_of[i].percent_milli, percent_of[i].budget);

		if (got != percent_of[i].bytes)
			fail_msg("size_percent_of(%u, %llu) = %llu, expected %llu",
				 percent_of[i].percent_milli,
				 (unsigned long long)percent_of[i].budget,
				 (unsigned long long)got, (unsigned long long)percent_of[i].bytes);
	}
}

static const struct {
	uint64_t bytes;
	const char *text;
} formats[] = {
	{ 0, "0 B" },
	{ 1, "1 B" },
	{ 512, "512 B" },
	{ 1023, "1023 B" },
	{ 1024, "1 KiB" },
	{ 1536, "1.5 KiB" },
	{ 64 * MiB, "64 MiB" },
	{ 200 * MiB, "200 MiB" },
	{ GiB + GiB / 2, "1.5 GiB" },
	{ GiB + 4 * GiB / 10, "1.4 GiB" },
	{ 2 * GiB, "2 GiB" },
	{ 3 * TiB, "3 TiB" },
	{ 1ULL << 50, "1 PiB" },
	{ 1ULL << 60, "1 EiB" },
	{ 1023 * MiB, "1023 MiB" },
	/* Just under a unit reads as the unit, never "1024.0 MiB". */
	{ GiB - 1, "1.0 GiB" },
	{ MiB - 1, "1.0 MiB" },
	{ GiB - MiB / 32, "1.0 GiB" },
	{ 1023 * MiB + MiB / 2, "1023.5 MiB" },
	{ SIZE_MAX_BYTES, "8.0 EiB" },
};

static void test_format(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(formats); i++) {
		char buf[32];
		const char *got = size_format(formats[i].bytes, buf);

		if (got != buf || !streq(got, formats[i].text))
			fail_msg("size_format(%llu) = \"%s\", expected \"%s\"",
				 (unsigned long long)formats[i].bytes, got, formats[i].text);
	}
}

static const struct {
	const char *input;
	const char *text;
} spec_formats[] = {
	{ "50%", "50%" },
	{ "100%", "100%" },
	{ "12.5%", "12.5%" },
	{ "0.25%", "0.25%" },
	{ "0.001%", "0.001%" },
	{ "33.333%", "33.333%" },
	{ "max", "max" },
	{ "unlimited", "max" },
	{ "64M", "64 MiB" },
	{ "1.5G", "1.5 GiB" },
	{ "512", "512 B" },
};

static void test_spec_format(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(spec_formats); i++) {
		struct size_spec spec;
		char buf[32];

		if (size_parse(spec_formats[i].input, &spec, NULL) != 0)
			fail_msg("size_parse(\"%s\") failed", spec_formats[i].input);
		if (!streq(size_spec_format(&spec, buf), spec_formats[i].text))
			fail_msg("size_spec_format(\"%s\") = \"%s\", expected \"%s\"",
				 spec_formats[i].input, buf, spec_formats[i].text);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_bytes),
		cmocka_unit_test(test_parse_percent),
		cmocka_unit_test(test_parse_unlimited),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_null_and_no_reason),
		cmocka_unit_test(test_parse_reasons),
		cmocka_unit_test(test_largest_accepted),
		cmocka_unit_test(test_percent_of),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_spec_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
