/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "probe.h"

#include <libgen.h>
#include <limits.h>
#include <sys/mman.h>

#include "dryrun.h"
#include "elf.h"
#include "util.h"

#ifndef PROBE_LIBRARY
#define PROBE_LIBRARY "/usr/local/lib/memrun/libmemrun-probe.so"
#endif
#define PROBE_LIBRARY_NAME "libmemrun-probe.so"

const char *probe_function_name(unsigned fn)
{
	static const char *const names[PROBE_FN_COUNT] = {
		[PROBE_FN_NONE] = "unknown",
		[PROBE_FN_MALLOC] = "malloc",
		[PROBE_FN_CALLOC] = "calloc",
		[PROBE_FN_REALLOC] = "realloc",
		[PROBE_FN_REALLOCARRAY] = "reallocarray",
		[PROBE_FN_POSIX_MEMALIGN] = "posix_memalign",
		[PROBE_FN_ALIGNED_ALLOC] = "aligned_alloc",
		[PROBE_FN_MEMALIGN] = "memalign",
		[PROBE_FN_VALLOC] = "valloc",
		[PROBE_FN_PVALLOC] = "pvalloc",
		[PROBE_FN_MMAP] = "mmap",
		[PROBE_FN_BRK] = "brk",
		[PROBE_FN_SBRK] = "sbrk",
	};
	return fn < PROBE_FN_COUNT ? names[fn] : "unknown";
}

const char *probe_cause_name(unsigned cause)
{
	static const char *const names[PROBE_CAUSE_COUNT] = {
		[PROBE_CAUSE_UNKNOWN] = "unknown",
		[PROBE_CAUSE_RLIMIT_AS] = "rlimit-as",
		[PROBE_CAUSE_RLIMIT_DATA] = "rlimit-data",
		[PROBE_CAUSE_COMMIT_LIMIT] = "commit-limit",
		[PROBE_CAUSE_FRAGMENTATION] = "fragmentation",
	};
	return cause < PROBE_CAUSE_COUNT ? names[cause] : "unknown";
}

char *probe_find_library(void)
{
	_cleanup_free_ char *dir = NULL;
	char *path;

	if (access(PROBE_LIBRARY, R_OK) == 0)
		return xstrdup(PROBE_LIBRARY);
	/* Run from the build tree: the library is built beside memrun. */
	dir = self_exe_dir();
	if (!dir)
		return NULL;
	path = xasprintf("%s/%s", dir, PROBE_LIBRARY_NAME);
	if (access(path, R_OK) == 0)
		return path;
	free(path);
	return NULL;
}

char *probe_asan_options(const char *existing)
{
	static const char key[] = "verify_asan_link_order=";
	char *merged = xasprintf("ASAN_OPTIONS=%s", existing ? existing : "");
	char *p = merged + strlen("ASAN_OPTIONS="), *out = p;

	/* Drop the caller's own verify_asan_link_order; keep everything else. */
	for (char *item = p; *item;) {
		size_t len = strcspn(item, ":");
		char *next = item + len + (item[len] ? 1 : 0);

		if (len > 0 && strncmp(item, key, strlen(key)) != 0) {
			if (out != p)
				*out++ = ':';
			memmove(out, item, len);
			out += len;
		}
		item = next;
	}
	*out = '\0';
	p = xasprintf("%s%s%s0", merged, out != merged + strlen("ASAN_OPTIONS=") ? ":" : "", key);
	free(merged);
	return p;
}

static char *main_program_reason(const struct plan *plan)
{
	_cleanup_free_ char *path = NULL;

	if (!plan->command || !plan->command[0] || find_executable(plan->command[0], &path) < 0)
		return NULL;	/* exec will say what is wrong */
	switch (program_kind(path)) {
	case PROGRAM_STATIC:
		return xasprintf("%s is statically linked: the probe cannot be loaded into it", path);
	case PROGRAM_SETID:
		return xasprintf("%s is setuid or setgid: the dynamic loader ignores the probe", path);
	default:
		return NULL;
	}
}

void probe_setup(struct probe_host *ph, const struct plan *plan)
{
	const char *caller = getenv("LD_PRELOAD");
	struct probe_region *r;

	*ph = (struct probe_host){ .fd = -1 };
	if (plan->values[SETTING_PROBE].set && !plan->values[SETTING_PROBE].number) {
		char from[512];
		ph->not_observed = xasprintf("the probe is off (%s)",
					     origin_describe(&plan->values[SETTING_PROBE].origin,
							     from, sizeof(from)));
		return;
	}
	ph->library = probe_find_library();
	if (!ph->library) {
		ph->not_observed = xasprintf("the probe library is not installed (%s)", PROBE_LIBRARY);
		return;
	}
	if (strpbrk(ph->library, ": \t")) {
		ph->not_observed = xasprintf("the probe library's path %s holds a separator "
					     "LD_PRELOAD cannot carry", ph->library);
		return;
	}
	ph->fd = memfd_create("memrun-probe", MFD_CLOEXEC);
	if (ph->fd < 0 || ftruncate(ph->fd, sizeof(*r)) < 0) {
		ph->not_observed = xasprintf("cannot create the probe's shared memory: %s",
					     strerror(errno));
		return;
	}
	r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE, MAP_SHARED, ph->fd, 0);
	if (r == MAP_FAILED) {
		ph->not_observed = xasprintf("cannot map the probe's shared memory: %s",
					     strerror(errno));
		return;
	}
	r->magic = PROBE_MAGIC;
	r->version = PROBE_VERSION;
	r->size = sizeof(*r);
	ph->region = r;
	ph->enabled = true;
	/* By path, so the job needs no inherited fd (see the probe). */
	ph->env_probe = xasprintf(PROBE_ENV "=/proc/%d/fd/%d", (int)getpid(), ph->fd);
	ph->env_preload = caller && *caller ?
			  xasprintf("LD_PRELOAD=%s:%s", ph->library, caller) :
			  xasprintf("LD_PRELOAD=%s", ph->library);
	ph->env_asan = probe_asan_options(getenv("ASAN_OPTIONS"));
}

static uint64_t clamp_count(uint64_t v)
{
	/* A job that scribbled over the region gets no absurd numbers in. */
	return v > (1ULL << 48) ? (1ULL << 48) : v;
}

void probe_collect(const struct probe_host *ph, const struct plan *plan, struct outcome *o)
{
	const struct probe_region *r = ph->region;
	struct probe_failure first;

	o->alloc_observed = ph->enabled;
	free(o->alloc_not_observed);
	o->alloc_not_observed = ph->not_observed ? xstrdup(ph->not_observed) : NULL;
	if (!ph->enabled || !r)
		return;
	/* Only now, and only when the main program never reported in: why. */
	if (!__atomic_load_n(&r->main_attached, __ATOMIC_RELAXED)) {
		o->alloc_observed = false;
		o->alloc_not_observed = main_program_reason(plan);
		if (!o->alloc_not_observed)
			o->alloc_not_observed = xstrdup("the main program never reported to the probe "
							"(it ended before its libraries started, or "
							"reset LD_PRELOAD)");
	}
	if (r->magic != PROBE_MAGIC || r->version != PROBE_VERSION || r->size != sizeof(*r)) {
		o->alloc_observed = false;
		free(o->alloc_not_observed);
		o->alloc_not_observed = xstrdup("the job overwrote the probe's shared memory");
		return;
	}
	o->alloc_failures = (struct maybe_count){ true, clamp_count(r->failures) };
	o->alloc_processes = clamp_count(r->processes);
	o->alloc_largest_bytes = r->largest_bytes;
	for (unsigned i = 0; i < PROBE_CAUSE_COUNT; i++)
		o->alloc_by_cause[i] = clamp_count(r->by_cause[i]);
	if (__atomic_load_n(&r->first.ready, __ATOMIC_ACQUIRE) != 1)
		return;
	memcpy(&first, &r->first, sizeof(first));
	first.comm[sizeof(first.comm) - 1] = '\0';
	if (first.function >= PROBE_FN_COUNT || first.cause >= PROBE_CAUSE_COUNT || first.pid <= 0)
		return;
	o->alloc_first = first;
	o->alloc_first_known = true;
}

void probe_free(struct probe_host *ph)
{
	if (ph->region)
		munmap(ph->region, sizeof(*ph->region));
	safe_close(ph->fd);
	free(ph->library);
	free(ph->env_probe);
	free(ph->env_preload);
	free(ph->env_asan);
	free(ph->not_observed);
	*ph = (struct probe_host){ .fd = -1 };
}
