/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "kmsg.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>

#include "util.h"

int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* Value of "key=" in a comma-separated record, copied into buf. */
static bool field(const char *text, const char *key, char *buf, size_t size)
{
	size_t klen = strlen(key);

	for (const char *p = text; (p = strstr(p, key)); p += klen) {
		size_t n;

		if (p != text && p[-1] != ',' && p[-1] != ':')
			continue;
		if (p[klen] != '=')
			continue;
		p += klen + 1;
		n = strcspn(p, ",\n");
		if (n >= size)
			n = size - 1;
		memcpy(buf, p, n);
		buf[n] = '\0';
		return true;
	}
	return false;
}

static bool path_is_job(const char *path, const char *job_suffix)
{
	/* The log names cgroups from the hierarchy's root, which inside a
	 * cgroup namespace memrun does not see: match the unique tail. */
	const char *p = strstr(path, job_suffix);
	size_t n = strlen(job_suffix);

	return p && (p[n] == '\0' || p[n] == '/');
}

bool kmsg_parse_oom_record(const char *record, const char *job_suffix, struct oom_victim *v)
{
	const char *msg = strchr(record, ';');
	char task_memcg[512], oom_memcg[512], constraint[64], pid[32];
	long long pid_value;

	/* Every /dev/kmsg record is "HEADER;MESSAGE". */
	if (!msg || !startswith(++msg, "oom-kill:"))
		return false;
	msg += strlen("oom-kill:");
	if (!field(msg, "task_memcg", task_memcg, sizeof(task_memcg)) ||
	    !field(msg, "pid", pid, sizeof(pid)) || !path_is_job(task_memcg, job_suffix))
		return false;
	if (parse_int64(pid, 1, INT32_MAX, &pid_value) < 0)
		return false;
	*v = (struct oom_victim){ .pid = (pid_t)pid_value };
	if (!field(msg, "task", v->comm, sizeof(v->comm)))
		v->comm[0] = '\0';
	if (field(msg, "constraint", constraint, sizeof(constraint)))
		v->global = streq(constraint, "CONSTRAINT_NONE");
	v->by_job_limit = field(msg, "oom_memcg", oom_memcg, sizeof(oom_memcg)) &&
			  path_is_job(oom_memcg, job_suffix);
	return true;
}

void kmsg_collect_oom(int fd, const char *job_suffix, struct oom_victims *ret)
{
	char record[8192];

	*ret = (struct oom_victims){ 0 };
	for (;;) {
		ssize_t n = read(fd, record, sizeof(record) - 1);
		struct oom_victim v;

		if (n < 0 && errno == EPIPE)
			continue;	/* records were overwritten: go on with the next */
		if (n <= 0)
			break;
		record[n] = '\0';
		if (!kmsg_parse_oom_record(record, job_suffix, &v))
			continue;
		if (ret->count < OOM_VICTIMS_MAX)
			ret->list[ret->count++] = v;
		ret->total++;
	}
}
