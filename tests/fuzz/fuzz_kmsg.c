/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The kernel log's OOM-kill records: a /dev/kmsg record
 * (kmsg_parse_oom_record), its message alone (kmsg_parse_oom_message), the
 * journal's copy of it (kernel_log_parse_journal_message), and a stream of
 * records read as from /dev/kmsg, one per read (kmsg_collect_oom).  A job
 * names its processes and cgroups: those parts of a record are its to
 * choose. */
#include "fuzz.h"

#include <fcntl.h>
#include <sys/socket.h>

#include "kernel-log.h"
#include "kmsg.h"
#include "util.h"

/* The job's cgroup, as the corpus's records name it. */
#define JOB_SUFFIX "/memrun-4242-a0b1c2d3e4f5a6b7"

static int records[2] = { -1, -1 };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	fuzz_quiet();
	/* A datagram per record, as /dev/kmsg gives one per read(). */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, records) < 0)
		abort();
	return 0;
}

static void check_victim(const struct oom_victim *v)
{
	FUZZ_ASSERT(v->pid > 0);
	FUZZ_ASSERT(fuzz_terminated(v->comm, sizeof(v->comm)));
	FUZZ_ASSERT(fuzz_terminated(v->limit_cgroup, sizeof(v->limit_cgroup)));
	FUZZ_ASSERT(!(v->by_job_limit && v->by_inner_limit));
	FUZZ_ASSERT(!v->limit_cgroup[0] || v->limit_levels_up > 0);
}

static void collect(const char *text)
{
	struct oom_victims victims;
	size_t sent = 0;

	for (const char *p = text; *p && sent < 64;) {
		size_t n = strcspn(p, "\n");

		n += p[n] == '\n';
		if (send(records[1], p, n, MSG_DONTWAIT) != (ssize_t)n)
			break;
		sent++;
		p += n;
	}
	kmsg_collect_oom(records[0], JOB_SUFFIX, &victims);
	FUZZ_ASSERT(victims.count <= OOM_VICTIMS_MAX && victims.count <= victims.total);
	for (unsigned i = 0; i < victims.count; i++)
		check_victim(&victims.list[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *text = fuzz_text(data, size), *journal = NULL;
	const char *message = memchr(data, ';', size);
	size_t message_size;
	struct oom_victim v;

	if (kmsg_parse_oom_record(text, JOB_SUFFIX, &v))
		check_victim(&v);
	if (kmsg_parse_oom_message(text, JOB_SUFFIX, &v))
		check_victim(&v);

	/* The journal's MESSAGE field: the record's message, not
	 * NUL-terminated, unescaped (any byte). */
	message = message ? message + 1 : (const char *)data;
	message_size = size - (size_t)(message - (const char *)data);
	journal = malloc(strlen("MESSAGE=") + message_size);
	if (!journal)
		abort();
	memcpy(journal, "MESSAGE=", strlen("MESSAGE="));
	memcpy(journal + strlen("MESSAGE="), message, message_size);
	if (kernel_log_parse_journal_message(journal, strlen("MESSAGE=") + message_size, JOB_SUFFIX,
					     &v))
		check_victim(&v);
	kernel_log_journal_from_kernel(data, size);

	collect(text);
	return 0;
}
