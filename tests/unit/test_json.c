/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for src/json.c: exact output of the JSON writer. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "json.h"
#include "util.h"

/* Output written into memory. */
struct memout {
	FILE *f;
	char *buf;
	size_t len;
};

static void memout_open(struct memout *m)
{
	m->buf = NULL;
	m->len = 0;
	m->f = open_memstream(&m->buf, &m->len);
	assert_non_null(m->f);
}

/* Closes the stream; the caller frees the text. */
static char *memout_close(struct memout *m)
{
	assert_int_equal(fclose(m->f), 0);
	return m->buf;
}

static const struct {
	const char *in;
	const char *out;
} escapes[] = {
	{ "", "\"\"" },
	{ "plain text", "\"plain text\"" },
	{ "say \"hi\"", "\"say \\\"hi\\\"\"" },
	{ "C:\\dir\\", "\"C:\\\\dir\\\\\"" },
	{ "a/b", "\"a/b\"" },
	{ "line\nnext", "\"line\\nnext\"" },
	{ "a\tb\rc\bd\fe", "\"a\\tb\\rc\\bd\\fe\"" },
	{ "\x01", "\"\\u0001\"" },
	{ "x\x1fy", "\"x\\u001fy\"" },
	{ "\x1b[31m", "\"\\u001b[31m\"" },
	{ "del\x7f", "\"del\\u007f\"" },
	{ "~ \x20", "\"~  \"" },

	/* Valid UTF-8 passes through, every length and the edges. */
	{ "caf\xc3\xa9", "\"caf\xc3\xa9\"" },			/* U+00E9 */
	{ "\xc2\x80", "\"\xc2\x80\"" },				/* U+0080 */
	{ "\xdf\xbf", "\"\xdf\xbf\"" },				/* U+07FF */
	{ "\xe0\xa0\x80", "\"\xe0\xa0\x80\"" },			/* U+0800 */
	{ "\xe2\x82\xac 5", "\"\xe2\x82\xac 5\"" },		/* U+20AC */
	{ "\xed\x9f\xbf", "\"\xed\x9f\xbf\"" },			/* U+D7FF */
	{ "\xee\x80\x80", "\"\xee\x80\x80\"" },			/* U+E000 */
	{ "\xef\xbf\xbd", "\"\xef\xbf\xbd\"" },			/* U+FFFD */
	{ "\xf0\x90\x80\x80", "\"\xf0\x90\x80\x80\"" },		/* U+10000 */
	{ "\xf0\x9d\x84\x9e", "\"\xf0\x9d\x84\x9e\"" },		/* U+1D11E */
	{ "\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"" },		/* U+10FFFF */

	/* Invalid UTF-8: each byte that starts no valid sequence is U+FFFD. */
	{ "\x80", "\"\\ufffd\"" },				/* lone continuation */
	{ "a\xbf" "b", "\"a\\ufffdb\"" },
	{ "\xc0\x80", "\"\\ufffd\\ufffd\"" },			/* overlong NUL */
	{ "\xc1\xbf", "\"\\ufffd\\ufffd\"" },			/* overlong '\x7f' */
	{ "\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"" },	/* overlong '/' */
	{ "\xe0\x9f\xbf", "\"\\ufffd\\ufffd\\ufffd\"" },	/* overlong U+07FF */
	{ "\xf0\x8f\xbf\xbf", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" }, /* overlong U+FFFF */
	{ "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"" },	/* surrogate U+D800 */
	{ "\xed\xbf\xbf", "\"\\ufffd\\ufffd\\ufffd\"" },	/* surrogate U+DFFF */
	{ "\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" }, /* U+110000 */
	{ "\xf5\x80\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" },
	{ "\xf8\x88\x80\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\"" },
	{ "\xfe", "\"\\ufffd\"" },
	{ "\xff" "x", "\"\\ufffdx\"" },
	{ "ab\xe2\x82", "\"ab\\ufffd\\ufffd\"" },		/* truncated at the end */
	{ "\xc3", "\"\\ufffd\"" },
	{ "\xf0\x9d\x84", "\"\\ufffd\\ufffd\\ufffd\"" },
	{ "\xe2\x82" "x", "\"\\ufffd\\ufffdx\"" },		/* cut short by ASCII */
	{ "\xc3\xc3\xa9", "\"\\ufffd\xc3\xa9\"" },		/* new start byte */
	{ "\xe2\x82\n", "\"\\ufffd\\ufffd\\n\"" },
};

static void test_escape(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(escapes); i++) {
		struct memout m;
		_cleanup_free_ char *got = NULL;

		memout_open(&m);
		json_write_escaped(m.f, escapes[i].in);
		got = memout_close(&m);
		if (!streq(got, escapes[i].out))
			fail_msg("case %zu: json_write_escaped gave %s, expected %s", i, got,
				 escapes[i].out);
	}
}

static void write_sample(struct json_writer *w)
{
	json_begin_object(w, NULL);
	json_string(w, "s", "x");
	json_string(w, "n", NULL);
	json_int(w, "i", -42);
	json_int(w, "min", INT64_MIN);
	json_uint(w, "u", UINT64_MAX);
	json_double(w, "d", 1.25, 2);
	json_double(w, "r", 81.26, 1);
	json_double(w, "w", 2.0, 0);
	json_double(w, "nan", NAN, 1);
	json_double(w, "inf", -INFINITY, 1);
	json_bool(w, "t", true);
	json_bool(w, "f", false);
	json_null(w, "z");
	json_int(w, "k\"\n", 1);
	json_begin_object(w, "o");
	json_int(w, "a", 1);
	json_end_object(w);
	json_begin_array(w, "arr");
	json_int(w, NULL, 1);
	json_string(w, NULL, "two");
	json_begin_object(w, NULL);
	json_end_object(w);
	json_begin_array(w, NULL);
	json_end_array(w);
	json_null(w, NULL);
	json_end_array(w);
	json_begin_object(w, "empty");
	json_end_object(w);
	json_end_object(w);
}

static void test_compact(void **state)
{
	struct json_writer w;
	struct memout m;
	_cleanup_free_ char *got = NULL;

	(void)state;
	memout_open(&m);
	json_init(&w, m.f, false);
	write_sample(&w);
	got = memout_close(&m);
	assert_string_equal(got,
			    "{\"s\":\"x\",\"n\":null,\"i\":-42,\"min\":-9223372036854775808,"
			    "\"u\":18446744073709551615,\"d\":1.25,\"r\":81.3,\"w\":2,"
			    "\"nan\":null,\"inf\":null,\"t\":true,\"f\":false,\"z\":null,"
			    "\"k\\\"\\n\":1,\"o\":{\"a\":1},\"arr\":[1,\"two\",{},[],null],"
			    "\"empty\":{}}");
}

static void test_pretty(void **state)
{
	struct json_writer w;
	struct memout m;
	_cleanup_free_ char *got = NULL;

	(void)state;
	memout_open(&m);
	json_init(&w, m.f, true);
	json_begin_object(&w, NULL);
	json_int(&w, "a", 1);
	json_begin_object(&w, "o");
	json_begin_array(&w, "b");
	json_int(&w, NULL, 1);
	json_uint(&w, NULL, 2);
	json_end_array(&w);
	json_begin_object(&w, "e");
	json_end_object(&w);
	json_end_object(&w);
	json_begin_array(&w, "l");
	json_end_array(&w);
	json_string(&w, "s", "v");
	json_end_object(&w);
	got = memout_close(&m);
	assert_string_equal(got,
			    "{\n"
			    "  \"a\": 1,\n"
			    "  \"o\": {\n"
			    "    \"b\": [\n"
			    "      1,\n"
			    "      2\n"
			    "    ],\n"
			    "    \"e\": {}\n"
			    "  },\n"
			    "  \"l\": [],\n"
			    "  \"s\": \"v\"\n"
			    "}\n");
}

static void test_top_level(void **state)
{
	struct json_writer w;
	struct memout m;
	_cleanup_free_ char *array = NULL;
	_cleanup_free_ char *empty = NULL;

	(void)state;
	memout_open(&m);
	json_init(&w, m.f, false);
	json_begin_array(&w, NULL);
	json_int(&w, NULL, 1);
	json_bool(&w, NULL, true);
	json_end_array(&w);
	array = memout_close(&m);
	assert_string_equal(array, "[1,true]");

	memout_open(&m);
	json_init(&w, m.f, true);
	json_begin_object(&w, NULL);
	json_end_object(&w);
	empty = memout_close(&m);
	assert_string_equal(empty, "{}\n");
}

/* Nesting deeper than any report needs still gives valid, exact JSON. */
static void test_deep_nesting(void **state)
{
	enum { LEVELS = 40 };
	struct json_writer w;
	struct memout m;
	_cleanup_free_ char *got = NULL;
	_cleanup_free_ char *expected = xstrdup("");

	(void)state;
	memout_open(&m);
	json_init(&w, m.f, false);
	json_begin_object(&w, NULL);
	for (int i = 0; i < LEVELS; i++) {
		json_int(&w, "a", i);
		json_begin_array(&w, "l");
		json_begin_object(&w, NULL);
	}
	json_int(&w, "x", 1);
	for (int i = LEVELS - 1; i >= 0; i--) {
		json_end_object(&w);
		json_int(&w, NULL, i);
		json_end_array(&w);
		json_int(&w, "b", i);
	}
	json_end_object(&w);
	got = memout_close(&m);

	for (int i = 0; i < LEVELS; i++) {
		char *longer = xasprintf("%s\"a\":%d,\"l\":[{", expected, i);
		free(expected);
		expected = longer;
	}
	{
		char *longer = xasprintf("{%s\"x\":1", expected);
		free(expected);
		expected = longer;
	}
	for (int i = LEVELS - 1; i >= 0; i--) {
		char *longer = xasprintf("%s},%d],\"b\":%d", expected, i, i);
		free(expected);
		expected = longer;
	}
	{
		char *longer = xasprintf("%s}", expected);
		free(expected);
		expected = longer;
	}
	assert_string_equal(got, expected);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_compact),
		cmocka_unit_test(test_pretty),
		cmocka_unit_test(test_top_level),
		cmocka_unit_test(test_deep_nesting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
