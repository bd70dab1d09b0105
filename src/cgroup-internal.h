/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the cgroup module's files share among themselves and with the
 * managers; the rest of memrun uses cgroup.h alone.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroup.h"

/* ---- cgroup-place.c ---- */

/*
 * The path of one hierarchy in /proc/self/cgroup text: the unified one's
 * ("0::PATH") or the v1 one carrying memory, the first such line.  Points
 * into text, *ret_len bytes long, and allocates nothing: the supervisor
 * loop reads it too.
 */
const char *cgroup_proc_path(const char *text, bool unified, size_t *ret_len);

/* dir is inside (or is) ancestor, both resolved: no "..", no symlink. */
bool cgroup_dir_is_within(const char *dir, const char *ancestor);

/* ---- cgroup-total.c: the job under the caller's total ---- */

/*
 * Where the job's cgroup goes under a total that memrun's policy apply
 * made (plan->total without a unit): 0 and its directory in *ret_dir;
 * 0 and NULL where memrun's own cgroup lies in the total's already and
 * the job's goes where it would without one; else -errno and why (the
 * total not in force, cgroup v2's containment, a limit left behind).
 */
int cgroup_total_parent(const struct cgroup_place *place, const struct plan *plan,
			char **ret_dir, const struct cgroup_manager **ret_manager, char **ret_why);
/* On a systemd host: the slice's limit, where the slice's cgroup is
 * there to read; 0, or -errno and why. */
int cgroup_total_check_slice(const struct cgroup_place *place, const struct plan *plan,
			     char **ret_why);
/* The count of the total's limit_hits_file now, and at the end the times
 * its limit was reached while the job ran, into o. */
void cgroup_total_watch_start(struct job_cgroup *cg, const struct cgroup_place *place,
			      const struct plan *plan);
void cgroup_total_watch_finish(struct job_cgroup *cg, struct outcome *o);

/* ---- cgroup.c ---- */

/* Write a limit to the job's cgroup (LIMIT_UNLIMITED: the manager's
 * no_limit_token); on failure -errno and why in *ret_why. */
int cgroup_write_limit(struct job_cgroup *cg, const char *file, uint64_t bytes, char **ret_why);

/* ---- cgroup-tree.c: walking, signalling and removing (no allocation) ---- */

/*
 * Make sure memrun is in its home cgroup (where it was when the job
 * started) before anything kills a cgroup whole.  0, or -errno when
 * memrun may be elsewhere still.
 */
int cgroup_ensure_home(struct job_cgroup *cg);
/* Kill what is in the job's cgroup and below, and wait, at most
 * timeout_ms, until it is empty.  at_home: cgroup_ensure_home succeeded. */
int cgroup_empty_job(struct job_cgroup *cg, bool at_home, long timeout_ms);
/* The OOM kills counted in the cgroups below the job's, as they are now,
 * and whether a limit there was reached. */
uint64_t cgroup_oom_kills_below(struct job_cgroup *cg, bool *ret_limit_hit);
/* systemd-oomd's marks (oomd.c) on the job's cgroup, added to *own, and
 * on the cgroups below it, added to *below. */
void cgroup_oomd_marks(struct job_cgroup *cg, struct oomd_marks *own, struct oomd_marks *below);
/* The job's cgroup and what the job made below it, deepest first, where
 * it is now: *where (size bytes) names it, for a message. */
int cgroup_remove_job_tree(struct job_cgroup *cg, char *where, size_t size);
/* At the end: a moment more for what the sweep at the start killed. */
void cgroup_remove_stale_pending(struct job_cgroup *cg);

/* ---- cgroup-v2.c, shared with the systemd manager (a scope is a v2 cgroup) ---- */

/* The unified hierarchy's files and tokens, for a manager table. */
#define CGROUP_V2_TABLE_FILES							\
	.version = 2,								\
	.memory_max_file = "memory.max",					\
	.memory_high_file = "memory.high",					\
	.swap_max_file = "memory.swap.max",					\
	.usage_file = "memory.current",						\
	.events_file = "memory.events",						\
	.no_limit_token = "max",						\
	.limit_file_missing = "no such file (is swap accounting off?)",		\
	.swap_accounting_remedy = "the kernel was built or booted without it",	\
	.join_file = "cgroup.procs",						\
	.high_events_counted = true,						\
	.limit_hits_file = "memory.events.local",				\
	.limit_hits_key = "oom",						\
	.delegate_files = cgroup_v2_delegate_files,				\
	.subtree_control_file = "cgroup.subtree_control",			\
	.move_needs_common_ancestor = true,					\
	.unified = true,							\
	.fs_magic = CGROUP2_SUPER_MAGIC,					\
	.usual_mount = "/sys/fs/cgroup"

/* cgroup.procs, cgroup.threads, cgroup.subtree_control: what a
 * delegation hands over with the directory. */
extern const char *const cgroup_v2_delegate_files[];

/* memory.events (open as events_fd) and memory.peak (peak_fd, -1: none,
 * then memory.current of dir_fd sampled) into ret; no allocation. */
int cgroup_v2_read_events(int events_fd, int peak_fd, int dir_fd, struct cgroup_counters *ret);
int cgroup_v2_read_local_oom_kills(int dir_fd, uint64_t *ret_kills, bool *ret_limit_hit);
bool cgroup_v2_counters_cover_subtree(void);
int cgroup_v2_kill_all(int dir_fd);
/* memory.events (events_fd) into the epoll set watch_fd, which wakes the
 * supervisor on its changes until the file is read; -errno. */
int cgroup_v2_watch_events(int watch_fd, int events_fd);
/* A wake-up of watch_fd: the evidence read, which settles it. */
void cgroup_v2_events_read(struct job_cgroup *cg, int events_fd);

/* ---- cgroup.c ---- */

/* Make the job's cgroup "memrun-PID-TOKEN" below parent_fd, locked (the
 * returned fd) for the job's life. */
int cgroup_make_job_dir(int parent_fd, char **ret_name, int *ret_fd);

/* ---- cgroup-systemd.c ---- */

/* The systemd manager for the job, before fork: the bus, the checks that
 * need no scope yet (delegation, limits the scope would leave behind),
 * the guard.  The scope itself comes in adopt, around the child. */
int cgroup_systemd_enter(struct job_cgroup *cg, const struct cgroup_place *place,
			 const struct plan *plan, char **ret_why);

/* ---- cgroup-none.c ---- */

/* The job runs without a cgroup of its own: the none manager, which
 * watches memrun's own cgroup (place's) for OOM kills. */
void cgroup_none_enter(struct job_cgroup *cg, const struct cgroup_place *place);
