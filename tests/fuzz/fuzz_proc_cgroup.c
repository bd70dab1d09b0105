/* SPDX-License-Identifier: GPL-2.0-or-later */
/* /proc/PID/cgroup (cgroup_parse_proc_cgroup, cgroup_proc_path), and the
 * names of cgroups memrun finds beside its jobs' (cgroup_parse_job_name),
 * which a job may make. */
#include "fuzz.h"

#include "cgroup-internal.h"
#include "util.h"

FUZZ_QUIET_INITIALIZER

/* A name cgroup_parse_job_name takes is one memrun would make. */
static void job_name(const char *name)
{
	_cleanup_free_ char *again = NULL;
	uint64_t token = 0;
	pid_t pid = 0;

	if (!cgroup_parse_job_name(name, &pid, &token))
		return;
	FUZZ_ASSERT(pid > 0);
	again = cgroup_job_name(pid, token);
	FUZZ_ASSERT(streq(again, name));
}

static void last_component(const char *path)
{
	const char *slash;

	if (!path)
		return;
	slash = strrchr(path, '/');
	job_name(slash ? slash + 1 : path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *text = fuzz_text(data, size);
	_cleanup_free_ char *v2 = NULL, *v1 = NULL;
	size_t len = strlen(text);
	int r;

	r = cgroup_parse_proc_cgroup(text, &v2, &v1);
	FUZZ_ASSERT(r == 0 ? v2 || v1 : r == -ENOENT && !v2 && !v1);
	for (int unified = 0; unified < 2; unified++) {
		size_t path_len = SIZE_MAX;
		const char *path = cgroup_proc_path(text, unified, &path_len);

		if (!path)
			continue;
		/* Within the text, one line's. */
		FUZZ_ASSERT(path >= text && path_len <= len && path + path_len <= text + len);
		FUZZ_ASSERT(!memchr(path, '\n', path_len));
	}
	last_component(v2);
	last_component(v1);
	job_name(text);
	return 0;
}
