/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for src/plan.c: defaults < profiles < flags, percentages
 * resolved against the budget and where it came from, and the job's
 * environment (the caller's, with GLIBC_TUNABLES merged and the probe's
 * variables put in, each name once, the caller's order kept).  Profiles
 * are real files in a temporary directory on MEMRUN_PROFILE_PATH.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "meminfo.h"
#include "plan.h"
#include "util.h"

#define GiB (1ULL << 30)
#define MiB (1ULL << 20)

static char root[64];

static void write_profile(const char *name, const char *text)
{
	_cleanup_free_ char *path = xasprintf("%s/%s.conf", root, name);
	FILE *f = fopen(path, "we");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)type, (void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	_cleanup_free_ char *home = NULL;

	(void)state;
	snprintf(root, sizeof(root), "/tmp/memrun-unit-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	home = xasprintf("%s/home", root);
	if (mkdir(home, 0755) < 0)
		return -1;
	/* Only this directory's profiles, never the user's or the system's
	 * 'default' (those come after it on the path, and names here win). */
	setenv("MEMRUN_PROFILE_PATH", root, 1);
	setenv("HOME", home, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	settings_free_strings();
	return 0;
}

static void flag(struct setting_value flags[SETTING_COUNT], enum setting_id id,
		 const char *option, const char *text)
{
	char *reason = NULL;

	flags[id].origin = (struct origin){ .kind = ORIGIN_FLAG, .flag = option };
	if (setting_parse(id, text, &flags[id], &reason) < 0)
		fail_msg("%s %s: %s", option, text, reason);
}

static const char *origin_of(const struct plan *plan, enum setting_id id)
{
	static char buf[512];

	return origin_describe(&plan->values[id].origin, buf, sizeof(buf));
}

static void load(struct plan *plan, char **names, size_t count)
{
	assert_int_equal(plan_load_profiles(plan, names, count), 0);
}

/* Nothing set: every value is the built-in default, and unset. */
static void test_defaults(void **state)
{
	struct plan plan;

	(void)state;
	plan_init(&plan);
	for (unsigned i = 0; i < SETTING_COUNT; i++) {
		assert_false(plan.values[i].set);
		assert_false(plan_has(&plan, i));
		assert_string_equal(origin_of(&plan, i), "default");
	}
	plan_free(&plan);
}

/* defaults < profiles (in the order named) < flags. */
static void test_precedence(void **state)
{
	struct setting_value flags[SETTING_COUNT] = { 0 };
	char *names[] = { "first", "second" };
	_cleanup_free_ char *expected = NULL;
	struct plan plan;

	(void)state;
	write_profile("first", "as = 1G\ndata = 512M\nmalloc.arena_max = 2\n");
	write_profile("second", "# over first\nas = 3G\noom_score_adj = 100\n");
	plan_init(&plan);
	load(&plan, names, ELEMENTSOF(names));
	assert_false(plan.default_profile_loaded);

	/* The later profile wins for 'as'; the earlier one's others stay. */
	assert_int_equal(plan.values[SETTING_AS].size.bytes, 3 * GiB);
	expected = xasprintf("profile second at %s/second.conf:2", root);
	assert_string_equal(origin_of(&plan, SETTING_AS), expected);
	assert_int_equal(plan.values[SETTING_DATA].size.bytes, 512 * MiB);
	free(expected);
	expected = xasprintf("profile first at %s/first.conf:2", root);
	assert_string_equal(origin_of(&plan, SETTING_DATA), expected);

	flag(flags, SETTING_AS, "--as", "5G");
	flag(flags, SETTING_MEMORY_MAX, "--memory-max", "50%");
	plan_apply_flags(&plan, flags);

	/* A flag wins over every profile, and only for what it names. */
	assert_int_equal(plan.values[SETTING_AS].size.bytes, 5 * GiB);
	assert_string_equal(origin_of(&plan, SETTING_AS), "flag --as");
	assert_int_equal(plan.values[SETTING_MEMORY_MAX].size.kind, SIZE_PERCENT);
	assert_string_equal(origin_of(&plan, SETTING_MEMORY_MAX), "flag --memory-max");
	assert_int_equal(plan.values[SETTING_DATA].size.bytes, 512 * MiB);
	assert_string_equal(origin_of(&plan, SETTING_DATA), expected);
	assert_int_equal(plan.values[SETTING_OOM_SCORE_ADJ].number, 100);
	assert_int_equal(plan.values[SETTING_MALLOC_ARENA_MAX].number, 2);
	/* What nobody set stays the default. */
	assert_false(plan_has(&plan, SETTING_SWAP_MAX));
	assert_string_equal(origin_of(&plan, SETTING_SWAP_MAX), "default");
	plan_free(&plan);
}

/* With no profile named, 'default' is loaded when it exists, and never
 * besides profiles named. */
static void test_default_profile(void **state)
{
	char *names[] = { "other" };
	_cleanup_free_ char *expected = NULL;
	int saved_stderr, null_fd, r;
	struct plan plan;

	(void)state;
	write_profile("default", "as = 2G\n");
	write_profile("other", "data = 1G\n");

	plan_init(&plan);
	load(&plan, NULL, 0);
	assert_true(plan.default_profile_loaded);
	assert_int_equal(plan.values[SETTING_AS].size.bytes, 2 * GiB);
	expected = xasprintf("profile default at %s/default.conf:1", root);
	assert_string_equal(origin_of(&plan, SETTING_AS), expected);
	plan_free(&plan);

	plan_init(&plan);
	load(&plan, names, 1);
	assert_false(plan.default_profile_loaded);
	assert_false(plan_has(&plan, SETTING_AS));
	assert_true(plan_has(&plan, SETTING_DATA));
	plan_free(&plan);

	/* A profile that does not exist is an error, not a silent default
	 * (its message, the search path, is not this test's subject). */
	plan_init(&plan);
	names[0] = "memrun-unit-test-no-such-profile";
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	assert_true(saved_stderr >= 0 && null_fd >= 0);
	dup2(null_fd, STDERR_FILENO);
	r = plan_load_profiles(&plan, names, 1);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	close(null_fd);
	assert_int_equal(r, -ENOENT);
	plan_free(&plan);

	_cleanup_free_ char *path = xasprintf("%s/default.conf", root);
	assert_int_equal(unlink(path), 0);
	plan_init(&plan);
	load(&plan, NULL, 0);
	assert_false(plan.default_profile_loaded);
	plan_free(&plan);
}

static void test_needs_budget(void **state)
{
	struct setting_value flags[SETTING_COUNT] = { 0 };
	struct plan plan;

	(void)state;
	plan_init(&plan);
	assert_false(plan_needs_budget(&plan));
	flag(flags, SETTING_AS, "--as", "1G");
	flag(flags, SETTING_DATA, "--data", "max");
	plan_apply_flags(&plan, flags);
	assert_false(plan_needs_budget(&plan));
	plan.dry_run = true;	/* --dry-run shows the budget */
	assert_true(plan_needs_budget(&plan));
	plan.dry_run = false;
	flag(flags, SETTING_SWAP_MAX, "--swap-max", "10%");
	plan_apply_flags(&plan, flags);
	assert_true(plan_needs_budget(&plan));
	plan_free(&plan);
}

static uint64_t mem_total(void)
{
	uint64_t total = 0;

	assert_int_equal(meminfo_read("MemTotal", &total), 0);
	assert_true(total > 0);
	return total;
}

/*
 * plan_resolve() with env as the caller's environment.  memrun reads the
 * caller's GLIBC_TUNABLES from its own environment, which in memrun is the
 * one it passes as the caller's: keep the two the same here.
 */
static void resolve(struct plan *plan, char **env, uint64_t enclosing_limit,
		    const char *limit_dir, const char *limit_file)
{
	const char *tunables = NULL;

	for (char **e = env; *e && !tunables; e++)
		if (startswith(*e, "GLIBC_TUNABLES="))
			tunables = *e + strlen("GLIBC_TUNABLES=");
	if (tunables)
		setenv("GLIBC_TUNABLES", tunables, 1);
	else
		unsetenv("GLIBC_TUNABLES");
	assert_int_equal(plan_resolve(plan, env, enclosing_limit, limit_dir, limit_file), 0);
	unsetenv("GLIBC_TUNABLES");
}

static const struct {
	const char *what;
	uint64_t enclosing_limit;	/* 0: half of MemTotal */
	const char *limit_dir;
	bool from_cgroup;		/* the budget is the enclosing limit */
} budgets[] = {
	{ "no enclosing limit", LIMIT_UNLIMITED, NULL, false },
	{ "an enclosing limit above MemTotal", LIMIT_UNLIMITED - 1, "/sys/fs/cgroup/big", false },
	{ "a lower enclosing limit", 0, "/sys/fs/cgroup/box", true },
	{ "a lower limit with no place to name", 0, NULL, false },
};

/* 100% is MemTotal, or the enclosing cgroup's limit when lower; bytes and
 * "max" do not depend on it. */
static void test_resolve_percentages(void **state)
{
	uint64_t total = mem_total();

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(budgets); i++) {
		struct setting_value flags[SETTING_COUNT] = { 0 };
		uint64_t limit = budgets[i].enclosing_limit ? budgets[i].enclosing_limit
							    : total / 2;
		uint64_t budget = budgets[i].from_cgroup ? limit : total;
		_cleanup_free_ char *source = NULL;
		struct plan plan;

		plan_init(&plan);
		flag(flags, SETTING_MEMORY_MAX, "--memory-max", "50%");
		flag(flags, SETTING_MEMORY_HIGH, "--memory-high", "12.5%");
		flag(flags, SETTING_AS, "--as", "3G");
		flag(flags, SETTING_DATA, "--data", "max");
		plan_apply_flags(&plan, flags);
		resolve(&plan, (char *[]){ NULL }, limit, budgets[i].limit_dir, "memory.max");

		source = budgets[i].from_cgroup
				 ? xasprintf("memory.max of %s", budgets[i].limit_dir)
				 : xstrdup("MemTotal in /proc/meminfo");
		if (plan.memory_budget != budget || !plan.memory_budget_source ||
		    !streq(plan.memory_budget_source, source))
			fail_msg("%s: budget %llu from \"%s\", expected %llu from \"%s\"",
				 budgets[i].what, (unsigned long long)plan.memory_budget,
				 plan.memory_budget_source ? plan.memory_budget_source : "(null)",
				 (unsigned long long)budget, source);
		assert_int_equal(plan.limit_bytes[SETTING_MEMORY_MAX], budget / 2);
		assert_int_equal(plan.limit_bytes[SETTING_MEMORY_HIGH], budget / 8);
		assert_int_equal(plan.limit_bytes[SETTING_AS], 3 * GiB);
		assert_true(plan.limit_bytes[SETTING_DATA] == LIMIT_UNLIMITED);
		plan_free(&plan);
	}
}

/* Without a percentage (and no --dry-run) /proc/meminfo is not read. */
static void test_resolve_without_budget(void **state)
{
	struct setting_value flags[SETTING_COUNT] = { 0 };
	struct plan plan;

	(void)state;
	plan_init(&plan);
	flag(flags, SETTING_MEMORY_MAX, "--memory-max", "64M");
	plan_apply_flags(&plan, flags);
	resolve(&plan, (char *[]){ NULL }, 1 * MiB, "/sys/fs/cgroup/box", "memory.max");
	assert_int_equal(plan.memory_budget, 0);
	assert_null(plan.memory_budget_source);
	assert_int_equal(plan.limit_bytes[SETTING_MEMORY_MAX], 64 * MiB);
	plan_free(&plan);

	plan_init(&plan);
	plan.dry_run = true;
	resolve(&plan, (char *[]){ NULL }, LIMIT_UNLIMITED, NULL, NULL);
	assert_int_equal(plan.memory_budget, mem_total());
	assert_string_equal(plan.memory_budget_source, "MemTotal in /proc/meminfo");
	plan_free(&plan);
}

#define MAX_ENV 12
#define MAX_SET 3

static const struct {
	const char *what;
	const char *env[MAX_ENV];		/* the caller's */
	struct {
		enum setting_id id;
		const char *text;
	} settings[MAX_SET];
	const char *extra[MAX_ENV];		/* the probe's, for plan_build_environ */
	const char *job[MAX_ENV];		/* the job's; { NULL }: the caller's, untouched */
} envs[] = {
	{ "nothing to add: the caller's environment itself",
	  { "PATH=/bin", "MALLOC_ARENA_MAX=8", "GLIBC_TUNABLES=glibc.rtld.nns=8" },
	  { { SETTING_AS, "1G" } }, { NULL }, { NULL } },
	{ "GLIBC_TUNABLES added at the end",
	  { "PATH=/bin", "HOME=/home/u", "LANG=C" },
	  { { SETTING_MALLOC_ARENA_MAX, "2" } }, { NULL },
	  { "PATH=/bin", "HOME=/home/u", "LANG=C", "GLIBC_TUNABLES=glibc.malloc.arena_max=2" } },
	{ "the caller's GLIBC_TUNABLES merged where it stood",
	  { "PATH=/bin", "GLIBC_TUNABLES=glibc.rtld.nns=8:glibc.malloc.arena_max=16", "LANG=C" },
	  { { SETTING_MALLOC_ARENA_MAX, "2" }, { SETTING_MALLOC_PERTURB, "165" } }, { NULL },
	  { "PATH=/bin",
	    "GLIBC_TUNABLES=glibc.rtld.nns=8:glibc.malloc.arena_max=2:glibc.malloc.perturb=165",
	    "LANG=C" } },
	{ "the caller's MALLOC_* variables kept as they are",
	  { "MALLOC_ARENA_MAX=8", "MALLOC_PERTURB_=3", "MALLOC_CHECK_=1", "X=1" },
	  { { SETTING_MALLOC_ARENA_MAX, "2" } }, { NULL },
	  { "MALLOC_ARENA_MAX=8", "MALLOC_PERTURB_=3", "MALLOC_CHECK_=1", "X=1",
	    "GLIBC_TUNABLES=glibc.malloc.arena_max=2" } },
	{ "a second GLIBC_TUNABLES of the caller's goes",
	  { "GLIBC_TUNABLES=glibc.rtld.nns=8", "A=1", "GLIBC_TUNABLES=glibc.malloc.check=3", "B=2" },
	  { { SETTING_MALLOC_TOP_PAD, "64K" } }, { NULL },
	  { "GLIBC_TUNABLES=glibc.rtld.nns=8:glibc.malloc.top_pad=65536", "A=1", "B=2" } },
	{ "names that only begin alike are other variables",
	  { "GLIBC_TUNABLES_X=1", "GLIBC_TUNABLE=2", "XGLIBC_TUNABLES=3", "GLIBC_TUNABLES" },
	  { { SETTING_MALLOC_ARENA_MAX, "1" } }, { NULL },
	  { "GLIBC_TUNABLES_X=1", "GLIBC_TUNABLE=2", "XGLIBC_TUNABLES=3", "GLIBC_TUNABLES",
	    "GLIBC_TUNABLES=glibc.malloc.arena_max=1" } },
	{ "the probe's variables: replaced in place or added, in their order",
	  { "LD_PRELOAD=/lib/caller.so", "PATH=/bin", "MEMRUN_PROBE=stale", "LANG=C" },
	  { { 0 } },
	  { "LD_PRELOAD=/probe.so:/lib/caller.so", "MEMRUN_PROBE=/proc/1/fd/3:1:2",
	    "ASAN_OPTIONS=verify_asan_link_order=0" },
	  { "LD_PRELOAD=/probe.so:/lib/caller.so", "PATH=/bin", "MEMRUN_PROBE=/proc/1/fd/3:1:2",
	    "LANG=C", "ASAN_OPTIONS=verify_asan_link_order=0" } },
	{ "GLIBC_TUNABLES and the probe's together, each once",
	  { "GLIBC_TUNABLES=glibc.rtld.nns=8", "LD_PRELOAD=/a.so", "LD_PRELOAD=/b.so", "Z=9" },
	  { { SETTING_MALLOC_ARENA_MAX, "4" } },
	  { "LD_PRELOAD=/probe.so:/a.so", "MEMRUN_PROBE=/proc/1/fd/3:1:2" },
	  { "GLIBC_TUNABLES=glibc.rtld.nns=8:glibc.malloc.arena_max=4", "LD_PRELOAD=/probe.so:/a.so",
	    "Z=9", "MEMRUN_PROBE=/proc/1/fd/3:1:2" } },
	{ "the notify relay's: NOTIFY_SOCKET replaced, \"WATCHDOG_PID\" alone unsets every one",
	  { "NOTIFY_SOCKET=/run/systemd/notify", "WATCHDOG_PID=42", "WATCHDOG_USEC=30000000",
	    "PATH=/bin", "WATCHDOG_PID=43", "WATCHDOG_PIDX=1" },
	  { { 0 } },
	  { "NOTIFY_SOCKET=@memrun-notify-1-ab", "WATCHDOG_PID", "LD_PRELOAD=/probe.so" },
	  { "NOTIFY_SOCKET=@memrun-notify-1-ab", "WATCHDOG_USEC=30000000", "PATH=/bin",
	    "WATCHDOG_PIDX=1", "LD_PRELOAD=/probe.so" } },
	{ "unsetting a name the caller does not have adds nothing",
	  { "A=1" }, { { 0 } }, { "WATCHDOG_PID" }, { "A=1" } },
	{ "an empty caller environment",
	  { NULL }, { { SETTING_MALLOC_ARENA_MAX, "4" } },
	  { "LD_PRELOAD=/probe.so", "MEMRUN_PROBE=/proc/1/fd/3:1:2" },
	  { "GLIBC_TUNABLES=glibc.malloc.arena_max=4", "LD_PRELOAD=/probe.so",
	    "MEMRUN_PROBE=/proc/1/fd/3:1:2" } },
};

static void expect_environ(const char *what, char **got, const char *const expected[])
{
	size_t i;

	for (i = 0; expected[i]; i++)
		if (!got[i] || !streq(got[i], expected[i]))
			fail_msg("%s: entry %zu is \"%s\", expected \"%s\"", what, i,
				 got[i] ? got[i] : "(end)", expected[i]);
	if (got[i])
		fail_msg("%s: entry %zu \"%s\" is one too many", what, i, got[i]);
}

static void test_environ(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(envs); i++) {
		struct setting_value flags[SETTING_COUNT] = { 0 };
		char *env[MAX_ENV + 1] = { NULL };
		struct plan plan;

		memcpy(env, envs[i].env, sizeof(envs[i].env));
		for (size_t j = 0; j < MAX_SET && envs[i].settings[j].text; j++)
			flag(flags, envs[i].settings[j].id, "--flag", envs[i].settings[j].text);
		plan_init(&plan);
		plan_apply_flags(&plan, flags);
		resolve(&plan, env, LIMIT_UNLIMITED, NULL, NULL);
		if (envs[i].extra[0]) {
			char *extra[MAX_ENV + 1] = { NULL };

			memcpy(extra, envs[i].extra, sizeof(envs[i].extra));
			plan_build_environ(&plan, extra);
			/* Built again from the caller's, never on top of the last. */
			plan_build_environ(&plan, extra);
		}
		if (!envs[i].job[0]) {
			if (plan.environ)
				fail_msg("%s: the job gets a new environment", envs[i].what);
			assert_null(plan.glibc_tunables);
		} else {
			if (!plan.environ)
				fail_msg("%s: the job gets the caller's environment", envs[i].what);
			expect_environ(envs[i].what, plan.environ, envs[i].job);
			/* Only the caller's array is the caller's: it is left as it was. */
			for (size_t j = 0; j < MAX_ENV; j++)
				assert_ptr_equal(env[j], envs[i].env[j]);
		}
		plan_free(&plan);
	}
}

/* plan->glibc_tunables is the value of the job's GLIBC_TUNABLES entry. */
static void test_glibc_tunables_value(void **state)
{
	struct setting_value flags[SETTING_COUNT] = { 0 };
	struct plan plan;

	(void)state;
	plan_init(&plan);
	flag(flags, SETTING_MALLOC_MMAP_THRESHOLD, "--malloc", "128K");
	plan_apply_flags(&plan, flags);
	resolve(&plan, (char *[]){ "GLIBC_TUNABLES=glibc.mem.tagging=1", NULL }, LIMIT_UNLIMITED,
		NULL, NULL);
	assert_string_equal(plan.glibc_tunables,
			    "glibc.mem.tagging=1:glibc.malloc.mmap_threshold=131072");
	assert_string_equal(plan.glibc_tunables_entry,
			    "GLIBC_TUNABLES=glibc.mem.tagging=1:glibc.malloc.mmap_threshold=131072");
	assert_ptr_equal(plan.environ[0], plan.glibc_tunables_entry);
	assert_null(plan.environ[1]);
	plan_free(&plan);
}

/* Dropping the probe's variables again leaves only what the plan sets. */
static void test_environ_rebuilt(void **state)
{
	struct plan plan;

	(void)state;
	plan_init(&plan);
	resolve(&plan, (char *[]){ "A=1", "LD_PRELOAD=/a.so", NULL }, LIMIT_UNLIMITED, NULL, NULL);
	assert_null(plan.environ);
	plan_build_environ(&plan, (char *const[]){ "LD_PRELOAD=/probe.so:/a.so", NULL });
	expect_environ("with the probe", plan.environ,
		       (const char *const[]){ "A=1", "LD_PRELOAD=/probe.so:/a.so", NULL });
	plan_build_environ(&plan, NULL);
	assert_null(plan.environ);
	plan_free(&plan);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_default_profile),
		cmocka_unit_test(test_needs_budget),
		cmocka_unit_test(test_resolve_percentages),
		cmocka_unit_test(test_resolve_without_budget),
		cmocka_unit_test(test_environ),
		cmocka_unit_test(test_glibc_tunables_value),
		cmocka_unit_test(test_environ_rebuilt),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
