/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "report.h"

#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <sys/stat.h>

#include "json.h"
#include "oomadj.h"
#include "rlimit.h"
#include "util.h"

#ifndef MEMRUN_VERSION
#define MEMRUN_VERSION "0.0.0"
#endif

const char *format_duration(double s, char buf[static 32])
{
	if (s < 60)
		snprintf(buf, 32, "%.1f s", s);
	else if (s < 3600)
		snprintf(buf, 32, "%d min %02d s", (int)s / 60, (int)s % 60);
	else
		snprintf(buf, 32, "%d h %02d min", (int)s / 3600, ((int)s % 3600) / 60);
	return buf;
}

const char *signal_name(int sig, char buf[static 16])
{
	const char *abbrev = sigabbrev_np(sig);

	if (abbrev)
		snprintf(buf, 16, "SIG%s", abbrev);
	else if (sig >= SIGRTMIN && sig <= SIGRTMAX)
		snprintf(buf, 16, "SIGRTMIN+%d", sig - SIGRTMIN);
	else
		snprintf(buf, 16, "signal %d", sig);
	return buf;
}

/* "; limits: RLIMIT_AS 256 MiB, oom_score_adj 500" for what the plan set. */
static void print_limits(FILE *out, const struct plan *plan)
{
	const char *sep = "; limits: ";
	char buf[32];

	for (unsigned i = 0; i < SETTING_COUNT; i++) {
		const char *name = rlimit_name((enum setting_id)i);
		if (!name || !plan->values[i].set)
			continue;
		fprintf(out, "%s%s %s", sep, name,
			plan->limit_bytes[i] == LIMIT_UNLIMITED ? "unlimited" :
			size_format(plan->limit_bytes[i], buf));
		sep = ", ";
	}
	if (plan->values[SETTING_OOM_SCORE_ADJ].set)
		fprintf(out, "%soom_score_adj %lld", sep, plan->values[SETTING_OOM_SCORE_ADJ].number);
}

void report_print_summary(FILE *out, const struct plan *plan, const struct outcome *o)
{
	const char *name = plan->command && plan->command[0] ? plan->command[0] : "the job";
	char dur[32], sig[16], rss[32];

	if (!o->started) {
		fprintf(out, "memrun: %s failed to start: %s\n", name,
			o->start_error ? o->start_error : "unknown error");
		return;
	}
	fputs("memrun: ", out);
	fputs(name, out);
	if (o->signal > 0)
		fprintf(out, " was killed by %s%s after %s", signal_name(o->signal, sig),
			o->core_dumped ? " (core dumped)" : "", format_duration(o->duration_s, dur));
	else
		fprintf(out, " exited %d after %s", o->exit_code, format_duration(o->duration_s, dur));
	if (o->largest_rss_bytes > 0)
		fprintf(out, "; largest process %s RSS", size_format(o->largest_rss_bytes, rss));
	print_limits(out, plan);
	if (o->signal == SIGKILL && !o->oom_kills.known)
		fputs("; without a memory cgroup memrun cannot tell whether the OOM killer sent "
		      "SIGKILL (see dmesg)", out);
	fputc('\n', out);
}

static void json_limit(struct json_writer *w, const char *key, uint64_t bytes, bool known)
{
	if (!known || bytes == LIMIT_UNLIMITED)
		json_null(w, key);
	else
		json_uint(w, key, bytes);
}

static void json_maybe_count(struct json_writer *w, const char *key, struct maybe_count c)
{
	if (c.known)
		json_uint(w, key, c.value);
	else
		json_null(w, key);
}

static void write_limits(struct json_writer *w, const struct plan *plan)
{
	const struct setting_value *adj = &plan->values[SETTING_OOM_SCORE_ADJ];
	int inherited_adj;

	json_begin_object(w, "limits");
	json_limit(w, "as_bytes", rlimit_in_force(plan, SETTING_AS), true);
	json_limit(w, "data_bytes", rlimit_in_force(plan, SETTING_DATA), true);
	/* No cgroup yet: nothing of these is in force. */
	json_null(w, "memory_max_bytes");
	json_null(w, "memory_high_bytes");
	json_null(w, "swap_max_bytes");
	if (adj->set)
		json_int(w, "oom_score_adj", adj->number);
	else if (oomadj_read_self(&inherited_adj) == 0)
		json_int(w, "oom_score_adj", inherited_adj);
	else
		json_null(w, "oom_score_adj");
	json_begin_object(w, "malloc");
	for (unsigned i = SETTING_MALLOC_FIRST; i <= SETTING_MALLOC_LAST; i++)
		if (plan->values[i].set)
			json_int(w, setting_table[i].key + strlen("malloc."), plan->values[i].number);
	json_end_object(w);
	json_string(w, "glibc_tunables", plan->glibc_tunables);
	json_end_object(w);
}

void report_write_json(FILE *out, const struct plan *plan, const struct outcome *o)
{
	enum outcome_kind kind = outcome_classify(o);
	struct json_writer w;
	char sig[16];

	json_init(&w, out, true);
	json_begin_object(&w, NULL);
	json_string(&w, "memrun_version", MEMRUN_VERSION);
	json_string(&w, "outcome", outcome_kind_name(kind));
	if (o->started && o->main_exited)
		json_int(&w, "exit_code", o->exit_code);
	else
		json_null(&w, "exit_code");
	if (o->signal > 0) {
		json_int(&w, "signal", o->signal);
		json_string(&w, "signal_name", signal_name(o->signal, sig));
	} else {
		json_null(&w, "signal");
		json_null(&w, "signal_name");
	}
	json_bool(&w, "core_dumped", o->core_dumped);
	json_int(&w, "memrun_exit_status", outcome_exit_status(o));
	if (o->main_oom_killed_known)
		json_bool(&w, "main_oom_killed", o->main_oom_killed);
	else
		json_null(&w, "main_oom_killed");
	json_string(&w, "error", o->start_error);

	json_begin_object(&w, "oom");
	json_maybe_count(&w, "kills", o->oom_kills);
	json_string(&w, "killer", oom_killer_name(o->oom_killer));
	json_end_object(&w);

	json_begin_object(&w, "alloc_failures");
	json_bool(&w, "observed", o->alloc_observed);
	json_maybe_count(&w, "count", o->alloc_failures);
	json_end_object(&w);

	json_begin_object(&w, "peak");
	json_maybe_count(&w, "memory_bytes", o->peak_memory_bytes);
	if (o->largest_rss_bytes > 0)
		json_uint(&w, "largest_process_rss_bytes", o->largest_rss_bytes);
	else
		json_null(&w, "largest_process_rss_bytes");
	json_end_object(&w);

	write_limits(&w, plan);

	json_begin_object(&w, "cgroup");
	if (o->cgroup_version)
		json_int(&w, "version", o->cgroup_version);
	else
		json_null(&w, "version");
	json_end_object(&w);

	json_double(&w, "duration_s", o->started ? o->duration_s : 0.0, 3);
	if (o->started)
		json_int(&w, "main_pid", o->main_pid);
	else
		json_null(&w, "main_pid");
	json_begin_array(&w, "command");
	for (char **a = plan->command; a && *a; a++)
		json_string(&w, NULL, *a);
	json_end_array(&w);
	json_begin_array(&w, "profiles");
	for (size_t i = 0; i < plan->profiles.count; i++) {
		json_begin_object(&w, NULL);
		json_string(&w, "name", plan->profiles.items[i].name);
		json_string(&w, "path", plan->profiles.items[i].path);
		json_end_object(&w);
	}
	json_end_array(&w);
	json_end_object(&w);
}

int report_file_open(struct report_file *rf, const char *path)
{
	_cleanup_free_ char *copy = xstrdup(path);
	const char *dir = dirname(copy);
	struct stat st;
	mode_t mask;
	int fd;

	*rf = (struct report_file){ .fd = -1 };
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return -EISDIR;
	mask = umask(0);
	umask(mask);
	fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666 & ~mask);
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		/* A file system without O_TMPFILE: a hidden name beside the target. */
		_cleanup_free_ char *base_copy = xstrdup(path);
		char *temp = xasprintf("%s/.%s.XXXXXX", dir, basename(base_copy));
		fd = mkostemp(temp, O_CLOEXEC);
		if (fd < 0) {
			int err = -errno;
			free(temp);
			return err;
		}
		fchmod(fd, 0666 & ~mask);
		rf->temp_path = temp;
	}
	if (fd < 0)
		return -errno;
	rf->fd = fd;
	rf->path = xstrdup(path);
	return 0;
}

int report_file_commit(struct report_file *rf, const struct plan *plan, const struct outcome *o)
{
	_cleanup_fclose_ FILE *out = NULL;
	int fd, r = 0;

	fd = dup(rf->fd);
	if (fd < 0)
		return -errno;
	out = fdopen(fd, "w");
	if (!out) {
		r = -errno;
		close(fd);
		return r;
	}
	report_write_json(out, plan, o);
	if (fflush(out) != 0 || ferror(out) || fsync(rf->fd) < 0)
		return -errno ? -errno : -EIO;

	if (rf->temp_path) {
		if (rename(rf->temp_path, rf->path) < 0)
			return -errno;
		free(rf->temp_path);
		rf->temp_path = NULL;
	} else {
		/* Give the unnamed file a name, then move it over the target. */
		char proc_path[64];
		_cleanup_free_ char *copy = xstrdup(rf->path);
		_cleanup_free_ char *base_copy = xstrdup(rf->path);
		_cleanup_free_ char *temp = xasprintf("%s/.%s.%d.tmp", dirname(copy),
						      basename(base_copy), (int)getpid());

		snprintf(proc_path, sizeof(proc_path), "/proc/self/fd/%d", rf->fd);
		unlink(temp);
		if (linkat(AT_FDCWD, proc_path, AT_FDCWD, temp, AT_SYMLINK_FOLLOW) < 0)
			return -errno;
		if (rename(temp, rf->path) < 0) {
			r = -errno;
			unlink(temp);
			return r;
		}
	}
	return 0;
}

void report_file_discard(struct report_file *rf)
{
	if (rf->temp_path)
		unlink(rf->temp_path);
	free(rf->temp_path);
	free(rf->path);
	rf->fd = safe_close(rf->fd);
	*rf = (struct report_file){ .fd = -1 };
}
