/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SIZE values: "64M", "1.5GiB", "50%", "max", as flags and profiles take them. */
#pragma once

#include <stdint.h>

enum size_kind {
	SIZE_BYTES,
	SIZE_PERCENT,	/* of the memory the job could use at most */
	SIZE_UNLIMITED,
};

struct size_spec {
	enum size_kind kind;
	uint64_t bytes;			/* SIZE_BYTES */
	uint32_t percent_milli;		/* SIZE_PERCENT: 50% is 50000 */
};

/* Largest byte count accepted: fits int64 for JSON and never meets RLIM_INFINITY. */
#define SIZE_MAX_BYTES ((uint64_t)INT64_MAX)

/*
 * Parse a SIZE into *ret, written only on success.  On failure returns
 * -EINVAL or -ERANGE and, unless ret_why is NULL, a malloc'ed reason in
 * *ret_why ("negative sizes are not allowed").
 */
int size_parse(const char *text, struct size_spec *ret, char **ret_why);

/* Bytes a percentage stands for, given the memory the job could use. */
uint64_t size_percent_of(uint32_t percent_milli, uint64_t budget_bytes);

/* "64 MiB", "1.4 GiB", "512 B": for people, never parsed back. */
const char *size_format(uint64_t bytes, char buf[static 32]);
/* "50%", "max" or size_format(). */
const char *size_spec_format(const struct size_spec *spec, char buf[static 32]);
