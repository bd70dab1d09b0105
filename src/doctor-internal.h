/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the parts of 'memrun doctor' share and no other module needs: how a
 * check states a finding, and the checks the table in doctor-checks.c runs.
 *
 * A new check is a function in the file of its topic (doctor-checks-memory.c,
 * doctor-checks-cgroup.c, doctor-checks-systemd.c, doctor-checks-oom.c),
 * declared here, and a row in the table; it reads only the snapshot, never
 * the host.  A check that does not apply to the host returns no_finding().
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "doctor.h"
#include "util.h"

/* The test cgroup doctor creates and removes: this, then memrun's pid. */
#define TEST_CGROUP_PREFIX "memrun-doctor-"
/* Less than this share left: memory is about to run out. */
#define LOW_PERCENT 10

struct doctor_check {
	const char *topic;
	const char *key;
	struct doctor_finding (*check)(const struct doctor_host *h, const struct doctor_check *c);
	int arg; /* the rlimit row, for check_rlimit */
};

/* ---- a finding's value -------------------------------------------------- */

static inline struct doctor_value no_value(void)
{
	return (struct doctor_value){ .kind = DOCTOR_VALUE_NULL };
}

static inline struct doctor_value int_value(long long i)
{
	return (struct doctor_value){ .kind = DOCTOR_VALUE_INT, .i = i };
}

static inline struct doctor_value bytes_value(uint64_t u)
{
	return (struct doctor_value){ .kind = DOCTOR_VALUE_UINT, .u = u };
}

static inline struct doctor_value string_value(const char *s)
{
	if (!s)
		return no_value();
	return (struct doctor_value){ .kind = DOCTOR_VALUE_STRING, .s = xstrdup(s) };
}

/* A limit: its bytes, or "unlimited". */
static inline struct doctor_value limit_value(uint64_t u)
{
	return u == UINT64_MAX ? string_value("unlimited") : bytes_value(u);
}

/* ---- stating a finding (doctor-checks.c) -------------------------------- */

/* Nothing to say here (a check of systemd where it does not run the host):
 * the check leaves no line, and its key is not in the JSON. */
static inline struct doctor_finding no_finding(void)
{
	return (struct doctor_finding){ .message = NULL };
}

struct doctor_finding finding(enum doctor_level level, const char *source,
			      struct doctor_value value, const char *fmt, ...) _printf_(4, 5);
/* "No such file or directory (ENOENT)" */
const char *errno_words(int err, char buf[static 96]);
/* A note that file could not be read, so the check cannot tell. */
struct doctor_finding unreadable(enum doctor_file file, int err);
/* The number in a one-number file; -errno when unreadable or not a number. */
int host_number(const struct doctor_host *h, enum doctor_file file, long long *ret);
/* A field of /proc/meminfo, in bytes. */
int host_meminfo(const struct doctor_host *h, const char *field, uint64_t *ret);
/* part of whole, in whole percent, rounded. */
unsigned percent(uint64_t part, uint64_t whole);

/* ---- the checks, by topic ----------------------------------------------- */

/* doctor-checks-memory.c: what refuses an allocation */
enum rlimit_row_id { RL_AS, RL_DATA, RL_STACK, RL_MEMLOCK, RL_NPROC };
struct doctor_finding check_rlimit(const struct doctor_host *h, const struct doctor_check *c);
struct doctor_finding check_overcommit_memory(const struct doctor_host *h,
					      const struct doctor_check *c);
struct doctor_finding check_overcommit_ratio(const struct doctor_host *h,
					     const struct doctor_check *c);
struct doctor_finding check_commit_limit(const struct doctor_host *h, const struct doctor_check *c);
struct doctor_finding check_mem_available(const struct doctor_host *h,
					  const struct doctor_check *c);
struct doctor_finding check_swap(const struct doctor_host *h, const struct doctor_check *c);
struct doctor_finding check_glibc_version(const struct doctor_host *h,
					  const struct doctor_check *c);
struct doctor_finding check_malloc_tunables(const struct doctor_host *h,
					    const struct doctor_check *c);
struct doctor_finding check_glibc_tunables(const struct doctor_host *h,
					   const struct doctor_check *c);

/* doctor-checks-cgroup.c: memrun's cgroup and the job's */
struct doctor_finding check_cgroup_version(const struct doctor_host *h,
					   const struct doctor_check *c);
struct doctor_finding check_cgroup_path(const struct doctor_host *h, const struct doctor_check *c);
struct doctor_finding check_cgroup_memory_limit(const struct doctor_host *h,
						const struct doctor_check *c);
struct doctor_finding check_cgroup_memory_usage(const struct doctor_host *h,
						const struct doctor_check *c);
struct doctor_finding check_cgroup_job(const struct doctor_host *h, const struct doctor_check *c);
struct doctor_finding check_cgroup_swap_accounting(const struct doctor_host *h,
						   const struct doctor_check *c);
struct doctor_finding check_cgroup_join(const struct doctor_host *h, const struct doctor_check *c);

/* doctor-checks-systemd.c: where systemd runs the host, its manager and
 * systemd-oomd */
struct doctor_finding check_cgroup_manager(const struct doctor_host *h,
					   const struct doctor_check *c);
struct doctor_finding check_user_memory_delegated(const struct doctor_host *h,
						  const struct doctor_check *c);
struct doctor_finding check_user_slice_memory_max(const struct doctor_host *h,
						  const struct doctor_check *c);
struct doctor_finding check_own_unit_memory_max(const struct doctor_host *h,
						const struct doctor_check *c);
struct doctor_finding check_systemd_oomd(const struct doctor_host *h, const struct doctor_check *c);

/* doctor-checks-oom.c: what kills a process, and what the report can tell */
struct doctor_finding check_panic_on_oom(const struct doctor_host *h, const struct doctor_check *c);
struct doctor_finding check_oom_kill_allocating_task(const struct doctor_host *h,
						     const struct doctor_check *c);
struct doctor_finding check_oom_score_adj(const struct doctor_host *h,
					  const struct doctor_check *c);
struct doctor_finding check_oom_score_adj_lower(const struct doctor_host *h,
						const struct doctor_check *c);
struct doctor_finding check_kmsg(const struct doctor_host *h, const struct doctor_check *c);
struct doctor_finding check_journal(const struct doctor_host *h, const struct doctor_check *c);
struct doctor_finding check_dmesg_restrict(const struct doctor_host *h,
					   const struct doctor_check *c);

/* ---- the snapshot of systemd (doctor-host-systemd.c) -------------------- */

struct plan;
void doctor_systemd_read(struct doctor_systemd *s, const struct cgroup_place *place,
			 const struct plan *plan);
void doctor_systemd_free(struct doctor_systemd *s);
