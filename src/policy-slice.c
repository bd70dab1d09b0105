/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "policy-slice.h"


#include "libsystemd.h"
#include "policy-total.h"
#include "util.h"

/* A busy or emulated machine is slow; systemctl waits 25 s. */
#define CALL_TIMEOUT_USEC (25ULL * 1000000)

#define SYSTEMD_DEST "org.freedesktop.systemd1"
#define SYSTEMD_PATH "/org/freedesktop/systemd1"
#define MANAGER_IFACE "org.freedesktop.systemd1.Manager"

static char *bus_error_text(const sd_bus_error *error, int r)
{
	if (error && error->message)
		return xstrdup(error->message);
	return xstrdup(strerror(-r));
}

int slice_bus_open(sd_bus **ret, char **ret_why)
{
	sd_bus *bus = NULL;
	int r = libsystemd_load(ret_why);

	if (r < 0)
		return r;
	r = sym_sd_bus_open_system(&bus);
	if (r >= 0)
		r = sym_sd_bus_set_method_call_timeout(bus, CALL_TIMEOUT_USEC);
	if (r < 0) {
		if (bus)
			sym_sd_bus_flush_close_unref(bus);
		*ret_why = xasprintf("cannot reach systemd over the system bus: %s (is dbus running?)",
				     strerror(-r));
		return r;
	}
	*ret = bus;
	return 0;
}

void slice_bus_close(sd_bus *bus)
{
	if (bus)
		sym_sd_bus_flush_close_unref(bus);
}

int slice_memory_max(sd_bus *bus, const char *unit, uint64_t *ret, char **ret_why)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	const char *path;
	int r;

	/* Loaded, with its drop-ins, whether anything runs in it or not. */
	r = sym_sd_bus_call_method(bus, SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE, "LoadUnit",
				   &error, &reply, "s", unit);
	if (r >= 0)
		r = sym_sd_bus_message_read(reply, "o", &path);
	if (r >= 0)
		r = sym_sd_bus_get_property_trivial(bus, SYSTEMD_DEST, path,
						    "org.freedesktop.systemd1.Slice", "MemoryMax",
						    &error, 't', ret);
	if (r < 0) {
		_cleanup_free_ char *text = bus_error_text(&error, r);

		*ret_why = xasprintf("cannot ask systemd for the MemoryMax of %s: %s", unit, text);
	}
	sym_sd_bus_message_unref(reply);
	sym_sd_bus_error_free(&error);
	return r;
}

int slice_set_memory_max(sd_bus *bus, const char *unit, uint64_t bytes, char **ret_why)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *m = NULL, *reply = NULL;
	int r;

	r = sym_sd_bus_message_new_method_call(bus, &m, SYSTEMD_DEST, SYSTEMD_PATH, MANAGER_IFACE,
					       "SetUnitProperties");
	/* runtime = false: systemd writes the drop-in, which outlives a boot. */
	if (r >= 0)
		r = sym_sd_bus_message_append(m, "sb", unit, 0);
	if (r >= 0)
		r = sym_sd_bus_message_open_container(m, 'a', "(sv)");
	if (r >= 0)
		r = sym_sd_bus_message_append(m, "(sv)", "MemoryMax", "t", bytes);
	if (r >= 0)
		r = sym_sd_bus_message_close_container(m);
	if (r >= 0)
		r = sym_sd_bus_call(bus, m, CALL_TIMEOUT_USEC, &error, &reply);
	if (r < 0) {
		_cleanup_free_ char *text = bus_error_text(&error, r);

		*ret_why = xasprintf("systemd did not set the MemoryMax of %s: %s", unit, text);
	}
	sym_sd_bus_message_unref(reply);
	sym_sd_bus_message_unref(m);
	sym_sd_bus_error_free(&error);
	return r;
}

char *slice_dropin_path(uid_t uid)
{
	return xasprintf(SYSTEMD_CONTROL_DIR "/user-%u.slice.d/50-MemoryMax.conf", (unsigned)uid);
}

/* memrun's drop-in is in the user's slice directory. */
static bool has_memrun_dropin(uid_t uid)
{
	_cleanup_free_ char *dropin = slice_dropin_path(uid);

	return access(dropin, F_OK) == 0;
}

int slice_dropin_uids(uid_t **ret, size_t *ret_count)
{
	return total_uids_in_dir(SYSTEMD_CONTROL_DIR, ".slice.d", false, has_memrun_dropin, ret,
				 ret_count);
}
