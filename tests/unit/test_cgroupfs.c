/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for src/cgroupfs.c: numbers as cgroup files hold them, keyed
 * files (memory.events, memory.oom_control), reads and writes by dir fd. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "cgroupfs.h"
#include "util.h"

static const struct {
	const char *text;
	int error;
	uint64_t value;
} numbers[] = {
	{ "max", 0, UINT64_MAX },
	{ "max\n", 0, UINT64_MAX },
	{ "0", 0, 0 },
	{ "0\n", 0, 0 },
	{ "123\n", 0, 123 },
	{ "123", 0, 123 },
	{ "  42\n", 0, 42 },
	{ "268435456\n", 0, 268435456 },
	/* v1 writes "no limit" as the largest page-aligned long. */
	{ "9223372036854771712\n", 0, UINT64_MAX },
	{ "9223372036854771712", 0, UINT64_MAX },
	{ "9223372036854771711\n", 0, 9223372036854771711ULL },
	{ "9223372036854775807\n", 0, UINT64_MAX },
	{ "18446744073709551615\n", 0, UINT64_MAX },
	{ "18446744073709551616\n", -ERANGE, 0 },
	{ "99999999999999999999999\n", -ERANGE, 0 },
	{ "", -EINVAL, 0 },
	{ "\n", -EINVAL, 0 },
	{ "junk\n", -EINVAL, 0 },
	{ "12x\n", -EINVAL, 0 },
	{ "1.5\n", -EINVAL, 0 },
	{ "-1\n", -EINVAL, 0 },
	{ "+1\n", -EINVAL, 0 },
	{ "0x10\n", -EINVAL, 0 },
	{ "maximum\n", -EINVAL, 0 },
	{ "max5\n", -EINVAL, 0 },
	{ "ma\n", -EINVAL, 0 },
};

static void test_parse_u64(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(numbers); i++) {
		uint64_t value = 4242;
		int r = cg_parse_u64(numbers[i].text, &value);

		if (r != numbers[i].error)
			fail_msg("cg_parse_u64(\"%s\") = %d, expected %d", numbers[i].text, r,
				 numbers[i].error);
		if (r == 0 && value != numbers[i].value)
			fail_msg("cg_parse_u64(\"%s\") gave %llu, expected %llu", numbers[i].text,
				 (unsigned long long)value, (unsigned long long)numbers[i].value);
		if (r < 0 && value != 4242)
			fail_msg("cg_parse_u64(\"%s\") wrote its result on failure",
				 numbers[i].text);
	}
}

/* memory.events as v2 writes it; the same with counts that differ, and
 * oom_kill before oom, so a prefix match would be seen. */
#define EVENTS "low 0\nhigh 3\nmax 17\noom 1\noom_kill 1\noom_group_kill 0\n"
#define EVENTS_APART "low 0\nhigh 3\nmax 17\noom_kill 5\noom 2\noom_group_kill 4\n"
/* v1 memory.oom_control. */
#define OOM_CONTROL "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n"

static const struct {
	const char *what;
	const char *text;
	const char *key;
	int error;
	uint64_t value;
} keyed[] = {
	{ "events low", EVENTS, "low", 0, 0 },
	{ "events high", EVENTS, "high", 0, 3 },
	{ "events max is a count, not unlimited", EVENTS, "max", 0, 17 },
	{ "events oom", EVENTS, "oom", 0, 1 },
	{ "events oom_kill", EVENTS, "oom_kill", 0, 1 },
	{ "events oom_group_kill", EVENTS, "oom_group_kill", 0, 0 },
	{ "oom is not oom_kill", EVENTS_APART, "oom", 0, 2 },
	{ "oom_kill is not oom", EVENTS_APART, "oom_kill", 0, 5 },
	{ "oom_group_kill is not oom_kill", EVENTS_APART, "oom_group_kill", 0, 4 },
	{ "the tail of a key is no key", EVENTS_APART, "kill", -ENOENT, 0 },
	{ "the middle of a key is no key", EVENTS_APART, "group", -ENOENT, 0 },
	{ "a prefix of a key is no key", EVENTS_APART, "oom_", -ENOENT, 0 },
	{ "a missing key", EVENTS, "swap", -ENOENT, 0 },
	{ "a key longer than any", EVENTS, "oom_kill_more", -ENOENT, 0 },
	{ "oom_control oom_kill", OOM_CONTROL, "oom_kill", 0, 2 },
	{ "oom_control oom_kill_disable", OOM_CONTROL, "oom_kill_disable", 0, 0 },
	{ "oom_control under_oom", "oom_kill_disable 0\nunder_oom 1\noom_kill 2\n", "under_oom",
	  0, 1 },
	{ "oom_control has no oom", OOM_CONTROL, "oom", -ENOENT, 0 },
	{ "the last line without a newline", "oom 1\noom_kill 7", "oom_kill", 0, 7 },
	{ "empty text", "", "oom", -ENOENT, 0 },
	{ "a key without a value", "oom_kill\noom 3\n", "oom_kill", -ENOENT, 0 },
	{ "a junk value", "oom junk\n", "oom", -EINVAL, 0 },
	{ "an empty value", "oom \noom_kill 1\n", "oom", -EINVAL, 0 },
};

static void test_keyed_u64(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(keyed); i++) {
		uint64_t value = 4242;
		int r = cg_keyed_u64(keyed[i].text, keyed[i].key, &value);

		if (r != keyed[i].error)
			fail_msg("%s: cg_keyed_u64(\"%s\") = %d, expected %d", keyed[i].what,
				 keyed[i].key, r, keyed[i].error);
		if (r == 0 && value != keyed[i].value)
			fail_msg("%s: cg_keyed_u64(\"%s\") gave %llu, expected %llu",
				 keyed[i].what, keyed[i].key, (unsigned long long)value,
				 (unsigned long long)keyed[i].value);
		if (r < 0 && value != 4242)
			fail_msg("%s: cg_keyed_u64 wrote its result on failure", keyed[i].what);
	}
}

/* ---- files in a temporary directory ------------------------------------ */

struct tmp {
	char path[64];
	int dir_fd;
};

static const char *const tmp_files[] = { "memory.max", "memory.events", "memory.peak",
					 "junk" };

static int tmp_setup(void **state)
{
	struct tmp *t = xcalloc(1, sizeof(*t));

	snprintf(t->path, sizeof(t->path), "/tmp/memrun-test-cgroupfs.XXXXXX");
	if (!mkdtemp(t->path)) {
		free(t);
		return -1;
	}
	t->dir_fd = open(t->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* cg_write opens without O_CREAT, as cgroup files already exist. */
	for (size_t i = 0; i < ELEMENTSOF(tmp_files) && t->dir_fd >= 0; i++) {
		int fd = openat(t->dir_fd, tmp_files[i], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0)
			return -1;
		close(fd);
	}
	*state = t;
	return t->dir_fd >= 0 ? 0 : -1;
}

static int tmp_teardown(void **state)
{
	struct tmp *t = *state;

	for (size_t i = 0; i < ELEMENTSOF(tmp_files); i++)
		unlinkat(t->dir_fd, tmp_files[i], 0);
	safe_close(t->dir_fd);
	rmdir(t->path);
	free(t);
	return 0;
}

static void test_write_read(void **state)
{
	struct tmp *t = *state;
	char buf[64];
	uint64_t value = 0;

	assert_int_equal(cg_write(t->dir_fd, "memory.max", "268435456\n"), 0);
	assert_int_equal(cg_read(t->dir_fd, "memory.max", buf, sizeof(buf)), 10);
	assert_string_equal(buf, "268435456\n");
	assert_int_equal(cg_read_u64(t->dir_fd, "memory.max", &value), 0);
	assert_int_equal(value, 268435456);

	/* A short buffer: what fits, NUL-terminated. */
	assert_int_equal(cg_read(t->dir_fd, "memory.max", buf, 4), 3);
	assert_string_equal(buf, "268");

	assert_true(cg_exists(t->dir_fd, "memory.max"));
	assert_false(cg_exists(t->dir_fd, "memory.high"));
	/* No O_CREAT: a file the kernel does not offer is an error. */
	assert_int_equal(cg_write(t->dir_fd, "memory.high", "1\n"), -ENOENT);
	assert_false(cg_exists(t->dir_fd, "memory.high"));
	assert_int_equal(cg_read(t->dir_fd, "memory.high", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(cg_read_u64(t->dir_fd, "memory.high", &value), -ENOENT);
	assert_int_equal(cg_write(-1, "memory.max", "1\n"), -EBADF);

	assert_int_equal(cg_write(t->dir_fd, "junk", "junk\n"), 0);
	value = 4242;
	assert_int_equal(cg_read_u64(t->dir_fd, "junk", &value), -EINVAL);
	assert_int_equal(value, 4242);
}

static void test_write_u64(void **state)
{
	struct tmp *t = *state;
	char buf[64];
	uint64_t value = 0;

	assert_int_equal(cg_write_u64(t->dir_fd, "memory.max", UINT64_MAX), 0);
	assert_int_equal(cg_read(t->dir_fd, "memory.max", buf, sizeof(buf)), 3);
	assert_string_equal(buf, "max");
	assert_int_equal(cg_read_u64(t->dir_fd, "memory.max", &value), 0);
	assert_true(value == UINT64_MAX);

	/* The same length again, as the file is not truncated. */
	assert_int_equal(cg_write_u64(t->dir_fd, "memory.max", 512), 0);
	assert_int_equal(cg_read(t->dir_fd, "memory.max", buf, sizeof(buf)), 3);
	assert_string_equal(buf, "512");
	assert_int_equal(cg_read_u64(t->dir_fd, "memory.max", &value), 0);
	assert_int_equal(value, 512);
}

/* A directory's subdirectories, by its ctime and link count.  One made
 * and removed again is the integration tests' (on kernfs, whose stamps
 * memrun relies on; here a coarse clock may stamp both alike). */
static void test_subdirs(void **state)
{
	struct tmp *t = *state;
	struct timespec mark;

	assert_int_equal(cg_subdirs_mark(t->dir_fd, &mark), 0);
	assert_false(cg_subdirs_changed(t->dir_fd, &mark));
	assert_int_equal(mkdirat(t->dir_fd, "inner", 0755), 0);
	assert_true(cg_subdirs_changed(t->dir_fd, &mark));
	assert_int_equal(unlinkat(t->dir_fd, "inner", AT_REMOVEDIR), 0);
	/* Cannot tell: changed. */
	assert_true(cg_subdirs_changed(-1, &mark));
	assert_int_equal(cg_subdirs_mark(-1, &mark), -EBADF);
}

static void test_pread(void **state)
{
	struct tmp *t = *state;
	_cleanup_close_ int peak_fd = -1, events_fd = -1;
	char buf[128];
	uint64_t value = 0;

	assert_int_equal(cg_write(t->dir_fd, "memory.peak", "4096\n"), 0);
	peak_fd = openat(t->dir_fd, "memory.peak", O_RDONLY | O_CLOEXEC);
	assert_true(peak_fd >= 0);
	assert_int_equal(cg_pread_u64(peak_fd, &value), 0);
	assert_int_equal(value, 4096);
	/* From offset 0 each time: a later change is seen on the same fd. */
	assert_int_equal(cg_write(t->dir_fd, "memory.peak", "8192\n"), 0);
	assert_int_equal(cg_pread_u64(peak_fd, &value), 0);
	assert_int_equal(value, 8192);
	assert_int_equal(cg_pread_u64(peak_fd, &value), 0);
	assert_int_equal(value, 8192);

	assert_int_equal(cg_write(t->dir_fd, "memory.events", EVENTS), 0);
	events_fd = openat(t->dir_fd, "memory.events", O_RDONLY | O_CLOEXEC);
	assert_true(events_fd >= 0);
	assert_int_equal(cg_pread(events_fd, buf, sizeof(buf)), (ssize_t)strlen(EVENTS));
	assert_string_equal(buf, EVENTS);
	assert_int_equal(cg_keyed_u64(buf, "max", &value), 0);
	assert_int_equal(value, 17);
	assert_int_equal(cg_pread(events_fd, buf, sizeof(buf)), (ssize_t)strlen(EVENTS));

	assert_int_equal(cg_pread_u64(-1, &value), -EBADF);
	assert_int_equal(cg_pread(-1, buf, sizeof(buf)), -EBADF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_keyed_u64),
		cmocka_unit_test_setup_teardown(test_write_read, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_write_u64, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_pread, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_subdirs, tmp_setup, tmp_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
