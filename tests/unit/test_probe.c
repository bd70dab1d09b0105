/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for probe_classify (src/probe/probe-abi.h), the probe's one
 * judgement of why an allocation was refused, and the names in probe.c. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "probe.h"
#include "probe/probe-abi.h"
#include "util.h"

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define U PROBE_UNKNOWN

#define HEAP PROBE_FLAG_HEAP
#define MAIN (PROBE_FLAG_HEAP | PROBE_FLAG_MAIN_THREAD)
#define RESERVE PROBE_FLAG_PROT_NONE

/* Every number the classifier reads, in one row. */
static const struct {
	const char *what;
	uint32_t flags;
	uint64_t bytes, heap_free;
	uint64_t vm_size, rlimit_as;
	uint64_t vm_data, rlimit_data;
	int32_t overcommit_mode;
	uint64_t committed_as, commit_limit;
	enum probe_cause cause;
} failures[] = {
	/* Fragmentation: free bytes in the main thread's brk heap, not in one piece. */
	{ "heap had the bytes free, under RLIMIT_AS", MAIN, 64 * KiB, 100 * KiB,
	  100 * MiB, 100 * MiB, U, U, 0, U, U, PROBE_CAUSE_FRAGMENTATION },
	{ "heap had exactly the bytes free", MAIN, 64 * KiB, 64 * KiB, 100 * MiB, 100 * MiB, U,
	  U, 0, U, U, PROBE_CAUSE_FRAGMENTATION },
	{ "heap had one byte too few free", MAIN, 64 * KiB, 64 * KiB - 1, 100 * MiB, 100 * MiB,
	  U, U, 0, U, U, PROBE_CAUSE_RLIMIT_AS },
	{ "fragmentation needs no limit", MAIN, 64 * KiB, 100 * KiB, U, U, U, U, -1, U, U,
	  PROBE_CAUSE_FRAGMENTATION },
	{ "fragmentation before RLIMIT_DATA", MAIN, 64 * KiB, 100 * KiB, U, U, 50 * MiB,
	  50 * MiB, 0, U, U, PROBE_CAUSE_FRAGMENTATION },
	{ "fragmentation before the commit limit", MAIN, 64 * KiB, 100 * KiB, U, U, U, U, 2,
	  GiB, GiB, PROBE_CAUSE_FRAGMENTATION },
	{ "free bytes of another thread's arena say nothing", HEAP, 64 * KiB, 100 * KiB,
	  100 * MiB, 100 * MiB, U, U, 0, U, U, PROBE_CAUSE_RLIMIT_AS },
	{ "another thread, no limit: unknown", HEAP, 64 * KiB, 100 * KiB, U, U, U, U, 0, U, U,
	  PROBE_CAUSE_UNKNOWN },
	{ "mmap is no heap call", PROBE_FLAG_MAIN_THREAD, 64 * KiB, 100 * KiB, 100 * MiB,
	  100 * MiB, U, U, 0, U, U, PROBE_CAUSE_RLIMIT_AS },
	{ "heap free unknown", MAIN, 64 * KiB, U, 100 * MiB, 100 * MiB, U, U, 0, U, U,
	  PROBE_CAUSE_RLIMIT_AS },

	/* RLIMIT_AS: a heap call needs room for glibc's 1 MiB growth, mmap its bytes. */
	{ "heap call, half the growth left", HEAP, 4 * KiB, U, 100 * MiB - 512 * KiB,
	  100 * MiB, U, U, 0, U, U, PROBE_CAUSE_RLIMIT_AS },
	{ "heap call, exactly the growth left", HEAP, 4 * KiB, U, 100 * MiB - MiB, 100 * MiB, U,
	  U, 0, U, U, PROBE_CAUSE_UNKNOWN },
	{ "heap call, one byte short of the growth", HEAP, 4 * KiB, U, 100 * MiB - MiB + 1,
	  100 * MiB, U, U, 0, U, U, PROBE_CAUSE_RLIMIT_AS },
	{ "large heap call counts its bytes", HEAP, 2 * MiB, U, 100 * MiB - 2 * MiB, 100 * MiB,
	  U, U, 0, U, U, PROBE_CAUSE_UNKNOWN },
	{ "large heap call, one byte over", HEAP, 2 * MiB, U, 100 * MiB - 2 * MiB + 1,
	  100 * MiB, U, U, 0, U, U, PROBE_CAUSE_RLIMIT_AS },
	{ "mmap with half a MiB left fits", 0, 4 * KiB, U, 100 * MiB - 512 * KiB, 100 * MiB, U,
	  U, 0, U, U, PROBE_CAUSE_UNKNOWN },
	{ "mmap exactly fits", 0, 4 * KiB, U, 100 * MiB - 4 * KiB, 100 * MiB, U, U, 0, U, U,
	  PROBE_CAUSE_UNKNOWN },
	{ "mmap one byte over", 0, 4 * KiB, U, 100 * MiB - 4 * KiB + 1, 100 * MiB, U, U, 0, U,
	  U, PROBE_CAUSE_RLIMIT_AS },
	{ "a reservation counts against RLIMIT_AS", RESERVE, GiB, U, 100 * MiB, GiB, U, U, 0,
	  U, U, PROBE_CAUSE_RLIMIT_AS },
	{ "RLIMIT_AS before RLIMIT_DATA", HEAP, 4 * MiB, U, 100 * MiB, 100 * MiB, 50 * MiB,
	  50 * MiB, 0, U, U, PROBE_CAUSE_RLIMIT_AS },
	{ "RLIMIT_AS before the commit limit", 0, 4 * MiB, U, 100 * MiB, 100 * MiB, U, U, 2,
	  GiB, GiB, PROBE_CAUSE_RLIMIT_AS },
	{ "no RLIMIT_AS", 0, 4 * MiB, U, 100 * MiB, U, U, U, 0, U, U, PROBE_CAUSE_UNKNOWN },
	{ "VmSize unknown", 0, 4 * MiB, U, U, 100 * MiB, U, U, 0, U, U, PROBE_CAUSE_UNKNOWN },
	/* calloc's overflowing product and malloc(-1) arrive as SIZE_MAX. */
	{ "malloc(SIZE_MAX) under RLIMIT_AS", HEAP, SIZE_MAX, U, 100 * MiB, GiB, U, U, 0, U, U,
	  PROBE_CAUSE_RLIMIT_AS },
	{ "mmap of nearly 2^64 under RLIMIT_AS", 0, UINT64_MAX - 4 * KiB + 1, U, 100 * MiB,
	  GiB, U, U, 0, U, U, PROBE_CAUSE_RLIMIT_AS },
	{ "VmSize already past RLIMIT_AS", 0, 4 * KiB, U, 2 * GiB, GiB, U, U, 0, U, U,
	  PROBE_CAUSE_RLIMIT_AS },

	/* RLIMIT_DATA: private writable memory; a PROT_NONE reservation is not. */
	{ "heap call under RLIMIT_DATA", HEAP, 4 * KiB, U, U, U, 50 * MiB - 512 * KiB, 50 * MiB,
	  0, U, U, PROBE_CAUSE_RLIMIT_DATA },
	{ "heap call, exactly the growth left under RLIMIT_DATA", HEAP, 4 * KiB, U, U, U,
	  50 * MiB - MiB, 50 * MiB, 0, U, U, PROBE_CAUSE_UNKNOWN },
	{ "mmap under RLIMIT_DATA", 0, GiB, U, U, U, 50 * MiB, 50 * MiB, 0, U, U,
	  PROBE_CAUSE_RLIMIT_DATA },
	{ "mmap that fits RLIMIT_DATA", 0, 4 * KiB, U, U, U, 50 * MiB - 4 * KiB, 50 * MiB, 0, U,
	  U, PROBE_CAUSE_UNKNOWN },
	{ "a reservation is not data", RESERVE, GiB, U, U, U, 50 * MiB, 50 * MiB, 0, U, U,
	  PROBE_CAUSE_UNKNOWN },
	{ "a reservation under both limits is RLIMIT_AS's", RESERVE, GiB, U, 100 * MiB,
	  100 * MiB, 50 * MiB, 50 * MiB, 0, U, U, PROBE_CAUSE_RLIMIT_AS },
	{ "RLIMIT_DATA before the commit limit", 0, GiB, U, U, U, 50 * MiB, 50 * MiB, 2, GiB,
	  GiB, PROBE_CAUSE_RLIMIT_DATA },
	{ "no RLIMIT_DATA", 0, GiB, U, U, U, 50 * MiB, U, 0, U, U, PROBE_CAUSE_UNKNOWN },
	{ "VmData unknown", 0, GiB, U, U, U, U, 50 * MiB, 0, U, U, PROBE_CAUSE_UNKNOWN },
	{ "malloc(SIZE_MAX) under RLIMIT_DATA", HEAP, SIZE_MAX, U, U, U, 50 * MiB, GiB, 0, U, U,
	  PROBE_CAUSE_RLIMIT_DATA },

	/* The commit limit: only when the kernel enforces it (overcommit mode 2). */
	{ "mode 2, over the commit limit", 0, 64 * MiB, U, U, U, U, U, 2, GiB - 32 * MiB, GiB,
	  PROBE_CAUSE_COMMIT_LIMIT },
	{ "mode 2, exactly at the commit limit", 0, 32 * MiB, U, U, U, U, U, 2, GiB - 32 * MiB,
	  GiB, PROBE_CAUSE_UNKNOWN },
	{ "mode 2, a heap call over the commit limit", HEAP, 64 * MiB, U, U, U, U, U, 2,
	  GiB - 32 * MiB, GiB, PROBE_CAUSE_COMMIT_LIMIT },
	{ "mode 0 does not enforce it", 0, 64 * MiB, U, U, U, U, U, 0, GiB - 32 * MiB, GiB,
	  PROBE_CAUSE_UNKNOWN },
	{ "mode 1 does not enforce it", 0, 64 * MiB, U, U, U, U, U, 1, GiB - 32 * MiB, GiB,
	  PROBE_CAUSE_UNKNOWN },
	{ "mode unknown", 0, 64 * MiB, U, U, U, U, U, -1, GiB - 32 * MiB, GiB,
	  PROBE_CAUSE_UNKNOWN },
	{ "mode 2, commit limit unknown", 0, 64 * MiB, U, U, U, U, U, 2, GiB - 32 * MiB, U,
	  PROBE_CAUSE_UNKNOWN },
	{ "mode 2, Committed_AS unknown", 0, 64 * MiB, U, U, U, U, U, 2, U, GiB,
	  PROBE_CAUSE_UNKNOWN },
	{ "mode 2, malloc(SIZE_MAX)", HEAP, SIZE_MAX, U, U, U, U, U, 2, GiB - 32 * MiB, GiB,
	  PROBE_CAUSE_COMMIT_LIMIT },

	/* Nothing known: no cause is made up. */
	{ "everything unknown", 0, 4 * KiB, U, U, U, U, U, -1, U, U, PROBE_CAUSE_UNKNOWN },
	{ "everything unknown, a heap call on the main thread", MAIN, 4 * KiB, U, U, U, U, U,
	  -1, U, U, PROBE_CAUSE_UNKNOWN },
	{ "everything unknown, SIZE_MAX", MAIN, SIZE_MAX, U, U, U, U, U, -1, U, U,
	  PROBE_CAUSE_UNKNOWN },
	{ "limits far away", MAIN, 4 * KiB, 0, 100 * MiB, 8 * GiB, 50 * MiB, 8 * GiB, 2,
	  GiB, 8 * GiB, PROBE_CAUSE_UNKNOWN },
};

static void test_classify(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(failures); i++) {
		const struct probe_failure f = {
			.ready = 1,
			.function = PROBE_FN_MALLOC,
			.flags = failures[i].flags,
			.bytes = failures[i].bytes,
			.pid = 4242,
			.vm_size = failures[i].vm_size,
			.vm_data = failures[i].vm_data,
			.rlimit_as = failures[i].rlimit_as,
			.rlimit_data = failures[i].rlimit_data,
			.overcommit_mode = failures[i].overcommit_mode,
			.commit_limit = failures[i].commit_limit,
			.committed_as = failures[i].committed_as,
			.heap_free = failures[i].heap_free,
		};
		enum probe_cause cause = probe_classify(&f);

		if (cause != failures[i].cause)
			fail_msg("%s: probe_classify = %s, expected %s", failures[i].what,
				 probe_cause_name(cause), probe_cause_name(failures[i].cause));
	}
}

static const struct {
	unsigned value;
	const char *name;
} function_names[] = {
	{ PROBE_FN_NONE, "unknown" },
	{ PROBE_FN_MALLOC, "malloc" },
	{ PROBE_FN_CALLOC, "calloc" },
	{ PROBE_FN_REALLOC, "realloc" },
	{ PROBE_FN_REALLOCARRAY, "reallocarray" },
	{ PROBE_FN_POSIX_MEMALIGN, "posix_memalign" },
	{ PROBE_FN_ALIGNED_ALLOC, "aligned_alloc" },
	{ PROBE_FN_MEMALIGN, "memalign" },
	{ PROBE_FN_VALLOC, "valloc" },
	{ PROBE_FN_PVALLOC, "pvalloc" },
	{ PROBE_FN_MMAP, "mmap" },
	{ PROBE_FN_BRK, "brk" },
	{ PROBE_FN_SBRK, "sbrk" },
};

static const struct {
	unsigned value;
	const char *name;
} cause_names[] = {
	{ PROBE_CAUSE_UNKNOWN, "unknown" },
	{ PROBE_CAUSE_RLIMIT_AS, "rlimit-as" },
	{ PROBE_CAUSE_RLIMIT_DATA, "rlimit-data" },
	{ PROBE_CAUSE_COMMIT_LIMIT, "commit-limit" },
	{ PROBE_CAUSE_FRAGMENTATION, "fragmentation" },
};

static const unsigned functions_out_of_range[] = { PROBE_FN_COUNT, PROBE_FN_COUNT + 1, 1000,
						   INT_MAX, UINT_MAX };
static const unsigned causes_out_of_range[] = { PROBE_CAUSE_COUNT, PROBE_CAUSE_COUNT + 1, 1000,
						INT_MAX, UINT_MAX };

static void test_function_names(void **state)
{
	(void)state;
	/* The table above names every function the probe wraps. */
	assert_int_equal(ELEMENTSOF(function_names), PROBE_FN_COUNT);
	for (size_t i = 0; i < ELEMENTSOF(function_names); i++) {
		const char *name = probe_function_name(function_names[i].value);

		if (!name || !streq(name, function_names[i].name))
			fail_msg("probe_function_name(%u) = \"%s\", expected \"%s\"",
				 function_names[i].value, name ? name : "(null)",
				 function_names[i].name);
		for (size_t j = 0; j < i; j++)
			if (function_names[j].value == function_names[i].value)
				fail_msg("function %u listed twice", function_names[i].value);
	}
	for (size_t i = 0; i < ELEMENTSOF(functions_out_of_range); i++) {
		const char *name = probe_function_name(functions_out_of_range[i]);

		if (!streq(name, "unknown"))
			fail_msg("probe_function_name(%u) = \"%s\", expected \"unknown\"",
				 functions_out_of_range[i], name);
	}
}

static void test_cause_names(void **state)
{
	(void)state;
	assert_int_equal(ELEMENTSOF(cause_names), PROBE_CAUSE_COUNT);
	for (size_t i = 0; i < ELEMENTSOF(cause_names); i++) {
		const char *name = probe_cause_name(cause_names[i].value);

		if (!name || !streq(name, cause_names[i].name))
			fail_msg("probe_cause_name(%u) = \"%s\", expected \"%s\"",
				 cause_names[i].value, name ? name : "(null)", cause_names[i].name);
		for (size_t j = 0; j < i; j++)
			if (cause_names[j].value == cause_names[i].value)
				fail_msg("cause %u listed twice", cause_names[i].value);
	}
	for (size_t i = 0; i < ELEMENTSOF(causes_out_of_range); i++) {
		const char *name = probe_cause_name(causes_out_of_range[i]);

		if (!streq(name, "unknown"))
			fail_msg("probe_cause_name(%u) = \"%s\", expected \"unknown\"",
				 causes_out_of_range[i], name);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_function_names),
		cmocka_unit_test(test_cause_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
