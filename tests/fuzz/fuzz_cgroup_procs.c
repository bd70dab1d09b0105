/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A cgroup directory's pid list and controller lists, as the v2 manager
 * reads them to decide whether a cgroup may be the job's parent
 * (check_parent: cgroup.procs, with the message naming the other
 * processes; memory_enabled: cgroup.controllers).  A job may fill
 * cgroup.procs of a cgroup it was delegated.  Files in a temporary
 * directory stand for the cgroup's.
 */
#include "fuzz.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "cgroup.h"
#include "util.h"

static char dir[] = "/tmp/memrun-fuzz-cgroup.XXXXXX";
static const char *const files[] = {
	"cgroup.procs", "cgroup.controllers", "cgroup.subtree_control", "cgroup.type",
};

static void put(const char *name, const void *data, size_t size)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
		abort();
}

static void remove_dir(void)
{
	for (size_t i = 0; i < ELEMENTSOF(files); i++) {
		_cleanup_free_ char *path = xasprintf("%s/%s", dir, files[i]);

		unlink(path);
	}
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_quiet();
	if (!mkdtemp(dir))
		abort();
	atexit(remove_dir);
	/* Not the hierarchy's root (it has cgroup.type), memory available
	 * but not handed down: the pid list decides. */
	put("cgroup.type", "domain\n", 7);
	put("cgroup.subtree_control", "", 0);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *why = NULL;
	int r;

	put("cgroup.controllers", "cpu io memory pids\n", 19);
	put("cgroup.procs", data, size);
	for (int own = 0; own < 2; own++) {
		r = cgroup_v2_manager.check_parent(dir, own, &why);
		FUZZ_ASSERT(r == 0 ? !why : r == -EBUSY && why && *why);
		free(why);
		why = NULL;
	}
	put("cgroup.controllers", data, size);
	cgroup_v2_manager.memory_enabled(dir);
	return 0;
}
