/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Totals on a systemd host: the MemoryMax of the user's slice
 * (user-UID.slice), read and set over the system bus as `systemctl
 * set-property` does.  Set persistently (runtime false), so that systemd
 * writes its drop-in, SYSTEMD_CONTROL_DIR/user-UID.slice.d/50-MemoryMax.conf,
 * and the total survives a reboot; that drop-in is how `memrun policy
 * apply` knows later which slices it set.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define SYSTEMD_CONTROL_DIR "/etc/systemd/system.control"

typedef struct sd_bus sd_bus;

/* The system bus, with libsystemd loaded: 0, or -errno and why. */
int slice_bus_open(sd_bus **ret, char **ret_why);
void slice_bus_close(sd_bus *bus);

/* The MemoryMax systemd keeps for unit (UINT64_MAX: infinity). */
int slice_memory_max(sd_bus *bus, const char *unit, uint64_t *ret, char **ret_why);
/* Set it, persistently; bytes UINT64_MAX is infinity. */
int slice_set_memory_max(sd_bus *bus, const char *unit, uint64_t bytes, char **ret_why);

/* The drop-in systemd writes for uid's slice, malloc'ed. */
char *slice_dropin_path(uid_t uid);
/* The user IDs whose slice has that drop-in, sorted. */
int slice_dropin_uids(uid_t **ret, size_t *ret_count);
