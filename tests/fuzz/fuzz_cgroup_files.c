/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The cgroup files memrun reads counters and limits from: memory.events
 * and memory.events.local, memory.stat, v1's memory.oom_control,
 * cgroup.events (cg_keyed_u64), one-value files such as memory.max
 * (cg_parse_u64), cgroup.controllers (list_contains); and memory.events
 * read as the v2 manager reads it, through an fd (a memfd here). */
#include "fuzz.h"

#include <sys/mman.h>

#include "cgroup-internal.h"
#include "cgroupfs.h"
#include "util.h"

static int events_fd = -1, peak_fd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_quiet();
	events_fd = memfd_create("memory.events", MFD_CLOEXEC);
	peak_fd = memfd_create("memory.peak", MFD_CLOEXEC);
	if (events_fd < 0 || peak_fd < 0)
		abort();
	return 0;
}

static void put(int fd, const uint8_t *data, size_t size)
{
	if (ftruncate(fd, 0) < 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = {
		"oom", "oom_kill", "oom_group_kill", "max", "high", "low", "populated",
		"frozen", "under_oom", "total_rss", "hierarchical_memory_limit",
	};
	_cleanup_free_ char *text = fuzz_text(data, size);
	struct cgroup_counters counters = { 0 };
	uint64_t value;
	char *first_line;

	for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
		value = 42;
		if (cg_keyed_u64(text, keys[i], &value) < 0)
			FUZZ_ASSERT(value == 42);	/* written only on success */
	}
	value = 42;
	if (cg_parse_u64(text, &value) < 0)
		FUZZ_ASSERT(value == 42);

	/* As the v2 manager reads memory.events and memory.peak. */
	put(events_fd, data, size);
	put(peak_fd, data, size);
	cgroup_v2_read_events(events_fd, peak_fd, -1, &counters);
	cg_pread_u64(peak_fd, &value);

	first_line = strtok(text, "\n");
	list_contains(first_line, ' ', "memory");
	return 0;
}
