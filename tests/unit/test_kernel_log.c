/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for src/kernel-log.c: which source, and the journal's kernel
 * messages as sd_journal_get_data() gives them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "kernel-log.h"
#include "util.h"

#define JOB "/memrun-10-20"
#define OOM_KILL                                                                          \
	"MESSAGE=oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0," \
	"oom_memcg=/user.slice/memrun-10-20,task_memcg=/user.slice/memrun-10-20,"
#define TAIL ",pid=4242,uid=4242"

static const struct {
	const char *what;
	const char *field;	/* as the journal keeps it: journald unescaped it */
	size_t size;		/* 0: strlen(field) */
	bool parsed;
	const char *comm;	/* as /dev/kmsg would show it */
} messages[] = {
	{ "the job's own limit", OOM_KILL "task=hog" TAIL, 0, true, "hog" },
	{ "a name with a newline, unescaped by journald", OOM_KILL "task=a\nb" TAIL, 0, true,
	  "a\\x0ab" },
	{ "a name with a backslash", OOM_KILL "task=a\\b" TAIL, 0, true, "a\\x5cb" },
	{ "a name in UTF-8", OOM_KILL "task=caf\xc3\xa9" TAIL, 0, true, "caf\\xc3\\xa9" },
	{ "a name of 15 control bytes",
	  OOM_KILL "task=\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" TAIL, 0,
	  true,
	  "\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01" },
	{ "a name of 16 bytes is not the kernel's",
	  OOM_KILL "task=\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01" TAIL,
	  0, false, NULL },
	{ "a name that looks like a pid", OOM_KILL "task=x,pid=1" TAIL, 0, true, "x,pid=1" },
	/* get_data's data has no terminating NUL: the size ends it. */
	{ "cut by its size", OOM_KILL "task=hog" TAIL "0000", sizeof(OOM_KILL "task=hog" TAIL) - 1,
	  true, "hog" },
	{ "cut before its pid", OOM_KILL "task=hog" TAIL, sizeof(OOM_KILL "task=hog") - 1, false,
	  NULL },
	{ "another job", OOM_KILL "task=hog" TAIL, 0, false, NULL },
	{ "not an OOM kill", "MESSAGE=Memory cgroup out of memory: Killed process 4242 (hog)", 0,
	  false, NULL },
	{ "another field", "MESSAGEX=oom-kill:", 0, false, NULL },
	{ "an empty message", "MESSAGE=", 0, false, NULL },
};

static void test_journal_messages(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(messages); i++) {
		size_t size = messages[i].size ? messages[i].size : strlen(messages[i].field);
		/* A copy of just that size: a read past it is ASan's to see. */
		char *data = xmalloc(size);
		const char *job = streq(messages[i].what, "another job") ? "/memrun-10-2" : JOB;
		struct oom_victim v = { .pid = 99 };
		bool parsed;

		memcpy(data, messages[i].field, size);
		parsed = kernel_log_parse_journal_message(data, size, job, &v);
		free(data);
		if (parsed != messages[i].parsed)
			fail_msg("%s: parsed %d, expected %d", messages[i].what, parsed,
				 messages[i].parsed);
		if (!parsed) {
			if (v.pid != 99)
				fail_msg("%s: the victim was written for a message not taken",
					 messages[i].what);
			continue;
		}
		if (v.pid != 4242 || !streq(v.comm, messages[i].comm) || !v.by_job_limit)
			fail_msg("%s: victim %d (%s, by_job_limit %d), expected 4242 (%s, 1)",
				 messages[i].what, (int)v.pid, v.comm, v.by_job_limit,
				 messages[i].comm);
	}
}

/* A process may write an oom-kill line to /dev/kmsg, and journald keeps it
 * with _TRANSPORT=kernel too, but the kernel gives it a facility of its
 * own, which journald records: only facility 0, or none (older journalds
 * wrote none for the kernel's), is the kernel's. */
static void test_journal_facility(void **state)
{
	static const char kern[] = "SYSLOG_FACILITY=0", user[] = "SYSLOG_FACILITY=1",
			  zeros[] = "SYSLOG_FACILITY=00", big[] = "SYSLOG_FACILITY=08";

	(void)state;
	assert_true(kernel_log_journal_from_kernel(NULL, 0));
	assert_true(kernel_log_journal_from_kernel(kern, sizeof(kern) - 1));
	assert_false(kernel_log_journal_from_kernel(user, sizeof(user) - 1));
	assert_false(kernel_log_journal_from_kernel(zeros, sizeof(zeros) - 1));
	assert_false(kernel_log_journal_from_kernel(big, sizeof(big) - 1));
	/* "SYSLOG_FACILITY=" cut before its value. */
	assert_false(kernel_log_journal_from_kernel(kern, sizeof(kern) - 2));
}

static void test_choose(void **state)
{
	static const struct {
		struct kernel_log_access access;
		enum kernel_log_source source;
	} cases[] = {
		{ { .kmsg_err = 0, .journal_err = 0 }, KERNEL_LOG_KMSG },
		{ { .kmsg_err = 0, .journal_err = -EACCES }, KERNEL_LOG_KMSG },
		{ { .kmsg_err = -EPERM, .journal_err = 0 }, KERNEL_LOG_JOURNAL },
		{ { .kmsg_err = -EPERM, .journal_err = -EACCES }, KERNEL_LOG_NONE },
		{ { .kmsg_err = -ENOENT, .journal_err = -ENOENT }, KERNEL_LOG_NONE },
	};

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(cases); i++)
		assert_int_equal(kernel_log_choose(&cases[i].access), cases[i].source);
	assert_string_equal(kernel_log_source_name(KERNEL_LOG_KMSG), "kmsg");
	assert_string_equal(kernel_log_source_name(KERNEL_LOG_JOURNAL), "journal");
	assert_null(kernel_log_source_name(KERNEL_LOG_NONE));
}

static void test_unreadable_why_and_remedy(void **state)
{
	char *why;

	(void)state;
	why = kernel_log_unreadable_why(-EPERM, -EACCES, "only members of the groups "
					"systemd-journal and adm may read it");
	assert_string_equal(why, "neither /dev/kmsg (Operation not permitted) nor the system "
				 "journal (only members of the groups systemd-journal and adm may "
				 "read it) is readable");
	free(why);
	why = kernel_log_unreadable_why(-EPERM, -EIO, NULL);
	assert_non_null(strstr(why, "nor the system journal (Input/output error)"));
	free(why);
	/* A journal closed to the user: its groups open it. */
	assert_non_null(strstr(kernel_log_remedy(-EACCES), "group systemd-journal or adm"));
	assert_non_null(strstr(kernel_log_remedy(-EACCES), "kernel.dmesg_restrict=0"));
	/* No journal at all: only the kernel log itself. */
	assert_null(strstr(kernel_log_remedy(-ENOENT), "group"));
	assert_non_null(strstr(kernel_log_remedy(-ENOENT), "kernel.dmesg_restrict=0"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_journal_messages),
		cmocka_unit_test(test_journal_facility),
		cmocka_unit_test(test_choose),
		cmocka_unit_test(test_unreadable_why_and_remedy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
