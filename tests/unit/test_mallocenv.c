/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for src/mallocenv.c: merging into GLIBC_TUNABLES. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mallocenv.h"
#include "util.h"

#define MAX_SETTINGS 4

static const struct {
	const char *what;
	const char *existing;		/* the caller's GLIBC_TUNABLES, or NULL */
	struct {
		enum setting_id id;
		const char *text;	/* NULL ends the list */
	} settings[MAX_SETTINGS];
	const char *merged;		/* NULL: nothing to merge */
} cases[] = {
	{ "no settings, no tunables", NULL, { { 0 } }, NULL },
	{ "no settings: the caller's value passes through", "glibc.malloc.arena_max=8",
	  { { 0 } }, NULL },
	{ "only a non-malloc setting", "glibc.malloc.arena_max=8",
	  { { SETTING_AS, "1G" } }, NULL },
	{ "one setting, no tunables", NULL,
	  { { SETTING_MALLOC_ARENA_MAX, "2" } }, "glibc.malloc.arena_max=2" },
	{ "one setting, empty tunables", "",
	  { { SETTING_MALLOC_ARENA_MAX, "2" } }, "glibc.malloc.arena_max=2" },
	{ "settings in table order, sizes in bytes", NULL,
	  { { SETTING_MALLOC_HUGETLB, "2M" }, { SETTING_MALLOC_ARENA_MAX, "4" },
	    { SETTING_MALLOC_MMAP_THRESHOLD, "128K" }, { SETTING_MALLOC_PERTURB, "165" } },
	  "glibc.malloc.arena_max=4:glibc.malloc.mmap_threshold=131072:"
	  "glibc.malloc.perturb=165:glibc.malloc.hugetlb=2097152" },
	{ "unrelated tunables kept in order, ours after", "glibc.rtld.nns=8:glibc.mem.tagging=1",
	  { { SETTING_MALLOC_TCACHE_COUNT, "0" } },
	  "glibc.rtld.nns=8:glibc.mem.tagging=1:glibc.malloc.tcache_count=0" },
	{ "the caller's other malloc tunables kept",
	  "glibc.malloc.check=3:glibc.malloc.tcache_count=7",
	  { { SETTING_MALLOC_ARENA_MAX, "1" } },
	  "glibc.malloc.check=3:glibc.malloc.tcache_count=7:glibc.malloc.arena_max=1" },
	{ "same key replaced in place, ours wins",
	  "glibc.rtld.nns=8:glibc.malloc.arena_max=16:glibc.mem.tagging=1",
	  { { SETTING_MALLOC_ARENA_MAX, "2" } },
	  "glibc.rtld.nns=8:glibc.malloc.arena_max=2:glibc.mem.tagging=1" },
	{ "several replaced in place, new ones at the end",
	  "glibc.malloc.perturb=1:glibc.cpu.x86_rep_movsb_threshold=4096:glibc.malloc.arena_max=8",
	  { { SETTING_MALLOC_ARENA_MAX, "3" }, { SETTING_MALLOC_PERTURB, "85" },
	    { SETTING_MALLOC_TOP_PAD, "64K" } },
	  "glibc.malloc.perturb=85:glibc.cpu.x86_rep_movsb_threshold=4096:"
	  "glibc.malloc.arena_max=3:glibc.malloc.top_pad=65536" },
	{ "a duplicate in the caller's value collapses to ours, once",
	  "glibc.malloc.arena_max=8:glibc.rtld.nns=8:glibc.malloc.arena_max=9",
	  { { SETTING_MALLOC_ARENA_MAX, "2" } },
	  "glibc.malloc.arena_max=2:glibc.rtld.nns=8" },
	{ "a duplicate of a key we do not set is left alone",
	  "glibc.malloc.check=1:glibc.malloc.check=2",
	  { { SETTING_MALLOC_ARENA_MAX, "2" } },
	  "glibc.malloc.check=1:glibc.malloc.check=2:glibc.malloc.arena_max=2" },
	{ "empty segments dropped", "::glibc.rtld.nns=8:::glibc.mem.tagging=1:",
	  { { SETTING_MALLOC_ARENA_MAX, "2" } },
	  "glibc.rtld.nns=8:glibc.mem.tagging=1:glibc.malloc.arena_max=2" },
	{ "only colons", ":::", { { SETTING_MALLOC_ARENA_MAX, "2" } },
	  "glibc.malloc.arena_max=2" },
	{ "entries without '=' kept as they are", "junk:glibc.malloc.arena_max",
	  { { SETTING_MALLOC_ARENA_MAX, "2" } },
	  "junk:glibc.malloc.arena_max:glibc.malloc.arena_max=2" },
	{ "a longer or shorter name is another key",
	  "glibc.malloc.arena_max_x=1:glibc.malloc.arena=1:xglibc.malloc.arena_max=1",
	  { { SETTING_MALLOC_ARENA_MAX, "2" } },
	  "glibc.malloc.arena_max_x=1:glibc.malloc.arena=1:xglibc.malloc.arena_max=1:"
	  "glibc.malloc.arena_max=2" },
	{ "an empty value of ours replaced too", "glibc.malloc.mmap_max=",
	  { { SETTING_MALLOC_MMAP_MAX, "0" } }, "glibc.malloc.mmap_max=0" },
	{ "a '=' in the value is not the key's", "glibc.rtld.x=glibc.malloc.arena_max=1",
	  { { SETTING_MALLOC_ARENA_MAX, "2" } },
	  "glibc.rtld.x=glibc.malloc.arena_max=1:glibc.malloc.arena_max=2" },
};

static void test_merge(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct setting_value values[SETTING_COUNT] = { 0 };
		_cleanup_free_ char *merged = NULL;

		for (size_t j = 0; j < MAX_SETTINGS && cases[i].settings[j].text; j++) {
			char *why = NULL;

			if (setting_parse(cases[i].settings[j].id, cases[i].settings[j].text,
					  &values[cases[i].settings[j].id], &why) != 0)
				fail_msg("%s: %s", cases[i].what, why);
		}
		merged = mallocenv_merge(cases[i].existing, values);
		if (!cases[i].merged && merged)
			fail_msg("%s: got \"%s\", expected nothing", cases[i].what, merged);
		if (cases[i].merged && (!merged || !streq(merged, cases[i].merged)))
			fail_msg("%s:\n got      \"%s\"\n expected \"%s\"", cases[i].what,
				 merged ? merged : "(null)", cases[i].merged);
	}
}

/* A long caller value grows the buffer many times and comes back whole. */
static void test_merge_long(void **state)
{
	struct setting_value values[SETTING_COUNT] = { 0 };
	_cleanup_free_ char *existing = xstrdup("");
	_cleanup_free_ char *expected = NULL;
	_cleanup_free_ char *merged = NULL;
	char *why = NULL;

	(void)state;
	for (int i = 0; i < 200; i++) {
		char *longer = xasprintf("%s%sglibc.test.t%d=%d", existing, i ? ":" : "", i, i);
		free(existing);
		existing = longer;
	}
	expected = xasprintf("%s:glibc.malloc.perturb=255", existing);
	assert_int_equal(setting_parse(SETTING_MALLOC_PERTURB, "255",
				       &values[SETTING_MALLOC_PERTURB], &why), 0);
	merged = mallocenv_merge(existing, values);
	assert_non_null(merged);
	assert_string_equal(merged, expected);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_merge_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
