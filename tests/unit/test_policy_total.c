/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for src/policy-total.c: UID_MIN and UID_MAX from login.defs
 * texts, when a total's cgroup counts as in force, and whom a policy
 * gives a total.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "cgroup.h"
#include "policy-total.h"
#include "util.h"

static void reads_uid_range(void **state)
{
	static const struct {
		const char *text;
		int r;
		unsigned long min, max;
		unsigned line;
	} cases[] = {
		{ "", 0, LOGIN_DEFS_UID_MIN, LOGIN_DEFS_UID_MAX, 0 },
		{ "# UID_MIN 5\nMAIL_DIR /var/mail\n", 0, LOGIN_DEFS_UID_MIN, LOGIN_DEFS_UID_MAX, 0 },
		{ "UID_MIN\t\t\t 1000\nUID_MAX\t\t\t60000\n", 0, 1000, 60000, 0 },
		{ "  UID_MIN 500\n", 0, 500, LOGIN_DEFS_UID_MAX, 0 },
		{ "UID_MAX 0x7fff", 0, LOGIN_DEFS_UID_MIN, 0x7fff, 0 },
		{ "UID_MIN 2000 # trailing\n", 0, 2000, LOGIN_DEFS_UID_MAX, 0 },
		{ "SYS_UID_MIN 100\nSYS_UID_MAX 999\n", 0, LOGIN_DEFS_UID_MIN, LOGIN_DEFS_UID_MAX, 0 },
		{ "UID_MIN 1000\nUID_MAX lots\n", -EINVAL, 0, 0, 2 },
		{ "UID_MIN -1\n", -EINVAL, 0, 0, 1 },
		{ "UID_MIN\n", -EINVAL, 0, 0, 1 },
		{ "\n\nUID_MAX 99999999999999999999\n", -EINVAL, 0, 0, 3 },
		{ "UID_MAX 4294967295\n", -EINVAL, 0, 0, 1 },
		{ "UID_MIN 10x\n", -EINVAL, 0, 0, 1 },
	};

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		unsigned long min = 1, max = 2;
		unsigned line = 0;
		int r = login_defs_uid_range(cases[i].text, &min, &max, &line);

		if (r != cases[i].r)
			fail_msg("case %zu (%s): %d, expected %d", i, cases[i].text, r, cases[i].r);
		if (r == 0 && (min != cases[i].min || max != cases[i].max))
			fail_msg("case %zu: %lu..%lu, expected %lu..%lu", i, min, max, cases[i].min,
				 cases[i].max);
		if (r < 0 && line != cases[i].line)
			fail_msg("case %zu: line %u, expected %u", i, line, cases[i].line);
		if (r < 0 && (min != 1 || max != 2))
			fail_msg("case %zu: the range was written on failure", i);
	}
}

static void tells_why_a_total_is_not_in_force(void **state)
{
	uint64_t total = 128ULL << 20;
	struct total_location loc = { .uid = 1000, .dir = (char *)"/sys/fs/cgroup/memrun/user-1000",
				      .manager = &cgroup_v2_manager };
	struct total_state fine = { .exists = true, .limit_known = true, .limit = total,
				    .owner = 1000, .delegated = true, .memory_below = true };
	struct total_state s;
	char *why;

	(void)state;
	assert_null(total_why_not_in_force(&loc, &fine, total));
	/* The kernel keeps whole pages: 128M + 1 byte shows as 128M. */
	assert_int_equal(total_limit_rounded(total + 1), total);
	assert_null(total_why_not_in_force(&loc, &fine, total + 1));

	s = fine, s.exists = false;
	why = total_why_not_in_force(&loc, &s, total);
	assert_string_equal(why, "/sys/fs/cgroup/memrun/user-1000 does not exist");
	free(why);

	s = fine, s.limit = 256ULL << 20;
	why = total_why_not_in_force(&loc, &s, total);
	assert_string_equal(why, "the memory.max of /sys/fs/cgroup/memrun/user-1000 is 256 MiB, "
				 "not 128 MiB");
	free(why);

	s = fine, s.limit = LIMIT_UNLIMITED;
	why = total_why_not_in_force(&loc, &s, total);
	assert_non_null(strstr(why, " is max, not 128 MiB"));
	free(why);

	s = fine, s.delegated = false;
	why = total_why_not_in_force(&loc, &s, total);
	assert_non_null(strstr(why, "is not delegated to uid 1000"));
	free(why);

	s = fine, s.memory_below = false;
	why = total_why_not_in_force(&loc, &s, total);
	assert_non_null(strstr(why, "cgroup.subtree_control lacks memory"));
	free(why);

	/* A slice is systemd's: its limit is all there is to check. */
	loc.unit = (char *)"user-1000.slice";
	s = fine, s.delegated = false, s.memory_below = false;
	assert_null(total_why_not_in_force(&loc, &s, total));

	loc = (struct total_location){ .uid = 1000, .why_none = (char *)"no memory hierarchy" };
	why = total_why_not_in_force(&loc, &fine, total);
	assert_string_equal(why, "no memory hierarchy");
	free(why);
}

static void collects_the_users_a_total_binds(void **state)
{
	struct policy p = { 0 };
	struct total_users users;
	struct passwd *nobody = getpwnam("nobody");

	(void)state;
	/* root is never bound; an account that does not exist is told and
	 * skipped; max is no total; an empty range adds nobody else. */
	assert_int_equal(policy_parse_text(&p, "policy.conf",
					   "[user root]\ntotal_memory_max = 1G\n"
					   "[user no-such-user-here]\ntotal_memory_max = 1G\n"
					   "[user nobody]\ntotal_memory_max = 128M\n"),
			 0);
	assert_int_equal(total_users_collect(&p, 1, 0, &users), 0);
	if (nobody) {
		assert_int_equal(users.count, 1);
		assert_int_equal(users.list[0].uid, nobody->pw_uid);
		assert_string_equal(users.list[0].name, "nobody");
		assert_int_equal(users.list[0].bytes, 128ULL << 20);
		assert_int_equal(users.list[0].line, 6);
		assert_ptr_equal(users.list[0].section, &p.sections[2]);
	} else {
		assert_int_equal(users.count, 0);
	}
	total_users_free(&users);
	policy_free(&p);

	assert_int_equal(policy_parse_text(&p, "policy.conf",
					   "[default]\ntotal_memory_max = 1G\n"
					   "[user nobody]\ntotal_memory_max = max\n"),
			 0);
	assert_int_equal(total_users_collect(&p, 1, 0, &users), 0);
	assert_int_equal(users.count, 0);
	total_users_free(&users);
	policy_free(&p);

	/* No policy file: nobody has a total. */
	assert_int_equal(total_users_collect(&p, 0, 4000000000UL, &users), 0);
	assert_int_equal(users.count, 0);
}

static bool not_12(uid_t uid)
{
	return uid != 12;
}

/* The users named by a directory's entries: cgroups, or drop-in directories. */
static void lists_the_users_a_directory_names(void **state)
{
	char dir[] = "/tmp/memrun-uids-XXXXXX";
	static const char *const dirs[] = { "user-1000", "user-12", "user-x", "user-7.slice.d",
					    "user-9.slice.d.bak", "users-3" };
	_cleanup_free_ uid_t *uids = NULL;
	size_t n = 99;
	char path[128];

	(void)state;
	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, dirs[i]);
		assert_int_equal(mkdir(path, 0755), 0);
	}
	snprintf(path, sizeof(path), "%s/user-5", dir);
	close(open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));	/* a file, not a cgroup */

	assert_int_equal(total_uids_in_dir(dir, "", true, NULL, &uids, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(uids[0], 12);
	assert_int_equal(uids[1], 1000);
	free(uids);
	uids = NULL;
	assert_int_equal(total_uids_in_dir(dir, "", true, not_12, &uids, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(uids[0], 1000);
	free(uids);
	uids = NULL;
	assert_int_equal(total_uids_in_dir(dir, ".slice.d", false, NULL, &uids, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(uids[0], 7);
	free(uids);
	uids = NULL;

	for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, dirs[i]);
		rmdir(path);
	}
	snprintf(path, sizeof(path), "%s/user-5", dir);
	unlink(path);
	rmdir(dir);
	/* Gone: none, not an error. */
	assert_int_equal(total_uids_in_dir(dir, "", true, NULL, &uids, &n), 0);
	assert_int_equal(n, 0);
	assert_null(uids);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reads_uid_range),
		cmocka_unit_test(tells_why_a_total_is_not_in_force),
		cmocka_unit_test(collects_the_users_a_total_binds),
		cmocka_unit_test(lists_the_users_a_directory_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
