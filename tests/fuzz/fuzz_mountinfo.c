/* SPDX-License-Identifier: GPL-2.0-or-later */
/* /proc/self/mountinfo: the cgroup mounts (cgroup_parse_mountinfo, v2 and
 * v1's memory hierarchy), a path within them (cgroup_path_to_dir), and
 * doctor's layout (doctor_cgroup_layout). */
#include "fuzz.h"

#include "cgroup.h"
#include "doctor.h"
#include "util.h"

FUZZ_QUIET_INITIALIZER

static void one_hierarchy(const char *text, bool v2, bool want_superopts)
{
	_cleanup_free_ char *mountpoint = NULL, *root = NULL, *superopts = NULL;
	int r = cgroup_parse_mountinfo(text, v2, &mountpoint, &root,
				       want_superopts ? &superopts : NULL);
	_cleanup_free_ char *dir = NULL, *own = NULL;

	if (r < 0) {
		FUZZ_ASSERT(r == -ENOENT);
		FUZZ_ASSERT(!mountpoint && !root && !superopts);
		return;
	}
	FUZZ_ASSERT(r == 0 && mountpoint && root);
	FUZZ_ASSERT(!want_superopts || superopts);
	/* The paths of /proc/self/cgroup and of the job's cgroup, there. */
	dir = cgroup_path_to_dir(mountpoint, root, "/user.slice/memrun-1-a0b1c2d3e4f5a6b7");
	own = cgroup_path_to_dir(mountpoint, root, root);
	FUZZ_ASSERT(own);
	if (superopts)
		list_contains(superopts, ',', "memory_localevents");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *text = fuzz_text(data, size);
	enum doctor_cgroup_layout layout;

	one_hierarchy(text, true, true);
	one_hierarchy(text, false, true);
	one_hierarchy(text, true, false);
	layout = doctor_cgroup_layout(text);
	FUZZ_ASSERT(layout >= DOCTOR_CGROUP_NONE && layout <= DOCTOR_CGROUP_UNIFIED);
	return 0;
}
