/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

/* Where users and groups come from (getpwnam(3), getgrouplist(3)): in the
 * static memrun, /etc/passwd and /etc/group alone (src/userdb.c).  Call once,
 * before any lookup. */
void userdb_init(void);
