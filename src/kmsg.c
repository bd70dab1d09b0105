/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "kmsg.h"

#include <ctype.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "util.h"

/* The largest record /dev/kmsg hands out (the kernel's CONSOLE_EXT_LOG_MAX):
 * a read with less room fails with EINVAL. */
#define KMSG_RECORD_MAX 8192

int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/*
 * The record, as mm/oom_kill.c prints it (cpuset and mems_allowed only
 * with CONFIG_CPUSETS; global_oom in place of oom_memcg when the whole
 * system ran out):
 *
 *   oom-kill:constraint=C,nodemask=N,cpuset=NAME,mems_allowed=N,
 *	      oom_memcg=PATH,task_memcg=PATH,task=COMM,pid=N,uid=N
 *
 * COMM is any process's to choose (prctl, or a program's file name): up to
 * 15 bytes that may hold ',' and '=', so a process named "x,pid=1" must
 * not pass for pid 1.  pid and uid, digits, are read from the right; the
 * fields the kernel writes itself, then the memcg paths, from the left;
 * COMM is what lies between them, never longer than the kernel's.
 */
struct span {
	const char *p, *end;
};

static bool skip_literal(const char **p, const char *end, const char *literal)
{
	size_t n = strlen(literal);

	if ((size_t)(end - *p) < n || memcmp(*p, literal, n) != 0)
		return false;
	*p += n;
	return true;
}

static bool at_literal(const char *p, const char *end, const char *literal)
{
	return skip_literal(&p, end, literal);
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* "KEY=DIGITS" ending at end: the number, and where KEY begins. */
static bool number_before(const char *begin, const char *end, const char *key,
			  const char **ret_key, unsigned long long *ret)
{
	const char *p = end;
	unsigned long long value = 0;
	size_t klen = strlen(key);

	while (p > begin && is_digit(p[-1]))
		p--;
	/* 10 digits hold any uid and pid the kernel prints. */
	if (p == end || end - p > 10)
		return false;
	for (const char *d = p; d < end; d++)
		value = value * 10 + (unsigned)(*d - '0');
	if ((size_t)(p - begin) < klen || memcmp(p - klen, key, klen) != 0)
		return false;
	*ret_key = p - klen;
	*ret = value;
	return true;
}

/* A node list as "%*pbl" prints it ("0", "0-3,8") or "(null)". */
static const char *skip_nodelist(const char *p, const char *end)
{
	const char *start = p;

	if (skip_literal(&p, end, "(null)"))
		return p;
	while (p < end && (is_digit(*p) || *p == ',' || *p == '-'))
		p++;
	/* The comma that ends the list is the next field's. */
	if (p > start && p[-1] == ',')
		p--;
	return p;
}

/* The cpuset's name is a cgroup's, any text: it ends at the first
 * ",mems_allowed=" that a node list and the next field follow. */
static bool skip_cpuset_name(const char **p, const char *end)
{
	static const char key[] = ",mems_allowed=";

	for (const char *s = *p; (s = memmem(s, (size_t)(end - s), key, sizeof(key) - 1)); s++) {
		const char *next = skip_nodelist(s + sizeof(key) - 1, end);

		if (at_literal(next, end, ",oom_memcg=") || at_literal(next, end, ",global_oom,")) {
			*p = next;
			return true;
		}
	}
	return false;
}

/* Bytes of task name in [p, end): /dev/kmsg shows a byte it will not
 * print (a backslash too) as "\xNN". */
static size_t comm_bytes(const char *p, const char *end)
{
	size_t n = 0;

	while (p < end) {
		if (end - p >= 4 && p[0] == '\\' && p[1] == 'x' && isxdigit((unsigned char)p[2]) &&
		    isxdigit((unsigned char)p[3]))
			p += 4;
		else
			p++;
		n++;
	}
	return n;
}

/* The task's cgroup lies at or below the one whose limit was hit. */
static bool path_within(struct span inner, struct span outer)
{
	size_t on = (size_t)(outer.end - outer.p), in = (size_t)(inner.end - inner.p);

	if (on == 1 && outer.p[0] == '/')
		return true;
	return in >= on && memcmp(inner.p, outer.p, on) == 0 && (in == on || inner.p[on] == '/');
}

static bool is_path(struct span s)
{
	return s.end > s.p && s.p[0] == '/';
}

/*
 * Split "[OOM_MEMCG],task_memcg=TASK_MEMCG,task=COMM" (no OOM_MEMCG after
 * global_oom).  Cgroup names may hold ",task_memcg=" and ",task=", and
 * COMM may hold ",task=": COMM is the longest tail after a ",task=" that
 * fits the kernel's 15 bytes (whatever a name holds only moves the split
 * to the right of where the name begins), and the task's cgroup lies at
 * or below the one whose limit was hit.
 */
static bool split_memcgs(const char *p, const char *end, bool global_oom, struct span *ret_oom,
			 struct span *ret_task, struct span *ret_comm)
{
	static const char task_memcg[] = ",task_memcg=", task[] = ",task=";
	bool found = false;

	for (const char *tm = p;
	     (tm = memmem(tm, (size_t)(end - tm), task_memcg, sizeof(task_memcg) - 1)); tm++) {
		const char *path = tm + sizeof(task_memcg) - 1, *tk;
		struct span oom = { p, tm }, in;

		for (tk = path; (tk = memmem(tk, (size_t)(end - tk), task, sizeof(task) - 1)); tk++)
			if (comm_bytes(tk + sizeof(task) - 1, end) <= KMSG_COMM_MAX)
				break;
		if (!tk || (global_oom && tm != p))
			break;	/* a later split leaves no more room for the name */
		in = (struct span){ path, tk };
		if (!is_path(in) || (!global_oom && !is_path(oom)))
			continue;
		/* The first split that fits, unless one further on is consistent. */
		if (!found || global_oom || path_within(in, oom)) {
			*ret_oom = oom;
			*ret_task = in;
			*ret_comm = (struct span){ tk + sizeof(task) - 1, end };
			found = true;
		}
		if (global_oom || path_within(in, oom))
			return true;
	}
	return found;
}

/* Where a cgroup path stands to the job's: 0 it is the job's cgroup, 1
 * below it, -1 neither.  The log names cgroups from the hierarchy's root,
 * which inside a cgroup namespace memrun does not see: the job's unique
 * name is matched as a whole path component. */
static int job_relation(struct span path, const char *job_suffix)
{
	size_t n = strlen(job_suffix);

	for (const char *s = path.p; (s = memmem(s, (size_t)(path.end - s), job_suffix, n)); s++) {
		if (s + n == path.end)
			return 0;
		if (s[n] == '/')
			return 1;
	}
	return -1;
}

/* Where the job's cgroup ends in a path where job_relation() finds it. */
static const char *job_end(struct span path, const char *job_suffix)
{
	size_t n = strlen(job_suffix);

	for (const char *s = path.p; (s = memmem(s, (size_t)(path.end - s), job_suffix, n)); s++)
		if (s + n == path.end || s[n] == '/')
			return s + n;
	return NULL;
}

/* The limit hit was an enclosing cgroup's (a user's slice with the
 * MemoryMax an admin set, a container's): which, and how far above the
 * job's cgroup, where the task's path shows the job's within it. */
static void note_enclosing_limit(struct oom_victim *v, struct span oom, struct span task,
				 const char *job_suffix)
{
	struct span job = { task.p, job_end(task, job_suffix) };
	size_t n = (size_t)(oom.end - oom.p);
	unsigned levels = 0;

	if (!job.end || n > KMSG_CGROUP_MAX || (n == 1 && oom.p[0] == '/') ||
	    !path_within(job, oom) || job.end - job.p == (ptrdiff_t)n)
		return;
	for (const char *s = job.p + n; s < job.end; s++)
		levels += *s == '/';
	memcpy(v->limit_cgroup, oom.p, n);
	v->limit_cgroup[n] = '\0';
	v->limit_levels_up = levels;
}

/* The record's PRI field says the kernel wrote it (facility 0). */
static bool kernel_facility(const char *record, const char *header_end)
{
	unsigned long pri = 0;
	const char *p = record;

	if (p == header_end || *p < '0' || *p > '9')
		return false;
	for (; p < header_end && *p >= '0' && *p <= '9'; p++) {
		pri = pri * 10 + (unsigned long)(*p - '0');
		if (pri > 1023)
			return false;
	}
	return p < header_end && *p == ',' && pri >> 3 == 0;
}

bool kmsg_parse_oom_record(const char *record, const char *job_suffix, struct oom_victim *v)
{
	const char *msg = strchr(record, ';');

	/* Every /dev/kmsg record is "HEADER;MESSAGE\n", the message one line,
	 * the header "PRI,SEQ,TS,FLAGS" with PRI = facility * 8 + level.  The
	 * kernel's own messages have facility 0, which a write to /dev/kmsg
	 * never gets (the kernel makes it LOG_USER): a job cannot forge one. */
	if (!msg || !kernel_facility(record, msg))
		return false;
	return kmsg_parse_oom_message(msg + 1, job_suffix, v);
}

bool kmsg_parse_oom_message(const char *message, const char *job_suffix, struct oom_victim *v)
{
	const char *p = message, *end = strchrnul(message, '\n'), *uid_key, *pid_key;
	struct span constraint;
	unsigned long long pid, uid;
	struct span oom_memcg = { NULL, NULL }, task_memcg = { NULL, NULL }, comm = { NULL, NULL };
	bool global_oom = false;
	int relation;
	size_t n;

	if (!skip_literal(&p, end, "oom-kill:"))
		return false;

	if (!number_before(p, end, ",uid=", &uid_key, &uid) ||
	    !number_before(p, uid_key, ",pid=", &pid_key, &pid) || pid == 0 || pid > INT32_MAX)
		return false;
	end = pid_key;

	if (!skip_literal(&p, end, "constraint="))
		return false;
	constraint.p = p;
	while (p < end && ((*p >= 'A' && *p <= 'Z') || *p == '_'))
		p++;
	constraint.end = p;
	if (p == constraint.p || !skip_literal(&p, end, ",nodemask="))
		return false;
	p = skip_nodelist(p, end);
	if (skip_literal(&p, end, ",cpuset=") && !skip_cpuset_name(&p, end))
		return false;
	if (skip_literal(&p, end, ",global_oom"))
		global_oom = true;
	else if (!skip_literal(&p, end, ",oom_memcg="))
		return false;
	if (!split_memcgs(p, end, global_oom, &oom_memcg, &task_memcg, &comm))
		return false;
	if (job_relation(task_memcg, job_suffix) < 0)
		return false;

	*v = (struct oom_victim){
		.pid = (pid_t)pid,
		.global = at_literal(constraint.p, constraint.end, "CONSTRAINT_NONE") &&
			  constraint.end - constraint.p == (ptrdiff_t)strlen("CONSTRAINT_NONE"),
	};
	n = (size_t)(comm.end - comm.p);
	memcpy(v->comm, comm.p, n < sizeof(v->comm) ? n : sizeof(v->comm) - 1);
	v->comm[n < sizeof(v->comm) ? n : sizeof(v->comm) - 1] = '\0';
	relation = global_oom ? -1 : job_relation(oom_memcg, job_suffix);
	v->by_job_limit = relation == 0;
	v->by_inner_limit = relation == 1;
	if (relation < 0 && !global_oom)
		note_enclosing_limit(v, oom_memcg, task_memcg, job_suffix);
	return true;
}

void kmsg_collect_oom(int fd, const char *job_suffix, struct oom_victims *ret)
{
	char record[KMSG_RECORD_MAX + 1];

	*ret = (struct oom_victims){ 0 };
	for (;;) {
		ssize_t n = read(fd, record, sizeof(record) - 1);
		struct oom_victim v;

		if (n < 0 && errno == EPIPE)
			continue;	/* records were overwritten: go on with the next */
		if (n <= 0)
			break;
		record[n] = '\0';
		if (kmsg_parse_oom_record(record, job_suffix, &v))
			oom_victims_add(ret, &v);
	}
}

void oom_victims_add(struct oom_victims *victims, const struct oom_victim *v)
{
	if (victims->count < OOM_VICTIMS_MAX)
		victims->list[victims->count++] = *v;
	victims->total++;
}
