/*
 * forward.so: a preloaded malloc that does nothing but jump to glibc's.
 * No interposing probe can cost less: whatever a probe does on top (a
 * call instead of a jump, so that it sees the result, and the test of
 * it) adds to this.  scripts/bench.sh measures it beside the probe, in
 * the same paired runs (BENCHMARKS.md).
 *
 *   cc -O2 -shared -fPIC -o forward.so bench/forward.c
 */
#include <stddef.h>

extern void *__libc_malloc(size_t);

/* Bound at load time, before any constructor: a malloc called early
 * already has somewhere to go. */
__attribute__((visibility("hidden"))) void *(*forward_next_malloc)(size_t) = __libc_malloc;

/* On its own cache line, as the probe's malloc is (src/probe/memrun-probe.c). */
__asm__(".text\n"
	".globl malloc\n"
	".type malloc, @function\n"
	".p2align 6\n"
	"malloc:\n"
	"\t.cfi_startproc\n"
	"\tjmp *forward_next_malloc(%rip)\n"
	"\t.cfi_endproc\n"
	".size malloc, .-malloc\n");
