/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "privilege.h"

#include <fcntl.h>
#include <linux/securebits.h>
#include <sys/auxv.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "oomadj.h"
#include "rlimit.h"
#include "size.h"
#include "util.h"

/* POLICY_FILE, SYSTEM_PROFILE_DIR and PROFILE_DIR: the build's config.h. */

#define CAP_WORDS _LINUX_CAPABILITY_U32S_3
#define CAP_BIT(cap) (UINT64_C(1) << (cap))

/* Every field is ready before fork: the child only makes system calls. */
struct privilege_child {
	struct __user_cap_header_struct header;
	/* memrun's permitted and inheritable sets, with in effect: */
	struct __user_cap_data_struct plain[CAP_WORDS];		/* nothing */
	struct __user_cap_data_struct sys_resource[CAP_WORDS];	/* CAP_SYS_RESOURCE */
	struct __user_cap_data_struct setpcap[CAP_WORDS];	/* CAP_SETPCAP */
	struct __user_cap_data_struct none[CAP_WORDS];		/* and no set at all */
	bool rlimits_need_sys_resource;
	bool oom_score_adj_needs_sys_resource;
	/* memrun holds capabilities beyond its caller's: lower the job's
	 * bounding set and lock its securebits, which takes CAP_SETPCAP. */
	bool guard_bounding;
	int securebits;
	int last_cap;
};

static struct {
	bool elevated;
	uint64_t permitted;
	uint64_t beyond;	/* permitted beyond the caller's (its ambient set) */
	struct privilege_child child;
} state;

/* What the job's securebits become: no root privilege for uid 0, no
 * capability kept or fixed up across a change of uid, no ambient raise,
 * each locked.  A bit its caller locked keeps its value: the kernel
 * refuses to change it, and the job inherits it as the caller set it. */
static int job_securebits(void)
{
	int want = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
		   SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
		   SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
	int current = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
	int locked_bits;

	if (current < 0)
		return want;
	locked_bits = (current & SECURE_ALL_LOCKS) >> 1;
	return (want & ~locked_bits) | (current & locked_bits) | (current & SECURE_ALL_LOCKS);
}

static void fill_data(struct __user_cap_data_struct data[CAP_WORDS], uint64_t effective,
		      uint64_t permitted, uint64_t inheritable)
{
	for (unsigned i = 0; i < CAP_WORDS; i++)
		data[i] = (struct __user_cap_data_struct){
			.effective = (uint32_t)(effective >> (32 * i)),
			.permitted = (uint32_t)(permitted >> (32 * i)),
			.inheritable = (uint32_t)(inheritable >> (32 * i)),
		};
}

static int refuse_setid(void)
{
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;

	if (getresuid(&ruid, &euid, &suid) < 0 || getresgid(&rgid, &egid, &sgid) < 0) {
		log_error_errno(-errno, "cannot read memrun's user and group IDs");
		return MEMRUN_EXIT_FAILURE;
	}
	if (ruid == euid && ruid == suid && rgid == egid && rgid == sgid)
		return 0;
	if (ruid != euid || ruid != suid)
		log_error("refusing to run set-user-ID: real user ID %u, effective %u; a setuid "
			  "memrun would hold every privilege of its owner",
			  (unsigned)ruid, (unsigned)euid);
	else
		log_error("refusing to run set-group-ID: real group ID %u, effective %u",
			  (unsigned)rgid, (unsigned)egid);
	log_hint("remove the set-ID bit (chmod u-s,g-s); 'make install-shared-host' gives memrun "
		 "the file capabilities it needs for a shared host instead (memrun(1), ELEVATED "
		 "INSTALL)");
	return MEMRUN_EXIT_FAILURE;
}

/* memrun's permitted and inheritable sets: one capget, as every start
 * asks it. */
static int read_sets(uint64_t *ret_permitted, uint64_t *ret_inheritable)
{
	struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[CAP_WORDS] = { 0 };

	if (syscall(SYS_capget, &header, data) < 0)
		return -errno;
	*ret_permitted = *ret_inheritable = 0;
	for (unsigned i = 0; i < CAP_WORDS; i++) {
		*ret_permitted |= (uint64_t)data[i].permitted << (32 * i);
		*ret_inheritable |= (uint64_t)data[i].inheritable << (32 * i);
	}
	return 0;
}

int privilege_init(void)
{
	uint64_t permitted = 0, inheritable = 0, ambient = 0;
	int last_cap, r;
	cap_t caps;

	r = refuse_setid();
	if (r)
		return r;
	r = read_sets(&permitted, &inheritable);
	if (r < 0) {
		log_error_errno(r, "cannot read memrun's capabilities");
		return MEMRUN_EXIT_FAILURE;
	}
	/*
	 * A caller's own capabilities come through exec in the ambient set;
	 * more in the permitted set came from memrun's file.  Root (unless
	 * SECBIT_NOROOT) gets every capability anyway: it is never elevated.
	 * AT_SECURE for another user says the kernel (or an LSM) gave more.
	 */
	if (permitted && getuid() == 0 && !(cap_get_secbits() & SECBIT_NOROOT))
		return 0;
	for (int cap = 0; cap < 64; cap++)
		if ((permitted & CAP_BIT(cap)) && cap_get_ambient(cap) == 1)
			ambient |= CAP_BIT(cap);
	state.permitted = permitted;
	state.beyond = permitted & ~ambient;
	state.elevated = state.beyond || (getauxval(AT_SECURE) && getuid() != 0);
	if (!state.elevated)
		return 0;

	/* Nothing memrun does uses a capability but the job's child, where
	 * each is put in effect for the step that needs it. */
	caps = cap_get_proc();
	if (!caps || cap_clear_flag(caps, CAP_EFFECTIVE) < 0 || cap_set_proc(caps) < 0) {
		int err = errno;

		cap_free(caps);
		log_error_errno(-err, "cannot empty memrun's effective capability set");
		return MEMRUN_EXIT_FAILURE;
	}
	cap_free(caps);

	last_cap = (int)cap_max_bits() - 1;
	if (last_cap > 63)
		last_cap = 63;
	state.child.header = (struct __user_cap_header_struct){
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0,
	};
	fill_data(state.child.plain, 0, permitted, inheritable);
	fill_data(state.child.sys_resource, permitted & CAP_BIT(CAP_SYS_RESOURCE), permitted,
		  inheritable);
	/* Not masked by the permitted set: without it, capset fails, and the
	 * child tells that step, not a later one. */
	fill_data(state.child.setpcap, CAP_BIT(CAP_SETPCAP), permitted, inheritable);
	fill_data(state.child.none, 0, 0, 0);
	state.child.guard_bounding = state.beyond != 0;
	state.child.securebits = job_securebits();
	state.child.last_cap = last_cap;
	return 0;
}

bool privilege_elevated(void)
{
	return state.elevated;
}

bool privilege_can_raise(int cap)
{
	return state.elevated && cap >= 0 && cap < 64 && (state.permitted & CAP_BIT(cap));
}

bool privilege_caller_may_read(const char *path)
{
	/* Without AT_EACCESS: the real user and groups, no capability. */
	return !state.elevated || faccessat(AT_FDCWD, path, R_OK, 0) == 0;
}

/* ---- what needs privilege ------------------------------------------- */

static const struct {
	enum setting_id setting;
	int resource;
} rlimit_resources[] = {
	{ SETTING_AS, RLIMIT_AS },
	{ SETTING_DATA, RLIMIT_DATA },
};

/*
 * Whether the caller could set its oom_score_adj to value itself: down
 * to its oom_score_adj_min, which nothing shows.  Asked of the kernel by
 * a child of memrun's with no capability in effect, made dumpable so
 * that its /proc/self is the caller's (a file-capability memrun's is
 * root's).
 */
static bool caller_may_set_oom_score_adj(const struct plan *plan)
{
	long long want = plan->values[SETTING_OOM_SCORE_ADJ].number;
	int current, status = 0;
	pid_t pid;

	if (oomadj_read_self(&current) == 0 && want >= current)
		return true;
	pid = fork();
	if (pid == 0)
		_exit(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) == 0 && oomadj_apply(plan) == 0 ? 0 : 1);
	if (pid < 0)
		return false;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static const char *value_text(const struct plan *plan, enum setting_id id, char buf[static 32])
{
	if (id == SETTING_OOM_SCORE_ADJ)
		snprintf(buf, 32, "%lld", plan->values[id].number);
	else if (plan->limit_bytes[id] == LIMIT_UNLIMITED)
		snprintf(buf, 32, "unlimited");
	else
		size_format(plan->limit_bytes[id], buf);
	return buf;
}

/*
 * A setting that needs CAP_SYS_RESOURCE from an origin that may not use
 * it: what it is, where it came from, and the ways out.  limit: the most
 * the caller could ask for itself, as "0 or more" or "at most 8 GiB".
 */
static void refuse(const struct plan *plan, enum setting_id id, const char *needs,
		   const char *limit, const struct policy_binding *binding)
{
	const struct origin *origin = &plan->values[id].origin;
	char value[32], from[512];
	bool system_profile = origin->kind == ORIGIN_PROFILE && origin->profile &&
			      profile_name_is_valid(origin->profile);

	value_text(plan, id, value);
	origin_describe(origin, from, sizeof(from));
	log_error("%s %s (%s) %s, which needs CAP_SYS_RESOURCE: memrun is installed with it "
		  "for the system profiles the administrator allows you, not for %s",
		  setting_table[id].key, value, from, needs,
		  system_profile ? "this one" :
		  origin->kind == ORIGIN_PROFILE ? "a profile of your own" :
		  origin->kind == ORIGIN_FLAG ? "a flag" : "this value");
	if (!binding->path)
		log_hint("there is no policy (%s), so no profile may use it; ask for %s, or ask the "
			 "administrator for a policy whose allowed_profiles lists a profile for "
			 "you (memrun.policy(5))", POLICY_FILE, limit);
	else if (system_profile)
		log_hint("ask for %s, or ask the administrator to list '%s' in allowed_profiles "
			 "for you in %s (memrun.policy(5))", limit, origin->profile, binding->path);
	else
		log_hint("ask for %s, or use a system profile that sets it and that "
			 "allowed_profiles lists for you in %s (memrun profiles list)", limit,
			 binding->path);
}

/* Allowed, but memrun did not get the capability to do it. */
static void cannot_raise(const struct plan *plan, enum setting_id id, const char *needs)
{
	char value[32], from[512];

	log_error("%s %s (%s) %s, which needs CAP_SYS_RESOURCE, and memrun did not get it from "
		  "its file capabilities", setting_table[id].key, value_text(plan, id, value),
		  origin_describe(&plan->values[id].origin, from, sizeof(from)), needs);
	log_hint("a file capability is granted only within the caller's capability bounding "
		 "set (CapBnd in /proc/self/status), and this one lacks it: start memrun where "
		 "the bounding set has CAP_SYS_RESOURCE (a container's --cap-add=SYS_RESOURCE, "
		 "a unit's CapabilityBoundingSet=); getcap(8) shows what memrun's file gives");
}

/* 0 when the setting may have its privilege, else -EPERM, told. */
static int check_privileged(const struct plan *plan, enum setting_id id, const char *needs,
			    const char *limit, const struct policy_binding *binding)
{
	if (!policy_allows_origin(binding, &plan->values[id].origin)) {
		refuse(plan, id, needs, limit, binding);
		return -EPERM;
	}
	if (!privilege_can_raise(CAP_SYS_RESOURCE)) {
		cannot_raise(plan, id, needs);
		return -EPERM;
	}
	return 0;
}

static int check_rlimits(const struct plan *plan, const struct policy_binding *binding)
{
	int r = 0;

	for (size_t i = 0; i < ELEMENTSOF(rlimit_resources); i++) {
		enum setting_id id = rlimit_resources[i].setting;
		uint64_t want = plan->limit_bytes[id];
		char needs[96], limit[64], hard[32];
		struct rlimit now;

		if (!plan->values[id].set || getrlimit(rlimit_resources[i].resource, &now) < 0 ||
		    now.rlim_max == RLIM_INFINITY ||
		    (want != LIMIT_UNLIMITED && want <= (uint64_t)now.rlim_max))
			continue;
		size_format((uint64_t)now.rlim_max, hard);
		snprintf(needs, sizeof(needs), "is above your hard %s of %s", rlimit_name(id), hard);
		snprintf(limit, sizeof(limit), "at most %s", hard);
		if (check_privileged(plan, id, needs, limit, binding) < 0)
			r = -EPERM;
		else
			state.child.rlimits_need_sys_resource = true;
	}
	return r;
}

static int check_oom_score_adj(const struct plan *plan, const struct policy_binding *binding)
{
	char limit[64];
	int current = 0;

	if (!plan->values[SETTING_OOM_SCORE_ADJ].set || caller_may_set_oom_score_adj(plan))
		return 0;
	oomadj_read_self(&current);
	snprintf(limit, sizeof(limit), "%d or more", current);
	if (check_privileged(plan, SETTING_OOM_SCORE_ADJ,
			     "is below the oom_score_adj you could set yourself", limit,
			     binding) < 0)
		return -EPERM;
	state.child.oom_score_adj_needs_sys_resource = true;
	return 0;
}

/* The job's cgroup only where the caller could make it anyway. */
static int check_cgroup_parent(const struct plan *plan, const struct cgroup_place *place)
{
	const struct setting_value *v = &plan->values[SETTING_CGROUP_PARENT];
	const struct cgroup_manager *manager = NULL;
	_cleanup_free_ char *dir = NULL, *why = NULL;
	char from[512];

	if (!v->set)
		return 0;
	/* One that does not resolve is told by cgroup_enter, as always. */
	dir = cgroup_choose_parent(place, plan, &manager, &why);
	if (!dir || faccessat(AT_FDCWD, dir, W_OK, 0) == 0)
		return 0;
	log_error("cgroup_parent %s (%s): you (user ID %u) may not write %s, and memrun, "
		  "installed with privilege, makes the job's cgroup only where its caller could",
		  v->text, origin_describe(&v->origin, from, sizeof(from)), (unsigned)getuid(), dir);
	log_hint("name a cgroup delegated to you (owned by you, as systemd's Delegate=yes "
		 "makes it), or leave cgroup_parent out");
	return -EPERM;
}

int privilege_check_plan(const struct plan *plan, const struct policy_binding *binding,
			 const struct cgroup_place *place)
{
	int r = 0;

	if (!state.elevated)
		return 0;
	/* Every refusal is told, not only the first. */
	if (check_rlimits(plan, binding) < 0)
		r = -EPERM;
	if (check_oom_score_adj(plan, binding) < 0)
		r = -EPERM;
	if (check_cgroup_parent(plan, place) < 0)
		r = -EPERM;
	return r;
}

/* ---- the child ------------------------------------------------------ */

const struct privilege_child *privilege_child(void)
{
	return state.elevated ? &state.child : NULL;
}

static int set_caps(const struct privilege_child *c, const struct __user_cap_data_struct *data)
{
	/* The kernel writes its own version into a header it does not know. */
	struct __user_cap_header_struct header = c->header;

	return syscall(SYS_capset, &header, data) < 0 ? -errno : 0;
}

static int step_failed(enum privilege_step step, int err, enum privilege_step *ret_step)
{
	*ret_step = step;
	return err;
}

int privilege_child_raise(const struct privilege_child *c, enum privilege_step *ret_step)
{
	int r;

	/* Exec of memrun's file capabilities made it non-dumpable, its
	 * /proc/self root's: the caller's again, so that it may write its
	 * oom_score_adj.  No one can trace it for its capabilities. */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
		return step_failed(PRIVILEGE_STEP_DUMPABLE, -errno, ret_step);
	if (c->rlimits_need_sys_resource) {
		r = set_caps(c, c->sys_resource);
		if (r < 0)
			return step_failed(PRIVILEGE_STEP_RAISE, r, ret_step);
	}
	return 0;
}

int privilege_child_for_oom_score_adj(const struct privilege_child *c,
				      enum privilege_step *ret_step)
{
	int r;

	/* With CAP_SYS_RESOURCE in effect, the kernel also makes the value
	 * the job's oom_score_adj_min: only where it is needed. */
	if (c->oom_score_adj_needs_sys_resource == c->rlimits_need_sys_resource)
		return 0;
	r = set_caps(c, c->oom_score_adj_needs_sys_resource ? c->sys_resource : c->plain);
	return r < 0 ? step_failed(PRIVILEGE_STEP_RAISE, r, ret_step) : 0;
}

int privilege_child_drop(const struct privilege_child *c, enum privilege_step *ret_step)
{
	int r;

	if (c->guard_bounding) {
		r = set_caps(c, c->setpcap);
		if (r < 0)
			return step_failed(PRIVILEGE_STEP_SETPCAP, r, ret_step);
		if (prctl(PR_SET_SECUREBITS, (unsigned long)c->securebits, 0, 0, 0) < 0)
			return step_failed(PRIVILEGE_STEP_SECUREBITS, -errno, ret_step);
		for (int cap = 0; cap <= c->last_cap; cap++)
			if (prctl(PR_CAPBSET_DROP, (unsigned long)cap, 0, 0, 0) < 0)
				return step_failed(PRIVILEGE_STEP_BOUNDING, -errno, ret_step);
	}
	/* EINVAL: a kernel before 4.3, which has no ambient set. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return step_failed(PRIVILEGE_STEP_AMBIENT, -errno, ret_step);
	r = set_caps(c, c->none);
	if (r < 0)
		return step_failed(PRIVILEGE_STEP_CLEAR, r, ret_step);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return step_failed(PRIVILEGE_STEP_NO_NEW_PRIVS, -errno, ret_step);
	return 0;
}

int privilege_shed(void)
{
	cap_t none;
	int r = 0;

	if (!state.elevated)
		return 0;
	none = cap_init();
	if (!none || cap_set_proc(none) < 0)
		r = -errno;
	cap_free(none);
	if (r == 0 && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
	    errno != EINVAL)
		r = -errno;
	/* With nothing left to guard, the job (the caller) may open memrun's
	 * /proc/PID/fd, where the probe's region is. */
	if (r == 0 && prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
		r = -errno;
	return r;
}

char *privilege_failure_why(enum privilege_step step, int err, char **ret_hint)
{
	static const char *const what[] = {
		[PRIVILEGE_STEP_DUMPABLE] = "making its /proc/self its caller's (PR_SET_DUMPABLE)",
		[PRIVILEGE_STEP_RAISE] = "putting CAP_SYS_RESOURCE in effect for its limits",
		/* One string: parentheses tell clang the split is meant. */
		[PRIVILEGE_STEP_SETPCAP] = ("putting CAP_SETPCAP in effect to lower its "
					    "capability bounding set"),
		[PRIVILEGE_STEP_SECUREBITS] = "locking its securebits",
		[PRIVILEGE_STEP_BOUNDING] = "lowering its capability bounding set",
		[PRIVILEGE_STEP_AMBIENT] = "clearing its ambient capabilities",
		[PRIVILEGE_STEP_CLEAR] = "clearing its capabilities",
		[PRIVILEGE_STEP_NO_NEW_PRIVS] = "setting no_new_privs",
		[PRIVILEGE_STEP_SHED] = "dropping memrun's own capabilities",
	};

	*ret_hint = NULL;
	if (step == PRIVILEGE_STEP_SETPCAP && !privilege_can_raise(CAP_SETPCAP))
		*ret_hint = xstrdup("memrun holds capabilities its caller lacks but not CAP_SETPCAP, "
				    "without which it cannot keep the job from regaining them: "
				    "install it with 'make install-shared-host' (setcap "
				    "cap_setpcap,cap_sys_resource=p), and start it where the "
				    "capability bounding set has both");
	return xasprintf("cannot give the job exactly its caller's credentials: %s failed: %s",
			 (size_t)step < ELEMENTSOF(what) ? what[step] : "a step", strerror(-err));
}

/* ---- what people are told ------------------------------------------- */

const char *privilege_search_note(void)
{
	return "memrun is installed with privilege: it looks up a profile name only in "
	       SYSTEM_PROFILE_DIR " and " PROFILE_DIR ", never in $MEMRUN_PROFILE_PATH or "
	       "~/.config/memrun/profiles; a path with a '/' is read as your own file";
}

void privilege_dryrun_print(FILE *out)
{
	bool first = true;

	if (!state.elevated)
		return;
	fprintf(out, "privilege: memrun holds");
	for (int cap = 0; cap < 64; cap++) {
		char *name;

		if (!(state.beyond & CAP_BIT(cap)))
			continue;
		name = cap_to_name(cap);
		fprintf(out, "%s%s", first ? " " : ", ", name ? name : "?");
		cap_free(name);
		first = false;
	}
	if (first)
		fprintf(out, " no capability, but runs in secure mode (AT_SECURE)");
	fprintf(out, " beyond your own (its file capabilities)\n");
	fprintf(out, "  only a system profile that allowed_profiles lists for you in %s may use "
		"CAP_SYS_RESOURCE; your flags and own profiles can only do what you could do "
		"yourself\n", POLICY_FILE);
	fprintf(out, "  profiles by name only from %s and %s ($MEMRUN_PROFILE_PATH and "
		"~/.config/memrun/profiles are not searched)\n", SYSTEM_PROFILE_DIR, PROFILE_DIR);
	fprintf(out, "  the job: your credentials, no capability in any set, an empty bounding "
		"set, locked securebits, no_new_privs\n");
}
