/* SPDX-License-Identifier: GPL-2.0-or-later */
/* systemd-oomd's journal record of a kill (oomd_parse_message): the
 * MESSAGE field, not NUL-terminated, which names cgroups a job may name. */
#include "fuzz.h"

#include "oomd.h"
#include "util.h"

#define JOB_SUFFIX "/memrun-4242-a0b1c2d3e4f5a6b7"

FUZZ_QUIET_INITIALIZER

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *text = fuzz_text(data, size);
	struct oomd_record r = { .rule = OOMD_RULE_UNKNOWN };

	/* libFuzzer's data is a heap block of exactly size bytes: a read
	 * past the message is caught. */
	if (oomd_parse_message((const char *)data, size, &r)) {
		FUZZ_ASSERT(r.cgroup && r.cgroup[0] == '/');
		FUZZ_ASSERT(r.rule == OOMD_RULE_PRESSURE || r.rule == OOMD_RULE_SWAP);
		FUZZ_ASSERT(oomd_rule_name(r.rule));
		if (r.rule == OOMD_RULE_PRESSURE)
			FUZZ_ASSERT(r.monitored && r.duration && r.duration_s >= 0);
		oomd_path_is_job(r.cgroup, JOB_SUFFIX);
		oomd_record_free(&r);
	} else {
		FUZZ_ASSERT(!r.cgroup && !r.monitored && !r.duration);
	}
	oomd_path_is_job(text, JOB_SUFFIX);
	return 0;
}
