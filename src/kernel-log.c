/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "kernel-log.h"

#include <fcntl.h>
#include <time.h>

#include "libsystemd.h"
#include "util.h"

/* The longest message /dev/kmsg hands out (CONSOLE_EXT_LOG_MAX): a
 * journal MESSAGE longer than that, once escaped, is not the kernel's. */
#define KMSG_MESSAGE_MAX 8192

/*
 * systemd-journald reads /dev/kmsg when its event loop gets to it, and
 * tells readers of new entries up to a quarter of a second later (it
 * coalesces the inotify notifications of its writes): the record of an
 * OOM kill may reach the journal after memrun saw the kill counted.  When
 * the journal names fewer kills than the cgroup counted, memrun waits for
 * more, up to 1 s.  The count may never be reached (the kernel writes at
 * most 10 records in 5 s, and one for a whole memory.oom.group kill): the
 * wait is bounded, and only taken after an OOM kill.
 */
#define JOURNAL_WAIT_USEC (1000ULL * 1000)

const char *kernel_log_source_name(enum kernel_log_source source)
{
	static const char *const names[] = {
		[KERNEL_LOG_NONE] = NULL,
		[KERNEL_LOG_KMSG] = "kmsg",
		[KERNEL_LOG_JOURNAL] = "journal",
	};

	return (unsigned)source < ELEMENTSOF(names) ? names[source] : NULL;
}

enum kernel_log_source kernel_log_choose(const struct kernel_log_access *a)
{
	if (a->kmsg_err == 0)
		return KERNEL_LOG_KMSG;
	if (a->journal_err == 0)
		return KERNEL_LOG_JOURNAL;
	return KERNEL_LOG_NONE;
}

char *kernel_log_unreadable_why(int kmsg_err, int journal_err, const char *journal_why)
{
	return xasprintf("neither /dev/kmsg (%s) nor the system journal (%s) is readable",
			 strerror(-kmsg_err), journal_why ? journal_why : strerror(-journal_err));
}

const char *kernel_log_remedy(int journal_err)
{
	/* Where a journal is kept, its groups open it without opening the
	 * whole kernel log to every user. */
	if (journal_err == -EACCES)
		return "add the user to group systemd-journal or adm (and log in again), or set "
		       "kernel.dmesg_restrict=0";
	return "set kernel.dmesg_restrict=0, or give memrun CAP_SYSLOG";
}

static uint64_t now_usec(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* ---- the journal's entries ---------------------------------------------- */

bool kernel_log_journal_from_kernel(const void *facility, size_t size)
{
	static const char kern[] = "SYSLOG_FACILITY=0";

	/* _TRANSPORT=kernel is every record of /dev/kmsg, a process's writes
	 * too; those have a facility other than 0 (the kernel makes it
	 * LOG_USER), which journald records. */
	return !facility || (size == sizeof(kern) - 1 && memcmp(facility, kern, size) == 0);
}

/* journald unescapes what /dev/kmsg escaped: the parser reads the record
 * as /dev/kmsg shows it, every byte below ' ', from 0x7f on, and '\' as
 * "\xNN" (the kernel's msg_add_ext_text()), so a name holding a newline
 * or a backslash is read, and shown, as it would be from /dev/kmsg. */
static bool as_kmsg_text(const char *text, size_t n, char *buf, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c < ' ' || c >= 127 || c == '\\') {
			if (size - o <= 4)
				return false;
			snprintf(buf + o, 5, "\\x%02x", c);
			o += 4;
		} else {
			if (size - o <= 1)
				return false;
			buf[o++] = (char)c;
		}
	}
	buf[o] = '\0';
	return true;
}

bool kernel_log_parse_journal_message(const void *message, size_t size, const char *job_suffix,
				      struct oom_victim *v)
{
	static const char field[] = "MESSAGE=", oom_kill[] = "MESSAGE=oom-kill:";
	char text[KMSG_MESSAGE_MAX + 1];

	/* Most kernel messages are not OOM kills: no copy for them. */
	if (size < sizeof(oom_kill) - 1 || memcmp(message, oom_kill, sizeof(oom_kill) - 1) != 0)
		return false;
	if (!as_kmsg_text((const char *)message + sizeof(field) - 1, size - (sizeof(field) - 1),
			  text, sizeof(text)))
		return false;
	return kmsg_parse_oom_message(text, job_suffix, v);
}

void system_journal_closep(sd_journal **j)
{
	if (*j)
		sym_sd_journal_close(*j);
}

/* Whether the system journal's active file is there but closed to memrun
 * (-EACCES), or not there at all (-ENOENT). */
static int journal_files_err(void)
{
	_cleanup_free_ char *machine_id = NULL;
	static const char *const dirs[] = { "/run/log/journal", "/var/log/journal" };

	if (read_file_alloc("/etc/machine-id", &machine_id) < 0)
		return -ENOENT;
	machine_id[strcspn(machine_id, "\n")] = '\0';
	for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
		_cleanup_free_ char *path = xasprintf("%s/%s/system.journal", dirs[i], machine_id);
		_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

		if (fd < 0 && errno == EACCES)
			return -EACCES;
	}
	return -ENOENT;
}

int system_journal_open(sd_journal **ret, char **ret_why)
{
	_cleanup_(system_journal_closep) sd_journal *j = NULL;
	int r;

	r = libsystemd_load(ret_why);
	if (r < 0)
		return r;
	r = sym_sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM);
	if (r >= 0 && sym_sd_journal_has_runtime_files(j) <= 0 &&
	    sym_sd_journal_has_persistent_files(j) <= 0)
		/* Opened, but without a file: it skips those it may not read. */
		r = journal_files_err();
	if (r == -EACCES) {
		*ret_why = xstrdup("only members of the groups systemd-journal and adm may read it");
		return r;
	}
	if (r == -ENOENT) {
		*ret_why = xstrdup("there is none: systemd-journald does not run here, or keeps no "
				   "files");
		return r;
	}
	if (r < 0) {
		*ret_why = xasprintf("cannot open it: %s", strerror(-r));
		return r;
	}
	*ret = TAKE_PTR(j);
	return 0;
}

/* The system journal holds a message of the kernel's: journald reads
 * /dev/kmsg (it does not in a container). */
uint64_t system_journal_since_usec(uint64_t job_start_mono_ns)
{
	uint64_t mono = now_usec(CLOCK_MONOTONIC), real = now_usec(CLOCK_REALTIME);

	/* The wall clock may have been set since: journald stamps an entry
	 * with the wall clock when it gets it, after the event.  The job's
	 * cgroup name is unique, so starting earlier would only read more. */
	if (job_start_mono_ns / 1000 <= mono && mono - job_start_mono_ns / 1000 < real)
		return real - (mono - job_start_mono_ns / 1000);
	return 0;
}

static bool journal_has_kernel_records(sd_journal *j)
{
	return sym_sd_journal_add_match(j, "_TRANSPORT=kernel", 0) >= 0 &&
	       sym_sd_journal_seek_tail(j) >= 0 && sym_sd_journal_previous(j) > 0;
}

static void journal_take_entry(sd_journal *j, const char *job_suffix, struct oom_victims *victims)
{
	const void *data;
	size_t size;
	struct oom_victim v;
	int r;

	/* get_data's pointer lives until its next call: one field at a time. */
	r = sym_sd_journal_get_data(j, "SYSLOG_FACILITY", &data, &size);
	if (r < 0 && r != -ENOENT)
		return;
	if (!kernel_log_journal_from_kernel(r < 0 ? NULL : data, size))
		return;
	if (sym_sd_journal_get_data(j, "MESSAGE", &data, &size) < 0)
		return;
	if (kernel_log_parse_journal_message(data, size, job_suffix, &v))
		oom_victims_add(victims, &v);
}

static int journal_collect_oom(sd_journal *j, const char *job_suffix, uint64_t job_start_mono_ns,
			       uint64_t expected_kills, struct oom_victims *ret)
{
	uint64_t mono = now_usec(CLOCK_MONOTONIC);
	uint64_t deadline = mono + JOURNAL_WAIT_USEC;
	int r;

	*ret = (struct oom_victims){ 0 };
	r = sym_sd_journal_add_match(j, "_TRANSPORT=kernel", 0);
	if (r < 0)
		return r;
	r = sym_sd_journal_seek_realtime_usec(j, system_journal_since_usec(job_start_mono_ns));
	if (r < 0)
		return r;
	for (;;) {
		while ((r = sym_sd_journal_next(j)) > 0)
			journal_take_entry(j, job_suffix, ret);
		if (r < 0)
			return r;
		mono = now_usec(CLOCK_MONOTONIC);
		if (ret->total >= expected_kills || mono >= deadline)
			return 0;
		/* The first wait returns at once (it sets up the watch); a
		 * failed one leaves what was read. */
		if (sym_sd_journal_wait(j, deadline - mono) < 0)
			return 0;
	}
}

enum kernel_log_source kernel_log_collect_oom(const char *job_suffix, uint64_t job_start_mono_ns,
					      uint64_t expected_kills, struct oom_victims *ret,
					      char **ret_why)
{
	_cleanup_close_ int kmsg_fd = kmsg_open();
	_cleanup_(system_journal_closep) sd_journal *j = NULL;
	_cleanup_free_ char *journal_why = NULL;
	int r;

	/* /dev/kmsg has the record before the kill: no wait. */
	if (kmsg_fd >= 0) {
		kmsg_collect_oom(kmsg_fd, job_suffix, ret);
		return KERNEL_LOG_KMSG;
	}
	r = system_journal_open(&j, &journal_why);
	if (r < 0) {
		*ret_why = kernel_log_unreadable_why(kmsg_fd, r, journal_why);
		return KERNEL_LOG_NONE;
	}
	r = journal_collect_oom(j, job_suffix, job_start_mono_ns, expected_kills, ret);
	if (r < 0) {
		*ret_why = xasprintf("reading the system journal failed: %s", strerror(-r));
		return KERNEL_LOG_NONE;
	}
	return KERNEL_LOG_JOURNAL;
}

void kernel_log_access_check(struct kernel_log_access *ret)
{
	_cleanup_(system_journal_closep) sd_journal *j = NULL;
	int fd = kmsg_open();

	*ret = (struct kernel_log_access){ .kmsg_err = fd < 0 ? fd : 0 };
	safe_close(fd);
	ret->journal_err = system_journal_open(&j, &ret->journal_why);
	if (ret->journal_err == 0)
		ret->journal_kernel_records = journal_has_kernel_records(j);
}

void kernel_log_access_free(struct kernel_log_access *a)
{
	free(a->journal_why);
	a->journal_why = NULL;
}
