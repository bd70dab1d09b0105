/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for src/kmsg.c: oom-kill records as /dev/kmsg gives them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "kmsg.h"
#include "util.h"

#define JOB "/memrun-10-20"
/* "PRIORITY,SEQUENCE,MICROSECONDS,FLAGS;MESSAGE\n", as one read returns it. */
#define HEAD "6,1234,5678901,-;"
#define OOM_KILL "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,"
#define TAIL "task=python3,pid=4242,uid=0\n"

static const struct {
	const char *what;
	const char *record;
	bool parsed;
	pid_t pid;
	const char *comm;
	bool by_job_limit;
	bool global;
	bool by_inner_limit;
} records[] = {
	{ "the job's own limit",
	  HEAD OOM_KILL "oom_memcg=/ci.slice/x/memrun-10-20,"
			"task_memcg=/ci.slice/x/memrun-10-20," TAIL,
	  true, 4242, "python3", true, false, false },
	{ "without the trailing newline",
	  HEAD OOM_KILL "oom_memcg=/ci.slice/x/memrun-10-20,"
			"task_memcg=/ci.slice/x/memrun-10-20,task=python3,pid=4242,uid=0",
	  true, 4242, "python3", true, false, false },
	{ "a victim in a sub-cgroup of the job",
	  HEAD OOM_KILL "oom_memcg=/ci.slice/x/memrun-10-20,"
			"task_memcg=/ci.slice/x/memrun-10-20/sub," TAIL,
	  true, 4242, "python3", true, false, false },
	{ "the limit of an ancestor",
	  HEAD OOM_KILL "oom_memcg=/ci.slice/x,task_memcg=/ci.slice/x/memrun-10-20," TAIL,
	  true, 4242, "python3", false, false, false },
	{ "the limit of the hierarchy's root",
	  HEAD OOM_KILL "oom_memcg=/,task_memcg=/ci.slice/x/memrun-10-20," TAIL, true, 4242,
	  "python3", false, false, false },
	{ "the whole system ran out",
	  HEAD "oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,"
	       "global_oom,task_memcg=/ci.slice/x/memrun-10-20," TAIL,
	  true, 4242, "python3", false, true, false },
	{ "a cpuset ran out",
	  HEAD "oom-kill:constraint=CONSTRAINT_CPUSET,nodemask=(null),cpuset=job,"
	       "mems_allowed=0,global_oom,task_memcg=/memrun-10-20," TAIL,
	  true, 4242, "python3", false, false, false },
	{ "the job at the hierarchy's root (a cgroup namespace)",
	  HEAD OOM_KILL "oom_memcg=/memrun-10-20,task_memcg=/memrun-10-20," TAIL, true, 4242,
	  "python3", true, false, false },
	{ "another priority and sequence",
	  "3,987654,123,c;" OOM_KILL "oom_memcg=/memrun-10-20,task_memcg=/memrun-10-20,"
				     "task=sh,pid=1,uid=1000\n",
	  true, 1, "sh", true, false, false },
	{ "a path holding pid= is not the pid",
	  HEAD OOM_KILL "oom_memcg=/pid=7/memrun-10-20,task_memcg=/pid=7/memrun-10-20," TAIL,
	  true, 4242, "python3", true, false, false },
	{ "the limit of a cgroup the job made",
	  HEAD OOM_KILL "oom_memcg=/ci.slice/x/memrun-10-20/sub,"
			"task_memcg=/ci.slice/x/memrun-10-20/sub/deeper," TAIL,
	  true, 4242, "python3", false, false, true },
	{ "the job's limit, the victim two cgroups below",
	  HEAD OOM_KILL "oom_memcg=/memrun-10-20,task_memcg=/memrun-10-20/a/b," TAIL, true, 4242,
	  "python3", true, false, false },
	{ "a name of 15 bytes",
	  HEAD OOM_KILL "oom_memcg=/memrun-10-20,task_memcg=/memrun-10-20,"
			"task=abcdefghijklmno,pid=4242,uid=0\n",
	  true, 4242, "abcdefghijklmno", true, false, false },
	{ "node lists with ranges",
	  HEAD "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=0-1,3,cpuset=/,mems_allowed=0-3,"
	       "oom_memcg=/memrun-10-20,task_memcg=/memrun-10-20," TAIL,
	  true, 4242, "python3", true, false, false },
	{ "a kernel without cpusets",
	  HEAD "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),oom_memcg=/memrun-10-20,"
	       "task_memcg=/memrun-10-20," TAIL,
	  true, 4242, "python3", true, false, false },

	/* The victim moved between its choice and the record. */
	{ "a victim outside the limit's cgroup",
	  HEAD OOM_KILL "oom_memcg=/memrun-10-20/a,task_memcg=/memrun-10-20/b," TAIL, true, 4242,
	  "python3", false, false, true },

	/* Names chosen to forge another field: the pid, uid and paths stay the kernel's. */
	{ "a name that forges the main process's pid",
	  HEAD OOM_KILL "oom_memcg=/memrun-10-20,task_memcg=/memrun-10-20,"
			"task=x,pid=1,pid=4242,uid=0\n",
	  true, 4242, "x,pid=1", true, false, false },
	{ "a name that forges pid and uid",
	  HEAD OOM_KILL "oom_memcg=/memrun-10-20,task_memcg=/memrun-10-20,"
			"task=,pid=7,uid=0,pid=4242,uid=0\n",
	  true, 4242, ",pid=7,uid=0", true, false, false },
	{ "a name that forges a task field",
	  HEAD OOM_KILL "oom_memcg=/memrun-10-20,task_memcg=/memrun-10-20,"
			"task=a,task=b,pid=4242,uid=0\n",
	  true, 4242, "a,task=b", true, false, false },
	{ "a name of 15 bytes that ends in a task field",
	  HEAD OOM_KILL "oom_memcg=/memrun-10-20,task_memcg=/memrun-10-20,"
			"task=abcdefghi,task=,pid=4242,uid=0\n",
	  true, 4242, "abcdefghi,task=", true, false, false },
	{ "a name that forges the job's cgroup as its own",
	  HEAD OOM_KILL "oom_memcg=/memrun-10-20,task_memcg=/memrun-10-20,"
			"task=,task_memcg=/x,pid=4242,uid=0\n",
	  true, 4242, ",task_memcg=/x", true, false, false },
	{ "a name with bytes the log escapes",
	  HEAD OOM_KILL "oom_memcg=/memrun-10-20,task_memcg=/memrun-10-20,"
			"task=\\x01\\x02\\x03\\x04\\x05\\x06\\x07\\x08\\x09\\x0a\\x0b\\x0c\\x0d\\x0e"
			"\\x5c,pid=4242,uid=0\n",
	  true, 4242,
	  "\\x01\\x02\\x03\\x04\\x05\\x06\\x07\\x08\\x09\\x0a\\x0b\\x0c\\x0d\\x0e\\x5c", true,
	  false, false },
	{ "a cgroup named with ',task=' below the job's",
	  HEAD OOM_KILL "oom_memcg=/memrun-10-20,task_memcg=/memrun-10-20/a,task=b,"
			"task=sh,pid=4242,uid=0\n",
	  true, 4242, "b,task=sh", true, false, false },
	{ "a cgroup named with ',task_memcg='",
	  HEAD OOM_KILL "oom_memcg=/p,task_memcg=,task_memcg=/p,task_memcg=/memrun-10-20," TAIL,
	  true, 4242, "python3", false, false, false },
	{ "a cpuset named with ',mems_allowed='",
	  HEAD "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=a,mems_allowed=1,b,"
	       "mems_allowed=0,oom_memcg=/memrun-10-20,task_memcg=/memrun-10-20," TAIL,
	  true, 4242, "python3", true, false, false },
	{ "a global OOM, the name forging a field",
	  HEAD "oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,"
	       "global_oom,task_memcg=/memrun-10-20,task=x,pid=1,pid=4242,uid=0\n",
	  true, 4242, "x,pid=1", false, true, false },

	{ "another process named after the job's cgroup",
	  HEAD OOM_KILL "oom_memcg=/ci.slice,task_memcg=/ci.slice/other,"
			"task=/memrun-10-20,pid=4242,uid=0\n",
	  false, 0, NULL, false, false, false },
	{ "another process whose name forges the job's cgroup",
	  HEAD OOM_KILL "oom_memcg=/ci.slice,task_memcg=/ci.slice/other,"
			"task=,task_memcg=/,pid=4242,uid=0\n",
	  false, 0, NULL, false, false, false },
	{ "a name longer than the kernel's",
	  HEAD OOM_KILL "oom_memcg=/memrun-10-20,task_memcg=/memrun-10-20,"
			"task=abcdefghijklmnop,pid=4242,uid=0\n",
	  false, 0, NULL, false, false, false },
	{ "no task field", HEAD OOM_KILL "oom_memcg=/memrun-10-20,task_memcg=/memrun-10-20,"
					 "pid=4242,uid=0\n",
	  false, 0, NULL, false, false, false },
	{ "no uid field",
	  HEAD OOM_KILL "oom_memcg=/memrun-10-20,task_memcg=/memrun-10-20,task=python3,pid=4242\n",
	  false, 0, NULL, false, false, false },
	{ "text after the uid",
	  HEAD OOM_KILL "oom_memcg=/memrun-10-20,task_memcg=/memrun-10-20,task=python3,"
			"pid=4242,uid=0,x\n",
	  false, 0, NULL, false, false, false },
	{ "no constraint",
	  HEAD "oom-kill:nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/memrun-10-20,"
	       "task_memcg=/memrun-10-20," TAIL,
	  false, 0, NULL, false, false, false },
	{ "another job whose name extends this one's",
	  HEAD OOM_KILL "oom_memcg=/ci.slice/x/memrun-10-200,"
			"task_memcg=/ci.slice/x/memrun-10-200," TAIL,
	  false, 0, NULL, false, false, false },
	{ "a sub-cgroup of another job",
	  HEAD OOM_KILL "oom_memcg=/ci.slice/x/memrun-10-200,"
			"task_memcg=/ci.slice/x/memrun-10-200/sub," TAIL,
	  false, 0, NULL, false, false, false },
	{ "another job, its limit named after this one's",
	  HEAD OOM_KILL "oom_memcg=/ci.slice/x/memrun-10-20,"
			"task_memcg=/ci.slice/x/memrun-10-2," TAIL,
	  false, 0, NULL, false, false, false },
	{ "a process outside the job",
	  HEAD OOM_KILL "oom_memcg=/ci.slice,task_memcg=/ci.slice/other," TAIL, false, 0,
	  NULL, false, false, false },
	{ "the kernel's summary line is not the record",
	  "3,1240,5679000,-;Memory cgroup out of memory: Killed process 4242 (python3) "
	  "total-vm:1048576kB, anon-rss:524288kB, file-rss:0kB, shmem-rss:0kB, UID:0 "
	  "pgtables:1100kB oom_score_adj:0\n",
	  false, 0, NULL, false, false, false },
	{ "oom-kill not at the start of the message",
	  HEAD "note: oom-kill:constraint=CONSTRAINT_MEMCG,task_memcg=/memrun-10-20," TAIL,
	  false, 0, NULL, false, false, false },
	{ "a record without ';'",
	  OOM_KILL "oom_memcg=/memrun-10-20,task_memcg=/memrun-10-20," TAIL, false, 0, NULL,
	  false, false, false },
	{ "a header without ';'",
	  "6,1234,5678901,- " OOM_KILL "oom_memcg=/memrun-10-20,task_memcg=/memrun-10-20," TAIL,
	  false, 0, NULL, false, false, false },
	{ "written to /dev/kmsg by a process (facility LOG_USER), not the kernel",
	  "14,1234,5678901,-;" OOM_KILL "oom_memcg=/memrun-10-20,task_memcg=/memrun-10-20," TAIL,
	  false, 0, NULL, false, false, false },
	{ "a process's write with LOG_USER and level 4 (<12>)",
	  "12,1234,5678901,-;" OOM_KILL "oom_memcg=/memrun-10-20,task_memcg=/memrun-10-20," TAIL,
	  false, 0, NULL, false, false, false },
	{ "a header without a priority",
	  ",1234,5678901,-;" OOM_KILL "oom_memcg=/memrun-10-20,task_memcg=/memrun-10-20," TAIL,
	  false, 0, NULL, false, false, false },
	{ "no task_memcg", HEAD OOM_KILL "oom_memcg=/memrun-10-20," TAIL, false, 0, NULL, false,
	  false, false },
	{ "no pid field",
	  HEAD OOM_KILL "oom_memcg=/memrun-10-20,task_memcg=/memrun-10-20,task=python3,uid=0\n",
	  false, 0, NULL, false, false, false },
	{ "pid junk",
	  HEAD OOM_KILL "oom_memcg=/memrun-10-20,task_memcg=/memrun-10-20,task=python3,"
			"pid=42x42,uid=0\n",
	  false, 0, NULL, false, false, false },
	{ "pid empty",
	  HEAD OOM_KILL "oom_memcg=/memrun-10-20,task_memcg=/memrun-10-20,task=python3,"
			"pid=,uid=0\n",
	  false, 0, NULL, false, false, false },
	{ "pid zero",
	  HEAD OOM_KILL "oom_memcg=/memrun-10-20,task_memcg=/memrun-10-20,task=python3,"
			"pid=0,uid=0\n",
	  false, 0, NULL, false, false, false },
	{ "pid negative",
	  HEAD OOM_KILL "oom_memcg=/memrun-10-20,task_memcg=/memrun-10-20,task=python3,"
			"pid=-5,uid=0\n",
	  false, 0, NULL, false, false, false },
	{ "pid too large",
	  HEAD OOM_KILL "oom_memcg=/memrun-10-20,task_memcg=/memrun-10-20,task=python3,"
			"pid=2147483648,uid=0\n",
	  false, 0, NULL, false, false, false },
	{ "an empty record", "", false, 0, NULL, false, false, false },
	{ "only a header", HEAD, false, 0, NULL, false, false, false },
};

static void test_records(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(records); i++) {
		const struct oom_victim before = { .pid = 99, .comm = "before",
						   .by_job_limit = true, .by_inner_limit = true,
						   .global = true };
		struct oom_victim v = before;
		bool parsed = kmsg_parse_oom_record(records[i].record, JOB, &v);

		if (parsed != records[i].parsed)
			fail_msg("%s: kmsg_parse_oom_record = %d, expected %d", records[i].what,
				 parsed, records[i].parsed);
		if (!parsed) {
			if (memcmp(&v, &before, sizeof(v)) != 0)
				fail_msg("%s: the victim was written for a record not taken",
					 records[i].what);
			continue;
		}
		if (v.pid != records[i].pid || !streq(v.comm, records[i].comm))
			fail_msg("%s: victim %d (%s), expected %d (%s)", records[i].what,
				 (int)v.pid, v.comm, (int)records[i].pid, records[i].comm);
		if (v.by_job_limit != records[i].by_job_limit || v.global != records[i].global ||
		    v.by_inner_limit != records[i].by_inner_limit)
			fail_msg("%s: by_job_limit %d, global %d, by_inner_limit %d; expected %d, "
				 "%d, %d", records[i].what, v.by_job_limit, v.global,
				 v.by_inner_limit, records[i].by_job_limit, records[i].global,
				 records[i].by_inner_limit);
	}
}

/* A message without its header, as the journal keeps it: the same
 * record, the header's check left to the source. */
static void test_message_alone(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(records); i++) {
		const char *message = strchr(records[i].record, ';');
		struct oom_victim from_record = { 0 }, alone = { 0 };
		bool parsed;

		if (!message || !records[i].parsed)
			continue;
		parsed = kmsg_parse_oom_message(message + 1, JOB, &alone);
		kmsg_parse_oom_record(records[i].record, JOB, &from_record);
		if (!parsed || memcmp(&alone, &from_record, sizeof(alone)) != 0)
			fail_msg("%s: the message alone parsed %d, differently", records[i].what,
				 parsed);
	}
}

#define A50 "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
/* 255 and 256 bytes (KMSG_CGROUP_MAX is 255). */
#define LONG_PATH_MAX A50 A50 A50 A50 A50 "/bbbb"
#define LONG_PATH A50 A50 A50 A50 A50 "/bbbbb"

/* The limit of an enclosing cgroup: which, and how many levels above the
 * job's cgroup (as the job's unique name shows it in the task's path). */
static const struct {
	const char *what;
	const char *message;
	const char *job;
	const char *limit_cgroup;
	unsigned levels_up;
} enclosing[] = {
	{ "a user's slice, the job in a scope of the user's manager",
	  "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,"
	  "oom_memcg=/user.slice/user-4242.slice,task_memcg=/user.slice/user-4242.slice/"
	  "user@4242.service/app.slice/memrun-7-ab.scope/memrun-7-cd,task=hog,pid=42,uid=4242",
	  "/memrun-7-ab.scope", "/user.slice/user-4242.slice", 3 },
	{ "the parent of the job's cgroup",
	  OOM_KILL "oom_memcg=/ci.slice/x,task_memcg=/ci.slice/x/memrun-10-20/sub," TAIL,
	  JOB, "/ci.slice/x", 1 },
	{ "the job's own limit names none", OOM_KILL "oom_memcg=/a/memrun-10-20,"
						"task_memcg=/a/memrun-10-20," TAIL, JOB, "", 0 },
	{ "a limit below the job's names none", OOM_KILL "oom_memcg=/a/memrun-10-20/s,"
						   "task_memcg=/a/memrun-10-20/s," TAIL, JOB, "", 0 },
	{ "the hierarchy's root has no limit to name",
	  OOM_KILL "oom_memcg=/,task_memcg=/a/memrun-10-20," TAIL, JOB, "", 0 },
	{ "the whole system names none",
	  "oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,"
	  "global_oom,task_memcg=/a/memrun-10-20," TAIL, JOB, "", 0 },
	{ "an ancestor's path that is not the task's",
	  OOM_KILL "oom_memcg=/b,task_memcg=/a/memrun-10-20," TAIL, JOB, "", 0 },
	{ "a path longer than kept",
	  OOM_KILL "oom_memcg=" LONG_PATH ",task_memcg=" LONG_PATH "/memrun-10-20," TAIL, JOB, "",
	  0 },
	{ "a path as long as kept",
	  OOM_KILL "oom_memcg=" LONG_PATH_MAX ",task_memcg=" LONG_PATH_MAX "/memrun-10-20," TAIL,
	  JOB, LONG_PATH_MAX, 1 },
};

static void test_enclosing_limit(void **state)
{
	(void)state;
	for (size_t i = 0; i < ELEMENTSOF(enclosing); i++) {
		struct oom_victim v;

		if (!kmsg_parse_oom_message(enclosing[i].message, enclosing[i].job, &v))
			fail_msg("%s: not parsed", enclosing[i].what);
		if (!streq(v.limit_cgroup, enclosing[i].limit_cgroup) ||
		    v.limit_levels_up != enclosing[i].levels_up)
			fail_msg("%s: limit of '%s', %u levels up; expected '%s', %u",
				 enclosing[i].what, v.limit_cgroup, v.limit_levels_up,
				 enclosing[i].limit_cgroup, enclosing[i].levels_up);
	}
}

/* Victims past OOM_VICTIMS_MAX are counted, not kept. */
static void test_victims_add(void **state)
{
	struct oom_victims victims = { 0 };

	(void)state;
	for (int i = 0; i < OOM_VICTIMS_MAX + 3; i++) {
		struct oom_victim v = { .pid = 100 + i };

		oom_victims_add(&victims, &v);
	}
	assert_int_equal(victims.count, OOM_VICTIMS_MAX);
	assert_int_equal(victims.total, OOM_VICTIMS_MAX + 3);
	assert_int_equal(victims.list[OOM_VICTIMS_MAX - 1].pid, 100 + OOM_VICTIMS_MAX - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_message_alone),
		cmocka_unit_test(test_enclosing_limit),
		cmocka_unit_test(test_victims_add),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
