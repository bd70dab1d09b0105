/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The head of the job's program: whether the probe can see it
 * (program_kind_from_header), and for a script its interpreter line,
 * followed as memrun follows it (program_kind, on a memfd).  Any file
 * may be the command. */
#include "fuzz.h"

#include <sys/mman.h>

#include "elf.h"

static int program_fd = -1;
static char program_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_quiet();
	program_fd = memfd_create("program", MFD_CLOEXEC);
	if (program_fd < 0)
		abort();
	snprintf(program_path, sizeof(program_path), "/proc/self/fd/%d", program_fd);
	return 0;
}

static bool known(enum program_kind kind)
{
	return kind == PROGRAM_UNKNOWN || kind == PROGRAM_SCRIPT || kind == PROGRAM_STATIC ||
	       kind == PROGRAM_DYNAMIC || kind == PROGRAM_SETID;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return -1;	/* memrun reads the first 4 KiB */
	FUZZ_ASSERT(known(program_kind_from_header(data, size)));
	if (ftruncate(program_fd, 0) < 0 || (size && pwrite(program_fd, data, size, 0) != (ssize_t)size))
		abort();
	FUZZ_ASSERT(known(program_kind(program_path)));
	return 0;
}
