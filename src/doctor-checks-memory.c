/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memrun doctor: the checks of what refuses an allocation: memrun's rlimits,
 * overcommit and the commit limit, available memory and swap, glibc's
 * malloc tunables.
 */
#include "doctor-internal.h"

#include <stdio.h>
#include <string.h>

#include "caps.h"
#include "settings.h"
#include "size.h"
#include "util.h"

/* glibc reads GLIBC_TUNABLES from this version on. */
#define TUNABLES_MAJOR 2
#define TUNABLES_MINOR 26

#define CAP_BIT_IPC_LOCK 14
#define CAP_BIT_SYS_ADMIN 21

/* ---- rlimits ------------------------------------------------------------ */

static bool host_has_cap(const struct doctor_host *h, int bit)
{
	const char *status = h->files[DOCTOR_FILE_STATUS].text;
	uint64_t mask;

	return status && doctor_parse_status_hex(status, "CapEff", &mask) == 0 && (mask >> bit) & 1;
}

static const char *limit_format(uint64_t v, bool bytes, char buf[static 32])
{
	if (v == UINT64_MAX)
		return "unlimited";
	if (bytes)
		return size_format(v, buf);
	snprintf(buf, 32, "%llu", (unsigned long long)v);
	return buf;
}

static const struct rlimit_row {
	const char *row; /* in /proc/PID/limits */
	const char *name;
	const char *what;
	bool bytes;
	const char *when_reached;
	bool inherited_by_jobs; /* memrun can set it for a job (--as, --data) */
	const char *option;
	uint64_t low;	   /* below this it is a note */
	const char *raise; /* how to raise it where memrun is started */
} rlimit_rows[] = {
	[RL_AS] = { "Max address space", "RLIMIT_AS", "address space", true,
		    "mmap, brk and so malloc fail with ENOMEM once a process's address space "
		    "would pass it, however much memory is free (JVMs, Go and ASan builds "
		    "reserve far more than they use)",
		    true, "--as", UINT64_MAX, "ulimit -v, or LimitAS= in a systemd unit" },
	[RL_DATA] = { "Max data size", "RLIMIT_DATA", "private writable memory", true,
		      "malloc, brk and private mmap fail with ENOMEM once a process's "
		      "private writable memory would pass it",
		      true, "--data", UINT64_MAX, "ulimit -d, or LimitDATA= in a systemd unit" },
	[RL_STACK] = { "Max stack size", "RLIMIT_STACK", "main thread's stack", true,
		       "recursion deeper than that ends in SIGSEGV, and glibc gives new "
		       "threads stacks of this size",
		       false, NULL, 1 << 20, "ulimit -s, or LimitSTACK= in a systemd unit" },
	[RL_MEMLOCK] = { "Max locked memory", "RLIMIT_MEMLOCK", "locked memory", true,
			 "mlock beyond it fails, and after mlockall(MCL_FUTURE) so does "
			 "every allocation",
			 false, NULL, 64 << 10, "ulimit -l, or LimitMEMLOCK= in a systemd unit" },
	[RL_NPROC] = { "Max processes", "RLIMIT_NPROC", "processes and threads of the user", false,
		       "fork and pthread_create fail with EAGAIN past it", false, NULL, 1024,
		       "ulimit -u, or LimitNPROC= in a systemd unit" },
};

/* Who the kernel does not hold to the limit, or "". */
static const char *rlimit_exemption(const struct doctor_host *h, enum rlimit_row_id id)
{
	if (id == RL_MEMLOCK && host_has_cap(h, CAP_BIT_IPC_LOCK))
		return "; processes with CAP_IPC_LOCK, as memrun has here, are exempt";
	if (id == RL_NPROC && h->root)
		return "; root is exempt, and memrun runs as root";
	if (id == RL_NPROC && (h->sys_resource || host_has_cap(h, CAP_BIT_SYS_ADMIN)))
		return "; processes with CAP_SYS_RESOURCE or CAP_SYS_ADMIN, as memrun has here, "
		       "are exempt";
	return "";
}

struct doctor_finding check_rlimit(const struct doctor_host *h, const struct doctor_check *c)
{
	const struct rlimit_row *rl = &rlimit_rows[c->arg];
	const struct doctor_file_text *f = &h->files[DOCTOR_FILE_LIMITS];
	const char *source = doctor_file_path[DOCTOR_FILE_LIMITS];
	char soft_buf[32], hard_buf[32];
	const char *soft_text, *hard_text, *exempt;
	_cleanup_free_ char *jobs = NULL;
	uint64_t soft, hard;
	int r;

	if (!f->text)
		return unreadable(DOCTOR_FILE_LIMITS, f->err);
	r = doctor_parse_limits(f->text, rl->row, &soft, &hard);
	if (r < 0)
		return finding(DOCTOR_NOTE, source, no_value(),
			       "cannot tell %s: no \"%s\" row in %s", rl->name, rl->row, source);
	soft_text = limit_format(soft, rl->bytes, soft_buf);
	hard_text = limit_format(hard, rl->bytes, hard_buf);
	if (soft == UINT64_MAX)
		return finding(DOCTOR_OK, source, limit_value(soft), "%s (%s) is unlimited%s%s%s",
			       rl->name, rl->what,
			       hard == UINT64_MAX ? ", soft and hard" : " (hard ",
			       hard == UINT64_MAX ? "" : hard_text, hard == UINT64_MAX ? "" : ")");

	exempt = rlimit_exemption(h, (enum rlimit_row_id)c->arg);
	if (rl->inherited_by_jobs) {
		bool refused = hard != UINT64_MAX && !h->sys_resource;

		/* Set by someone for memrun: every job starts under it. */
		jobs = xasprintf("; every job inherits it unless %s sets another%s%s%s; to raise "
				 "it, use %s where memrun is started",
				 rl->option,
				 refused ? ", and a value above the hard limit stops memrun with "
					   "exit 125 (raising a hard limit " :
					   "",
				 refused ? caps_sys_resource_lacking() : "", refused ? ")" : "",
				 rl->raise);
		return finding(DOCTOR_NOTE, source, limit_value(soft),
			       "%s (%s) is %s (hard %s): %s%s%s", rl->name, rl->what, soft_text,
			       hard_text, rl->when_reached, exempt, jobs);
	}
	if (soft < rl->low && !*exempt)
		return finding(DOCTOR_NOTE, source, limit_value(soft),
			       "%s (%s) is only %s (hard %s): %s; raise it with %s", rl->name,
			       rl->what, soft_text, hard_text, rl->when_reached, rl->raise);
	return finding(DOCTOR_OK, source, limit_value(soft), "%s (%s) is %s (hard %s): %s%s",
		       rl->name, rl->what, soft_text, hard_text, rl->when_reached, exempt);
}

/* ---- overcommit --------------------------------------------------------- */

/* x * ratio / 100 without overflowing for any x. */
static uint64_t percent_of(uint64_t x, uint64_t ratio)
{
	uint64_t whole = x / 100, rest = x % 100;

	if (ratio && whole > UINT64_MAX / ratio)
		return UINT64_MAX;
	return whole * ratio + rest * ratio / 100;
}

static uint64_t add_saturating(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

uint64_t doctor_commit_limit(uint64_t mem_total, uint64_t hugetlb, uint64_t swap_total,
			     long long ratio, long long kbytes)
{
	uint64_t allowed;

	if (kbytes > 0)
		allowed =
			(uint64_t)kbytes > UINT64_MAX / 1024 ? UINT64_MAX : (uint64_t)kbytes * 1024;
	else
		allowed = percent_of(mem_total > hugetlb ? mem_total - hugetlb : 0,
				     ratio > 0 ? (uint64_t)ratio : 0);
	return add_saturating(allowed, swap_total);
}

struct doctor_finding check_overcommit_memory(const struct doctor_host *h,
					      const struct doctor_check *c)
{
	const char *source = doctor_file_path[DOCTOR_FILE_OVERCOMMIT_MEMORY];
	long long mode;
	int r = host_number(h, DOCTOR_FILE_OVERCOMMIT_MEMORY, &mode);

	(void)c;
	if (r < 0)
		return unreadable(DOCTOR_FILE_OVERCOMMIT_MEMORY, r);
	switch (mode) {
	case 0:
		return finding(DOCTOR_OK, source, int_value(mode),
			       "vm.overcommit_memory is 0 (heuristic): malloc rarely fails, the kernel "
			       "refuses only a single allocation larger than RAM plus swap; when memory "
			       "does run out, the OOM killer kills a process instead");
	case 1:
		return finding(DOCTOR_NOTE, source, int_value(mode),
			       "vm.overcommit_memory is 1 (always): the kernel never refuses memory; "
			       "when it runs out, the OOM killer kills a process instead");
	case 2:
		return finding(DOCTOR_NOTE, source, int_value(mode),
			       "vm.overcommit_memory is 2 (strict): allocations fail with ENOMEM once "
			       "Committed_AS reaches CommitLimit, even with RAM free; programs that "
			       "reserve far more than they touch (JVMs, Go, ASan builds, browsers) "
			       "fail first");
	default:
		return finding(DOCTOR_NOTE, source, int_value(mode),
			       "vm.overcommit_memory is %lld, which is not one of the kernel's "
			       "modes 0, 1, 2",
			       mode);
	}
}

struct doctor_finding check_overcommit_ratio(const struct doctor_host *h,
					     const struct doctor_check *c)
{
	long long mode = -1, ratio, kbytes = 0;
	uint64_t total, hugetlb = 0, swap = 0, limit;
	char total_buf[32], swap_buf[32], limit_buf[32], kbytes_buf[32];
	_cleanup_free_ char *allows = NULL;
	const char *source;
	enum doctor_level level = DOCTOR_OK;
	const char *tail;
	int r;

	(void)c;
	r = host_number(h, DOCTOR_FILE_OVERCOMMIT_RATIO, &ratio);
	if (r < 0)
		return unreadable(DOCTOR_FILE_OVERCOMMIT_RATIO, r);
	host_number(h, DOCTOR_FILE_OVERCOMMIT_KBYTES, &kbytes); /* older kernels lack it */
	host_number(h, DOCTOR_FILE_OVERCOMMIT_MEMORY, &mode);
	source = doctor_file_path[kbytes > 0 ? DOCTOR_FILE_OVERCOMMIT_KBYTES :
					       DOCTOR_FILE_OVERCOMMIT_RATIO];

	if (host_meminfo(h, "MemTotal", &total) < 0) {
		allows = xstrdup("");
	} else {
		/* Huge pages count against neither; older kernels lack "Hugetlb". */
		if (host_meminfo(h, "Hugetlb", &hugetlb) < 0) {
			uint64_t pages = 0, page_size = 0;
			host_meminfo(h, "HugePages_Total", &pages);
			host_meminfo(h, "Hugepagesize", &page_size);
			hugetlb = pages * page_size;
		}
		host_meminfo(h, "SwapTotal", &swap);
		limit = doctor_commit_limit(total, hugetlb, swap, ratio, kbytes);
		size_format(swap, swap_buf);
		size_format(limit, limit_buf);
		if (kbytes > 0)
			allows = xasprintf(": in strict mode (2) the commit limit is %s + %s swap "
					   "= %s",
					   size_format((uint64_t)kbytes * 1024, kbytes_buf),
					   swap_buf, limit_buf);
		else
			allows = xasprintf(": in strict mode (2) the commit limit is %lld%% of %s "
					   "RAM + %s swap = %s",
					   ratio, size_format(total - hugetlb, total_buf), swap_buf,
					   limit_buf);
		if (mode == 2 && limit < total)
			level = DOCTOR_NOTE;
	}
	if (level == DOCTOR_NOTE)
		tail = ", less than RAM: allocations fail while memory is still free; raise "
		       "vm.overcommit_ratio (or set vm.overcommit_kbytes), or add swap";
	else if (mode == 2)
		tail = "";
	else
		tail = " (used only when vm.overcommit_memory is 2)";
	if (kbytes > 0)
		return finding(level, source, int_value(kbytes),
			       "vm.overcommit_kbytes is %lld, so vm.overcommit_ratio (%lld) is ignored%s%s",
			       kbytes, ratio, allows, tail);
	return finding(level, source, int_value(ratio), "vm.overcommit_ratio is %lld%s%s", ratio,
		       allows, tail);
}

struct doctor_finding check_commit_limit(const struct doctor_host *h, const struct doctor_check *c)
{
	const char *source = doctor_file_path[DOCTOR_FILE_MEMINFO];
	char limit_buf[32], committed_buf[32], left_buf[32];
	uint64_t limit, committed;
	long long mode;
	unsigned used;
	int r;

	(void)c;
	r = host_meminfo(h, "CommitLimit", &limit);
	if (r >= 0)
		r = host_meminfo(h, "Committed_AS", &committed);
	if (r < 0)
		return finding(DOCTOR_NOTE, source, no_value(),
			       "cannot tell CommitLimit and Committed_AS from %s: %s", source,
			       strerror(-r));
	r = host_number(h, DOCTOR_FILE_OVERCOMMIT_MEMORY, &mode);
	if (r < 0)
		return unreadable(DOCTOR_FILE_OVERCOMMIT_MEMORY, r);
	size_format(limit, limit_buf);
	size_format(committed, committed_buf);
	size_format(committed < limit ? limit - committed : committed - limit, left_buf);
	used = percent(committed, limit);

	if (mode != 2 && committed < limit)
		return finding(DOCTOR_OK, source, bytes_value(limit),
			       "Committed_AS %s, CommitLimit %s: not enforced in mode %lld; strict "
			       "mode (2) would refuse allocations once %s more is committed",
			       committed_buf, limit_buf, mode, left_buf);
	if (mode != 2)
		return finding(DOCTOR_OK, source, bytes_value(limit),
			       "Committed_AS %s, CommitLimit %s: not enforced in mode %lld; strict "
			       "mode (2) would refuse every new allocation now (%s over)",
			       committed_buf, limit_buf, mode, left_buf);
	if (used >= 100 - LOW_PERCENT)
		return finding(DOCTOR_WARN, source, bytes_value(limit),
			       "Committed_AS %s of CommitLimit %s (%u%%): allocations are failing or "
			       "about to fail with ENOMEM; add swap, raise vm.overcommit_ratio, or stop "
			       "what reserved the most (ps -eo pid,vsz,comm --sort=-vsz | head)",
			       committed_buf, limit_buf, used);
	return finding(DOCTOR_OK, source, bytes_value(limit),
		       "Committed_AS %s of CommitLimit %s (%u%%): %s more can be committed before "
		       "allocations fail with ENOMEM",
		       committed_buf, limit_buf, used, left_buf);
}

/* ---- available memory and swap ------------------------------------------ */

struct doctor_finding check_mem_available(const struct doctor_host *h, const struct doctor_check *c)
{
	const char *source = doctor_file_path[DOCTOR_FILE_MEMINFO];
	char available_buf[32], total_buf[32];
	uint64_t available, total;
	unsigned share;
	int r;

	(void)c;
	r = host_meminfo(h, "MemAvailable", &available);
	if (r >= 0)
		r = host_meminfo(h, "MemTotal", &total);
	if (r < 0)
		return finding(DOCTOR_NOTE, source, no_value(),
			       "cannot tell MemAvailable and MemTotal from %s: %s", source,
			       strerror(-r));
	size_format(available, available_buf);
	size_format(total, total_buf);
	share = percent(available, total);
	if (share < LOW_PERCENT)
		return finding(DOCTOR_WARN, source, bytes_value(available),
			       "MemAvailable %s of MemTotal %s (%u%%): little is left before the OOM "
			       "killer steps in; see what uses it: ps -eo pid,rss,comm --sort=-rss | head",
			       available_buf, total_buf, share);
	return finding(DOCTOR_OK, source, bytes_value(available),
		       "MemAvailable %s of MemTotal %s (%u%%)", available_buf, total_buf, share);
}

struct doctor_finding check_swap(const struct doctor_host *h, const struct doctor_check *c)
{
	const char *source = doctor_file_path[DOCTOR_FILE_MEMINFO];
	char total_buf[32], free_buf[32];
	uint64_t total, free_bytes;
	unsigned share;
	int r;

	(void)c;
	r = host_meminfo(h, "SwapTotal", &total);
	if (r >= 0)
		r = host_meminfo(h, "SwapFree", &free_bytes);
	if (r < 0)
		return finding(DOCTOR_NOTE, source, no_value(),
			       "cannot tell SwapTotal and SwapFree from %s: %s", source,
			       strerror(-r));
	if (total == 0)
		return finding(DOCTOR_NOTE, source, bytes_value(0),
			       "no swap (SwapTotal 0): memory that fills up cannot be paged out, so a "
			       "full machine or cgroup goes straight to the OOM killer; --swap-max has "
			       "nothing to limit");
	size_format(total, total_buf);
	size_format(free_bytes, free_buf);
	share = percent(free_bytes, total);
	if (share < LOW_PERCENT)
		return finding(DOCTOR_WARN, source, bytes_value(total),
			       "swap is nearly full: SwapFree %s of SwapTotal %s (%u%%); once it is, "
			       "the OOM killer comes next",
			       free_buf, total_buf, share);
	return finding(DOCTOR_OK, source, bytes_value(total), "swap %s, %s of it free (%u%%)",
		       total_buf, free_buf, share);
}

/* ---- malloc ------------------------------------------------------------- */

/* glibc versions that added a malloc tunable after tunables came (2.26). */
static const struct {
	const char *tunable;
	unsigned major, minor;
} tunable_since[] = {
	{ "glibc.malloc.hugetlb", 2, 35 },
};

static bool glibc_at_least(unsigned major, unsigned minor, unsigned want_major, unsigned want_minor)
{
	return major > want_major || (major == want_major && minor >= want_minor);
}

struct doctor_finding check_glibc_version(const struct doctor_host *h, const struct doctor_check *c)
{
	const char *source = "gnu_get_libc_version()";
	unsigned major, minor;

	(void)c;
	if (doctor_parse_version(h->glibc_version, &major, &minor) < 0)
		return finding(DOCTOR_NOTE, source, string_value(h->glibc_version),
			       "cannot tell which glibc this is (\"%s\"): --malloc settings may be "
			       "ignored",
			       h->glibc_version ? h->glibc_version : "");
	if (!glibc_at_least(major, minor, TUNABLES_MAJOR, TUNABLES_MINOR))
		return finding(DOCTOR_WARN, source, string_value(h->glibc_version),
			       "glibc %s is older than %d.%d and ignores GLIBC_TUNABLES: --malloc "
			       "settings have no effect",
			       h->glibc_version, TUNABLES_MAJOR, TUNABLES_MINOR);
	return finding(DOCTOR_OK, source, string_value(h->glibc_version),
		       "glibc %s reads GLIBC_TUNABLES, which carries --malloc to the job "
		       "(programs with their own allocator, such as jemalloc, tcmalloc or musl "
		       "builds, ignore it)",
		       h->glibc_version);
}

struct doctor_finding check_malloc_tunables(const struct doctor_host *h,
					    const struct doctor_check *c)
{
	const char *source = "gnu_get_libc_version()";
	char honoured[256] = "", ignored[256] = "";
	unsigned major, minor;

	(void)c;
	if (doctor_parse_version(h->glibc_version, &major, &minor) < 0)
		return finding(DOCTOR_NOTE, source, no_value(),
			       "cannot tell which --malloc keys this glibc honours");
	for (unsigned i = SETTING_MALLOC_FIRST; i <= SETTING_MALLOC_LAST; i++) {
		const char *tunable = setting_table[i].tunable;
		const char *name = setting_table[i].key + strlen("malloc.");
		unsigned want_major = TUNABLES_MAJOR, want_minor = TUNABLES_MINOR;
		char *list;
		size_t len;

		for (size_t t = 0; t < ELEMENTSOF(tunable_since); t++)
			if (streq(tunable_since[t].tunable, tunable)) {
				want_major = tunable_since[t].major;
				want_minor = tunable_since[t].minor;
			}
		if (glibc_at_least(major, minor, want_major, want_minor)) {
			list = honoured;
		} else {
			list = ignored;
			name = xasprintf("%s (glibc %u.%u)", name, want_major, want_minor);
		}
		len = strlen(list);
		snprintf(list + len, sizeof(honoured) - len, "%s%s", len ? ", " : "", name);
		if (list == ignored)
			free((char *)name);
	}
	if (!*honoured)
		return finding(DOCTOR_WARN, source, string_value(""),
			       "glibc %s honours no --malloc key; ignored: %s", h->glibc_version,
			       ignored);
	if (*ignored)
		return finding(DOCTOR_NOTE, source, string_value(honoured),
			       "--malloc %s are honoured; ignored by glibc %s, which is too old for "
			       "them: %s",
			       honoured, h->glibc_version, ignored);
	return finding(DOCTOR_OK, source, string_value(honoured),
		       "glibc %s honours every --malloc key: %s", h->glibc_version, honoured);
}

struct doctor_finding check_glibc_tunables(const struct doctor_host *h,
					   const struct doctor_check *c)
{
	(void)c;
	if (!h->glibc_tunables)
		return finding(DOCTOR_OK, "environment GLIBC_TUNABLES", no_value(),
			       "GLIBC_TUNABLES is not set: jobs get only the tunables --malloc and "
			       "profiles give");
	return finding(DOCTOR_NOTE, "environment GLIBC_TUNABLES", string_value(h->glibc_tunables),
		       "GLIBC_TUNABLES is set to \"%s\": jobs keep these, and --malloc wins for the "
		       "same key",
		       h->glibc_tunables);
}
