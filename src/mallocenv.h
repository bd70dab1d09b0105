/* SPDX-License-Identifier: GPL-2.0-or-later */
/* glibc malloc tuning handed to the job as GLIBC_TUNABLES. */
#pragma once

#include "settings.h"

/*
 * The GLIBC_TUNABLES value for the job: the caller's tunables (existing,
 * may be NULL) with memrun's glibc.malloc.* values merged in, memrun's
 * winning for the same key and the caller's order kept.  Returns a
 * malloc'ed string, or NULL when no malloc setting is set (the caller's
 * value then passes through untouched).
 */
char *mallocenv_merge(const char *existing, const struct setting_value values[SETTING_COUNT]);
