/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for src/settings.c: the settings table and value parsing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "settings.h"
#include "util.h"

#define KiB (1LL << 10)
#define MiB (1LL << 20)
#define GiB (1LL << 30)

/* Cases for the settings whose value is a number (not VALUE_LIMIT). */
static const struct {
	enum setting_id id;
	const char *text;
	int error;
	long long number;	/* when error == 0 */
} number_cases[] = {
	{ SETTING_OOM_SCORE_ADJ, "0", 0, 0 },
	{ SETTING_OOM_SCORE_ADJ, "-500", 0, -500 },
	{ SETTING_OOM_SCORE_ADJ, "-1000", 0, -1000 },
	{ SETTING_OOM_SCORE_ADJ, "1000", 0, 1000 },
	/* An explicit sign is a number, as strtol, choom and systemd take it. */
	{ SETTING_OOM_SCORE_ADJ, "+5", 0, 5 },
	{ SETTING_OOM_SCORE_ADJ, "-1001", -ERANGE, 0 },
	{ SETTING_OOM_SCORE_ADJ, "1001", -ERANGE, 0 },
	{ SETTING_OOM_SCORE_ADJ, "99999999999999999999", -ERANGE, 0 },
	{ SETTING_OOM_SCORE_ADJ, "-99999999999999999999", -ERANGE, 0 },
	{ SETTING_OOM_SCORE_ADJ, "", -EINVAL, 0 },
	{ SETTING_OOM_SCORE_ADJ, "1e3", -EINVAL, 0 },
	{ SETTING_OOM_SCORE_ADJ, " 5", -EINVAL, 0 },
	{ SETTING_OOM_SCORE_ADJ, "\t5", -EINVAL, 0 },
	{ SETTING_OOM_SCORE_ADJ, "\n5", -EINVAL, 0 },
	{ SETTING_OOM_SCORE_ADJ, "\r5", -EINVAL, 0 },
	{ SETTING_OOM_SCORE_ADJ, "\v5", -EINVAL, 0 },
	{ SETTING_OOM_SCORE_ADJ, "\f5", -EINVAL, 0 },
	{ SETTING_OOM_SCORE_ADJ, "5 ", -EINVAL, 0 },
	{ SETTING_OOM_SCORE_ADJ, "5\n", -EINVAL, 0 },
	{ SETTING_OOM_SCORE_ADJ, "- 5", -EINVAL, 0 },
	{ SETTING_OOM_SCORE_ADJ, "--5", -EINVAL, 0 },
	{ SETTING_OOM_SCORE_ADJ, "+-5", -EINVAL, 0 },
	{ SETTING_OOM_SCORE_ADJ, "0x10", -EINVAL, 0 },
	{ SETTING_OOM_SCORE_ADJ, "5.0", -EINVAL, 0 },
	{ SETTING_OOM_SCORE_ADJ, "five", -EINVAL, 0 },
	{ SETTING_OOM_SCORE_ADJ, "-", -EINVAL, 0 },

	{ SETTING_MALLOC_ARENA_MAX, "1", 0, 1 },
	{ SETTING_MALLOC_ARENA_MAX, "4", 0, 4 },
	{ SETTING_MALLOC_ARENA_MAX, "0", -ERANGE, 0 },
	{ SETTING_MALLOC_ARENA_MAX, "-1", -ERANGE, 0 },
	{ SETTING_MALLOC_ARENA_MAX, "4K", -EINVAL, 0 },

	{ SETTING_MALLOC_MMAP_THRESHOLD, "0", 0, 0 },
	{ SETTING_MALLOC_MMAP_THRESHOLD, "131072", 0, 128 * KiB },
	{ SETTING_MALLOC_MMAP_THRESHOLD, "128K", 0, 128 * KiB },
	{ SETTING_MALLOC_MMAP_THRESHOLD, "32M", 0, 32 * MiB },
	{ SETTING_MALLOC_MMAP_THRESHOLD, "32MiB", 0, 32 * MiB },
	{ SETTING_MALLOC_MMAP_THRESHOLD, "33554433", -ERANGE, 0 },
	{ SETTING_MALLOC_MMAP_THRESHOLD, "1G", -ERANGE, 0 },
	{ SETTING_MALLOC_MMAP_THRESHOLD, "50%", -EINVAL, 0 },
	{ SETTING_MALLOC_MMAP_THRESHOLD, "max", -EINVAL, 0 },
	{ SETTING_MALLOC_MMAP_THRESHOLD, "-1", -ERANGE, 0 },
	{ SETTING_MALLOC_MMAP_THRESHOLD, "lots", -EINVAL, 0 },

	{ SETTING_MALLOC_TRIM_THRESHOLD, "128M", 0, 128 * MiB },
	{ SETTING_MALLOC_TRIM_THRESHOLD, "0", 0, 0 },
	{ SETTING_MALLOC_TRIM_THRESHOLD, "max", -EINVAL, 0 },
	{ SETTING_MALLOC_TOP_PAD, "64K", 0, 64 * KiB },
	{ SETTING_MALLOC_TOP_PAD, "1.5", -EINVAL, 0 },

	{ SETTING_MALLOC_MMAP_MAX, "0", 0, 0 },
	{ SETTING_MALLOC_MMAP_MAX, "2147483647", 0, INT32_MAX },
	{ SETTING_MALLOC_MMAP_MAX, "2147483648", -ERANGE, 0 },

	{ SETTING_MALLOC_TCACHE_COUNT, "0", 0, 0 },
	{ SETTING_MALLOC_TCACHE_COUNT, "65535", 0, 65535 },
	{ SETTING_MALLOC_TCACHE_COUNT, "65536", -ERANGE, 0 },
	{ SETTING_MALLOC_TCACHE_COUNT, "-1", -ERANGE, 0 },

	{ SETTING_MALLOC_PERTURB, "0", 0, 0 },
	{ SETTING_MALLOC_PERTURB, "165", 0, 165 },
	{ SETTING_MALLOC_PERTURB, "255", 0, 255 },
	{ SETTING_MALLOC_PERTURB, "256", -ERANGE, 0 },
	{ SETTING_MALLOC_PERTURB, "-1", -ERANGE, 0 },

	{ SETTING_MALLOC_HUGETLB, "0", 0, 0 },
	{ SETTING_MALLOC_HUGETLB, "1", 0, 1 },
	{ SETTING_MALLOC_HUGETLB, "2", 0, 2 },
	{ SETTING_MALLOC_HUGETLB, "2M", 0, 2 * MiB },
	{ SETTING_MALLOC_HUGETLB, "2097152", 0, 2 * MiB },
	{ SETTING_MALLOC_HUGETLB, "1G", 0, GiB },
	{ SETTING_MALLOC_HUGETLB, "64K", 0, 64 * KiB },
	{ SETTING_MALLOC_HUGETLB, "4096", 0, 4096 },
	{ SETTING_MALLOC_HUGETLB, "3", -EINVAL, 0 },
	{ SETTING_MALLOC_HUGETLB, "1024", -EINVAL, 0 },
	{ SETTING_MALLOC_HUGETLB, "2048", -EINVAL, 0 },
	{ SETTING_MALLOC_HUGETLB, "3M", -EINVAL, 0 },
	{ SETTING_MALLOC_HUGETLB, "1.5M", -EINVAL, 0 },
	{ SETTING_MALLOC_HUGETLB, "max", -EINVAL, 0 },
	{ SETTING_MALLOC_HUGETLB, "50%", -EINVAL, 0 },
	{ SETTING_MALLOC_HUGETLB, "-1", -EINVAL, 0 },
	{ SETTING_MALLOC_HUGETLB, "yes", -EINVAL, 0 },

	{ SETTING_LOCK_LIMITS, "yes", 0, 1 },
	{ SETTING_LOCK_LIMITS, "off", 0, 0 },
	{ SETTING_LOCK_LIMITS, "locked", -EINVAL, 0 },
	{ SETTING_OOM_GROUP, "yes", 0, 1 },
	{ SETTING_OOM_GROUP, "YES", 0, 1 },
	{ SETTING_OOM_GROUP, "true", 0, 1 },
	{ SETTING_OOM_GROUP, "on", 0, 1 },
	{ SETTING_OOM_GROUP, "1", 0, 1 },
	{ SETTING_WAIT_ALL, "no", 0, 0 },
	{ SETTING_WAIT_ALL, "False", 0, 0 },
	{ SETTING_WAIT_ALL, "off", 0, 0 },
	{ SETTING_BEST_EFFORT, "0", 0, 0 },
	{ SETTING_BEST_EFFORT, "", -EINVAL, 0 },
	{ SETTING_BEST_EFFORT, "2", -EINVAL, 0 },
	{ SETTING_BEST_EFFORT, "y", -EINVAL, 0 },
	{ SETTING_BEST_EFFORT, " yes", -EINVAL, 0 },
	{ SETTING_BEST_EFFORT, "yes please", -EINVAL, 0 },
};

static void test_parse_numbers(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(number_cases); i++) {
		const char *key = setting_table[number_cases[i].id].key;
		struct setting_value v = { .number = 4242 };
		char *why = (char *)"untouched";
		int r = setting_parse(number_cases[i].id, number_cases[i].text, &v, &why);

		if (r != number_cases[i].error)
			fail_msg("%s \"%s\": setting_parse = %d (%s), expected %d", key,
				 number_cases[i].text, r, why ? why : "no reason",
				 number_cases[i].error);
		if (r == 0) {
			if (why != NULL)
				fail_msg("%s \"%s\": a reason on success", key,
					 number_cases[i].text);
			if (!v.set || v.number != number_cases[i].number)
				fail_msg("%s \"%s\": set %d, number %lld; expected %lld", key,
					 number_cases[i].text, v.set, v.number,
					 number_cases[i].number);
		} else {
			if (!why || !*why)
				fail_msg("%s \"%s\": failed without a reason", key,
					 number_cases[i].text);
			/* The result is written only on success. */
			if (v.set || v.number != 4242)
				fail_msg("%s \"%s\": result written on failure", key,
					 number_cases[i].text);
			free(why);
		}
	}
}

static const struct {
	const char *text;
	int error;
	enum size_kind kind;
	uint64_t bytes;
	uint32_t percent_milli;
} limit_cases[] = {
	{ "1", 0, SIZE_BYTES, 1, 0 },
	{ "256M", 0, SIZE_BYTES, 256ULL << 20, 0 },
	{ "2G", 0, SIZE_BYTES, 2ULL << 30, 0 },
	{ "50%", 0, SIZE_PERCENT, 0, 50000 },
	{ "max", 0, SIZE_UNLIMITED, 0, 0 },
	{ "unlimited", 0, SIZE_UNLIMITED, 0, 0 },
	/* 0 bytes leaves no room for any program. */
	{ "0", -ERANGE, 0, 0, 0 },
	{ "0M", -ERANGE, 0, 0, 0 },
	{ "0.0G", -ERANGE, 0, 0, 0 },
	{ "0%", -ERANGE, 0, 0, 0 },
	{ "", -EINVAL, 0, 0, 0 },
	{ "-1", -ERANGE, 0, 0, 0 },
	{ "lots", -EINVAL, 0, 0, 0 },
	{ "8589934592G", -ERANGE, 0, 0, 0 },
};

static const enum setting_id limit_ids[] = {
	SETTING_AS, SETTING_DATA, SETTING_MEMORY_MAX, SETTING_MEMORY_HIGH, SETTING_SWAP_MAX,
};

static void test_parse_limits(void **state)
{
	(void)state;
	for (size_t k = 0; k < ELEMENTSOF(limit_ids); k++) {
		const char *key = setting_table[limit_ids[k]].key;

		assert_int_equal(setting_table[limit_ids[k]].kind, VALUE_LIMIT);
		for (size_t i = 0; i < ELEMENTSOF(limit_cases); i++) {
			struct setting_value v = { 0 };
			char *why = NULL;
			int r = setting_parse(limit_ids[k], limit_cases[i].text, &v, &why);

			if (r != limit_cases[i].error)
				fail_msg("%s \"%s\": setting_parse = %d (%s), expected %d", key,
					 limit_cases[i].text, r, why ? why : "no reason",
					 limit_cases[i].error);
			if (r < 0) {
				if (!why || !*why || v.set)
					fail_msg("%s \"%s\": no reason, or result written",
						 key, limit_cases[i].text);
				free(why);
				continue;
			}
			if (!v.set || v.size.kind != limit_cases[i].kind ||
			    (v.size.kind == SIZE_BYTES && v.size.bytes != limit_cases[i].bytes) ||
			    (v.size.kind == SIZE_PERCENT &&
			     v.size.percent_milli != limit_cases[i].percent_milli))
				fail_msg("%s \"%s\": got kind %d, %llu bytes, %u milli-percent",
					 key, limit_cases[i].text, v.size.kind,
					 (unsigned long long)v.size.bytes, v.size.percent_milli);
		}
	}
}

static void test_parse_path(void **state)
{
	struct setting_value v = { 0 };
	char *why = NULL;
	char text[] = "/sys/fs/cgroup/jobs.slice";

	(void)state;
	assert_int_equal(setting_table[SETTING_CGROUP_PARENT].kind, VALUE_PATH);
	assert_int_equal(setting_parse(SETTING_CGROUP_PARENT, "", &v, &why), -EINVAL);
	assert_non_null(why);
	free(why);
	assert_false(v.set);
	assert_int_equal(setting_parse(SETTING_CGROUP_PARENT, text, &v, &why), 0);
	assert_true(v.set);
	/* A copy: the caller's buffer (a profile line) does not outlive the parse. */
	text[1] = 'X';
	assert_string_equal(v.text, "/sys/fs/cgroup/jobs.slice");
	settings_free_strings();
}

static void test_parse_reasons(void **state)
{
	struct setting_value v = { 0 };
	char *why = NULL;

	(void)state;
	assert_int_equal(setting_parse(SETTING_AS, "0", &v, &why), -ERANGE);
	assert_non_null(strstr(why, "0 bytes"));
	free(why);
	assert_int_equal(setting_parse(SETTING_OOM_SCORE_ADJ, "2000", &v, &why), -ERANGE);
	assert_string_equal(why, "must be between -1000 and 1000");
	free(why);
	assert_int_equal(setting_parse(SETTING_OOM_SCORE_ADJ, "x", &v, &why), -EINVAL);
	assert_string_equal(why, "expected a whole number");
	free(why);
	assert_int_equal(setting_parse(SETTING_MALLOC_MMAP_THRESHOLD, "64M", &v, &why),
			 -ERANGE);
	assert_non_null(strstr(why, "32 MiB"));
	free(why);
	assert_int_equal(setting_parse(SETTING_MALLOC_HUGETLB, "3", &v, &why), -EINVAL);
	assert_non_null(strstr(why, "huge page size"));
	free(why);
}

static void test_parse_keeps_origin(void **state)
{
	struct setting_value v = {
		.origin = { .kind = ORIGIN_PROFILE, .file = "/x/db.conf", .line = 7 },
	};
	char *why = NULL;

	(void)state;
	assert_int_equal(setting_parse(SETTING_MALLOC_ARENA_MAX, "2", &v, &why), 0);
	assert_true(v.set);
	assert_int_equal(v.number, 2);
	assert_int_equal(v.origin.kind, ORIGIN_PROFILE);
	assert_string_equal(v.origin.file, "/x/db.conf");
	assert_int_equal(v.origin.line, 7);
}

static void test_by_key(void **state)
{
	enum setting_id id = SETTING_COUNT;

	(void)state;
	for (unsigned i = 0; i < SETTING_COUNT; i++) {
		id = SETTING_COUNT;
		assert_ptr_equal(setting_by_key(setting_table[i].key, &id), &setting_table[i]);
		assert_int_equal(id, i);
	}
	assert_ptr_equal(setting_by_key("as", NULL), &setting_table[SETTING_AS]);
	assert_ptr_equal(setting_by_key("oom_score_adj", &id),
			 &setting_table[SETTING_OOM_SCORE_ADJ]);
	assert_int_equal(id, SETTING_OOM_SCORE_ADJ);
	assert_ptr_equal(setting_by_key("malloc.arena_max", &id),
			 &setting_table[SETTING_MALLOC_ARENA_MAX]);
	assert_int_equal(id, SETTING_MALLOC_ARENA_MAX);

	id = SETTING_COUNT;
	assert_null(setting_by_key("", &id));
	assert_null(setting_by_key("AS", &id));
	assert_null(setting_by_key("a", &id));
	assert_null(setting_by_key("as ", &id));
	assert_null(setting_by_key("memory-max", &id));	/* the option, not the key */
	assert_null(setting_by_key("arena_max", &id));	/* needs "malloc." */
	assert_null(setting_by_key("malloc.", &id));
	assert_null(setting_by_key("description", &id));
	assert_null(setting_by_key("inherit", &id));
	assert_int_equal(id, SETTING_COUNT);
}

static void test_by_malloc_name(void **state)
{
	static const struct {
		const char *name;
		enum setting_id id;
	} names[] = {
		{ "arena_max", SETTING_MALLOC_ARENA_MAX },
		{ "mmap_threshold", SETTING_MALLOC_MMAP_THRESHOLD },
		{ "trim_threshold", SETTING_MALLOC_TRIM_THRESHOLD },
		{ "top_pad", SETTING_MALLOC_TOP_PAD },
		{ "mmap_max", SETTING_MALLOC_MMAP_MAX },
		{ "tcache_count", SETTING_MALLOC_TCACHE_COUNT },
		{ "perturb", SETTING_MALLOC_PERTURB },
		{ "hugetlb", SETTING_MALLOC_HUGETLB },
	};
	enum setting_id id;

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(names); i++) {
		id = SETTING_COUNT;
		if (setting_by_malloc_name(names[i].name, &id) != &setting_table[names[i].id] ||
		    id != names[i].id)
			fail_msg("setting_by_malloc_name(\"%s\") gave id %d", names[i].name, id);
	}
	/* The list is complete: every malloc row is one of the above. */
	assert_int_equal(SETTING_MALLOC_LAST - SETTING_MALLOC_FIRST + 1, ELEMENTSOF(names));

	id = SETTING_COUNT;
	assert_null(setting_by_malloc_name("malloc.arena_max", &id));
	assert_null(setting_by_malloc_name("as", &id));
	assert_null(setting_by_malloc_name("", &id));
	assert_null(setting_by_malloc_name("arena", &id));
	assert_null(setting_by_malloc_name("ARENA_MAX", &id));
	assert_int_equal(id, SETTING_COUNT);
	assert_non_null(setting_by_malloc_name("perturb", NULL));
}

static void test_table_rows(void **state)
{
	(void)state;
	for (unsigned i = 0; i < SETTING_COUNT; i++) {
		const struct setting_desc *d = &setting_table[i];

		if (!d->key || !*d->key)
			fail_msg("setting_table[%u] has no key", i);
		if (!d->what || !*d->what)
			fail_msg("setting '%s' has no description", d->key);
		if (setting_is_malloc((enum setting_id)i)) {
			if (!startswith(d->key, "malloc."))
				fail_msg("malloc setting '%s' lacks the malloc. prefix", d->key);
			if (!d->tunable || !startswith(d->tunable, "glibc.malloc.") ||
			    !streq(d->tunable + strlen("glibc.malloc."),
				   d->key + strlen("malloc.")))
				fail_msg("malloc setting '%s' has tunable '%s'", d->key,
					 d->tunable ? d->tunable : "(null)");
			if (d->option)
				fail_msg("malloc setting '%s' has its own option", d->key);
		} else if (startswith(d->key, "malloc.") || d->tunable) {
			fail_msg("setting '%s' looks like a malloc key", d->key);
		}
		if ((d->kind == VALUE_INTEGER || d->kind == VALUE_BYTES) && d->min > d->max)
			fail_msg("setting '%s': min %lld > max %lld", d->key, d->min, d->max);
		for (unsigned j = 0; j < i; j++)
			if (streq(setting_table[j].key, d->key))
				fail_msg("key '%s' appears twice", d->key);
	}
}

static void test_malloc_names(void **state)
{
	(void)state;
	/* Twice: the list is built once, never appended to again. */
	for (int i = 0; i < 2; i++)
		assert_string_equal(setting_malloc_names(),
				    "arena_max, mmap_threshold, trim_threshold, top_pad, "
				    "mmap_max, tcache_count, perturb, hugetlb");
}

static void test_format(void **state)
{
	static const struct {
		enum setting_id id;
		const char *text;
		const char *formatted;
	} cases[] = {
		{ SETTING_AS, "4G", "4 GiB" },
		{ SETTING_MEMORY_MAX, "50%", "50%" },
		{ SETTING_MEMORY_HIGH, "max", "max" },
		{ SETTING_OOM_SCORE_ADJ, "-500", "-500" },
		{ SETTING_MALLOC_ARENA_MAX, "2", "2" },
		{ SETTING_MALLOC_MMAP_THRESHOLD, "128K", "131072 (128 KiB)" },
		{ SETTING_MALLOC_MMAP_THRESHOLD, "512", "512" },
		{ SETTING_MALLOC_HUGETLB, "2M", "2097152" },
	};

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct setting_value v = { 0 };
		char *why = NULL;
		char buf[SETTING_FORMAT_MAX];

		if (setting_parse(cases[i].id, cases[i].text, &v, &why) != 0)
			fail_msg("%s \"%s\": %s", setting_table[cases[i].id].key, cases[i].text,
				 why);
		if (!streq(setting_format(cases[i].id, &v, buf), cases[i].formatted))
			fail_msg("%s \"%s\" formats as \"%s\", expected \"%s\"",
				 setting_table[cases[i].id].key, cases[i].text, buf,
				 cases[i].formatted);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_numbers),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_parse_path),
		cmocka_unit_test(test_parse_reasons),
		cmocka_unit_test(test_parse_keeps_origin),
		cmocka_unit_test(test_by_key),
		cmocka_unit_test(test_by_malloc_name),
		cmocka_unit_test(test_table_rows),
		cmocka_unit_test(test_malloc_names),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
