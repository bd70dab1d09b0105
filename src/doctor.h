/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * 'memrun doctor': what would refuse memory or kill a process on this host,
 * read from the host and said in plain words, one finding a line.
 *
 *   doctor_host_read()   reads everything once: files, capabilities, and a
 *                        test cgroup created and removed where a job's
 *                        cgroup would go (doctor-host.c)
 *   doctor_check_all()   the table of checks turns that snapshot into
 *                        findings, one per check, without touching the host
 *                        (doctor-checks.c, the checks by topic in
 *                        doctor-checks-*.c, the parsers in doctor-parse.c)
 *   the text and the JSON are both written from those findings (doctor.c)
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "caps.h"
#include "kernel-log.h"
#include "cgroup.h"

int doctor_command(int argc, char **argv);

enum doctor_level {
	DOCTOR_OK,
	DOCTOR_NOTE, /* worth knowing; may matter for some jobs */
	DOCTOR_WARN, /* likely to refuse memory, kill a process, or stop memrun */
	DOCTOR_LEVEL_COUNT,
};

enum doctor_value_kind {
	DOCTOR_VALUE_NULL,
	DOCTOR_VALUE_INT,
	DOCTOR_VALUE_UINT,
	DOCTOR_VALUE_STRING,
};

struct doctor_value {
	enum doctor_value_kind kind;
	long long i;
	uint64_t u;
	char *s;
};

struct doctor_finding {
	const char *topic; /* stable id: "limits", "overcommit", ... */
	const char *key;   /* stable id: "overcommit_memory", ... */
	enum doctor_level level;
	char *message;
	char *source; /* the file (and field) the number came from */
	struct doctor_value value;
};

/* The files doctor reads; their paths name the findings' sources. */
enum doctor_file {
	DOCTOR_FILE_LIMITS,
	DOCTOR_FILE_STATUS,
	DOCTOR_FILE_MEMINFO,
	DOCTOR_FILE_MOUNTINFO,
	DOCTOR_FILE_OVERCOMMIT_MEMORY,
	DOCTOR_FILE_OVERCOMMIT_RATIO,
	DOCTOR_FILE_OVERCOMMIT_KBYTES,
	DOCTOR_FILE_PANIC_ON_OOM,
	DOCTOR_FILE_OOM_KILL_ALLOCATING_TASK,
	DOCTOR_FILE_DMESG_RESTRICT,
	DOCTOR_FILE_OOM_SCORE_ADJ,
	DOCTOR_FILE_OSRELEASE,
	DOCTOR_FILE_COUNT,
};

extern const char *const doctor_file_path[DOCTOR_FILE_COUNT];

struct doctor_file_text {
	char *text; /* NULL when it could not be read */
	int err;    /* then -errno */
};

/* Creating and removing a test cgroup where a job's cgroup would go. */
struct doctor_cgroup_probe {
	char *parent;		/* that directory, or NULL */
	char *why_no_parent;	/* when parent is NULL */
	char *name;		/* the test cgroup's name */
	/* From the manager of the hierarchy parent is in. */
	const char *no_limit_token;	/* "max", "-1" */
	const char *swap_accounting_remedy;
	const char *limit_file; /* memory.limit_in_bytes / memory.max */
	const char *swap_file;	/* memory.memsw.limit_in_bytes / memory.swap.max */
	int err;		/* 0: every step worked; else -errno of failed_step */
	enum doctor_probe_step {
		DOCTOR_PROBE_OPEN_PARENT,
		DOCTOR_PROBE_CREATE,
		DOCTOR_PROBE_SET_LIMIT,
		DOCTOR_PROBE_REMOVE,
	} failed_step;
	bool created;
	bool memory_controller; /* the limit file appeared in the test cgroup */
	bool swap_accounting;	/* and so did the swap limit file */
	bool left_behind;	/* it could not be removed */
};

/* ---- systemd, where it runs the host (doctor-host-systemd.c) ---- */

/* A systemd manager over D-Bus, as doctor found it. */
struct doctor_bus {
	bool tried;
	int err;	/* 0: the manager answered; else -errno */
	char *why;	/* then why, in words */
	char *version;	/* the manager's Version */
};

/* The memory limits of one cgroup, from its files (LIMIT_UNLIMITED: none,
 * or not readable). */
struct doctor_cgroup_limits {
	char *path;	/* within the hierarchy: "/system.slice/x.service" */
	char *dir;	/* on the file system */
	uint64_t memory_max, memory_high, swap_max;
};

/* A unit above memrun or its jobs, and what systemd-oomd is told to do
 * there (systemd.resource-control(5)). */
struct doctor_unit {
	char *name;
	int err;			/* 0: its properties were read; else -errno */
	char *why;			/* then why */
	char *managed_oom_swap;		/* "auto", "kill" */
	char *managed_oom_memory_pressure;
	uint32_t memory_pressure_limit;	/* a share of UINT32_MAX; 0: oomd's default */
	uint64_t memory_pressure_duration_usec; /* 0 or UINT64_MAX: oomd's default */
};

/* systemd-oomd's own settings (oomd.conf(5)); NULL: its default. */
struct doctor_oomd_conf {
	char *swap_used_limit;
	char *default_memory_pressure_limit;
	char *default_memory_pressure_duration;
};

struct doctor_systemd {
	bool running;		/* systemd is PID 1 */
	int manager;		/* CGROUP_BY_MEMRUN or CGROUP_BY_SYSTEMD: who makes a job's cgroup */
	char *manager_why;
	char *libsystemd_why;	/* why libsystemd cannot be loaded; NULL: it was */
	struct doctor_bus system_bus, user_bus; /* the user's: for a user other than root */
	unsigned uid;
	/* The user's manager, user@UID.service: its cgroup (its ControlGroup,
	 * else where systemd puts it) and cgroup.controllers there. */
	char *user_manager_cgroup;
	char *user_controllers_file;
	char *user_controllers;	/* NULL: not readable */
	int user_controllers_err;
	struct doctor_cgroup_limits user_slice; /* user-UID.slice */
	int user_slice_err;
	/* memrun's cgroup and those above it, memrun's first; the nearest
	 * that is a unit's (-1: none), and where a job's scope would go. */
	struct doctor_cgroup_limits *ancestors;
	size_t n_ancestors;
	int own_unit_at;
	char *scope_parent;	/* a cgroup path; NULL: no scope (cgroupfs) */
	/* systemd-oomd: its unit's ActiveState ("not-found": no such unit;
	 * NULL: unknown), its socket, its settings and the units it may act on. */
	char *oomd_state;
	bool oomd_socket;
	struct doctor_oomd_conf oomd_conf;
	char *oomd_conf_files;	/* the files read, ", "-separated; NULL: none */
	struct doctor_unit *units;	/* -.slice first */
	size_t n_units;
};

struct doctor_host {
	struct doctor_file_text files[DOCTOR_FILE_COUNT];
	struct cgroup_place place;
	struct doctor_cgroup_probe probe;
	/* Memory used in the cgroup that holds the tightest limit on memrun
	 * (memrun's own when none does), from cgroup_usage_file. */
	uint64_t cgroup_usage;
	char *cgroup_usage_file;
	int cgroup_usage_err;	     /* 0, or -errno reading it */
	bool sys_resource;	     /* CAP_SYS_RESOURCE in the effective set */
	enum caps_standing standing; /* for the remedy when it lacks that */
	bool root;		     /* uid 0 */
	struct kernel_log_access kernel_log; /* /dev/kmsg, the journal */
	const char *glibc_version;   /* gnu_get_libc_version() */
	const char *glibc_tunables;  /* memrun's GLIBC_TUNABLES, or NULL */
	char *profiles_lowering;     /* "db (-500)": profiles asking for a lower oom_score_adj */
	struct doctor_systemd systemd;
};

void doctor_host_read(struct doctor_host *h);
void doctor_host_free(struct doctor_host *h);

/* One finding per check, in the table's order; returns how many. */
size_t doctor_check_all(const struct doctor_host *h, struct doctor_finding **ret);
void doctor_findings_free(struct doctor_finding *findings, size_t n);

const char *doctor_level_name(enum doctor_level level);

/* ---- parsers, exposed for the unit tests ------------------------------ */

/* A row of /proc/PID/limits ("Max address space"): soft and hard limit,
 * UINT64_MAX for "unlimited". */
int doctor_parse_limits(const char *text, const char *row, uint64_t *ret_soft, uint64_t *ret_hard);
/* A hexadecimal field of /proc/PID/status ("CapEff"). */
int doctor_parse_status_hex(const char *text, const char *field, uint64_t *ret);
/* A sysctl or procfs file holding one decimal number. */
int doctor_parse_number(const char *text, long long *ret);
/* Major and minor of a version: glibc's "2.36" or "2.35.9000", the
 * kernel's "6.1.0-13-amd64" (kernel.osrelease). */
int doctor_parse_version(const char *text, unsigned *ret_major, unsigned *ret_minor);

enum doctor_cgroup_layout {
	DOCTOR_CGROUP_NONE,
	DOCTOR_CGROUP_LEGACY,  /* cgroup v1 only */
	DOCTOR_CGROUP_HYBRID,  /* v1 controllers and a v2 mount beside them */
	DOCTOR_CGROUP_UNIFIED, /* cgroup v2 only */
};

/* From /proc/self/mountinfo: which cgroup file systems are mounted. */
enum doctor_cgroup_layout doctor_cgroup_layout(const char *mountinfo);

/* The [OOM] settings of one oomd.conf file or drop-in, applied over conf
 * (a later file wins; an empty value is the default again). */
void doctor_parse_oomd_conf(const char *text, struct doctor_oomd_conf *conf);
void doctor_oomd_conf_free(struct doctor_oomd_conf *conf);

/* What vm.overcommit_memory = 2 allows (the kernel's vm_commit_limit()):
 * overcommit_kbytes when set, else ratio % of RAM without huge pages; plus swap. */
uint64_t doctor_commit_limit(uint64_t mem_total, uint64_t hugetlb, uint64_t swap_total,
			     long long ratio, long long kbytes);
