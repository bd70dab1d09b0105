/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for probe_classify (src/probe/probe-abi.h), the probe's one
 * judgement of why an allocation was refused, the names in probe.c, and
 * reading back a region the job may have shrunk or scribbled over. */
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "plan.h"
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

/* Another thread's mapping came and went before the probe looked: the
 * peak, read only where nothing else explains the refusal, and only in a
 * process of several threads.  Free bytes (glibc's total, over every
 * arena) show fragmentation of the main thread's heap only where no other
 * thread can hold them.  A 64 KiB malloc of another thread, unless flags
 * and heap_free (0: unknown) say otherwise. */
static const struct {
	const char *what;
	uint64_t vm_size, vm_peak, threads, vm_data, rlimit_data;
	enum probe_cause cause;
	unsigned flags;
	uint64_t heap_free;
} threaded[] = {
	{ "main thread, 5 threads, 1 MiB free in other arenas: RLIMIT_AS", 255 * MiB + 512 * KiB,
	  256 * MiB, 5, U, U, PROBE_CAUSE_RLIMIT_AS, MAIN, 1 * MiB },
	{ "main thread alone, 1 MiB free: fragmentation", 255 * MiB + 512 * KiB, 256 * MiB, 1, U,
	  U, PROBE_CAUSE_FRAGMENTATION, MAIN, 1 * MiB },
	{ "main thread, threads unknown, 1 MiB free: fragmentation", 255 * MiB + 512 * KiB,
	  256 * MiB, U, U, U, PROBE_CAUSE_FRAGMENTATION, MAIN, 1 * MiB },
	{ "8 threads, the peak within the request of the limit", 201 * MiB, 256 * MiB, 8, U, U,
	  PROBE_CAUSE_RLIMIT_AS, 0, 0 },
	{ "one thread reads what it did: unknown", 201 * MiB, 256 * MiB, 1, U, U,
	  PROBE_CAUSE_UNKNOWN, 0, 0 },
	{ "threads unknown: unknown", 201 * MiB, 256 * MiB, U, U, U, PROBE_CAUSE_UNKNOWN, 0, 0 },
	{ "the peak far from the limit: unknown", 201 * MiB, 202 * MiB, 8, U, U,
	  PROBE_CAUSE_UNKNOWN, 0, 0 },
	{ "peak unknown: unknown", 201 * MiB, U, 8, U, U, PROBE_CAUSE_UNKNOWN, 0, 0 },
	{ "what was read explains it first: RLIMIT_DATA", 201 * MiB, 256 * MiB, 8, 100 * MiB,
	  100 * MiB, PROBE_CAUSE_RLIMIT_DATA, 0, 0 },
	{ "VmSize at the limit needs no peak", 256 * MiB, 256 * MiB, 1, U, U,
	  PROBE_CAUSE_RLIMIT_AS, 0, 0 },
};

static void test_classify_threads(void **state)
{
	/* A 64 KiB malloc of another thread under RLIMIT_AS 256 MiB. */
	const struct probe_failure base = {
		.ready = 1, .function = PROBE_FN_MALLOC, .flags = HEAP, .bytes = 64 * KiB,
		.rlimit_as = 256 * MiB, .commit_limit = U, .committed_as = U, .heap_free = U,
	};

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(threaded); i++) {
		struct probe_failure f = base;
		enum probe_cause cause;

		if (threaded[i].flags)
			f.flags = threaded[i].flags;
		if (threaded[i].heap_free)
			f.heap_free = threaded[i].heap_free;
		f.vm_size = threaded[i].vm_size;
		f.vm_data = threaded[i].vm_data;
		f.rlimit_data = threaded[i].rlimit_data;
		cause = probe_classify_threads(&f, threaded[i].vm_peak, threaded[i].threads);
		if (cause != threaded[i].cause)
			fail_msg("%s: probe_classify_threads = %s, expected %s", threaded[i].what,
				 probe_cause_name(cause), probe_cause_name(threaded[i].cause));
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

/* The region is sealed: the job may write the counters, never resize it. */
static void test_region_is_sealed(void **state)
{
	struct probe_region *r = NULL;
	char path[64];
	int fd = -1, reopened;

	(void)state;
	assert_int_equal(probe_region_create(&fd, &r), 0);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	assert_int_equal(fcntl(fd, F_GET_SEALS),
			 F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	assert_true(r->magic == PROBE_MAGIC && r->version == PROBE_VERSION &&
		    r->size == sizeof(*r));

	/* As the job reaches it: by path, read-write. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	reopened = open(path, O_RDWR | O_CLOEXEC);
	assert_true(reopened >= 0);
	assert_int_equal(ftruncate(reopened, 0), -1);
	assert_int_equal(errno, EPERM);
	assert_int_equal(ftruncate(reopened, 1 << 20), -1);
	assert_int_equal(errno, EPERM);
	assert_int_equal(truncate(path, 0), -1);
	assert_int_equal(errno, EPERM);
	assert_int_equal(open(path, O_RDWR | O_TRUNC | O_CLOEXEC), -1);
	/* No seal can be added either (F_SEAL_FUTURE_WRITE would shut out
	 * the probe of every later process). */
	assert_int_equal(fcntl(reopened, F_ADD_SEALS, F_SEAL_WRITE), -1);
	assert_int_equal(errno, EPERM);
	close(reopened);

	/* The counters are still the job's to write. */
	{
		struct probe_region *job = mmap(NULL, sizeof(*job), PROT_READ | PROT_WRITE,
						MAP_SHARED, fd, 0);
		assert_true(job != MAP_FAILED);
		__atomic_fetch_add(&job->failures, 1, __ATOMIC_RELAXED);
		munmap(job, sizeof(*job));
	}
	assert_int_equal(r->failures, 1);
	munmap(r, sizeof(*r));
	close(fd);
}

enum damage {
	INTACT,
	MAIN_SILENT,		/* the main program never reported */
	TRUNCATED,		/* an unsealed region, shrunk to nothing */
	HALF_TRUNCATED,
	BAD_MAGIC,
	BAD_SIZE,
	HUGE_COUNT,
	CAUSES_EXCEED_FAILURES,
	BAD_FIRST_FUNCTION,
	BAD_FIRST_CAUSE,
	BAD_FIRST_PID,
	FIRST_LARGER_THAN_LARGEST,
	MAIN_ATTACHED_NOT_A_FLAG,
	LARGEST_WITHOUT_FAILURES,
	FIRST_WITHOUT_CLAIM,
	ATTACHED_WITHOUT_PROCESSES,
	ALL_ONES,
};

static const struct {
	const char *what;
	enum damage damage;
	uint64_t failures;	/* what the probe counted before any damage */
	bool observed;
	int64_t count;		/* -1: unknown (null) */
	uint64_t at_least;
	bool first_known;
	const char *reason;	/* part of not_observed_reason, or NULL for none */
} regions[] = {
	{ "intact, nothing refused", INTACT, 0, true, 0, 0, false, NULL },
	{ "intact, two refused", INTACT, 2, true, 2, 0, true, NULL },
	{ "main program silent, nothing refused elsewhere", MAIN_SILENT, 0, false, -1, 0, false,
	  "never reported to the probe" },
	{ "main program silent, refusals in its children", MAIN_SILENT, 3, false, -1, 3, true,
	  "never reported to the probe" },
	{ "truncated to nothing", TRUNCATED, 2, false, -1, 0, false, "changed the size" },
	{ "truncated by half", HALF_TRUNCATED, 2, false, -1, 0, false, "changed the size" },
	{ "magic overwritten", BAD_MAGIC, 2, false, -1, 0, false, "overwrote" },
	{ "size overwritten", BAD_SIZE, 2, false, -1, 0, false, "overwrote" },
	{ "an absurd count", HUGE_COUNT, 2, false, -1, 0, false, "overwrote" },
	{ "more causes than failures", CAUSES_EXCEED_FAILURES, 2, false, -1, 0, false,
	  "overwrote" },
	{ "first function out of range", BAD_FIRST_FUNCTION, 2, false, -1, 0, false,
	  "overwrote" },
	{ "first cause out of range", BAD_FIRST_CAUSE, 2, false, -1, 0, false, "overwrote" },
	{ "first pid negative", BAD_FIRST_PID, 2, false, -1, 0, false, "overwrote" },
	{ "first larger than the largest", FIRST_LARGER_THAN_LARGEST, 2, false, -1, 0, false,
	  "overwrote" },
	{ "main_attached not 0 or 1", MAIN_ATTACHED_NOT_A_FLAG, 0, false, -1, 0, false,
	  "overwrote" },
	{ "a largest refusal of none", LARGEST_WITHOUT_FAILURES, 0, false, -1, 0, false,
	  "overwrote" },
	{ "a first refusal never claimed", FIRST_WITHOUT_CLAIM, 2, false, -1, 0, false,
	  "overwrote" },
	{ "attached to no process", ATTACHED_WITHOUT_PROCESSES, 0, false, -1, 0, false,
	  "overwrote" },
	{ "every byte 0xff", ALL_ONES, 2, false, -1, 0, false, "overwrote" },
};

/* What the probe leaves after n refusals (each 1 MiB, the first 512 KiB). */
static void fill_region(struct probe_region *r, uint64_t n)
{
	r->processes = 2;
	r->main_attached = 1;
	r->main_pid = 4242;
	r->failures = n;
	r->by_cause[PROBE_CAUSE_RLIMIT_AS] = n;
	if (!n)
		return;
	r->largest_bytes = MiB;
	r->first_claimed = 1;
	r->first = (struct probe_failure){
		.ready = 1, .function = PROBE_FN_MALLOC, .cause = PROBE_CAUSE_RLIMIT_AS,
		.bytes = 512 * KiB, .pid = 4243,
		.vm_size = U, .vm_data = U, .rlimit_as = U, .rlimit_data = U,
		.overcommit_mode = -1, .commit_limit = U, .committed_as = U, .heap_free = U,
	};
	/* Unterminated, as a job could leave it. */
	memset(r->first.comm, 'x', sizeof(r->first.comm));
}

static void damage_region(struct probe_region *r, int fd, enum damage damage)
{
	switch (damage) {
	case INTACT:
		break;
	case MAIN_SILENT:
		r->main_attached = 0;
		break;
	case TRUNCATED:
		assert_int_equal(ftruncate(fd, 0), 0);
		break;
	case HALF_TRUNCATED:
		assert_int_equal(ftruncate(fd, sizeof(*r) / 2), 0);
		break;
	case BAD_MAGIC:
		r->magic ^= 1;
		break;
	case BAD_SIZE:
		r->size = 1 << 30;
		break;
	case HUGE_COUNT:
		r->failures = r->by_cause[PROBE_CAUSE_RLIMIT_AS] = UINT64_MAX - 1;
		break;
	case CAUSES_EXCEED_FAILURES:
		r->by_cause[PROBE_CAUSE_COMMIT_LIMIT] = 1;
		break;
	case BAD_FIRST_FUNCTION:
		r->first.function = PROBE_FN_COUNT;
		break;
	case BAD_FIRST_CAUSE:
		r->first.cause = UINT32_MAX;
		break;
	case BAD_FIRST_PID:
		r->first.pid = -1;
		break;
	case FIRST_LARGER_THAN_LARGEST:
		r->first.bytes = 2 * MiB;
		break;
	case MAIN_ATTACHED_NOT_A_FLAG:
		r->main_attached = 7;
		break;
	case LARGEST_WITHOUT_FAILURES:
		r->largest_bytes = 1;
		break;
	case FIRST_WITHOUT_CLAIM:
		r->first_claimed = 0;
		break;
	case ATTACHED_WITHOUT_PROCESSES:
		r->processes = 0;
		break;
	case ALL_ONES: {
		uint64_t magic = r->magic;
		uint32_t version = r->version, size = r->size;

		memset(r, 0xff, sizeof(*r));
		r->magic = magic;
		r->version = version;
		r->size = size;
		break;
	}
	}
}

/* A region as memrun would create it, but unsealed, so it can be shrunk. */
static int unsealed_region(struct probe_region **ret)
{
	int fd = memfd_create("test-probe", MFD_CLOEXEC);
	struct probe_region *r;

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, sizeof(*r)), 0);
	r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(r != MAP_FAILED);
	*r = (struct probe_region){ .magic = PROBE_MAGIC, .version = PROBE_VERSION,
				    .size = sizeof(*r) };
	*ret = r;
	return fd;
}

static void test_collect_damaged_regions(void **state)
{
	char *command[] = { "/nonexistent/job", NULL };

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(regions); i++) {
		struct probe_host ph = { .enabled = true };
		struct outcome o = { .started = true, .main_exited = true, .exit_code = 1 };
		struct probe_region *r;
		struct plan plan;
		int64_t count;

		plan_init(&plan);
		plan.command = command;
		ph.fd = unsealed_region(&r);
		fill_region(r, regions[i].failures);
		damage_region(r, ph.fd, regions[i].damage);
		/* Read through the fd: a shrunk region must not fault. */
		probe_collect(&ph, &plan, &o);

		count = o.alloc_failures.known ? (int64_t)o.alloc_failures.value : -1;
		if (o.alloc_observed != regions[i].observed || count != regions[i].count ||
		    o.alloc_failures_at_least != regions[i].at_least ||
		    o.alloc_first_known != regions[i].first_known)
			fail_msg("%s: observed %d count %lld at_least %llu first %d", regions[i].what,
				 o.alloc_observed, (long long)count,
				 (unsigned long long)o.alloc_failures_at_least, o.alloc_first_known);
		if (regions[i].reason ? !o.alloc_not_observed ||
					!strstr(o.alloc_not_observed, regions[i].reason) :
					o.alloc_not_observed != NULL)
			fail_msg("%s: not_observed_reason \"%s\"", regions[i].what,
				 o.alloc_not_observed ? o.alloc_not_observed : "(null)");
		if (o.alloc_first_known && strlen(o.alloc_first.comm) >= sizeof(o.alloc_first.comm))
			fail_msg("%s: comm not terminated", regions[i].what);
		/* Unknown never classifies as "no failures" nor as failures. */
		outcome_decide(&o);
		if (!regions[i].observed && !regions[i].at_least && o.kind != OUTCOME_EXITED)
			fail_msg("%s: classified %s", regions[i].what, outcome_kind_name(o.kind));
		if (regions[i].at_least && o.kind != OUTCOME_OUT_OF_MEMORY)
			fail_msg("%s: refusals seen but classified %s", regions[i].what,
				 outcome_kind_name(o.kind));
		munmap(r, sizeof(*r));
		close(ph.fd);
		outcome_free(&o);
		plan_free(&plan);
	}
}

static void test_probe_off_is_unknown(void **state)
{
	struct probe_host ph = { .fd = -1, .not_observed = "the probe is off (flag --no-probe)" };
	struct outcome o = { .started = true, .main_exited = true, .exit_code = 0 };
	struct plan plan;

	(void)state;
	plan_init(&plan);
	probe_collect(&ph, &plan, &o);
	assert_false(o.alloc_observed);
	assert_false(o.alloc_failures.known);
	assert_int_equal(o.alloc_failures_at_least, 0);
	assert_string_equal(o.alloc_not_observed, "the probe is off (flag --no-probe)");
	assert_null(o.hint);
	outcome_free(&o);
	plan_free(&plan);
}

/* ld.so that cannot map a program's libraries exits 127 after exec. */
static const struct {
	const char *what;
	bool probe;		/* enabled; the region says whether main reported */
	bool main_attached;
	int exit_code;
	uint64_t as, data;	/* 0: not set */
	const char *hint;	/* part of the hint, NULL: none */
} loader_cases[] = {
	{ "127, main silent, RLIMIT_AS", true, false, 127, MiB, 0,
	  "the dynamic loader most likely could not map the libraries of /bin/true under "
	  "RLIMIT_AS 1 MiB" },
	{ "127, main silent, RLIMIT_DATA", true, false, 127, 0, 2 * MiB,
	  "under RLIMIT_DATA 2 MiB (it exited 127 before they started): raise --data" },
	{ "127, main silent, both", true, false, 127, MiB, 2 * MiB,
	  "under RLIMIT_AS 1 MiB and RLIMIT_DATA 2 MiB" },
	{ "127, no probe, RLIMIT_AS", false, false, 127, MiB, 0,
	  "if /bin/true said \"error while loading shared libraries\"" },
	{ "127 of the program's own: the probe saw it start", true, true, 127, MiB, 0, NULL },
	{ "127 without a limit", true, false, 127, 0, 0, NULL },
	{ "another status", true, false, 1, MiB, 0, NULL },
};

static void test_loader_under_rlimit(void **state)
{
	char *command[] = { "/bin/true", NULL };

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(loader_cases); i++) {
		struct probe_host ph = { .fd = -1, .not_observed = "the probe is off" };
		struct outcome o = { .started = true, .main_exited = true,
				     .exit_code = loader_cases[i].exit_code };
		struct probe_region *r = NULL;
		struct plan plan;

		plan_init(&plan);
		plan.command = command;
		if (loader_cases[i].as) {
			plan.values[SETTING_AS].set = true;
			plan.limit_bytes[SETTING_AS] = loader_cases[i].as;
		}
		if (loader_cases[i].data) {
			plan.values[SETTING_DATA].set = true;
			plan.limit_bytes[SETTING_DATA] = loader_cases[i].data;
		}
		if (loader_cases[i].probe) {
			ph = (struct probe_host){ .enabled = true, .fd = unsealed_region(&r) };
			fill_region(r, 0);
			r->main_attached = loader_cases[i].main_attached;
			r->processes = loader_cases[i].main_attached;
		}
		probe_collect(&ph, &plan, &o);
		if (loader_cases[i].hint ? !o.hint || !strstr(o.hint, loader_cases[i].hint) :
					   o.hint != NULL)
			fail_msg("%s: hint \"%s\"", loader_cases[i].what, o.hint ? o.hint : "(null)");
		if (r) {
			munmap(r, sizeof(*r));
			close(ph.fd);
		}
		outcome_free(&o);
		plan_free(&plan);
	}
}

/* ---- how the job reaches the region: MEMRUN_PROBE="PATH:DEV:INO" ---- */

static const struct {
	const char *value;
	bool ok;
	const char *path;
	uint64_t dev, ino;
} env_values[] = {
	{ "/proc/12/fd/5:1:5172", true, "/proc/12/fd/5", 1, 5172 },
	{ "/proc/12/fd/5:0:0", true, "/proc/12/fd/5", 0, 0 },
	{ "/p:18446744073709551615:18446744073709551615", true, "/p", UINT64_MAX, UINT64_MAX },
	{ "/a:b/c:2:3", true, "/a:b/c", 2, 3 },		/* the last two fields are the identity */
	/* A bare path (an older memrun's) has no identity: never opened. */
	{ "/proc/12/fd/5", false, NULL, 0, 0 },
	{ "/proc/12/fd/5:1", false, NULL, 0, 0 },
	{ "", false, NULL, 0, 0 },
	{ "::", false, NULL, 0, 0 },
	{ ":1:2", false, NULL, 0, 0 },
	{ "/p::2", false, NULL, 0, 0 },
	{ "/p:1:", false, NULL, 0, 0 },
	{ "/p:1:2x", false, NULL, 0, 0 },
	{ "/p:-1:2", false, NULL, 0, 0 },
	{ "/p: 1:2", false, NULL, 0, 0 },
	{ "/p:18446744073709551616:1", false, NULL, 0, 0 },
	{ "/p:1:99999999999999999999", false, NULL, 0, 0 },
	{ "/proc/1234567890/fd/1234567890/0123456789012345678901234567890123:1:2", false,
	  NULL, 0, 0 },	/* longer than any /proc/PID/fd/N */
};

static void test_env_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(env_values) / sizeof(env_values[0]); i++) {
		char path[PROBE_PATH_MAX] = "untouched";
		uint64_t dev = 7, ino = 7;
		bool ok = probe_env_parse(env_values[i].value, path, sizeof(path), &dev, &ino);

		if (ok != env_values[i].ok)
			fail_msg("'%s': parsed %d, expected %d", env_values[i].value, ok,
				 env_values[i].ok);
		if (!ok) {
			/* Nothing written on failure. */
			assert_string_equal(path, "untouched");
			assert_true(dev == 7 && ino == 7);
			continue;
		}
		assert_string_equal(path, env_values[i].path);
		assert_true(dev == env_values[i].dev && ino == env_values[i].ino);
	}
}

/* A scratch directory with a FIFO watched for opens: what another
 * process's fd may be, where opening it read-write has effects. */
struct scratch {
	char dir[32];
	char fifo[64];
	int inotify;
};

static void scratch_make(struct scratch *s)
{
	snprintf(s->dir, sizeof(s->dir), "/tmp/memrun-probe.XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	snprintf(s->fifo, sizeof(s->fifo), "%s/fifo", s->dir);
	assert_int_equal(mkfifo(s->fifo, 0600), 0);
	s->inotify = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	assert_true(s->inotify >= 0);
	assert_true(inotify_add_watch(s->inotify, s->fifo, IN_OPEN) >= 0);
}

static bool scratch_fifo_opened(const struct scratch *s)
{
	char buf[4096];

	return read(s->inotify, buf, sizeof(buf)) > 0;
}

static void scratch_remove(struct scratch *s)
{
	char cmd[64];

	close(s->inotify);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->dir);
	assert_int_equal(system(cmd), 0);
}

static char *env_value_for(const char *path, const struct stat *st)
{
	return xasprintf("%s:%ju:%ju", path, (uintmax_t)st->st_dev, (uintmax_t)st->st_ino);
}

static void test_region_open_checks_identity(void **state)
{
	struct probe_region *r = NULL;
	struct scratch s;
	struct stat st, opened;
	char path[64];
	char *value;
	int fd = -1, job;

	(void)state;
	scratch_make(&s);
	assert_int_equal(probe_region_create(&fd, &r), 0);
	assert_int_equal(fstat(fd, &st), 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

	/* The region itself: opened read-write, close-on-exec. */
	value = env_value_for(path, &st);
	job = probe_region_open(value);
	free(value);
	assert_true(job >= 0);
	assert_int_equal(fstat(job, &opened), 0);
	assert_true(opened.st_dev == st.st_dev && opened.st_ino == st.st_ino);
	assert_int_equal(fcntl(job, F_GETFL) & O_ACCMODE, O_RDWR);
	assert_int_equal(fcntl(job, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	assert_int_equal(pwrite(job, "x", 1, offsetof(struct probe_region, pad)), 1);
	close(job);

	/* The same path with another identity: the region is not opened. */
	st.st_ino++;
	value = env_value_for(path, &st);
	assert_int_equal(probe_region_open(value), -ESTALE);
	free(value);
	st.st_ino--;
	st.st_dev++;
	value = env_value_for(path, &st);
	assert_int_equal(probe_region_open(value), -ESTALE);
	free(value);
	st.st_dev--;

	/* Another file under the path, a FIFO, even one given the region's
	 * identity or its own: never opened, so no reader appears on it. */
	value = env_value_for(s.fifo, &st);
	assert_int_equal(probe_region_open(value), -ESTALE);
	free(value);
	assert_int_equal(stat(s.fifo, &opened), 0);
	value = env_value_for(s.fifo, &opened);
	assert_int_equal(probe_region_open(value), -ESTALE);
	free(value);
	assert_false(scratch_fifo_opened(&s));
	/* (The watch does see a read-write open.) */
	job = open(s.fifo, O_RDWR | O_CLOEXEC);
	assert_true(job >= 0);
	close(job);
	assert_true(scratch_fifo_opened(&s));

	/* No identity, no file, no path. */
	assert_int_equal(probe_region_open(path), -EINVAL);
	value = xasprintf("%s/missing:1:2", s.dir);
	assert_int_equal(probe_region_open(value), -ENOENT);
	free(value);

	munmap(r, sizeof(*r));
	close(fd);
	scratch_remove(&s);
}

/* A /proc as memrun may find it: PROC/self naming pid, and PROC/pid/fd/fd
 * leading to target (another process's fd, or memrun's own). */
static void fake_proc(const struct scratch *s, const char *self, int fd, const char *target)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/self", s->dir);
	unlink(path);
	if (self)
		assert_int_equal(symlink(self, path), 0);
	if (!target)
		return;
	snprintf(path, sizeof(path), "%s/4242", s->dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/4242/fd", s->dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/4242/fd/%d", s->dir, fd);
	unlink(path);
	assert_int_equal(symlink(target, path), 0);
}

static void test_env_value_follows_proc(void **state)
{
	struct probe_region *r = NULL;
	struct scratch s;
	struct stat st;
	char own[64], *value = NULL, *why = NULL, *expected;
	int fd = -1;
	pid_t pid;

	(void)state;
	scratch_make(&s);
	assert_int_equal(probe_region_create(&fd, &r), 0);
	assert_int_equal(fstat(fd, &st), 0);
	snprintf(own, sizeof(own), "/proc/self/fd/%d", fd);

	/* Here /proc is this process's own pid namespace's. */
	assert_int_equal(probe_proc_self_pid("/proc", &pid), 0);
	assert_int_equal(pid, getpid());
	assert_int_equal(probe_env_value("/proc", fd, &value, &why), 0);
	expected = xasprintf("/proc/%d/fd/%d:%ju:%ju", (int)getpid(), fd, (uintmax_t)st.st_dev,
			     (uintmax_t)st.st_ino);
	assert_string_equal(value, expected);
	assert_null(why);
	free(expected);
	free(value);
	value = NULL;

	/* A /proc where memrun is 4242, not getpid() (an enclosing pid
	 * namespace's): the path goes by /proc's number. */
	fake_proc(&s, "4242", fd, own);
	assert_int_equal(probe_proc_self_pid(s.dir, &pid), 0);
	assert_int_equal(pid, 4242);
	assert_int_equal(probe_env_value(s.dir, fd, &value, &why), 0);
	expected = xasprintf("%s/4242/fd/%d:%ju:%ju", s.dir, fd, (uintmax_t)st.st_dev,
			     (uintmax_t)st.st_ino);
	assert_string_equal(value, expected);
	free(expected);
	free(value);
	value = NULL;

	/* Where that path names another file (a FIFO): said, and not opened. */
	fake_proc(&s, "4242", fd, s.fifo);
	assert_int_equal(probe_env_value(s.dir, fd, &value, &why), -ESTALE);
	assert_null(value);
	assert_non_null(strstr(why, "cannot reach its shared memory region"));
	assert_non_null(strstr(why, "it names another file"));
	free(why);
	why = NULL;
	assert_false(scratch_fifo_opened(&s));

	/* A /proc that does not show memrun at all. */
	fake_proc(&s, NULL, fd, NULL);
	assert_int_equal(probe_proc_self_pid(s.dir, &pid), -ENOENT);
	assert_int_equal(probe_env_value(s.dir, fd, &value, &why), -ENOENT);
	assert_null(value);
	assert_non_null(strstr(why, "memrun is not visible in"));
	free(why);
	why = NULL;

	/* A self link that is no pid. */
	fake_proc(&s, "self", fd, NULL);
	pid = 77;
	assert_int_equal(probe_proc_self_pid(s.dir, &pid), -EBADMSG);
	assert_int_equal(pid, 77);
	assert_int_equal(probe_env_value(s.dir, fd, &value, &why), -EBADMSG);
	assert_non_null(strstr(why, "cannot tell memrun's pid"));
	free(why);

	munmap(r, sizeof(*r));
	close(fd);
	scratch_remove(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_classify_threads),
		cmocka_unit_test(test_function_names),
		cmocka_unit_test(test_cause_names),
		cmocka_unit_test(test_region_is_sealed),
		cmocka_unit_test(test_collect_damaged_regions),
		cmocka_unit_test(test_probe_off_is_unknown),
		cmocka_unit_test(test_loader_under_rlimit),
		cmocka_unit_test(test_env_parse),
		cmocka_unit_test(test_region_open_checks_identity),
		cmocka_unit_test(test_env_value_follows_proc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
