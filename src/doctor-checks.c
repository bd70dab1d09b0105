/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memrun doctor: the table of checks, and how a check states a finding.
 * Each check turns the host snapshot into one finding and touches nothing
 * else; the checks themselves are in doctor-checks-<topic>.c.
 */
#include "doctor-internal.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "meminfo.h"
#include "util.h"

/* ---- stating a finding -------------------------------------------------- */

struct doctor_finding finding(enum doctor_level level, const char *source,
			      struct doctor_value value, const char *fmt, ...)
{
	struct doctor_finding f = { .level = level, .source = xstrdup(source), .value = value };
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&f.message, fmt, ap) < 0)
		f.message = xstrdup("(out of memory)");
	va_end(ap);
	return f;
}

const char *errno_words(int err, char buf[static 96])
{
	const char *name = strerrorname_np(err);

	snprintf(buf, 96, "%s (%s)", strerror(err), name ? name : "?");
	return buf;
}

struct doctor_finding unreadable(enum doctor_file file, int err)
{
	char words[96];

	return finding(DOCTOR_NOTE, doctor_file_path[file], no_value(),
		       "cannot tell: reading %s failed: %s", doctor_file_path[file],
		       errno_words(-err, words));
}

int host_number(const struct doctor_host *h, enum doctor_file file, long long *ret)
{
	const struct doctor_file_text *f = &h->files[file];

	if (!f->text)
		return f->err ? f->err : -ENOENT;
	return doctor_parse_number(f->text, ret);
}

int host_meminfo(const struct doctor_host *h, const char *field, uint64_t *ret)
{
	const struct doctor_file_text *f = &h->files[DOCTOR_FILE_MEMINFO];

	if (!f->text)
		return f->err ? f->err : -ENOENT;
	return meminfo_parse(f->text, field, ret);
}

unsigned percent(uint64_t part, uint64_t whole)
{
	double share;

	if (!whole)
		return 0;
	/* A part far over the whole (usage over a small limit, a
	 * container's made-up meminfo) must not overflow the conversion. */
	share = (double)part * 100.0 / (double)whole + 0.5;
	return share < (double)UINT_MAX ? (unsigned)share : UINT_MAX;
}

/* ---- the table ---------------------------------------------------------- */

static const struct doctor_check checks[] = {
	{ "limits", "rlimit_as", check_rlimit, RL_AS },
	{ "limits", "rlimit_data", check_rlimit, RL_DATA },
	{ "limits", "rlimit_stack", check_rlimit, RL_STACK },
	{ "limits", "rlimit_memlock", check_rlimit, RL_MEMLOCK },
	{ "limits", "rlimit_nproc", check_rlimit, RL_NPROC },
	{ "overcommit", "overcommit_memory", check_overcommit_memory, 0 },
	{ "overcommit", "overcommit_ratio", check_overcommit_ratio, 0 },
	{ "overcommit", "commit_limit", check_commit_limit, 0 },
	{ "memory", "mem_available", check_mem_available, 0 },
	{ "memory", "swap", check_swap, 0 },
	{ "cgroup", "cgroup_version", check_cgroup_version, 0 },
	{ "cgroup", "cgroup_path", check_cgroup_path, 0 },
	{ "cgroup", "cgroup_memory_limit", check_cgroup_memory_limit, 0 },
	{ "cgroup", "cgroup_memory_usage", check_cgroup_memory_usage, 0 },
	{ "cgroup", "cgroup_job", check_cgroup_job, 0 },
	{ "cgroup", "cgroup_swap_accounting", check_cgroup_swap_accounting, 0 },
	{ "cgroup", "cgroup_join", check_cgroup_join, 0 },
	{ "systemd", "cgroup_manager", check_cgroup_manager, 0 },
	{ "systemd", "user_memory_delegated", check_user_memory_delegated, 0 },
	{ "systemd", "user_slice_memory_max", check_user_slice_memory_max, 0 },
	{ "systemd", "own_unit_memory_max", check_own_unit_memory_max, 0 },
	{ "systemd", "systemd_oomd", check_systemd_oomd, 0 },
	{ "oom", "panic_on_oom", check_panic_on_oom, 0 },
	{ "oom", "oom_kill_allocating_task", check_oom_kill_allocating_task, 0 },
	{ "oom", "oom_score_adj", check_oom_score_adj, 0 },
	{ "oom", "oom_score_adj_lower", check_oom_score_adj_lower, 0 },
	{ "oom", "kmsg", check_kmsg, 0 },
	{ "oom", "journal", check_journal, 0 },
	{ "oom", "dmesg_restrict", check_dmesg_restrict, 0 },
	{ "malloc", "glibc_version", check_glibc_version, 0 },
	{ "malloc", "malloc_tunables", check_malloc_tunables, 0 },
	{ "malloc", "glibc_tunables", check_glibc_tunables, 0 },
};

size_t doctor_check_all(const struct doctor_host *h, struct doctor_finding **ret)
{
	struct doctor_finding *findings = xcalloc(ELEMENTSOF(checks), sizeof(*findings));
	size_t n = 0;

	for (size_t i = 0; i < ELEMENTSOF(checks); i++) {
		struct doctor_finding f = checks[i].check(h, &checks[i]);

		if (!f.message)
			continue; /* no_finding(): not for this host */
		f.topic = checks[i].topic;
		f.key = checks[i].key;
		findings[n++] = f;
	}
	*ret = findings;
	return n;
}

void doctor_findings_free(struct doctor_finding *findings, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(findings[i].message);
		free(findings[i].source);
		free(findings[i].value.s);
	}
	free(findings);
}
