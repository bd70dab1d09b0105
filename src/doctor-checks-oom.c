/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memrun doctor: the checks of what kills a process: the OOM killer's
 * settings, oom_score_adj and whether memrun may lower it, and whether the
 * kernel log names the victims (/dev/kmsg, else the system journal).
 */
#include "doctor-internal.h"

#include <string.h>

#include "caps.h"
#include "util.h"

struct doctor_finding check_panic_on_oom(const struct doctor_host *h, const struct doctor_check *c)
{
	const char *source = doctor_file_path[DOCTOR_FILE_PANIC_ON_OOM];
	long long v;
	int r = host_number(h, DOCTOR_FILE_PANIC_ON_OOM, &v);

	(void)c;
	if (r < 0)
		return unreadable(DOCTOR_FILE_PANIC_ON_OOM, r);
	if (v == 0)
		return finding(DOCTOR_OK, source, int_value(v),
			       "vm.panic_on_oom is 0: when memory runs out the OOM killer kills a "
			       "process and the machine keeps running");
	if (v == 1)
		return finding(DOCTOR_WARN, source, int_value(v),
			       "vm.panic_on_oom is 1: when the whole machine runs out of memory the "
			       "kernel panics (and reboots, if kernel.panic is set) instead of killing "
			       "a process; an OOM inside a cgroup limit still kills only there; set "
			       "vm.panic_on_oom=0 unless a crash is what you want");
	return finding(DOCTOR_WARN, source, int_value(v),
		       "vm.panic_on_oom is %lld: any OOM, even one inside a job's own cgroup limit, "
		       "panics the machine, so --memory-max turns a job's overuse into a crash of "
		       "the host; set vm.panic_on_oom=0",
		       v);
}

struct doctor_finding check_oom_kill_allocating_task(const struct doctor_host *h,
						     const struct doctor_check *c)
{
	const char *source = doctor_file_path[DOCTOR_FILE_OOM_KILL_ALLOCATING_TASK];
	long long v;
	int r = host_number(h, DOCTOR_FILE_OOM_KILL_ALLOCATING_TASK, &v);

	(void)c;
	if (r < 0)
		return unreadable(DOCTOR_FILE_OOM_KILL_ALLOCATING_TASK, r);
	if (v == 0)
		return finding(DOCTOR_OK, source, int_value(v),
			       "vm.oom_kill_allocating_task is 0: the OOM killer kills the process "
			       "with the highest oom_score (the largest, weighed by oom_score_adj)");
	return finding(DOCTOR_NOTE, source, int_value(v),
		       "vm.oom_kill_allocating_task is %lld: the OOM killer kills whichever process "
		       "asked for memory last, not the largest, so oom_score_adj protects little",
		       v);
}

struct doctor_finding check_oom_score_adj(const struct doctor_host *h, const struct doctor_check *c)
{
	const char *source = doctor_file_path[DOCTOR_FILE_OOM_SCORE_ADJ];
	long long v;
	int r = host_number(h, DOCTOR_FILE_OOM_SCORE_ADJ, &v);

	(void)c;
	if (r < 0)
		return unreadable(DOCTOR_FILE_OOM_SCORE_ADJ, r);
	if (v <= -1000)
		return finding(DOCTOR_NOTE, source, int_value(v),
			       "memrun runs with oom_score_adj %lld: the OOM killer never picks it, "
			       "nor jobs that inherit it (--oom-score-adj or a profile sets another)",
			       v);
	if (v >= 1000)
		return finding(DOCTOR_NOTE, source, int_value(v),
			       "memrun runs with oom_score_adj %lld: it and the jobs that inherit it "
			       "are the OOM killer's first choice",
			       v);
	return finding(DOCTOR_OK, source, int_value(v),
		       "memrun runs with oom_score_adj %lld; jobs inherit it unless --oom-score-adj "
		       "or a profile sets another",
		       v);
}

struct doctor_finding check_oom_score_adj_lower(const struct doctor_host *h,
						const struct doctor_check *c)
{
	const char *status = h->files[DOCTOR_FILE_STATUS].text;
	const char *source = "/proc/self/status CapEff";
	_cleanup_free_ char *cap_eff = NULL;
	const char *profiles = "profile";
	long long current = 0;
	uint64_t mask;

	(void)c;
	if (status && doctor_parse_status_hex(status, "CapEff", &mask) == 0)
		cap_eff = xasprintf("%016llx", (unsigned long long)mask);
	host_number(h, DOCTOR_FILE_OOM_SCORE_ADJ, &current);
	/* Profile names hold no comma. */
	if (h->profiles_lowering && strchr(h->profiles_lowering, ','))
		profiles = "profiles";

	if (h->sys_resource) {
		_cleanup_free_ char *wanted =
			h->profiles_lowering ? xasprintf(" (for %s %s)", profiles, h->profiles_lowering) :
					       xstrdup("");
		return finding(DOCTOR_OK, source, string_value(cap_eff),
			       "memrun has CAP_SYS_RESOURCE: it can lower a job's oom_score_adj "
			       "below %lld%s and raise hard rlimits",
			       current, wanted);
	}
	/* Said as a run that is refused says it, with the same remedy. */
	if (h->profiles_lowering)
		return finding(DOCTOR_WARN, source, string_value(cap_eff),
			       "lowering oom_score_adj below %lld %s: %s %s would stop with exit "
			       "125; %s, or pass --oom-score-adj %lld or more",
			       current, caps_sys_resource_lacking(), profiles, h->profiles_lowering,
			       caps_sys_resource_remedy(h->standing), current);
	return finding(DOCTOR_NOTE, source, string_value(cap_eff),
		       "lowering oom_score_adj below %lld %s: --oom-score-adj (or a profile) below "
		       "%lld would stop with exit 125; to allow it, %s",
		       current, caps_sys_resource_lacking(), current,
		       caps_sys_resource_remedy(h->standing));
}

struct doctor_finding check_kmsg(const struct doctor_host *h, const struct doctor_check *c)
{
	const struct kernel_log_access *log = &h->kernel_log;
	char words[96];

	(void)c;
	if (log->kmsg_err == 0)
		return finding(DOCTOR_OK, "/dev/kmsg", string_value("readable"),
			       "the kernel log is readable: the report names the processes the OOM "
			       "killer killed, and tells the job's limit from an outer one");
	if (kernel_log_choose(log) == KERNEL_LOG_JOURNAL)
		return finding(DOCTOR_OK, "/dev/kmsg", string_value("unreadable"),
			       "the kernel log is not readable (%s): memrun reads the kernel's "
			       "messages in the system journal instead",
			       errno_words(-log->kmsg_err, words));
	return finding(DOCTOR_NOTE, "/dev/kmsg", string_value("unreadable"),
		       "the kernel log is not readable (%s), nor is the system journal: the report "
		       "counts OOM kills from the cgroup but cannot name the victims; %s",
		       errno_words(-log->kmsg_err, words), kernel_log_remedy(log->journal_err));
}

struct doctor_finding check_journal(const struct doctor_host *h, const struct doctor_check *c)
{
	static const char source[] = "the system journal";
	const struct kernel_log_access *log = &h->kernel_log;
	const char *why = log->journal_why ? log->journal_why : strerror(-log->journal_err);

	(void)c;
	if (log->journal_err < 0 && log->kmsg_err == 0)
		return finding(DOCTOR_OK, source, string_value("unreadable"),
			       "the system journal is not readable (%s), and need not be: memrun "
			       "reads /dev/kmsg",
			       why);
	if (log->journal_err < 0)
		return finding(DOCTOR_NOTE, source, string_value("unreadable"),
			       "the system journal is not readable either (%s): the report cannot "
			       "name the processes the OOM killer killed; %s",
			       why, kernel_log_remedy(log->journal_err));
	if (log->kmsg_err == 0)
		return finding(DOCTOR_OK, source, string_value("readable"),
			       "the system journal is readable; memrun reads /dev/kmsg, which it may");
	if (!log->journal_kernel_records)
		return finding(DOCTOR_NOTE, source, string_value("no kernel messages"),
			       "the system journal, which memrun reads as /dev/kmsg is closed to it, "
			       "holds no kernel message (systemd-journald does not read the kernel "
			       "log here): the report cannot name the processes the OOM killer "
			       "killed; %s",
			       kernel_log_remedy(0));
	return finding(DOCTOR_OK, source, string_value("readable"),
		       "the system journal is readable and holds the kernel's messages: the report "
		       "names the processes the OOM killer killed, from the journal as /dev/kmsg is "
		       "closed to memrun");
}

struct doctor_finding check_dmesg_restrict(const struct doctor_host *h,
					   const struct doctor_check *c)
{
	const char *source = doctor_file_path[DOCTOR_FILE_DMESG_RESTRICT];
	long long v;
	int r = host_number(h, DOCTOR_FILE_DMESG_RESTRICT, &v);

	(void)c;
	if (r < 0)
		return unreadable(DOCTOR_FILE_DMESG_RESTRICT, r);
	if (v == 0)
		return finding(DOCTOR_OK, source, int_value(v),
			       "kernel.dmesg_restrict is 0: every user may read the kernel log");
	if (h->kernel_log.kmsg_err == 0)
		return finding(DOCTOR_OK, source, int_value(v),
			       "kernel.dmesg_restrict is %lld: only processes with CAP_SYSLOG read "
			       "the kernel log, and memrun may",
			       v);
	if (kernel_log_choose(&h->kernel_log) == KERNEL_LOG_JOURNAL)
		return finding(DOCTOR_OK, source, int_value(v),
			       "kernel.dmesg_restrict is %lld: only processes with CAP_SYSLOG read "
			       "/dev/kmsg, and memrun may not; it reads the system journal instead",
			       v);
	return finding(DOCTOR_NOTE, source, int_value(v),
		       "kernel.dmesg_restrict is %lld: only processes with CAP_SYSLOG read the "
		       "kernel log, and memrun may not, nor the system journal; %s",
		       v, kernel_log_remedy(h->kernel_log.journal_err));
}
