/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The allocation probe: preloaded into every dynamically linked process of
 * a job, it forwards each allocation call to the real one and, only when
 * memory is refused (ENOMEM), records what the process looked like into
 * the region memrun shares with it.
 *
 * On success a call costs the forward and one predictable branch.  The
 * probe never allocates, never writes output, and leaves errno as the real
 * call set it.  With no region (not under memrun, or unreachable) it only
 * forwards.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "probe-abi.h"

#define EXPORT __attribute__((visibility("default")))
#define unlikely(x) __builtin_expect(!!(x), 0)
/* The hot wrappers start on a cache line: when their few instructions of
 * success path straddle a 64-byte boundary, a malloc/free pair costs
 * about 0.4 ns more (measured: +20% instead of +15% on bench/malloc_pairs),
 * depending only on where the linker happened to place them. */
#define HOT_PATH __attribute__((aligned(64)))

static struct probe_region *region;

/* glibc's own entry points: what the probe forwards to until dlsym has
 * found the next definitions (dlsym itself may allocate). */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void *__libc_valloc(size_t);
extern void *__libc_pvalloc(size_t);

static void *raw_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

static void *boot_malloc(size_t n);
static void *boot_calloc(size_t n, size_t m);
static void *boot_realloc(void *p, size_t n);
static void *boot_memalign(size_t a, size_t n);
static void *boot_valloc(size_t n);
static void *boot_pvalloc(size_t n);
static void *boot_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);

/* Each starts at a boot_ function that finds the next definition (another
 * preloaded allocator, or glibc's) on first use. */
static void *(*real_malloc)(size_t) = boot_malloc;
static void *(*real_calloc)(size_t, size_t) = boot_calloc;
static void *(*real_realloc)(void *, size_t) = boot_realloc;
static void *(*real_memalign)(size_t, size_t) = boot_memalign;
static void *(*real_valloc)(size_t) = boot_valloc;
static void *(*real_pvalloc)(size_t) = boot_pvalloc;
static void *(*real_reallocarray)(void *, size_t, size_t);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);
static void *(*real_mmap)(void *, size_t, int, int, int, off_t) = boot_mmap;
static int (*real_brk)(void *);
static void *(*real_sbrk)(intptr_t);

static void *next(const char *name, void *fallback)
{
	void *p = dlsym(RTLD_NEXT, name);
	return p ? p : fallback;
}

/* glibc's own first, so that an allocation inside dlsym finds an allocator. */
#define BOOT(ptr, name, libc_fn)                                          \
	do {                                                              \
		__atomic_store_n(&(ptr), libc_fn, __ATOMIC_RELAXED);      \
		__atomic_store_n(&(ptr), (__typeof__(ptr))next(name, (void *)(libc_fn)), \
				 __ATOMIC_RELAXED);                       \
	} while (0)

static void *boot_malloc(size_t n)
{
	BOOT(real_malloc, "malloc", __libc_malloc);
	return real_malloc(n);
}

static void *boot_calloc(size_t n, size_t m)
{
	BOOT(real_calloc, "calloc", __libc_calloc);
	return real_calloc(n, m);
}

static void *boot_realloc(void *p, size_t n)
{
	BOOT(real_realloc, "realloc", __libc_realloc);
	return real_realloc(p, n);
}

static void *boot_memalign(size_t a, size_t n)
{
	BOOT(real_memalign, "memalign", __libc_memalign);
	return real_memalign(a, n);
}

static void *boot_valloc(size_t n)
{
	BOOT(real_valloc, "valloc", __libc_valloc);
	return real_valloc(n);
}

static void *boot_pvalloc(size_t n)
{
	BOOT(real_pvalloc, "pvalloc", __libc_pvalloc);
	return real_pvalloc(n);
}

static void *boot_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	BOOT(real_mmap, "mmap", raw_mmap);
	return real_mmap(addr, len, prot, flags, fd, off);
}

/* Calls with no glibc-internal twin: looked up on first use. */
#define LOOKUP(ptr, name)                                                 \
	do {                                                              \
		if (!(ptr))                                               \
			__atomic_store_n(&(ptr), (__typeof__(ptr))next(name, NULL), \
					 __ATOMIC_RELAXED);               \
	} while (0)

/* ---- the failure path: syscalls and the stack only ---------------------- */

static uint64_t parse_u64(const char *p)
{
	uint64_t v = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	while (*p >= '0' && *p <= '9')
		v = v * 10 + (uint64_t)(*p++ - '0');
	return v;
}

/* Read a small /proc file into buf (NUL-terminated); false on failure. */
static int read_proc(const char *path, char *buf, size_t size)
{
	ssize_t n, len = 0;
	int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	while ((size_t)len < size - 1 &&
	       (n = (ssize_t)syscall(SYS_read, fd, buf + len, size - 1 - (size_t)len)) > 0)
		len += n;
	syscall(SYS_close, fd);
	buf[len] = '\0';
	return len > 0;
}

/* "Key:   123" from a /proc text; PROBE_UNKNOWN when absent. */
static uint64_t number_field(const char *text, const char *key)
{
	size_t klen = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, key, klen) == 0 && p[klen] == ':')
			return parse_u64(p + klen + 1);
	return PROBE_UNKNOWN;
}

/* "Key:   123 kB" from a /proc text, in bytes; PROBE_UNKNOWN when absent. */
static uint64_t kb_field(const char *text, const char *key)
{
	uint64_t kb = number_field(text, key);

	return kb == PROBE_UNKNOWN ? kb : kb * 1024;
}

static uint64_t soft_limit(int resource)
{
	struct rlimit rl;

	if (syscall(SYS_prlimit64, 0, resource, NULL, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return PROBE_UNKNOWN;
	return (uint64_t)rl.rlim_cur;
}

static void atomic_max(uint64_t *p, uint64_t v)
{
	uint64_t cur = __atomic_load_n(p, __ATOMIC_RELAXED);

	while (v > cur && !__atomic_compare_exchange_n(p, &cur, v, false, __ATOMIC_RELAXED,
						       __ATOMIC_RELAXED))
		;
}

__attribute__((noinline, cold))
static void note_failure(enum probe_function fn, uint64_t bytes, uint32_t flags)
{
	struct probe_region *r = region;
	struct probe_failure f = { .function = fn, .bytes = bytes, .flags = flags };
	char buf[4096];
	struct timespec ts;
	uint64_t vm_peak, threads;
	int saved = errno;

	if (!r)
		return;
	f.pid = (int32_t)syscall(SYS_getpid);
	if (syscall(SYS_gettid) == f.pid)
		f.flags |= PROBE_FLAG_MAIN_THREAD;
	prctl(PR_GET_NAME, f.comm, 0, 0, 0);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	f.t_ns = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	f.vm_size = f.vm_data = vm_peak = threads = PROBE_UNKNOWN;
	if (read_proc("/proc/self/status", buf, sizeof(buf))) {
		f.vm_size = kb_field(buf, "VmSize");
		f.vm_data = kb_field(buf, "VmData");
		vm_peak = kb_field(buf, "VmPeak");
		threads = number_field(buf, "Threads");
	}
	f.rlimit_as = soft_limit(RLIMIT_AS);
	f.rlimit_data = soft_limit(RLIMIT_DATA);
	f.overcommit_mode = read_proc("/proc/sys/vm/overcommit_memory", buf, sizeof(buf)) ?
			    (int32_t)parse_u64(buf) : -1;
	f.commit_limit = f.committed_as = PROBE_UNKNOWN;
	if (f.overcommit_mode == 2 && read_proc("/proc/meminfo", buf, sizeof(buf))) {
		f.commit_limit = kb_field(buf, "CommitLimit");
		f.committed_as = kb_field(buf, "Committed_AS");
	}
	/*
	 * The real call has returned, so its arena lock is released.  A signal
	 * handler's refused call cannot have interrupted one holding this
	 * thread's arena lock either: it would have blocked on that lock
	 * before it could fail (single-threaded processes take none).
	 */
	f.heap_free = PROBE_UNKNOWN;
	if (flags & PROBE_FLAG_HEAP) {
		struct mallinfo2 mi = mallinfo2();
		f.heap_free = mi.fordblks;
	}
	f.cause = probe_classify_threads(&f, vm_peak, threads);

	__atomic_fetch_add(&r->failures, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&r->by_cause[f.cause], 1, __ATOMIC_RELAXED);
	atomic_max(&r->largest_bytes, bytes);
	if (__atomic_exchange_n(&r->first_claimed, 1, __ATOMIC_ACQ_REL) == 0) {
		f.ready = 0;
		memcpy(&r->first, &f, sizeof(f));
		__atomic_store_n(&r->first.ready, 1, __ATOMIC_RELEASE);
	}
	errno = saved;
}

/* ---- start-up ------------------------------------------------------------ */

__attribute__((constructor)) static void probe_attach(void)
{
	const char *value = getenv(PROBE_ENV);
	struct probe_region *r;
	int fd, saved = errno;

	if (!value || !*value)
		return;
	/* By path, not an inherited fd: programs that close every fd at
	 * start, and the programs they exec, still find it.  Only the file
	 * whose identity memrun gave is ever opened (probe-abi.h). */
	fd = probe_region_open(value);
	errno = saved;
	if (fd < 0)
		return;
	r = raw_mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	syscall(SYS_close, fd);
	errno = saved;
	if (r == MAP_FAILED)
		return;
	if (r->magic != PROBE_MAGIC || r->version != PROBE_VERSION || r->size != sizeof(*r)) {
		syscall(SYS_munmap, r, sizeof(*r));
		return;
	}
	__atomic_fetch_add(&r->processes, 1, __ATOMIC_RELAXED);
	if (__atomic_load_n(&r->main_pid, __ATOMIC_RELAXED) == (int32_t)syscall(SYS_getpid))
		__atomic_store_n(&r->main_attached, 1, __ATOMIC_RELAXED);
	region = r;
}

/* ---- the interposed calls ------------------------------------------------ */

EXPORT HOT_PATH void *malloc(size_t n)
{
	void *p = real_malloc(n);

	if (unlikely(!p))
		note_failure(PROBE_FN_MALLOC, n, PROBE_FLAG_HEAP);
	return p;
}

EXPORT HOT_PATH void *calloc(size_t n, size_t m)
{
	void *p = real_calloc(n, m);

	if (unlikely(!p) && n && m) {
		size_t bytes;
		note_failure(PROBE_FN_CALLOC, __builtin_mul_overflow(n, m, &bytes) ? SIZE_MAX : bytes,
			     PROBE_FLAG_HEAP);
	}
	return p;
}

EXPORT HOT_PATH void *realloc(void *old, size_t n)
{
	void *p = real_realloc(old, n);

	/* realloc(p, 0) frees and may return NULL: not a refusal. */
	if (unlikely(!p) && n && errno == ENOMEM)
		note_failure(PROBE_FN_REALLOC, n, PROBE_FLAG_HEAP);
	return p;
}

EXPORT void *reallocarray(void *old, size_t n, size_t m)
{
	void *p;
	size_t bytes;

	LOOKUP(real_reallocarray, "reallocarray");
	if (!real_reallocarray) {
		if (__builtin_mul_overflow(n, m, &bytes)) {
			errno = ENOMEM;
			p = NULL;
		} else {
			p = real_realloc(old, bytes);
		}
	} else {
		p = real_reallocarray(old, n, m);
	}
	if (unlikely(!p) && n && m && errno == ENOMEM)
		note_failure(PROBE_FN_REALLOCARRAY,
			     __builtin_mul_overflow(n, m, &bytes) ? SIZE_MAX : bytes, PROBE_FLAG_HEAP);
	return p;
}

EXPORT int posix_memalign(void **ret, size_t align, size_t n)
{
	int r;

	LOOKUP(real_posix_memalign, "posix_memalign");
	if (!real_posix_memalign)
		return ENOSYS;
	r = real_posix_memalign(ret, align, n);
	if (unlikely(r == ENOMEM)) {
		int saved = errno;
		note_failure(PROBE_FN_POSIX_MEMALIGN, n, PROBE_FLAG_HEAP);
		errno = saved;
	}
	return r;
}

EXPORT void *aligned_alloc(size_t align, size_t n)
{
	void *p;

	LOOKUP(real_aligned_alloc, "aligned_alloc");
	p = real_aligned_alloc ? real_aligned_alloc(align, n) : real_memalign(align, n);
	if (unlikely(!p) && errno == ENOMEM)
		note_failure(PROBE_FN_ALIGNED_ALLOC, n, PROBE_FLAG_HEAP);
	return p;
}

EXPORT void *memalign(size_t align, size_t n)
{
	void *p = real_memalign(align, n);

	if (unlikely(!p) && errno == ENOMEM)
		note_failure(PROBE_FN_MEMALIGN, n, PROBE_FLAG_HEAP);
	return p;
}

EXPORT void *valloc(size_t n)
{
	void *p = real_valloc(n);

	if (unlikely(!p) && errno == ENOMEM)
		note_failure(PROBE_FN_VALLOC, n, PROBE_FLAG_HEAP);
	return p;
}

EXPORT void *pvalloc(size_t n)
{
	void *p = real_pvalloc(n);

	if (unlikely(!p) && errno == ENOMEM)
		note_failure(PROBE_FN_PVALLOC, n, PROBE_FLAG_HEAP);
	return p;
}

EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	void *p = real_mmap(addr, len, prot, flags, fd, off);

	if (unlikely(p == MAP_FAILED) && errno == ENOMEM)
		note_failure(PROBE_FN_MMAP, len, prot == PROT_NONE ? PROBE_FLAG_PROT_NONE : 0);
	return p;
}

EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
	__attribute__((alias("mmap")));

EXPORT int brk(void *addr)
{
	void *before;
	int r;

	LOOKUP(real_brk, "brk");
	LOOKUP(real_sbrk, "sbrk");
	if (!real_brk) {
		errno = ENOSYS;
		return -1;
	}
	before = real_sbrk ? real_sbrk(0) : NULL;
	r = real_brk(addr);
	if (unlikely(r < 0) && errno == ENOMEM)
		note_failure(PROBE_FN_BRK,
			     before && (uintptr_t)addr > (uintptr_t)before ?
			     (uint64_t)((uintptr_t)addr - (uintptr_t)before) : 0, 0);
	return r;
}

EXPORT void *sbrk(intptr_t increment)
{
	void *p;

	LOOKUP(real_sbrk, "sbrk");
	if (!real_sbrk) {
		errno = ENOSYS;
		return (void *)-1;
	}
	p = real_sbrk(increment);
	if (unlikely(p == (void *)-1) && errno == ENOMEM && increment > 0)
		note_failure(PROBE_FN_SBRK, (uint64_t)increment, 0);
	return p;
}
