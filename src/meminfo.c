/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "meminfo.h"

#include <ctype.h>

#include "util.h"

int meminfo_parse(const char *text, const char *field, uint64_t *ret_bytes)
{
	size_t flen = strlen(field);

	for (const char *line = text; line && *line;) {
		if (strncmp(line, field, flen) == 0 && line[flen] == ':') {
			const char *p = line + flen + 1;
			uint64_t value = 0;
			bool digits = false;

			while (*p == ' ' || *p == '\t')
				p++;
			for (; isdigit((unsigned char)*p); p++, digits = true) {
				unsigned digit = (unsigned)(*p - '0');

				if (value > (UINT64_MAX - digit) / 10)
					return -ERANGE;
				value = value * 10 + digit;
			}
			if (!digits)
				return -EINVAL;
			/* Every size field is in kB except the HugePages_ counts. */
			if (strncmp(p, " kB", 3) == 0) {
				if (value > UINT64_MAX / 1024)
					return -ERANGE;
				value *= 1024;
			}
			*ret_bytes = value;
			return 0;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return -ENOENT;
}

int meminfo_read(const char *field, uint64_t *ret_bytes)
{
	char buf[8192];
	ssize_t n = read_small_file("/proc/meminfo", buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	return meminfo_parse(buf, field, ret_bytes);
}
