/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for src/meminfo.c: fields of a /proc/meminfo text. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "meminfo.h"
#include "util.h"

/* A real /proc/meminfo (Linux 6.1, x86_64), shortened. */
static const char meminfo_text[] =
	"MemTotal:        8039672 kB\n"
	"MemFree:          512340 kB\n"
	"MemAvailable:    6235812 kB\n"
	"Buffers:          210364 kB\n"
	"Cached:          5342204 kB\n"
	"SwapCached:            0 kB\n"
	"SwapTotal:       2097148 kB\n"
	"SwapFree:        2097148 kB\n"
	"CommitLimit:     6116984 kB\n"
	"Committed_AS:    3345120 kB\n"
	"VmallocTotal:   34359738367 kB\n"
	"HugePages_Total:       4\n"
	"HugePages_Free:        0\n"
	"HugePages_Rsvd:        0\n"
	"Hugepagesize:       2048 kB\n"
	"DirectMap1G:     2097152 kB";	/* no newline at the end */

static const struct {
	const char *field;
	int error;
	uint64_t bytes;
} fields[] = {
	{ "MemTotal", 0, 8039672ULL * 1024 },
	{ "MemFree", 0, 512340ULL * 1024 },
	{ "MemAvailable", 0, 6235812ULL * 1024 },
	{ "SwapCached", 0, 0 },
	{ "SwapTotal", 0, 2097148ULL * 1024 },
	{ "CommitLimit", 0, 6116984ULL * 1024 },
	{ "Committed_AS", 0, 3345120ULL * 1024 },
	{ "VmallocTotal", 0, 34359738367ULL * 1024 },
	/* Counts, not sizes: no kB. */
	{ "HugePages_Total", 0, 4 },
	{ "HugePages_Free", 0, 0 },
	{ "Hugepagesize", 0, 2048ULL * 1024 },
	{ "DirectMap1G", 0, 2097152ULL * 1024 },
	/* A field's name is matched whole. */
	{ "Mem", -ENOENT, 0 },
	{ "MemTotal:", -ENOENT, 0 },
	{ "memtotal", -ENOENT, 0 },
	{ "Total", -ENOENT, 0 },
	{ "Committed", -ENOENT, 0 },
	{ "HugePages", -ENOENT, 0 },
	{ "Shmem", -ENOENT, 0 },
	{ "", -ENOENT, 0 },
};

static void test_fields(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
		uint64_t bytes = 4242;
		int r = meminfo_parse(meminfo_text, fields[i].field, &bytes);

		if (r != fields[i].error)
			fail_msg("meminfo_parse(\"%s\") = %d, expected %d", fields[i].field, r,
				 fields[i].error);
		if (r == 0 && bytes != fields[i].bytes)
			fail_msg("meminfo_parse(\"%s\") gave %llu bytes, expected %llu",
				 fields[i].field, (unsigned long long)bytes,
				 (unsigned long long)fields[i].bytes);
		if (r < 0 && bytes != 4242)
			fail_msg("meminfo_parse(\"%s\") wrote its result on failure",
				 fields[i].field);
	}
}

static const struct {
	const char *what;
	const char *text;
	const char *field;
	int error;
	uint64_t bytes;
} texts[] = {
	{ "empty text", "", "MemTotal", -ENOENT, 0 },
	{ "only a newline", "\n", "MemTotal", -ENOENT, 0 },
	{ "a field inside a line is not a field", "XMemTotal: 5 kB\nFoo: MemTotal: 7 kB\n",
	  "MemTotal", -ENOENT, 0 },
	{ "prefix line first, the field later", "MemTotalX: 1 kB\nMemTotal: 2 kB\n",
	  "MemTotal", 0, 2048 },
	{ "blank lines around", "\n\nMemTotal: 3 kB\n\n", "MemTotal", 0, 3072 },
	{ "tab after the colon", "MemTotal:\t\t16 kB\n", "MemTotal", 0, 16384 },
	{ "no digits", "MemTotal:   kB\n", "MemTotal", -EINVAL, 0 },
	{ "junk value", "MemTotal: lots\n", "MemTotal", -EINVAL, 0 },
	{ "negative", "MemTotal: -5 kB\n", "MemTotal", -EINVAL, 0 },
	{ "the first of two wins", "MemTotal: 1 kB\nMemTotal: 2 kB\n", "MemTotal", 0, 1024 },
	{ "largest that fits in bytes", "MemTotal: 18014398509481983 kB\n", "MemTotal", 0,
	  18014398509481983ULL * 1024 },
	{ "too large for bytes", "MemTotal: 18014398509481984 kB\n", "MemTotal", -ERANGE, 0 },
	{ "a count may use all 64 bits", "HugePages_Total: 18446744073709551615\n",
	  "HugePages_Total", 0, UINT64_MAX },
	{ "a count past 64 bits", "HugePages_Total: 18446744073709551616\n",
	  "HugePages_Total", -ERANGE, 0 },
	{ "far too large", "MemTotal: 99999999999999999999999 kB\n", "MemTotal", -ERANGE, 0 },
};

static void test_texts(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(texts); i++) {
		uint64_t bytes = 4242;
		int r = meminfo_parse(texts[i].text, texts[i].field, &bytes);

		if (r != texts[i].error)
			fail_msg("%s: meminfo_parse = %d, expected %d", texts[i].what, r,
				 texts[i].error);
		if (r == 0 && bytes != texts[i].bytes)
			fail_msg("%s: %llu bytes, expected %llu", texts[i].what,
				 (unsigned long long)bytes, (unsigned long long)texts[i].bytes);
	}
}

/* The real file: MemTotal is there and plausible. */
static void test_read(void **state)
{
	uint64_t total = 0;

	(void)state;
	assert_int_equal(meminfo_read("MemTotal", &total), 0);
	assert_true(total >= 16ULL << 20);
	assert_true(total % 1024 == 0);
	assert_int_equal(meminfo_read("NoSuchField", &total), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_texts),
		cmocka_unit_test(test_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
