/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The administrator's policy.conf (policy_parse_text), and what it binds
 * for a caller (policy_bind).  Root writes the file, but memrun reads it
 * in every caller's process, an elevated one too. */
#include "fuzz.h"

#include "policy.h"
#include "util.h"

FUZZ_QUIET_INITIALIZER

static void bind(const struct policy *policy, const struct policy_caller *caller)
{
	struct policy_binding binding;
	char buf[160];

	policy_bind(policy, caller, &binding);
	FUZZ_ASSERT(binding.path == policy->path);
	for (unsigned k = 0; k < POLICY_KEY_COUNT; k++) {
		if (!binding.from[k])
			continue;
		FUZZ_ASSERT(binding.values[k].set);
		policy_section_describe(binding.from[k], buf, sizeof(buf));
		FUZZ_ASSERT(fuzz_terminated(buf, sizeof(buf)));
	}
	policy_allows_profile(&binding, "db");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const gid_t groups[] = { 27, 100, 1001 };
	const struct policy_caller alice = {
		.uid = 1000, .gid = 1000, .groups = groups, .n_groups = ELEMENTSOF(groups),
		.user = "alice",
	};
	const struct policy_caller nameless = { .uid = 4242, .gid = 4242 };
	_cleanup_free_ char *text = NULL;
	struct policy policy = { 0 };
	int r;

	if (size > 64 << 10)
		return -1;	/* read as a profile is: at most 64 KiB */
	text = fuzz_text(data, size);
	r = policy_parse_text(&policy, "/etc/memrun/policy.conf", text);
	if (r < 0) {
		FUZZ_ASSERT(r == -EINVAL);
		FUZZ_ASSERT(!policy.path && !policy.count && !policy.sections);
	} else {
		FUZZ_ASSERT(r == 0 && policy.path);
		bind(&policy, &alice);
		bind(&policy, &nameless);
	}
	policy_free(&policy);
	return 0;
}
