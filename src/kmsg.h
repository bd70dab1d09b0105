/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kernel's own word on OOM kills: "oom-kill:" records in /dev/kmsg. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#define OOM_VICTIMS_MAX 8
/* The kernel's task name: at most 15 bytes (TASK_COMM_LEN - 1). */
#define KMSG_COMM_MAX 15

struct oom_victim {
	pid_t pid;
	/* As the log shows it: /dev/kmsg writes a byte it will not print
	 * as "\xNN", so 15 bytes of name take up to 60 characters. */
	char comm[KMSG_COMM_MAX * 4 + 1];
	bool by_job_limit;	/* the OOM was the job's own cgroup limit */
	bool by_inner_limit;	/* the limit of a cgroup the job made below its own */
	bool global;		/* CONSTRAINT_NONE: the whole system ran out */
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
