/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "policy-enforce.h"

#include <sys/resource.h>

#include "size.h"
#include "util.h"

/* "1 GiB" or "max" for a cap or a limit in bytes. */
static const char *bytes_text(uint64_t bytes, char buf[static 32])
{
	if (bytes == UINT64_MAX)
		return "max";
	return size_format(bytes, buf);
}

/* What the setting's value is worth: bytes, or the oom_score_adj as is. */
static long double worth(const struct plan *plan, enum setting_id id, const struct setting_value *v)
{
	if (id == SETTING_OOM_SCORE_ADJ)
		return (long double)v->number;
	if (!v->set)
		return (long double)LIMIT_UNLIMITED;
	return (long double)plan_value_bytes(plan, v);
}

static const char *value_text(const struct plan *plan, enum setting_id id,
			      const struct setting_value *v, char buf[static 32])
{
	if (id == SETTING_OOM_SCORE_ADJ) {
		snprintf(buf, 32, "%lld", v->number);
		return buf;
	}
	return bytes_text(plan_value_bytes(plan, v), buf);
}

/* Where the value came from, for a message: "flag --memory-max". */
static const char *asked_by(const struct setting_value *v, char *buf, size_t size)
{
	if (v->origin.kind == ORIGIN_PROFILE)
		snprintf(buf, size, "profile %s (%s:%u)", v->origin.profile, v->origin.file,
			 v->origin.line);
	else
		origin_describe(&v->origin, buf, size);
	return buf;
}

static void refuse(const struct policy_binding *binding, enum policy_key k,
		   const struct plan *plan, enum setting_id id, const char *cap_text)
{
	const struct policy_value *cap = &binding->values[k];
	char section[128], by[512], asked[32];
	bool floor = k == POLICY_MIN_OOM_SCORE_ADJ;

	log_error("%s %s (%s) is %s than the administrator's policy allows you: "
		  "%s = %s in %s at %s:%u", setting_table[id].key,
		  value_text(plan, id, &plan->values[id], asked),
		  asked_by(&plan->values[id], by, sizeof(by)), floor ? "lower" : "more",
		  policy_keys[k].key, cap_text,
		  policy_section_describe(binding->from[k], section, sizeof(section)),
		  binding->path, cap->line);
	log_hint("ask for %s %s, or ask the administrator: a system profile that "
		 "allowed_profiles lists may go further", floor ? "at least" : "at most", cap_text);
}

/* The value the policy puts in force: the cap, said to come from it. */
static void set_to_cap(const struct policy_binding *binding, enum policy_key k, struct plan *plan,
		       enum setting_id id)
{
	const struct policy_value *cap = &binding->values[k];
	struct setting_value *v = &plan->values[id];

	*v = (struct setting_value){
		.set = true,
		.origin = { .kind = ORIGIN_POLICY, .flag = policy_keys[k].key,
			    .file = binding->path, .line = cap->line },
	};
	if (id == SETTING_OOM_SCORE_ADJ) {
		v->number = cap->number;
	} else {
		v->size = (struct size_spec){ .kind = SIZE_BYTES, .bytes = cap->bytes };
		plan->limit_bytes[id] = cap->bytes;
	}
}

/* The hard rlimit memrun (and so the job) runs under is within bytes. */
static bool inherited_within(enum setting_id id, uint64_t bytes)
{
	struct rlimit now;
	int resource = id == SETTING_AS ? RLIMIT_AS : id == SETTING_DATA ? RLIMIT_DATA : -1;

	return resource >= 0 && getrlimit(resource, &now) == 0 && now.rlim_max != RLIM_INFINITY &&
	       (uint64_t)now.rlim_max <= bytes;
}

static int enforce_one(const struct policy_binding *binding, enum policy_key k,
		       struct plan *plan)
{
	const struct policy_value *cap = &binding->values[k];
	enum setting_id id = policy_keys[k].setting;
	const struct setting_value *v = &plan->values[id];
	const struct setting_value *from_profile = &plan->profile_values[id];
	bool floor = k == POLICY_MIN_OOM_SCORE_ADJ;
	long double limit, want;
	char cap_text[32], asked[32], by[512];

	if (!cap->set)
		return 0;
	if (floor)
		snprintf(cap_text, sizeof(cap_text), "%lld", cap->number);
	else
		bytes_text(cap->bytes, cap_text);
	/* A floor binds only what is asked: an unset oom_score_adj is
	 * the caller's own, which the caller could set anyway. */
	if (floor && !v->set)
		return 0;
	if (v->set && policy_allows_origin(binding, &v->origin))
		return 0;

	/* The cap, or an allowed system profile's value where it went further. */
	limit = floor ? (long double)cap->number : (long double)cap->bytes;
	if (from_profile->set && policy_allows_origin(binding, &from_profile->origin)) {
		long double p = worth(plan, id, from_profile);
		limit = floor ? (p < limit ? p : limit) : (p > limit ? p : limit);
	}
	want = worth(plan, id, v);
	if (floor ? want >= limit : want <= limit)
		return 0;

	if (!v->set) {
		/* Nobody asked: the cap is the limit, unless the rlimit the
		 * job inherits is tighter already (and raising it to the cap
		 * would need privilege the caller lacks). */
		if (inherited_within(id, cap->bytes))
			return 0;
		set_to_cap(binding, k, plan, id);
		return 0;
	}
	if (!binding->values[POLICY_CLAMP].set || !binding->values[POLICY_CLAMP].number) {
		refuse(binding, k, plan, id, cap_text);
		return -EPERM;
	}
	free(plan->policy_asked[id]);
	plan->policy_asked[id] = xasprintf("%s, %s", value_text(plan, id, v, asked),
					   asked_by(v, by, sizeof(by)));
	log_warning("%s lowered to the policy's %s = %s (%s:%u): %s asked for %s",
		    setting_table[id].key, policy_keys[k].key, cap_text, binding->path, cap->line,
		    asked_by(v, by, sizeof(by)), value_text(plan, id, v, asked));
	set_to_cap(binding, k, plan, id);
	return 0;
}

static char *describe_sections(const struct policy_binding *binding)
{
	const struct policy_section *seen[POLICY_KEY_COUNT];
	size_t n = 0;
	char *text = NULL;

	for (unsigned k = 0; k < POLICY_KEY_COUNT; k++) {
		const struct policy_section *s = binding->from[k];
		bool again = false;
		char name[128];

		for (size_t i = 0; i < n; i++)
			again |= seen[i] == s;
		if (!s || again)
			continue;
		seen[n++] = s;
		char *next = xasprintf("%s%s%s line %u", text ? text : "", text ? ", " : "",
				       policy_section_describe(s, name, sizeof(name)), s->line);
		free(text);
		text = next;
	}
	return text ? text : xstrdup("no section names you");
}

/* A cgroup cap must be in force: --best-effort, which runs a job
 * without its cgroup limits, would be a way past it.  Set off by the
 * policy even when nobody asked, so that no message offers it. */
static void no_best_effort_past(const struct policy_binding *binding, struct plan *plan)
{
	static const enum policy_key cgroup_caps[] = {
		POLICY_MAX_MEMORY_MAX, POLICY_MAX_MEMORY_HIGH, POLICY_MAX_SWAP_MAX,
	};
	struct setting_value *v = &plan->values[SETTING_BEST_EFFORT];
	char from[512];

	for (size_t i = 0; i < ELEMENTSOF(cgroup_caps); i++) {
		const struct policy_value *cap = &binding->values[cgroup_caps[i]];
		if (!cap->set || cap->bytes == UINT64_MAX)
			continue;
		if (setting_enabled(plan->values, SETTING_BEST_EFFORT))
			log_warning("best_effort (%s) is off: the policy's %s (%s:%u) must be in force",
				    origin_describe(&v->origin, from, sizeof(from)),
				    policy_keys[cgroup_caps[i]].key, binding->path, cap->line);
		*v = (struct setting_value){
			.set = true, .number = 0,
			.origin = { .kind = ORIGIN_POLICY, .flag = policy_keys[cgroup_caps[i]].key,
				    .file = binding->path, .line = cap->line },
		};
		return;
	}
}

int policy_enforce(const struct policy_binding *binding, struct plan *plan)
{
	int r = 0;

	if (!binding->path)
		return 0;
	plan->policy_file = binding->path;
	free(plan->policy_sections);
	plan->policy_sections = describe_sections(binding);
	/* Every refusal is told, not only the first. */
	for (unsigned k = 0; k < POLICY_KEY_COUNT; k++)
		if (policy_keys[k].setting != SETTING_COUNT && enforce_one(binding, k, plan) < 0)
			r = -EPERM;
	no_best_effort_past(binding, plan);
	return r;
}
