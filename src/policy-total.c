/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "policy-total.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>

#include "cgroupfs.h"
#include "size.h"
#include "util.h"

void total_locate(const struct cgroup_place *place, uid_t uid, struct total_location *ret)
{
	*ret = (struct total_location){ .uid = uid };
	if (cgroup_systemd_running()) {
		ret->unit = xasprintf("user-%u.slice", (unsigned)uid);
		ret->cgroup = cgroup_slice_path(ret->unit);
	} else {
		ret->cgroup = xasprintf("/" TOTALS_CGROUP "/user-%u", (unsigned)uid);
	}
	if (!place->manager) {
		ret->why_none = xstrdup(place->why_none);
		return;
	}
	ret->manager = place->manager;
	/* The slice where the hierarchy shows it; memrun's own cgroup at
	 * the top of what this mount shows. */
	ret->dir = ret->unit ? cgroup_path_to_dir(place->mountpoint, place->mount_root, ret->cgroup) :
			       xasprintf("%s%s", place->mountpoint, ret->cgroup);
	if (!ret->dir)
		ret->why_none = xasprintf("%s is outside the part of the cgroup hierarchy mounted "
					  "at %s", ret->cgroup, place->mountpoint);
}

void total_location_free(struct total_location *loc)
{
	free(loc->cgroup);
	free(loc->dir);
	free(loc->unit);
	free(loc->why_none);
	*loc = (struct total_location){ 0 };
}

static bool owned_by(int dir_fd, const char *name, uid_t uid)
{
	struct stat st;

	return fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_uid == uid;
}

int total_read_state(const struct total_location *loc, struct total_state *ret)
{
	_cleanup_close_ int fd = -1;
	const struct cgroup_manager *m = loc->manager;
	struct stat st;
	char buf[512];

	*ret = (struct total_state){ .limit = LIMIT_UNLIMITED };
	if (!loc->dir)
		return -ENOENT;
	fd = open(loc->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	ret->exists = true;
	ret->owner = st.st_uid;
	ret->limit_known = cg_read_u64(fd, m->memory_max_file, &ret->limit) == 0;
	ret->delegated = st.st_uid == loc->uid;
	for (const char *const *f = m->delegate_files; ret->delegated && f && *f; f++)
		ret->delegated = owned_by(fd, *f, loc->uid);
	ret->memory_below = !m->subtree_control_file ||
			    (cg_read(fd, m->subtree_control_file, buf, sizeof(buf)) >= 0 &&
			     list_contains(strtok(buf, "\n"), ' ', "memory"));
	return 0;
}

uint64_t total_limit_rounded(uint64_t bytes)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);

	return bytes == LIMIT_UNLIMITED ? bytes : bytes / page * page;
}

char *total_why_not_in_force(const struct total_location *loc, const struct total_state *state,
			     uint64_t bytes)
{
	char have[32], want[32];

	if (!loc->dir)
		return xstrdup(loc->why_none);
	if (!state->exists)
		return xasprintf("%s does not exist", loc->dir);
	if (!state->limit_known)
		return xasprintf("%s/%s cannot be read", loc->dir, loc->manager->memory_max_file);
	if (state->limit != total_limit_rounded(bytes))
		return xasprintf("the %s of %s is %s, not %s", loc->manager->memory_max_file, loc->dir,
				 state->limit == LIMIT_UNLIMITED ? "max" : size_format(state->limit, have),
				 size_format(bytes, want));
	/* A slice is systemd's: the user does not make cgroups in it. */
	if (loc->unit)
		return NULL;
	if (!state->delegated)
		return xasprintf("%s is not delegated to uid %u (the directory and its %s must be "
				 "the user's)", loc->dir, (unsigned)loc->uid,
				 loc->manager->delegate_files[0]);
	if (!state->memory_below)
		return xasprintf("%s does not hand the memory controller to the cgroups in it (its "
				 "%s lacks memory)", loc->dir, loc->manager->subtree_control_file);
	return NULL;
}

void policy_total_plan(const struct policy_binding *binding, uid_t uid,
		       const struct cgroup_place *place, struct plan *plan)
{
	const struct policy_value *v = &binding->values[POLICY_TOTAL_MEMORY_MAX];
	struct total_location loc;

	/* max: no total. */
	if (!binding->path || !v->set || v->bytes == UINT64_MAX)
		return;
	total_locate(place, uid, &loc);
	plan->total = (struct plan_total){
		.set = true, .bytes = v->bytes, .line = v->line,
		.cgroup = TAKE_PTR(loc.cgroup), .dir = TAKE_PTR(loc.dir), .unit = TAKE_PTR(loc.unit),
	};
	total_location_free(&loc);
}

/* A user ID as login.defs writes it: decimal, or 0x.. / 0.. as strtoul's
 * base 0 reads it (shadow's getdef does the same). */
static int parse_uid(const char *text, unsigned long *ret)
{
	unsigned long v;
	char *end;

	if (!isdigit((unsigned char)*text))
		return -EINVAL;
	errno = 0;
	v = strtoul(text, &end, 0);
	if (errno || end == text || (*end && !isspace((unsigned char)*end)) || v > UINT32_MAX - 1)
		return -EINVAL;
	*ret = v;
	return 0;
}

int login_defs_uid_range(const char *text, unsigned long *ret_min, unsigned long *ret_max,
			 unsigned *ret_line)
{
	unsigned long min = LOGIN_DEFS_UID_MIN, max = LOGIN_DEFS_UID_MAX;
	unsigned lineno = 0;

	for (const char *p = text; *p;) {
		const char *end = strchrnul(p, '\n');
		_cleanup_free_ char *line = xstrndup(p, (size_t)(end - p));
		char *key = line, *value;
		unsigned long *target;

		lineno++;
		p = *end ? end + 1 : end;
		while (isspace((unsigned char)*key))
			key++;
		value = key + strcspn(key, " \t");
		if (*value)
			*value++ = '\0';
		while (isspace((unsigned char)*value))
			value++;
		if (streq(key, "UID_MIN"))
			target = &min;
		else if (streq(key, "UID_MAX"))
			target = &max;
		else
			continue;	/* comments, blank lines, other keys */
		if (parse_uid(value, target) < 0) {
			*ret_line = lineno;
			return -EINVAL;
		}
	}
	*ret_min = min;
	*ret_max = max;
	return 0;
}

static int by_uid(const void *a, const void *b)
{
	const struct total_user *x = a, *y = b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

/* caller's total, if the policy gives one, added once. */
static void consider(const struct policy *policy, const struct policy_caller *caller,
		     struct total_users *users)
{
	struct policy_binding binding;
	const struct policy_value *v;

	for (size_t i = 0; i < users->count; i++)
		if (users->list[i].uid == caller->uid)
			return;
	policy_bind(policy, caller, &binding);
	v = &binding.values[POLICY_TOTAL_MEMORY_MAX];
	if (!binding.path || !v->set || v->bytes == UINT64_MAX)
		return;
	users->list = xrealloc(users->list, (users->count + 1) * sizeof(*users->list));
	users->list[users->count++] = (struct total_user){
		.uid = caller->uid, .gid = caller->gid, .name = xstrdup(caller->user),
		.bytes = v->bytes, .line = v->line,
		.section = binding.from[POLICY_TOTAL_MEMORY_MAX],
	};
}

int total_users_collect(const struct policy *policy, unsigned long uid_min,
			unsigned long uid_max, struct total_users *ret)
{
	_cleanup_strv_free_ char **names = NULL;
	struct total_users users = { 0 };
	struct policy_caller caller;
	struct passwd *pw;
	int r;

	*ret = users;
	if (!policy->path)
		return 0;
	for (size_t i = 0; i < policy->count; i++) {
		const struct policy_section *s = &policy->sections[i];

		if (s->kind != POLICY_SECTION_USER)
			continue;
		r = policy_caller_lookup(s->name, &caller);
		if (r == -ESRCH) {
			log_warning("%s:%u: [user %s] names no account on this host: no total for it",
				    policy->path, s->line, s->name);
			continue;
		}
		if (r < 0) {
			total_users_free(&users);
			return log_error_errno(r, "cannot look up the groups of user %s", s->name);
		}
		consider(policy, &caller, &users);
		policy_caller_free(&caller);
	}
	/* The names first: a lookup inside the enumeration may restart it. */
	errno = 0;
	setpwent();
	while ((pw = getpwent()))
		if (pw->pw_uid >= uid_min && pw->pw_uid <= uid_max)
			strv_push(&names, xstrdup(pw->pw_name));
	r = errno && errno != ENOENT ? -errno : 0;
	endpwent();
	if (r < 0) {
		total_users_free(&users);
		return log_error_errno(r, "cannot list the accounts of this host");
	}
	for (char **n = names; n && *n; n++) {
		if (policy_caller_lookup(*n, &caller) < 0)
			continue;	/* gone since */
		consider(policy, &caller, &users);
		policy_caller_free(&caller);
	}
	if (users.count)
		qsort(users.list, users.count, sizeof(*users.list), by_uid);
	*ret = users;
	return 0;
}

void total_users_free(struct total_users *users)
{
	for (size_t i = 0; i < users->count; i++)
		free(users->list[i].name);
	free(users->list);
	*users = (struct total_users){ 0 };
}

static int by_value(const void *a, const void *b)
{
	uid_t x = *(const uid_t *)a, y = *(const uid_t *)b;

	return x < y ? -1 : x > y;
}

int total_uids_in_dir(const char *dir, const char *suffix, bool dirs_only, bool (*keep)(uid_t),
		      uid_t **ret, size_t *ret_count)
{
	size_t suffix_len = strlen(suffix);
	uid_t *uids = NULL;
	size_t n = 0;
	struct dirent *de;
	DIR *d;

	*ret = NULL;
	*ret_count = 0;
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		_cleanup_free_ char *number = NULL;
		size_t len = strlen(de->d_name);
		long long uid;

		if ((dirs_only && de->d_type != DT_DIR) || !startswith(de->d_name, "user-") ||
		    len < strlen("user-") + suffix_len ||
		    !streq(de->d_name + len - suffix_len, suffix))
			continue;
		number = xstrndup(de->d_name + strlen("user-"), len - strlen("user-") - suffix_len);
		if (parse_int64(number, 0, UINT32_MAX - 1, &uid) < 0 || (keep && !keep((uid_t)uid)))
			continue;
		uids = xrealloc(uids, (n + 1) * sizeof(*uids));
		uids[n++] = (uid_t)uid;
	}
	closedir(d);
	if (n)
		qsort(uids, n, sizeof(*uids), by_value);
	*ret = uids;
	*ret_count = n;
	return 0;
}
