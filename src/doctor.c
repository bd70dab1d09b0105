/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "doctor.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <gnu/libc-version.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <time.h>

#include "caps.h"
#include "cgroupfs.h"
#include "json.h"
#include "kmsg.h"
#include "meminfo.h"
#include "plan.h"
#include "profile.h"
#include "size.h"
#include "util.h"

#define TEST_CGROUP_PREFIX "memrun-doctor-"
#define RMDIR_TIMEOUT_MS 1000
/* Less than this share left: memory is about to run out. */
#define LOW_PERCENT 10
/* glibc reads GLIBC_TUNABLES from this version on. */
#define TUNABLES_MAJOR 2
#define TUNABLES_MINOR 26

#define CAP_BIT_IPC_LOCK 14
#define CAP_BIT_SYS_ADMIN 21

const char *const doctor_file_path[DOCTOR_FILE_COUNT] = {
	[DOCTOR_FILE_LIMITS] = "/proc/self/limits",
	[DOCTOR_FILE_STATUS] = "/proc/self/status",
	[DOCTOR_FILE_MEMINFO] = "/proc/meminfo",
	[DOCTOR_FILE_MOUNTINFO] = "/proc/self/mountinfo",
	[DOCTOR_FILE_OVERCOMMIT_MEMORY] = "/proc/sys/vm/overcommit_memory",
	[DOCTOR_FILE_OVERCOMMIT_RATIO] = "/proc/sys/vm/overcommit_ratio",
	[DOCTOR_FILE_OVERCOMMIT_KBYTES] = "/proc/sys/vm/overcommit_kbytes",
	[DOCTOR_FILE_PANIC_ON_OOM] = "/proc/sys/vm/panic_on_oom",
	[DOCTOR_FILE_OOM_KILL_ALLOCATING_TASK] = "/proc/sys/vm/oom_kill_allocating_task",
	[DOCTOR_FILE_DMESG_RESTRICT] = "/proc/sys/kernel/dmesg_restrict",
	[DOCTOR_FILE_OOM_SCORE_ADJ] = "/proc/self/oom_score_adj",
	[DOCTOR_FILE_OSRELEASE] = "/proc/sys/kernel/osrelease",
};

static const char *const level_names[DOCTOR_LEVEL_COUNT] = {
	[DOCTOR_OK] = "ok",
	[DOCTOR_NOTE] = "note",
	[DOCTOR_WARN] = "warn",
};

const char *doctor_level_name(enum doctor_level level)
{
	return level < DOCTOR_LEVEL_COUNT ? level_names[level] : "?";
}

/* ---- parsers ---------------------------------------------------------- */

/* The line of text that starts with prefix, or NULL. */
static const char *find_line(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);

	for (const char *line = text; line && *line;) {
		if (strncmp(line, prefix, n) == 0)
			return line;
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return NULL;
}

static int parse_limit_word(const char *word, size_t len, uint64_t *ret)
{
	unsigned long long v;
	char buf[32], *end;

	if (len == strlen("unlimited") && strncmp(word, "unlimited", len) == 0) {
		*ret = UINT64_MAX;
		return 0;
	}
	if (len == 0 || len >= sizeof(buf) || !isdigit((unsigned char)word[0]))
		return -EINVAL;
	memcpy(buf, word, len);
	buf[len] = '\0';
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*ret = v;
	return 0;
}

int doctor_parse_limits(const char *text, const char *row, uint64_t *ret_soft, uint64_t *ret_hard)
{
	size_t rlen = strlen(row);
	uint64_t values[2];

	for (const char *line = text; line && *line;) {
		const char *p = line;

		line = strchr(line, '\n');
		if (line)
			line++;
		/* "Max address space   unlimited   unlimited   bytes": the row's
		 * name is followed by two blanks at least (fixed columns). */
		if (strncmp(p, row, rlen) != 0 || p[rlen] != ' ' || p[rlen + 1] != ' ')
			continue;
		p += rlen;
		for (int i = 0; i < 2; i++) {
			size_t len;

			p += strspn(p, " \t");
			len = strcspn(p, " \t\n");
			if (parse_limit_word(p, len, &values[i]) < 0)
				return -EINVAL;
			p += len;
		}
		*ret_soft = values[0];
		*ret_hard = values[1];
		return 0;
	}
	return -ENOENT;
}

int doctor_parse_status_hex(const char *text, const char *field, uint64_t *ret)
{
	_cleanup_free_ char *prefix = xasprintf("%s:", field);
	const char *line = find_line(text, prefix);
	unsigned long long v;
	char *end;

	if (!line)
		return -ENOENT;
	line += strlen(prefix);
	line += strspn(line, " \t");
	if (!isxdigit((unsigned char)*line))
		return -EINVAL;
	errno = 0;
	v = strtoull(line, &end, 16);
	if (errno || (*end && *end != '\n'))
		return -EINVAL;
	*ret = v;
	return 0;
}

int doctor_parse_number(const char *text, long long *ret)
{
	char buf[64];
	size_t len = strlen(text);

	/* One number and its newline, as procfs writes it. */
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
		len--;
	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, text, len);
	buf[len] = '\0';
	return parse_int64(buf, LLONG_MIN, LLONG_MAX, ret);
}

int doctor_parse_version(const char *text, unsigned *ret_major, unsigned *ret_minor)
{
	unsigned long major, minor;
	char *end;

	if (!text || !isdigit((unsigned char)text[0]))
		return -EINVAL;
	errno = 0;
	major = strtoul(text, &end, 10);
	if (errno || *end != '.' || !isdigit((unsigned char)end[1]) || major > UINT_MAX)
		return -EINVAL;
	minor = strtoul(end + 1, &end, 10);
	/* "2.35.9000" (a development snapshot) and "2.36-rc1" are fine. */
	if (errno || isalnum((unsigned char)*end) || minor > UINT_MAX)
		return -EINVAL;
	*ret_major = (unsigned)major;
	*ret_minor = (unsigned)minor;
	return 0;
}

enum doctor_cgroup_layout doctor_cgroup_layout(const char *mountinfo)
{
	bool v1 = false, v2 = false;

	for (const char *line = mountinfo; line && *line;) {
		const char *sep = strstr(line, " - ");
		const char *next = strchr(line, '\n');

		/* "36 35 98:0 ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS" */
		if (sep && (!next || sep < next)) {
			const char *fstype = sep + 3;
			size_t len = strcspn(fstype, " \n");

			v1 |= len == 6 && strncmp(fstype, "cgroup", 6) == 0;
			v2 |= len == 7 && strncmp(fstype, "cgroup2", 7) == 0;
		}
		line = next ? next + 1 : NULL;
	}
	if (v1 && v2)
		return DOCTOR_CGROUP_HYBRID;
	if (v1)
		return DOCTOR_CGROUP_LEGACY;
	return v2 ? DOCTOR_CGROUP_UNIFIED : DOCTOR_CGROUP_NONE;
}

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

/* ---- reading the host --------------------------------------------------- */

static const char *usage_file(int version)
{
	return version == 1 ? "memory.usage_in_bytes" : "memory.current";
}

static void read_cgroup_usage(struct doctor_host *h)
{
	const struct cgroup_place *place = &h->place;
	const char *dir;
	_cleanup_close_ int fd = -1;

	h->cgroup_usage_err = -ENOENT;
	if (!place->backend)
		return;
	dir = place->enclosing_limit_dir ? place->enclosing_limit_dir : place->own_dir;
	h->cgroup_usage_file = xasprintf("%s/%s", dir, usage_file(place->backend->version));
	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	h->cgroup_usage_err =
		fd < 0 ? -errno :
			 cg_read_u64(fd, usage_file(place->backend->version), &h->cgroup_usage);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static int remove_test_cgroup(int parent_fd, const char *name)
{
	/* A cgroup that has just been emptied may still be busy. */
	for (long waited = 0;; waited++) {
		if (unlinkat(parent_fd, name, AT_REMOVEDIR) == 0)
			return 0;
		if (errno != EBUSY || waited >= RMDIR_TIMEOUT_MS)
			return -errno;
		sleep_ms(1);
	}
}

static int create_test_cgroup(int parent_fd, const char *name)
{
	if (mkdirat(parent_fd, name, 0755) == 0)
		return 0;
	if (errno != EEXIST)
		return -errno;
	/* Left by an earlier doctor with the same pid: empty, so it goes. */
	if (remove_test_cgroup(parent_fd, name) < 0)
		return -EEXIST;
	return mkdirat(parent_fd, name, 0755) == 0 ? 0 : -errno;
}

/*
 * Do what memrun does before a job, on a test cgroup: create it where the
 * job's would go, set its memory limit (to "no limit"), remove it.  The
 * parent's cgroup.subtree_control is never changed.
 */
static void probe_job_cgroup(struct doctor_host *h)
{
	struct doctor_cgroup_probe *p = &h->probe;
	const struct cgroup_backend *backend = NULL;
	_cleanup_close_ int parent_fd = -1, dir_fd = -1;
	sigset_t block, saved;
	struct plan plan;
	int r;

	plan_init(&plan);
	/* A site's default profile may name the cgroup_parent. */
	if (plan_load_profiles(&plan, NULL, 0) < 0) {
		plan_free(&plan);
		plan_init(&plan);
	}
	p->parent = cgroup_choose_parent(&h->place, &plan, &backend, &p->why_no_parent);
	plan_free(&plan);
	if (!p->parent)
		return;
	p->version = backend->version;
	p->limit_file = backend->memory_max_file;
	p->swap_file = backend->swap_max_file;
	p->name = xasprintf(TEST_CGROUP_PREFIX "%d", (int)getpid());

	parent_fd = open(p->parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (parent_fd < 0) {
		p->err = -errno;
		p->failed_step = DOCTOR_PROBE_OPEN_PARENT;
		return;
	}

	/* No ^C between mkdir and rmdir: the test cgroup must not stay. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGQUIT);
	sigprocmask(SIG_BLOCK, &block, &saved);

	r = create_test_cgroup(parent_fd, p->name);
	if (r < 0) {
		p->err = r;
		p->failed_step = DOCTOR_PROBE_CREATE;
		goto out;
	}
	p->created = true;
	dir_fd = openat(parent_fd, p->name, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0) {
		p->err = -errno;
		p->failed_step = DOCTOR_PROBE_SET_LIMIT;
	} else if (cg_exists(dir_fd, p->limit_file)) {
		p->memory_controller = true;
		p->swap_accounting = cg_exists(dir_fd, p->swap_file);
		/* v1 takes -1 for no limit, v2 "max". */
		r = cg_write(dir_fd, p->limit_file, p->version == 1 ? "-1" : "max");
		if (r < 0) {
			p->err = r;
			p->failed_step = DOCTOR_PROBE_SET_LIMIT;
		}
	}
	dir_fd = safe_close(dir_fd);
	r = remove_test_cgroup(parent_fd, p->name);
	if (r < 0) {
		p->left_behind = true;
		p->err = r;
		p->failed_step = DOCTOR_PROBE_REMOVE;
	}
out:
	sigprocmask(SIG_SETMASK, &saved, NULL);
}

/* "db (-500)": the profiles found that ask for less than current. */
static char *profiles_lowering_oom_score_adj(long long current)
{
	struct profile_entry *entries;
	size_t n = profile_list_all(&entries);
	char *list = NULL;

	for (size_t i = 0; i < n; i++) {
		struct setting_value values[SETTING_COUNT] = { 0 };
		const struct setting_value *adj = &values[SETTING_OOM_SCORE_ADJ];
		struct profile_set set = { 0 };

		if (profile_load(&set, entries[i].name, values) == 0 && adj->set &&
		    adj->number < current) {
			char *longer = xasprintf("%s%s%s (%lld)", list ? list : "",
						 list ? ", " : "", entries[i].name, adj->number);
			free(list);
			list = longer;
		}
		profile_set_free(&set);
	}
	profile_entries_free(entries, n);
	return list;
}

void doctor_host_read(struct doctor_host *h)
{
	const struct doctor_file_text *adj_file;
	long long adj = 0;
	int fd;

	*h = (struct doctor_host){ 0 };
	for (unsigned i = 0; i < DOCTOR_FILE_COUNT; i++)
		h->files[i].err = read_file_alloc(doctor_file_path[i], &h->files[i].text);

	cgroup_locate(&h->place);
	cgroup_find_enclosing_limit(&h->place, NULL);
	read_cgroup_usage(h);
	probe_job_cgroup(h);

	h->sys_resource = caps_have_sys_resource();
	h->root = getuid() == 0;
	fd = kmsg_open();
	h->kmsg_err = fd < 0 ? fd : 0;
	safe_close(fd);
	h->glibc_version = gnu_get_libc_version();
	h->glibc_tunables = getenv("GLIBC_TUNABLES");

	adj_file = &h->files[DOCTOR_FILE_OOM_SCORE_ADJ];
	if (!adj_file->text || doctor_parse_number(adj_file->text, &adj) < 0)
		adj = 0;
	h->profiles_lowering = profiles_lowering_oom_score_adj(adj);
}

void doctor_host_free(struct doctor_host *h)
{
	for (unsigned i = 0; i < DOCTOR_FILE_COUNT; i++)
		free(h->files[i].text);
	cgroup_place_free(&h->place);
	free(h->probe.parent);
	free(h->probe.why_no_parent);
	free(h->probe.name);
	free(h->cgroup_usage_file);
	free(h->profiles_lowering);
	*h = (struct doctor_host){ 0 };
}

/* ---- findings ----------------------------------------------------------- */

static struct doctor_value no_value(void)
{
	return (struct doctor_value){ .kind = DOCTOR_VALUE_NULL };
}

static struct doctor_value int_value(long long i)
{
	return (struct doctor_value){ .kind = DOCTOR_VALUE_INT, .i = i };
}

static struct doctor_value bytes_value(uint64_t u)
{
	return (struct doctor_value){ .kind = DOCTOR_VALUE_UINT, .u = u };
}

static struct doctor_value string_value(const char *s)
{
	if (!s)
		return no_value();
	return (struct doctor_value){ .kind = DOCTOR_VALUE_STRING, .s = xstrdup(s) };
}

/* A limit: its bytes, or "unlimited". */
static struct doctor_value limit_value(uint64_t u)
{
	return u == UINT64_MAX ? string_value("unlimited") : bytes_value(u);
}

static struct doctor_finding finding(enum doctor_level level, const char *source,
				     struct doctor_value value, const char *fmt, ...) _printf_(4, 5);

static struct doctor_finding finding(enum doctor_level level, const char *source,
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

static const char *errno_words(int err, char buf[static 96])
{
	const char *name = strerrorname_np(err);

	snprintf(buf, 96, "%s (%s)", strerror(err), name ? name : "?");
	return buf;
}

static struct doctor_finding unreadable(enum doctor_file file, int err)
{
	char words[96];

	return finding(DOCTOR_NOTE, doctor_file_path[file], no_value(),
		       "cannot tell: reading %s failed: %s", doctor_file_path[file],
		       errno_words(-err, words));
}

/* The number in a one-number file; -errno when unreadable or not a number. */
static int host_number(const struct doctor_host *h, enum doctor_file file, long long *ret)
{
	const struct doctor_file_text *f = &h->files[file];

	if (!f->text)
		return f->err ? f->err : -ENOENT;
	return doctor_parse_number(f->text, ret);
}

static int host_meminfo(const struct doctor_host *h, const char *field, uint64_t *ret)
{
	const struct doctor_file_text *f = &h->files[DOCTOR_FILE_MEMINFO];

	if (!f->text)
		return f->err ? f->err : -ENOENT;
	return meminfo_parse(f->text, field, ret);
}

static bool host_has_cap(const struct doctor_host *h, int bit)
{
	const char *status = h->files[DOCTOR_FILE_STATUS].text;
	uint64_t mask;

	return status && doctor_parse_status_hex(status, "CapEff", &mask) == 0 && (mask >> bit) & 1;
}

static unsigned percent(uint64_t part, uint64_t whole)
{
	return whole ? (unsigned)((double)part * 100.0 / (double)whole + 0.5) : 0;
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

/* ---- the checks --------------------------------------------------------- */

enum rlimit_row_id { RL_AS, RL_DATA, RL_STACK, RL_MEMLOCK, RL_NPROC };

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

struct doctor_check {
	const char *topic;
	const char *key;
	struct doctor_finding (*check)(const struct doctor_host *h, const struct doctor_check *c);
	int arg; /* the rlimit row, for check_rlimit */
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

static struct doctor_finding check_rlimit(const struct doctor_host *h, const struct doctor_check *c)
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
		/* Set by someone for memrun: every job starts under it. */
		jobs = xasprintf("; every job inherits it unless %s sets another%s; to raise it, "
				 "use %s where memrun is started",
				 rl->option,
				 hard != UINT64_MAX && !h->sys_resource ?
					 ", and a value above the hard limit stops memrun with exit 125 "
					 "(raising a hard limit needs CAP_SYS_RESOURCE)" :
					 "",
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

static struct doctor_finding check_overcommit_memory(const struct doctor_host *h,
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

static struct doctor_finding check_overcommit_ratio(const struct doctor_host *h,
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

static struct doctor_finding check_commit_limit(const struct doctor_host *h,
						const struct doctor_check *c)
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

static struct doctor_finding check_mem_available(const struct doctor_host *h,
						 const struct doctor_check *c)
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

static struct doctor_finding check_swap(const struct doctor_host *h, const struct doctor_check *c)
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

static const char *layout_words(enum doctor_cgroup_layout layout)
{
	switch (layout) {
	case DOCTOR_CGROUP_LEGACY:
		return "cgroup v1 only (legacy)";
	case DOCTOR_CGROUP_HYBRID:
		return "cgroup v1 and v2 (hybrid)";
	case DOCTOR_CGROUP_UNIFIED:
		return "cgroup v2 only (unified)";
	default:
		return "no cgroup file system";
	}
}

static struct doctor_finding check_cgroup_version(const struct doctor_host *h,
						  const struct doctor_check *c)
{
	const struct doctor_file_text *f = &h->files[DOCTOR_FILE_MOUNTINFO];
	const char *source = doctor_file_path[DOCTOR_FILE_MOUNTINFO];
	const struct cgroup_place *place = &h->place;
	_cleanup_free_ char *v2_mount = NULL, *v2_root = NULL;
	enum doctor_cgroup_layout layout;

	(void)c;
	if (!f->text)
		return unreadable(DOCTOR_FILE_MOUNTINFO, f->err);
	layout = doctor_cgroup_layout(f->text);
	if (!place->backend)
		return finding(DOCTOR_WARN, source, no_value(),
			       "%s, but no memory controller memrun can use: %s; jobs run without a "
			       "cgroup, and --memory-max, --memory-high and --swap-max stop memrun "
			       "with exit 125 (--best-effort runs the job without them)",
			       layout_words(layout), place->why_none);
	if (place->backend->version == 1 && layout == DOCTOR_CGROUP_HYBRID &&
	    cgroup_parse_mountinfo(f->text, true, &v2_mount, &v2_root, NULL) == 0)
		return finding(DOCTOR_OK, source, int_value(1),
			       "cgroup v1 hybrid: the memory controller is on cgroup v1 at %s; the "
			       "cgroup v2 mount at %s has no memory controller, so memrun uses v1",
			       place->mountpoint, v2_mount);
	if (place->backend->version == 1)
		return finding(DOCTOR_OK, source, int_value(1),
			       "cgroup v1: the memory controller is at %s", place->mountpoint);
	if (layout == DOCTOR_CGROUP_HYBRID)
		return finding(DOCTOR_OK, source, int_value(2),
			       "cgroup v2 hybrid: the memory controller is on the cgroup v2 mount at "
			       "%s, which memrun uses",
			       place->mountpoint);
	return finding(DOCTOR_OK, source, int_value(2),
		       "cgroup v2 (unified) at %s, with the memory controller", place->mountpoint);
}

static struct doctor_finding check_cgroup_path(const struct doctor_host *h,
					       const struct doctor_check *c)
{
	const struct cgroup_place *place = &h->place;

	(void)c;
	if (!place->backend)
		return finding(DOCTOR_NOTE, "/proc/self/cgroup", no_value(),
			       "memrun is in no memory cgroup it can use");
	return finding(DOCTOR_OK, "/proc/self/cgroup", string_value(place->own_path),
		       "memrun runs in the %scgroup %s",
		       place->backend->version == 1 ? "memory " : "", place->own_path);
}

static struct doctor_finding check_cgroup_memory_limit(const struct doctor_host *h,
						       const struct doctor_check *c)
{
	const struct cgroup_place *place = &h->place;
	_cleanup_free_ char *source = NULL;
	char limit_buf[32];
	uint64_t total;

	(void)c;
	if (!place->backend)
		return finding(DOCTOR_NOTE, "/proc/self/cgroup", no_value(),
			       "no memory cgroup, so no cgroup limit applies to memrun");
	if (place->enclosing_limit == LIMIT_UNLIMITED) {
		source = xasprintf("%s/%s", place->own_dir, place->backend->memory_max_file);
		return finding(DOCTOR_OK, source, limit_value(UINT64_MAX),
			       "no memory limit on memrun's cgroup or any cgroup above it (%s is "
			       "unlimited)",
			       place->backend->memory_max_file);
	}
	source = xasprintf("%s/%s", place->enclosing_limit_dir, place->backend->memory_max_file);
	size_format(place->enclosing_limit, limit_buf);
	if (host_meminfo(h, "MemTotal", &total) == 0 && place->enclosing_limit >= total)
		return finding(DOCTOR_OK, source, bytes_value(place->enclosing_limit),
			       "memrun's cgroup is limited to %s by %s, more than MemTotal: the "
			       "machine runs out first",
			       limit_buf, place->enclosing_limit_dir);
	return finding(DOCTOR_NOTE, source, bytes_value(place->enclosing_limit),
		       "memrun's cgroup is limited to %s by %s: its jobs share that, and when it is "
		       "reached the OOM killer kills inside it however much the machine has free; "
		       "percentages (--memory-max 50%%) are of this limit",
		       limit_buf, place->enclosing_limit_dir);
}

static struct doctor_finding check_cgroup_memory_usage(const struct doctor_host *h,
						       const struct doctor_check *c)
{
	const struct cgroup_place *place = &h->place;
	const char *source = h->cgroup_usage_file;
	char usage_buf[32], limit_buf[32], words[96];
	uint64_t limit = place->enclosing_limit;
	unsigned used;

	(void)c;
	if (!place->backend)
		return finding(DOCTOR_NOTE, "/proc/self/cgroup", no_value(),
			       "no memory cgroup, so no cgroup usage to compare");
	if (h->cgroup_usage_err == -ENOENT && streq(place->own_dir, place->mountpoint))
		return finding(DOCTOR_OK, source, no_value(),
			       "memrun runs in the root cgroup, which keeps no %s",
			       usage_file(place->backend->version));
	if (h->cgroup_usage_err < 0)
		return finding(DOCTOR_NOTE, source, no_value(),
			       "cannot tell: reading %s failed: %s", source,
			       errno_words(-h->cgroup_usage_err, words));
	size_format(h->cgroup_usage, usage_buf);
	if (limit == LIMIT_UNLIMITED)
		return finding(DOCTOR_OK, source, bytes_value(h->cgroup_usage),
			       "memrun's cgroup uses %s now, with no limit", usage_buf);
	size_format(limit, limit_buf);
	used = percent(h->cgroup_usage, limit);
	if (used >= 100 - LOW_PERCENT)
		return finding(DOCTOR_WARN, source, bytes_value(h->cgroup_usage),
			       "the cgroup limiting memrun uses %s of its %s (%u%%, page cache "
			       "included): what the kernel cannot reclaim there goes to the OOM killer",
			       usage_buf, limit_buf, used);
	return finding(DOCTOR_OK, source, bytes_value(h->cgroup_usage),
		       "the cgroup limiting memrun uses %s of its %s (%u%%)", usage_buf, limit_buf,
		       used);
}

/* What to do when memrun may not create a cgroup, by errno. */
static const char *cgroup_remedy(int err)
{
	switch (err) {
	case EACCES:
	case EPERM:
		return "run memrun as root, or under systemd-run --user -p Delegate=yes, or pass "
		       "--cgroup-parent to a cgroup you may write";
	case EROFS:
		return "the cgroup file system is mounted read-only, as in many containers: mount "
		       "it read-write, or run memrun where it is";
	case ENOSPC:
	case EAGAIN:
		return "a limit on cgroups is reached (cgroup.max.descendants or cgroup.max.depth "
		       "of a cgroup above)";
	default:
		return NULL;
	}
}

static struct doctor_finding check_cgroup_job(const struct doctor_host *h,
					      const struct doctor_check *c)
{
	const struct doctor_cgroup_probe *p = &h->probe;
	const char *consequence = "jobs run without a cgroup, and --memory-max, --memory-high "
				  "and --swap-max stop memrun with exit 125 (--best-effort runs "
				  "the job without them)";
	const char *remedy;
	char words[96];

	(void)c;
	if (!p->parent)
		return finding(DOCTOR_WARN, "/proc/self/cgroup", no_value(),
			       "no job cgroup: %s; %s",
			       p->why_no_parent ? p->why_no_parent : "no place for one",
			       consequence);
	errno_words(-p->err, words);
	remedy = cgroup_remedy(-p->err);
	switch (p->err ? p->failed_step : DOCTOR_PROBE_REMOVE) {
	case DOCTOR_PROBE_OPEN_PARENT:
		return finding(DOCTOR_WARN, p->parent, string_value(p->parent),
			       "cannot open %s, where the job's cgroup would go: %s; %s", p->parent,
			       words, consequence);
	case DOCTOR_PROBE_CREATE:
		return finding(DOCTOR_WARN, p->parent, string_value(p->parent),
			       "memrun cannot create a job cgroup in %s: creating %s failed: %s; "
			       "%s%s%s",
			       p->parent, p->name, words, consequence, remedy ? "; " : "",
			       remedy ? remedy : "");
	case DOCTOR_PROBE_SET_LIMIT:
		return finding(DOCTOR_WARN, p->parent, string_value(p->parent),
			       "memrun can create a job cgroup in %s but not set its %s: %s; memory "
			       "limits cannot be put in force there%s%s",
			       p->parent, p->limit_file, words, remedy ? "; " : "",
			       remedy ? remedy : "");
	case DOCTOR_PROBE_REMOVE:
		if (p->left_behind)
			return finding(DOCTOR_WARN, p->parent, string_value(p->parent),
				       "created the test cgroup %s/%s but could not remove it: %s; "
				       "remove it with rmdir %s/%s",
				       p->parent, p->name, words, p->parent, p->name);
		break;
	}
	if (!p->memory_controller)
		return finding(DOCTOR_NOTE, p->parent, string_value(p->parent),
			       "memrun can create a job cgroup in %s (created and removed %s), but the "
			       "memory controller is not on for cgroups there (not in its "
			       "cgroup.subtree_control): memrun turns it on for a job, which cgroup v2 "
			       "allows only while %s holds no processes",
			       p->parent, p->name, p->parent);
	return finding(DOCTOR_OK, p->parent, string_value(p->parent),
		       "memrun can create a job cgroup in %s, with memory limits: it created %s, "
		       "set its %s and removed it",
		       p->parent, p->name, p->limit_file);
}

static struct doctor_finding check_cgroup_swap_accounting(const struct doctor_host *h,
							  const struct doctor_check *c)
{
	const struct doctor_cgroup_probe *p = &h->probe;
	_cleanup_free_ char *source = NULL;

	(void)c;
	if (!p->created || !p->memory_controller)
		return finding(DOCTOR_NOTE, p->parent ? p->parent : "/proc/self/cgroup", no_value(),
			       "cannot tell whether --swap-max works: no test cgroup with the memory "
			       "controller could be made");
	source = xasprintf("%s/%s/%s", p->parent, p->name, p->swap_file);
	if (p->swap_accounting)
		return finding(DOCTOR_OK, source, string_value("on"),
			       "swap accounting is on (a job cgroup has %s): --swap-max can be put in "
			       "force",
			       p->swap_file);
	return finding(DOCTOR_NOTE, source, string_value("off"),
		       "swap accounting is off (a job cgroup has no %s): --swap-max stops memrun "
		       "with exit 125; %s",
		       p->swap_file,
		       p->version == 1 ? "boot with swapaccount=1 to turn it on" :
					 "the kernel was built or booted without it");
}

/*
 * How a job gets into its cgroup.  A move of a whole process (cgroup.procs)
 * takes the kernel's cgroup_threadgroup_rwsem for writing, which waits for
 * an RCU grace period unless another move happened a few milliseconds
 * before.  clone3 with CLONE_INTO_CGROUP (v2) moves nothing; on v1 the
 * job, one thread at that moment, moves itself through tasks, which Linux
 * 5.19 and later do without that lock; favordynmods makes every move cheap.
 */
static struct doctor_finding check_cgroup_join(const struct doctor_host *h,
					       const struct doctor_check *c)
{
	const struct doctor_file_text *f = &h->files[DOCTOR_FILE_MOUNTINFO];
	const struct doctor_file_text *rel = &h->files[DOCTOR_FILE_OSRELEASE];
	const char *source = doctor_file_path[DOCTOR_FILE_MOUNTINFO];
	const struct cgroup_place *place = &h->place;
	_cleanup_free_ char *mount = NULL, *root = NULL, *options = NULL;
	unsigned major = 0, minor = 0;
	bool v2;

	(void)c;
	if (!place->backend)
		return finding(DOCTOR_NOTE, "/proc/self/cgroup", no_value(),
			       "no job cgroup here, so no job waits to join one");
	v2 = place->backend->version == 2;
	if (!f->text)
		return unreadable(DOCTOR_FILE_MOUNTINFO, f->err);
	if (cgroup_parse_mountinfo(f->text, v2, &mount, &root, &options) == 0 &&
	    list_contains(options, ',', "favordynmods"))
		return finding(DOCTOR_OK, source, string_value("favordynmods"),
			       "the cgroup hierarchy at %s is mounted with favordynmods: a job joins "
			       "its cgroup without waiting for the kernel",
			       mount);
	if (v2)
		return finding(DOCTOR_OK, source, string_value("clone3"),
			       "a job starts inside its cgroup (clone3 with CLONE_INTO_CGROUP, "
			       "Linux 5.7 and later): no process is moved, so no launch waits for "
			       "the kernel");
	source = doctor_file_path[DOCTOR_FILE_OSRELEASE];
	if (!rel->text)
		return unreadable(DOCTOR_FILE_OSRELEASE, rel->err);
	if (doctor_parse_version(rel->text, &major, &minor) == 0 &&
	    (major > 5 || (major == 5 && minor >= 19)))
		return finding(DOCTOR_OK, source, string_value("tasks"),
			       "a job joins its v1 cgroup by moving its one thread through tasks "
			       "before exec, which Linux %u.%u does without waiting for other "
			       "processes",
			       major, minor);
	return finding(DOCTOR_NOTE, source, string_value("tasks"),
		       "a job joins its v1 cgroup through tasks, and before Linux 5.19 the kernel "
		       "makes every move wait for an RCU grace period unless another one happened "
		       "a few milliseconds before: a launch after an idle moment can take 4 to 16 "
		       "ms longer");
}

static struct doctor_finding check_panic_on_oom(const struct doctor_host *h,
						const struct doctor_check *c)
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

static struct doctor_finding check_oom_kill_allocating_task(const struct doctor_host *h,
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

static struct doctor_finding check_oom_score_adj(const struct doctor_host *h,
						 const struct doctor_check *c)
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

/* How memrun could get CAP_SYS_RESOURCE here. */
static const char *sys_resource_remedy(const struct doctor_host *h)
{
	return caps_sys_resource_remedy(h->root ? CAPS_STANDING_ROOT : CAPS_STANDING_USER);
}

static struct doctor_finding check_oom_score_adj_lower(const struct doctor_host *h,
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
	if (h->profiles_lowering)
		return finding(DOCTOR_WARN, source, string_value(cap_eff),
			       "oom_score_adj cannot be lowered below %lld: memrun lacks "
			       "CAP_SYS_RESOURCE, so %s %s would stop with exit 125; %s, or "
			       "pass --oom-score-adj %lld or more",
			       current, profiles, h->profiles_lowering, sys_resource_remedy(h),
			       current);
	return finding(DOCTOR_NOTE, source, string_value(cap_eff),
		       "oom_score_adj cannot be lowered below %lld: memrun lacks CAP_SYS_RESOURCE, "
		       "so --oom-score-adj (or a profile) below %lld would stop with exit 125; to "
		       "allow it, %s",
		       current, current, sys_resource_remedy(h));
}

static struct doctor_finding check_kmsg(const struct doctor_host *h, const struct doctor_check *c)
{
	char words[96];

	(void)c;
	if (h->kmsg_err == 0)
		return finding(DOCTOR_OK, "/dev/kmsg", string_value("readable"),
			       "the kernel log is readable: the report names the processes the OOM "
			       "killer killed, and tells the job's limit from an outer one");
	return finding(DOCTOR_NOTE, "/dev/kmsg", string_value("unreadable"),
		       "the kernel log is not readable (%s): the report counts OOM kills from the "
		       "cgroup but cannot name the victims; give memrun CAP_SYSLOG, or set "
		       "kernel.dmesg_restrict=0",
		       errno_words(-h->kmsg_err, words));
}

static struct doctor_finding check_dmesg_restrict(const struct doctor_host *h,
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
	if (h->kmsg_err == 0)
		return finding(DOCTOR_OK, source, int_value(v),
			       "kernel.dmesg_restrict is %lld: only processes with CAP_SYSLOG read "
			       "the kernel log, and memrun may",
			       v);
	return finding(DOCTOR_NOTE, source, int_value(v),
		       "kernel.dmesg_restrict is %lld: only processes with CAP_SYSLOG read the "
		       "kernel log, and memrun may not; set kernel.dmesg_restrict=0 or give memrun "
		       "CAP_SYSLOG",
		       v);
}

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

static struct doctor_finding check_glibc_version(const struct doctor_host *h,
						 const struct doctor_check *c)
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

static struct doctor_finding check_malloc_tunables(const struct doctor_host *h,
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

static struct doctor_finding check_glibc_tunables(const struct doctor_host *h,
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

/* ---- the table ---------------------------------------------------------- */

static const struct {
	const char *id, *title;
} topics[] = {
	{ "limits", "limits" },
	{ "overcommit", "overcommit" },
	{ "memory", "memory" },
	{ "cgroup", "cgroup" },
	{ "oom", "OOM killer" },
	{ "malloc", "malloc" },
};

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
	{ "oom", "panic_on_oom", check_panic_on_oom, 0 },
	{ "oom", "oom_kill_allocating_task", check_oom_kill_allocating_task, 0 },
	{ "oom", "oom_score_adj", check_oom_score_adj, 0 },
	{ "oom", "oom_score_adj_lower", check_oom_score_adj_lower, 0 },
	{ "oom", "kmsg", check_kmsg, 0 },
	{ "oom", "dmesg_restrict", check_dmesg_restrict, 0 },
	{ "malloc", "glibc_version", check_glibc_version, 0 },
	{ "malloc", "malloc_tunables", check_malloc_tunables, 0 },
	{ "malloc", "glibc_tunables", check_glibc_tunables, 0 },
};

size_t doctor_check_all(const struct doctor_host *h, struct doctor_finding **ret)
{
	struct doctor_finding *findings = xcalloc(ELEMENTSOF(checks), sizeof(*findings));

	for (size_t i = 0; i < ELEMENTSOF(checks); i++) {
		findings[i] = checks[i].check(h, &checks[i]);
		findings[i].topic = checks[i].topic;
		findings[i].key = checks[i].key;
	}
	*ret = findings;
	return ELEMENTSOF(checks);
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

/* ---- output ------------------------------------------------------------- */

static const char *topic_title(const char *id)
{
	for (size_t i = 0; i < ELEMENTSOF(topics); i++)
		if (streq(topics[i].id, id))
			return topics[i].title;
	return id;
}

static void count_levels(const struct doctor_finding *f, size_t n,
			 unsigned counts[DOCTOR_LEVEL_COUNT])
{
	for (unsigned l = 0; l < DOCTOR_LEVEL_COUNT; l++)
		counts[l] = 0;
	for (size_t i = 0; i < n; i++)
		counts[f[i].level]++;
}

static void print_text(FILE *out, const struct doctor_finding *f, size_t n)
{
	unsigned counts[DOCTOR_LEVEL_COUNT];
	const char *topic = NULL;

	for (size_t i = 0; i < n; i++) {
		if (!topic || !streq(topic, f[i].topic)) {
			fprintf(out, "%s%s\n", topic ? "\n" : "", topic_title(f[i].topic));
			topic = f[i].topic;
		}
		fprintf(out, "  %-4s  %s  [%s]\n", doctor_level_name(f[i].level), f[i].message,
			f[i].source);
	}
	count_levels(f, n, counts);
	fprintf(out, "\n%u warning%s, %u note%s, %u ok\n", counts[DOCTOR_WARN],
		counts[DOCTOR_WARN] == 1 ? "" : "s", counts[DOCTOR_NOTE],
		counts[DOCTOR_NOTE] == 1 ? "" : "s", counts[DOCTOR_OK]);
}

static void print_json(FILE *out, const struct doctor_finding *f, size_t n)
{
	unsigned counts[DOCTOR_LEVEL_COUNT];
	struct json_writer w;

	json_init(&w, out, true);
	json_begin_object(&w, NULL);
	json_begin_array(&w, "findings");
	for (size_t i = 0; i < n; i++) {
		json_begin_object(&w, NULL);
		json_string(&w, "topic", f[i].topic);
		json_string(&w, "level", doctor_level_name(f[i].level));
		json_string(&w, "message", f[i].message);
		json_string(&w, "source", f[i].source);
		switch (f[i].value.kind) {
		case DOCTOR_VALUE_INT:
			json_int(&w, "value", f[i].value.i);
			break;
		case DOCTOR_VALUE_UINT:
			json_uint(&w, "value", f[i].value.u);
			break;
		case DOCTOR_VALUE_STRING:
			json_string(&w, "value", f[i].value.s);
			break;
		default:
			json_null(&w, "value");
		}
		json_string(&w, "key", f[i].key);
		json_end_object(&w);
	}
	json_end_array(&w);
	count_levels(f, n, counts);
	json_begin_object(&w, "counts");
	for (unsigned l = 0; l < DOCTOR_LEVEL_COUNT; l++)
		json_uint(&w, doctor_level_name((enum doctor_level)l), counts[l]);
	json_end_object(&w);
	json_end_object(&w);
}

/* ---- the command -------------------------------------------------------- */

static void doctor_usage(void)
{
	printf("Usage: memrun doctor [--json]\n"
	       "\n"
	       "Say what would refuse memory or kill a process on this host, one finding a\n"
	       "line: ok, note or warn, the finding with its number, and in brackets the file\n"
	       "it was read from.  Looked at: memrun's rlimits; vm.overcommit_memory and the\n"
	       "commit limit; available memory and swap; memrun's cgroup, its limit, and\n"
	       "whether memrun may create a job cgroup (it creates and removes a test cgroup,\n"
	       "%s<pid>, to find out); the OOM killer's settings, oom_score_adj and\n"
	       "whether memrun may lower it; the kernel log; glibc's malloc tunables.\n"
	       "\n"
	       "      --json   one JSON object instead of text\n"
	       "  -h, --help   show this help and exit\n"
	       "\n"
	       "Exit status: 0, whatever is found; 125 when doctor itself failed.\n",
	       TEST_CGROUP_PREFIX);
}

static int bad_doctor_usage(void)
{
	fprintf(stderr, "Try 'memrun doctor --help' for more information.\n");
	return MEMRUN_EXIT_FAILURE;
}

enum { OPT_JSON = CHAR_MAX + 1 };

int doctor_command(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct doctor_finding *findings = NULL;
	struct doctor_host host;
	bool json = false;
	size_t n;
	int c;

	optind = 0; /* start afresh, whatever parsed argv before */
	opterr = 0; /* the messages below say "memrun doctor" */
	while ((c = getopt_long(argc, argv, "+h", options, NULL)) != -1) {
		switch (c) {
		case OPT_JSON:
			json = true;
			break;
		case 'h':
			doctor_usage();
			return 0;
		default:
			if (optopt == OPT_JSON)
				log_error("doctor: --json takes no value");
			else if (optopt)
				log_error("doctor: unknown option '-%c'", optopt);
			else
				log_error("doctor: unknown option '%s'", argv[optind - 1]);
			return bad_doctor_usage();
		}
	}
	if (optind < argc) {
		log_error("doctor: unexpected argument '%s'", argv[optind]);
		return bad_doctor_usage();
	}

	doctor_host_read(&host);
	n = doctor_check_all(&host, &findings);
	if (json)
		print_json(stdout, findings, n);
	else
		print_text(stdout, findings, n);
	doctor_findings_free(findings, n);
	doctor_host_free(&host);
	settings_free_strings();
	if (fflush(stdout) != 0 || ferror(stdout)) {
		log_error("doctor: cannot write the findings: %s", strerror(errno));
		return MEMRUN_EXIT_FAILURE;
	}
	return 0;
}
