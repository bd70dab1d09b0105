/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The static memrun's entry point (src/handover.c): where systemd is the
 * init system, the run goes to memrun-systemd, the same program linked
 * dynamically, which can load libsystemd.
 */
#pragma once

/* The dynamically linked memrun's file name, beside the static one in a
 * build tree; installed as MEMRUN_SYSTEMD (config.h). */
#define MEMRUN_SYSTEMD_NAME "memrun-systemd"

void handover(long *stack);
