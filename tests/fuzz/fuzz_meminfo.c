/* SPDX-License-Identifier: GPL-2.0-or-later */
/* /proc/meminfo (meminfo_parse), every field memrun and doctor read, and
 * the commit limit doctor works out from them. */
#include "fuzz.h"

#include "doctor.h"
#include "meminfo.h"
#include "util.h"

FUZZ_QUIET_INITIALIZER

static uint64_t field(const char *text, const char *name)
{
	uint64_t bytes = 42;
	int r = meminfo_parse(text, name, &bytes);

	if (r < 0) {
		FUZZ_ASSERT(r == -ENOENT || r == -EINVAL || r == -ERANGE);
		FUZZ_ASSERT(bytes == 42);	/* written only on success */
		return 0;
	}
	return bytes;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *text = fuzz_text(data, size);
	uint64_t total = field(text, "MemTotal"), hugetlb = field(text, "Hugetlb"),
		 swap = field(text, "SwapTotal");

	field(text, "MemAvailable");
	field(text, "CommitLimit");
	field(text, "Committed_AS");
	field(text, "HugePages_Total");
	doctor_commit_limit(total, hugetlb, swap, (long long)(field(text, "Active") % 200), 0);
	doctor_commit_limit(total, hugetlb, swap, 50, (long long)(field(text, "Inactive") >> 1));
	return 0;
}
