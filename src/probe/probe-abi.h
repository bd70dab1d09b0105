/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The region shared between memrun and the allocation probe loaded into
 * every process of the job.  memrun creates it (a memfd, sealed at its
 * size so that no job can shrink it), the probe maps it by path at
 * start-up and writes only with atomics; memrun reads it back through the
 * fd and trusts nothing in it (probe.c validates every field).
 */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PROBE_MAGIC 0x31504e55524d454dULL	/* "MEMRUNP1" */
#define PROBE_VERSION 2
#define PROBE_ENV "MEMRUN_PROBE"
#define PROBE_UNKNOWN UINT64_MAX

enum probe_function {
	PROBE_FN_NONE,
	PROBE_FN_MALLOC,
	PROBE_FN_CALLOC,
	PROBE_FN_REALLOC,
	PROBE_FN_REALLOCARRAY,
	PROBE_FN_POSIX_MEMALIGN,
	PROBE_FN_ALIGNED_ALLOC,
	PROBE_FN_MEMALIGN,
	PROBE_FN_VALLOC,
	PROBE_FN_PVALLOC,
	PROBE_FN_MMAP,
	PROBE_FN_BRK,
	PROBE_FN_SBRK,
	PROBE_FN_COUNT,
};

enum probe_cause {
	PROBE_CAUSE_UNKNOWN,
	PROBE_CAUSE_RLIMIT_AS,
	PROBE_CAUSE_RLIMIT_DATA,
	PROBE_CAUSE_COMMIT_LIMIT,
	PROBE_CAUSE_FRAGMENTATION,
	PROBE_CAUSE_COUNT,
};

#define PROBE_FLAG_PROT_NONE 0x1	/* an address-space reservation */
#define PROBE_FLAG_HEAP 0x2		/* a malloc-family call (glibc heap) */
#define PROBE_FLAG_MAIN_THREAD 0x4	/* on the main thread: its arena is the brk heap */

/* What the process looked like when one allocation was refused. */
struct probe_failure {
	uint32_t ready;		/* 1 once every other field is written */
	uint32_t function;	/* enum probe_function */
	uint32_t cause;		/* enum probe_cause */
	uint32_t flags;
	uint64_t bytes;
	int32_t pid;
	char comm[16];
	uint64_t t_ns;		/* CLOCK_MONOTONIC */
	uint64_t vm_size;	/* bytes of address space in use, or PROBE_UNKNOWN */
	uint64_t vm_data;	/* VmData: private writable memory as RLIMIT_DATA counts it */
	uint64_t rlimit_as;	/* soft limits, PROBE_UNKNOWN: none */
	uint64_t rlimit_data;
	int32_t overcommit_mode;	/* -1: unknown */
	uint64_t commit_limit;	/* bytes, or PROBE_UNKNOWN */
	uint64_t committed_as;
	uint64_t heap_free;	/* glibc's free heap bytes, or PROBE_UNKNOWN */
};

struct probe_region {
	uint64_t magic;
	uint32_t version;
	uint32_t size;		/* sizeof(struct probe_region) */
	uint64_t processes;	/* processes the probe attached to */
	uint64_t failures;
	uint64_t largest_bytes;
	uint64_t by_cause[PROBE_CAUSE_COUNT];
	uint32_t first_claimed;
	int32_t main_pid;	/* written by the job's main process before it execs */
	uint32_t main_attached;	/* the probe loaded into the main program */
	uint32_t pad;
	struct probe_failure first;
};

/*
 * Why one allocation was refused, from the numbers alone.  Fragmentation
 * first: under a limit, a brk heap that had the bytes free but not in one
 * piece is the cause worth naming, and the limit is the symptom.  Only on
 * the main thread: glibc's free total spans every arena, and another
 * thread's arena holding free bytes says nothing about this one.
 */
/* When the brk heap cannot grow, glibc maps at least this much instead
 * (MMAP_AS_MORECORE_SIZE): a heap request needs that much room. */
#define PROBE_HEAP_GROWTH_MIN (1ULL << 20)

/* used + need > limit, where need may be SIZE_MAX (calloc's overflowing
 * product, malloc(-1)) and the sum must not wrap. */
static inline bool probe_over(uint64_t used, uint64_t need, uint64_t limit)
{
	return used > limit || need > limit - used;
}

/* The room a refused request needed. */
static inline uint64_t probe_need(const struct probe_failure *f)
{
	return (f->flags & PROBE_FLAG_HEAP) && f->bytes < PROBE_HEAP_GROWTH_MIN ?
	       PROBE_HEAP_GROWTH_MIN : f->bytes;
}

static inline enum probe_cause probe_classify(const struct probe_failure *f)
{
	uint64_t need = probe_need(f);

	if ((f->flags & PROBE_FLAG_HEAP) && (f->flags & PROBE_FLAG_MAIN_THREAD) &&
	    f->heap_free != PROBE_UNKNOWN && f->heap_free >= f->bytes)
		return PROBE_CAUSE_FRAGMENTATION;
	if (f->rlimit_as != PROBE_UNKNOWN && f->vm_size != PROBE_UNKNOWN &&
	    probe_over(f->vm_size, need, f->rlimit_as))
		return PROBE_CAUSE_RLIMIT_AS;
	if (f->rlimit_data != PROBE_UNKNOWN && f->vm_data != PROBE_UNKNOWN &&
	    !(f->flags & PROBE_FLAG_PROT_NONE) && probe_over(f->vm_data, need, f->rlimit_data))
		return PROBE_CAUSE_RLIMIT_DATA;
	if (f->overcommit_mode == 2 && f->commit_limit != PROBE_UNKNOWN &&
	    f->committed_as != PROBE_UNKNOWN &&
	    probe_over(f->committed_as, f->bytes, f->commit_limit))
		return PROBE_CAUSE_COMMIT_LIMIT;
	return PROBE_CAUSE_UNKNOWN;
}

/*
 * probe_classify for a process of `threads` threads whose address space
 * has been at most vm_peak (VmPeak); either may be PROBE_UNKNOWN.
 *
 * glibc's free total spans every arena: in a process of more than one
 * thread the free bytes may be in another thread's arena, which the main
 * thread's brk heap cannot use, so they do not show fragmentation; the
 * limits are read instead.
 *
 * RLIMIT_AS refuses against the address space at the moment of the call,
 * and another thread's mapping may have come and gone before the probe
 * looks: glibc maps twice a new arena's 64 MiB to align it, then unmaps
 * the rest.  So when what the probe reads explains nothing, a peak within
 * the request of the limit names RLIMIT_AS.  A single thread's failure is
 * read as it was.
 */
static inline enum probe_cause probe_classify_threads(const struct probe_failure *f,
						      uint64_t vm_peak, uint64_t threads)
{
	bool several = threads > 1 && threads != PROBE_UNKNOWN;
	enum probe_cause cause = probe_classify(f);

	if (cause == PROBE_CAUSE_FRAGMENTATION && several) {
		struct probe_failure without_free = *f;

		without_free.heap_free = PROBE_UNKNOWN;
		cause = probe_classify(&without_free);
	}
	if (cause == PROBE_CAUSE_UNKNOWN && several && f->rlimit_as != PROBE_UNKNOWN &&
	    vm_peak != PROBE_UNKNOWN && probe_over(vm_peak, probe_need(f), f->rlimit_as))
		return PROBE_CAUSE_RLIMIT_AS;
	return cause;
}

/*
 * How a process of the job finds the region: PROBE_ENV is "PATH:DEV:INO",
 * PATH the /proc path of memrun's fd (/proc/PID/fd/N), DEV and INO the
 * region's st_dev and st_ino.  The path alone is not enough: under a /proc
 * of another pid namespace, or in a job that mounted its own, it names
 * another process's fd, and opening a device or a FIFO read-write has
 * effects of its own.  So the path is opened O_PATH, which opens nothing,
 * the file it names is compared with the region's identity, and only then
 * is that very file reopened read-write, through /proc/self/fd.
 */
#define PROBE_PATH_MAX 64

/* Decimal digits up to end: false for none, junk or overflow. */
static inline bool probe_env_number(const char *p, const char *end, uint64_t *ret)
{
	uint64_t v = 0;

	if (p == end)
		return false;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9' || v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*ret = v;
	return true;
}

/* Split PROBE_ENV's value; path gets a NUL-terminated copy of PATH. */
static inline bool probe_env_parse(const char *value, char *path, size_t size,
				   uint64_t *ret_dev, uint64_t *ret_ino)
{
	const char *end = value + strlen(value), *ino = end, *dev;
	uint64_t d, i;
	size_t len;

	while (ino > value && ino[-1] != ':')
		ino--;
	dev = ino > value ? ino - 1 : value;
	while (dev > value && dev[-1] != ':')
		dev--;
	if (dev == value)
		return false;	/* fewer than two colons */
	len = (size_t)(dev - 1 - value);
	if (len == 0 || len >= size || !probe_env_number(dev, ino - 1, &d) ||
	    !probe_env_number(ino, end, &i))
		return false;
	memcpy(path, value, len);
	path[len] = '\0';
	*ret_dev = d;
	*ret_ino = i;
	return true;
}

/*
 * The region named by a PROBE_ENV value, opened read-write (O_CLOEXEC),
 * or -errno: -EINVAL for a value that is not "PATH:DEV:INO", -ESTALE when
 * PATH names anything but the region.  No allocation: it runs in every
 * process of the job as it starts.
 */
static inline int probe_region_open(const char *value)
{
	char path[PROBE_PATH_MAX], self[sizeof("/proc/self/fd/") + 10];
	char digits[10], *p = self + sizeof("/proc/self/fd/") - 1;
	uint64_t dev, ino;
	struct stat st;
	int opath, fd, n = 0;

	if (!probe_env_parse(value, path, sizeof(path), &dev, &ino))
		return -EINVAL;
	opath = (int)syscall(SYS_openat, AT_FDCWD, path, O_PATH | O_CLOEXEC);
	if (opath < 0)
		return -errno;
	if (fstat(opath, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_dev != dev ||
	    (uint64_t)st.st_ino != ino) {
		syscall(SYS_close, opath);
		return -ESTALE;
	}
	memcpy(self, "/proc/self/fd/", sizeof("/proc/self/fd/") - 1);
	for (unsigned v = (unsigned)opath; n == 0 || v; v /= 10)
		digits[n++] = (char)('0' + v % 10);
	while (n)
		*p++ = digits[--n];
	*p = '\0';
	fd = (int)syscall(SYS_openat, AT_FDCWD, self, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		fd = -errno;
	syscall(SYS_close, opath);
	return fd;
}
