/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for src/oomd.c: systemd-oomd's records of its kills, as its
 * journal MESSAGE fields hold them, and its marks on a cgroup.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/xattr.h>

#include <cmocka.h>

#include "oomd.h"
#include "util.h"

#define SCOPE "/user.slice/user-4242.slice/user@4242.service/app.slice/memrun-7-ab.scope"
#define PRESSURE_RULE " due to memory pressure for /user.slice/user-4242.slice/user@4242.service " \
		      "being 82.39% > 50.00% for > 20s with reclaim activity"
#define SWAP_RULE " due to memory used (3967631360) / total (4109549568) and swap used " \
		  "(1932735283) / total (2147479552) being more than 90.00%"

/* Designated: the rest of the case is zero. */
#define NOT_PARSED(what_, message_) { .what = (what_), .message = (message_) }

static const struct {
	const char *what;
	const char *message;
	bool parsed;
	enum oomd_rule rule;
	const char *cgroup;
	const char *monitored;	/* pressure */
	uint64_t pressure, limit;	/* pressure: hundredths; swap: limit */
	const char *duration;
	double duration_s;
} messages[] = {
	{ "pressure, the scope killed", "Killed " SCOPE PRESSURE_RULE, true, OOMD_RULE_PRESSURE,
	  SCOPE, "/user.slice/user-4242.slice/user@4242.service", 8239, 5000, "20s", 20 },
	{ "pressure, the job's leaf killed", "Killed " SCOPE "/memrun-7-cd" PRESSURE_RULE, true,
	  OOMD_RULE_PRESSURE, SCOPE "/memrun-7-cd", "/user.slice/user-4242.slice/user@4242.service",
	  8239, 5000, "20s", 20 },
	{ "pressure of a slice, for minutes",
	  "Killed /memrun.slice/memrun-oomd.slice/memrun-oomd-test.slice/memrun-1-ab.scope/"
	  "memrun-1-cd due to memory pressure for /memrun.slice/memrun-oomd.slice/"
	  "memrun-oomd-test.slice being 100.00% > 10.00% for > 1min 30s with reclaim activity",
	  true, OOMD_RULE_PRESSURE,
	  "/memrun.slice/memrun-oomd.slice/memrun-oomd-test.slice/memrun-1-ab.scope/memrun-1-cd",
	  "/memrun.slice/memrun-oomd.slice/memrun-oomd-test.slice", 10000, 1000, "1min 30s", 90 },
	{ "pressure of the root slice",
	  "Killed /system.slice/x.service due to memory pressure for / being 61.00% > 60.00% "
	  "for > 1s with reclaim activity",
	  true, OOMD_RULE_PRESSURE, "/system.slice/x.service", "/", 6100, 6000, "1s", 1 },
	{ "swap", "Killed " SCOPE SWAP_RULE, true, OOMD_RULE_SWAP, SCOPE, NULL, 0, 9000, NULL, 0 },
	{ "a later systemd marks, then kills",
	  "Marked " SCOPE " for killing" PRESSURE_RULE, true, OOMD_RULE_PRESSURE, SCOPE,
	  "/user.slice/user-4242.slice/user@4242.service", 8239, 5000, "20s", 20 },
	/* A cgroup's name is anyone's: the rule is read from the end. */
	{ "a cgroup named after a rule",
	  "Killed " SCOPE "/x due to memory pressure for /fake being 1.00% > 0.00% for > 1s with "
	  "reclaim activity" PRESSURE_RULE,
	  true, OOMD_RULE_PRESSURE,
	  SCOPE "/x due to memory pressure for /fake being 1.00% > 0.00% for > 1s with reclaim "
	  "activity",
	  "/user.slice/user-4242.slice/user@4242.service", 8239, 5000, "20s", 20 },
	{ "a cgroup named after a pressure rule, killed by swap",
	  "Killed " SCOPE "/x due to memory pressure for /a being 1.00% > 0.00% for > 1s" SWAP_RULE,
	  true, OOMD_RULE_SWAP,
	  SCOPE "/x due to memory pressure for /a being 1.00% > 0.00% for > 1s", NULL, 0, 9000,
	  NULL, 0 },
	{ "a cgroup with spaces",
	  "Killed /a b/c d" PRESSURE_RULE, true, OOMD_RULE_PRESSURE, "/a b/c d",
	  "/user.slice/user-4242.slice/user@4242.service", 8239, 5000, "20s", 20 },

	NOT_PARSED("oomd's other messages",
		   "Memory pressure for /user.slice is 82.39% > 50.00% for > 20s with reclaim "
		   "activity"),
	NOT_PARSED("no kill", "Failed to kill any cgroups under /user.slice based on pressure: "
			      "No such file or directory"),
	NOT_PARSED("no cgroup", "Killed" PRESSURE_RULE),
	NOT_PARSED("a relative cgroup", "Killed x" PRESSURE_RULE),
	NOT_PARSED("an empty cgroup", "Killed " PRESSURE_RULE),
	NOT_PARSED("a monitored cgroup with a space",
		   "Killed /a due to memory pressure for /b c being 82.39% > 50.00% for > 20s "
		   "with reclaim activity"),
	NOT_PARSED("a percentage without hundredths",
		   "Killed /a due to memory pressure for /b being 82% > 50.00% for > 20s with "
		   "reclaim activity"),
	NOT_PARSED("no duration",
		   "Killed /a due to memory pressure for /b being 82.39% > 50.00% for >  with "
		   "reclaim activity"),
	NOT_PARSED("a duration in no unit",
		   "Killed /a due to memory pressure for /b being 82.39% > 50.00% for > 20 with "
		   "reclaim activity"),
	NOT_PARSED("swap, a number missing",
		   "Killed /a due to memory used () / total (4) and swap used (1) / total (2) "
		   "being more than 90.00%"),
	NOT_PARSED("swap, text after the limit",
		   "Killed /a due to memory used (1) / total (4) and swap used (1) / total (2) "
		   "being more than 90.00% or so"),
	NOT_PARSED("marked, not for killing", "Marked " SCOPE PRESSURE_RULE),
	NOT_PARSED("an empty message", ""),
};

static void test_messages(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(messages); i++) {
		struct oomd_record r = { .rule = OOMD_RULE_UNKNOWN };
		const char *m = messages[i].message;
		bool parsed = oomd_parse_message(m, strlen(m), &r);

		if (parsed != messages[i].parsed)
			fail_msg("%s: parsed %d, expected %d", messages[i].what, parsed,
				 messages[i].parsed);
		if (!parsed) {
			if (r.cgroup || r.monitored || r.duration)
				fail_msg("%s: a record not taken was written", messages[i].what);
			continue;
		}
		if (r.rule != messages[i].rule || !streq(r.cgroup, messages[i].cgroup))
			fail_msg("%s: rule %d, cgroup '%s'", messages[i].what, r.rule, r.cgroup);
		if (r.rule == OOMD_RULE_PRESSURE &&
		    (!streq(r.monitored, messages[i].monitored) || r.pressure != messages[i].pressure ||
		     r.pressure_limit != messages[i].limit || !streq(r.duration, messages[i].duration) ||
		     r.duration_s != messages[i].duration_s))
			fail_msg("%s: pressure of '%s' %llu > %llu for '%s' (%g s)", messages[i].what,
				 r.monitored, (unsigned long long)r.pressure,
				 (unsigned long long)r.pressure_limit, r.duration, r.duration_s);
		if (r.rule == OOMD_RULE_SWAP &&
		    (r.monitored || r.memory_used != 3967631360 || r.memory_total != 4109549568 ||
		     r.swap_used != 1932735283 || r.swap_total != 2147479552 ||
		     r.swap_limit != messages[i].limit))
			fail_msg("%s: swap %llu/%llu, limit %llu", messages[i].what,
				 (unsigned long long)r.swap_used, (unsigned long long)r.swap_total,
				 (unsigned long long)r.swap_limit);
		oomd_record_free(&r);
	}
}

/* The journal's data is not NUL-terminated: only size bytes are read. */
static void test_message_size(void **state)
{
	static const char text[] = "Killed /a" PRESSURE_RULE "XYZ";
	struct oomd_record r = { 0 };

	(void)state;
	assert_true(oomd_parse_message(text, strlen(text) - 3, &r));
	assert_string_equal(r.cgroup, "/a");
	oomd_record_free(&r);
	assert_false(oomd_parse_message(text, strlen(text), &r));
}

static void test_path_is_job(void **state)
{
	(void)state;
	assert_true(oomd_path_is_job(SCOPE, "/memrun-7-ab.scope"));
	assert_true(oomd_path_is_job(SCOPE "/memrun-7-cd", "/memrun-7-ab.scope"));
	assert_true(oomd_path_is_job(SCOPE "/memrun-7-cd/sub", "/memrun-7-cd"));
	assert_false(oomd_path_is_job(SCOPE, "/memrun-7-a"));
	assert_false(oomd_path_is_job("/a/memrun-7-ab.scopex", "/memrun-7-ab.scope"));
	assert_false(oomd_path_is_job("/a/xmemrun-7-cd", "/memrun-7-cd"));
	assert_false(oomd_path_is_job("/user.slice", "/memrun-7-cd"));
}

static void test_rule_names(void **state)
{
	(void)state;
	assert_string_equal(oomd_rule_name(OOMD_RULE_PRESSURE), "memory-pressure");
	assert_string_equal(oomd_rule_name(OOMD_RULE_SWAP), "swap");
	assert_null(oomd_rule_name(OOMD_RULE_UNKNOWN));
}

/* The marks, on a directory of a file system that keeps user xattrs (a
 * cgroup's, tmpfs since Linux 6.6, most disk file systems). */
static void test_marks(void **state)
{
	char dir[] = "/tmp/memrun-test-oomd.XXXXXX";
	struct oomd_marks marks = { 0 };
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	if (fsetxattr(fd, "user.memrun_test", "1", 1, 0) < 0) {
		close(fd);
		rmdir(dir);
		skip();
	}
	assert_int_equal(oomd_read_marks(fd, &marks), 0);	/* none */
	assert_int_equal(fsetxattr(fd, "user.oomd_ooms", "1", 1, 0), 0);
	assert_int_equal(oomd_read_marks(fd, &marks), 1);	/* the kill under way */
	assert_int_equal(marks.actions, 1);
	assert_int_equal(marks.processes, 0);
	assert_int_equal(marks.pending, 1);
	marks = (struct oomd_marks){ 0 };
	assert_int_equal(fsetxattr(fd, "user.oomd_kill", "12", 2, 0), 0);
	assert_int_equal(oomd_read_marks(fd, &marks), 1);
	assert_int_equal(oomd_read_marks(fd, &marks), 1);	/* added up */
	assert_int_equal(marks.actions, 2);
	assert_int_equal(marks.processes, 24);
	assert_int_equal(marks.pending, 0);
	assert_int_equal(fsetxattr(fd, "user.oomd_kill", "1x", 2, 0), 0);
	assert_int_equal(oomd_read_marks(fd, &marks), -EINVAL);
	close(fd);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_message_size),
		cmocka_unit_test(test_path_is_job),
		cmocka_unit_test(test_rule_names),
		cmocka_unit_test(test_marks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
