/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for src/seccomp-lock.c: the compiled filter run by a small
 * classic-BPF interpreter over literal system calls of every ABI (the
 * i386 and x32 rules are checked here even where no 32-bit program can
 * run), then loaded for real in a child.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "seccomp-lock.h"
#include "util.h"

#define DENIED (SECCOMP_RET_ERRNO | EPERM)
#define ALLOWED SECCOMP_RET_ALLOW

static uint32_t alu(uint16_t op, uint32_t a, uint32_t src)
{
	switch (op) {
	case BPF_ADD:
		return a + src;
	case BPF_SUB:
		return a - src;
	case BPF_MUL:
		return a * src;
	case BPF_DIV:
		assert_true(src != 0);
		return a / src;
	case BPF_OR:
		return a | src;
	case BPF_AND:
		return a & src;
	case BPF_LSH:
		return a << src;
	case BPF_RSH:
		return a >> src;
	case BPF_NEG:
		return -a;
	case BPF_XOR:
		return a ^ src;
	}
	fail_msg("ALU operation 0x%x", op);
	return 0;
}

static bool jump_taken(uint16_t op, uint32_t a, uint32_t src)
{
	switch (op) {
	case BPF_JEQ:
		return a == src;
	case BPF_JGT:
		return a > src;
	case BPF_JGE:
		return a >= src;
	case BPF_JSET:
		return (a & src) != 0;
	}
	fail_msg("jump 0x%x", op);
	return false;
}

/* The kernel's classic BPF, as much as a seccomp program may use. */
static uint32_t run_filter(const struct sock_fprog *prog, const struct seccomp_data *data)
{
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 };

	for (unsigned pc = 0; pc < prog->len; pc++) {
		const struct sock_filter *f = &prog->filter[pc];
		uint32_t src = BPF_SRC(f->code) == BPF_X ? x : f->k;

		switch (BPF_CLASS(f->code)) {
		case BPF_LD:
			if (BPF_MODE(f->code) == BPF_ABS && BPF_SIZE(f->code) == BPF_W &&
			    f->k % 4 == 0 && f->k + 4 <= sizeof(*data))
				memcpy(&a, (const char *)data + f->k, 4);
			else if (BPF_MODE(f->code) == BPF_IMM)
				a = f->k;
			else if (BPF_MODE(f->code) == BPF_MEM && f->k < BPF_MEMWORDS)
				a = mem[f->k];
			else if (BPF_MODE(f->code) == BPF_LEN)
				a = sizeof(*data);
			else
				fail_msg("pc %u: load 0x%x k %u", pc, f->code, f->k);
			break;
		case BPF_LDX:
			if (BPF_MODE(f->code) == BPF_IMM)
				x = f->k;
			else if (BPF_MODE(f->code) == BPF_MEM && f->k < BPF_MEMWORDS)
				x = mem[f->k];
			else if (BPF_MODE(f->code) == BPF_LEN)
				x = sizeof(*data);
			else
				fail_msg("pc %u: load X 0x%x", pc, f->code);
			break;
		case BPF_ST:
		case BPF_STX:
			assert_true(f->k < BPF_MEMWORDS);
			mem[f->k] = BPF_CLASS(f->code) == BPF_ST ? a : x;
			break;
		case BPF_ALU:
			a = alu(BPF_OP(f->code), a, src);
			break;
		case BPF_JMP:
			if (BPF_OP(f->code) == BPF_JA) {
				pc += f->k;
				break;
			}
			pc += jump_taken(BPF_OP(f->code), a, src) ? f->jt : f->jf;
			break;
		case BPF_RET:
			return BPF_RVAL(f->code) == BPF_A ? a : f->k;
		case BPF_MISC:
			if (BPF_MISCOP(f->code) == BPF_TAX)
				x = a;
			else
				a = x;
			break;
		default:
			fail_msg("pc %u: instruction 0x%x", pc, f->code);
		}
	}
	fail_msg("the program ran off its end");
	return 0;
}

#if defined(__x86_64__)
#define X32 0x40000000	/* __X32_SYSCALL_BIT */
#define ARG_HIGH (UINT64_C(1) << 32)
#define RES_AS RLIMIT_AS
#define RES_DATA RLIMIT_DATA
#define RES_MEMLOCK RLIMIT_MEMLOCK
#define RES_NOFILE RLIMIT_NOFILE
#define NEW_LIMIT 0x7ffd1000	/* a pointer, any but NULL */

static const struct {
	const char *what;
	uint32_t arch;
	int nr;
	uint64_t args[3];
	uint32_t expect;
} calls[] = {
	/* x86_64: setrlimit 160, prlimit64 302, getrlimit 97. */
	{ "x86_64 setrlimit AS", AUDIT_ARCH_X86_64, 160, { RES_AS, NEW_LIMIT }, DENIED },
	{ "x86_64 setrlimit DATA", AUDIT_ARCH_X86_64, 160, { RES_DATA, NEW_LIMIT }, DENIED },
	{ "x86_64 setrlimit MEMLOCK", AUDIT_ARCH_X86_64, 160, { RES_MEMLOCK, NEW_LIMIT }, DENIED },
	{ "x86_64 setrlimit NOFILE", AUDIT_ARCH_X86_64, 160, { RES_NOFILE, NEW_LIMIT }, ALLOWED },
	{ "x86_64 setrlimit AS, upper half set", AUDIT_ARCH_X86_64, 160,
	  { ARG_HIGH | RES_AS, NEW_LIMIT }, DENIED },
	{ "x86_64 getrlimit AS", AUDIT_ARCH_X86_64, 97, { RES_AS, NEW_LIMIT }, ALLOWED },
	{ "x86_64 prlimit64 set AS", AUDIT_ARCH_X86_64, 302, { 0, RES_AS, NEW_LIMIT }, DENIED },
	{ "x86_64 prlimit64 set AS of another", AUDIT_ARCH_X86_64, 302, { 4242, RES_AS, NEW_LIMIT },
	  DENIED },
	{ "x86_64 prlimit64 set DATA", AUDIT_ARCH_X86_64, 302, { 0, RES_DATA, NEW_LIMIT }, DENIED },
	{ "x86_64 prlimit64 set MEMLOCK", AUDIT_ARCH_X86_64, 302, { 0, RES_MEMLOCK, NEW_LIMIT },
	  DENIED },
	{ "x86_64 prlimit64 set AS, upper half set", AUDIT_ARCH_X86_64, 302,
	  { 0, ARG_HIGH | RES_AS, NEW_LIMIT }, DENIED },
	{ "x86_64 prlimit64 set AS, pointer above 4 GiB", AUDIT_ARCH_X86_64, 302,
	  { 0, RES_AS, ARG_HIGH }, DENIED },
	{ "x86_64 prlimit64 read AS", AUDIT_ARCH_X86_64, 302, { 0, RES_AS, 0 }, ALLOWED },
	{ "x86_64 prlimit64 set NOFILE", AUDIT_ARCH_X86_64, 302, { 0, RES_NOFILE, NEW_LIMIT },
	  ALLOWED },
	{ "x86_64 write", AUDIT_ARCH_X86_64, 1, { RES_AS, NEW_LIMIT }, ALLOWED },
	/* i386: setrlimit 75, getrlimit 76, ugetrlimit 191, prlimit64 340. */
	{ "i386 setrlimit AS", AUDIT_ARCH_I386, 75, { RES_AS, NEW_LIMIT }, DENIED },
	{ "i386 setrlimit DATA", AUDIT_ARCH_I386, 75, { RES_DATA, NEW_LIMIT }, DENIED },
	{ "i386 setrlimit MEMLOCK", AUDIT_ARCH_I386, 75, { RES_MEMLOCK, NEW_LIMIT }, DENIED },
	{ "i386 setrlimit NOFILE", AUDIT_ARCH_I386, 75, { RES_NOFILE, NEW_LIMIT }, ALLOWED },
	{ "i386 old getrlimit AS", AUDIT_ARCH_I386, 76, { RES_AS, NEW_LIMIT }, ALLOWED },
	{ "i386 ugetrlimit AS", AUDIT_ARCH_I386, 191, { RES_AS, NEW_LIMIT }, ALLOWED },
	{ "i386 prlimit64 set AS", AUDIT_ARCH_I386, 340, { 0, RES_AS, NEW_LIMIT }, DENIED },
	{ "i386 prlimit64 set MEMLOCK", AUDIT_ARCH_I386, 340, { 0, RES_MEMLOCK, NEW_LIMIT },
	  DENIED },
	{ "i386 prlimit64 read AS", AUDIT_ARCH_I386, 340, { 0, RES_AS, 0 }, ALLOWED },
	/* 160 on i386 is sched_get_priority_min, not setrlimit. */
	{ "i386 160", AUDIT_ARCH_I386, 160, { RES_AS, NEW_LIMIT }, ALLOWED },
	/* x32: the x86_64 numbers with the x32 bit. */
	{ "x32 setrlimit AS", AUDIT_ARCH_X86_64, X32 | 160, { RES_AS, NEW_LIMIT }, DENIED },
	{ "x32 prlimit64 set DATA", AUDIT_ARCH_X86_64, X32 | 302, { 0, RES_DATA, NEW_LIMIT },
	  DENIED },
	{ "x32 prlimit64 read DATA", AUDIT_ARCH_X86_64, X32 | 302, { 0, RES_DATA, 0 }, ALLOWED },
	{ "x32 getrlimit AS", AUDIT_ARCH_X86_64, X32 | 97, { RES_AS, NEW_LIMIT }, ALLOWED },
};
#endif

static void test_filter_rules_every_abi(void **state)
{
	struct seccomp_lock lock = SECCOMP_LOCK_INIT;
	_cleanup_free_ char *why = NULL;

	(void)state;
	if (seccomp_lock_build(&lock, &why) < 0)
		fail_msg("seccomp_lock_build: %s", why);
	assert_true(lock.prog.len > 0);
	assert_non_null(lock.prog.filter);
#if defined(__x86_64__)
	assert_string_equal(seccomp_lock_abis(), "x86_64, i386 and x32");
	for (size_t i = 0; i < ELEMENTSOF(calls); i++) {
		struct seccomp_data data = { .nr = calls[i].nr, .arch = calls[i].arch };
		uint32_t got;

		memcpy(data.args, calls[i].args, sizeof(calls[i].args));
		got = run_filter(&lock.prog, &data);
		if (got != calls[i].expect)
			fail_msg("%s: the filter returns 0x%x, expected 0x%x", calls[i].what, got,
				 calls[i].expect);
	}
	/* An ABI the filter does not know is never let through. */
	{
		struct seccomp_data data = { .nr = 160, .arch = AUDIT_ARCH_AARCH64,
					     .args = { RES_AS, NEW_LIMIT } };
		uint32_t action = run_filter(&lock.prog, &data) & SECCOMP_RET_ACTION_FULL;

		assert_true(action == SECCOMP_RET_KILL_THREAD ||
			    action == SECCOMP_RET_KILL_PROCESS);
	}
#endif
	seccomp_lock_free(&lock);
	assert_int_equal(lock.prog.len, 0);
	assert_null(lock.prog.filter);
	seccomp_lock_free(&lock);	/* twice is harmless */
}

/* What a child under the filter may and may not do: 0, or the failed check. */
static int child_under_lock(const struct seccomp_lock *lock)
{
	struct rlimit rl, nofile;

	if (seccomp_lock_load(lock) < 0)
		return 1;
	if (getrlimit(RLIMIT_AS, &rl) < 0)
		return 2;
	if (setrlimit(RLIMIT_AS, &rl) == 0 || errno != EPERM)
		return 3;
	if (prlimit(0, RLIMIT_DATA, &rl, NULL) == 0 || errno != EPERM)
		return 4;
	if (getrlimit(RLIMIT_MEMLOCK, &rl) < 0 || setrlimit(RLIMIT_MEMLOCK, &rl) == 0 ||
	    errno != EPERM)
		return 5;
	if (prlimit(0, RLIMIT_DATA, NULL, &rl) < 0)
		return 6;
	if (getrlimit(RLIMIT_NOFILE, &nofile) < 0 || setrlimit(RLIMIT_NOFILE, &nofile) < 0)
		return 7;
	return 0;
}

static void test_loaded_filter_refuses_only_setting(void **state)
{
	struct seccomp_lock lock = SECCOMP_LOCK_INIT;
	_cleanup_free_ char *why = NULL;
	int status;
	pid_t pid;

	(void)state;
	if (seccomp_lock_build(&lock, &why) < 0)
		fail_msg("seccomp_lock_build: %s", why);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child_under_lock(&lock));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) != 0)
		fail_msg("the child under the lock failed check %d", WEXITSTATUS(status));
	seccomp_lock_free(&lock);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filter_rules_every_abi),
		cmocka_unit_test(test_loaded_filter_refuses_only_setting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
