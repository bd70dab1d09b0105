/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SIZE values (size_parse), as flags and profiles take them, and their
 * formatting. */
#include "fuzz.h"

#include "size.h"
#include "util.h"

FUZZ_QUIET_INITIALIZER

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *text = fuzz_text(data, size), *why = NULL;
	struct size_spec spec = { .kind = SIZE_BYTES, .bytes = 12345 };
	char buf[32];
	int r;

	r = size_parse(text, &spec, &why);
	if (r < 0) {
		/* A failure says why, and leaves the result alone. */
		FUZZ_ASSERT(r == -EINVAL || r == -ERANGE);
		FUZZ_ASSERT(why && *why);
		FUZZ_ASSERT(spec.kind == SIZE_BYTES && spec.bytes == 12345);
		FUZZ_ASSERT(size_parse(text, &spec, NULL) == r);
		return 0;
	}
	FUZZ_ASSERT(!why);
	switch (spec.kind) {
	case SIZE_BYTES:
		FUZZ_ASSERT(spec.bytes <= SIZE_MAX_BYTES);
		size_format(spec.bytes, buf);
		break;
	case SIZE_PERCENT:
		FUZZ_ASSERT(spec.percent_milli > 0 && spec.percent_milli <= 100000);
		/* Never more than the whole budget. */
		FUZZ_ASSERT(size_percent_of(spec.percent_milli, (uint64_t)1 << 40) <= (uint64_t)1 << 40);
		break;
	case SIZE_UNLIMITED:
		break;
	default:
		FUZZ_ASSERT(!"a kind size.h does not have");
	}
	size_spec_format(&spec, buf);
	FUZZ_ASSERT(fuzz_terminated(buf, sizeof(buf)));
	return 0;
}
