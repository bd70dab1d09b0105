#!/usr/bin/env bash
# OOM kills that are not the job's own limit, for real, in the VM's systemd
# boot (no swap, psi=1, systemd-oomd running): systemd-oomd killing the
# job for memory pressure in a slice with ManagedOOMMemoryPressure=kill,
# in the systemd manager's scope and in a delegated unit where memrun makes
# the job's cgroup itself, named as such with the rule that fired; and the
# kernel's OOM killer at the MemoryMax an admin set on a user's slice,
# named as that slice's limit.
source "$(dirname "$0")/lib.sh"

HOG=$HELPERS/hog
SLICE=memrun-oomd-test.slice
OOMD_DROPIN=/run/systemd/oomd.conf.d/memrun-test.conf
JOURNAL_GID=$(getent group systemd-journal | cut -d: -f3)

# What oomd saw and did, when a test failed.
show_oomd() {
	echo "#   systemd-oomd's log:"
	journalctl -q -b -u systemd-oomd --no-pager -o cat 2>&1 | tail -15 | sed 's/^/#     /'
	echo "#   oomctl:"
	oomctl 2>&1 | head -40 | sed 's/^/#     /'
}

# oomd acts within seconds: after 1 s over the limit (the least it takes)
# of memory pressure in the test slice, whose limit is 10%.  A job
# throttled hard by memory.high stalls on memory: that is the pressure.
oomd_setup() {
	mkdir -p "${OOMD_DROPIN%/*}"
	printf '[OOM]\nDefaultMemoryPressureDurationSec=1s\n' >"$OOMD_DROPIN"
	printf '[Slice]\nManagedOOMMemoryPressure=kill\nManagedOOMMemoryPressureLimit=10%%\n' \
		>"/run/systemd/system/$SLICE"
	systemctl daemon-reload
	# Active before oomd starts: PID 1 hands it the slice to watch.
	systemctl start "$SLICE"
	systemctl restart systemd-oomd
	for _ in $(seq 50); do
		oomctl 2>/dev/null | grep -qF "/$SLICE" && return 0
		sleep 0.2
	done
	fail "systemd-oomd does not watch $SLICE"
	show_oomd
	return 1
}

oomd_cleanup() {
	rm -f "$OOMD_DROPIN" "/run/systemd/system/$SLICE"
	systemctl stop "$SLICE" 2>/dev/null
	systemctl daemon-reload
	systemctl restart systemd-oomd
}

# The report $1 says systemd-oomd killed the whole job by the test
# slice's pressure rule.
check_killed_by_oomd() {
	expect_json 'r["outcome"] == "oom-killed"' "$1"
	expect_json 'r["main_oom_killed"] is True' "$1"
	expect_json 'r["oom"]["killer"] == "other" and r["oom"]["killed_by"] == "systemd-oomd"' "$1"
	expect_json 'r["oom"]["oomd"]["kills"] >= 1 and r["oom"]["kills"] >= r["oom"]["oomd"]["kills"]' "$1"
	expect_json 'r["oom"]["oomd"]["rule"] == "memory-pressure"' "$1"
	expect_json 'r["oom"]["oomd"]["monitored_cgroup"].endswith("/'"$SLICE"'")' "$1"
	expect_json 'r["oom"]["oomd"]["pressure_limit_percent"] == 10' "$1"
	expect_json 'r["oom"]["oomd"]["pressure_percent"] > 10' "$1"
	expect_json 'r["oom"]["oomd"]["pressure_duration_s"] == 1' "$1"
	expect_json 'r["oom"]["oomd"]["record_source"] == "journal"' "$1"
	expect_err "was killed by systemd-oomd: memory pressure on $SLICE was "
	expect_err "% > 10.00% for more than 1s"
}

test_oomd_kill_in_the_systemd_scope() {
	oomd_setup || { oomd_cleanup; return; }
	run_memrun_timed --slice "$SLICE" --memory-high 40M --report "$report" -- "$HOG" 200
	expect_status 137
	check_killed_by_oomd "$report"
	expect_json 'r["cgroup"]["manager"] == "systemd"'
	# oomd killed the job's leaf in the scope (or the scope).
	expect_json 'r["cgroup"]["unit"] in r["oom"]["oomd"]["cgroup"]'
	expect_json 'r["cgroup"]["unit_result"] in ("success", "oom-kill")'
	[ "$_failed" = 0 ] || show_oomd
	expect no_scope_left no_scope_left
	oomd_cleanup
}

# memrun in a delegated scope of the test slice makes the job's cgroup
# itself: oomd picks it among the scope's leaves.
test_oomd_kill_of_a_cgroup_memrun_made() {
	oomd_setup || { oomd_cleanup; return; }
	{ timeout 300 systemd-run --quiet --scope --slice="$SLICE" -p Delegate=yes -- \
		"$MEMRUN" --memory-high 40M --report "$report" -- "$HOG" 200 \
		>"$out" 2>"$err" </dev/null; } 2>/dev/null
	status=$?
	expect_status 137
	check_killed_by_oomd "$report"
	expect_json 'r["cgroup"]["manager"] == "cgroupfs"'
	expect_json 'r["oom"]["oomd"]["cgroup"].endswith(r["cgroup"]["path"].rsplit("/", 1)[1])'
	[ "$_failed" = 0 ] || show_oomd
	oomd_cleanup
}

# The user's own manager, under the rule systemd-oomd's drop-in gives every
# user@.service (memory pressure over 50%): the kill is named without the
# journal too, its rule not.
test_oomd_kill_in_a_user_scope_without_the_journal() {
	local r=$USER_WORK/oomd.json
	oomd_setup || { oomd_cleanup; return; }
	{ as_user timeout 300 "$MEMRUN" --memory-high 40M --report "$r" -- "$HOG" 200 \
		>"$out" 2>"$err" </dev/null; } 2>/dev/null
	status=$?
	expect_status 137
	expect_json 'r["outcome"] == "oom-killed" and r["main_oom_killed"] is True' "$r"
	expect_json 'r["oom"]["killer"] == "other" and r["oom"]["killed_by"] == "systemd-oomd"' "$r"
	expect_json 'r["oom"]["oomd"]["kills"] >= 1 and r["oom"]["oomd"]["rule"] is None' "$r"
	expect_json '"systemd-journal" in r["oom"]["oomd"]["record_unknown_reason"]' "$r"
	expect_err "was killed by systemd-oomd: its rule unknown (the system journal is not readable"
	[ "$_failed" = 0 ] || show_oomd
	expect no_scope_left no_scope_left
	oomd_cleanup
}

# A kill -9 in a watched slice is no OOM kill: oomd left no mark.
test_oomd_watching_a_kill_9_is_signaled() {
	oomd_setup || { oomd_cleanup; return; }
	run_memrun_timed --slice "$SLICE" --report "$report" -- sh -c 'kill -9 $$'
	expect_status 137
	expect_json 'r["outcome"] == "signaled" and r["main_oom_killed"] is False'
	expect_json 'r["oom"]["killed_by"] is None and r["oom"]["oomd"] is None'
	oomd_cleanup
}

# A memory.high throttled job that oomd never kills would run for long.
run_memrun_timed() {
	{ timeout 300 "$MEMRUN" "$@" >"$out" 2>"$err" </dev/null; } 2>/dev/null
	status=$?
}

# An admin's MemoryMax on the user's slice; the job's scope, of the
# user's manager, has no limit of its own.  The kernel log (the journal,
# for a user in group systemd-journal) names the slice.
test_kernel_kill_at_the_limit_of_the_users_slice() {
	local r=$USER_WORK/slice.json
	[ -n "$JOURNAL_GID" ] || { fail "there is no group systemd-journal"; return; }
	systemctl set-property --runtime "user-$TEST_UID.slice" MemoryMax=100M
	{ setpriv --reuid="$TEST_UID" --regid="$TEST_GID" --groups="$JOURNAL_GID" \
		env HOME="$TEST_USER_HOME" USER="$TEST_USER" LOGNAME="$TEST_USER" \
		XDG_RUNTIME_DIR="$TEST_USER_RUNTIME_DIR" \
		DBUS_SESSION_BUS_ADDRESS="unix:path=$TEST_USER_RUNTIME_DIR/bus" \
		timeout 300 "$MEMRUN" --report "$r" -- "$HOG" 200 >"$out" 2>"$err" </dev/null; } 2>/dev/null
	status=$?
	systemctl set-property --runtime "user-$TEST_UID.slice" MemoryMax=infinity
	expect_status 137
	expect_json 'r["outcome"] == "oom-killed" and r["main_oom_killed"] is True' "$r"
	expect_json 'r["cgroup"]["manager"] == "systemd" and r["limits"]["memory_max_bytes"] is None' "$r"
	expect_json 'r["oom"]["killer"] == "other" and r["oom"]["killed_by"] == "kernel"' "$r"
	expect_json 'r["oom"]["oomd"] is None' "$r"
	expect_json 'r["oom"]["limit_cgroup"] == "/user.slice/user-'"$TEST_UID"'.slice"' "$r"
	expect_json 'r["oom"]["limit_cgroup_memory_max_bytes"] == 100 << 20' "$r"
	expect_err "was OOM-killed: the limit of /user.slice/user-$TEST_UID.slice (memory.max 100 MiB) was reached, not the job's own"
	expect no_scope_left no_scope_left
}

run_tests
