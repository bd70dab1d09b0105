/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The rlimit system calls of the i386 ABI (int 0x80), made from a 64-bit
 * program as a 32-bit one makes them, so that the i386 rules of
 * --lock-limits are tried on the kernel without a 32-bit libc: one line a
 * call, "call RESOURCE: ok" or "call RESOURCE: EPERM".  Exits 77 where
 * there is no i386 ABI to call.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#if defined(__x86_64__)
#define NR_SETRLIMIT 75
#define NR_OLD_GETRLIMIT 76
#define NR_UGETRLIMIT 191
#define NR_PRLIMIT64 340

struct compat_rlimit {
	uint32_t cur, max;
};

struct compat_rlimit64 {
	uint64_t cur, max;
};

static long int80(long nr, long a, long b, long c, long d)
{
	long ret;

	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d)
			 : "memory", "cc", "r8", "r9", "r10", "r11");
	return ret;
}

static void report(const char *call, const char *resource, long ret)
{
	printf("%s %s: %s\n", call, resource,
	       ret == 0 ? "ok" : ret < 0 && ret > -4096 ? strerrorname_np((int)-ret) : "?");
}

int main(void)
{
	static const struct {
		const char *name;
		int resource;
	} resources[] = {
		{ "AS", RLIMIT_AS },
		{ "DATA", RLIMIT_DATA },
		{ "MEMLOCK", RLIMIT_MEMLOCK },
		{ "NOFILE", RLIMIT_NOFILE },
	};
	/* The i386 ABI takes 32-bit pointers: memory below 4 GiB. */
	void *low = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT,
			 -1, 0);
	struct compat_rlimit *r32;
	struct compat_rlimit64 *r64;

	if (low == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	r32 = low;
	r64 = (struct compat_rlimit64 *)((char *)low + 64);
	if (int80(NR_UGETRLIMIT, RLIMIT_NOFILE, (long)r32, 0, 0) == -ENOSYS) {
		printf("no i386 system calls on this kernel\n");
		return 77;
	}
	for (size_t i = 0; i < sizeof(resources) / sizeof(resources[0]); i++) {
		const char *name = resources[i].name;
		long res = resources[i].resource;

		report("ugetrlimit", name, int80(NR_UGETRLIMIT, res, (long)r32, 0, 0));
		report("getrlimit", name, int80(NR_OLD_GETRLIMIT, res, (long)r32, 0, 0));
		report("prlimit64-read", name, int80(NR_PRLIMIT64, 0, res, 0, (long)r64));
		/* The values just read: allowed to anyone but for the lock. */
		int80(NR_UGETRLIMIT, res, (long)r32, 0, 0);
		report("setrlimit", name, int80(NR_SETRLIMIT, res, (long)r32, 0, 0));
		report("prlimit64-set", name, int80(NR_PRLIMIT64, 0, res, (long)r64, 0));
	}
	return 0;
}
#else
int main(void)
{
	printf("the i386 ABI exists on x86_64 only\n");
	return 77;
}
#endif
