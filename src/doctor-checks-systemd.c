/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memrun doctor: the checks of systemd, where it runs the host: the manager
 * that would make a job's cgroup and its bus, the memory controller of the
 * user's manager, the memory limits of the user's slice and of memrun's own
 * unit (and whether a job's scope would escape them), and systemd-oomd.
 * Where systemd does not run the host, cgroup_manager says so and the other
 * checks leave no line.
 */
#include "doctor-internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "size.h"
#include "util.h"

/* systemd-oomd's defaults (oomd.conf(5)). */
#define OOMD_SWAP_USED_LIMIT "90%"
#define OOMD_MEMORY_PRESSURE_LIMIT "60%"
#define OOMD_MEMORY_PRESSURE_DURATION "30s"

static const char *last_part(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* path is ancestor or below it; "" and "/" are the root, above all. */
static bool path_within(const char *path, const char *ancestor)
{
	size_t n = strlen(ancestor);

	if (streq(ancestor, "") || streq(ancestor, "/"))
		return true;
	return strncmp(path, ancestor, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Append to a malloc'ed list, sep between items. */
_printf_(3, 4) static void append(char **list, const char *sep, const char *fmt, ...)
{
	_cleanup_free_ char *item = NULL;
	va_list ap;
	char *longer;

	va_start(ap, fmt);
	if (vasprintf(&item, fmt, ap) < 0)
		item = NULL;
	va_end(ap);
	longer = xasprintf("%s%s%s", *list ? *list : "", *list ? sep : "", item ? item : "?");
	free(*list);
	*list = longer;
}

static const char *limit_file(const struct doctor_host *h)
{
	return h->place.manager ? h->place.manager->memory_max_file : "memory.max";
}

/* "memory.max" of a cgroup, as a source. */
static char *limits_source(const struct doctor_host *h, const struct doctor_cgroup_limits *l)
{
	return xasprintf("%s/%s", l->dir ? l->dir : l->path, limit_file(h));
}

/* " and MemoryHigh 1 GiB" when it is set. */
static char *high_words(const struct doctor_cgroup_limits *l)
{
	char buf[32];

	if (l->memory_high == LIMIT_UNLIMITED)
		return xstrdup("");
	return xasprintf(" and MemoryHigh %s", size_format(l->memory_high, buf));
}

/* ManagedOOMMemoryPressureLimit is a share of UINT32_MAX ("50%"). */
static void format_pressure_limit(uint32_t scaled, char buf[static 16])
{
	unsigned permyriad = (unsigned)(((uint64_t)scaled * 10000 + UINT32_MAX / 2) / UINT32_MAX);

	if (permyriad % 100 == 0)
		snprintf(buf, 16, "%u%%", permyriad / 100);
	else
		snprintf(buf, 16, "%u.%02u%%", permyriad / 100, permyriad % 100);
}

static void format_duration(uint64_t usec, char buf[static 32])
{
	if (usec % 1000000 == 0)
		snprintf(buf, 32, "%llus", (unsigned long long)(usec / 1000000));
	else
		snprintf(buf, 32, "%llums", (unsigned long long)(usec / 1000));
}

/* ---- the manager and its bus ------------------------------------------ */

struct doctor_finding check_cgroup_manager(const struct doctor_host *h,
					   const struct doctor_check *c)
{
	const struct doctor_systemd *s = &h->systemd;
	bool user = s->uid != 0;
	const struct doctor_bus *bus = user ? &s->user_bus : &s->system_bus;
	const char *bus_name = user ? "your user bus" : "the system bus";
	const char *whose = user ? "your systemd user manager" : "the systemd system manager";
	static const char consequence[] =
		"a job that asks for --memory-max, --memory-high or --swap-max stops memrun with "
		"exit 125 (--best-effort runs it without them; one that asks for none runs in no "
		"cgroup of its own)";
	_cleanup_free_ char *remedy = NULL;

	(void)c;
	if (s->manager != CGROUP_BY_SYSTEMD && !s->running)
		return finding(DOCTOR_NOTE, "/run/systemd/system", string_value("cgroupfs"),
			       "systemd does not run this host (no /run/systemd/system): memrun "
			       "makes a job's cgroup itself (cgroupfs), and nothing of systemd "
			       "applies");
	if (s->manager != CGROUP_BY_SYSTEMD)
		return finding(DOCTOR_OK, "/proc/self/cgroup", string_value("cgroupfs"),
			       "memrun makes a job's cgroup itself, inside its own (cgroupfs): %s",
			       s->manager_why);
	if (!s->running)
		return finding(DOCTOR_WARN, "/run/systemd/system", string_value("systemd"),
			       "a job's cgroup would be a systemd scope (%s), but systemd does not "
			       "run this host: %s; use --cgroup-manager=cgroupfs",
			       s->manager_why, consequence);
	if (s->libsystemd_why)
		return finding(DOCTOR_WARN, "libsystemd.so.0", string_value("systemd"),
			       "a job's cgroup is a transient scope that %s makes over D-Bus (%s), "
			       "but %s: %s",
			       whose, s->manager_why, s->libsystemd_why, consequence);
	if (bus->err < 0) {
		if (user)
			remedy = xasprintf(
				"memrun finds your user bus through DBUS_SESSION_BUS_ADDRESS or "
				"XDG_RUNTIME_DIR (/run/user/%u), which sudo and su do not set, and "
				"your user manager runs while you are logged in, or always after "
				"'loginctl enable-linger'",
				s->uid);
		else
			remedy = xstrdup("is dbus running?");
		return finding(DOCTOR_WARN, bus_name, string_value("systemd"),
			       "a job's cgroup is a transient scope that %s makes over D-Bus (%s), "
			       "but %s does not answer (%s): %s; %s",
			       whose, s->manager_why, bus_name, bus->why, consequence, remedy);
	}
	return finding(DOCTOR_OK, bus_name, string_value("systemd"),
		       "a job's cgroup is a transient scope that %s makes over D-Bus (%s); %s "
		       "answers (systemd %s)",
		       whose, s->manager_why, bus_name, bus->version ? bus->version : "?");
}

/* ---- the user's manager and slice --------------------------------------- */

struct doctor_finding check_user_memory_delegated(const struct doctor_host *h,
						  const struct doctor_check *c)
{
	const struct doctor_systemd *s = &h->systemd;
	const char *controllers = s->user_controllers;
	const char *consequence;
	char words[96];

	(void)c;
	if (!s->running || s->uid == 0)
		return no_finding();
	if (!controllers)
		return finding(DOCTOR_NOTE, s->user_controllers_file, no_value(),
			       "cannot tell whether the memory controller is delegated to your "
			       "systemd user manager: reading %s failed: %s (user@%u.service runs "
			       "while you are logged in, or always after 'loginctl enable-linger')",
			       s->user_controllers_file,
			       errno_words(-s->user_controllers_err, words), s->uid);
	if (list_contains(controllers, ' ', "memory"))
		return finding(DOCTOR_OK, s->user_controllers_file, string_value("yes"),
			       "the memory controller is delegated to your systemd user manager "
			       "(user@%u.service's cgroup.controllers: %s): scopes and services of "
			       "yours can have memory limits",
			       s->uid, controllers);
	if (s->manager == CGROUP_BY_SYSTEMD)
		consequence = "no memory limit can be put on a job's scope, so --memory-max, "
			      "--memory-high and --swap-max stop memrun with exit 125 "
			      "(--best-effort runs the job without them)";
	else
		consequence = "memrun makes its jobs' cgroups itself here, but a unit of your user "
			      "manager (systemd-run --user -p MemoryMax=...) gets no memory limit";
	return finding(s->manager == CGROUP_BY_SYSTEMD ? DOCTOR_WARN : DOCTOR_NOTE,
		       s->user_controllers_file, string_value("no"),
		       "the memory controller is not delegated to your systemd user manager "
		       "(user@%u.service's cgroup.controllers: %s): %s; as root, delegate it: "
		       "mkdir -p /etc/systemd/system/user@.service.d && printf "
		       "'[Service]\\nDelegate=pids memory cpu\\n' > "
		       "/etc/systemd/system/user@.service.d/delegate.conf && systemctl "
		       "daemon-reload, then log in again (or restart user@%u.service)",
		       s->uid, *controllers ? controllers : "empty", consequence, s->uid);
}

struct doctor_finding check_user_slice_memory_max(const struct doctor_host *h,
						  const struct doctor_check *c)
{
	const struct doctor_systemd *s = &h->systemd;
	const struct doctor_cgroup_limits *l = &s->user_slice;
	const char *own = h->place.own_path;
	_cleanup_free_ char *source = NULL, *high = NULL, *under = NULL;
	const char *name;
	char words[96], max[32];

	(void)c;
	if (!s->running || s->uid == 0)
		return no_finding();
	source = limits_source(h, l);
	name = last_part(l->path);
	if (s->user_slice_err < 0)
		return finding(DOCTOR_NOTE, source, no_value(),
			       "cannot tell the memory limit of your slice %s: opening %s failed: %s",
			       name, l->dir ? l->dir : l->path,
			       errno_words(-s->user_slice_err, words));
	if (l->memory_max == LIMIT_UNLIMITED && l->memory_high == LIMIT_UNLIMITED)
		return finding(DOCTOR_OK, source, limit_value(UINT64_MAX),
			       "no memory limit on your slice %s (MemoryMax and MemoryHigh are "
			       "infinity)",
			       name);
	/* A scope of the user's manager is in the slice; a cgroup memrun
	 * makes itself is inside memrun's own. */
	if (s->manager == CGROUP_BY_SYSTEMD || (own && path_within(own, l->path)))
		under = xstrdup("every job of yours is under it, with all your other processes");
	else
		under = xasprintf("memrun's jobs are not under it here: memrun runs in %s, outside it",
				  own ? own : "another cgroup");
	if (l->memory_max == LIMIT_UNLIMITED)
		return finding(DOCTOR_NOTE, source, limit_value(UINT64_MAX),
			       "your slice %s has MemoryHigh %s and no MemoryMax: %s, throttled and "
			       "reclaimed hard past it",
			       name, size_format(l->memory_high, max), under);
	high = high_words(l);
	return finding(DOCTOR_NOTE, source, bytes_value(l->memory_max),
		       "your slice %s has MemoryMax %s%s: %s, and when it is reached the OOM killer "
		       "kills inside the slice however much the machine has free",
		       name, size_format(l->memory_max, max), high, under);
}

/* ---- memrun's own unit --------------------------------------------------- */

/*
 * The first memory limit on memrun's cgroup or above it that a job's scope
 * would not be under (the rule cgroup-systemd.c enforces: a scope goes
 * where its manager puts it, not inside memrun's cgroup).
 */
static const struct doctor_cgroup_limits *escaped_limit(const struct doctor_systemd *s,
							const char **ret_file, uint64_t *ret)
{
	if (s->manager != CGROUP_BY_SYSTEMD || !s->scope_parent)
		return NULL;
	for (size_t i = 0; i < s->n_ancestors; i++) {
		const struct doctor_cgroup_limits *l = &s->ancestors[i];
		const struct {
			const char *file;
			uint64_t value;
		} limits[] = {
			{ "memory.max", l->memory_max },
			{ "memory.high", l->memory_high },
			{ "memory.swap.max", l->swap_max },
		};

		if (path_within(s->scope_parent, l->path))
			break;
		for (size_t j = 0; j < ELEMENTSOF(limits); j++) {
			if (limits[j].value == LIMIT_UNLIMITED)
				continue;
			*ret_file = limits[j].file;
			*ret = limits[j].value;
			return l;
		}
	}
	return NULL;
}

struct doctor_finding check_own_unit_memory_max(const struct doctor_host *h,
						const struct doctor_check *c)
{
	const struct doctor_systemd *s = &h->systemd;
	const struct doctor_cgroup_limits *unit, *escaped;
	_cleanup_free_ char *source = NULL, *high = NULL;
	const char *name, *file = NULL;
	char max[32], size[32];
	uint64_t value = 0;

	(void)c;
	if (!s->running)
		return no_finding();
	if (s->own_unit_at < 0)
		return finding(DOCTOR_OK, "/proc/self/cgroup", no_value(),
			       "memrun runs in no unit's cgroup (%s): no unit's memory limit applies "
			       "to it",
			       h->place.own_path ? h->place.own_path : "none found");
	unit = &s->ancestors[s->own_unit_at];
	name = last_part(unit->path);
	source = limits_source(h, unit);
	escaped = escaped_limit(s, &file, &value);
	if (escaped)
		return finding(DOCTOR_WARN, source, limit_value(unit->memory_max),
			       "memrun runs under %s = %s in %s, which a job's systemd scope (in %s) "
			       "would not be under: rather than let a job escape it, memrun stops "
			       "with exit 125 when a job asks for --memory-max, --memory-high or "
			       "--swap-max (one that asks for none runs in no cgroup of its own, "
			       "under that limit); give %s Delegate=yes (in its unit file, or "
			       "systemd-run -p Delegate=yes ...): then memrun makes the job's cgroup "
			       "inside its own",
			       file, size_format(value, size), escaped->path,
			       *s->scope_parent ? s->scope_parent : "/", name);
	if (unit->memory_max == LIMIT_UNLIMITED && unit->memory_high == LIMIT_UNLIMITED)
		return finding(DOCTOR_OK, source, limit_value(UINT64_MAX),
			       "memrun's unit %s has no memory limit (MemoryMax and MemoryHigh are "
			       "infinity)%s",
			       name,
			       s->manager == CGROUP_BY_SYSTEMD ?
				       ", and none above it would be left behind by a job's scope" :
				       "");
	high = high_words(unit);
	if (unit->memory_max == LIMIT_UNLIMITED)
		return finding(DOCTOR_NOTE, source, limit_value(UINT64_MAX),
			       "memrun's unit %s has MemoryHigh %s and no MemoryMax: its jobs run "
			       "inside it, throttled and reclaimed hard past it",
			       name, size_format(unit->memory_high, size));
	return finding(DOCTOR_NOTE, source, bytes_value(unit->memory_max),
		       "memrun's unit %s has MemoryMax %s%s: its jobs run inside it, under that "
		       "limit (percentages such as --memory-max 50%% are of it)",
		       name, size_format(unit->memory_max, max), high);
}

/* ---- systemd-oomd -------------------------------------------------------- */

/* oomd.conf's value, or oomd's own default where the file sets none. */
static void copy_or_default(char *buf, size_t size, const char *value, const char *builtin)
{
	snprintf(buf, size, "%s", value ? value : builtin);
}

static bool oomd_runs(const char *state)
{
	return streq(state, "active") || streq(state, "reloading");
}

struct doctor_finding check_systemd_oomd(const struct doctor_host *h, const struct doctor_check *c)
{
	const struct doctor_systemd *s = &h->systemd;
	const struct doctor_oomd_conf *conf = &s->oomd_conf;
	_cleanup_free_ char *source = NULL, *kills = NULL, *unknown = NULL, *units = NULL;
	const char *swap_limit = conf->swap_used_limit ? conf->swap_used_limit : OOMD_SWAP_USED_LIMIT;
	uint64_t swap_total = 0;
	bool no_swap;

	(void)c;
	if (!s->running)
		return no_finding();
	source = xasprintf("D-Bus: systemd-oomd.service and the units' ManagedOOM*%s%s",
			   s->oomd_conf_files ? "; " : "",
			   s->oomd_conf_files ? s->oomd_conf_files : "");
	no_swap = host_meminfo(h, "SwapTotal", &swap_total) == 0 && swap_total == 0;
	if (!s->oomd_state && s->oomd_socket)
		return finding(DOCTOR_NOTE, source, no_value(),
			       "systemd-oomd's socket is there (/run/systemd/oom/io.systemd.ManagedOOM), "
			       "but the system bus cannot say whether it runs nor what it watches "
			       "(%s): it may kill a job's whole cgroup under memory pressure or swap "
			       "use, and a job it kills dies of SIGKILL, as from kill -9, not of the "
			       "kernel's OOM killer",
			       s->system_bus.why ? s->system_bus.why :
			       s->libsystemd_why ? s->libsystemd_why : "no answer");
	if (!s->oomd_state)
		return finding(DOCTOR_OK, source, no_value(),
			       "systemd-oomd does not seem to run: its socket "
			       "/run/systemd/oom/io.systemd.ManagedOOM is not there");
	if (streq(s->oomd_state, "not-found"))
		return finding(DOCTOR_OK, source, string_value("not-found"),
			       "systemd-oomd is not installed: no userspace OOM killer acts on memory "
			       "pressure or swap use here");
	if (!oomd_runs(s->oomd_state))
		return finding(DOCTOR_OK, source, string_value(s->oomd_state),
			       "systemd-oomd does not run (systemd-oomd.service is %s): no userspace "
			       "OOM killer acts on memory pressure or swap use here",
			       s->oomd_state);

	for (size_t i = 0; i < s->n_units; i++) {
		const struct doctor_unit *u = &s->units[i];

		append(&units, ", ", "%s", u->name);
		if (u->err < 0) {
			append(&unknown, "; ", "%s (%s)", u->name, u->why ? u->why : "?");
			continue;
		}
		if (u->managed_oom_memory_pressure && streq(u->managed_oom_memory_pressure, "kill")) {
			char limit[16], duration[32];

			if (u->memory_pressure_limit)
				format_pressure_limit(u->memory_pressure_limit, limit);
			else
				copy_or_default(limit, sizeof(limit),
						conf->default_memory_pressure_limit,
						OOMD_MEMORY_PRESSURE_LIMIT);
			if (u->memory_pressure_duration_usec &&
			    u->memory_pressure_duration_usec != UINT64_MAX)
				format_duration(u->memory_pressure_duration_usec, duration);
			else
				copy_or_default(duration, sizeof(duration),
						conf->default_memory_pressure_duration,
						OOMD_MEMORY_PRESSURE_DURATION);
			append(&kills, "; ",
			       "ManagedOOMMemoryPressure=kill on %s: the cgroup below it that reclaims "
			       "most, when its memory pressure stays above %s for %s",
			       u->name, limit, duration);
		}
		if (u->managed_oom_swap && streq(u->managed_oom_swap, "kill"))
			append(&kills, "; ",
			       "ManagedOOMSwap=kill on %s: the cgroup below it that uses the most swap, "
			       "when swap use passes %s%s",
			       u->name, swap_limit,
			       no_swap ? " (this host has no swap, so it never does)" : "");
	}
	if (!kills && !unknown)
		return finding(DOCTOR_OK, source, string_value(s->oomd_state),
			       "systemd-oomd runs, but none of the units above memrun and its jobs "
			       "(%s) has ManagedOOMSwap=kill or ManagedOOMMemoryPressure=kill: it "
			       "leaves them alone",
			       units ? units : "none");
	if (!kills)
		return finding(DOCTOR_NOTE, source, string_value(s->oomd_state),
			       "systemd-oomd runs; none of the units doctor could ask has "
			       "ManagedOOMSwap=kill or ManagedOOMMemoryPressure=kill, but it cannot "
			       "tell for %s",
			       unknown);
	return finding(DOCTOR_NOTE, source, string_value(s->oomd_state),
		       "systemd-oomd runs and may kill a job's whole cgroup: %s%s%s; a job it kills "
		       "dies of SIGKILL, as from kill -9, not of the kernel's OOM killer "
		       "(systemd-oomd logs the kill in the journal)",
		       kills, unknown ? "; cannot tell for " : "", unknown ? unknown : "");
}
