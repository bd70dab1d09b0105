/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "plan.h"

#include "mallocenv.h"
#include "meminfo.h"
#include "util.h"

void plan_init(struct plan *plan)
{
	*plan = (struct plan){ 0 };
	for (unsigned i = 0; i < SETTING_COUNT; i++)
		plan->values[i].origin.kind = ORIGIN_DEFAULT;
}

void plan_free(struct plan *plan)
{
	profile_set_free(&plan->profiles);
	free(plan->glibc_tunables_entry);
	free(plan->memory_budget_source);
	free(plan->environ);	/* a shallow copy: its other strings are the caller's */
	free(plan->policy_sections);
	for (unsigned i = 0; i < SETTING_COUNT; i++)
		free(plan->policy_asked[i]);
	free(plan->total.cgroup);
	free(plan->total.dir);
	free(plan->total.unit);
}

int plan_load_profiles(struct plan *plan, char **names, size_t count)
{
	_cleanup_free_ char *path = NULL;
	int r;

	for (size_t i = 0; i < count; i++) {
		r = profile_load(&plan->profiles, names[i], plan->values);
		if (r < 0)
			return r;
	}
	/* Site policy lives in a profile named 'default'; a missing one is fine. */
	if (count > 0)
		return 0;
	r = profile_find("default", NULL, &path);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;	/* told: a link out of an elevated memrun's directories */
	r = profile_load_file(&plan->profiles, "default", path, plan->values);
	if (r < 0)
		return r;
	plan->default_profile_loaded = true;
	return 0;
}

void plan_apply_flags(struct plan *plan, const struct setting_value flags[SETTING_COUNT])
{
	memcpy(plan->profile_values, plan->values, sizeof(plan->values));
	for (unsigned i = 0; i < SETTING_COUNT; i++)
		if (flags[i].set)
			plan->values[i] = flags[i];
}

static bool same_name(const char *a, const char *b)
{
	size_t n = strcspn(a, "=");
	return strncmp(a, b, n) == 0 && b[n] == '=';
}

void plan_build_environ(struct plan *plan, char *const extra[])
{
	char *entries[8];
	bool placed[8] = { false };
	size_t n_entries = 0, n = 0;
	char **env;

	if (plan->glibc_tunables_entry)
		entries[n_entries++] = plan->glibc_tunables_entry;
	for (size_t i = 0; extra && extra[i] && n_entries < ELEMENTSOF(entries); i++)
		entries[n_entries++] = extra[i];
	free(plan->environ);
	plan->environ = NULL;
	if (n_entries == 0)
		return;	/* the caller's environment, untouched */

	for (char **e = plan->environ_base; e && *e; e++)
		n++;
	env = xcalloc(n + n_entries + 1, sizeof(char *));
	n = 0;
	/* The caller's order; a name memrun sets is replaced where it stood. */
	for (char **e = plan->environ_base; e && *e; e++) {
		size_t i;
		for (i = 0; i < n_entries && !same_name(entries[i], *e); i++)
			;
		if (i == n_entries)
			env[n++] = *e;
		else if (!placed[i] && strchr(entries[i], '='))
			env[n++] = entries[i];	/* later duplicates of the name go */
		if (i < n_entries)
			placed[i] = true;
	}
	for (size_t i = 0; i < n_entries; i++)
		if (!placed[i] && strchr(entries[i], '='))	/* "NAME" alone: unset */
			env[n++] = entries[i];
	env[n] = NULL;
	plan->environ = env;
}

bool plan_needs_budget(const struct plan *plan)
{
	bool wants_budget = plan->dry_run;

	for (unsigned i = 0; i < SETTING_COUNT; i++)
		wants_budget |= setting_table[i].kind == VALUE_LIMIT && plan->values[i].set &&
				plan->values[i].size.kind == SIZE_PERCENT;
	return wants_budget;
}

int plan_resolve(struct plan *plan, char **caller_environ, uint64_t enclosing_limit,
		 const char *limit_dir, const char *limit_file)
{
	int r;

	/* /proc/meminfo only when a percentage needs it. */
	if (!plan_needs_budget(plan))
		goto budget_done;
	r = meminfo_read("MemTotal", &plan->memory_budget);
	if (r < 0) {
		log_error_errno(r, "cannot read MemTotal from /proc/meminfo");
		log_hint("memrun needs /proc mounted to resolve percentages");
		return r;
	}
	if (enclosing_limit < plan->memory_budget && limit_dir) {
		plan->memory_budget = enclosing_limit;
		plan->memory_budget_source = xasprintf("%s of %s", limit_file, limit_dir);
	} else {
		plan->memory_budget_source = xstrdup("MemTotal in /proc/meminfo");
	}
budget_done:

	for (unsigned i = 0; i < SETTING_COUNT; i++) {
		const struct setting_value *v = &plan->values[i];
		if (setting_table[i].kind == VALUE_LIMIT && v->set)
			plan->limit_bytes[i] = plan_value_bytes(plan, v);
	}

	/* The job's own variable, merged (as glibc's secure mode left it for
	 * an elevated memrun): getenv. */
	_cleanup_free_ char *tunables = mallocenv_merge(getenv("GLIBC_TUNABLES"), plan->values);
	if (tunables) {
		plan->glibc_tunables_entry = xasprintf("GLIBC_TUNABLES=%s", tunables);
		plan->glibc_tunables = plan->glibc_tunables_entry + strlen("GLIBC_TUNABLES=");
	}
	plan->environ_base = caller_environ;
	plan_build_environ(plan, NULL);
	return 0;
}

uint64_t plan_value_bytes(const struct plan *plan, const struct setting_value *v)
{
	switch (v->size.kind) {
	case SIZE_PERCENT:
		return size_percent_of(v->size.percent_milli, plan->memory_budget);
	case SIZE_BYTES:
		return v->size.bytes;
	case SIZE_UNLIMITED:
	default:
		return LIMIT_UNLIMITED;
	}
}

bool plan_has(const struct plan *plan, enum setting_id id)
{
	return plan->values[id].set;
}

const char *origin_describe(const struct origin *origin, char *buf, size_t size)
{
	switch (origin->kind) {
	case ORIGIN_FLAG:
		snprintf(buf, size, "flag %s", origin->flag);
		break;
	case ORIGIN_PROFILE:
		snprintf(buf, size, "profile %s at %s:%u", origin->profile, origin->file,
			 origin->line);
		break;
	case ORIGIN_POLICY:
		snprintf(buf, size, "policy %s at %s:%u", origin->flag, origin->file, origin->line);
		break;
	case ORIGIN_DEFAULT:
	default:
		snprintf(buf, size, "default");
		break;
	}
	return buf;
}
