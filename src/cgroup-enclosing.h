/* SPDX-License-Identifier: GPL-2.0-or-later */
/* OOM evidence from memrun's own cgroup for a job without a cgroup of its own. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "cgroup.h"
#include "outcome.h"

struct enclosing_watch {
	int events_fd;		/* memrun's cgroup's events file; -1: none */
	char *dir;
	const char *events_file;
	uint64_t oom_kills_before;
	bool job_alone;		/* memrun alone there at the start: its counts are the job's */
};

/* Before the job starts: the count so far, and whether it will be the job's. */
void enclosing_watch_start(struct enclosing_watch *w, const struct cgroup_place *place);
/* After the job ended: kills counted meanwhile go into o, as the job's
 * (oom.kills, oom.killer "other") only where they can be attributed. */
void enclosing_watch_finish(struct enclosing_watch *w, struct outcome *o);
void enclosing_watch_free(struct enclosing_watch *w);
