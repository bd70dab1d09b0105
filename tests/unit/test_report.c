/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests for src/report.c: the summary line and the JSON report are
 * written from the decided outcome and the plan alone.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "outcome.h"
#include "plan.h"
#include "report.h"
#include "util.h"

#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)

#define KNOWN(n) { .known = true, .value = (n) }
#define VICTIM(p, name, ...) { .pid = (p), .comm = name, __VA_ARGS__ }
#define LOG(n, ...)                                                            \
	.victims_known = true,                                                 \
	.victims = { .list = { __VA_ARGS__ }, .count = (n), .total = (n) }

/* A job that had a cgroup of its own, with memory_max max. */
#define CGROUP_V2(max)                                                         \
	.cgroup_version = 2, .memory_max_file = "memory.max",                  \
	.high_events_counted = true, .memory_max = (max),                      \
	.memory_high = LIMIT_UNLIMITED, .swap_max = LIMIT_UNLIMITED
#define CGROUP_V1(max)                                                         \
	.cgroup_version = 1, .memory_max_file = "memory.limit_in_bytes",       \
	.memory_max = (max), .memory_high = LIMIT_UNLIMITED,                   \
	.swap_max = LIMIT_UNLIMITED

/* systemd-oomd's marks and its record, as cgroup_finish keeps them. */
#define OOMD(actions_, processes_, pending_)                                   \
	.oomd = { .actions = (actions_), .processes = (processes_), .pending = (pending_) }
#define PRESSURE_RECORD                                                        \
	{ .rule = OOMD_RULE_PRESSURE,                                          \
	  .cgroup = (char *)"/user.slice/user-4242.slice/user@4242.service/"   \
			    "app.slice/memrun-1-ab.scope/memrun-1-cd",          \
	  .monitored = (char *)"/user.slice/user-4242.slice/user@4242.service", \
	  .pressure = 8239, .pressure_limit = 5000, .duration = (char *)"20s",  \
	  .duration_s = 20 }

enum plan_limits {
	NO_LIMITS,
	AS_256M,
	AS_256M_ADJ_500,
};

struct summary_case {
	const char *what;
	const char *command;
	enum plan_limits limits;
	struct outcome evidence;
	const char *line;
};

static const struct summary_case summaries[] = {
	{ "exited, peak of the limit", "make", NO_LIMITS,
	  { .started = true, .main_exited = true, .duration_s = 41.2, .main_pid = 100,
	    CGROUP_V2(2 * GiB), .oom_kills = KNOWN(0), .victims_known = true,
	    .peak_memory_bytes = KNOWN(1503238554) },
	  "memrun: make exited 0 after 41.2 s; peak 1.4 GiB of 2 GiB\n" },
	{ "exited 3, no cgroup, largest process", "cc", NO_LIMITS,
	  { .started = true, .main_exited = true, .exit_code = 3, .duration_s = 2.04,
	    .largest_rss_bytes = 12 * MiB },
	  "memrun: cc exited 3 after 2.0 s; largest process 12 MiB RSS\n" },
	{ "signaled", "sleep", NO_LIMITS,
	  { .started = true, .signal = SIGTERM, .duration_s = 2.0, CGROUP_V2(LIMIT_UNLIMITED),
	    .oom_kills = KNOWN(0), .victims_known = true },
	  "memrun: sleep was killed by SIGTERM after 2.0 s\n" },
	{ "signaled with a core", "crash", NO_LIMITS,
	  { .started = true, .signal = SIGSEGV, .core_dumped = true, .duration_s = 0.1,
	    CGROUP_V2(LIMIT_UNLIMITED), .oom_kills = KNOWN(0), .victims_known = true },
	  "memrun: crash was killed by SIGSEGV (core dumped) after 0.1 s\n" },
	{ "kill -9 without a cgroup cannot be told from the OOM killer", "sleep", NO_LIMITS,
	  { .started = true, .signal = SIGKILL, .duration_s = 1.0 },
	  "memrun: sleep was killed by SIGKILL after 1.0 s; without a memory cgroup memrun "
	  "cannot tell whether the OOM killer sent SIGKILL (see dmesg)\n" },
	{ "out of memory under RLIMIT_AS, limits listed", "python3", AS_256M,
	  { .started = true, .main_exited = true, .exit_code = 1, .duration_s = 0.5,
	    .alloc_observed = true, .alloc_failures = KNOWN(3),
	    .alloc_largest_bytes = 200 * MiB, .alloc_first_known = true,
	    .alloc_first = { .cause = PROBE_CAUSE_RLIMIT_AS, .rlimit_as = 256 * MiB } },
	  "memrun: python3 ran out of memory: 3 allocations refused under RLIMIT_AS 256 MiB "
	  "(largest 200 MiB); exited 1 after 0.5 s; limits: RLIMIT_AS 256 MiB\n" },
	{ "exited, memory rlimits locked", "python3", AS_256M_ADJ_500,
	  { .started = true, .main_exited = true, .duration_s = 0.2, .lock_limits = true },
	  "memrun: python3 exited 0 after 0.2 s; limits: RLIMIT_AS 256 MiB, oom_score_adj 500, "
	  "memory rlimits locked\n" },
	{ "exited, only the lock", "python3", NO_LIMITS,
	  { .started = true, .main_exited = true, .duration_s = 0.2, .lock_limits = true },
	  "memrun: python3 exited 0 after 0.2 s; limits: memory rlimits locked\n" },
	{ "oom-killed by the job's cgroup", "./hog", NO_LIMITS,
	  { .started = true, .signal = SIGKILL, .duration_s = 0.4, .main_pid = 100,
	    CGROUP_V2(64 * MiB), .oom_kills = KNOWN(1), .cgroup_oom_events = 1,
	    .peak_memory_bytes = KNOWN(64 * MiB - 4096),
	    LOG(1, VICTIM(100, "hog", .by_job_limit = true)) },
	  "memrun: ./hog was OOM-killed: cgroup memory.max 64 MiB reached (peak 64.0 MiB), "
	  "1 process killed, after 0.4 s\n" },
	{ "oom-killed by the job's cgroup, the manager's file name", "./hog", NO_LIMITS,
	  { .started = true, .signal = SIGKILL, .duration_s = 0.4, .main_pid = 100,
	    CGROUP_V1(64 * MiB), .oom_kills = KNOWN(2), .cgroup_oom_events = 1,
	    .peak_memory_bytes = KNOWN(64 * MiB),
	    LOG(2, VICTIM(100, "hog", .by_job_limit = true),
		VICTIM(101, "worker", .by_job_limit = true)) },
	  "memrun: ./hog was OOM-killed: cgroup memory.limit_in_bytes 64 MiB reached "
	  "(peak 64 MiB), 2 processes killed (worker, pid 101), after 0.4 s\n" },
	{ "oom-killed by another cgroup, limits listed", "./hog", AS_256M_ADJ_500,
	  { .started = true, .signal = SIGKILL, .duration_s = 1.5, .main_pid = 100,
	    CGROUP_V2(LIMIT_UNLIMITED), .oom_kills = KNOWN(1), LOG(1, VICTIM(100, "hog")) },
	  "memrun: ./hog was OOM-killed: a limit around the job's cgroup was reached, not the "
	  "job's own, 1 process killed, after 1.5 s; limits: RLIMIT_AS 256 MiB, oom_score_adj "
	  "500\n" },
	{ "a child oom-killed by the job's cgroup, main exited", "make", NO_LIMITS,
	  { .started = true, .main_exited = true, .exit_code = 2, .duration_s = 3.0,
	    .main_pid = 100, CGROUP_V2(1 * GiB), .oom_kills = KNOWN(1),
	    .cgroup_oom_events = 1, .peak_memory_bytes = KNOWN(1 * GiB),
	    LOG(1, VICTIM(4242, "cc1plus", .by_job_limit = true)) },
	  "memrun: make exited 2 after 3.0 s; 1 job process was OOM-killed (cc1plus, pid 4242) "
	  "under memory.max 1 GiB; peak 1 GiB of 1 GiB\n" },
	{ "a child oom-killed by the whole system, main exited", "make", NO_LIMITS,
	  { .started = true, .main_exited = true, .exit_code = 0, .duration_s = 3.0,
	    .main_pid = 100, CGROUP_V2(LIMIT_UNLIMITED), .oom_kills = KNOWN(1),
	    LOG(1, VICTIM(4242, "cc1plus", .global = true)) },
	  "memrun: make exited 0 after 3.0 s; 1 job process was OOM-killed (cc1plus, pid 4242): "
	  "the whole system ran out of memory (the kernel's global OOM killer)\n" },
	{ "oom-killed through memrun's own cgroup", "./hog", NO_LIMITS,
	  { .started = true, .signal = SIGKILL, .duration_s = 0.7, .main_pid = 100,
	    .oom_kills = KNOWN(1), .enclosing_oom_kills = 1, .enclosing_attributed = true,
	    .enclosing_dir = (char *)"/sys/fs/cgroup/box/memory.events" },
	  "memrun: ./hog was OOM-killed: the limit of memrun's own cgroup was reached "
	  "(/sys/fs/cgroup/box/memory.events counted it), 1 process killed, after 0.7 s\n" },
	{ "oom-killed at the limit of the user's slice", "./hog", NO_LIMITS,
	  { .started = true, .signal = SIGKILL, .duration_s = 2.5, .main_pid = 100,
	    CGROUP_V2(LIMIT_UNLIMITED), .oom_kills = KNOWN(1),
	    .peak_memory_bytes = KNOWN(100 * MiB),
	    .limit_cgroup = (char *)"/user.slice/user-4242.slice",
	    .limit_cgroup_max = KNOWN(100 * MiB),
	    LOG(1, VICTIM(100, "hog", .limit_cgroup = "/user.slice/user-4242.slice",
			  .limit_levels_up = 3)) },
	  "memrun: ./hog was OOM-killed: the limit of /user.slice/user-4242.slice (memory.max "
	  "100 MiB) was reached, not the job's own (peak 100 MiB), 1 process killed, after "
	  "2.5 s\n" },
	{ "oom-killed at the user's total, a cgroup", "./hog", NO_LIMITS,
	  { .started = true, .signal = SIGKILL, .duration_s = 1.5, .main_pid = 100,
	    CGROUP_V2(LIMIT_UNLIMITED), .oom_kills = KNOWN(1),
	    .peak_memory_bytes = KNOWN(100 * MiB), .total_set = true, .total_bytes = 128 * MiB,
	    .total_file = (char *)"/etc/memrun/policy.conf", .total_line = 5,
	    .total_dir = (char *)"/sys/fs/cgroup/memrun/user-4242",
	    .total_cgroup = (char *)"/memrun/user-4242", .total_limit_hits = 1 },
	  "memrun: ./hog was OOM-killed: the user's total of 128 MiB for all their jobs was "
	  "reached (total_memory_max at /etc/memrun/policy.conf:5, in force in "
	  "/sys/fs/cgroup/memrun/user-4242), not the job's own limit (peak 100 MiB), 1 process "
	  "killed, after 1.5 s\n" },
	{ "oom-killed at the user's total, a slice", "./hog", NO_LIMITS,
	  { .started = true, .signal = SIGKILL, .duration_s = 1.5, .main_pid = 100,
	    CGROUP_V2(LIMIT_UNLIMITED), .oom_kills = KNOWN(1), .total_set = true,
	    .total_bytes = 128 * MiB, .total_file = (char *)"/etc/memrun/policy.conf",
	    .total_line = 5, .total_unit = (char *)"user-4242.slice",
	    .total_cgroup = (char *)"/user.slice/user-4242.slice",
	    .limit_cgroup = (char *)"/user.slice/user-4242.slice",
	    LOG(1, VICTIM(100, "hog", .limit_cgroup = "/user.slice/user-4242.slice",
			  .limit_levels_up = 4)) },
	  "memrun: ./hog was OOM-killed: the user's total of 128 MiB for all their jobs was "
	  "reached (total_memory_max at /etc/memrun/policy.conf:5, the MemoryMax of "
	  "user-4242.slice), not the job's own limit, 1 process killed, after 1.5 s\n" },
	{ "the limit of a cgroup named, its limit gone since", "./hog", NO_LIMITS,
	  { .started = true, .signal = SIGKILL, .duration_s = 2.5, .main_pid = 100,
	    CGROUP_V2(LIMIT_UNLIMITED), .oom_kills = KNOWN(1),
	    .limit_cgroup = (char *)"/user.slice/user-4242.slice",
	    LOG(1, VICTIM(100, "hog", .limit_cgroup = "/user.slice/user-4242.slice",
			  .limit_levels_up = 3)) },
	  "memrun: ./hog was OOM-killed: the limit of /user.slice/user-4242.slice was reached, "
	  "not the job's own, 1 process killed, after 2.5 s\n" },
	{ "killed by systemd-oomd for memory pressure", "./hog", NO_LIMITS,
	  { .started = true, .signal = SIGKILL, .duration_s = 6.2, .main_pid = 100,
	    CGROUP_V2(LIMIT_UNLIMITED), .oom_kills = KNOWN(1), .victims_known = true,
	    .peak_memory_bytes = KNOWN(40 * MiB), OOMD(1, 1, 0), .oomd_whole_job = true,
	    .oomd_record_known = true, .oomd_record = PRESSURE_RECORD },
	  "memrun: ./hog was killed by systemd-oomd: memory pressure on user@4242.service was "
	  "82.39% > 50.00% for more than 20s (peak 40 MiB), 1 process killed, after 6.2 s\n" },
	{ "killed by systemd-oomd for swap", "./hog", NO_LIMITS,
	  { .started = true, .signal = SIGKILL, .duration_s = 60, .main_pid = 100,
	    CGROUP_V2(LIMIT_UNLIMITED), .oom_kills = KNOWN(2), .victims_known = true,
	    OOMD(1, 2, 0), .oomd_whole_job = true, .oomd_record_known = true,
	    .oomd_record = { .rule = OOMD_RULE_SWAP, .cgroup = (char *)"/a/memrun-1-ab.scope",
			     .memory_used = 3584 * MiB, .memory_total = 4 * GiB,
			     .swap_used = 1945 * MiB, .swap_total = 2 * GiB, .swap_limit = 9000 } },
	  "memrun: ./hog was killed by systemd-oomd: memory used 3.5 GiB of 4 GiB and swap used "
	  "1.9 GiB of 2 GiB, more than 90.00%, 2 processes killed, after 1 min 00 s\n" },
	{ "killed by systemd-oomd, its record unread", "./hog", NO_LIMITS,
	  { .started = true, .signal = SIGKILL, .duration_s = 6.2, .main_pid = 100,
	    CGROUP_V2(LIMIT_UNLIMITED), .oom_kills = KNOWN(1), .victims_known = true,
	    OOMD(1, 1, 0), .oomd_whole_job = true,
	    .oomd_record_unknown = (char *)"the system journal is not readable" },
	  "memrun: ./hog was killed by systemd-oomd: its rule unknown (the system journal is not "
	  "readable), 1 process killed, after 6.2 s\n" },
	{ "a cgroup the job made killed by systemd-oomd", "make", NO_LIMITS,
	  { .started = true, .main_exited = true, .exit_code = 2, .duration_s = 9.0,
	    .main_pid = 100, CGROUP_V2(LIMIT_UNLIMITED), .oom_kills = KNOWN(3),
	    .victims_known = true, OOMD(1, 3, 0), .oomd_record_known = true,
	    .oomd_record = PRESSURE_RECORD },
	  "memrun: make exited 2 after 9.0 s; 3 job processes were OOM-killed: by systemd-oomd, "
	  "memory pressure on user@4242.service was 82.39% > 50.00% for more than 20s\n" },
};

static void plan_with(struct plan *plan, enum plan_limits limits, char **argv)
{
	plan_init(plan);
	plan->command = argv;
	for (unsigned i = 0; i < SETTING_COUNT; i++)
		plan->limit_bytes[i] = LIMIT_UNLIMITED;
	if (limits >= AS_256M) {
		plan->values[SETTING_AS].set = true;
		plan->limit_bytes[SETTING_AS] = 256 * MiB;
	}
	if (limits >= AS_256M_ADJ_500) {
		plan->values[SETTING_OOM_SCORE_ADJ].set = true;
		plan->values[SETTING_OOM_SCORE_ADJ].number = 500;
	}
}

static char *summary_of(const struct plan *plan, const struct outcome *o)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	report_print_summary(f, plan, o);
	assert_int_equal(fclose(f), 0);
	return text;
}

/* The JSON reports of first and (unless NULL) second, each decided, one
 * after the other. */
static char *reports_of(const struct plan *plan, struct outcome *first, struct outcome *second)
{
	char *json = NULL;
	size_t len = 0;
	FILE *f;

	outcome_decide(first);
	if (second)
		outcome_decide(second);
	f = open_memstream(&json, &len);
	assert_non_null(f);
	report_write_json(f, plan, first);
	if (second)
		report_write_json(f, plan, second);
	assert_int_equal(fclose(f), 0);
	return json;
}

static void test_summary_line(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(summaries); i++) {
		const struct summary_case *c = &summaries[i];
		char *argv[] = { (char *)c->command, NULL };
		struct outcome o = c->evidence;
		struct plan plan;
		char *line;

		plan_with(&plan, c->limits, argv);
		outcome_decide(&o);
		line = summary_of(&plan, &o);
		if (strcmp(line, c->line) != 0)
			fail_msg("%s:\n  got      %s  expected %s", c->what, line, c->line);
		free(line);
		plan_free(&plan);
	}
}

/* A manager that names no limit file: people know it as memory.max. */
static void test_summary_without_a_limit_file_name(void **state)
{
	char *argv[] = { "./hog", NULL };
	struct outcome o = { .started = true, .signal = SIGKILL, .duration_s = 0.4,
			     .main_pid = 100, .cgroup_version = 2, .memory_max = 64 * MiB,
			     .oom_kills = KNOWN(1), .cgroup_oom_events = 1 };
	struct plan plan;
	char *line;

	(void)state;
	plan_with(&plan, NO_LIMITS, argv);
	outcome_decide(&o);
	line = summary_of(&plan, &o);
	assert_string_equal(line, "memrun: ./hog was OOM-killed: cgroup memory.max 64 MiB "
				  "reached, 1 process killed, after 0.4 s\n");
	free(line);
	plan_free(&plan);
}

/* The report's shape, key by key; its limits are those the outcome
 * recorded, whatever memrun's own are when it is written. */
static const char expected_json[] =
	"{\n"
	"  \"memrun_version\": \"" MEMRUN_VERSION "\",\n"
	"  \"outcome\": \"oom-killed\",\n"
	"  \"exit_code\": null,\n"
	"  \"signal\": 9,\n"
	"  \"signal_name\": \"SIGKILL\",\n"
	"  \"core_dumped\": false,\n"
	"  \"memrun_exit_status\": 137,\n"
	"  \"main_oom_killed\": true,\n"
	"  \"error\": null,\n"
	"  \"hint\": null,\n"
	"  \"oom\": {\n"
	"    \"kills\": 2,\n"
	"    \"kills_unknown_reason\": null,\n"
	"    \"kills_at_least\": null,\n"
	"    \"killer\": \"cgroup\",\n"
	"    \"killed_by\": \"kernel\",\n"
	"    \"enclosing_kills\": null,\n"
	"    \"enclosing_source\": null,\n"
	"    \"limit_events\": 1,\n"
	"    \"memory_max_events\": 4,\n"
	"    \"memory_high_events\": 0,\n"
	"    \"victims\": [\n"
	"      {\n"
	"        \"pid\": 100,\n"
	"        \"comm\": \"hog\",\n"
	"        \"main\": true,\n"
	"        \"by_job_limit\": true,\n"
	"        \"by_inner_limit\": false\n"
	"      },\n"
	"      {\n"
	"        \"pid\": 101,\n"
	"        \"comm\": \"worker\",\n"
	"        \"main\": false,\n"
	"        \"by_job_limit\": true,\n"
	"        \"by_inner_limit\": false\n"
	"      }\n"
	"    ],\n"
	"    \"victims_source\": \"journal\",\n"
	"    \"victims_unknown_reason\": null,\n"
	"    \"limit_cgroup\": null,\n"
	"    \"limit_cgroup_memory_max_bytes\": null,\n"
	"    \"limit_user_total\": false,\n"
	"    \"oomd\": null\n"
	"  },\n"
	"  \"alloc_failures\": {\n"
	"    \"observed\": true,\n"
	"    \"not_observed_reason\": null,\n"
	"    \"count\": 0,\n"
	"    \"count_at_least\": null,\n"
	"    \"largest_bytes\": 0,\n"
	"    \"processes\": 2,\n"
	"    \"cause\": null,\n"
	"    \"causes\": {},\n"
	"    \"first\": null\n"
	"  },\n"
	"  \"peak\": {\n"
	"    \"memory_bytes\": 67108864,\n"
	"    \"memory_sampled\": false,\n"
	"    \"largest_process_rss_bytes\": null\n"
	"  },\n"
	"  \"limits\": {\n"
	"    \"as_bytes\": 268435456,\n"
	"    \"data_bytes\": null,\n"
	"    \"lock_limits\": true,\n"
	"    \"memory_max_bytes\": 67108864,\n"
	"    \"memory_high_bytes\": null,\n"
	"    \"swap_max_bytes\": null,\n"
	"    \"oom_score_adj\": -17,\n"
	"    \"malloc\": {},\n"
	"    \"glibc_tunables\": null,\n"
	"    \"oom_group\": true,\n"
	"    \"not_applied_reason\": null,\n"
	"    \"policy\": null\n"
	"  },\n"
	"  \"cgroup\": {\n"
	"    \"version\": 2,\n"
	"    \"path\": \"/sys/fs/cgroup/job/memrun-1\",\n"
	"    \"manager\": null,\n"
	"    \"manager_reason\": null,\n"
	"    \"unit\": null,\n"
	"    \"unit_result\": null,\n"
	"    \"error\": null\n"
	"  },\n"
	"  \"duration_s\": 0.400,\n"
	"  \"main_pid\": 100,\n"
	"  \"command\": [\n"
	"    \"./hog\",\n"
	"    \"64M\"\n"
	"  ],\n"
	"  \"profiles\": []\n"
	"}\n";

static void test_json_report(void **state)
{
	char *argv[] = { "./hog", "64M", NULL };
	struct outcome o = {
		.started = true, .signal = SIGKILL, .duration_s = 0.4, .main_pid = 100,
		.rlimit_as_bytes = 256 * MiB, .rlimit_data_bytes = LIMIT_UNLIMITED,
		.oom_score_adj_known = true, .oom_score_adj = -17, .lock_limits = true,
		CGROUP_V2(64 * MiB), .cgroup_dir = (char *)"/sys/fs/cgroup/job/memrun-1",
		.oom_group = true, .oom_kills = KNOWN(2),
		.cgroup_oom_events = 1, .memory_max_events = 4,
		.peak_memory_bytes = KNOWN(64 * MiB), .alloc_observed = true,
		.alloc_failures = KNOWN(0), .alloc_processes = 2,
		LOG(2, VICTIM(100, "hog", .by_job_limit = true),
		    VICTIM(101, "worker", .by_job_limit = true)),
		.victims_source = KERNEL_LOG_JOURNAL,
	};
	struct plan plan;
	char *json;

	(void)state;
	plan_with(&plan, NO_LIMITS, argv);
	json = reports_of(&plan, &o, NULL);
	assert_string_equal(json, expected_json);
	free(json);
	plan_free(&plan);
}

/* Without a count of memory.high events, or without a cgroup: null. */
static void test_json_counts_null_where_not_kept(void **state)
{
	char *argv[] = { "true", NULL };
	struct outcome with_v1 = { .started = true, .main_exited = true,
				   CGROUP_V1(LIMIT_UNLIMITED),
				   .oom_kills = KNOWN(0), .memory_high_events = 5 };
	struct outcome without = { .started = true, .main_exited = true,
				   .rlimit_as_bytes = LIMIT_UNLIMITED,
				   .rlimit_data_bytes = LIMIT_UNLIMITED };
	struct plan plan;
	char *json;

	(void)state;
	plan_with(&plan, NO_LIMITS, argv);
	json = reports_of(&plan, &with_v1, &without);
	/* The first report counts memory.max events but not memory.high ones. */
	assert_non_null(strstr(json, "\"memory_max_events\": 0,\n"
				     "    \"memory_high_events\": null,"));
	assert_non_null(strstr(json, "\"limit_events\": null,\n"
				     "    \"memory_max_events\": null,\n"
				     "    \"memory_high_events\": null,"));
	assert_non_null(strstr(json, "\"oom_score_adj\": null,"));
	assert_non_null(strstr(json, "\"main_oom_killed\": null,"));
	free(json);
	plan_free(&plan);
}

/* An OOM kill that no kernel log could name: the source null, and why. */
static void test_json_victims_unknown(void **state)
{
	char *argv[] = { "./hog", NULL };
	struct outcome o = { .started = true, .signal = SIGKILL, .main_pid = 100,
			     CGROUP_V2(64 * MiB), .oom_kills = KNOWN(1), .cgroup_oom_events = 1,
			     .victims_unknown = (char *)"neither /dev/kmsg (Operation not "
							"permitted) nor the system journal (only "
							"members of the groups systemd-journal and "
							"adm may read it) is readable" };
	struct plan plan;
	char *json;

	(void)state;
	plan_with(&plan, NO_LIMITS, argv);
	json = reports_of(&plan, &o, NULL);
	assert_non_null(strstr(json, "\"victims\": null,\n"
				     "    \"victims_source\": null,\n"
				     "    \"victims_unknown_reason\": \"neither /dev/kmsg (Operation "
				     "not permitted) nor the system journal (only members of the "
				     "groups systemd-journal and adm may read it) is readable\",\n"));
	assert_non_null(strstr(json, "\"outcome\": \"oom-killed\","));
	free(json);
	plan_free(&plan);
}

/* systemd-oomd's kill: who, and the rule from its record. */
static void test_json_oomd(void **state)
{
	char *argv[] = { "./hog", NULL };
	struct outcome o = { .started = true, .signal = SIGKILL, .main_pid = 100,
			     CGROUP_V2(LIMIT_UNLIMITED), .oom_kills = KNOWN(1),
			     .victims_known = true, OOMD(1, 1, 0), .oomd_whole_job = true,
			     .oomd_record_known = true, .oomd_record = PRESSURE_RECORD,
			     .cgroup_unit = (char *)"memrun-1-ab.scope",
			     .cgroup_unit_result = (char *)"success" };
	struct outcome unread = { .started = true, .signal = SIGKILL, .main_pid = 100,
				  CGROUP_V2(LIMIT_UNLIMITED), .oom_kills = KNOWN(1),
				  .victims_known = true, OOMD(1, 0, 1), .oomd_whole_job = true,
				  .oomd_record_unknown = (char *)"not readable" };
	struct plan plan;
	char *json;

	(void)state;
	plan_with(&plan, NO_LIMITS, argv);
	json = reports_of(&plan, &o, &unread);
	assert_non_null(strstr(json, "\"outcome\": \"oom-killed\","));
	assert_non_null(strstr(json, "\"main_oom_killed\": true,"));
	assert_non_null(strstr(json, "\"killer\": \"other\",\n"
				     "    \"killed_by\": \"systemd-oomd\","));
	assert_non_null(strstr(json,
		"    \"oomd\": {\n"
		"      \"kills\": 1,\n"
		"      \"actions\": 1,\n"
		"      \"cgroup\": \"/user.slice/user-4242.slice/user@4242.service/app.slice/"
		"memrun-1-ab.scope/memrun-1-cd\",\n"
		"      \"rule\": \"memory-pressure\",\n"
		"      \"monitored_cgroup\": \"/user.slice/user-4242.slice/user@4242.service\",\n"
		"      \"pressure_percent\": 82.39,\n"
		"      \"pressure_limit_percent\": 50.00,\n"
		"      \"pressure_duration_s\": 20,\n"
		"      \"memory_used_bytes\": null,\n"
		"      \"memory_total_bytes\": null,\n"
		"      \"swap_used_bytes\": null,\n"
		"      \"swap_total_bytes\": null,\n"
		"      \"swap_used_limit_percent\": null,\n"
		"      \"record_source\": \"journal\",\n"
		"      \"record_unknown_reason\": null\n"
		"    }\n"));
	assert_non_null(strstr(json, "\"unit\": \"memrun-1-ab.scope\",\n"
				     "    \"unit_result\": \"success\","));
	/* The second: the count not written yet, the record unread. */
	assert_non_null(strstr(json,
		"    \"oomd\": {\n"
		"      \"kills\": 1,\n"
		"      \"actions\": 1,\n"
		"      \"cgroup\": null,\n"
		"      \"rule\": null,\n"));
	assert_non_null(strstr(json, "\"record_source\": null,\n"
				     "      \"record_unknown_reason\": \"not readable\"\n"));
	free(json);
	plan_free(&plan);
}

static void test_format_duration(void **state)
{
	char buf[32];

	(void)state;
	assert_string_equal(format_duration(0.04, buf), "0.0 s");
	assert_string_equal(format_duration(41.25, buf), "41.2 s");
	assert_string_equal(format_duration(81.2, buf), "1 min 21 s");
	assert_string_equal(format_duration(184, buf), "3 min 04 s");
	assert_string_equal(format_duration(7500, buf), "2 h 05 min");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_summary_line),
		cmocka_unit_test(test_summary_without_a_limit_file_name),
		cmocka_unit_test(test_json_report),
		cmocka_unit_test(test_json_counts_null_where_not_kept),
		cmocka_unit_test(test_json_victims_unknown),
		cmocka_unit_test(test_json_oomd),
		cmocka_unit_test(test_format_duration),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
