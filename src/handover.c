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
 * arguments, same environment.  So it does where an administrator's
 * policy exists: the policy names users and groups, which only a dynamic
 * program can look up as nsswitch.conf says (directory services).  It looks beside its own
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

static int same_string(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

/* The path this program was executed by (AT_EXECFN), or "". */
static const char *executed_as(char **envp)
{
	char **p = envp;
	Elf64_auxv_t *aux;

	while (*p)
		p++;
	for (aux = (Elf64_auxv_t *)(p + 1); aux->a_type != AT_NULL; aux++)
		if (aux->a_type == AT_EXECFN)
			return (const char *)aux->a_un.a_val;
	return "";
}

/*
 * Executes path, unless this program was executed by that very path: a
 * static memrun installed as memrun-systemd by mistake then runs as
 * itself instead of handing over to itself for ever.  Only the exact path
 * counts, so a caller's symlink named memrun-systemd hands over as usual.
 */
static void hand_over_to(const char *path, char **argv, char **envp)
{
	if (!same_string(path, executed_as(envp)))
		raw_syscall3(SYS_execve, (long)path, (long)argv, (long)envp);
}

/* Called from memrun_entry with the stack the kernel set up: argc, the
 * arguments, NULL, the environment, NULL, the auxiliary vector. */
__attribute__((visibility("hidden"), used, noinline)) void handover(long *stack)
{
	char **argv = (char **)(stack + 1);
	char **envp = argv + stack[0] + 1;
	char path[PATH_MAX];
	long n, dir_len = 0;

	/* Where systemd or journald runs, memrun needs libsystemd; where an
	 * administrator's policy names users and groups, the name service as
	 * configured (src/userdb.c). */
	if (raw_syscall3(SYS_access, (long)"/run/systemd/system", F_OK, 0) != 0 &&
	    raw_syscall3(SYS_access, (long)"/run/systemd/journal/socket", F_OK, 0) != 0 &&
	    raw_syscall3(SYS_access, (long)POLICY_FILE, F_OK, 0) != 0)
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
		hand_over_to(path, argv, envp);
	}
	hand_over_to(MEMRUN_SYSTEMD, argv, envp);
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
