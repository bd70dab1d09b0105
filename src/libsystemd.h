/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libsystemd (sd-bus, sd-journal), loaded only when a job needs it, as
 * systemd's own tools load their optional libraries: memrun loads libc
 * and libcap alone (libseccomp is linked in), so a job that asks for no
 * cgroup, or a host without systemd, never pays for resolving libsystemd
 * and what it pulls in.
 *
 * Call libsystemd_load() once before any sym_* pointer; it fails (with a
 * reason) where the library is missing or memrun was linked statically.
 * A new function is one more line in LIBSYSTEMD_SYMBOLS.
 */
#pragma once

#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

#define LIBSYSTEMD_SYMBOLS(X)				\
	X(sd_bus_open_system)				\
	X(sd_bus_open_user)				\
	X(sd_bus_new)					\
	X(sd_bus_set_address)				\
	X(sd_bus_start)					\
	X(sd_bus_get_fd)				\
	X(sd_bus_flush_close_unref)			\
	X(sd_bus_close_unref)				\
	X(sd_bus_set_method_call_timeout)		\
	X(sd_bus_call_method)				\
	X(sd_bus_call)					\
	X(sd_bus_call_async)				\
	X(sd_bus_get_events)				\
	X(sd_bus_get_timeout)				\
	X(sd_bus_get_property)				\
	X(sd_bus_get_property_string)			\
	X(sd_bus_get_property_trivial)			\
	X(sd_bus_message_new_method_call)		\
	X(sd_bus_message_append)			\
	X(sd_bus_message_open_container)		\
	X(sd_bus_message_close_container)		\
	X(sd_bus_message_read)				\
	X(sd_bus_message_get_error)			\
	X(sd_bus_message_get_errno)			\
	X(sd_bus_message_enter_container)		\
	X(sd_bus_message_exit_container)		\
	X(sd_bus_message_unref)				\
	X(sd_bus_match_signal)				\
	X(sd_bus_slot_unref)				\
	X(sd_bus_process)				\
	X(sd_bus_wait)					\
	X(sd_bus_error_free)				\
	X(sd_bus_error_copy)				\
	X(sd_bus_error_has_name)			\
	X(sd_bus_path_encode)				\
	X(sd_journal_open)				\
	X(sd_journal_close)				\
	X(sd_journal_add_match)				\
	X(sd_journal_seek_realtime_usec)		\
	X(sd_journal_seek_tail)				\
	X(sd_journal_next)				\
	X(sd_journal_previous)				\
	X(sd_journal_get_data)				\
	X(sd_journal_get_realtime_usec)			\
	X(sd_journal_wait)				\
	X(sd_journal_has_runtime_files)			\
	X(sd_journal_has_persistent_files)

#define LIBSYSTEMD_DECLARE(name) extern typeof(name) *sym_##name;
LIBSYSTEMD_SYMBOLS(LIBSYSTEMD_DECLARE)
#undef LIBSYSTEMD_DECLARE

/* 0 once every sym_* is set; else -errno and, in *ret_why (may be NULL),
 * why, malloc'ed.  Later calls return the first call's result. */
int libsystemd_load(char **ret_why);
