/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "libsystemd.h"

#include <dlfcn.h>

#include "handover.h"
#include "util.h"

#define LIBSYSTEMD_DEFINE(name) typeof(name) *sym_##name;
LIBSYSTEMD_SYMBOLS(LIBSYSTEMD_DEFINE)
#undef LIBSYSTEMD_DEFINE

#ifdef MEMRUN_STATIC
/* The static memrun hands a run over to memrun-systemd where systemd is
 * init or systemd-journald runs (src/handover.c): it runs as itself there
 * only when it could not. */
int libsystemd_load(char **ret_why)
{
	if (!ret_why)
		return -EOPNOTSUPP;
	if (access("/run/systemd/system", F_OK) < 0 &&
	    access("/run/systemd/journal/socket", F_OK) < 0)
		*ret_why = xstrdup("neither systemd nor systemd-journald runs here, and this "
				   "memrun, linked statically, loads libsystemd only as "
				   MEMRUN_SYSTEMD_NAME ", which it runs as where either does");
	else
		*ret_why = xstrdup("this memrun is linked statically and cannot load libsystemd: "
				   "where systemd runs it runs as " MEMRUN_SYSTEMD_NAME ", found "
				   "neither beside it nor as " MEMRUN_SYSTEMD ": reinstall memrun "
				   "(make install)");
	return -EOPNOTSUPP;
}
#else
int libsystemd_load(char **ret_why)
{
	static int loaded = 1;	/* 1: not tried yet */
	static char *why;
	void *dl;

	if (loaded <= 0)
		goto out;
	/* The soname, not libsystemd.so: only the -dev package has that. */
	dl = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
	if (!dl) {
		why = xasprintf("cannot load libsystemd.so.0 (%s): install libsystemd0", dlerror());
		loaded = -ENOENT;
		goto out;
	}
#define LIBSYSTEMD_RESOLVE(name)							\
	if (!(sym_##name = (typeof(name) *)dlsym(dl, #name))) {				\
		why = xasprintf("libsystemd.so.0 lacks %s: it is older than memrun needs",	\
				#name);							\
		loaded = -EOPNOTSUPP;							\
		goto out;								\
	}
	LIBSYSTEMD_SYMBOLS(LIBSYSTEMD_RESOLVE)
#undef LIBSYSTEMD_RESOLVE
	loaded = 0;
out:
	if (loaded < 0 && ret_why)
		*ret_why = xstrdup(why);
	return loaded;
}
#endif
