/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "report.h"

#include <signal.h>

#include "json.h"
#include "probe.h"
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
static void print_limits(FILE *out, const struct plan *plan, const struct outcome *o)
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
	if (plan->values[SETTING_OOM_SCORE_ADJ].set) {
		fprintf(out, "%soom_score_adj %lld", sep, plan->values[SETTING_OOM_SCORE_ADJ].number);
		sep = ", ";
	}
	if (o->lock_limits)
		fprintf(out, "%smemory rlimits locked", sep);
}

/* The limit file as the cgroup manager names it. */
static const char *limit_file(const struct outcome *o)
{
	return o->memory_max_file ? o->memory_max_file : "memory.max";
}

/* "(cc1plus, pid 4242; sh, pid 4243)" from the kernel log, when read. */
static void print_victims(FILE *out, const struct outcome *o, bool skip_main)
{
	const char *sep = " (";
	unsigned shown = 0;

	for (unsigned i = 0; o->victims_known && i < o->victims.count && shown < 3; i++) {
		if (skip_main && o->victims.list[i].pid == o->main_pid)
			continue;
		fprintf(out, "%s%s, pid %d", sep, o->victims.list[i].comm, (int)o->victims.list[i].pid);
		sep = "; ";
		shown++;
	}
	if (shown)
		fputc(')', out);
}

/* The rule systemd-oomd acted on, from its record: "memory pressure on
 * user@1000.service was 82.39% > 50.00% for more than 20s". */
static void print_oomd_rule(FILE *out, const struct outcome *o)
{
	const struct oomd_record *r = &o->oomd_record;
	char used[32], total[32], swap_used[32], swap_total[32];
	const char *unit;

	if (!o->oomd_record_known) {
		fprintf(out, "its rule unknown (%s)",
			o->oomd_record_unknown ? o->oomd_record_unknown : "no record of it");
		return;
	}
	switch (r->rule) {
	case OOMD_RULE_PRESSURE:
		/* The unit as people know it, the last part of its cgroup. */
		unit = strrchr(r->monitored, '/');
		unit = unit && unit[1] ? unit + 1 : r->monitored;
		fprintf(out,
			"memory pressure on %s was %llu.%02llu%% > %llu.%02llu%% for more than %s",
			unit, (unsigned long long)r->pressure / 100,
			(unsigned long long)r->pressure % 100,
			(unsigned long long)r->pressure_limit / 100,
			(unsigned long long)r->pressure_limit % 100, r->duration);
		break;
	case OOMD_RULE_SWAP:
		fprintf(out, "memory used %s of %s and swap used %s of %s, more than %llu.%02llu%%",
			size_format(r->memory_used, used), size_format(r->memory_total, total),
			size_format(r->swap_used, swap_used),
			size_format(r->swap_total, swap_total),
			(unsigned long long)r->swap_limit / 100,
			(unsigned long long)r->swap_limit % 100);
		break;
	case OOMD_RULE_UNKNOWN:
	default:
		fputs("its rule unknown", out);
		break;
	}
}

/* Who did it: "cgroup memory.max 64 MiB reached". */
static void print_oom_cause(FILE *out, const struct outcome *o)
{
	char buf[32];

	switch (o->oom_cause) {
	case OOM_CAUSE_INNER_LIMIT:
		fputs("the limit of a cgroup the job made below its own was reached", out);
		break;
	case OOM_CAUSE_JOB_LIMIT:
		if (o->memory_max != LIMIT_UNLIMITED)
			fprintf(out, "cgroup %s %s reached", limit_file(o),
				size_format(o->memory_max, buf));
		else
			fputs("the job's cgroup limit was reached", out);
		break;
	case OOM_CAUSE_SYSTEM:
		fputs("the whole system ran out of memory (the kernel's global OOM killer)", out);
		break;
	case OOM_CAUSE_ENCLOSING:
		fprintf(out, "the limit of memrun's own cgroup was reached (%s counted it)",
			o->enclosing_dir);
		break;
	case OOM_CAUSE_NAMED_LIMIT:
		fprintf(out, "the limit of %s", o->limit_cgroup);
		if (o->limit_cgroup_max.known && o->limit_cgroup_max.value != LIMIT_UNLIMITED)
			fprintf(out, " (%s %s)", limit_file(o),
				size_format(o->limit_cgroup_max.value, buf));
		fputs(" was reached, not the job's own", out);
		break;
	case OOM_CAUSE_OOMD:
		fputs("by systemd-oomd, ", out);
		print_oomd_rule(out, o);
		break;
	case OOM_CAUSE_USER_TOTAL:
		fprintf(out, "the user's total of %s for all their jobs was reached (total_memory_max "
			"at %s:%u, ", size_format(o->total_bytes, buf), o->total_file, o->total_line);
		if (o->total_unit)
			fprintf(out, "the MemoryMax of %s)", o->total_unit);
		else
			fprintf(out, "in force in %s)", o->total_dir);
		fputs(", not the job's own limit", out);
		break;
	case OOM_CAUSE_AROUND:
	case OOM_CAUSE_NONE:
	default:
		fputs("a limit around the job's cgroup was reached, not the job's own", out);
		break;
	}
}

static void print_peak(FILE *out, const struct outcome *o, const char *lead, bool with_limit)
{
	char peak[32], limit[32];

	if (o->peak_memory_bytes.known) {
		fprintf(out, "%speak %s%s", lead, o->peak_sampled ? "sampled " : "",
			size_format(o->peak_memory_bytes.value, peak));
		if (with_limit && o->memory_max != LIMIT_UNLIMITED)
			fprintf(out, " of %s", size_format(o->memory_max, limit));
	} else if (o->largest_rss_bytes > 0) {
		fprintf(out, "%slargest process %s RSS", lead, size_format(o->largest_rss_bytes, peak));
	}
}

static void print_bytes_or_unknown(FILE *out, uint64_t v)
{
	char buf[32];
	fputs(v == PROBE_UNKNOWN ? "?" : size_format(v, buf), out);
}

/* "3 allocations refused under RLIMIT_AS 256 MiB (largest 200 MiB)"; with
 * the main program unobserved, "at least 3 ..." (no largest: unknown). */
static void print_refusals(FILE *out, const struct outcome *o)
{
	const struct probe_failure *f = &o->alloc_first;
	bool known = o->alloc_failures.known;
	unsigned long long n = known ? o->alloc_failures.value : o->alloc_failures_at_least;
	char buf[32];

	fprintf(out, "%s%llu allocation%s refused", known ? "" : "at least ", n, n == 1 ? "" : "s");
	switch (o->alloc_first_known ? f->cause : PROBE_CAUSE_UNKNOWN) {
	case PROBE_CAUSE_RLIMIT_AS:
		fputs(" under RLIMIT_AS ", out);
		print_bytes_or_unknown(out, f->rlimit_as);
		break;
	case PROBE_CAUSE_RLIMIT_DATA:
		fputs(" under RLIMIT_DATA ", out);
		print_bytes_or_unknown(out, f->rlimit_data);
		break;
	case PROBE_CAUSE_COMMIT_LIMIT:
		fputs(" by the kernel's commit limit (vm.overcommit_memory=2: Committed_AS ", out);
		print_bytes_or_unknown(out, f->committed_as);
		fputs(" + ", out);
		print_bytes_or_unknown(out, f->bytes);
		fputs(" > CommitLimit ", out);
		print_bytes_or_unknown(out, f->commit_limit);
		fputc(')', out);
		break;
	case PROBE_CAUSE_FRAGMENTATION:
		fputs(": the heap was fragmented (", out);
		print_bytes_or_unknown(out, f->heap_free);
		fputs(" free, but not ", out);
		print_bytes_or_unknown(out, f->bytes);
		fputs(" in one piece)", out);
		break;
	default:
		break;
	}
	if (known)
		fprintf(out, " (largest %s)", size_format(o->alloc_largest_bytes, buf));
	else
		fprintf(out, " in the job's other processes (the main program was not observed: %s)",
			o->alloc_not_observed ? o->alloc_not_observed : "unknown why");
}

static void print_refusal_hint(FILE *out, const struct outcome *o)
{
	const struct probe_failure *f = &o->alloc_first;

	if (!o->alloc_first_known)
		return;
	if (f->cause == PROBE_CAUSE_RLIMIT_AS && (f->flags & PROBE_FLAG_PROT_NONE))
		fputs("; the refused mapping was an address-space reservation (PROT_NONE), as JVMs, "
		      "Go, V8 and sanitizers make: limit with --data or --memory-max instead of --as",
		      out);
	else if (f->cause == PROBE_CAUSE_FRAGMENTATION)
		fputs("; keep large buffers out of the heap with --malloc mmap_threshold=... (they "
		      "get mappings of their own, returned to the kernel when freed), or raise the "
		      "limit", out);
}

void report_print_summary(FILE *out, const struct plan *plan, const struct outcome *o)
{
	enum outcome_kind kind = o->kind;
	const char *name = plan->command && plan->command[0] ? plan->command[0] : "the job";
	/* Unknown in all (kills below the job's cgroup unread): what was seen. */
	unsigned long long kills = o->oom_kills.known ? o->oom_kills.value : o->oom_kills_at_least;
	const char *at_least = o->oom_kills.known ? "" : "at least ";
	char dur[32], sig[16];

	fprintf(out, "memrun: %s", name);
	if (kind == OUTCOME_OUT_OF_MEMORY) {
		fputs(" ran out of memory: ", out);
		print_refusals(out, o);
		if (o->signal > 0)
			fprintf(out, "; killed by %s%s", signal_name(o->signal, sig),
				o->core_dumped ? " (core dumped)" : "");
		else
			fprintf(out, "; exited %d", o->exit_code);
		fprintf(out, " after %s", format_duration(o->duration_s, dur));
		print_refusal_hint(out, o);
	} else if (kind == OUTCOME_OOM_KILLED && o->main_oom_killed) {
		if (o->oom_cause == OOM_CAUSE_OOMD) {
			fputs(" was killed by systemd-oomd: ", out);
			print_oomd_rule(out, o);
		} else {
			fputs(" was OOM-killed: ", out);
			print_oom_cause(out, o);
		}
		print_peak(out, o, " (", false);
		if (o->peak_memory_bytes.known || o->largest_rss_bytes > 0)
			fputc(')', out);
		fprintf(out, ", %s%llu process%s killed", at_least, kills, kills == 1 ? "" : "es");
		print_victims(out, o, true);
		fprintf(out, ", after %s", format_duration(o->duration_s, dur));
	} else {
		if (o->signal > 0)
			fprintf(out, " was killed by %s%s after %s", signal_name(o->signal, sig),
				o->core_dumped ? " (core dumped)" : "",
				format_duration(o->duration_s, dur));
		else if (o->main_exited)
			fprintf(out, " exited %d after %s", o->exit_code,
				format_duration(o->duration_s, dur));
		else
			fprintf(out, " ended after %s, how is unknown (its exit status was lost)",
				format_duration(o->duration_s, dur));
		if (kind == OUTCOME_OOM_KILLED) {
			fprintf(out, "; %s%llu job process%s OOM-killed", at_least, kills,
				kills == 1 ? " was" : "es were");
			print_victims(out, o, false);
			if (o->oom_cause == OOM_CAUSE_JOB_LIMIT && o->memory_max != LIMIT_UNLIMITED)
				fprintf(out, " under %s %s", limit_file(o), size_format(o->memory_max, dur));
			else
				fputs(": ", out), print_oom_cause(out, o);
		}
		print_peak(out, o, "; ", true);
		/* A job that failed without a word from the probe: say why not,
		 * unless the hint tells more. */
		if (o->hint)
			fprintf(out, "; %s", o->hint);
		else if (o->alloc_not_observed && (o->signal > 0 || o->exit_code != 0))
			fprintf(out, "; allocations not observed: %s", o->alloc_not_observed);
	}
	print_limits(out, plan, o);
	if (o->limits_not_applied)
		fputs("; cgroup limits NOT applied (--best-effort)", out);
	if (o->enclosing_oom_kills > 0 && !o->enclosing_attributed)
		fprintf(out, "; memrun's cgroup counted %llu OOM kill%s meanwhile (%s), of the "
			"job's processes or of others there", (unsigned long long)o->enclosing_oom_kills,
			o->enclosing_oom_kills == 1 ? "" : "s", o->enclosing_dir);
	else if (o->oom_kills_unknown && kind != OUTCOME_OOM_KILLED)
		fprintf(out, "; OOM kills unknown: %s", o->oom_kills_unknown);
	else if (o->signal == SIGKILL && !o->oom_kills.known && !o->oom_kills_unknown)
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

/* The administrator's policy that bound the caller, and each setting it
 * decided: a cap nobody asked past, or a request it lowered (clamp). */
static void write_policy(struct json_writer *w, const struct plan *plan)
{
	if (!plan->policy_file) {
		json_null(w, "policy");
		return;
	}
	json_begin_object(w, "policy");
	json_string(w, "file", plan->policy_file);
	json_string(w, "sections", plan->policy_sections);
	if (plan->total.set) {
		json_begin_object(w, "total");
		json_uint(w, "memory_max_bytes", plan->total.bytes);
		json_uint(w, "line", plan->total.line);
		json_string(w, "cgroup", plan->total.dir);
		json_string(w, "unit", plan->total.unit);
		json_end_object(w);
	} else {
		json_null(w, "total");
	}
	json_begin_object(w, "settings");
	for (unsigned i = 0; i < SETTING_COUNT; i++) {
		const struct origin *origin = &plan->values[i].origin;

		if (!plan->values[i].set || origin->kind != ORIGIN_POLICY)
			continue;
		json_begin_object(w, setting_table[i].key);
		json_string(w, "policy_key", origin->flag);
		json_uint(w, "line", origin->line);
		json_bool(w, "clamped", plan->policy_asked[i] != NULL);
		json_string(w, "asked", plan->policy_asked[i]);
		json_end_object(w);
	}
	json_end_object(w);
	json_end_object(w);
}

static void write_limits(struct json_writer *w, const struct plan *plan, const struct outcome *o)
{
	json_begin_object(w, "limits");
	json_limit(w, "as_bytes", o->rlimit_as_bytes, true);
	json_limit(w, "data_bytes", o->rlimit_data_bytes, true);
	json_bool(w, "lock_limits", o->lock_limits);
	json_limit(w, "memory_max_bytes", o->memory_max, outcome_had_cgroup(o));
	json_limit(w, "memory_high_bytes", o->memory_high, outcome_had_cgroup(o));
	json_limit(w, "swap_max_bytes", o->swap_max, outcome_had_cgroup(o));
	if (o->oom_score_adj_known)
		json_int(w, "oom_score_adj", o->oom_score_adj);
	else
		json_null(w, "oom_score_adj");
	json_begin_object(w, "malloc");
	for (unsigned i = SETTING_MALLOC_FIRST; i <= SETTING_MALLOC_LAST; i++)
		if (plan->values[i].set)
			json_int(w, setting_table[i].key + strlen("malloc."), plan->values[i].number);
	json_end_object(w);
	json_string(w, "glibc_tunables", plan->glibc_tunables);
	json_bool(w, "oom_group", o->oom_group);
	/* --best-effort: what was asked for but is not in force, and why. */
	json_string(w, "not_applied_reason", o->limits_not_applied ? o->cgroup_error : NULL);
	write_policy(w, plan);
	json_end_object(w);
}

static void json_probe_bytes(struct json_writer *w, const char *key, uint64_t v)
{
	if (v == PROBE_UNKNOWN)
		json_null(w, key);
	else
		json_uint(w, key, v);
}

static void write_alloc_failures(struct json_writer *w, const struct outcome *o)
{
	const struct probe_failure *f = &o->alloc_first;

	json_begin_object(w, "alloc_failures");
	json_bool(w, "observed", o->alloc_observed);
	json_string(w, "not_observed_reason", o->alloc_not_observed);
	json_maybe_count(w, "count", o->alloc_failures);
	/* count unknown, yet the probe saw refusals in other processes. */
	if (!o->alloc_failures.known && o->alloc_failures_at_least > 0)
		json_uint(w, "count_at_least", o->alloc_failures_at_least);
	else
		json_null(w, "count_at_least");
	if (o->alloc_failures.known) {
		json_uint(w, "largest_bytes", o->alloc_largest_bytes);
		json_uint(w, "processes", o->alloc_processes);
	} else {
		json_null(w, "largest_bytes");
		json_null(w, "processes");
	}
	json_string(w, "cause", o->alloc_first_known ? probe_cause_name(f->cause) : NULL);
	if (o->alloc_failures.known) {
		json_begin_object(w, "causes");
		for (unsigned i = 0; i < PROBE_CAUSE_COUNT; i++)
			if (o->alloc_by_cause[i])
				json_uint(w, probe_cause_name(i), o->alloc_by_cause[i]);
		json_end_object(w);
	} else {
		json_null(w, "causes");
	}
	if (o->alloc_first_known) {
		json_begin_object(w, "first");
		json_string(w, "function", probe_function_name(f->function));
		json_uint(w, "bytes", f->bytes);
		json_int(w, "pid", f->pid);
		json_string(w, "comm", f->comm);
		json_double(w, "t_s", f->t_ns > o->start_mono_ns ?
			    (double)(f->t_ns - o->start_mono_ns) / 1e9 : 0.0, 3);
		json_bool(w, "prot_none", f->flags & PROBE_FLAG_PROT_NONE);
		json_probe_bytes(w, "vm_size_bytes", f->vm_size);
		json_probe_bytes(w, "vm_data_bytes", f->vm_data);
		json_probe_bytes(w, "rlimit_as_bytes", f->rlimit_as);
		json_probe_bytes(w, "rlimit_data_bytes", f->rlimit_data);
		if (f->overcommit_mode >= 0)
			json_int(w, "overcommit_memory", f->overcommit_mode);
		else
			json_null(w, "overcommit_memory");
		json_probe_bytes(w, "commit_limit_bytes", f->commit_limit);
		json_probe_bytes(w, "committed_as_bytes", f->committed_as);
		json_probe_bytes(w, "heap_free_bytes", f->heap_free);
		json_end_object(w);
	} else {
		json_null(w, "first");
	}
	json_end_object(w);
}

static void json_percent(struct json_writer *w, const char *key, uint64_t hundredths, bool known)
{
	if (known)
		json_double(w, key, (double)hundredths / 100, 2);
	else
		json_null(w, key);
}

/* systemd-oomd's kills of the job's, and the rule from its record. */
static void write_oomd(struct json_writer *w, const struct outcome *o)
{
	const struct oomd_record *r = &o->oomd_record;
	bool pressure = o->oomd_record_known && r->rule == OOMD_RULE_PRESSURE;
	bool swap = o->oomd_record_known && r->rule == OOMD_RULE_SWAP;

	if (o->oomd.processes + o->oomd.pending == 0) {
		json_null(w, "oomd");
		return;
	}
	json_begin_object(w, "oomd");
	json_uint(w, "kills", o->oomd.processes + o->oomd.pending);
	json_uint(w, "actions", o->oomd.actions);
	json_string(w, "cgroup", o->oomd_record_known ? r->cgroup : NULL);
	json_string(w, "rule", o->oomd_record_known ? oomd_rule_name(r->rule) : NULL);
	json_string(w, "monitored_cgroup", pressure ? r->monitored : NULL);
	json_percent(w, "pressure_percent", r->pressure, pressure);
	json_percent(w, "pressure_limit_percent", r->pressure_limit, pressure);
	if (pressure)
		json_double(w, "pressure_duration_s", r->duration_s, 0);
	else
		json_null(w, "pressure_duration_s");
	json_limit(w, "memory_used_bytes", r->memory_used, swap);
	json_limit(w, "memory_total_bytes", r->memory_total, swap);
	json_limit(w, "swap_used_bytes", r->swap_used, swap);
	json_limit(w, "swap_total_bytes", r->swap_total, swap);
	json_percent(w, "swap_used_limit_percent", r->swap_limit, swap);
	json_string(w, "record_source", o->oomd_record_known ? "journal" : NULL);
	json_string(w, "record_unknown_reason", o->oomd_record_unknown);
	json_end_object(w);
}

void report_write_json(FILE *out, const struct plan *plan, const struct outcome *o)
{
	struct json_writer w;
	char sig[16];

	json_init(&w, out, true);
	json_begin_object(&w, NULL);
	json_string(&w, "memrun_version", MEMRUN_VERSION);
	json_string(&w, "outcome", outcome_kind_name(o->kind));
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
	json_string(&w, "hint", o->hint);

	json_begin_object(&w, "oom");
	json_maybe_count(&w, "kills", o->oom_kills);
	json_string(&w, "kills_unknown_reason", o->oom_kills_unknown);
	/* kills null: how many were counted all the same. */
	if (o->oom_kills.known)
		json_null(&w, "kills_at_least");
	else
		json_uint(&w, "kills_at_least", o->oom_kills_at_least);
	json_string(&w, "killer", oom_killer_name(o->oom_killer));
	json_string(&w, "killed_by", oom_killed_by_name(o->oom_killed_by));
	/* Without a cgroup of its own: what memrun's cgroup counted meanwhile. */
	if (o->enclosing_dir)
		json_uint(&w, "enclosing_kills", o->enclosing_oom_kills);
	else
		json_null(&w, "enclosing_kills");
	json_string(&w, "enclosing_source", o->enclosing_dir);
	if (outcome_had_cgroup(o)) {
		json_uint(&w, "limit_events", o->cgroup_oom_events);
		json_uint(&w, "memory_max_events", o->memory_max_events);
		/* Not every manager counts memory.high events (v1 does not). */
		if (o->high_events_counted)
			json_uint(&w, "memory_high_events", o->memory_high_events);
		else
			json_null(&w, "memory_high_events");
	} else {
		json_null(&w, "limit_events");
		json_null(&w, "memory_max_events");
		json_null(&w, "memory_high_events");
	}
	if (o->victims_known) {
		json_begin_array(&w, "victims");
		for (unsigned i = 0; i < o->victims.count; i++) {
			json_begin_object(&w, NULL);
			json_int(&w, "pid", o->victims.list[i].pid);
			json_string(&w, "comm", o->victims.list[i].comm);
			json_bool(&w, "main", o->victims.list[i].pid == o->main_pid);
			json_bool(&w, "by_job_limit", o->victims.list[i].by_job_limit);
			json_bool(&w, "by_inner_limit", o->victims.list[i].by_inner_limit);
			json_end_object(&w);
		}
		json_end_array(&w);
	} else {
		json_null(&w, "victims");	/* the kernel log was not readable */
	}
	json_string(&w, "victims_source", kernel_log_source_name(o->victims_source));
	json_string(&w, "victims_unknown_reason", o->victims_unknown);
	/* The enclosing cgroup whose limit the log names. */
	json_string(&w, "limit_cgroup", o->limit_cgroup);
	json_limit(&w, "limit_cgroup_memory_max_bytes", o->limit_cgroup_max.value,
		   o->limit_cgroup_max.known);
	/* The user's total from the policy was the limit hit. */
	json_bool(&w, "limit_user_total", o->oom_cause == OOM_CAUSE_USER_TOTAL);
	write_oomd(&w, o);
	json_end_object(&w);

	write_alloc_failures(&w, o);

	json_begin_object(&w, "peak");
	json_maybe_count(&w, "memory_bytes", o->peak_memory_bytes);
	json_bool(&w, "memory_sampled", o->peak_sampled);
	if (o->largest_rss_bytes > 0)
		json_uint(&w, "largest_process_rss_bytes", o->largest_rss_bytes);
	else
		json_null(&w, "largest_process_rss_bytes");
	json_end_object(&w);

	write_limits(&w, plan, o);

	json_begin_object(&w, "cgroup");
	if (outcome_had_cgroup(o))
		json_int(&w, "version", o->cgroup_version);
	else
		json_null(&w, "version");
	json_string(&w, "path", o->cgroup_dir);
	json_string(&w, "manager", o->cgroup_manager);
	json_string(&w, "manager_reason", o->cgroup_manager_why);
	json_string(&w, "unit", o->cgroup_unit);
	json_string(&w, "unit_result", o->cgroup_unit_result);
	json_string(&w, "error", o->cgroup_error);
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
