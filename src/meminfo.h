/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reading /proc/meminfo. */
#pragma once

#include <stdint.h>

/* Value of one /proc/meminfo field ("MemTotal") in bytes, or -errno. */
int meminfo_read(const char *field, uint64_t *ret_bytes);
/* Same, from the text of a meminfo file (for tests). */
int meminfo_parse(const char *text, const char *field, uint64_t *ret_bytes);
