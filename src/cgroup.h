/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The job's own cgroup, behind one small interface.  cgroup.c finds where
 * memrun may put it and drives the life cycle; cgroup-v2.c and cgroup-v1.c
 * fill in struct cgroup_backend (a systemd transient scope can be a third).
 *
 *   cgroup_locate()  where memrun lives (before the plan is resolved;
 *                    cgroup_find_enclosing_limit() when a percentage needs
 *                    the limits above it)
 *   cgroup_create()  the job's cgroup with the plan's limits, before fork
 *   the child writes itself into it (cgroup_join_fd) before exec
 *   cgroup_remove_stale_siblings()  leftovers of killed memruns, while
 *                    the job starts
 *   watch fd         in the supervisor's epoll set
 *   cgroup_finish()  kill or wait for what is left, read the evidence, remove
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "outcome.h"
#include "plan.h"

/* Counters the kernel keeps for the job's cgroup, as read. */
struct cgroup_counters {
	uint64_t oom;		/* the limit was hit and the OOM killer invoked (v2 "oom") */
	uint64_t oom_kill;	/* job processes killed by any OOM killer */
	uint64_t oom_group_kill;
	uint64_t max;		/* times usage hit memory.max (v2 "max", v1 failcnt) */
	uint64_t high;		/* times usage went over memory.high */
	uint64_t peak_bytes;	/* 0: unknown */
	bool peak_sampled;	/* peak_bytes is memory.current sampled at events */
};

struct job_cgroup;

struct cgroup_backend {
	const char *name;
	int version;
	/* Limit file names as people know them, for messages. */
	const char *memory_max_file, *memory_high_file, *swap_max_file;
	/* Where the child writes "0" to join the job's cgroup before exec. */
	const char *join_file;
	/* Make the hierarchy below parent able to carry memory limits. */
	int (*prepare_parent)(const char *parent, char **ret_why);
	int (*apply_limits)(struct job_cgroup *cg, const struct plan *plan, char **ret_why);
	/* An fd for epoll that wakes the supervisor on memory events. */
	int (*open_watch)(struct job_cgroup *cg);
	/* Drain the watch fd after a wake-up (no allocation). */
	void (*ack_watch)(struct job_cgroup *cg);
	int (*read_counters)(struct job_cgroup *cg, struct cgroup_counters *ret);
	int (*kill_all)(struct job_cgroup *cg);
	/* The limit an enclosing cgroup dir puts on memory, or LIMIT_UNLIMITED. */
	uint64_t (*enclosing_limit)(const char *dir);
};

extern const struct cgroup_backend cgroup_v1_backend;
extern const struct cgroup_backend cgroup_v2_backend;

/* Where memrun stands: found by cgroup_locate(). */
struct cgroup_place {
	const struct cgroup_backend *backend;	/* NULL: no usable memory hierarchy */
	char *mountpoint;	/* of the hierarchy with the memory controller */
	char *mount_root;	/* the mount's root within the hierarchy */
	char *own_path;		/* memrun's cgroup, as in /proc/self/cgroup */
	char *own_dir;		/* the same as a directory */
	uint64_t enclosing_limit;	/* tightest limit on memrun's cgroup and its ancestors
					 * (LIMIT_UNLIMITED until cgroup_find_enclosing_limit) */
	char *enclosing_limit_dir;	/* where that limit is set */
	char *why_none;		/* when backend is NULL */
};

struct job_cgroup {
	const struct cgroup_backend *backend;
	char *dir;		/* the job's cgroup directory */
	char *path;		/* the same within the hierarchy ("/a/memrun-1-2"), for the kernel log */
	int dir_fd;
	int join_fd;		/* backend->join_file, for the child to write "0" */
	int watch_fd;
	int events_fd;		/* v2 memory.events, v1 memory.oom_control: read by pread */
	int failcnt_fd;		/* v1 memory.failcnt, read by pread */
	int peak_fd;		/* v2 memory.peak, v1 memory.max_usage_in_bytes; -1: none */
	uint64_t sampled_peak_bytes;	/* largest memory.current seen (no memory.peak) */
	/* What is in force, for the report (LIMIT_UNLIMITED: none). */
	uint64_t memory_max, memory_high, swap_max;
	bool oom_group;		/* v2 memory.oom.group set */
	bool oom_group_emulated;	/* v1: memrun ends the job on the first OOM */
	uint64_t oom_notifications;	/* v1: OOM eventfd wake-ups */
	int group_killed;		/* processes memrun killed for oom_group; -1: none */
};

/* Find memrun's place.  Never fails: place->backend is NULL when there is
 * no memory hierarchy to use, and place->why_none says why. */
void cgroup_locate(struct cgroup_place *place);
/* Fill in place->enclosing_limit(_dir): only where it is needed (a
 * percentage to resolve, dry-run, doctor), as it costs a read per level. */
void cgroup_find_enclosing_limit(struct cgroup_place *place);
void cgroup_place_free(struct cgroup_place *place);

/*
 * Create the job's cgroup below the plan's cgroup_parent or memrun's
 * place, and apply the plan's limits.  On failure returns -errno and a
 * malloc'ed reason with the remedy in *ret_why; nothing is left behind.
 */
int cgroup_create(struct job_cgroup *cg, const struct cgroup_place *place,
		  const struct plan *plan, char **ret_why);

/* The directory the job's cgroup would be created in, or NULL and why. */
char *cgroup_choose_parent(const struct cgroup_place *place, const struct plan *plan,
			   const struct cgroup_backend **ret_backend, char **ret_why);

/* After the main process ended: end the job's other processes (or, with
 * wait_all, the caller has already waited for them), gather the evidence
 * into o, remove the cgroup. */
void cgroup_finish(struct job_cgroup *cg, struct outcome *o);

/* SIGKILL every process of the job now (no allocation). */
int cgroup_kill_now(struct job_cgroup *cg);
/* Send sig to every process of the job (no allocation). */
int cgroup_signal_all(struct job_cgroup *cg, int sig);

/* Evidence so far, for a wake-up of the supervisor (no allocation). */
int cgroup_read_evidence(struct job_cgroup *cg, struct cgroup_counters *ret);

void job_cgroup_init(struct job_cgroup *cg);
void job_cgroup_free(struct job_cgroup *cg);

/* Remove memrun cgroups below dir whose supervisor is gone (killing what
 * is left in them).  Returns how many were removed. */
int cgroup_remove_stale(const struct cgroup_backend *backend, const char *dir);
/* The same beside the job's cgroup: done while the job starts, as it
 * costs a directory read and a /proc lookup per memrun cgroup there. */
void cgroup_remove_stale_siblings(const struct job_cgroup *cg);

/* Parsers, exposed for the unit tests. */
int cgroup_parse_proc_cgroup(const char *text, char **ret_v2_path, char **ret_v1_memory_path);
/* The first mount of the v2 hierarchy, or of the v1 one carrying memory:
 * where, its root within the hierarchy and its super options (ret_superopts
 * may be NULL). */
int cgroup_parse_mountinfo(const char *text, bool v2, char **ret_mountpoint, char **ret_root,
			   char **ret_superopts);
/* Directory of cgroup path within a mount of the hierarchy, or NULL when
 * the path is outside what the mount shows. */
char *cgroup_path_to_dir(const char *mountpoint, const char *mount_root, const char *path);
/* The name memrun gives a job cgroup, and its reading back. */
char *cgroup_job_name(pid_t supervisor, unsigned long long start_time);
bool cgroup_parse_job_name(const char *name, pid_t *ret_pid, unsigned long long *ret_start);
