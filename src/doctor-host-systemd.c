/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memrun doctor: the snapshot of systemd, where it runs the host.  Which
 * manager a job's cgroup would get (cgroup_choose_manager) and whether the
 * bus memrun would use answers; the user's manager (the controllers it was
 * delegated) and slice (its memory limits); the memory limits of memrun's
 * cgroup and of those above it, and where a job's scope would go;
 * systemd-oomd, its settings and what the units above memrun and its jobs
 * ask of it.  Read only, over D-Bus and from cgroup and configuration
 * files: nothing is changed and no systemd tool runs.
 */
#include <dirent.h>
#include <fcntl.h>

#include "cgroupfs.h"
#include "doctor-internal.h"
#include "libsystemd.h"
#include "plan.h"
#include "util.h"

#define SYSTEMD_BUS_NAME "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define OOMD_UNIT "systemd-oomd.service"
#define OOMD_SOCKET "/run/systemd/oom/io.systemd.ManagedOOM"
#define OOMD_CONF "/etc/systemd/oomd.conf"

/* oomd.conf's drop-in directories (oomd.conf(5)); a name in an earlier
 * one hides the same name in a later one. */
static const char *const oomd_dropin_dirs[] = {
	"/etc/systemd/oomd.conf.d",	      "/run/systemd/oomd.conf.d",
	"/usr/local/lib/systemd/oomd.conf.d", "/usr/lib/systemd/oomd.conf.d",
	"/lib/systemd/oomd.conf.d",
};

/* The units whose cgroup is a directory, and the D-Bus interface of their
 * cgroup settings. */
static const struct {
	const char *suffix, *interface;
} unit_types[] = {
	{ ".slice", SYSTEMD_BUS_NAME ".Slice" },   { ".service", SYSTEMD_BUS_NAME ".Service" },
	{ ".scope", SYSTEMD_BUS_NAME ".Scope" },   { ".socket", SYSTEMD_BUS_NAME ".Socket" },
	{ ".mount", SYSTEMD_BUS_NAME ".Mount" },   { ".swap", SYSTEMD_BUS_NAME ".Swap" },
};

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && streq(s + n - m, suffix);
}

/* The interface of a unit's cgroup settings; NULL: not a unit's cgroup. */
static const char *unit_interface(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(unit_types); i++)
		if (ends_with(name, unit_types[i].suffix))
			return unit_types[i].interface;
	return NULL;
}

static const char *last_part(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* ---- D-Bus ----------------------------------------------------------- */

static char *bus_error_words(const sd_bus_error *error, int r)
{
	char words[96];

	return xstrdup(error->message ? error->message : errno_words(-r, words));
}

/* A connection to a manager that answered (its Version), or NULL. */
static sd_bus *connect_manager(struct doctor_bus *b, bool user)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus *bus = NULL;
	int r;

	b->tried = true;
	r = user ? sym_sd_bus_open_user(&bus) : sym_sd_bus_open_system(&bus);
	if (r >= 0)
		r = sym_sd_bus_get_property_string(bus, SYSTEMD_BUS_NAME, SYSTEMD_PATH,
						   SYSTEMD_BUS_NAME ".Manager", "Version", &error,
						   &b->version);
	if (r < 0) {
		b->err = r;
		b->why = bus_error_words(&error, r);
		if (bus)
			bus = sym_sd_bus_flush_close_unref(bus);
	}
	sym_sd_bus_error_free(&error);
	return bus;
}

static int unit_string(sd_bus *bus, const char *unit, const char *interface, const char *name,
		       char **ret, sd_bus_error *error)
{
	_cleanup_free_ char *path = NULL;
	int r = sym_sd_bus_path_encode(SYSTEMD_PATH "/unit", unit, &path);

	return r < 0 ? r : sym_sd_bus_get_property_string(bus, SYSTEMD_BUS_NAME, path, interface,
							  name, error, ret);
}

static int unit_trivial(sd_bus *bus, const char *unit, const char *interface, const char *name,
			char type, void *ret, sd_bus_error *error)
{
	_cleanup_free_ char *path = NULL;
	int r = sym_sd_bus_path_encode(SYSTEMD_PATH "/unit", unit, &path);

	return r < 0 ? r : sym_sd_bus_get_property_trivial(bus, SYSTEMD_BUS_NAME, path, interface,
							   name, error, type, ret);
}

/* What the unit asks of systemd-oomd. */
static void read_unit(struct doctor_unit *u, sd_bus *bus)
{
	const char *interface = unit_interface(u->name);
	sd_bus_error error = SD_BUS_ERROR_NULL;
	int r;

	r = unit_string(bus, u->name, interface, "ManagedOOMSwap", &u->managed_oom_swap, &error);
	if (r >= 0)
		r = unit_string(bus, u->name, interface, "ManagedOOMMemoryPressure",
				&u->managed_oom_memory_pressure, &error);
	if (r >= 0)
		r = unit_trivial(bus, u->name, interface, "ManagedOOMMemoryPressureLimit", 'u',
				 &u->memory_pressure_limit, &error);
	if (r < 0) {
		u->err = r;
		u->why = bus_error_words(&error, r);
	}
	sym_sd_bus_error_free(&error);
	/* A duration of the unit's own came with systemd 253. */
	if (r >= 0 && unit_trivial(bus, u->name, interface, "ManagedOOMMemoryPressureDurationUSec",
				   't', &u->memory_pressure_duration_usec, &error) < 0)
		u->memory_pressure_duration_usec = 0;
	sym_sd_bus_error_free(&error);
}

/* ---- the units above memrun and its jobs ----------------------------- */

struct buses {
	sd_bus *system, *user;
};

/* Once per name.  A unit below user@UID.service is that user's manager's:
 * asked over the user bus, when it is this user's. */
static void add_unit(struct doctor_systemd *s, const struct buses *buses, const char *name,
		     const char *user_manager)
{
	_cleanup_free_ char *mine = xasprintf("user@%u.service", s->uid);
	const struct doctor_bus *b = user_manager ? &s->user_bus : &s->system_bus;
	sd_bus *bus = user_manager ? buses->user : buses->system;
	struct doctor_unit *u;

	for (size_t i = 0; i < s->n_units; i++)
		if (streq(s->units[i].name, name))
			return;
	s->units = xrealloc(s->units, (s->n_units + 1) * sizeof(*s->units));
	u = &s->units[s->n_units++];
	*u = (struct doctor_unit){ .name = xstrdup(name) };
	if (user_manager && (s->uid == 0 || !streq(user_manager, mine))) {
		u->err = -EACCES;
		u->why = xasprintf("a unit of %s, which only its user may ask", user_manager);
	} else if (!bus) {
		u->err = b->tried ? b->err : -ENOTCONN;
		u->why = xstrdup(b->why ? b->why : s->libsystemd_why ? s->libsystemd_why :
								   "not connected");
	} else {
		read_unit(u, bus);
	}
}

/* The units a cgroup path passes through. */
static void add_units_of_path(struct doctor_systemd *s, const struct buses *buses,
			      const char *path)
{
	_cleanup_free_ char *copy = xstrdup(path);
	const char *user_manager = NULL;
	char *save = NULL;

	for (char *name = strtok_r(copy, "/", &save); name; name = strtok_r(NULL, "/", &save)) {
		if (!unit_interface(name))
			continue;
		add_unit(s, buses, name, user_manager);
		if (!user_manager && startswith(name, "user@") && ends_with(name, ".service"))
			user_manager = name;
	}
}

/* ---- cgroup files ---------------------------------------------------- */

static int read_limits(const struct cgroup_place *place, const char *path,
		       struct doctor_cgroup_limits *ret)
{
	const struct cgroup_manager *m = place->manager;
	_cleanup_close_ int fd = -1;
	uint64_t v;

	*ret = (struct doctor_cgroup_limits){ .path = xstrdup(path),
					      .memory_max = LIMIT_UNLIMITED,
					      .memory_high = LIMIT_UNLIMITED,
					      .swap_max = LIMIT_UNLIMITED };
	if (!m)
		return -ENOENT;
	ret->dir = cgroup_path_to_dir(place->mountpoint, place->mount_root, path);
	if (!ret->dir)
		return -ENOENT;
	fd = open(ret->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (cg_read_u64(fd, m->memory_max_file, &v) == 0)
		ret->memory_max = v;
	if (cg_read_u64(fd, m->memory_high_file, &v) == 0)
		ret->memory_high = v;
	if (cg_read_u64(fd, m->swap_max_file, &v) == 0)
		ret->swap_max = v;
	return 0;
}

/* memrun's cgroup and every one above it but the root, memrun's first. */
static void read_ancestors(struct doctor_systemd *s, const struct cgroup_place *place)
{
	_cleanup_free_ char *path = NULL;

	if (!place->own_path)
		return;
	path = xstrdup(place->own_path);
	while (*path && !streq(path, "/")) {
		char *slash;

		s->ancestors = xrealloc(s->ancestors, (s->n_ancestors + 1) * sizeof(*s->ancestors));
		read_limits(place, path, &s->ancestors[s->n_ancestors]);
		if (s->own_unit_at < 0 && unit_interface(last_part(path)))
			s->own_unit_at = (int)s->n_ancestors;
		s->n_ancestors++;
		slash = strrchr(path, '/');
		if (!slash)
			break;
		*slash = '\0';
	}
}

/* Where the job's scope would go, as cgroup-systemd.c decides it: the
 * user's manager's cgroup, else the --slice, else memrun's own slice. */
static char *scope_parent(const struct doctor_systemd *s, const struct cgroup_place *place,
			  const struct plan *plan)
{
	if (s->manager != CGROUP_BY_SYSTEMD || !place->own_path)
		return NULL;
	return cgroup_systemd_scope_parent(place->own_path, plan, s->uid != 0,
					   s->user_manager_cgroup);
}

static void read_user_manager(struct doctor_systemd *s, const struct cgroup_place *place,
			      sd_bus *user_bus)
{
	_cleanup_free_ char *dir = NULL, *slice = xasprintf("/user.slice/user-%u.slice", s->uid);
	sd_bus_error error = SD_BUS_ERROR_NULL;
	char *text;

	if (user_bus && sym_sd_bus_get_property_string(user_bus, SYSTEMD_BUS_NAME, SYSTEMD_PATH,
						       SYSTEMD_BUS_NAME ".Manager", "ControlGroup",
						       &error, &s->user_manager_cgroup) >= 0 &&
	    !*s->user_manager_cgroup) {
		free(s->user_manager_cgroup);
		s->user_manager_cgroup = NULL;
	}
	sym_sd_bus_error_free(&error);
	/* Where systemd puts it, when the bus cannot say. */
	if (!s->user_manager_cgroup)
		s->user_manager_cgroup = xasprintf("%s/user@%u.service", slice, s->uid);

	s->user_slice_err = read_limits(place, slice, &s->user_slice);

	dir = place->manager ? cgroup_path_to_dir(place->mountpoint, place->mount_root,
						  s->user_manager_cgroup) :
			       NULL;
	s->user_controllers_file = xasprintf("%s/cgroup.controllers",
					     dir ? dir : s->user_manager_cgroup);
	s->user_controllers_err = dir ? read_file_alloc(s->user_controllers_file, &text) : -ENOENT;
	if (s->user_controllers_err >= 0) {
		text[strcspn(text, "\n")] = '\0';
		s->user_controllers = text;
		s->user_controllers_err = 0;
	}
}

/* ---- systemd-oomd ---------------------------------------------------- */

static void read_oomd_state(struct doctor_systemd *s, sd_bus *system_bus)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_free_ char *load = NULL;
	const char *interface = SYSTEMD_BUS_NAME ".Unit";

	s->oomd_socket = access(OOMD_SOCKET, F_OK) == 0;
	if (!system_bus)
		return;
	if (unit_string(system_bus, OOMD_UNIT, interface, "LoadState", &load, &error) >= 0 &&
	    streq(load, "not-found"))
		s->oomd_state = xstrdup("not-found");
	sym_sd_bus_error_free(&error);
	if (!s->oomd_state &&
	    unit_string(system_bus, OOMD_UNIT, interface, "ActiveState", &s->oomd_state, &error) < 0)
		s->oomd_state = NULL;
	sym_sd_bus_error_free(&error);
}

static int compare_base_names(const void *a, const void *b)
{
	return strcmp(last_part(*(char *const *)a), last_part(*(char *const *)b));
}

static bool have_base_name(char **paths, const char *name)
{
	for (char **p = paths; p && *p; p++)
		if (streq(last_part(*p), name))
			return true;
	return false;
}

/* oomd.conf, then its drop-ins by name, as systemd-oomd reads them. */
static void read_oomd_conf(struct doctor_systemd *s)
{
	_cleanup_strv_free_ char **files = NULL;
	size_t n_main;

	if (access(OOMD_CONF, F_OK) == 0)
		strv_push(&files, xstrdup(OOMD_CONF));
	n_main = strv_length(files);
	for (size_t i = 0; i < ELEMENTSOF(oomd_dropin_dirs); i++) {
		DIR *dir = opendir(oomd_dropin_dirs[i]);
		struct dirent *de;

		if (!dir)
			continue;
		while ((de = readdir(dir)))
			if (ends_with(de->d_name, ".conf") &&
			    !have_base_name(files + n_main, de->d_name))
				strv_push(&files, xasprintf("%s/%s", oomd_dropin_dirs[i], de->d_name));
		closedir(dir);
	}
	if (strv_length(files) > n_main)
		qsort(files + n_main, strv_length(files) - n_main, sizeof(*files),
		      compare_base_names);
	for (char **f = files; f && *f; f++) {
		_cleanup_free_ char *text = NULL;
		char *list;

		if (read_file_alloc(*f, &text) < 0)
			continue;
		doctor_parse_oomd_conf(text, &s->oomd_conf);
		list = xasprintf("%s%s%s", s->oomd_conf_files ? s->oomd_conf_files : "",
				 s->oomd_conf_files ? ", " : "", *f);
		free(s->oomd_conf_files);
		s->oomd_conf_files = list;
	}
}

/* ---- the snapshot ---------------------------------------------------- */

void doctor_systemd_read(struct doctor_systemd *s, const struct cgroup_place *place,
			 const struct plan *plan)
{
	struct buses buses = { 0 };

	*s = (struct doctor_systemd){ .uid = (unsigned)geteuid(), .own_unit_at = -1 };
	s->manager = cgroup_choose_manager(place, plan, &s->manager_why);
	s->running = cgroup_systemd_running();
	if (!s->running)
		return;

	if (libsystemd_load(&s->libsystemd_why) >= 0) {
		buses.system = connect_manager(&s->system_bus, false);
		if (s->uid != 0)
			buses.user = connect_manager(&s->user_bus, true);
	}
	if (s->uid != 0)
		read_user_manager(s, place, buses.user);
	read_ancestors(s, place);
	s->scope_parent = scope_parent(s, place, plan);

	read_oomd_state(s, buses.system);
	read_oomd_conf(s);
	add_unit(s, &buses, "-.slice", NULL);
	if (s->uid != 0)
		add_units_of_path(s, &buses, s->user_manager_cgroup);
	if (place->own_path)
		add_units_of_path(s, &buses, place->own_path);

	if (buses.system)
		sym_sd_bus_flush_close_unref(buses.system);
	if (buses.user)
		sym_sd_bus_flush_close_unref(buses.user);
}

static void cgroup_limits_free(struct doctor_cgroup_limits *l)
{
	free(l->path);
	free(l->dir);
}

void doctor_systemd_free(struct doctor_systemd *s)
{
	free(s->manager_why);
	free(s->libsystemd_why);
	free(s->system_bus.why);
	free(s->system_bus.version);
	free(s->user_bus.why);
	free(s->user_bus.version);
	free(s->user_manager_cgroup);
	free(s->user_controllers_file);
	free(s->user_controllers);
	cgroup_limits_free(&s->user_slice);
	for (size_t i = 0; i < s->n_ancestors; i++)
		cgroup_limits_free(&s->ancestors[i]);
	free(s->ancestors);
	free(s->scope_parent);
	free(s->oomd_state);
	doctor_oomd_conf_free(&s->oomd_conf);
	free(s->oomd_conf_files);
	for (size_t i = 0; i < s->n_units; i++) {
		free(s->units[i].name);
		free(s->units[i].why);
		free(s->units[i].managed_oom_swap);
		free(s->units[i].managed_oom_memory_pressure);
	}
	free(s->units);
	*s = (struct doctor_systemd){ 0 };
}
