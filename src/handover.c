/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The first instructions of the static memrun, before glibc's start-up.
 *
 * memrun is linked static-pie: the cheapest start a launcher can have
 * (BENCHMARKS.md).  A static program cannot load libsystemd, which the
 * systemd cgroup manager and the journal need; so where systemd is the
 * init system (sd_booted(3): /run/systemd/system exists) or
 * systemd-journald runs (its socket exists), memrun hands the run over to
 * memrun-systemd, the same program linked dynamically: same pid, same
 * arguments, same environment.  It looks beside its own
 * file first (a build tree) and then in MEMRUN_SYSTEMD (the installed
 * place).  When neither can be executed memrun runs as itself, and says
 * what it lacks if the job needs systemd (src/libsystemd.c).
 *
 * Why before glibc: the start-up of a static glibc program costs 8 to 10
 * ms under emulation, where the systemd benchmark runs, and a hand-over
 * after it would pay that on every systemd host; here it costs one exec.
 *
 * Nothing is set up yet.  The program is not relocated, so only data
 * reached relative to the instruction pointer (string literals) and
 * direct calls; there is no thread pointer, so no errno and no stack
 * protector; no libc, so system calls by hand, and no loop the compiler
 * could turn into a call to memcpy (the Makefile builds this file with
 * -ffreestanding -fno-stack-protector -fno-tree-loop-distribute-patterns).
 */
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "handover.h"

#if !defined(__x86_64__)
#error "the hand-over entry is written for x86-64; build with STATIC=0 elsewhere"
#endif

static long raw_syscall3(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
}

static const char *base_name(const char *path)
{
	const char *base = path;

	for (const char *p = path; *p; p++)
		if (*p == '/')
			base = p + 1;
	return base;
}

static int same_string(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

/*
 * A static memrun installed as memrun-systemd by mistake would hand over
 * to itself for ever: the name the kernel ran (AT_EXECFN) says it is the
 * companion already.
 */
static int started_as_companion(char **envp)
{
	char **p = envp;
	Elf64_auxv_t *aux;

	while (*p)
		p++;
	for (aux = (Elf64_auxv_t *)(p + 1); aux->a_type != AT_NULL; aux++)
		if (aux->a_type == AT_EXECFN)
			return same_string(base_name((const char *)aux->a_un.a_val),
					   MEMRUN_SYSTEMD_NAME);
	return 0;
}

/* Called from memrun_entry with the stack the kernel set up: argc, the
 * arguments, NULL, the environment, NULL, the auxiliary vector. */
__attribute__((visibility("hidden"), used, noinline)) void handover(long *stack)
{
	char **argv = (char **)(stack + 1);
	char **envp = argv + stack[0] + 1;
	char path[PATH_MAX];
	long n, dir_len = 0;

	if ((raw_syscall3(SYS_access, (long)"/run/systemd/system", F_OK, 0) != 0 &&
	     raw_syscall3(SYS_access, (long)"/run/systemd/journal/socket", F_OK, 0) != 0) ||
	    started_as_companion(envp))
		return;
	/* Beside this file: memrun-systemd of the same build tree. */
	n = raw_syscall3(SYS_readlink, (long)"/proc/self/exe", (long)path, sizeof(path));
	for (long i = 0; i < n && i < (long)sizeof(path); i++)
		/* readlink wrote path[0..n), in assembly the analyzer does not see:
		 * NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult) */
		if (path[i] == '/')
			dir_len = i + 1;
	if (n > 0 && n < (long)sizeof(path) && dir_len > 0 &&
	    dir_len + (long)sizeof(MEMRUN_SYSTEMD_NAME) <= (long)sizeof(path)) {
		const char *name = MEMRUN_SYSTEMD_NAME;
		long i = 0;

		do
			path[dir_len + i] = name[i];
		while (name[i++]);
		raw_syscall3(SYS_execve, (long)path, (long)argv, (long)envp);
	}
	raw_syscall3(SYS_execve, (long)MEMRUN_SYSTEMD, (long)argv, (long)envp);
}

/*
 * The entry point (the Makefile links with -e memrun_entry): handover()
 * with the kernel's stack pointer, then glibc's _start exactly as the
 * kernel left things.  %rdx holds what _start takes for the dynamic
 * loader's finalizer (0 from the kernel); %r12 is kept across the call.
 */
__asm__(".text\n"
	".globl memrun_entry\n"
	".hidden memrun_entry\n"
	".type memrun_entry, @function\n"
	"memrun_entry:\n"
	"	endbr64\n"
	"	mov %rdx, %r12\n"
	"	mov %rsp, %rdi\n"
	"	call handover\n"
	"	mov %r12, %rdx\n"
	"	jmp _start\n"
	".size memrun_entry, .-memrun_entry\n");
