/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for src/profile.c: profile texts parsed from memory, and
 * inherit chains and the search path over real files in a temporary
 * directory (MEMRUN_PROFILE_PATH=d1:d2:d3, HOME an empty directory).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "profile.h"
#include "util.h"

/* A name no real search directory holds. */
#define MISSING "memrun-unit-test-no-such-profile"

struct fixture {
	char root[64];
	char *d1, *d2, *d3, *home;
};

static char *path_join(const char *dir, const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	_cleanup_free_ char *path = path_join(dir, name);
	FILE *f = fopen(path, "we");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void make_dir(const char *dir, const char *name)
{
	_cleanup_free_ char *path = path_join(dir, name);

	assert_int_equal(mkdir(path, 0755), 0);
}

static int setup(void **state)
{
	struct fixture *fx = xcalloc(1, sizeof(*fx));
	_cleanup_free_ char *search = NULL;

	snprintf(fx->root, sizeof(fx->root), "/tmp/memrun-unit-XXXXXX");
	if (!mkdtemp(fx->root))
		return -1;
	fx->d1 = path_join(fx->root, "d1");
	fx->d2 = path_join(fx->root, "d2");
	fx->d3 = path_join(fx->root, "d3");
	fx->home = path_join(fx->root, "home");
	if (mkdir(fx->d1, 0755) < 0 || mkdir(fx->d2, 0755) < 0 ||
	    mkdir(fx->d3, 0755) < 0 || mkdir(fx->home, 0755) < 0)
		return -1;
	search = xasprintf("%s:%s:%s", fx->d1, fx->d2, fx->d3);
	setenv("MEMRUN_PROFILE_PATH", search, 1);
	setenv("HOME", fx->home, 1);
	*state = fx;
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)type, (void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	nftw(fx->root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(fx->d1);
	free(fx->d2);
	free(fx->d3);
	free(fx->home);
	free(fx);
	return 0;
}

/* stderr into a temporary file around one call. */
struct capture {
	int saved_fd;
	int fd;
};

static void capture_begin(struct capture *c)
{
	char path[] = "/tmp/memrun-unit-stderr-XXXXXX";

	fflush(stderr);
	c->fd = mkostemp(path, O_CLOEXEC);
	assert_true(c->fd >= 0);
	unlink(path);
	c->saved_fd = dup(STDERR_FILENO);
	assert_true(c->saved_fd >= 0);
	assert_int_equal(dup2(c->fd, STDERR_FILENO), STDERR_FILENO);
}

static char *capture_end(struct capture *c)
{
	char *text = xcalloc(1, 65536);
	ssize_t n;

	fflush(stderr);
	dup2(c->saved_fd, STDERR_FILENO);
	close(c->saved_fd);
	n = pread(c->fd, text, 65535, 0);
	close(c->fd);
	assert_true(n >= 0);
	return text;
}

static void assert_contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle))
		fail_msg("expected \"%s\" in:\n%s", needle, haystack);
}

static unsigned count_lines_starting(const char *text, const char *prefix)
{
	unsigned n = 0;

	for (const char *line = text; line && *line;) {
		if (startswith(line, prefix))
			n++;
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return n;
}

struct expect {
	enum setting_id id;
	const char *formatted;	/* setting_format() */
	unsigned line;
};

/* Every expected setting has its value and line; every other one is unset. */
static void assert_values(const struct setting_value values[SETTING_COUNT],
			  const struct expect *expect, size_t n_expect, const char *file)
{
	for (unsigned id = 0; id < SETTING_COUNT; id++) {
		const struct expect *e = NULL;
		char buf[SETTING_FORMAT_MAX];

		for (size_t i = 0; i < n_expect; i++)
			if (expect[i].formatted && expect[i].id == id)
				e = &expect[i];
		if (!e) {
			if (values[id].set)
				fail_msg("%s: '%s' is set to %s", file, setting_table[id].key,
					 setting_format(id, &values[id], buf));
			continue;
		}
		if (!values[id].set)
			fail_msg("%s: '%s' is not set", file, setting_table[id].key);
		if (!streq(setting_format(id, &values[id], buf), e->formatted))
			fail_msg("%s: '%s' is %s, expected %s", file, setting_table[id].key, buf,
				 e->formatted);
		if (values[id].origin.kind != ORIGIN_PROFILE || values[id].origin.line != e->line)
			fail_msg("%s: '%s' comes from line %u, expected %u", file,
				 setting_table[id].key, values[id].origin.line, e->line);
		if (file && (!values[id].origin.file || !streq(values[id].origin.file, file)))
			fail_msg("'%s' comes from %s, expected %s", setting_table[id].key,
				 values[id].origin.file, file);
	}
}

#define MAX_EXPECT 8

static const struct {
	const char *what;
	const char *text;
	const char *description;	/* NULL: none */
	struct expect expect[MAX_EXPECT];
} good_texts[] = {
	{ "empty text", "", NULL, { { 0 } } },
	{ "only comments", "# nothing\n\n   # indented\n\t\n", NULL, { { 0 } } },
	{
		"comments and blank lines keep line numbers",
		"# header\n\n   # indented comment\nas = 1G\n\n\nmemory_max = 50%\n",
		NULL,
		{ { SETTING_AS, "1 GiB", 4 }, { SETTING_MEMORY_MAX, "50%", 7 } },
	},
	{
		"CRLF line endings",
		"description = CRLF file\r\n# c\r\nas = 2G\r\n\r\noom_score_adj = -100\r\n",
		"CRLF file",
		{ { SETTING_AS, "2 GiB", 3 }, { SETTING_OOM_SCORE_ADJ, "-100", 5 } },
	},
	{
		"trailing comments after values",
		"as = 1G # one gig\nmalloc.arena_max = 2\t# tab before\ndata = 512M #\n",
		NULL,
		{ { SETTING_AS, "1 GiB", 1 }, { SETTING_MALLOC_ARENA_MAX, "2", 2 },
		  { SETTING_DATA, "512 MiB", 3 } },
	},
	{
		"no newline at the end, odd spacing",
		"  as=1G  \nswap_max\t=\tmax\nmemory_high   =   1.5G",
		NULL,
		{ { SETTING_AS, "1 GiB", 1 }, { SETTING_SWAP_MAX, "max", 2 },
		  { SETTING_MEMORY_HIGH, "1.5 GiB", 3 } },
	},
	{
		"quoted description keeps '#' and inner spaces",
		"description = \"Quoted # kept \"\nas = 1G\n",
		"Quoted # kept ",
		{ { SETTING_AS, "1 GiB", 2 } },
	},
	{
		"yes/no keys",
		"lock_limits = yes\noom_group = no # off\n",
		NULL,
		{ { SETTING_LOCK_LIMITS, "yes", 1 }, { SETTING_OOM_GROUP, "no", 2 } },
	},
	{
		"unquoted description, every malloc key",
		"description = For tests\n"
		"malloc.arena_max = 4\nmalloc.mmap_threshold = 128K\n"
		"malloc.trim_threshold = 128M\nmalloc.top_pad = 0\nmalloc.mmap_max = 65536\n"
		"malloc.tcache_count = 0\nmalloc.perturb = 165\nmalloc.hugetlb = 2M\n",
		"For tests",
		{ { SETTING_MALLOC_ARENA_MAX, "4", 2 },
		  { SETTING_MALLOC_MMAP_THRESHOLD, "131072 (128 KiB)", 3 },
		  { SETTING_MALLOC_TRIM_THRESHOLD, "134217728 (128 MiB)", 4 },
		  { SETTING_MALLOC_TOP_PAD, "0", 5 },
		  { SETTING_MALLOC_MMAP_MAX, "65536", 6 },
		  { SETTING_MALLOC_TCACHE_COUNT, "0", 7 },
		  { SETTING_MALLOC_PERTURB, "165", 8 },
		  { SETTING_MALLOC_HUGETLB, "2097152", 9 } },
	},
};

static void test_parse_good(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(good_texts); i++) {
		struct setting_value values[SETTING_COUNT] = { 0 };
		struct profile_set set = { 0 };
		struct capture cap;
		_cleanup_free_ char *err = NULL;
		int r;

		capture_begin(&cap);
		r = profile_parse_text(&set, "t.conf", good_texts[i].text, values);
		err = capture_end(&cap);
		if (r != 0)
			fail_msg("%s: profile_parse_text = %d:\n%s", good_texts[i].what, r, err);
		assert_string_equal(err, "");
		assert_values(values, good_texts[i].expect, MAX_EXPECT, "t.conf");
		assert_int_equal(set.count, 1);
		assert_string_equal(set.items[0].path, "t.conf");
		assert_int_equal(set.items[0].depth, 0);
		if (good_texts[i].description)
			assert_string_equal(set.items[0].description, good_texts[i].description);
		else
			assert_null(set.items[0].description);
		profile_set_free(&set);
	}
}

static const struct {
	const char *what;
	const char *text;
	int error;
	const char *message;	/* the first line on stderr, after "memrun: " */
	const char *hint;	/* also on stderr, or NULL */
} bad_texts[] = {
	{ "unknown key", "as = 1G\nfoo = 1\n", -EINVAL,
	  "t.conf:2: unknown key 'foo'\n", "known keys: description, inherit, as, data," },
	{ "unknown key, CRLF", "description = x\r\nfoo = 1\r\n", -EINVAL,
	  "t.conf:2: unknown key 'foo'\n", "malloc.hugetlb" },
	{ "unknown malloc key", "as = 1G\nmalloc.arenas = 2\n", -EINVAL,
	  "t.conf:2: unknown key 'malloc.arenas'\n", NULL },
	/* Before a good line, an unknown key may be a file's secret. */
	{ "unknown key first", "# c\n\nfoo = 1\n", -EINVAL,
	  "t.conf:3: unknown key (not shown: the file may not be a profile)\n",
	  "known keys: description, inherit, as, data," },
	{ "a misspelt key is named with the one meant", "memroy_max = 1G\n", -EINVAL,
	  "t.conf:1: unknown key 'memroy_max'; did you mean 'memory_max'?\n", "known keys" },
	{ "a misspelt malloc key", "malloc.arena_mx = 2\n", -EINVAL,
	  "t.conf:1: unknown key 'malloc.arena_mx'; did you mean 'malloc.arena_max'?\n", NULL },
	{ "keys are case-sensitive", "AS = 1G\n", -EINVAL,
	  "t.conf:1: unknown key; did you mean 'as'?\n", NULL },
	{ "the option name is not a key", "memory-max = 1G\n", -EINVAL,
	  "t.conf:1: unknown key 'memory-max'; did you mean 'memory_max'?\n", NULL },
	{ "missing '='", "# x\nas 1G\n", -EINVAL,
	  "t.conf:2: expected 'key = value': '=' is missing after key 'as'\n", NULL },
	{ "missing '=', CRLF", "as 1G\r\n", -EINVAL,
	  "t.conf:1: expected 'key = value': '=' is missing after key 'as'\n", NULL },
	{ "missing '=' after an option name", "oom-score-adj -5\n", -EINVAL,
	  "t.conf:1: unknown key 'oom-score-adj'; did you mean 'oom_score_adj'? "
	  "(and '=' is missing)\n", NULL },
	/* Lines not shaped like "key = value" are never quoted: the file may
	 * not be a profile at all (-p /etc/shadow). */
	{ "a line of another file", "root:$y$j9T$SECRET:19000:0:99999:7:::\n", -EINVAL,
	  "t.conf:1: expected 'key = value'\n", "a line that is none of them is not shown" },
	{ "a key that is not shaped as one", "# c\nAPI_TOKEN=SECRET\n", -EINVAL,
	  "t.conf:2: expected 'key = value'\n", "in case the file is not a profile" },
	{ "a key-shaped secret first", "secret-12345=\n", -EINVAL,
	  "t.conf:1: unknown key (not shown", NULL },
	{ "a key-shaped secret after a comment", "# SECRET\ns3cr3t-word = x\n", -EINVAL,
	  "t.conf:2: unknown key (not shown", NULL },
	{ "base64 padding is no key", "c2VjcmV0IHNlY3JldA==\n", -EINVAL,
	  "t.conf:1: expected 'key = value'\n", NULL },
	{ "a sentence with '='", "the secret is x = 1\n", -EINVAL,
	  "t.conf:1: expected 'key = value'\n", NULL },
	{ "a key too long to be one", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa = 1\n", -EINVAL,
	  "t.conf:1: expected 'key = value'\n", NULL },
	{ "a bad value is quoted, escaped", "as = 1\x1b[2J\n", -EINVAL,
	  "t.conf:1: bad value for key 'as': '1\\x1b[2J': ", NULL },
	{ "empty key", "\n= 5\n", -EINVAL,
	  "t.conf:2: a line starts with '=': the key is missing\n", NULL },
	{ "bad value", "oom_score_adj = 5000\n", -ERANGE,
	  "t.conf:1: bad value for key 'oom_score_adj': '5000': must be between -1000 and 1000\n",
	  NULL },
	{ "empty value", "as =\n", -EINVAL,
	  "t.conf:1: bad value for key 'as': '': the size is empty\n", NULL },
	{ "value that is only a comment", "as = # none\n", -EINVAL,
	  "t.conf:1: bad value for key 'as': '': the size is empty\n", NULL },
	{ "'#' inside a word is not a comment", "as = 1G#x\n", -EINVAL,
	  "t.conf:1: bad value for key 'as': '1G#x': unknown unit", NULL },
	{ "bad value, CRLF", "memory_max = lots\r\n", -EINVAL,
	  "t.conf:1: bad value for key 'memory_max': 'lots': expected a number", NULL },
	{ "zero limit", "data = 0\n", -ERANGE,
	  "t.conf:1: bad value for key 'data': '0': a limit of 0 bytes", NULL },
	{ "bad yes/no value", "\nlock_limits = maybe\n", -EINVAL,
	  "t.conf:2: bad value for key 'lock_limits': 'maybe': expected yes or no\n", NULL },
	{ "bad malloc value", "malloc.perturb = 256\n", -ERANGE,
	  "t.conf:1: bad value for key 'malloc.perturb': '256': must be between 0 and 255\n",
	  NULL },
	{ "duplicate key", "as = 1G\n# c\nas = 2G\n", -EINVAL,
	  "t.conf:3: key 'as' is already set on line 1\n", NULL },
	{ "duplicate malloc key", "\nmalloc.arena_max = 1\nmalloc.arena_max = 1\n", -EINVAL,
	  "t.conf:3: key 'malloc.arena_max' is already set on line 2\n", NULL },
	{ "duplicate description", "description = a\n\ndescription = b\n", -EINVAL,
	  "t.conf:3: key 'description' is already set on line 1\n", NULL },
	{ "duplicate inherit", "inherit = " MISSING "\ninherit = " MISSING "\n", -EINVAL,
	  "t.conf:2: key 'inherit' is already set on line 1; "
	  "a profile inherits from one other profile\n", NULL },
	{ "empty inherit", "as = 1G\ninherit =\n", -EINVAL,
	  "t.conf:2: key 'inherit' needs a profile name or path\n", NULL },
	{ "empty inherit, CRLF", "as = 1G\r\ninherit = \r\n", -EINVAL,
	  "t.conf:2: key 'inherit' needs a profile name or path\n", NULL },
	{ "inherit of only a comment", "inherit = # nothing\n", -EINVAL,
	  "t.conf:1: key 'inherit' needs a profile name or path\n", NULL },
	{ "inherit of a missing profile", "as = 1G\ninherit = " MISSING "\n", -ENOENT,
	  "t.conf:2: inherit: no profile named '" MISSING "'\n", "memrun profiles list" },
	{ "inherit of an invalid name", "inherit = .hidden\n", -EINVAL,
	  "t.conf:1: inherit: '.hidden' is not a profile name", NULL },
	{ "inherit of a name with a space", "inherit = my db\n", -EINVAL,
	  "t.conf:1: inherit: 'my db' is not a profile name", NULL },
	{ "inherit of a missing path", "inherit = /nonexistent/memrun/x.conf\n", -ENOENT,
	  "t.conf:1: inherit: cannot read '/nonexistent/memrun/x.conf'", NULL },
	{ "the first error stops the parse", "as = 1G\nfoo = 1\nbar = 2\n", -EINVAL,
	  "t.conf:2: unknown key 'foo'\n", NULL },
};

static void test_parse_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(bad_texts); i++) {
		struct setting_value values[SETTING_COUNT] = { 0 };
		struct profile_set set = { 0 };
		_cleanup_free_ char *err = NULL;
		_cleanup_free_ char *want = xasprintf("memrun: %s", bad_texts[i].message);
		struct capture cap;
		int r;

		capture_begin(&cap);
		r = profile_parse_text(&set, "t.conf", bad_texts[i].text, values);
		err = capture_end(&cap);
		if (r != bad_texts[i].error)
			fail_msg("%s: profile_parse_text = %d, expected %d; stderr:\n%s",
				 bad_texts[i].what, r, bad_texts[i].error, err);
		if (!startswith(err, want))
			fail_msg("%s: stderr is\n%s\nexpected it to start with\n%s",
				 bad_texts[i].what, err, want);
		/* Printed once, with file and line. */
		if (count_lines_starting(err, "memrun: t.conf:") != 1)
			fail_msg("%s: not one error line:\n%s", bad_texts[i].what, err);
		if (bad_texts[i].hint)
			assert_contains(err, bad_texts[i].hint);
		if (strcasestr(err, "secret") || strstr(err, "s3cr3t"))
			fail_msg("%s: a line of a file that may not be a profile is shown:\n%s",
				 bad_texts[i].what, err);
		/* Nothing from a broken profile reaches the values. */
		for (unsigned id = 0; id < SETTING_COUNT; id++)
			if (values[id].set)
				fail_msg("%s: '%s' set by a failed parse", bad_texts[i].what,
					 setting_table[id].key);
		profile_set_free(&set);
	}
}

static void test_name_is_valid(void **state)
{
	static const struct {
		const char *name;
		bool valid;
	} names[] = {
		{ "db", true },
		{ "default", true },
		{ "Big-Job_2.v1+x", true },
		{ "a", true },
		{ "9", true },
		{ "db.conf", true },	/* valid, names db.conf.conf */
		{ "", false },
		{ ".", false },
		{ "..", false },
		{ ".hidden", false },
		{ "a/b", false },
		{ "/etc/x", false },
		{ "my db", false },
		{ "tab\tname", false },
		{ "semi;colon", false },
		{ "star*", false },
		{ "colon:x", false },
		{ "caf\xc3\xa9", false },
	};
	char longest[NAME_MAX + 2];
	size_t max = NAME_MAX - strlen(PROFILE_SUFFIX);

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		if (profile_name_is_valid(names[i].name) != names[i].valid)
			fail_msg("profile_name_is_valid(\"%s\") is not %d", names[i].name,
				 names[i].valid);

	/* NAME.conf must fit in one file name. */
	memset(longest, 'x', sizeof(longest));
	longest[max] = '\0';
	assert_true(profile_name_is_valid(longest));
	longest[max] = 'x';
	longest[max + 1] = '\0';
	assert_false(profile_name_is_valid(longest));
}

static void test_search_dirs(void **state)
{
	struct fixture *fx = *state;
	_cleanup_free_ char *home_dir = xasprintf("%s/.config/memrun/profiles", fx->home);
	char **dirs;

	setenv("MEMRUN_PROFILE_PATH", "/p1::/p2:", 1);
	dirs = profile_search_dirs();
	assert_string_equal(dirs[0], "/p1");
	assert_string_equal(dirs[1], "/p2");
	assert_string_equal(dirs[2], home_dir);
	assert_string_equal(dirs[3], "/etc/memrun/profiles");
	assert_string_equal(dirs[4], PROFILE_DIR);
	assert_null(dirs[5]);
	strv_free(dirs);

	unsetenv("MEMRUN_PROFILE_PATH");
	unsetenv("HOME");
	dirs = profile_search_dirs();
	assert_string_equal(dirs[0], "/etc/memrun/profiles");
	assert_string_equal(dirs[1], PROFILE_DIR);
	assert_null(dirs[2]);
	strv_free(dirs);
}

static void test_find_order(void **state)
{
	struct fixture *fx = *state;
	_cleanup_free_ char *user_dir = xasprintf("%s/.config/memrun/profiles", fx->home);
	_cleanup_free_ char *d1_both = path_join(fx->d1, "both.conf");
	_cleanup_free_ char *d2_both = path_join(fx->d2, "both.conf");
	_cleanup_free_ char *d3_late = path_join(fx->d3, "late.conf");
	_cleanup_free_ char *user_mine = path_join(user_dir, "mine.conf");
	_cleanup_free_ char *d2_dir = path_join(fx->d2, "adir.conf");
	char *path = NULL;

	write_file(fx->d1, "both.conf", "as = 1G\n");
	write_file(fx->d2, "both.conf", "as = 2G\n");
	write_file(fx->d3, "late.conf", "as = 3G\n");
	assert_int_equal(mkdir(d2_dir, 0755), 0);	/* not a regular file */
	write_file(fx->d3, "adir.conf", "as = 4G\n");
	make_dir(fx->home, ".config");
	make_dir(fx->home, ".config/memrun");
	make_dir(fx->home, ".config/memrun/profiles");
	write_file(user_dir, "mine.conf", "as = 5G\n");
	write_file(user_dir, "late.conf", "as = 6G\n");

	assert_int_equal(profile_find("both", NULL, &path), 0);
	assert_string_equal(path, d1_both);
	free(path);
	/* Skipping the first one finds the next. */
	assert_int_equal(profile_find("both", d1_both, &path), 0);
	assert_string_equal(path, d2_both);
	free(path);
	/* Skipping a later one never goes back: the next is after it. */
	assert_int_equal(profile_find("both", d2_both, &path), -ENOENT);
	/* MEMRUN_PROFILE_PATH comes before ~/.config/memrun/profiles. */
	assert_int_equal(profile_find("late", NULL, &path), 0);
	assert_string_equal(path, d3_late);
	free(path);
	assert_int_equal(profile_find("mine", NULL, &path), 0);
	assert_string_equal(path, user_mine);
	free(path);
	/* The first adir.conf wins although it is not a regular file: loading
	 * it fails, rather than silently taking another one. */
	assert_int_equal(profile_find("adir", NULL, &path), 0);
	assert_string_equal(path, d2_dir);
	free(path);

	path = (char *)"untouched";
	assert_int_equal(profile_find(MISSING, NULL, &path), -ENOENT);
	assert_int_equal(profile_find("mine", user_mine, &path), -ENOENT);
	assert_string_equal(path, "untouched");
}

static void test_inherit_chain(void **state)
{
	struct fixture *fx = *state;
	_cleanup_free_ char *a = path_join(fx->d1, "a.conf");
	_cleanup_free_ char *b = path_join(fx->d1, "b.conf");
	_cleanup_free_ char *c = path_join(fx->d2, "c.conf");
	struct setting_value values[SETTING_COUNT] = { 0 };
	struct profile_set set = { 0 };
	struct capture cap;
	_cleanup_free_ char *err = NULL;
	int r;

	write_file(fx->d1, "a.conf",
		   "description = Profile A\n"
		   "inherit = b   # the middle one\n"
		   "as = 1G\n");
	write_file(fx->d1, "b.conf",
		   "# b: between a and c\n"
		   "inherit = c\n"
		   "as = 2G\n"
		   "data = 512M\n"
		   "description = \"Profile B\"\n");
	write_file(fx->d2, "c.conf",
		   "as = 3G\n"
		   "data = 1G\n"
		   "memory_max = 4G\n"
		   "oom_score_adj = 100\n");

	capture_begin(&cap);
	r = profile_load(&set, "a", values);
	err = capture_end(&cap);
	if (r != 0)
		fail_msg("profile_load(a) = %d:\n%s", r, err);
	assert_string_equal(err, "");

	/* Later wins: a over b over c; each value remembers its file and line. */
	assert_int_equal(values[SETTING_AS].size.bytes, 1ULL << 30);
	assert_int_equal(values[SETTING_AS].origin.kind, ORIGIN_PROFILE);
	assert_int_equal(values[SETTING_AS].origin.line, 3);
	assert_string_equal(values[SETTING_AS].origin.file, a);
	assert_int_equal(values[SETTING_DATA].origin.line, 4);
	assert_string_equal(values[SETTING_DATA].origin.file, b);
	assert_string_equal(values[SETTING_DATA].origin.profile, "b");
	assert_int_equal(values[SETTING_DATA].size.bytes, 512ULL << 20);
	assert_int_equal(values[SETTING_MEMORY_MAX].origin.line, 3);
	assert_string_equal(values[SETTING_MEMORY_MAX].origin.file, c);
	assert_string_equal(values[SETTING_MEMORY_MAX].origin.profile, "c");
	assert_int_equal(values[SETTING_MEMORY_MAX].size.bytes, 4ULL << 30);
	assert_int_equal(values[SETTING_OOM_SCORE_ADJ].number, 100);
	assert_int_equal(values[SETTING_OOM_SCORE_ADJ].origin.line, 4);
	assert_string_equal(values[SETTING_OOM_SCORE_ADJ].origin.file, c);
	assert_string_equal(values[SETTING_AS].origin.profile, "a");

	/* The set owns every file, in load order, with its depth. */
	assert_int_equal(set.count, 3);
	assert_string_equal(set.items[0].name, "a");
	assert_string_equal(set.items[0].path, a);
	assert_int_equal(set.items[0].depth, 0);
	assert_string_equal(set.items[0].description, "Profile A");
	assert_string_equal(set.items[1].name, "b");
	assert_string_equal(set.items[1].path, b);
	assert_int_equal(set.items[1].depth, 1);
	assert_string_equal(set.items[1].description, "Profile B");
	assert_string_equal(set.items[2].name, "c");
	assert_string_equal(set.items[2].path, c);
	assert_int_equal(set.items[2].depth, 2);
	assert_null(set.items[2].description);
	/* Origins point into the set. */
	assert_ptr_equal(values[SETTING_AS].origin.file, set.items[0].path);
	assert_ptr_equal(values[SETTING_MEMORY_MAX].origin.file, set.items[2].path);
	profile_set_free(&set);
	assert_int_equal(set.count, 0);
	assert_null(set.items);
}

static void test_profiles_in_order(void **state)
{
	struct fixture *fx = *state;
	_cleanup_free_ char *first = path_join(fx->d2, "first.conf");
	_cleanup_free_ char *second = path_join(fx->d3, "second.conf");
	struct setting_value values[SETTING_COUNT] = { 0 };
	struct profile_set set = { 0 };

	write_file(fx->d2, "first.conf", "as = 1G\nmemory_high = 3G\n");
	write_file(fx->d3, "second.conf", "\nas = 2G\n");

	/* Profiles given in order: the later one wins, the rest stays. */
	assert_int_equal(profile_load(&set, "first", values), 0);
	assert_int_equal(profile_load(&set, second, values), 0);
	assert_int_equal(values[SETTING_AS].size.bytes, 2ULL << 30);
	assert_string_equal(values[SETTING_AS].origin.file, second);
	assert_string_equal(values[SETTING_AS].origin.profile, second);
	assert_int_equal(values[SETTING_AS].origin.line, 2);
	assert_int_equal(values[SETTING_MEMORY_HIGH].size.bytes, 3ULL << 30);
	assert_string_equal(values[SETTING_MEMORY_HIGH].origin.file, first);
	assert_int_equal(set.count, 2);
	assert_int_equal(set.items[1].depth, 0);
	profile_set_free(&set);
}

static void test_inherit_loops(void **state)
{
	struct fixture *fx = *state;
	_cleanup_free_ char *self_abs = path_join(fx->d2, "selfabs.conf");
	_cleanup_free_ char *self_abs_text = xasprintf("inherit = %s\n", self_abs);
	static const struct {
		const char *load;
		const char *message;
	} loops[] = {
		{ "loopa", "loopb.conf:2: inherit loop: 'loopa' is already being loaded\n" },
		{ "loopb", "loopa.conf:1: inherit loop: 'loopb' is already being loaded\n" },
		{ "self", "self.conf:1: inherit loop: './self.conf' is already being loaded\n" },
		{ "selfabs", "selfabs.conf:1: inherit loop: '" },
		{ "other", "self.conf:1: inherit loop: './self.conf' is already being loaded\n" },
		{ "updown", "updown.conf:1: inherit loop: '../d2/updown.conf'" },
	};

	write_file(fx->d1, "loopa.conf", "inherit = loopb\nas = 1G\n");
	write_file(fx->d1, "loopb.conf", "as = 2G\ninherit = loopa\n");
	write_file(fx->d1, "self.conf", "inherit = ./self.conf\n");
	write_file(fx->d2, "selfabs.conf", self_abs_text);
	write_file(fx->d2, "other.conf", "inherit = self\n");
	write_file(fx->d2, "updown.conf", "inherit = ../d2/updown.conf\n");

	for (size_t i = 0; i < ELEMENTSOF(loops); i++) {
		struct setting_value values[SETTING_COUNT] = { 0 };
		struct profile_set set = { 0 };
		_cleanup_free_ char *err = NULL;
		struct capture cap;
		int r;

		capture_begin(&cap);
		r = profile_load(&set, loops[i].load, values);
		err = capture_end(&cap);
		if (r != -ELOOP)
			fail_msg("profile_load(%s) = %d, expected -ELOOP:\n%s", loops[i].load, r,
				 err);
		assert_contains(err, loops[i].message);
		assert_contains(err, "chain: ");
		assert_int_equal(count_lines_starting(err, "memrun: /"), 1);
		for (unsigned id = 0; id < SETTING_COUNT; id++)
			assert_false(values[id].set);
		profile_set_free(&set);
	}
}

static void test_inherit_depth(void **state)
{
	struct fixture *fx = *state;

	/* ok0 -> ... -> okN: N levels of inherit, the most allowed. */
	for (int i = 0; i <= PROFILE_MAX_INHERIT_DEPTH; i++) {
		_cleanup_free_ char *name = xasprintf("ok%d.conf", i);
		_cleanup_free_ char *text = i < PROFILE_MAX_INHERIT_DEPTH ?
			xasprintf("inherit = ok%d\noom_score_adj = %d\n", i + 1, i) :
			xasprintf("oom_score_adj = %d\nas = 1G\n", i);
		write_file(fx->d1, name, text);
	}
	/* deep0 -> ... -> deepN+1: one level too many. */
	for (int i = 0; i <= PROFILE_MAX_INHERIT_DEPTH + 1; i++) {
		_cleanup_free_ char *name = xasprintf("deep%d.conf", i);
		_cleanup_free_ char *text = i <= PROFILE_MAX_INHERIT_DEPTH ?
			xasprintf("inherit = deep%d\n", i + 1) : xstrdup("as = 1G\n");
		write_file(fx->d2, name, text);
	}

	{
		struct setting_value values[SETTING_COUNT] = { 0 };
		struct profile_set set = { 0 };
		_cleanup_free_ char *err = NULL;
		struct capture cap;
		int r;

		capture_begin(&cap);
		r = profile_load(&set, "ok0", values);
		err = capture_end(&cap);
		if (r != 0)
			fail_msg("%d levels of inherit: %d:\n%s", PROFILE_MAX_INHERIT_DEPTH, r,
				 err);
		assert_int_equal(set.count, PROFILE_MAX_INHERIT_DEPTH + 1);
		assert_int_equal(set.items[set.count - 1].depth, PROFILE_MAX_INHERIT_DEPTH);
		assert_int_equal(values[SETTING_OOM_SCORE_ADJ].number, 0);
		assert_int_equal(values[SETTING_OOM_SCORE_ADJ].origin.line, 2);
		assert_true(values[SETTING_AS].set);
		profile_set_free(&set);
	}
	{
		struct setting_value values[SETTING_COUNT] = { 0 };
		struct profile_set set = { 0 };
		_cleanup_free_ char *err = NULL;
		_cleanup_free_ char *want = xasprintf("deep%d.conf:1: inherit: more than %d levels",
						      PROFILE_MAX_INHERIT_DEPTH,
						      PROFILE_MAX_INHERIT_DEPTH);
		struct capture cap;
		int r;

		capture_begin(&cap);
		r = profile_load(&set, "deep0", values);
		err = capture_end(&cap);
		if (r != -ELOOP)
			fail_msg("%d levels of inherit: %d, expected -ELOOP:\n%s",
				 PROFILE_MAX_INHERIT_DEPTH + 1, r, err);
		assert_contains(err, want);
		assert_false(values[SETTING_AS].set);
		profile_set_free(&set);
	}
}

/* A user's db.conf that says "inherit = db" builds on the next db.conf. */
static void test_inherit_same_name(void **state)
{
	struct fixture *fx = *state;
	_cleanup_free_ char *user = path_join(fx->d1, "unitdb.conf");
	_cleanup_free_ char *site = path_join(fx->d2, "unitdb.conf");
	_cleanup_free_ char *shipped = path_join(fx->d3, "unitdb.conf");
	struct setting_value values[SETTING_COUNT] = { 0 };
	struct profile_set set = { 0 };
	_cleanup_free_ char *err = NULL;
	struct capture cap;
	int r;

	write_file(fx->d1, "unitdb.conf", "inherit = unitdb\nmalloc.arena_max = 2\n");
	write_file(fx->d2, "unitdb.conf",
		   "description = site db\noom_score_adj = -500\nmalloc.arena_max = 4\n");

	capture_begin(&cap);
	r = profile_load(&set, "unitdb", values);
	err = capture_end(&cap);
	if (r != 0)
		fail_msg("profile_load(unitdb) = %d:\n%s", r, err);
	assert_int_equal(set.count, 2);
	assert_string_equal(set.items[0].path, user);
	assert_string_equal(set.items[1].path, site);
	assert_string_equal(set.items[1].name, "unitdb");
	assert_int_equal(values[SETTING_MALLOC_ARENA_MAX].number, 2);
	assert_string_equal(values[SETTING_MALLOC_ARENA_MAX].origin.file, user);
	assert_int_equal(values[SETTING_MALLOC_ARENA_MAX].origin.line, 2);
	assert_int_equal(values[SETTING_OOM_SCORE_ADJ].number, -500);
	assert_string_equal(values[SETTING_OOM_SCORE_ADJ].origin.file, site);
	assert_int_equal(values[SETTING_OOM_SCORE_ADJ].origin.line, 2);
	profile_set_free(&set);

	/* Three levels, user over site over shipped, each inheriting the next. */
	write_file(fx->d2, "unitdb.conf", "inherit = unitdb\noom_score_adj = -500\n");
	write_file(fx->d3, "unitdb.conf",
		   "oom_score_adj = -900\nmemory_max = 8G\nmalloc.arena_max = 8\n");
	memset(values, 0, sizeof(values));
	free(err);
	capture_begin(&cap);
	r = profile_load(&set, "unitdb", values);
	err = capture_end(&cap);
	if (r != 0)
		fail_msg("profile_load(unitdb), three levels = %d:\n%s", r, err);
	assert_int_equal(set.count, 3);
	assert_string_equal(set.items[2].path, shipped);
	assert_int_equal(values[SETTING_MALLOC_ARENA_MAX].number, 2);
	assert_int_equal(values[SETTING_OOM_SCORE_ADJ].number, -500);
	assert_string_equal(values[SETTING_OOM_SCORE_ADJ].origin.file, site);
	assert_string_equal(values[SETTING_MEMORY_MAX].origin.file, shipped);
	profile_set_free(&set);

	/* The last one on the path has no other to inherit. */
	write_file(fx->d3, "unitdb.conf", "inherit = unitdb\n");
	memset(values, 0, sizeof(values));
	free(err);
	capture_begin(&cap);
	r = profile_load(&set, "unitdb", values);
	err = capture_end(&cap);
	assert_int_equal(r, -ENOENT);
	assert_contains(err, "d3/unitdb.conf:1: inherit: no profile named 'unitdb'");
	profile_set_free(&set);
}

static void test_load_by_path(void **state)
{
	struct fixture *fx = *state;
	_cleanup_free_ char *sub = path_join(fx->root, "elsewhere");
	_cleanup_free_ char *job = path_join(sub, "job.conf");
	_cleanup_free_ char *base = path_join(fx->root, "base.conf");
	_cleanup_free_ char *db_on_path = path_join(fx->d2, "unitdb.conf");
	_cleanup_free_ char *db_off_path = path_join(sub, "unitdb.conf");
	struct setting_value values[SETTING_COUNT] = { 0 };
	struct profile_set set = { 0 };

	assert_int_equal(mkdir(sub, 0755), 0);
	/* A relative inherit path is relative to the file that names it. */
	write_file(sub, "job.conf", "inherit = ../base.conf\nas = 1G\n");
	write_file(fx->root, "base.conf", "as = 2G\nswap_max = 0.5G\n");
	assert_int_equal(profile_load(&set, job, values), 0);
	assert_int_equal(set.count, 2);
	assert_string_equal(set.items[0].name, job);
	assert_string_equal(set.items[0].path, job);
	assert_string_equal(set.items[1].name, "../base.conf");
	assert_int_equal(values[SETTING_AS].size.bytes, 1ULL << 30);
	assert_string_equal(values[SETTING_AS].origin.file, job);
	assert_int_equal(values[SETTING_SWAP_MAX].size.bytes, 512ULL << 20);
	assert_int_equal(values[SETTING_SWAP_MAX].origin.line, 2);
	assert_int_equal(strncmp(values[SETTING_SWAP_MAX].origin.file, sub, strlen(sub)), 0);
	profile_set_free(&set);

	/* A unitdb.conf off the search path that inherits "unitdb" gets the first on it. */
	write_file(fx->d2, "unitdb.conf", "oom_score_adj = -500\n");
	write_file(sub, "unitdb.conf", "inherit = unitdb\n");
	memset(values, 0, sizeof(values));
	assert_int_equal(profile_load(&set, db_off_path, values), 0);
	assert_int_equal(set.count, 2);
	assert_string_equal(set.items[1].path, db_on_path);
	assert_int_equal(values[SETTING_OOM_SCORE_ADJ].number, -500);
	profile_set_free(&set);
}

static void test_load_errors(void **state)
{
	struct fixture *fx = *state;
	_cleanup_free_ char *nul_path = path_join(fx->d1, "nul.conf");
	_cleanup_free_ char *bad_path = path_join(fx->d3, "bad.conf");
	_cleanup_free_ char *bad_msg = xasprintf("memrun: %s:2: unknown key 'memory'\n", bad_path);
	const struct {
		const char *name;
		int error;
		const char *message;
	} cases[] = {
		{ MISSING, -ENOENT, "memrun: no profile named '" MISSING "'\n" },
		{ "db.conf", -ENOENT, "such as ./db.conf" },
		{ "my profile", -EINVAL, "memrun: 'my profile' is not a profile name" },
		{ ".hidden", -EINVAL, "is not a profile name" },
		{ "./" MISSING ".conf", -ENOENT, "cannot read profile './" MISSING ".conf'" },
		{ fx->d1, -EISDIR, "not a regular file" },
		{ nul_path, -EILSEQ, "holds a NUL byte" },
		{ "bad", -EINVAL, bad_msg },
	};
	int fd;

	fd = open(nul_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "as = 1G\n\0\n", 10), 10);
	close(fd);
	write_file(fx->d3, "bad.conf", "as = 1G\nmemory = 2G\n");

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct setting_value values[SETTING_COUNT] = { 0 };
		struct profile_set set = { 0 };
		_cleanup_free_ char *err = NULL;
		struct capture cap;
		int r;

		capture_begin(&cap);
		r = profile_load(&set, cases[i].name, values);
		err = capture_end(&cap);
		if (r != cases[i].error)
			fail_msg("profile_load(\"%s\") = %d, expected %d:\n%s", cases[i].name, r,
				 cases[i].error, err);
		assert_contains(err, cases[i].message);
		assert_false(values[SETTING_AS].set);
		profile_set_free(&set);
	}
}

/* Only regular files are read, without ever blocking: a FIFO given as a
 * profile by any way (path, name, inherit) would hang memrun. */
static void test_not_regular_files(void **state)
{
	struct fixture *fx = *state;
	_cleanup_free_ char *fifo = path_join(fx->root, "fifo.conf");
	_cleanup_free_ char *named_fifo = path_join(fx->d1, "pipe.conf");
	_cleanup_free_ char *via_inherit = path_join(fx->root, "child.conf");
	_cleanup_free_ char *via_inherit_name = path_join(fx->root, "child2.conf");
	_cleanup_free_ char *big = path_join(fx->root, "big.conf");
	_cleanup_free_ char *msg_path = xasprintf("cannot read profile '%s': not a regular file", fifo);
	_cleanup_free_ char *msg_named = xasprintf("cannot read profile 'pipe': %s: not a regular file",
						   named_fifo);
	_cleanup_free_ char *msg_dir = xasprintf("in %s; memrun does not look past it", fx->d1);
	_cleanup_free_ char *msg_inherit =
		xasprintf("child.conf:2: inherit: cannot read '%s': not a regular file", fifo);
	_cleanup_free_ char *msg_inherit_name =
		xasprintf("child2.conf:1: inherit: cannot read '%s': not a regular file",
			  named_fifo);
	const struct {
		const char *load;
		int error;
		const char *message, *hint;
	} cases[] = {
		{ fifo, -EISDIR, msg_path, NULL },
		{ "pipe", -EISDIR, msg_named, msg_dir },
		{ via_inherit, -EISDIR, msg_inherit, NULL },
		{ via_inherit_name, -EISDIR, msg_inherit_name, NULL },
		{ "/dev/zero", -EISDIR, "cannot read profile '/dev/zero': not a regular file", NULL },
		{ "/dev/null", -EISDIR, "cannot read profile '/dev/null': not a regular file", NULL },
		/* Regular by stat, made as read: not a profile either. */
		{ "/proc/self/status", -EISDIR,
		  "cannot read profile '/proc/self/status': not a regular file", NULL },
		{ "/sys/kernel/mm/transparent_hugepage/enabled", -EISDIR, "not a regular file",
		  NULL },
		{ big, -EFBIG, "larger than " PROFILE_MAX_SIZE_TEXT ": not a profile", NULL },
	};
	char *text = NULL;
	FILE *f;

	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(mkfifo(named_fifo, 0600), 0);
	write_file(fx->root, "child.conf", "as = 1G\ninherit = ./fifo.conf\n");
	write_file(fx->root, "child2.conf", "inherit = pipe\n");
	/* One byte over the cap, all comments: too large all the same. */
	f = fopen(big, "we");
	assert_non_null(f);
	for (size_t i = 0; i <= PROFILE_MAX_BYTES; i++)
		fputc(i % 64 == 63 ? '\n' : '#', f);
	assert_int_equal(fclose(f), 0);

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct setting_value values[SETTING_COUNT] = { 0 };
		struct profile_set set = { 0 };
		_cleanup_free_ char *err = NULL;
		struct capture cap;
		int r;

		if (startswith(cases[i].load, "/sys/") && access(cases[i].load, R_OK) < 0)
			continue;
		capture_begin(&cap);
		r = profile_load(&set, cases[i].load, values);
		err = capture_end(&cap);
		if (r != cases[i].error)
			fail_msg("profile_load(\"%s\") = %d, expected %d:\n%s", cases[i].load, r,
				 cases[i].error, err);
		assert_contains(err, cases[i].message);
		if (cases[i].hint)
			assert_contains(err, cases[i].hint);
		assert_false(values[SETTING_AS].set);
		profile_set_free(&set);
	}

	/* Exactly the cap is still a profile. */
	assert_int_equal(truncate(big, PROFILE_MAX_BYTES), 0);
	assert_int_equal(profile_read_file(big, &text), 0);
	assert_int_equal(strlen(text), PROFILE_MAX_BYTES);
	free(text);
	assert_int_equal(profile_read_file(fifo, &text), -EISDIR);
	assert_string_equal(profile_read_strerror(-EISDIR), "not a regular file");
	assert_string_equal(profile_read_strerror(-ENOENT), strerror(ENOENT));
}

/* What was parsed is kept, for 'profiles show' to print the same text. */
static void test_set_keeps_the_text(void **state)
{
	struct fixture *fx = *state;
	_cleanup_free_ char *a = path_join(fx->d1, "kept.conf");
	struct setting_value values[SETTING_COUNT] = { 0 };
	struct profile_set set = { 0 };

	write_file(fx->d1, "kept.conf", "# top\ninherit = base\nas = 1G\n");
	write_file(fx->d2, "base.conf", "data = 1G");
	assert_int_equal(profile_load(&set, "kept", values), 0);
	assert_int_equal(set.count, 2);
	assert_string_equal(set.items[0].text, "# top\ninherit = base\nas = 1G\n");
	assert_string_equal(set.items[1].text, "data = 1G");
	profile_set_free(&set);
	assert_int_equal(profile_parse_text(&set, "t.conf", "as = 2G\n", values), 0);
	assert_string_equal(set.items[0].text, "as = 2G\n");
	profile_set_free(&set);
}

/* A value is quoted escaped and cut short, whatever the file holds. */
static void test_long_value_is_cut(void **state)
{
	struct setting_value values[SETTING_COUNT] = { 0 };
	struct profile_set set = { 0 };
	char text[1024] = "as = ";
	_cleanup_free_ char *err = NULL;
	struct capture cap;

	(void)state;
	memset(text + 5, '7', 900);
	text[905] = 'X';
	capture_begin(&cap);
	assert_int_equal(profile_parse_text(&set, "t.conf", text, values), -EINVAL);
	err = capture_end(&cap);
	assert_contains(err, "t.conf:1: bad value for key 'as': '777");
	assert_contains(err, "...': ");
	if (strlen(err) > 400)
		fail_msg("a long value is quoted whole:\n%s", err);
	profile_set_free(&set);
}

static void test_read_description(void **state)
{
	struct fixture *fx = *state;
	_cleanup_free_ char *quoted = path_join(fx->d1, "q.conf");
	_cleanup_free_ char *none = path_join(fx->d1, "n.conf");
	_cleanup_free_ char *broken = path_join(fx->d1, "b.conf");
	_cleanup_free_ char *got = NULL;

	write_file(fx->d1, "q.conf", "# c\nas = 1G\n  description =  \"A quoted one\"  \r\n");
	write_file(fx->d1, "n.conf", "as = 1G\n# description = commented out\n");
	write_file(fx->d1, "b.conf", "junk line\ndescription = still listed\nfoo = 1\n");

	assert_int_equal(profile_read_description(quoted, &got), 0);
	assert_string_equal(got, "A quoted one");
	free(got);
	assert_int_equal(profile_read_description(none, &got), 0);
	assert_null(got);
	assert_int_equal(profile_read_description(broken, &got), 0);
	assert_string_equal(got, "still listed");
	free(got);
	got = (char *)"untouched";
	assert_int_equal(profile_read_description(fx->d1, &got), -EISDIR);
	assert_null(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_parse_good, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_bad, setup, teardown),
		cmocka_unit_test(test_name_is_valid),
		cmocka_unit_test_setup_teardown(test_search_dirs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_find_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inherit_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_profiles_in_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inherit_loops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inherit_depth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inherit_same_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_by_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_regular_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_keeps_the_text, setup, teardown),
		cmocka_unit_test(test_long_value_is_cut),
		cmocka_unit_test_setup_teardown(test_read_description, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
