#!/usr/bin/env bash
# The kernel log from the journal, for real: for a plain user Debian's
# kernel.dmesg_restrict=1 closes /dev/kmsg, and the system journal (group
# systemd-journal) names the victim of an OOM kill instead; without the
# group neither log is readable, the victims are null and the report says
# why, while the outcome still comes from the cgroup's counters.  memrun
# runs in a delegated scope of the user's own manager.
source "$(dirname "$0")/lib.sh"

JOURNAL_GID=$(getent group systemd-journal | cut -d: -f3)

# as_user_with_groups GIDS CMD...: CMD as the test user with only the
# supplementary groups GIDS (comma-separated; "" for none), with its
# runtime directory and user bus.
as_user_with_groups() {
	local groups=(--clear-groups)
	[ -n "$1" ] && groups=(--groups="$1")
	shift
	setpriv --reuid="$TEST_UID" --regid="$TEST_GID" "${groups[@]}" \
		env HOME="$TEST_USER_HOME" USER="$TEST_USER" LOGNAME="$TEST_USER" \
		XDG_RUNTIME_DIR="$TEST_USER_RUNTIME_DIR" \
		DBUS_SESSION_BUS_ADDRESS="unix:path=$TEST_USER_RUNTIME_DIR/bus" "$@"
}

# run_in_user_scope GIDS MEMRUN-ARGS...
run_in_user_scope() {
	local groups=$1
	shift
	{ as_user_with_groups "$groups" systemd-run --user --quiet --scope -p Delegate=yes -- \
		"$MEMRUN" "$@" >"$out" 2>"$err" </dev/null; } 2>/dev/null
	status=$?
}

# The machine is as the test needs it: else the assertions below would
# test something else.
needs_closed_kmsg_and_journal_group() {
	[ -n "$JOURNAL_GID" ] || { fail "there is no group systemd-journal"; return 1; }
	if as_user_with_groups "$JOURNAL_GID" head -c 0 /dev/kmsg 2>/dev/null; then
		fail "the test user may read /dev/kmsg (kernel.dmesg_restrict=$(cat /proc/sys/kernel/dmesg_restrict))"
		return 1
	fi
	if ! as_user_with_groups "$JOURNAL_GID" journalctl -q -k -n 1 --no-pager >/dev/null 2>&1; then
		fail "the group systemd-journal does not open the journal's kernel messages: $(ls -ln /run/log/journal/*/ 2>&1 | head -5)"
		return 1
	fi
}

test_journal_names_the_victim_where_kmsg_is_closed() {
	needs_closed_kmsg_and_journal_group || return
	run_in_user_scope "$JOURNAL_GID" --memory-max 64M --report "$USER_WORK/r.json" -- \
		"$HELPERS/hog" 200
	expect_status 137
	expect_json "r['outcome'] == 'oom-killed' and r['oom']['kills'] == 1" "$USER_WORK/r.json"
	expect_json "[(v['comm'], v['main'], v['by_job_limit']) for v in r['oom']['victims']] == [('hog', True, True)]" "$USER_WORK/r.json"
	expect_json "r['oom']['victims_source'] == 'journal' and r['oom']['victims_unknown_reason'] is None" "$USER_WORK/r.json"

	run_in_user_scope "$JOURNAL_GID" --dry-run -- true
	expect_status 0
	expect_out '(oom.victims_source "journal")'
	{ as_user_with_groups "$JOURNAL_GID" "$MEMRUN" doctor >"$out" 2>"$err" </dev/null; } 2>/dev/null
	expect_out "memrun reads the kernel's messages in the system journal instead"
}

test_neither_log_without_the_journal_group() {
	needs_closed_kmsg_and_journal_group || return
	run_in_user_scope "" --memory-max 64M --report "$USER_WORK/r.json" -- "$HELPERS/hog" 200
	expect_status 137
	# The counters alone: the kill, and that it was the main process's.
	expect_json "r['outcome'] == 'oom-killed' and r['oom']['kills'] == 1 and r['main_oom_killed'] is True" "$USER_WORK/r.json"
	expect_json "r['oom']['victims'] is None and r['oom']['victims_source'] is None" "$USER_WORK/r.json"
	expect_json "'systemd-journal and adm' in r['oom']['victims_unknown_reason']" "$USER_WORK/r.json"

	run_in_user_scope "" --dry-run -- true
	expect_status 0
	expect_out "add the user to group systemd-journal or adm"
	{ as_user_with_groups "" "$MEMRUN" doctor >"$out" 2>"$err" </dev/null; } 2>/dev/null
	expect_out "the system journal is not readable either (only members of the groups systemd-journal and adm may read it)"
}

run_tests
