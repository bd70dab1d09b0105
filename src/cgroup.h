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
 *                    the job starts (no allocation)
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
	/* Events file with an "oom_kill" line, for an enclosing cgroup. */
	const char *events_file;
	/* Whether a job's cgroup with memory limits can be made below parent
	 * (parent_is_own: it is memrun's own cgroup), without changing
	 * anything: for --dry-run and doctor too. */
	int (*check_parent)(const char *parent, bool parent_is_own, char **ret_why);
	/* Make the hierarchy below parent able to carry memory limits; on v2
	 * memrun may move itself into a leaf of its own cgroup for it. */
	int (*prepare_parent)(struct job_cgroup *cg, const char *parent, bool parent_is_own,
			      char **ret_why);
	/* Undo what prepare_parent did, once the job's cgroup is gone. */
	void (*restore_parent)(struct job_cgroup *cg);
	int (*apply_limits)(struct job_cgroup *cg, const struct plan *plan, char **ret_why);
	/* An fd for epoll that wakes the supervisor on memory events. */
	int (*open_watch)(struct job_cgroup *cg);
	/* Drain the watch fd after a wake-up (no allocation). */
	void (*ack_watch)(struct job_cgroup *cg);
	int (*read_counters)(struct job_cgroup *cg, struct cgroup_counters *ret);
	int (*kill_all)(struct job_cgroup *cg);
	/* The OOM kills counted in one cgroup alone, its descendants' not
	 * included, and whether its own limit was reached. */
	int (*read_local_oom_kills)(int dir_fd, uint64_t *ret_kills, bool *ret_limit_hit);
	/* Whether read_counters' oom_kill counts the kills in cgroups below
	 * the job's too, those already removed included (v2 without the
	 * memory_localevents mount option). */
	bool (*counters_cover_subtree)(void);
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
	char *v2_without_memory;	/* memrun's v2 cgroup, found without the memory controller */
};

struct job_cgroup {
	const struct cgroup_backend *backend;
	char *dir;		/* the job's cgroup directory */
	char *path;		/* the same within the hierarchy ("/a/memrun-1-2"), for the kernel log */
	int dir_fd;
	int parent_fd;		/* the directory dir is in: listed and removed from without allocating */
	/* Where memrun itself was when the job started (its own cgroup, or
	 * v2's leaf of it): a job may move memrun into the job's cgroup, and
	 * memrun goes back there before it kills the job's. */
	int home_fd;
	char *home_path;	/* as /proc/self/cgroup names it */
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
	/* v1: inotify on dir, where a cgroup the job makes below its own
	 * queues an event, read at the end (-1: none; v2 watches dir with
	 * watch_fd, and ack_watch notes it). */
	int tree_watch_fd;
	int tree_wd;		/* v2: the watch on dir within watch_fd */
	bool made_cgroups;	/* the job made a cgroup below its own, or may have */
	/* Stale cgroups whose processes the sweep at the start killed and
	 * could not remove yet: tried again at the end. */
	unsigned stale_pending;
	/* v2: memrun's own cgroup, locked while the job's cgroup is made in
	 * it, and the leaf memrun moved itself into there (prepare_parent),
	 * which restore_parent undoes. */
	int parent_lock_fd;
	int own_fd;
	char *leaf_name;
};

/* Find memrun's place.  Never fails: place->backend is NULL when there is
 * no memory hierarchy to use, and place->why_none says why. */
void cgroup_locate(struct cgroup_place *place);
/* Fill in place->enclosing_limit(_dir): the tightest limit from where the
 * job's cgroup goes (plan's cgroup_parent, else memrun's own; plan may be
 * NULL) up.  Only where it is needed (a percentage to resolve, dry-run,
 * doctor), as it costs a read per level. */
void cgroup_find_enclosing_limit(struct cgroup_place *place, const struct plan *plan);
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

/* Once the job's cgroup is gone: memrun back where it was (v2). */
void cgroup_restore_parent(struct job_cgroup *cg);

void job_cgroup_init(struct job_cgroup *cg);
void job_cgroup_free(struct job_cgroup *cg);

/*
 * Remove the memrun cgroups beside the job's whose supervisor is gone:
 * those whose lock (flock on the directory, held by a live memrun for the
 * whole job) memrun can take.  What is in them is killed, never waited
 * for: what cannot be removed yet is tried again at the end of the job.
 * Done while the job starts, so it allocates nothing.
 */
void cgroup_remove_stale_siblings(struct job_cgroup *cg);

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
/* The name memrun gives a job cgroup ("memrun-PID-TOKEN", TOKEN 16 hex
 * digits that begin with a letter), and its reading back. */
char *cgroup_job_name(pid_t supervisor, uint64_t token);
bool cgroup_parse_job_name(const char *name, pid_t *ret_pid, uint64_t *ret_token);
