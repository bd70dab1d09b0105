/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Profile files (profile_parse_text): any text given as a profile, with
 * inherit resolved along this tree's profiles. */
#include "fuzz.h"

#include "profile.h"
#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_quiet();
	/* "inherit = db" finds the shipped profiles, and only those. */
	setenv("MEMRUN_PROFILE_PATH", SOURCE_TREE_PROFILE_DIR, 1);
	unsetenv("HOME");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *text = NULL;
	struct setting_value values[SETTING_COUNT] = { 0 };
	struct profile_set set = { 0 };
	int r;

	if (size > PROFILE_MAX_BYTES)
		return -1;	/* profile_read_file refuses it before any parse */
	text = fuzz_text(data, size);
	/* A relative inherit resolves beside the profiles. */
	r = profile_parse_text(&set, SOURCE_TREE_PROFILE_DIR "/fuzz.conf", text, values);
	if (r >= 0) {
		for (unsigned i = 0; i < SETTING_COUNT; i++) {
			static char buf[SETTING_FORMAT_MAX];

			if (!values[i].set)
				continue;
			FUZZ_ASSERT(values[i].origin.kind == ORIGIN_PROFILE);
			setting_format(i, &values[i], buf);
			FUZZ_ASSERT(fuzz_terminated(buf, sizeof(buf)));
		}
	}
	FUZZ_ASSERT(set.count >= 1);
	profile_set_free(&set);
	settings_free_strings();
	return 0;
}
