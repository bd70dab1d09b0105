/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kernel log, from wherever memrun may read it: /dev/kmsg, else the
 * kernel's messages in the system journal.  With kernel.dmesg_restrict=1
 * (Debian's default) only CAP_SYSLOG opens /dev/kmsg, but systemd-journald
 * copies it into the journal, which the groups systemd-journal and adm may
 * read.  Which source memrun uses, why none, and the job's OOM kills in it
 * (kmsg.c parses the records of both).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kmsg.h"

enum kernel_log_source {
	KERNEL_LOG_NONE,	/* not read: not needed, or neither is readable */
	KERNEL_LOG_KMSG,	/* /dev/kmsg */
	KERNEL_LOG_JOURNAL,	/* the system journal's kernel transport */
};

/* What memrun may read now, for --dry-run and doctor. */
struct kernel_log_access {
	int kmsg_err;		/* 0: /dev/kmsg is readable; else -errno */
	int journal_err;	/* 0: a file of the system journal is; else -errno */
	char *journal_why;	/* then why not, malloc'ed */
	bool journal_kernel_records;	/* the journal holds a kernel message */
};

/* "kmsg", "journal"; NULL for none (the report's oom.victims_source). */
const char *kernel_log_source_name(enum kernel_log_source source);

/* Tries both sources, reading nothing but whether the journal holds any
 * kernel message. */
void kernel_log_access_check(struct kernel_log_access *ret);
void kernel_log_access_free(struct kernel_log_access *a);

/* The source a run reads: /dev/kmsg where memrun may, else the journal. */
enum kernel_log_source kernel_log_choose(const struct kernel_log_access *a);
/* "neither /dev/kmsg (...) nor the system journal (...) is readable",
 * malloc'ed; and what to do about it, for people. */
char *kernel_log_unreadable_why(int kmsg_err, int journal_err, const char *journal_why);
const char *kernel_log_remedy(int journal_err);

/*
 * The OOM kills of the job whose cgroup path ends in job_suffix (see
 * kmsg_collect_oom) since the job started (CLOCK_MONOTONIC, ns), from the
 * first source memrun may read.  expected_kills: how many the cgroup
 * counted; the journal, which may be late, is waited for until it names
 * that many, for a bounded time.  Returns the source read (*ret filled),
 * or KERNEL_LOG_NONE and in *ret_why why not (malloc'ed).
 */
enum kernel_log_source kernel_log_collect_oom(const char *job_suffix, uint64_t job_start_mono_ns,
					      uint64_t expected_kills, struct oom_victims *ret,
					      char **ret_why);

/* The system journal for its other readers (systemd-oomd's records,
 * oomd.c): opened where memrun may read a file of it, 0; else -errno and
 * why (malloc'ed).  And the job's start on today's wall clock (µs), where
 * a reading of the job's entries seeks to. */
struct sd_journal;
int system_journal_open(struct sd_journal **ret, char **ret_why);
void system_journal_closep(struct sd_journal **j);
uint64_t system_journal_since_usec(uint64_t job_start_mono_ns);

/* Exposed for the unit tests: one journal entry's fields as
 * sd_journal_get_data() gives them ("SYSLOG_FACILITY=0", not
 * NUL-terminated).  Whether the kernel wrote it (facility NULL: the field
 * is absent, as older journalds wrote kernel messages); and its
 * "MESSAGE=..." as an OOM kill of the job. */
bool kernel_log_journal_from_kernel(const void *facility, size_t size);
bool kernel_log_parse_journal_message(const void *message, size_t size, const char *job_suffix,
				      struct oom_victim *v);
