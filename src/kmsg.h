/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kernel's own word on OOM kills: "oom-kill:" records in /dev/kmsg,
 * and the parser of such a record wherever it was read (kernel-log.c). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#define OOM_VICTIMS_MAX 8
/* The kernel's task name: at most 15 bytes (TASK_COMM_LEN - 1). */
#define KMSG_COMM_MAX 15
/* The longest path of an enclosing cgroup kept from a record. */
#define KMSG_CGROUP_MAX 255

struct oom_victim {
	pid_t pid;
	/* As the log shows it: /dev/kmsg writes a byte it will not print
	 * as "\xNN", so 15 bytes of name take up to 60 characters. */
	char comm[KMSG_COMM_MAX * 4 + 1];
	bool by_job_limit;	/* the OOM was the job's own cgroup limit */
	bool by_inner_limit;	/* the limit of a cgroup the job made below its own */
	bool global;		/* CONSTRAINT_NONE: the whole system ran out */
	/* The cgroup whose limit was hit (oom_memcg, from the hierarchy's
	 * root) when it lies above the job's cgroup, and how many levels
	 * above; "" when the limit was the job's, one below it or the whole
	 * system's, or its path is longer than KMSG_CGROUP_MAX. */
	char limit_cgroup[KMSG_CGROUP_MAX + 1];
	unsigned limit_levels_up;
};

struct oom_victims {
	struct oom_victim list[OOM_VICTIMS_MAX];
	unsigned count;		/* recorded, at most OOM_VICTIMS_MAX */
	unsigned total;		/* seen */
};

/* Open /dev/kmsg at its oldest record; -errno when the log is not
 * readable (dmesg_restrict without CAP_SYSLOG, a container). */
int kmsg_open(void);

/* Read the log and keep the OOM kills of processes in the cgroup whose
 * path ends in job_suffix ("/memrun-1-a2...", unique to the job), or in a
 * cgroup below it. */
void kmsg_collect_oom(int fd, const char *job_suffix, struct oom_victims *ret);

/* One record ("6,123,456,-;oom-kill:constraint=...") into v; false when
 * it is not an oom-kill record of the job.  For the unit tests too. */
bool kmsg_parse_oom_record(const char *record, const char *job_suffix, struct oom_victim *v);

/* The same for a record's message alone ("oom-kill:constraint=...", up to
 * a newline or the end), as /dev/kmsg writes it (a byte it will not print
 * as "\xNN"), from a source that vouches itself that the kernel wrote it
 * (the journal's kernel transport, see kernel-log.c). */
bool kmsg_parse_oom_message(const char *message, const char *job_suffix, struct oom_victim *v);

/* One more victim: kept while there is room, counted always. */
void oom_victims_add(struct oom_victims *victims, const struct oom_victim *v);
