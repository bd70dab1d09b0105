/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Every setting's parser (setting_parse), as a flag's argument or a
 * profile value reaches it, and the value formatted back. */
#include "fuzz.h"

#include "settings.h"
#include "util.h"

FUZZ_QUIET_INITIALIZER

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *text = fuzz_text(data, size);
	static char buf[SETTING_FORMAT_MAX];

	for (unsigned id = 0; id < SETTING_COUNT; id++) {
		const struct setting_desc *d = &setting_table[id];
		struct setting_value v = { .origin = { .kind = ORIGIN_FLAG, .line = 7 } };
		_cleanup_free_ char *why = NULL;
		int r = setting_parse(id, text, &v, &why);

		if (r < 0) {
			FUZZ_ASSERT(why && *why);
			FUZZ_ASSERT(!v.set);
			continue;
		}
		FUZZ_ASSERT(v.set && v.origin.kind == ORIGIN_FLAG && v.origin.line == 7);
		if (d->kind == VALUE_INTEGER || d->kind == VALUE_BYTES)
			FUZZ_ASSERT(v.number >= d->min && v.number <= d->max);
		if (d->kind == VALUE_BOOL)
			FUZZ_ASSERT(v.number == 0 || v.number == 1);
		if (d->kind == VALUE_PATH || d->kind == VALUE_CHOICE || d->kind == VALUE_SLICE)
			FUZZ_ASSERT(v.text && *v.text);
		setting_format(id, &v, buf);
		FUZZ_ASSERT(fuzz_terminated(buf, sizeof(buf)));
	}
	settings_free_strings();
	return 0;
}
