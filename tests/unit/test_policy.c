/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for src/policy.c and src/policy-enforce.c: policy texts parsed
 * from memory, what binds which caller, the safety check of the file's
 * path, and plans held to caps (refused, lowered, capped where unset).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "plan.h"
#include "policy-enforce.h"
#include "policy.h"
#include "util.h"

static const char *const sample =
	"# site policy\n"
	"[default]\n"
	"max_memory_max = 256M   # every user\n"
	"max_as = 4G\n"
	"min_oom_score_adj = 0\n"
	"\n"
	"[group 4242]\n"
	"max_memory_max = 2G\n"
	"allowed_profiles = db, batch\n"
	"\n"
	"[user 1000]\n"
	"total_memory_max = 8G\n"
	"clamp = yes\n";

static void parses_sections_and_values(void **state)
{
	struct policy p = { 0 };

	(void)state;
	assert_int_equal(policy_parse_text(&p, "policy.conf", sample), 0);
	assert_string_equal(p.path, "policy.conf");
	assert_int_equal(p.count, 3);
	assert_int_equal(p.sections[0].kind, POLICY_SECTION_DEFAULT);
	assert_int_equal(p.sections[0].values[POLICY_MAX_MEMORY_MAX].bytes, 256 << 20);
	assert_int_equal(p.sections[0].values[POLICY_MAX_MEMORY_MAX].line, 3);
	assert_int_equal(p.sections[0].values[POLICY_MIN_OOM_SCORE_ADJ].number, 0);
	assert_true(p.sections[0].values[POLICY_MIN_OOM_SCORE_ADJ].set);
	assert_int_equal(p.sections[1].kind, POLICY_SECTION_GROUP);
	assert_string_equal(p.sections[1].name, "4242");
	assert_string_equal(p.sections[1].values[POLICY_ALLOWED_PROFILES].words[0], "db");
	assert_string_equal(p.sections[1].values[POLICY_ALLOWED_PROFILES].words[1], "batch");
	assert_null(p.sections[1].values[POLICY_ALLOWED_PROFILES].words[2]);
	assert_int_equal(p.sections[2].kind, POLICY_SECTION_USER);
	assert_int_equal(p.sections[2].values[POLICY_CLAMP].number, 1);
	assert_int_equal(p.sections[2].values[POLICY_TOTAL_MEMORY_MAX].bytes, 8ULL << 30);
	policy_free(&p);
}

static void refuses_bad_text(void **state)
{
	static const char *const bad[] = {
		"max_as = 1G\n",			/* outside any section */
		"[default]\nmax_ass = 1G\n",		/* unknown key */
		"[default]\nmax_as = 50%\n",		/* a percentage */
		"[default]\nmax_as = -1\n",
		"[default]\nmax_as = 1G\nmax_as = 2G\n",	/* twice */
		"[default]\n[default]\n",		/* section twice */
		"[user]\n",				/* no name */
		"[user a/b]\n",
		"[users alice]\n",
		"[default\n",
		"[default]\nallowed_profiles = ../db\n",
		"[default]\nmin_oom_score_adj = -1001\n",
		"[default]\nclamp = maybe\n",
		"[default]\nmax_as =\n",
		"[default]\njust words\n",
	};
	struct policy p = { 0 };

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		assert_int_equal(policy_parse_text(&p, "policy.conf", bad[i]), -EINVAL);
		assert_null(p.path);
		assert_int_equal(p.count, 0);
	}
}

static struct policy_caller caller_of(uid_t uid, gid_t gid, const gid_t *groups, size_t n)
{
	return (struct policy_caller){ .uid = uid, .gid = gid, .groups = groups, .n_groups = n };
}

static void binds_the_most_specific_section(void **state)
{
	struct policy p = { 0 };
	struct policy_binding b;
	struct policy_caller c;
	gid_t groups[] = { 4242 };

	(void)state;
	assert_int_equal(policy_parse_text(&p, "policy.conf", sample), 0);

	/* A plain user: [default] alone. */
	c = caller_of(2000, 2000, NULL, 0);
	policy_bind(&p, &c, &b);
	assert_string_equal(b.path, "policy.conf");
	assert_int_equal(b.values[POLICY_MAX_MEMORY_MAX].bytes, 256 << 20);
	assert_ptr_equal(b.from[POLICY_MAX_MEMORY_MAX], &p.sections[0]);
	assert_false(b.values[POLICY_CLAMP].set);
	assert_false(policy_allows_profile(&b, "db"));

	/* In group 4242 (a supplementary group): its cap, its profiles. */
	c = caller_of(2000, 2000, groups, 1);
	policy_bind(&p, &c, &b);
	assert_int_equal(b.values[POLICY_MAX_MEMORY_MAX].bytes, 2ULL << 30);
	assert_int_equal(b.values[POLICY_MAX_AS].bytes, 4ULL << 30);
	assert_true(policy_allows_profile(&b, "db"));
	assert_false(policy_allows_profile(&b, "strict"));

	/* User 1000 by number, primary group 4242. */
	c = caller_of(1000, 4242, NULL, 0);
	policy_bind(&p, &c, &b);
	assert_true(b.values[POLICY_CLAMP].number);
	assert_int_equal(b.values[POLICY_TOTAL_MEMORY_MAX].bytes, 8ULL << 30);
	assert_ptr_equal(b.from[POLICY_TOTAL_MEMORY_MAX], &p.sections[2]);
	assert_int_equal(b.values[POLICY_MAX_MEMORY_MAX].bytes, 2ULL << 30);

	/* Root: nothing binds, and nothing is lent. */
	c = caller_of(0, 0, NULL, 0);
	policy_bind(&p, &c, &b);
	assert_null(b.path);
	assert_false(policy_allows_profile(&b, "db"));
	policy_free(&p);
}

static void refuses_unsafe_paths(void **state)
{
	char dir[] = "/tmp/memrun-policy-XXXXXX";
	_cleanup_free_ char *file = NULL;
	char *why = NULL;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0755), 0);
	file = xasprintf("%s/policy.conf", dir);
	f = fopen(file, "we");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(chmod(file, 0644), 0);
	/* Tests run as root: root-owned, 0644, in root-owned directories. */
	if (getuid() == 0) {
		assert_int_equal(policy_path_is_safe(file, &why), 0);
		assert_int_equal(chmod(file, 0664), 0);
		assert_int_equal(policy_path_is_safe(file, &why), -EPERM);
		assert_non_null(strstr(why, "writable by users other than root"));
		free(why);
		why = NULL;
		assert_int_equal(chmod(file, 0644), 0);
		assert_int_equal(chmod(dir, 0777), 0);
		assert_int_equal(policy_path_is_safe(file, &why), -EPERM);
		assert_non_null(strstr(why, "directory"));
		free(why);
		why = NULL;
		assert_int_equal(chown(file, 65534, 0), 0);
		assert_int_equal(chmod(dir, 0755), 0);
		assert_int_equal(policy_path_is_safe(file, &why), -EPERM);
		assert_non_null(strstr(why, "not owned by root"));
		free(why);
		why = NULL;
	}
	assert_int_equal(policy_path_is_safe(dir, &why), -EPERM);	/* not a file */
	free(why);
	unlink(file);
	rmdir(dir);
}

/* A plan as main() makes it: profile values, then flags over them. */
static void plan_with(struct plan *plan, enum setting_id id, const char *value,
		      enum origin_kind kind)
{
	struct setting_value flags[SETTING_COUNT] = { 0 };
	char *why = NULL;

	plan_init(plan);
	flags[id].origin = (struct origin){ .kind = kind, .flag = "--x", .file = "p.conf",
					    .profile = "mine", .line = 1 };
	assert_int_equal(setting_parse(id, value, &flags[id], &why), 0);
	plan_apply_flags(plan, flags);
	plan->memory_budget = 1ULL << 30;
	if (setting_table[id].kind == VALUE_LIMIT)
		plan->limit_bytes[id] = plan_value_bytes(plan, &plan->values[id]);
}

static void enforce(const char *policy_text, uid_t uid, struct plan *plan, int want)
{
	struct policy p = { 0 };
	struct policy_binding b;
	struct policy_caller c = caller_of(uid, uid, NULL, 0);

	assert_int_equal(policy_parse_text(&p, "/etc/memrun/policy.conf", policy_text), 0);
	policy_bind(&p, &c, &b);
	assert_int_equal(policy_enforce(&b, plan), want);
	policy_free(&p);
}

static void caps_refuse_clamp_and_fill(void **state)
{
	struct plan plan;

	(void)state;
	/* Beyond the cap: refused. */
	plan_with(&plan, SETTING_MEMORY_MAX, "1G", ORIGIN_FLAG);
	enforce("[default]\nmax_memory_max = 256M\n", 1000, &plan, -EPERM);
	plan_free(&plan);

	/* Within it: kept as asked. */
	plan_with(&plan, SETTING_MEMORY_MAX, "100M", ORIGIN_FLAG);
	enforce("[default]\nmax_memory_max = 256M\n", 1000, &plan, 0);
	assert_int_equal(plan.limit_bytes[SETTING_MEMORY_MAX], 100 << 20);
	assert_int_equal(plan.values[SETTING_MEMORY_MAX].origin.kind, ORIGIN_FLAG);
	plan_free(&plan);

	/* "max" from the caller's own profile is beyond any cap. */
	plan_with(&plan, SETTING_AS, "max", ORIGIN_PROFILE);
	enforce("[default]\nmax_as = 1G\n", 1000, &plan, -EPERM);
	plan_free(&plan);

	/* A percentage is judged by what it resolves to (50% of 1 GiB). */
	plan_with(&plan, SETTING_MEMORY_MAX, "50%", ORIGIN_FLAG);
	enforce("[default]\nmax_memory_max = 256M\n", 1000, &plan, -EPERM);
	plan_free(&plan);

	/* clamp = yes: lowered, and what was asked is kept for the report. */
	plan_with(&plan, SETTING_MEMORY_MAX, "1G", ORIGIN_FLAG);
	enforce("[default]\nmax_memory_max = 256M\nclamp = yes\n", 1000, &plan, 0);
	assert_int_equal(plan.limit_bytes[SETTING_MEMORY_MAX], 256 << 20);
	assert_int_equal(plan.values[SETTING_MEMORY_MAX].origin.kind, ORIGIN_POLICY);
	assert_string_equal(plan.values[SETTING_MEMORY_MAX].origin.flag, "max_memory_max");
	assert_int_equal(plan.values[SETTING_MEMORY_MAX].origin.line, 2);
	assert_non_null(strstr(plan.policy_asked[SETTING_MEMORY_MAX], "1 GiB"));
	plan_free(&plan);

	/* Unset: the cap becomes the limit. */
	plan_with(&plan, SETTING_DATA, "1G", ORIGIN_FLAG);
	enforce("[default]\nmax_memory_max = 256M\n", 1000, &plan, 0);
	assert_true(plan.values[SETTING_MEMORY_MAX].set);
	assert_int_equal(plan.limit_bytes[SETTING_MEMORY_MAX], 256 << 20);
	assert_null(plan.policy_asked[SETTING_MEMORY_MAX]);
	assert_string_equal(plan.policy_sections, "[default] line 1");
	plan_free(&plan);

	/* --best-effort cannot run the job past a cgroup cap. */
	plan_with(&plan, SETTING_BEST_EFFORT, "yes", ORIGIN_FLAG);
	enforce("[default]\nmax_memory_max = 256M\n", 1000, &plan, 0);
	assert_false(setting_enabled(plan.values, SETTING_BEST_EFFORT));
	plan_free(&plan);

	/* oom_score_adj: a floor for what is asked; unset stays unset. */
	plan_with(&plan, SETTING_OOM_SCORE_ADJ, "-500", ORIGIN_FLAG);
	enforce("[default]\nmin_oom_score_adj = 0\n", 1000, &plan, -EPERM);
	plan_free(&plan);
	plan_with(&plan, SETTING_OOM_SCORE_ADJ, "500", ORIGIN_FLAG);
	enforce("[default]\nmin_oom_score_adj = 0\n", 1000, &plan, 0);
	assert_int_equal(plan.values[SETTING_OOM_SCORE_ADJ].number, 500);
	plan_free(&plan);
	plan_with(&plan, SETTING_DATA, "1G", ORIGIN_FLAG);
	enforce("[default]\nmin_oom_score_adj = 0\n", 1000, &plan, 0);
	assert_false(plan.values[SETTING_OOM_SCORE_ADJ].set);
	plan_free(&plan);

	/* Root is not bound. */
	plan_with(&plan, SETTING_MEMORY_MAX, "1G", ORIGIN_FLAG);
	enforce("[default]\nmax_memory_max = 256M\n", 0, &plan, 0);
	assert_int_equal(plan.limit_bytes[SETTING_MEMORY_MAX], 1 << 30);
	assert_null(plan.policy_file);
	plan_free(&plan);
}

/* A profile the caller wrote is never a system profile, whatever its name. */
static void own_profile_is_not_allowed(void **state)
{
	struct policy p = { 0 };
	struct policy_binding b;
	struct policy_caller c = caller_of(1000, 1000, NULL, 0);
	struct origin own = { .kind = ORIGIN_PROFILE, .file = "/tmp/db.conf", .profile = "db",
			      .line = 1 };
	struct origin flag = { .kind = ORIGIN_FLAG, .flag = "--as" };

	(void)state;
	assert_int_equal(policy_parse_text(&p, "policy.conf", "[default]\nallowed_profiles = *\n"),
			 0);
	policy_bind(&p, &c, &b);
	assert_true(policy_allows_profile(&b, "db"));
	assert_false(policy_allows_origin(&b, &own));
	assert_false(policy_allows_origin(&b, &flag));
	policy_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_sections_and_values),
		cmocka_unit_test(refuses_bad_text),
		cmocka_unit_test(binds_the_most_specific_section),
		cmocka_unit_test(refuses_unsafe_paths),
		cmocka_unit_test(caps_refuse_clamp_and_fill),
		cmocka_unit_test(own_profile_is_not_allowed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
