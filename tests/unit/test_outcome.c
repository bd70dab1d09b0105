/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for src/outcome.c: contract section 5's rules, in order. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "outcome.h"
#include "util.h"

#define KNOWN(n) { .known = true, .value = (n) }
#define UNKNOWN(n) { .known = false, .value = (n) }

static const struct {
	const char *what;
	struct outcome evidence;
	enum outcome_kind kind;
	int exit_status;
} cases[] = {
	/* 1. failed-to-start beats everything. */
	{ "setup failed", { .started = false, .start_exit_status = 125 },
	  OUTCOME_FAILED_TO_START, 125 },
	{ "not executable", { .started = false, .start_exit_status = 126 },
	  OUTCOME_FAILED_TO_START, 126 },
	{ "not found", { .started = false, .start_exit_status = 127 },
	  OUTCOME_FAILED_TO_START, 127 },
	{ "no status given is memrun's own failure", { .started = false },
	  OUTCOME_FAILED_TO_START, 125 },
	{ "failed to start, with OOM and alloc evidence",
	  { .started = false, .start_exit_status = 126, .oom_kills = KNOWN(3),
	    .main_oom_killed_known = true, .main_oom_killed = true,
	    .alloc_failures = KNOWN(5), .signal = SIGKILL },
	  OUTCOME_FAILED_TO_START, 126 },

	/* 2. oom-killed: any OOM kill in the job, main or not. */
	{ "main OOM-killed", { .started = true, .signal = SIGKILL, .oom_kills = KNOWN(1),
			       .main_oom_killed_known = true, .main_oom_killed = true },
	  OUTCOME_OOM_KILLED, 137 },
	{ "a child OOM-killed, main exited 0",
	  { .started = true, .main_exited = true, .exit_code = 0, .oom_kills = KNOWN(2),
	    .main_oom_killed_known = true, .main_oom_killed = false },
	  OUTCOME_OOM_KILLED, 0 },
	{ "a child OOM-killed, main exited 1",
	  { .started = true, .main_exited = true, .exit_code = 1, .oom_kills = KNOWN(1) },
	  OUTCOME_OOM_KILLED, 1 },
	{ "OOM kill beats allocation failures",
	  { .started = true, .signal = SIGKILL, .oom_kills = KNOWN(1),
	    .alloc_failures = KNOWN(7) },
	  OUTCOME_OOM_KILLED, 137 },
	{ "main OOM-killed by the kernel log, no counter",
	  { .started = true, .signal = SIGKILL, .oom_kills = UNKNOWN(0),
	    .main_oom_killed_known = true, .main_oom_killed = true },
	  OUTCOME_OOM_KILLED, 137 },

	/* 3. out-of-memory: no OOM kill, allocations refused. */
	{ "allocations refused, main exited 1",
	  { .started = true, .main_exited = true, .exit_code = 1, .oom_kills = KNOWN(0),
	    .alloc_failures = KNOWN(3) },
	  OUTCOME_OUT_OF_MEMORY, 1 },
	{ "allocations refused, main exited 0 anyway",
	  { .started = true, .main_exited = true, .exit_code = 0, .alloc_failures = KNOWN(1) },
	  OUTCOME_OUT_OF_MEMORY, 0 },
	{ "allocations refused beats signaled (abort after a failed new)",
	  { .started = true, .signal = SIGABRT, .core_dumped = true, .alloc_failures = KNOWN(1) },
	  OUTCOME_OUT_OF_MEMORY, 128 + SIGABRT },
	{ "main known not OOM-killed, allocations refused",
	  { .started = true, .main_exited = true, .exit_code = 3,
	    .main_oom_killed_known = true, .main_oom_killed = false,
	    .alloc_failures = KNOWN(1) },
	  OUTCOME_OUT_OF_MEMORY, 3 },

	/* 4. signaled: never guessed as an OOM kill from SIGKILL alone. */
	{ "kill -9 from a user", { .started = true, .signal = SIGKILL, .oom_kills = KNOWN(0),
				   .alloc_failures = KNOWN(0) },
	  OUTCOME_SIGNALED, 137 },
	{ "SIGKILL with no evidence at all", { .started = true, .signal = SIGKILL },
	  OUTCOME_SIGNALED, 137 },
	{ "SIGTERM", { .started = true, .signal = SIGTERM }, OUTCOME_SIGNALED, 143 },
	{ "SIGSEGV with a core", { .started = true, .signal = SIGSEGV, .core_dumped = true },
	  OUTCOME_SIGNALED, 139 },
	{ "SIGHUP", { .started = true, .signal = SIGHUP }, OUTCOME_SIGNALED, 129 },

	/* 5. exited. */
	{ "exited 0", { .started = true, .main_exited = true, .exit_code = 0 },
	  OUTCOME_EXITED, 0 },
	{ "exited 42", { .started = true, .main_exited = true, .exit_code = 42 },
	  OUTCOME_EXITED, 42 },
	{ "exited 255", { .started = true, .main_exited = true, .exit_code = 255 },
	  OUTCOME_EXITED, 255 },
	{ "exited 137 by itself is no signal",
	  { .started = true, .main_exited = true, .exit_code = 137, .oom_kills = KNOWN(0) },
	  OUTCOME_EXITED, 137 },

	/* Unknown counters do not count, whatever value they hold. */
	{ "unknown OOM kill count",
	  { .started = true, .main_exited = true, .exit_code = 0, .oom_kills = UNKNOWN(5) },
	  OUTCOME_EXITED, 0 },
	{ "unknown alloc failure count",
	  { .started = true, .main_exited = true, .exit_code = 2,
	    .alloc_failures = UNKNOWN(5) },
	  OUTCOME_EXITED, 2 },
	{ "main_oom_killed without being known",
	  { .started = true, .signal = SIGKILL, .main_oom_killed_known = false,
	    .main_oom_killed = true },
	  OUTCOME_SIGNALED, 137 },
	{ "every count unknown, signaled",
	  { .started = true, .signal = SIGKILL, .oom_kills = UNKNOWN(1),
	    .alloc_failures = UNKNOWN(1) },
	  OUTCOME_SIGNALED, 137 },
	{ "main program unobserved, no refusal seen elsewhere",
	  { .started = true, .main_exited = true, .exit_code = 3, .alloc_failures = UNKNOWN(0) },
	  OUTCOME_EXITED, 3 },
	/* Refusals seen in the job's other processes are evidence, though the
	 * count is unknown (a static main program starting dynamic ones). */
	{ "main program unobserved, refusals seen in its children",
	  { .started = true, .main_exited = true, .exit_code = 1, .alloc_failures = UNKNOWN(0),
	    .alloc_failures_at_least = 2 },
	  OUTCOME_OUT_OF_MEMORY, 1 },
	{ "main program unobserved, refusals seen, OOM kill first",
	  { .started = true, .signal = SIGKILL, .oom_kills = KNOWN(1),
	    .alloc_failures_at_least = 2 },
	  OUTCOME_OOM_KILLED, 137 },

	/* Started, but the main process's end was never seen (its status
	 * lost): memrun's own failure, never a made-up 0. */
	{ "how the main process ended is unknown", { .started = true },
	  OUTCOME_EXITED, 125 },
};

static void test_classify(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		enum outcome_kind kind = outcome_classify(&cases[i].evidence);
		int status = outcome_exit_status(&cases[i].evidence);

		if (kind != cases[i].kind)
			fail_msg("%s: classified %s, expected %s", cases[i].what,
				 outcome_kind_name(kind), outcome_kind_name(cases[i].kind));
		if (status != cases[i].exit_status)
			fail_msg("%s: exit status %d, expected %d", cases[i].what, status,
				 cases[i].exit_status);
	}
}

static void test_names(void **state)
{
	(void)state;
	/* The contract's spellings. */
	assert_string_equal(outcome_kind_name(OUTCOME_EXITED), "exited");
	assert_string_equal(outcome_kind_name(OUTCOME_SIGNALED), "signaled");
	assert_string_equal(outcome_kind_name(OUTCOME_OUT_OF_MEMORY), "out-of-memory");
	assert_string_equal(outcome_kind_name(OUTCOME_OOM_KILLED), "oom-killed");
	assert_string_equal(outcome_kind_name(OUTCOME_FAILED_TO_START), "failed-to-start");
	assert_string_equal(oom_killer_name(OOM_KILLER_CGROUP), "cgroup");
	assert_string_equal(oom_killer_name(OOM_KILLER_OTHER), "other");
	assert_null(oom_killer_name(OOM_KILLER_UNKNOWN));
}

static void test_outcome_free(void **state)
{
	struct outcome o = { .start_error = xstrdup("no such file"), .hint = xstrdup("raise it") };

	(void)state;
	outcome_free(&o);
	assert_null(o.start_error);
	assert_null(o.hint);
	outcome_free(&o);	/* twice is harmless */
	assert_null(o.start_error);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_outcome_free),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
