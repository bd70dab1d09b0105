/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "rlimit.h"

#include <sys/resource.h>

#include "caps.h"
#include "util.h"

static const struct {
	enum setting_id setting;
	int resource;
	const char *name;
	const char *ulimit_flag;
} rlimit_table[] = {
	{ SETTING_AS, RLIMIT_AS, "RLIMIT_AS", "-v" },
	{ SETTING_DATA, RLIMIT_DATA, "RLIMIT_DATA", "-d" },
};

static rlim_t to_rlim(uint64_t bytes)
{
	return bytes == LIMIT_UNLIMITED ? RLIM_INFINITY : (rlim_t)bytes;
}

int rlimit_apply(const struct plan *plan, enum setting_id *ret_failed)
{
	for (size_t i = 0; i < ELEMENTSOF(rlimit_table); i++) {
		enum setting_id id = rlimit_table[i].setting;
		struct rlimit rl;

		if (!plan->values[id].set)
			continue;
		rl.rlim_cur = rl.rlim_max = to_rlim(plan->limit_bytes[id]);
		if (setrlimit(rlimit_table[i].resource, &rl) < 0) {
			*ret_failed = id;
			return -errno;
		}
	}
	return 0;
}

const char *rlimit_name(enum setting_id id)
{
	for (size_t i = 0; i < ELEMENTSOF(rlimit_table); i++)
		if (rlimit_table[i].setting == id)
			return rlimit_table[i].name;
	return NULL;
}

static const char *rlim_format(rlim_t v, char buf[static 32])
{
	if (v == RLIM_INFINITY) {
		snprintf(buf, 32, "unlimited");
		return buf;
	}
	return size_format((uint64_t)v, buf);
}

void rlimit_explain_failure(const struct plan *plan, enum setting_id id, int err)
{
	char want[32], hard[32], from[256];
	struct rlimit current;
	size_t i;

	for (i = 0; i < ELEMENTSOF(rlimit_table) && rlimit_table[i].setting != id; i++)
		;
	if (i == ELEMENTSOF(rlimit_table) || getrlimit(rlimit_table[i].resource, &current) < 0) {
		log_error_errno(err, "cannot set %s", setting_table[id].key);
		return;
	}
	rlim_format(to_rlim(plan->limit_bytes[id]), want);
	rlim_format(current.rlim_max, hard);
	origin_describe(&plan->values[id].origin, from, sizeof(from));

	if (err == -EPERM && !caps_have_sys_resource()) {
		log_error("cannot set %s to %s (from %s): the hard limit memrun inherited is %s, "
			  "and raising a hard limit %s",
			  rlimit_table[i].name, want, from, hard, caps_sys_resource_lacking());
		log_hint("use a value of at most %s, or raise the hard limit where memrun is "
			 "started (ulimit -H %s, limits.conf, systemd LimitAS=/LimitDATA=), or %s",
			 hard, rlimit_table[i].ulimit_flag,
			 caps_sys_resource_remedy(caps_standing()));
		return;
	}
	log_error_errno(err, "cannot set %s to %s (from %s)", rlimit_table[i].name, want, from);
}

uint64_t rlimit_in_force(const struct plan *plan, enum setting_id id)
{
	struct rlimit current;

	if (plan->values[id].set)
		return plan->limit_bytes[id];
	for (size_t i = 0; i < ELEMENTSOF(rlimit_table); i++)
		if (rlimit_table[i].setting == id &&
		    getrlimit(rlimit_table[i].resource, &current) == 0 &&
		    current.rlim_cur != RLIM_INFINITY)
			return (uint64_t)current.rlim_cur;
	return LIMIT_UNLIMITED;
}
