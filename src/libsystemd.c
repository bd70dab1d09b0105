/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "libsystemd.h"

#include <dlfcn.h>

#include "util.h"

#define LIBSYSTEMD_DEFINE(name) typeof(name) *sym_##name;
LIBSYSTEMD_SYMBOLS(LIBSYSTEMD_DEFINE)
#undef LIBSYSTEMD_DEFINE

#ifdef MEMRUN_STATIC
int libsystemd_load(char **ret_why)
{
	if (ret_why)
		*ret_why = xstrdup("this memrun was linked statically (make STATIC=1), which "
				   "cannot load libsystemd: build it with STATIC=0 to talk to "
				   "systemd");
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
