/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "seccomp-lock.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"
#include "util.h"

static const int locked_resources[] = { RLIMIT_AS, RLIMIT_DATA, RLIMIT_MEMLOCK };

/*
 * The ABIs beside the native one that a process of this machine can make
 * system calls in: each has its own numbers, and one left out would be a
 * way round the lock (a 64-bit program can still call int 0x80).  A call
 * in an ABI the filter does not know kills the process, never passes
 * unchecked.
 */
static const struct {
	uint32_t arch;
	const char *name;
} compat_abis[] = {
#if defined(__x86_64__)
	{ SCMP_ARCH_X86, "i386" },
	{ SCMP_ARCH_X32, "x32" },
#elif defined(__aarch64__)
	{ SCMP_ARCH_ARM, "arm" },
#endif
};

#if defined(__x86_64__)
#define NATIVE_ABI "x86_64"
#elif defined(__aarch64__)
#define NATIVE_ABI "aarch64"
#else
#define NATIVE_ABI "the native ABI"
#endif

const char *seccomp_lock_abis(void)
{
	static char abis[64];

	if (!abis[0]) {
		size_t len = (size_t)snprintf(abis, sizeof(abis), "%s", NATIVE_ABI);

		for (size_t i = 0; i < ELEMENTSOF(compat_abis); i++)
			len += (size_t)snprintf(abis + len, sizeof(abis) - len, "%s%s",
						i + 1 == ELEMENTSOF(compat_abis) ? " and " : ", ",
						compat_abis[i].name);
	}
	return abis;
}

const char *seccomp_lock_limits(void)
{
	return "RLIMIT_AS, RLIMIT_DATA and RLIMIT_MEMLOCK";
}

bool seccomp_lock_needs_no_new_privs(void)
{
	return !caps_have_sys_admin();
}

/*
 * The rules.  The resource is an unsigned int to the kernel, which ignores
 * the upper half of its 64-bit register: compared under a 32-bit mask, so
 * that RLIMIT_AS | 1 << 32 is RLIMIT_AS here too.  prlimit64 with a NULL
 * new limit only reads.
 */
static int add_rules(scmp_filter_ctx ctx, const char **ret_call)
{
	for (size_t i = 0; i < ELEMENTSOF(locked_resources); i++) {
		scmp_datum_t resource = (scmp_datum_t)locked_resources[i];
		int r;

		*ret_call = "setrlimit";
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(setrlimit), 1,
				     SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffU, resource));
		if (r < 0)
			return r;
		*ret_call = "prlimit64";
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(prlimit64), 2,
				     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffU, resource),
				     SCMP_A2(SCMP_CMP_NE, 0));
		if (r < 0)
			return r;
	}
	return 0;
}

/* libseccomp writes the program to a file descriptor (2.5 has no
 * export to memory): a memfd, read back whole. */
static int export_program(scmp_filter_ctx ctx, struct sock_fprog *ret, char **ret_why)
{
	_cleanup_close_ int fd = memfd_create("memrun-lock-limits", MFD_CLOEXEC);
	_cleanup_free_ struct sock_filter *filter = NULL;
	off_t size;
	size_t done = 0;
	int r;

	if (fd < 0) {
		r = -errno;
		*ret_why = xasprintf("memfd_create: %s", strerror(-r));
		return r;
	}
	r = seccomp_export_bpf(ctx, fd);
	if (r < 0) {
		*ret_why = xasprintf("libseccomp could not compile the filter: %s", strerror(-r));
		return r;
	}
	size = lseek(fd, 0, SEEK_END);
	if (size < 0) {
		r = -errno;
		*ret_why = xasprintf("cannot read the compiled filter back: %s", strerror(-r));
		return r;
	}
	if (size == 0 || size % (off_t)sizeof(struct sock_filter) != 0 ||
	    size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS) {
		*ret_why = xasprintf("libseccomp compiled a filter of %lld bytes, not a program "
				     "the kernel takes", (long long)size);
		return -EINVAL;
	}
	filter = xmalloc((size_t)size);
	while (done < (size_t)size) {
		ssize_t n = pread(fd, (char *)filter + done, (size_t)size - done, (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			*ret_why = xasprintf("cannot read the compiled filter back: %s",
					     strerror(-r));
			return r;
		}
		done += (size_t)n;
	}
	ret->len = (unsigned short)(size / (off_t)sizeof(struct sock_filter));
	ret->filter = TAKE_PTR(filter);
	return 0;
}

int seccomp_lock_build(struct seccomp_lock *ret, char **ret_why)
{
	scmp_filter_ctx ctx;
	const char *call = NULL;
	int r;

	*ret_why = NULL;
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx) {
		*ret_why = xstrdup("libseccomp could not make a filter (seccomp_init failed)");
		return -ENOMEM;
	}
	r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (r < 0) {
		*ret_why = xasprintf("libseccomp cannot set the action for unknown ABIs: %s",
				     strerror(-r));
		goto out;
	}
	for (size_t i = 0; i < ELEMENTSOF(compat_abis); i++) {
		r = seccomp_arch_add(ctx, compat_abis[i].arch);
		if (r < 0 && r != -EEXIST) {
			*ret_why = xasprintf("libseccomp cannot add the %s ABI: %s", compat_abis[i].name,
					     strerror(-r));
			goto out;
		}
	}
	r = add_rules(ctx, &call);
	if (r < 0) {
		*ret_why = xasprintf("libseccomp cannot add the rule for %s: %s", call, strerror(-r));
		goto out;
	}
	r = export_program(ctx, &ret->prog, ret_why);
	if (r < 0)
		goto out;
	ret->no_new_privs = seccomp_lock_needs_no_new_privs();
out:
	seccomp_release(ctx);
	return r;
}

int seccomp_lock_load(const struct seccomp_lock *lock)
{
	if (lock->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &lock->prog) < 0)
		return -errno;
	return 0;
}

void seccomp_lock_free(struct seccomp_lock *lock)
{
	free(lock->prog.filter);
	*lock = (struct seccomp_lock)SECCOMP_LOCK_INIT;
}
