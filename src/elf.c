/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "elf.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "util.h"

#define SCRIPT_DEPTH_MAX 4

enum program_kind program_kind_from_header(const unsigned char *buf, size_t len)
{
	Elf64_Ehdr eh;

	if (len >= 2 && buf[0] == '#' && buf[1] == '!')
		return PROGRAM_SCRIPT;
	if (len < sizeof(Elf64_Ehdr) || memcmp(buf, ELFMAG, SELFMAG) != 0 ||
	    buf[EI_CLASS] != ELFCLASS64)
		return PROGRAM_UNKNOWN;
	/* Copied, not cast: neither buf nor the file's e_phoff need be aligned. */
	memcpy(&eh, buf, sizeof(eh));
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phoff > len ||
	    eh.e_phnum > (len - eh.e_phoff) / sizeof(Elf64_Phdr))
		return PROGRAM_UNKNOWN;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, buf + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type == PT_INTERP)
			return PROGRAM_DYNAMIC;
	}
	return PROGRAM_STATIC;
}

static enum program_kind kind_at_depth(const char *path, int depth)
{
	unsigned char buf[4096];
	_cleanup_close_ int fd = -1;
	enum program_kind kind;
	struct stat st;
	ssize_t n;

	/* The job may have put a FIFO or a device in its program's place (or
	 * its interpreter's) by the time memrun looks: opened without
	 * blocking, and read only when it is a regular file. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return PROGRAM_UNKNOWN;
	if (st.st_mode & (S_ISUID | S_ISGID))
		return PROGRAM_SETID;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return PROGRAM_UNKNOWN;
	kind = program_kind_from_header(buf, (size_t)n);
	if (kind == PROGRAM_SCRIPT && depth < SCRIPT_DEPTH_MAX) {
		char *interp = (char *)buf + 2, *end;

		buf[n] = '\0';
		while (*interp == ' ' || *interp == '\t')
			interp++;
		end = interp + strcspn(interp, " \t\n");
		*end = '\0';
		return *interp ? kind_at_depth(interp, depth + 1) : PROGRAM_UNKNOWN;
	}
	return kind;
}

enum program_kind program_kind(const char *path)
{
	return kind_at_depth(path, 0);
}
