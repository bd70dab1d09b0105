/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `memrun policy show [USER]`: what the administrator's policy binds a
 * user to, key by key with the section and line, and where the user's
 * total lives and whether it is in force.  `memrun policy apply` (root):
 * the policy's totals made real, on a systemd host as the MemoryMax of
 * the users' slices (policy-slice.c), elsewhere as delegated cgroups
 * (policy-cgroup.c); the totals of users who have none any more undone.
 */
#include "policy_cmd.h"

#include "cgroup.h"
#include "policy-cgroup.h"
#include "policy-slice.h"
#include "policy-total.h"
#include "policy.h"
#include "size.h"
#include "util.h"

static void policy_usage(void)
{
	printf("Usage: memrun policy show [USER]\n"
	       "       memrun policy apply\n"
	       "\n"
	       "show: what the administrator's policy (%s) binds USER to\n"
	       "(default: you): every key with its value and the section and line it\n"
	       "comes from, the system profiles that may go beyond the caps, and the\n"
	       "user's total: where it is in force and whether it is applied.\n"
	       "\n"
	       "apply (root only): make the policy's totals real.  A total binds every\n"
	       "user a [user] section names, and every account with a user ID from\n"
	       "UID_MIN to UID_MAX of %s (%d..%d when unset) whose\n"
	       "binding has total_memory_max.  On a systemd host it is the MemoryMax of\n"
	       "the user's slice (user-UID.slice); elsewhere a cgroup memrun/user-UID at\n"
	       "the top of the memory hierarchy, delegated to the user, in which the\n"
	       "user's jobs run.  Users without a total any more lose theirs.  Run it\n"
	       "again after every change of the policy file.\n"
	       "\n"
	       "Options:\n"
	       "  -h, --help   show this help and exit\n"
	       "\n"
	       "See memrun.policy(5).\n",
	       POLICY_FILE, LOGIN_DEFS, LOGIN_DEFS_UID_MIN, LOGIN_DEFS_UID_MAX);
}

/* ---- show ---------------------------------------------------------------- */

static const char *value_text(enum policy_key k, const struct policy_value *v, char *buf,
			      size_t size)
{
	char bytes[32];
	size_t len = 0;

	switch (k) {
	case POLICY_MIN_OOM_SCORE_ADJ:
		snprintf(buf, size, "%lld", v->number);
		break;
	case POLICY_CLAMP:
		snprintf(buf, size, "%s", v->number ? "yes" : "no");
		break;
	case POLICY_ALLOWED_PROFILES:
		buf[0] = '\0';
		for (char **w = v->words; w && *w && len < size; w++)
			len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? ", " : "", *w);
		break;
	default:
		snprintf(buf, size, "%s", v->bytes == UINT64_MAX ? "max" : size_format(v->bytes, bytes));
		break;
	}
	return buf;
}

static void print_allowed_profiles(const struct policy_binding *binding)
{
	char **words = binding->values[POLICY_ALLOWED_PROFILES].words;

	printf("allowed profiles: ");
	if (!words || !words[0]) {
		printf("none (no system profile may go beyond the caps)\n");
		return;
	}
	for (char **w = words; *w; w++)
		printf("%s%s", w == words ? "" : ", ",
		       streq(*w, "*") ? "every system profile" : *w);
	printf(" (their values may go beyond the caps)\n");
}

/* Whether the slice has the total, as systemd keeps it. */
static void print_slice_state(const struct total_location *loc, uint64_t bytes)
{
	_cleanup_free_ char *why = NULL;
	sd_bus *bus = NULL;
	uint64_t have;
	char size[32];
	int r;

	r = slice_bus_open(&bus, &why);
	if (r >= 0)
		r = slice_memory_max(bus, loc->unit, &have, &why);
	slice_bus_close(bus);
	if (r < 0)
		printf("  cannot tell whether it is applied: %s\n", why);
	else if (have == bytes)
		printf("  applied: MemoryMax of %s is %s\n", loc->unit, size_format(have, size));
	else
		printf("  NOT applied: MemoryMax of %s is %s; root must run `memrun policy apply`\n",
		       loc->unit, have == UINT64_MAX ? "infinity" : size_format(have, size));
}

static void print_total(const struct policy_binding *binding, const struct policy_caller *caller)
{
	const struct policy_value *v = &binding->values[POLICY_TOTAL_MEMORY_MAX];
	_cleanup_free_ char *why_not = NULL;
	struct cgroup_place place;
	struct total_location loc;
	struct total_state state;
	char size[32];
	int r;

	if (!v->set || v->bytes == UINT64_MAX) {
		printf("total: none\n");
		return;
	}
	cgroup_locate(&place);
	total_locate(&place, caller->uid, &loc);
	if (loc.unit) {
		printf("total: %s for everything %s runs (sessions, the user manager, memrun's "
		       "scopes), as the MemoryMax of %s\n", size_format(v->bytes, size),
		       caller->user, loc.unit);
		print_slice_state(&loc, v->bytes);
	} else {
		printf("total: %s for all of %s's memrun jobs together, in the cgroup %s\n",
		       size_format(v->bytes, size), caller->user,
		       loc.dir ? loc.dir : "(none: no memory cgroup hierarchy here)");
		r = total_read_state(&loc, &state);
		why_not = r < 0 ? xasprintf("cannot open %s: %s", loc.dir ? loc.dir : "it",
					    strerror(-r)) :
				  total_why_not_in_force(&loc, &state, v->bytes);
		if (why_not)
			printf("  NOT applied: %s; root must run `memrun policy apply`\n", why_not);
		else
			printf("  applied: %s %s, delegated to %s\n", loc.manager->memory_max_file,
			       size_format(state.limit, size), caller->user);
	}
	total_location_free(&loc);
	cgroup_place_free(&place);
}

static int policy_show(const char *user)
{
	_cleanup_free_ char *name = NULL;
	struct policy policy = { 0 };
	struct policy_caller caller;
	struct policy_binding binding;
	char value[256], section[128];
	const char *sep = "";
	int r;

	r = user ? policy_caller_lookup(user, &caller) : policy_caller_self(&caller);
	if (r == -ESRCH) {
		log_error("policy show: no user '%s' on this host", user);
		log_hint("name a user by login name or user ID (getent passwd shows them)");
		return MEMRUN_EXIT_FAILURE;
	}
	if (r < 0) {
		log_error_errno(r, "policy show: cannot look up %s", user ? user : "who you are");
		return MEMRUN_EXIT_FAILURE;
	}
	name = caller.user ? xasprintf("%s (uid %u)", caller.user, (unsigned)caller.uid) :
			     xasprintf("uid %u", (unsigned)caller.uid);
	r = policy_load(&policy, POLICY_FILE);
	if (r < 0) {
		policy_caller_free(&caller);
		return MEMRUN_EXIT_FAILURE;
	}
	if (!policy.path) {
		printf("no policy file: %s does not exist, so nothing binds %s\n", POLICY_FILE, name);
		policy_caller_free(&caller);
		return 0;
	}
	printf("policy: %s\nuser: %s\n", policy.path, name);
	if (caller.uid == 0) {
		printf("the policy binds every user but root: nothing binds %s\n", name);
		goto out;
	}
	policy_bind(&policy, &caller, &binding);
	for (unsigned k = 0; k < POLICY_KEY_COUNT && !sep[0]; k++)
		if (binding.from[k])
			sep = ",";
	if (!sep[0]) {
		printf("nothing in the policy binds %s: no section that applies to them sets a "
		       "key\n", name);
		goto out;
	}
	sep = "";
	printf("\n");
	for (unsigned k = 0; k < POLICY_KEY_COUNT; k++) {
		const struct policy_value *v = &binding.values[k];

		if (!binding.from[k])
			continue;
		printf("%s = %s\t# %s at %s:%u\n", policy_keys[k].key,
		       value_text((enum policy_key)k, v, value, sizeof(value)),
		       policy_section_describe(binding.from[k], section, sizeof(section)),
		       policy.path, v->line);
	}
	printf("not set:");
	for (unsigned k = 0; k < POLICY_KEY_COUNT; k++)
		if (!binding.from[k]) {
			printf("%s %s", sep, policy_keys[k].key);
			sep = ",";
		}
	printf("%s\n\n", *sep ? "" : " none");
	print_allowed_profiles(&binding);
	print_total(&binding, &caller);
out:
	policy_caller_free(&caller);
	policy_free(&policy);
	return 0;
}

/* ---- apply --------------------------------------------------------------- */

static const char *user_name(const char *name, uid_t uid, char buf[static 64])
{
	if (name)
		snprintf(buf, 64, "%s (uid %u)", name, (unsigned)uid);
	else
		snprintf(buf, 64, "uid %u", (unsigned)uid);
	return buf;
}

static bool is_bound(const struct total_users *users, uid_t uid)
{
	for (size_t i = 0; i < users->count; i++)
		if (users->list[i].uid == uid)
			return true;
	return false;
}

static int apply_slices(const struct total_users *users)
{
	_cleanup_free_ char *why = NULL;
	_cleanup_free_ uid_t *set = NULL;
	sd_bus *bus = NULL;
	size_t n_set = 0;
	int status = 0, r;

	r = slice_bus_open(&bus, &why);
	if (r < 0) {
		log_error("systemd runs this host, and its totals are the MemoryMax of the users' "
			  "slices, but %s", why);
		return MEMRUN_EXIT_FAILURE;
	}
	for (size_t i = 0; i < users->count; i++) {
		const struct total_user *u = &users->list[i];
		_cleanup_free_ char *unit = xasprintf("user-%u.slice", (unsigned)u->uid);
		_cleanup_free_ char *dropin = slice_dropin_path(u->uid);
		_cleanup_free_ char *failed = NULL;
		char who[64], size[32], was[32];
		uint64_t have = 0;

		r = slice_memory_max(bus, unit, &have, &failed);
		if (r >= 0 && have == u->bytes) {
			printf("%s: %s MemoryMax %s, unchanged\n", user_name(u->name, u->uid, who),
			       unit, size_format(u->bytes, size));
			continue;
		}
		if (r >= 0)
			r = slice_set_memory_max(bus, unit, u->bytes, &failed);
		if (r < 0) {
			log_error("%s: %s", user_name(u->name, u->uid, who), failed);
			status = MEMRUN_EXIT_FAILURE;
			continue;
		}
		printf("%s: %s MemoryMax %s (was %s), kept in %s\n", user_name(u->name, u->uid, who),
		       unit, size_format(u->bytes, size),
		       have == UINT64_MAX ? "infinity" : size_format(have, was), dropin);
	}
	/* Slices memrun set before whose users have no total now. */
	r = slice_dropin_uids(&set, &n_set);
	if (r < 0) {
		log_error_errno(r, "cannot list %s", SYSTEMD_CONTROL_DIR);
		status = MEMRUN_EXIT_FAILURE;
	}
	for (size_t i = 0; i < n_set; i++) {
		_cleanup_free_ char *unit = xasprintf("user-%u.slice", (unsigned)set[i]);
		_cleanup_free_ char *failed = NULL;
		char who[64], was[32];
		uint64_t have;

		if (is_bound(users, set[i]))
			continue;
		r = slice_memory_max(bus, unit, &have, &failed);
		if (r >= 0 && have == UINT64_MAX)
			continue;
		if (r >= 0)
			r = slice_set_memory_max(bus, unit, UINT64_MAX, &failed);
		if (r < 0) {
			log_error("%s: %s", user_name(NULL, set[i], who), failed);
			status = MEMRUN_EXIT_FAILURE;
			continue;
		}
		printf("%s: no total any more: %s MemoryMax infinity (was %s)\n",
		       user_name(NULL, set[i], who), unit, size_format(have, was));
	}
	slice_bus_close(bus);
	return status;
}

static int apply_cgroups(const struct total_users *users, const struct cgroup_place *place)
{
	_cleanup_free_ char *why = NULL;
	_cleanup_free_ uid_t *made = NULL;
	size_t n_made = 0;
	int status = 0, r;

	r = users->count ? totals_cgroup_prepare(place, &why) : 0;
	if (r < 0) {
		log_error("cannot make the cgroup that holds the totals: %s", why);
		return MEMRUN_EXIT_FAILURE;
	}
	for (size_t i = 0; i < users->count; i++) {
		const struct total_user *u = &users->list[i];
		_cleanup_free_ char *done = NULL, *failed = NULL;
		struct total_location loc;
		char who[64];

		total_locate(place, u->uid, &loc);
		r = total_cgroup_apply(&loc, u->gid, u->bytes, &done, &failed);
		if (r < 0) {
			log_error("%s: %s", user_name(u->name, u->uid, who), failed);
			status = MEMRUN_EXIT_FAILURE;
		} else {
			printf("%s: %s: %s\n", user_name(u->name, u->uid, who), loc.dir, done);
		}
		total_location_free(&loc);
	}
	r = totals_cgroup_list(place, &made, &n_made);
	if (r < 0) {
		log_error_errno(r, "cannot list %s/" TOTALS_CGROUP, place->mountpoint);
		status = MEMRUN_EXIT_FAILURE;
	}
	for (size_t i = 0; i < n_made; i++) {
		_cleanup_free_ char *failed = NULL;
		struct total_location loc;
		char who[64];

		if (is_bound(users, made[i]))
			continue;
		total_locate(place, made[i], &loc);
		r = total_cgroup_remove(&loc, &failed);
		if (r == -EBUSY)
			printf("%s: no total any more, but %s still holds jobs: left until they end "
			       "(run `memrun policy apply` again then)\n",
			       user_name(NULL, made[i], who), loc.dir);
		else if (r >= 0)
			printf("%s: no total any more: %s removed\n", user_name(NULL, made[i], who),
			       loc.dir);
		else {
			log_error("%s: %s", user_name(NULL, made[i], who), failed);
			status = MEMRUN_EXIT_FAILURE;
		}
		total_location_free(&loc);
	}
	/* No total left: nothing of memrun's stays at the top. */
	if (users->count == 0 && status == 0 && totals_cgroup_remove(place) > 0)
		printf("%s/" TOTALS_CGROUP " removed: no user has a total\n", place->mountpoint);
	return status;
}

/* UID_MIN..UID_MAX of login.defs, or the defaults without the file. */
static int read_uid_range(unsigned long *ret_min, unsigned long *ret_max)
{
	_cleanup_free_ char *text = NULL;
	unsigned line = 0;
	int r = read_file_alloc(LOGIN_DEFS, &text);

	if (r == -ENOENT) {
		*ret_min = LOGIN_DEFS_UID_MIN;
		*ret_max = LOGIN_DEFS_UID_MAX;
		return 0;
	}
	if (r < 0)
		return log_error_errno(r, "cannot read %s", LOGIN_DEFS);
	r = login_defs_uid_range(text, ret_min, ret_max, &line);
	if (r < 0) {
		log_error("%s:%u: UID_MIN or UID_MAX is not a user ID", LOGIN_DEFS, line);
		return r;
	}
	return 0;
}

static int policy_apply(void)
{
	struct policy policy = { 0 };
	struct total_users users = { 0 };
	struct cgroup_place place;
	unsigned long uid_min, uid_max;
	int status;

	if (getuid() != 0) {
		log_error("policy apply changes the limits of every user's total: only root may run "
			  "it (you are uid %u)", (unsigned)getuid());
		log_hint("run it as root, or ask the administrator; `memrun policy show` shows what "
			 "binds you");
		return MEMRUN_EXIT_FAILURE;
	}
	if (policy_load(&policy, POLICY_FILE) < 0)
		return MEMRUN_EXIT_FAILURE;
	/* read_uid_range sets both or fails with log_error_errno's negative
	 * return, which clang 14's analyzer cannot see from here. */
	if (read_uid_range(&uid_min, &uid_max) < 0 ||
	    /* NOLINTNEXTLINE(clang-analyzer-core.CallAndMessage) */
	    total_users_collect(&policy, uid_min, uid_max, &users) < 0) {
		policy_free(&policy);
		return MEMRUN_EXIT_FAILURE;
	}
	cgroup_locate(&place);
	if (!policy.path)
		printf("no policy file (%s): no user has a total\n", POLICY_FILE);
	else
		printf("policy %s: %zu user%s with a total (users named in [user] sections, and "
		       "user IDs %lu..%lu)\n", policy.path, users.count, users.count == 1 ? "" : "s",
		       uid_min, uid_max);
	if (cgroup_systemd_running())
		status = apply_slices(&users);
	else
		status = apply_cgroups(&users, &place);
	cgroup_place_free(&place);
	total_users_free(&users);
	policy_free(&policy);
	return status;
}

/* ---- the command --------------------------------------------------------- */

static bool is_help(const char *arg)
{
	return streq(arg, "-h") || streq(arg, "--help");
}

int policy_command(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (is_help(argv[i])) {
			policy_usage();
			return 0;
		}
	if (argc < 2) {
		policy_usage();
		return 0;
	}
	if (streq(argv[1], "show")) {
		if (argc > 3) {
			log_error("'policy show' takes at most one user");
			return bad_usage("policy");
		}
		return policy_show(argc == 3 ? argv[2] : NULL);
	}
	if (streq(argv[1], "apply")) {
		if (argc > 2) {
			log_error("'policy apply' takes no arguments");
			return bad_usage("policy");
		}
		return policy_apply();
	}
	log_error("unknown 'policy' command '%s'", argv[1]);
	return bad_usage("policy");
}
