/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the cgroup module: the parsers of src/cgroup-place.c
 * (/proc/self/cgroup, mountinfo, directories within a mount), job cgroup
 * names (src/cgroup.c), the managers' tables, and the sweep of stale
 * cgroups (src/cgroup-tree.c), which runs while the job does and must
 * allocate nothing. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "cgroup.h"
#include "util.h"

static bool same_or_both_null(const char *a, const char *b)
{
	return a && b ? streq(a, b) : a == b;
}

static const char *or_null(const char *s)
{
	return s ? s : "(null)";
}

static const struct {
	const char *what;
	const char *text;
	int error;
	const char *v2_path;	/* NULL: none */
	const char *v1_memory_path;
} proc_cgroups[] = {
	{ "v1 hybrid", "9:name=systemd:/\n4:memory:/a/b\n0::/\n", 0, "/", "/a/b" },
	{ "v1 hybrid as systemd writes it",
	  "12:cpuset:/\n11:memory:/user.slice/user-1000.slice/session-2.scope\n"
	  "10:cpu,cpuacct:/user.slice\n1:name=systemd:/user.slice/user-1000.slice/session-2.scope\n"
	  "0::/user.slice/user-1000.slice/session-2.scope\n",
	  0, "/user.slice/user-1000.slice/session-2.scope",
	  "/user.slice/user-1000.slice/session-2.scope" },
	{ "pure v2", "0::/user.slice/x.scope\n", 0, "/user.slice/x.scope", NULL },
	{ "pure v2 at the root", "0::/\n", 0, "/", NULL },
	{ "pure v2 without a newline", "0::/x", 0, "/x", NULL },
	{ "memory after another controller", "5:cpu,memory:/x\n", 0, NULL, "/x" },
	{ "memory before another controller", "5:memory,cpu:/x\n", 0, NULL, "/x" },
	{ "memory among several", "5:cpuset,cpu,memory,pids:/x\n", 0, NULL, "/x" },
	{ "v1 path holding ':'", "4:memory:/a:b:c\n", 0, NULL, "/a:b:c" },
	{ "v2 path holding ':'", "0::/x:y\n", 0, "/x:y", NULL },
	{ "v1 only, no memory line", "9:name=systemd:/\n3:cpu,cpuacct:/\n", -ENOENT, NULL, NULL },
	{ "a named hierarchy called memory is not the controller",
	  "1:name=memory:/x\n", -ENOENT, NULL, NULL },
	{ "a controller whose name starts with memory", "2:memory_x:/x\n", -ENOENT, NULL, NULL },
	{ "hybrid without memory: v2 only", "9:name=systemd:/\n3:cpu:/\n0::/y\n", 0, "/y", NULL },
	{ "an empty controller list on a v1 id is not v2", "3::/x\n", -ENOENT, NULL, NULL },
	{ "empty text", "", -ENOENT, NULL, NULL },
	{ "blank lines", "\n\n", -ENOENT, NULL, NULL },
	{ "no colons", "memory\n", -ENOENT, NULL, NULL },
	{ "one colon", "4:memory\n", -ENOENT, NULL, NULL },
	{ "the first memory line wins", "4:memory:/first\n5:memory:/second\n", 0, NULL, "/first" },
};

static void test_proc_cgroup(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(proc_cgroups); i++) {
		char *v2 = NULL, *v1 = NULL;
		int r = cgroup_parse_proc_cgroup(proc_cgroups[i].text, &v2, &v1);

		if (r != proc_cgroups[i].error)
			fail_msg("%s: cgroup_parse_proc_cgroup = %d, expected %d",
				 proc_cgroups[i].what, r, proc_cgroups[i].error);
		if (!same_or_both_null(v2, proc_cgroups[i].v2_path))
			fail_msg("%s: v2 path \"%s\", expected \"%s\"", proc_cgroups[i].what,
				 or_null(v2), or_null(proc_cgroups[i].v2_path));
		if (!same_or_both_null(v1, proc_cgroups[i].v1_memory_path))
			fail_msg("%s: v1 memory path \"%s\", expected \"%s\"",
				 proc_cgroups[i].what, or_null(v1),
				 or_null(proc_cgroups[i].v1_memory_path));
		free(v2);
		free(v1);
	}
}

/* Lines as the kernel writes /proc/self/mountinfo. */
#define ROOTFS "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro\n"
#define CG_TMPFS                                                                  \
	"25 22 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs " \
	"ro,mode=755\n"
#define CG_UNIFIED                                                                    \
	"26 25 0:23 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - " \
	"cgroup2 cgroup2 rw,nsdelegate\n"
#define CG_SYSTEMD                                                                    \
	"27 25 0:24 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - " \
	"cgroup cgroup rw,xattr,name=systemd\n"
#define CG_CPU                                                                           \
	"30 25 0:27 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:14 - " \
	"cgroup cgroup rw,cpu,cpuacct\n"
#define CG_MEMORY                                                                    \
	"33 25 0:30 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:17 - " \
	"cgroup cgroup rw,memory\n"
#define CG_V2_ONLY                                                                     \
	"29 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 " \
	"cgroup2 rw,nsdelegate,memory_recursiveprot\n"

static const struct {
	const char *what;
	const char *text;
	bool v2;
	int error;
	const char *mountpoint;
	const char *root;
} mountinfos[] = {
	{ "hybrid, v1", ROOTFS CG_TMPFS CG_UNIFIED CG_SYSTEMD CG_CPU CG_MEMORY, false, 0,
	  "/sys/fs/cgroup/memory", "/" },
	{ "hybrid, v2", ROOTFS CG_TMPFS CG_UNIFIED CG_SYSTEMD CG_CPU CG_MEMORY, true, 0,
	  "/sys/fs/cgroup/unified", "/" },
	{ "v1 without a memory hierarchy", ROOTFS CG_TMPFS CG_SYSTEMD CG_CPU, false, -ENOENT,
	  NULL, NULL },
	{ "v1 only, asking for v2", ROOTFS CG_TMPFS CG_SYSTEMD CG_CPU CG_MEMORY, true, -ENOENT,
	  NULL, NULL },
	{ "pure v2", ROOTFS CG_V2_ONLY, true, 0, "/sys/fs/cgroup", "/" },
	{ "pure v2, asking for v1: memory_recursiveprot is no memory controller",
	  ROOTFS CG_V2_ONLY, false, -ENOENT, NULL, NULL },
	{ "memory combined with cpu",
	  "40 25 0:35 / /sys/fs/cgroup/cpu,memory rw,relatime shared:20 - cgroup cgroup "
	  "rw,cpu,memory\n",
	  false, 0, "/sys/fs/cgroup/cpu,memory", "/" },
	{ "a source named memory is not the memory controller",
	  "40 25 0:35 / /sys/fs/cgroup/cpu rw,relatime - cgroup memory rw,cpu\n", false,
	  -ENOENT, NULL, NULL },
	{ "a named hierarchy called memory",
	  "40 25 0:35 / /sys/fs/cgroup/named rw,relatime - cgroup cgroup rw,name=memory\n",
	  false, -ENOENT, NULL, NULL },
	{ "a tmpfs mounted with a memory option",
	  "40 25 0:35 / /sys/fs/cgroup/memory rw,relatime - tmpfs cgroup rw,memory\n", false,
	  -ENOENT, NULL, NULL },
	{ "several optional fields",
	  "41 25 0:36 / /sys/fs/cgroup/memory rw,nosuid shared:5 master:1 - cgroup cgroup "
	  "rw,memory\n",
	  false, 0, "/sys/fs/cgroup/memory", "/" },
	{ "no optional fields",
	  "41 25 0:36 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory\n", false, 0,
	  "/sys/fs/cgroup/memory", "/" },
	{ "an escaped space in the mount point",
	  "50 22 0:40 / /mnt/my\\040cgroups rw,relatime - cgroup2 none rw\n", true, 0,
	  "/mnt/my cgroups", "/" },
	{ "escaped tab, newline and backslash",
	  "50 22 0:40 / /mnt/a\\011b\\012c\\134d rw,relatime - cgroup2 none rw\n", true, 0,
	  "/mnt/a\tb\nc\\d", "/" },
	{ "an escaped space in the root",
	  "50 22 0:40 /my\\040job /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", true, 0,
	  "/sys/fs/cgroup", "/my job" },
	{ "a backslash that is no escape stays",
	  "50 22 0:40 / /mnt/a\\9b rw - cgroup2 none rw\n", true, 0, "/mnt/a\\9b", "/" },
	{ "a container's bind mount",
	  "1234 1200 0:30 /docker/abc /sys/fs/cgroup/memory ro,nosuid,nodev,noexec,relatime "
	  "master:17 - cgroup cgroup rw,memory\n",
	  false, 0, "/sys/fs/cgroup/memory", "/docker/abc" },
	{ "a container's v2 namespace root",
	  "1234 1200 0:26 /../.. /sys/fs/cgroup ro,nosuid - cgroup2 cgroup2 rw\n", true, 0,
	  "/sys/fs/cgroup", "/../.." },
	{ "the first match wins",
	  CG_UNIFIED "60 22 0:23 / /mnt/again rw - cgroup2 cgroup2 rw\n", true, 0,
	  "/sys/fs/cgroup/unified", "/" },
	{ "a line without the separator is skipped",
	  "26 25 0:23 / /bad rw cgroup2 cgroup2 rw\n" CG_UNIFIED, true, 0,
	  "/sys/fs/cgroup/unified", "/" },
	{ "a line with too few fields is skipped",
	  "26 25 / - cgroup2 cgroup2 rw\n" CG_UNIFIED, true, 0, "/sys/fs/cgroup/unified", "/" },
	{ "the last line without a newline", ROOTFS "33 25 0:30 / /m rw - cgroup cgroup rw,memory",
	  false, 0, "/m", "/" },
	{ "empty text", "", true, -ENOENT, NULL, NULL },
};

static void test_mountinfo(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(mountinfos); i++) {
		char *mountpoint = NULL, *root = NULL;
		int r = cgroup_parse_mountinfo(mountinfos[i].text, mountinfos[i].v2, &mountpoint,
					       &root, NULL);

		if (r != mountinfos[i].error)
			fail_msg("%s: cgroup_parse_mountinfo(v2=%d) = %d, expected %d",
				 mountinfos[i].what, mountinfos[i].v2, r, mountinfos[i].error);
		if (!same_or_both_null(mountpoint, mountinfos[i].mountpoint))
			fail_msg("%s: mount point \"%s\", expected \"%s\"", mountinfos[i].what,
				 or_null(mountpoint), or_null(mountinfos[i].mountpoint));
		if (!same_or_both_null(root, mountinfos[i].root))
			fail_msg("%s: root \"%s\", expected \"%s\"", mountinfos[i].what,
				 or_null(root), or_null(mountinfos[i].root));
		free(mountpoint);
		free(root);
	}
}

/* The super options come with the mount: doctor looks for favordynmods. */
static void test_mountinfo_super_options(void **state)
{
	char *mountpoint = NULL, *root = NULL, *options = NULL;

	(void)state;
	assert_int_equal(cgroup_parse_mountinfo("35 25 0:30 / /sys/fs/cgroup rw shared:9 - cgroup2 "
						"cgroup2 rw,nsdelegate,favordynmods\n",
						true, &mountpoint, &root, &options), 0);
	assert_string_equal(options, "rw,nsdelegate,favordynmods");
	assert_true(list_contains(options, ',', "favordynmods"));
	free(mountpoint), free(root), free(options);
	options = NULL;
	assert_int_equal(cgroup_parse_mountinfo("41 25 0:36 / /sys/fs/cgroup/memory rw - cgroup "
						"cgroup rw,memory\n",
						false, &mountpoint, &root, &options), 0);
	assert_string_equal(options, "rw,memory");
	assert_false(list_contains(options, ',', "favordynmods"));
	free(mountpoint), free(root), free(options);
}

static const struct {
	const char *mountpoint;
	const char *root;
	const char *path;
	const char *dir;	/* NULL: outside the mount */
} path_dirs[] = {
	{ "/sys/fs/cgroup", "/", "/", "/sys/fs/cgroup" },
	{ "/sys/fs/cgroup", "/", "/user.slice/x.scope", "/sys/fs/cgroup/user.slice/x.scope" },
	{ "/sys/fs/cgroup/memory", "/", "/a/b", "/sys/fs/cgroup/memory/a/b" },
	{ "/sys/fs/cgroup/memory", "/docker/abc", "/docker/abc", "/sys/fs/cgroup/memory" },
	{ "/sys/fs/cgroup/memory", "/docker/abc", "/docker/abc/job",
	  "/sys/fs/cgroup/memory/job" },
	{ "/sys/fs/cgroup/memory", "/docker/abc", "/docker/abc/a/b",
	  "/sys/fs/cgroup/memory/a/b" },
	{ "/sys/fs/cgroup/memory", "/docker/abc", "/docker/abcd", NULL },
	{ "/sys/fs/cgroup/memory", "/docker/abc", "/docker/abcd/job", NULL },
	{ "/sys/fs/cgroup/memory", "/docker/abc", "/docker", NULL },
	{ "/sys/fs/cgroup/memory", "/docker/abc", "/other/x", NULL },
	{ "/sys/fs/cgroup/memory", "/docker/abc", "/", NULL },
};

static void test_path_to_dir(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(path_dirs); i++) {
		char *dir = cgroup_path_to_dir(path_dirs[i].mountpoint, path_dirs[i].root,
					       path_dirs[i].path);

		if (!same_or_both_null(dir, path_dirs[i].dir))
			fail_msg("cgroup_path_to_dir(\"%s\", \"%s\", \"%s\") = \"%s\", expected "
				 "\"%s\"",
				 path_dirs[i].mountpoint, path_dirs[i].root, path_dirs[i].path,
				 or_null(dir), or_null(path_dirs[i].dir));
		free(dir);
	}
}

static const struct {
	pid_t pid;
	uint64_t token;
	const char *name;
} job_names[] = {
	{ 10, 0xa000000000000020ULL, "memrun-10-a000000000000020" },
	{ 1, 0xf0f0f0f0f0f0f0f0ULL, "memrun-1-f0f0f0f0f0f0f0f0" },
	{ 4242, 0xbadc0ffee0ddf00dULL, "memrun-4242-badc0ffee0ddf00d" },
	{ INT32_MAX, UINT64_MAX, "memrun-2147483647-ffffffffffffffff" },
};

static void test_job_name_round_trip(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(job_names); i++) {
		char *name = cgroup_job_name(job_names[i].pid, job_names[i].token);
		uint64_t token = 0;
		pid_t pid = 0;

		if (!streq(name, job_names[i].name))
			fail_msg("cgroup_job_name(%d, %" PRIx64 ") = \"%s\", expected \"%s\"",
				 (int)job_names[i].pid, job_names[i].token, name, job_names[i].name);
		if (!cgroup_parse_job_name(name, &pid, &token))
			fail_msg("cgroup_parse_job_name(\"%s\") refused its own name", name);
		if (pid != job_names[i].pid || token != job_names[i].token)
			fail_msg("cgroup_parse_job_name(\"%s\") gave %d, %" PRIx64, name, (int)pid,
				 token);
		free(name);
	}
}

static const char *const not_job_names[] = {
	/* The names of memrun before the lock (memrun-PID-STARTTIME): their
	 * memrun takes no lock, so it may live though it cannot be seen. */
	"memrun-10-20",
	"memrun-4242-123456789",
	"memrun-1-1234567890123456",
	/* Tokens that do not begin with a letter, or are not 16 lowercase
	 * hex digits. */
	"memrun-1-0123456789abcdef",
	"memrun-1-9fffffffffffffff",
	"memrun-1-Afffffffffffffff",
	"memrun-1-aFFFFFFFFFFFFFFF",
	"memrun-1-afffffffffffffff0",
	"memrun-1-afffffffffffffg",
	"memrun-1-afffffffffffffff ",
	"memrun-1-afffffffffffffff/x",
	"memrun-1-a",
	"memrun-1-",
	"memrun-1-x",
	/* The leaf memrun moves itself into on v2, and other cgroups. */
	"memrun-supervisor-12-afffffffffffffff",
	"memrun-",
	"memrun-12",
	"memrun--",
	"memrun-x-afffffffffffffff",
	"memrun-1x-afffffffffffffff",
	"memrun-0-afffffffffffffff",
	"memrun-01-afffffffffffffff",
	"memrun--5-afffffffffffffff",
	"memrun-+1-afffffffffffffff",
	"memrun- 1-afffffffffffffff",
	"memrun-1- afffffffffffffff",
	"memrun-1--afffffffffffffff",
	"memrun-2147483648-afffffffffffffff",
	"memrun-99999999999999999999-afffffffffffffff",
	"other-1-afffffffffffffff",
	"Memrun-1-afffffffffffffff",
	"xmemrun-1-afffffffffffffff",
	"",
};

static void test_job_name_rejects(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(not_job_names); i++) {
		uint64_t token = 4242;
		pid_t pid = 4242;

		if (cgroup_parse_job_name(not_job_names[i], &pid, &token))
			fail_msg("cgroup_parse_job_name(\"%s\") accepted it as %d, %" PRIx64,
				 not_job_names[i], (int)pid, token);
		if (pid != 4242 || token != 4242)
			fail_msg("cgroup_parse_job_name(\"%s\") wrote its result on failure",
				 not_job_names[i]);
	}
}

/*
 * Allocations counted while `counting` is set.  The plain build puts
 * glibc's allocator under the names memrun and libc call (libc's own
 * calls, opendir's buffer among them, go through them too); AddressSanitizer
 * owns those names and has hooks for it.
 */
static bool counting;
static unsigned allocations;

#if defined(__SANITIZE_ADDRESS__)
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
					      void (*free_hook)(const volatile void *));

static void count_malloc(const volatile void *ptr, size_t size)
{
	(void)ptr;
	(void)size;
	allocations += counting;
}

static void ignore_free(const volatile void *ptr)
{
	(void)ptr;
}

static void count_allocations(void)
{
	static bool installed;

	if (!installed)
		installed = __sanitizer_install_malloc_and_free_hooks(count_malloc, ignore_free);
	assert_true(installed);
	allocations = 0;
	counting = true;
}
#else
void *__libc_malloc(size_t size);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *ptr, size_t size);

void *malloc(size_t size)
{
	allocations += counting;
	return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
	allocations += counting;
	return __libc_calloc(n, size);
}

void *realloc(void *ptr, size_t size)
{
	allocations += counting;
	return __libc_realloc(ptr, size);
}

static void count_allocations(void)
{
	allocations = 0;
	counting = true;
}
#endif

/* What the life cycle calls on any manager is there in each, so that no
 * caller asks which manager it has. */
static void test_slice_path(void **state)
{
	static const struct {
		const char *slice, *path;
	} cases[] = {
		{ "-.slice", "" },
		{ "system.slice", "/system.slice" },
		{ "user-1000.slice", "/user.slice/user-1000.slice" },
		{ "a-b-c.slice", "/a.slice/a-b.slice/a-b-c.slice" },
		{ "batch.jobs.slice", "/batch.jobs.slice" },
	};

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		char *path = cgroup_slice_path(cases[i].slice);

		assert_string_equal(path, cases[i].path);
		free(path);
	}
}

/* What generic code calls of the systemd manager is there; it makes its
 * cgroup around the child (adopt), never before fork. */
static void test_systemd_manager_table(void **state)
{
	const struct cgroup_manager *m = &cgroup_systemd_manager;

	(void)state;
	assert_string_equal(m->report_name, "systemd");
	assert_int_equal(m->version, 2);
	assert_true(m->unified);
	assert_non_null(m->adopt);
	assert_null(m->prepare_parent);
	assert_false(m->clone_into);
	assert_null(m->finish);
	assert_non_null(m->new_state);
	assert_non_null(m->restore_parent);
	assert_non_null(m->describe);
	assert_non_null(m->on_event);
	assert_non_null(m->made_cgroups);
	assert_non_null(m->read_counters);
	assert_non_null(m->kill_all);
	assert_non_null(m->read_local_oom_kills);
	assert_non_null(m->counters_cover_subtree);
	assert_non_null(m->free_state);
	assert_non_null(m->memory_max_file);
	assert_non_null(m->events_file);
	assert_string_equal(cgroup_v1_manager.report_name, "cgroupfs");
	assert_string_equal(cgroup_v2_manager.report_name, "cgroupfs");
	assert_null(cgroup_none_manager.report_name);
}

static void test_manager_tables(void **state)
{
	static const struct cgroup_manager *const managers[] = {
		&cgroup_v1_manager, &cgroup_v2_manager, &cgroup_none_manager,
	};
	struct job_cgroup cg;

	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(managers); i++) {
		const struct cgroup_manager *m = managers[i];
		bool cgroupfs = m != &cgroup_none_manager;

		assert_non_null(m->self_leaf);
		assert_non_null(m->restore_parent);
		assert_non_null(m->on_event);
		assert_non_null(m->made_cgroups);
		assert_non_null(m->read_counters);
		assert_non_null(m->kill_all);
		assert_non_null(m->read_local_oom_kills);
		assert_non_null(m->counters_cover_subtree);
		assert_non_null(m->free_state);
		/* cgroup_finish ends the cgroupfs managers' cgroups itself. */
		assert_true(cgroupfs == (m->finish == NULL));
		assert_true(cgroupfs == (m->version > 0));
		if (!cgroupfs)
			continue;
		assert_non_null(m->memory_max_file);
		assert_non_null(m->memory_high_file);
		assert_non_null(m->swap_max_file);
		assert_non_null(m->usage_file);
		assert_non_null(m->events_file);
		assert_non_null(m->no_limit_token);
		assert_non_null(m->limit_file_missing);
		assert_non_null(m->join_file);
		assert_non_null(m->usual_mount);
		assert_non_null(m->in_memory_hierarchy);
		assert_non_null(m->memory_enabled);
		assert_non_null(m->why_no_memory);
		assert_non_null(m->check_parent);
		assert_non_null(m->new_state);
		assert_non_null(m->prepare_parent);
		assert_non_null(m->apply_limits);
		assert_non_null(m->open_watch);
		/* Made and freed before the job starts, whatever it holds. */
		m->free_state(m->new_state());
	}
	/* No cgroup yet: the none manager, nothing open, nothing to watch. */
	job_cgroup_init(&cg);
	assert_ptr_equal(cg.manager, &cgroup_none_manager);
	assert_int_equal(cg.watch_fd, -1);
	assert_int_equal(cg.join_fd, -1);
	assert_int_equal(cgroup_clone_fd(&cg), -1);
	job_cgroup_free(&cg);
}

#define STALE "memrun-1-a000000000000001"
#define LIVE "memrun-2-b000000000000002"
#define OWN "memrun-3-c000000000000003"

/* Directories of a plain file system standing in for cgroups. */
struct sweep_dirs {
	char top[PATH_MAX];
	int top_fd, live_fd;
	struct job_cgroup cg;
};

static int sweep_dirs_setup(void **state)
{
	static struct sweep_dirs d;

	d.top_fd = d.live_fd = -1;
	job_cgroup_init(&d.cg);
	snprintf(d.top, sizeof(d.top), "%s/memrun-unit-sweep.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(d.top))
		return -1;
	*state = &d;
	d.top_fd = open(d.top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return d.top_fd < 0 ? -1 : 0;
}

/* Whatever the test got to, nothing is left. */
static int sweep_dirs_teardown(void **state)
{
	struct sweep_dirs *d = *state;
	static const char *const made[] = { STALE "/sub", STALE, LIVE, OWN, "other" };

	job_cgroup_free(&d->cg);
	d->live_fd = safe_close(d->live_fd);
	for (size_t i = 0; i < ELEMENTSOF(made); i++)
		unlinkat(d->top_fd, made[i], AT_REMOVEDIR);
	d->top_fd = safe_close(d->top_fd);
	return rmdir(d->top);
}

static bool exists_at(int dir_fd, const char *name)
{
	return faccessat(dir_fd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

/*
 * The sweep runs while the job starts, in the supervisor, which must not
 * allocate once the job runs (src/README.md).  One stale cgroup (unlocked,
 * with a cgroup below it), one locked by a live memrun, the job's own
 * (locked by this memrun), and one not memrun's.
 */
static void test_sweep_allocates_nothing(void **state)
{
	struct sweep_dirs *d = *state;
	struct job_cgroup *cg = &d->cg;
	char proc[4096], *v2_path = NULL, *v1_path = NULL;

	assert_int_equal(mkdirat(d->top_fd, STALE, 0755), 0);
	assert_int_equal(mkdirat(d->top_fd, STALE "/sub", 0755), 0);
	assert_int_equal(mkdirat(d->top_fd, LIVE, 0755), 0);
	assert_int_equal(mkdirat(d->top_fd, OWN, 0755), 0);
	assert_int_equal(mkdirat(d->top_fd, "other", 0755), 0);
	d->live_fd = openat(d->top_fd, LIVE, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_int_equal(flock(d->live_fd, LOCK_EX | LOCK_NB), 0);

	cg->manager = &cgroup_v1_manager;
	cg->dir = xasprintf("%s/" OWN, d->top);
	cg->dir_fd = openat(d->top_fd, OWN, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_int_equal(flock(cg->dir_fd, LOCK_EX | LOCK_NB), 0);
	cg->parent_fd = fcntl(d->top_fd, F_DUPFD_CLOEXEC, 3);
	/* Home is where this process is: the sweep looks, and stays. */
	if (read_small_file("/proc/self/cgroup", proc, sizeof(proc)) >= 0 &&
	    cgroup_parse_proc_cgroup(proc, &v2_path, &v1_path) == 0 && v1_path) {
		cg->home_path = TAKE_PTR(v1_path);
		cg->home_fd = fcntl(d->top_fd, F_DUPFD_CLOEXEC, 3);
	}
	free(v2_path);
	free(v1_path);

	count_allocations();
	cgroup_remove_stale_siblings(cg);
	counting = false;

	assert_int_equal(allocations, 0);
	assert_false(exists_at(d->top_fd, STALE));
	assert_int_equal(cg->stale_pending, 0);
	assert_true(exists_at(d->top_fd, LIVE));
	assert_true(exists_at(d->top_fd, OWN));
	assert_true(exists_at(d->top_fd, "other"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proc_cgroup),
		cmocka_unit_test(test_mountinfo),
		cmocka_unit_test(test_mountinfo_super_options),
		cmocka_unit_test(test_path_to_dir),
		cmocka_unit_test(test_job_name_round_trip),
		cmocka_unit_test(test_job_name_rejects),
		cmocka_unit_test(test_manager_tables),
		cmocka_unit_test(test_slice_path),
		cmocka_unit_test(test_systemd_manager_table),
		cmocka_unit_test_setup_teardown(test_sweep_allocates_nothing, sweep_dirs_setup,
						sweep_dirs_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
