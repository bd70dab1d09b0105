/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Users and groups come from the name service switch (nsswitch.conf).  A
 * statically linked program cannot load its modules (systemd, sss, ldap):
 * glibc would load a second libc into it, and a lookup can crash, as it
 * does with Debian's "passwd: files systemd".  The static memrun therefore
 * reads /etc/passwd and /etc/group alone, which glibc has built in; where
 * a policy names users and groups, or systemd runs, it runs as
 * memrun-systemd (src/handover.c), which asks the switch as configured.  This file is built twice, as libsystemd.c
 * is: MEMRUN_STATIC for the static memrun.
 */
#include "userdb.h"

#include <nss.h>

void userdb_init(void)
{
#ifdef MEMRUN_STATIC
	(void)__nss_configure_lookup("passwd", "files");
	(void)__nss_configure_lookup("group", "files");
	(void)__nss_configure_lookup("initgroups", "files");
#endif
}
