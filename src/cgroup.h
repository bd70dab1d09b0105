/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The job's own cgroup, behind a table of operations per manager, as
 * crun's cgroup managers are.  Generic code calls the cgroup_* functions
 * below whatever the manager; only the managers know one hierarchy from
 * another:
 *
 *   cgroup-v2.c    cgroupfs v2 (memory.max, memory.events, cgroup.kill)
 *   cgroup-v1.c    cgroupfs v1 (memory.limit_in_bytes, memory.oom_control)
 *   cgroup-none.c  no cgroup of the job's own: OOM evidence from memrun's
 *                  own cgroup (cgroup-enclosing.c)
 *   cgroup-systemd.c  a transient scope systemd makes over D-Bus, where
 *                  systemd owns memrun's cgroup (cgroup_choose_manager)
 *
 * A manager is one struct cgroup_manager: file names and tokens, and the
 * operations the life cycle calls.  Its own state (open files, watches,
 * a v1 OOM-group emulation) is its private struct, made before the job
 * starts and reached through job_cgroup.state; nothing else reads it.  A
 * new manager (a systemd scope) is one more table.
 *
 *   cgroup_locate()  where memrun lives and which manager its hierarchy
 *                    needs (cgroup-place.c; cgroup_find_enclosing_limit()
 *                    when a percentage needs the limits above it)
 *   cgroup_enter()   the job's cgroup with the plan's limits, before fork,
 *                    or, by policy, the none manager (cgroup.c)
 *   the child joins it before exec (join_fd, or clone3 into cgroup_clone_fd)
 *   cgroup_remove_stale_siblings()  leftovers of killed memruns, while
 *                    the job starts (cgroup-tree.c; no allocation)
 *   watch_fd         in the supervisor's epoll set; each wake-up is the
 *                    manager's (cgroup_on_event)
 *   cgroup_finish()  kill or wait for what is left, read the evidence,
 *                    remove (cgroup.c)
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
struct cgroup_place;

/* The limit_hits_file of the cgroup of the caller's total, open, and its
 * count when the job started. */
struct total_watch {
	int fd;			/* -1: no total to watch */
	const char *key;	/* the manager's limit_hits_key */
	uint64_t before;
};

/* One cgroup manager.  Every field is filled in by the cgroupfs
 * managers; the none manager fills in those of the job's life only. */
struct cgroup_manager {
	const char *name;
	/* Who made the job's cgroup, for the report's cgroup.manager:
	 * "cgroupfs" (memrun), "systemd"; NULL: no cgroup. */
	const char *report_name;
	int version;	/* the report's cgroup.version; 0: no cgroup */

	/* Files as people know them, for messages and the report. */
	const char *memory_max_file, *memory_high_file, *swap_max_file;
	const char *usage_file;		/* memory in use now */
	/* Events file with an "oom_kill" line, for an enclosing cgroup. */
	const char *events_file;
	/* What a limit file takes for "no limit". */
	const char *no_limit_token;
	/* Why a limit file is missing (it exists when the controller is on,
	 * but for swap accounting), for a message. */
	const char *limit_file_missing;
	/* How swap accounting is turned on where it is off, for doctor. */
	const char *swap_accounting_remedy;
	/* Where the child writes "0" to join the job's cgroup before exec. */
	const char *join_file;
	/* clone3(CLONE_INTO_CGROUP) can start the child in the job's cgroup. */
	bool clone_into;
	/* memory.high events are counted (the report's memory_high_events). */
	bool high_events_counted;
	/* Where a cgroup counts the times its own limit was reached, for a
	 * cgroup around the job's (the user's total): the file, and the key
	 * of its line (NULL: the file is one number). */
	const char *limit_hits_file, *limit_hits_key;
	/* What a delegation hands to a user besides the directory
	 * (cgroup-v2.rst "Delegation"; v1: the directory's ownership). */
	const char *const *delegate_files;
	/* Where a cgroup hands the memory controller to its children, "+memory";
	 * NULL: every child has it (v1). */
	const char *subtree_control_file;
	/* Moving a process between two cgroups takes write access to
	 * cgroup.procs of their common ancestor (v2's delegation containment),
	 * not only to the destination's. */
	bool move_needs_common_ancestor;

	/* ---- finding the place (cgroup-place.c) ---- */
	/* One hierarchy for every controller: "0::PATH" in /proc/self/cgroup,
	 * "cgroup2" in mountinfo. */
	bool unified;
	long fs_magic;			/* statfs f_type of its file system */
	const char *usual_mount;	/* where systemd mounts it */
	/* Whether a directory of that file system is in the hierarchy that
	 * carries memory (v1 mounts one hierarchy per set of controllers). */
	bool (*in_memory_hierarchy)(const char *dir);
	/* Whether the memory controller is on for the cgroup dir. */
	bool (*memory_enabled)(const char *dir);
	/* Why memrun's cgroup dir has no memory controller and what to do,
	 * malloc'ed; NULL when the manager has nothing to say. */
	char *(*why_no_memory)(const char *dir);
	/* Whether a job's cgroup with memory limits can be made below parent
	 * (parent_is_own: it is memrun's own cgroup), without changing
	 * anything: for --dry-run and doctor too. */
	int (*check_parent)(const char *parent, bool parent_is_own, char **ret_why);

	/* ---- making the job's cgroup (cgroup.c) ---- */
	/* The manager's private state, for job_cgroup.state. */
	void *(*new_state)(void);
	/* Make the hierarchy below parent able to carry memory limits; on v2
	 * memrun may move itself into a leaf of its own cgroup for it. */
	int (*prepare_parent)(struct job_cgroup *cg, const char *parent, bool parent_is_own,
			      char **ret_why);
	/* The leaf of parent memrun moved itself into (prepare_parent), and
	 * an fd of parent; NULL: memrun stayed where it was. */
	const char *(*self_leaf)(const struct job_cgroup *cg, int *ret_parent_fd);
	/* The job's cgroup exists: write the plan's limits, open what the
	 * supervisor reads, and let go what prepare_parent held until now. */
	int (*apply_limits)(struct job_cgroup *cg, const struct plan *plan, char **ret_why);
	/* An fd for epoll that wakes the supervisor on memory events. */
	int (*open_watch)(struct job_cgroup *cg);
	/* A manager whose cgroup can only be made around a process (systemd
	 * moves the job into its scope): the job's main process exists,
	 * stopped before exec; put it in its cgroup with the plan's limits.
	 * NULL: the cgroup exists before fork. */
	int (*adopt)(struct job_cgroup *cg, pid_t child, const struct plan *plan, char **ret_why);
	/* Undo what prepare_parent did, once the job's cgroup is gone. */
	void (*restore_parent)(struct job_cgroup *cg);

	/* ---- the job's life ---- */
	/* A wake-up of watch_fd: drain it, take the evidence so far, and act
	 * on it (v1 has no memory.oom.group: its manager ends the whole job
	 * on the first OOM kill).  No allocation. */
	void (*on_event)(struct job_cgroup *cg);
	/* Whether the job made a cgroup below its own, or may have. */
	bool (*made_cgroups)(struct job_cgroup *cg);
	int (*read_counters)(struct job_cgroup *cg, struct cgroup_counters *ret);
	/* End every process of the cgroup dir_fd and below at once, or
	 * -EOPNOTSUPP (no allocation; the sweep's stale cgroups too). */
	int (*kill_all)(int dir_fd);
	/* The OOM kills counted in one cgroup alone, its descendants' not
	 * included, and whether its own limit was reached. */
	int (*read_local_oom_kills)(int dir_fd, uint64_t *ret_kills, bool *ret_limit_hit);
	/* Whether read_counters' oom_kill counts the kills in cgroups below
	 * the job's too, those already removed included (v2 without the
	 * memory_localevents mount option). */
	bool (*counters_cover_subtree)(void);
	/* Evidence the manager alone can read, right after the counters and
	 * before the job's cgroup is removed: systemd-oomd's marks on a
	 * cgroup around the job's that holds only the job (a scope: added to
	 * *outer_marks), and the manager's word on the job's end (a unit's
	 * Result, into o).  May be NULL. */
	void (*gather)(struct job_cgroup *cg, struct oomd_marks *outer_marks, struct outcome *o);
	/* A manager without a cgroup directory of the job's gathers its
	 * evidence here (none); NULL: cgroup_finish ends, reads and removes
	 * the job's cgroup. */
	void (*finish)(struct job_cgroup *cg, struct outcome *o);
	/* What the report says of the cgroup beyond the common fields (a
	 * scope's unit name), at the end of cgroup_finish; may be NULL. */
	void (*describe)(struct job_cgroup *cg, struct outcome *o);
	void (*free_state)(void *state);
};

extern const struct cgroup_manager cgroup_v1_manager;
extern const struct cgroup_manager cgroup_v2_manager;
extern const struct cgroup_manager cgroup_none_manager;
extern const struct cgroup_manager cgroup_systemd_manager;

/* Where memrun stands: found by cgroup_locate(). */
struct cgroup_place {
	const struct cgroup_manager *manager;	/* NULL: no usable memory hierarchy */
	char *mountpoint;	/* of the hierarchy with the memory controller */
	char *mount_root;	/* the mount's root within the hierarchy */
	char *own_path;		/* memrun's cgroup, as in /proc/self/cgroup */
	char *own_dir;		/* the same as a directory */
	uint64_t enclosing_limit;	/* tightest limit on memrun's cgroup and its ancestors
					 * (LIMIT_UNLIMITED until cgroup_find_enclosing_limit) */
	char *enclosing_limit_dir;	/* where that limit is set */
	char *why_none;		/* when manager is NULL */
	/* Why memrun's cgroup, found without the memory controller, has none. */
	char *why_no_memory;
};

struct job_cgroup {
	const struct cgroup_manager *manager;	/* never NULL: none until cgroup_enter */
	void *state;		/* the manager's own (new_state), or NULL */
	char *dir;		/* the job's cgroup directory */
	char *path;		/* the same within the hierarchy ("/a/memrun-1-2"), for the kernel log */
	/* The name the kernel log gives the cgroup whose limit is the job's
	 * (a scope's), when it is not the last part of dir; NULL: that. */
	char *log_name;
	int dir_fd;
	int parent_fd;		/* the directory dir is in: listed and removed from without allocating */
	/* Where memrun itself was when the job started (its own cgroup, or
	 * v2's leaf of it): a job may move memrun into the job's cgroup, and
	 * memrun goes back there before it kills the job's. */
	int home_fd;
	char *home_path;	/* as /proc/self/cgroup names it */
	int join_fd;		/* manager->join_file, for the child to write "0"; -1: none */
	int watch_fd;		/* -1: nothing to watch */
	uint64_t sampled_peak_bytes;	/* largest memory.current seen (no memory.peak) */
	/* What is in force, for the report (LIMIT_UNLIMITED: none). */
	uint64_t memory_max, memory_high, swap_max;
	bool oom_group;		/* one OOM kill ends the job: the kernel's or the manager's */
	int group_killed;	/* processes the manager killed for oom_group; -1: none */
	/* Stale cgroups whose processes the sweep at the start killed and
	 * could not remove yet: tried again at the end. */
	unsigned stale_pending;
	/* The caller's total (plan->total): how often its limit was reached
	 * (cgroup-total.c). */
	struct total_watch total_watch;
};

/* Find memrun's place.  Never fails: place->manager is NULL when there is
 * no memory hierarchy to use, and place->why_none says why. */
void cgroup_locate(struct cgroup_place *place);
/* Fill in place->enclosing_limit(_dir): the tightest limit from where the
 * job's cgroup goes (plan's cgroup_parent, else memrun's own; plan may be
 * NULL) up.  Only where it is needed (a percentage to resolve, dry-run,
 * doctor), as it costs a read per level. */
void cgroup_find_enclosing_limit(struct cgroup_place *place, const struct plan *plan);
void cgroup_place_free(struct cgroup_place *place);
/* The limit file of the place's manager as people know it ("memory.max"),
 * for messages about percentages; NULL without one. */
static inline const char *cgroup_place_limit_file(const struct cgroup_place *place)
{
	return place->manager ? place->manager->memory_max_file : NULL;
}

/* Who makes the job's cgroup: memrun itself on the cgroup file system,
 * or systemd (a transient scope) where systemd owns memrun's cgroup.
 * --cgroup-manager decides, else the place; why, malloc'ed. */
enum { CGROUP_BY_MEMRUN, CGROUP_BY_SYSTEMD };
int cgroup_choose_manager(const struct cgroup_place *place, const struct plan *plan,
			  char **ret_why);
/* systemd runs this host as PID 1. */
bool cgroup_systemd_running(void);
/* Where the job's scope would go (its parent, as a path in the
 * hierarchy): the user's manager's cgroup (user: memrun is not root; NULL
 * when that is not known), else the plan's slice, else the slice of
 * memrun's own unit (own_path), else system.slice. */
char *cgroup_systemd_scope_parent(const char *own_path, const struct plan *plan, bool user,
				  const char *user_manager_cgroup);

/* The directory the job's cgroup would be created in, or NULL and why. */
char *cgroup_choose_parent(const struct cgroup_place *place, const struct plan *plan,
			   const struct cgroup_manager **ret_manager, char **ret_why);

/*
 * Give the job its cgroup: its own, below the plan's cgroup_parent or
 * memrun's place, with the plan's limits, wherever memrun may make one.
 * Where it may not (o->cgroup_error says why), a job that asked for no
 * cgroup setting runs without one (the none manager), and so does one
 * with --best-effort, its limits shown as not applied; else this fails:
 * -errno, o->start_error and exit status 125, told on stderr.
 */
int cgroup_enter(struct job_cgroup *cg, const struct cgroup_place *place,
		 const struct plan *plan, struct outcome *o);

/* Whether the job's main process must exist, stopped before exec, for
 * its cgroup to be made (cgroup_adopt_child). */
bool cgroup_adopts_child(const struct job_cgroup *cg);
/* Put the stopped child in its cgroup; on failure why is in
 * o->cgroup_error, and the caller kills and reaps the child, then calls
 * cgroup_adopt_failed(). */
int cgroup_adopt_child(struct job_cgroup *cg, pid_t child, const struct plan *plan,
		       struct outcome *o);
/* The manager could not make the cgroup around the child, which never
 * ran: undo what it made, then cgroup_enter's policy.  0: start the job
 * again, without a cgroup of its own (the none manager); else -errno,
 * told (exit status 125). */
int cgroup_adopt_failed(struct job_cgroup *cg, const struct cgroup_place *place,
			const struct plan *plan, struct outcome *o, int err);

/* For clone3(CLONE_INTO_CGROUP): the job's cgroup directory, or -1. */
int cgroup_clone_fd(const struct job_cgroup *cg);

/* A wake-up of cg->watch_fd, for the manager to handle (no allocation). */
void cgroup_on_event(struct job_cgroup *cg);

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

/* Once the job's cgroup is gone: memrun back where it was, if the
 * manager moved it (prepare_parent). */
void cgroup_restore_parent(struct job_cgroup *cg);

/* init: no cgroup yet (the none manager, with nothing to watch). */
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
/* Where a slice's cgroup is below its manager's root (systemd.slice(5)):
 * "a-b.slice" is "/a.slice/a-b.slice"; "-.slice", the root, is "". */
char *cgroup_slice_path(const char *slice);
bool cgroup_parse_job_name(const char *name, pid_t *ret_pid, uint64_t *ret_token);
