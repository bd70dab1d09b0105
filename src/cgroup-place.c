/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where the job's cgroup goes: memrun's own cgroup and the manager of its
 * hierarchy (from /proc/self/cgroup and mountinfo), the limits above it,
 * and the parent the job's cgroup is made in, checked.
 */
#include "cgroup.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "cgroup-internal.h"
#include "cgroupfs.h"
#include "util.h"

/* A controller lives in one hierarchy only: a v1 hierarchy carrying
 * memory means v2 has none (hybrid hosts); else v2's, if enabled. */
static const struct cgroup_manager *const managers[] = {
	&cgroup_v1_manager,
	&cgroup_v2_manager,
};

/* ---- parsers ---------------------------------------------------------- */

static char *take_line(const char **p)
{
	const char *end = strchrnul(*p, '\n');
	char *line = strndup(*p, (size_t)(end - *p));

	*p = *end ? end + 1 : end;
	return line ? line : xstrdup("");
}

/* Whether item is one of the comma-separated words of list[0, len). */
static bool words_contain(const char *list, size_t len, const char *item)
{
	size_t item_len = strlen(item);

	for (const char *p = list, *end = list + len; p <= end;) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *word_end = comma ? comma : end;

		if ((size_t)(word_end - p) == item_len && memcmp(p, item, item_len) == 0)
			return true;
		p = word_end + 1;
	}
	return false;
}

const char *cgroup_proc_path(const char *text, bool unified, size_t *ret_len)
{
	for (const char *line = text; *line;) {
		const char *end = strchrnul(line, '\n');
		/* "hierarchy-ID:controller-list:cgroup-path"; the path may hold ':'. */
		const char *controllers = memchr(line, ':', (size_t)(end - line));
		const char *path = controllers ?
			memchr(controllers + 1, ':', (size_t)(end - controllers - 1)) : NULL;

		if (path) {
			size_t list_len = (size_t)(path - controllers - 1);
			bool found = unified ?
				controllers - line == 1 && line[0] == '0' && list_len == 0 :
				words_contain(controllers + 1, list_len, "memory");

			if (found) {
				*ret_len = (size_t)(end - path - 1);
				return path + 1;
			}
		}
		line = *end ? end + 1 : end;
	}
	return NULL;
}

static char *copy_of(const char *s, size_t len)
{
	char *copy = xmalloc(len + 1);

	memcpy(copy, s, len);
	copy[len] = '\0';
	return copy;
}

int cgroup_parse_proc_cgroup(const char *text, char **ret_v2_path, char **ret_v1_memory_path)
{
	size_t v2_len = 0, v1_len = 0;
	const char *v2 = cgroup_proc_path(text, true, &v2_len);
	const char *v1 = cgroup_proc_path(text, false, &v1_len);

	*ret_v2_path = v2 ? copy_of(v2, v2_len) : NULL;
	*ret_v1_memory_path = v1 ? copy_of(v1, v1_len) : NULL;
	return v2 || v1 ? 0 : -ENOENT;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
	char *out = s;

	for (char *p = s; *p; p++) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
		    p[3] >= '0' && p[3] <= '7') {
			*out++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
			p += 3;
		} else {
			*out++ = *p;
		}
	}
	*out = '\0';
}

int cgroup_parse_mountinfo(const char *text, bool v2, char **ret_mountpoint, char **ret_root,
			   char **ret_superopts)
{
	/* line is freed by its cleanup on each turn, which clang 14's analyzer
	 * does not see: NOLINTNEXTLINE(clang-analyzer-unix.Malloc) */
	for (const char *p = text; *p;) {
		_cleanup_free_ char *line = take_line(&p);
		char *fields[6] = { NULL }, *save = NULL, *sep, *fstype, *superopts;
		unsigned n = 0;

		/* "36 35 98:0 ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS" */
		sep = strstr(line, " - ");
		if (!sep)
			continue;
		*sep = '\0';
		for (char *f = strtok_r(line, " ", &save); f && n < 6; f = strtok_r(NULL, " ", &save))
			fields[n++] = f;
		if (n < 5)
			continue;
		save = NULL;
		fstype = strtok_r(sep + 3, " ", &save);
		if (!fstype || !strtok_r(NULL, " ", &save))
			continue;
		superopts = strtok_r(NULL, " ", &save);
		if (v2 ? !streq(fstype, "cgroup2") :
			 !(streq(fstype, "cgroup") && superopts && list_contains(superopts, ',', "memory")))
			continue;
		unescape_octal(fields[3]);
		unescape_octal(fields[4]);
		*ret_root = xstrdup(fields[3]);
		*ret_mountpoint = xstrdup(fields[4]);
		if (ret_superopts)
			*ret_superopts = xstrdup(superopts ? superopts : "");
		return 0;
	}
	return -ENOENT;
}

char *cgroup_path_to_dir(const char *mountpoint, const char *mount_root, const char *path)
{
	size_t rlen = strlen(mount_root);

	if (streq(mount_root, "/"))
		return xasprintf("%s%s", mountpoint, streq(path, "/") ? "" : path);
	if (strncmp(path, mount_root, rlen) != 0 || (path[rlen] != '\0' && path[rlen] != '/'))
		return NULL;
	return xasprintf("%s%s", mountpoint, path + rlen);
}

/* ---- the place -------------------------------------------------------- */

static char *checked_requested_parent(const struct cgroup_place *place, const char *req,
				      const struct cgroup_manager **ret_manager, char **ret_why);

/* The limit an enclosing cgroup dir puts on memory, or LIMIT_UNLIMITED. */
static uint64_t limit_of(const char *dir, const char *limit_file)
{
	_cleanup_close_ int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	uint64_t v;

	if (fd < 0 || cg_read_u64(fd, limit_file, &v) < 0)
		return LIMIT_UNLIMITED;
	return v;
}

void cgroup_find_enclosing_limit(struct cgroup_place *place, const struct plan *plan)
{
	_cleanup_free_ char *dir = NULL, *why = NULL;
	const struct cgroup_manager *manager;
	size_t top;

	place->enclosing_limit = LIMIT_UNLIMITED;
	if (!place->manager)
		return;
	/* From where the job's cgroup goes: a --cgroup-parent below memrun's
	 * own cgroup may have limits of its own. */
	if (plan && plan->values[SETTING_CGROUP_PARENT].set)
		dir = checked_requested_parent(place, plan->values[SETTING_CGROUP_PARENT].text,
					       &manager, &why);
	if (!dir)
		dir = xstrdup(place->own_dir);
	top = strlen(place->mountpoint);
	for (;;) {
		uint64_t limit = limit_of(dir, place->manager->memory_max_file);
		char *slash;

		if (limit < place->enclosing_limit) {
			place->enclosing_limit = limit;
			free(place->enclosing_limit_dir);
			place->enclosing_limit_dir = xstrdup(dir);
		}
		slash = strrchr(dir, '/');
		if (strlen(dir) <= top || !slash || (size_t)(slash - dir) < top)
			break;
		*slash = '\0';
	}
}

/* Take mountpoint and root (malloc'ed) as the place when memrun's cgroup
 * path resolves there to a cgroup that can carry memory limits
 * (mount_has_memory: the mount is known to carry the controller). */
static bool take_place(struct cgroup_place *place, const struct cgroup_manager *m,
		       char *mountpoint, char *root, char **path, bool mount_has_memory)
{
	place->mountpoint = mountpoint;
	place->mount_root = root;
	place->own_dir = cgroup_path_to_dir(mountpoint, root, *path);
	/* The controller may be off in the hierarchy. */
	if (place->own_dir && m->memory_enabled(place->own_dir) &&
	    (mount_has_memory || m->in_memory_hierarchy(place->own_dir))) {
		place->manager = m;
		place->own_path = TAKE_PTR(*path);
		return true;
	}
	/* A cgroup without the memory controller: remember why, so that
	 * the reason names the cgroup that was not given it. */
	if (place->own_dir && !place->why_no_memory)
		place->why_no_memory = m->why_no_memory(place->own_dir);
	free(place->own_dir), place->own_dir = NULL;
	free(place->mountpoint), place->mountpoint = NULL;
	free(place->mount_root), place->mount_root = NULL;
	return false;
}

/*
 * The usual mount point, when it is a cgroup file system of the right
 * version and memrun's cgroup is there: most hosts, found with a statfs
 * instead of reading mountinfo (the kernel formats every mount for it,
 * the largest part of a launch's set-up).  A container's bind mount of a
 * subtree makes the path not resolve, and mountinfo decides.
 */
static bool locate_usual(struct cgroup_place *place, const struct cgroup_manager *m,
			 char **path)
{
	struct statfs sfs;

	if (!*path || statfs(m->usual_mount, &sfs) < 0 || sfs.f_type != m->fs_magic)
		return false;
	return take_place(place, m, xstrdup(m->usual_mount), xstrdup("/"), path, false);
}

static bool locate_mounted(struct cgroup_place *place, const char *mountinfo,
			   const struct cgroup_manager *m, char **path)
{
	char *mountpoint = NULL, *root = NULL;

	if (!*path || cgroup_parse_mountinfo(mountinfo, m->unified, &mountpoint, &root, NULL) < 0)
		return false;
	return take_place(place, m, mountpoint, root, path, true);
}

void cgroup_locate(struct cgroup_place *place)
{
	_cleanup_free_ char *proc = NULL, *mountinfo = NULL, *v2_path = NULL, *v1_path = NULL;

	*place = (struct cgroup_place){ .enclosing_limit = LIMIT_UNLIMITED };
	/* Whole, however deep: a path cut short would name an ancestor. */
	if (read_file_alloc("/proc/self/cgroup", &proc) < 0 ||
	    cgroup_parse_proc_cgroup(proc, &v2_path, &v1_path) < 0) {
		place->why_none = xstrdup("/proc/self/cgroup names no cgroup (is /proc mounted?)");
		return;
	}
	for (size_t i = 0; i < ELEMENTSOF(managers); i++)
		if (locate_usual(place, managers[i], managers[i]->unified ? &v2_path : &v1_path))
			return;
	if (read_file_alloc("/proc/self/mountinfo", &mountinfo) < 0) {
		place->why_none = xstrdup("cannot read /proc/self/mountinfo");
		return;
	}
	for (size_t i = 0; i < ELEMENTSOF(managers); i++)
		if (locate_mounted(place, mountinfo, managers[i],
				   managers[i]->unified ? &v2_path : &v1_path))
			return;
	place->why_none = place->why_no_memory ?
			  xstrdup(place->why_no_memory) :
			  xstrdup("no cgroup hierarchy with the memory controller is mounted "
				  "where memrun can see it");
}

void cgroup_place_free(struct cgroup_place *place)
{
	free(place->mountpoint);
	free(place->mount_root);
	free(place->own_path);
	free(place->own_dir);
	free(place->enclosing_limit_dir);
	free(place->why_none);
	free(place->why_no_memory);
	*place = (struct cgroup_place){ 0 };
}

/* ---- the parent ------------------------------------------------------- */

static const struct cgroup_manager *manager_of_dir(const char *dir)
{
	struct statfs sfs;

	if (statfs(dir, &sfs) < 0)
		return NULL;
	for (size_t i = 0; i < ELEMENTSOF(managers); i++)
		if (sfs.f_type == managers[i]->fs_magic)
			return managers[i];
	return NULL;
}

/* The directory a --cgroup-parent names: a directory on a cgroup file
 * system, a path in memrun's hierarchy ("/batch"), or one relative to
 * memrun's own cgroup ("jobs"). */
static char *requested_parent_dir(const struct cgroup_place *place, const char *req)
{
	struct stat st;

	if (req[0] == '/' && (stat(req, &st) == 0 ||
			      (place->mountpoint && startswith(req, place->mountpoint))))
		return xstrdup(req);
	if (!place->manager)
		return NULL;
	if (req[0] == '/')
		return cgroup_path_to_dir(place->mountpoint, place->mount_root, req);
	return xasprintf("%s/%s", place->own_dir, req);
}

bool cgroup_dir_is_within(const char *dir, const char *ancestor)
{
	size_t n = strlen(ancestor);

	if (streq(ancestor, "/"))
		return true;
	return strncmp(dir, ancestor, n) == 0 && (dir[n] == '\0' || dir[n] == '/');
}

/*
 * The cgroup a --cgroup-parent names, checked: it exists, is on a cgroup
 * file system carrying memory, and lies within memrun's own cgroup.  A
 * job beside or above memrun's cgroup would escape the limits memrun
 * itself runs under, which must bind the job too, so "../.." is refused.
 */
static char *checked_requested_parent(const struct cgroup_place *place, const char *req,
				      const struct cgroup_manager **ret_manager, char **ret_why)
{
	_cleanup_free_ char *named = requested_parent_dir(place, req);
	_cleanup_free_ char *own = NULL;
	char *dir;
	struct stat st;

	if (!named || stat(named, &st) < 0 || !S_ISDIR(st.st_mode)) {
		*ret_why = named ? xasprintf("cgroup_parent %s: no such cgroup (looked for %s)", req,
					     named) :
				   xasprintf("cgroup_parent %s: no such cgroup", req);
		return NULL;
	}
	dir = realpath(named, NULL);
	if (!dir) {
		int err = errno;

		*ret_why = xasprintf("cgroup_parent %s: cannot resolve %s: %s", req, named,
				     strerror(err));
		return NULL;
	}
	*ret_manager = manager_of_dir(dir);
	if (!*ret_manager) {
		*ret_why = xasprintf("cgroup_parent %s: %s is not on a cgroup file system", req, dir);
		goto fail;
	}
	if (!(*ret_manager)->in_memory_hierarchy(dir)) {
		*ret_why = xasprintf("cgroup_parent %s: %s is not in the memory controller's "
				     "hierarchy", req, dir);
		goto fail;
	}
	own = place->own_dir ? realpath(place->own_dir, NULL) : NULL;
	if (!own || *ret_manager != place->manager) {
		*ret_why = xasprintf("cgroup_parent %s: %s is not in the hierarchy memrun runs in "
				     "(%s), so memrun cannot tell whether its own limits would bind "
				     "the job there", req, dir,
				     place->manager ? place->own_dir : "no memory hierarchy");
		goto fail;
	}
	if (!cgroup_dir_is_within(dir, own)) {
		*ret_why = xasprintf("cgroup_parent %s: %s is not inside memrun's own cgroup %s: a "
				     "job there would escape the limits memrun runs under; name a "
				     "cgroup below %s (a relative path), or start memrun inside "
				     "the cgroup you want", req, dir, own, own);
		goto fail;
	}
	return dir;
fail:
	free(dir);
	return NULL;
}

char *cgroup_choose_parent(const struct cgroup_place *place, const struct plan *plan,
			   const struct cgroup_manager **ret_manager, char **ret_why)
{
	const struct setting_value *requested = &plan->values[SETTING_CGROUP_PARENT];
	char *dir;

	/* A total that memrun's policy apply made: the job goes in it. */
	if (plan->total.set && !plan->total.unit) {
		if (cgroup_total_parent(place, plan, &dir, ret_manager, ret_why) < 0 || dir)
			return dir;
	}
	if (requested->set) {
		dir = checked_requested_parent(place, requested->text, ret_manager, ret_why);
		if (dir && (*ret_manager)->check_parent(dir, streq(dir, place->own_dir), ret_why) < 0)
			free(dir), dir = NULL;
		return dir;
	}
	if (!place->manager) {
		*ret_why = xstrdup(place->why_none);
		return NULL;
	}
	/* Always inside memrun's own cgroup, never beside it: the manager
	 * says whether it can be done there (v2's no-internal-processes rule). */
	*ret_manager = place->manager;
	if (place->manager->check_parent(place->own_dir, true, ret_why) < 0)
		return NULL;
	return xstrdup(place->own_dir);
}
