#!/usr/bin/env bash
# The systemd manager, for real: systemd as PID 1 makes the job's
# transient scope over D-Bus, as root (the system manager) and as a plain
# user (the user's own manager).  Limits in force in the scope, an OOM kill
# reported with its victim, nothing left behind (scope, cgroup, process)
# after a normal end or a SIGKILL of memrun, the undelegated controller's
# message, and no escape from the limit of memrun's own unit.
source "$(dirname "$0")/lib.sh"

HOG=$HELPERS/hog

# memrun ARGS... as the test user; report in $USER_WORK.
run_memrun_as_user() {
	{ as_user "$MEMRUN" "$@" >"$out" 2>"$err" </dev/null; } 2>/dev/null
	status=$?
}

# What the job sees of its cgroup: the scope's path and memory.max.
JOB_SEES='c=$(sed -n "s/^0:://p" /proc/self/cgroup); echo "cgroup=$c"; echo "max=$(cat /sys/fs/cgroup${c%/*}/memory.max)"; echo "unit=${c%/*}"'

check_limits_in_scope() {
	expect_status 0
	expect_out "max=67108864"
	grep -Eq '^cgroup=.*/memrun-[0-9]+-[0-9a-f]{16}\.scope/memrun-[0-9]+-[a-f][0-9a-f]{15}$' "$out" ||
		{ fail "the job is not in a leaf of a memrun scope"; show_output; }
	expect_json 'r["cgroup"]["manager"] == "systemd"' "$1"
	expect_json 'r["cgroup"]["unit"].startswith("memrun-") and r["cgroup"]["unit"].endswith(".scope")' "$1"
	expect_json 'r["limits"]["memory_max_bytes"] == 64 << 20' "$1"
	expect no_scope_left no_scope_left
}

test_root_limits_in_force_in_a_system_scope() {
	run_memrun --memory-max 64M --report "$report" -- sh -c "$JOB_SEES"
	check_limits_in_scope "$report"
	# As root in a service: the scope goes in that service's slice.
	expect_out "unit=/system.slice/memrun-"
	expect_json '"systemd owns memrun" in r["cgroup"]["manager_reason"]'
}

test_user_limits_in_force_in_a_user_scope() {
	run_memrun_as_user --memory-max 64M --report "$USER_WORK/r.json" -- sh -c "$JOB_SEES"
	check_limits_in_scope "$USER_WORK/r.json"
	expect_out "unit=/user.slice/user-$TEST_UID.slice/user@$TEST_UID.service/"
}

test_scope_shows_its_limits_while_the_job_runs() {
	local unit
	"$MEMRUN" -q --memory-max 96M --memory-high 80M -- sleep 30 &
	local pid=$!
	for _ in $(seq 100); do
		unit=$(systemctl list-units --plain --no-legend 'memrun-*.scope' | awk '{print $1}' | head -1)
		[ -n "$unit" ] && break
		sleep 0.1
	done
	if [ -z "$unit" ]; then
		fail "no memrun scope while the job runs"
	else
		[ "$(systemctl show -P MemoryMax "$unit")" = $((96 << 20)) ] ||
			fail "MemoryMax of $unit: $(systemctl show -P MemoryMax "$unit")"
		[ "$(systemctl show -P MemoryHigh "$unit")" = $((80 << 20)) ] ||
			fail "MemoryHigh of $unit: $(systemctl show -P MemoryHigh "$unit")"
		# The command by name, not its arguments (a password on a command line).
		[ "$(systemctl show -P Description "$unit")" = "memrun: sleep (1 argument)" ] ||
			fail "description of $unit: $(systemctl show -P Description "$unit")"
	fi
	kill -TERM "$pid"
	wait "$pid"
	expect no_scope_left no_scope_left
}

check_oom_killed() {
	expect_status 137
	expect_err "was OOM-killed"
	expect_json 'r["outcome"] == "oom-killed"' "$1"
	expect_json 'r["oom"]["killer"] == "cgroup"' "$1"
	expect_json 'r["oom"]["kills"] >= 1' "$1"
	expect_json 'r["main_oom_killed"] is True' "$1"
	expect_json 'r["peak"]["memory_bytes"] >= 60 << 20' "$1"
	expect no_scope_left no_scope_left
}

test_root_oom_kill_reported_with_the_victim() {
	run_memrun --memory-max 64M --report "$report" -- "$HOG" 200
	check_oom_killed "$report"
	expect_json 'any(v["comm"] == "hog" and v["main"] for v in r["oom"]["victims"])'
}

test_user_oom_kill_reported() {
	run_memrun_as_user --memory-max 64M --report "$USER_WORK/oom.json" -- "$HOG" 200
	check_oom_killed "$USER_WORK/oom.json"
}

test_root_python_oom_kill() {
	run_memrun --memory-max 64M --report "$report" -- python3 -c 'b = bytearray(200 << 20)'
	check_oom_killed "$report"
	expect_json 'any(v["comm"].startswith("python3") for v in r["oom"]["victims"])'
}

test_user_python_oom_kill() {
	run_memrun_as_user --memory-max 64M --report "$USER_WORK/py.json" -- \
		python3 -c 'b = bytearray(200 << 20)'
	check_oom_killed "$USER_WORK/py.json"
}

# kill -9 of memrun: the guard kills the scope, systemd collects it.  The
# job's main process would die anyway (PR_SET_PDEATHSIG): the one it
# started in the background dies only by the guard.
BACKGROUND_JOB='sleep 1000 & exec sleep 1001'
sigkill_leaves_nothing() {
	local who=$1 pid job i
	if [ "$who" = user ]; then
		# exec: $! is memrun itself (setpriv and env exec it in turn).
		(exec setpriv --reuid="$TEST_UID" --regid="$TEST_GID" --init-groups \
			env XDG_RUNTIME_DIR="$TEST_USER_RUNTIME_DIR" \
			"$MEMRUN" -q --memory-max 64M -- sh -c "$BACKGROUND_JOB") &
	else
		"$MEMRUN" -q --memory-max 64M -- sh -c "$BACKGROUND_JOB" &
	fi
	pid=$!
	for i in $(seq 100); do
		job=$(pgrep -x -f 'sleep 1000' | head -1)
		[ -n "$job" ] && grep -q '\.scope/memrun-' "/proc/$job/cgroup" 2>/dev/null && break
		job=""
		sleep 0.1
	done
	[ -n "$job" ] || { fail "the job never reached its scope"; kill -9 "$pid"; return; }
	[ "$(cat "/proc/$pid/comm")" = memrun ] || fail "pid $pid is $(cat "/proc/$pid/comm"), not memrun"
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	for i in $(seq 50); do
		! kill -0 "$job" 2>/dev/null && no_scope_left >/dev/null && break
		sleep 0.1
	done
	! kill -0 "$job" 2>/dev/null || fail "the job (pid $job) outlived memrun's SIGKILL"
	expect no_scope_left no_scope_left
	! pgrep -x memrun-guard >/dev/null || fail "a guard outlived the job: $(pgrep -a -x memrun-guard)"
}

test_root_sigkill_of_memrun_leaves_nothing() { sigkill_leaves_nothing root; }
test_user_sigkill_of_memrun_leaves_nothing() { sigkill_leaves_nothing user; }

test_no_escape_from_the_limit_of_memruns_own_unit() {
	# memrun in a unit with MemoryMax: a scope in system.slice would
	# escape it, so a job that asks for a cgroup limit is refused.
	systemd-run -q --collect -p MemoryMax=100M --wait --pipe -- \
		"$MEMRUN" --memory-max 150M --report "$report" -- "$HOG" 200 >"$out" 2>"$err"
	expect_err "memory.max = 100 MiB in /system.slice/run-"
	expect_err "Delegate=yes"
	expect_json 'r["outcome"] == "failed-to-start"'
	expect_json 'r["memrun_exit_status"] == 125'
	# One that asks for none runs without a cgroup of its own, inside the
	# unit's: killed at the unit's limit, not at 200 MiB.
	systemd-run -q --collect -p MemoryMax=100M --wait --pipe -- \
		"$MEMRUN" --report "$report" -- "$HOG" 200 >"$out" 2>"$err"
	expect_json 'r["outcome"] == "oom-killed"'
	expect_json 'r["oom"]["killer"] == "other"'
	expect_json 'r["peak"]["largest_process_rss_bytes"] < 110 << 20'
	# With Delegate=yes memrun makes the job's cgroup inside its own.
	systemd-run -q --collect -p MemoryMax=100M -p Delegate=yes --wait --pipe -- \
		"$MEMRUN" --memory-max 150M --report "$report" -- "$HOG" 200 >"$out" 2>"$err"
	expect_json 'r["outcome"] == "oom-killed"'
	expect_json 'r["cgroup"]["manager"] == "cgroupfs"'
	expect_json '"Delegate=yes" in r["cgroup"]["manager_reason"]'
	expect_json 'r["peak"]["memory_bytes"] < 110 << 20'
	expect no_scope_left no_scope_left
}

# The user's slice hands user@UID.service no memory controller, as on a
# host where it is not delegated.  Debian's systemd 252 gives it memory
# whether delegated or not (memory accounting is on by default, and
# systemd-oomd's drop-in watches user@.service), and drop-ins do not take
# it back from a living slice: the test takes it away by hand, from the
# leaves of the user manager's tree up to the slice (a controller a child
# uses cannot go first), and gives it back by hand.
user_slice=/sys/fs/cgroup/user.slice/user-$TEST_UID.slice
set_user_memory() {
	local d
	if [ "$1" = - ]; then
		find "$user_slice/user@$TEST_UID.service" -depth -type d | while read -r d; do
			echo -memory >"$d/cgroup.subtree_control"
		done
		echo -memory >"$user_slice/cgroup.subtree_control"
	else
		echo +memory >"$user_slice/cgroup.subtree_control"
		systemctl restart "user@$TEST_UID.service"
	fi
}

test_user_undelegated_memory_controller_is_refused() {
	trap 'set_user_memory +' RETURN
	set_user_memory -
	if grep -qw memory "$user_slice/user@$TEST_UID.service/cgroup.controllers"; then
		fail "memory is still in user@$TEST_UID.service's cgroup.controllers"
	fi
	run_memrun_as_user --memory-max 64M --report "$USER_WORK/u.json" -- true
	expect_status 125
	expect_err "not delegated to your systemd user manager"
	expect_err "Delegate=pids memory cpu"
	expect_json 'r["outcome"] == "failed-to-start"' "$USER_WORK/u.json"
	run_memrun_as_user --memory-max 64M --best-effort --report "$USER_WORK/u.json" -- true
	expect_status 0
	expect_json 'r["limits"]["memory_max_bytes"] is None' "$USER_WORK/u.json"
	expect_json '"not delegated" in (r["limits"]["not_applied_reason"] or "")' "$USER_WORK/u.json"
	# A job that asks for no cgroup setting runs, without a scope.
	run_memrun_as_user -q --report "$USER_WORK/u.json" -- true
	expect_status 0
	expect_json 'r["cgroup"]["manager"] is None' "$USER_WORK/u.json"
	set_user_memory +
	trap - RETURN
	grep -qw memory "$user_slice/user@$TEST_UID.service/cgroup.controllers" ||
		fail "memory not delegated again"
	expect no_scope_left no_scope_left
}

# systemd refuses the scope (here: its slice is masked): 125 with
# systemd's word for it; --best-effort, or a job that asked for no cgroup
# setting, runs without a cgroup of its own; nothing is left behind.
test_a_refused_scope_follows_the_best_effort_policy() {
	systemctl mask --runtime memrun-masked.slice >/dev/null 2>&1
	run_memrun --slice memrun-masked.slice --memory-max 64M --report "$report" -- true
	expect_status 125
	expect_err "systemd refused the scope"
	expect_err "masked"
	expect_json 'r["outcome"] == "failed-to-start"'
	run_memrun -q --slice memrun-masked.slice --memory-max 64M --best-effort \
		--report "$report" -- sh -c 'echo ran'
	expect_status 0
	expect_out "ran"
	expect_json 'r["limits"]["memory_max_bytes"] is None'
	expect_json '"masked" in r["limits"]["not_applied_reason"]'
	systemctl unmask --runtime memrun-masked.slice >/dev/null 2>&1
	! pgrep -x memrun-guard >/dev/null || fail "a guard was left: $(pgrep -a -x memrun-guard)"
	expect no_scope_left no_scope_left
}

# The user's manager stopped (SIGSTOP) while memrun asks it for the scope:
# systemctl stop or Ctrl-C ends memrun at once, with 125 and why, instead
# of after the 25 s memrun would wait for systemd; no fallback runs the
# job, best effort or not; once the manager runs again, nothing is left.
test_a_stop_while_systemd_starts_the_scope_ends_memrun_at_once() {
	local manager pid i started ended
	manager=$(pgrep -u "$TEST_UID" -x systemd | head -1)
	[ -n "$manager" ] || { fail "memrun-user's systemd is not running"; return; }
	trap 'kill -CONT "$manager" 2>/dev/null' RETURN
	kill -STOP "$manager"
	# exec: $! is memrun itself (setpriv and env exec it in turn).
	(exec setpriv --reuid="$TEST_UID" --regid="$TEST_GID" --init-groups 		env XDG_RUNTIME_DIR="$TEST_USER_RUNTIME_DIR" "$MEMRUN" --memory-max 64M 		--best-effort --report "$USER_WORK/stop.json" -- touch "$USER_WORK/ran") \
		>"$out" 2>"$err" </dev/null &
	pid=$!
	# Until memrun waits for systemd's answer (in poll).
	for i in $(seq 200); do
		grep -q poll "/proc/$pid/wchan" 2>/dev/null && break
		sleep 0.1
	done
	grep -q poll "/proc/$pid/wchan" 2>/dev/null ||
		fail "memrun never waited for systemd: $(cat "/proc/$pid/wchan" 2>&1)"
	started=$(date +%s%N)
	kill -TERM "$pid"
	wait "$pid"
	status=$?
	ended=$(date +%s%N)
	kill -CONT "$manager"
	trap - RETURN
	expect_status 125
	expect_err "stopped by SIGTERM after"
	expect_err "of waiting for systemd to start the scope"
	expect_err "the job did not start"
	[ $(((ended - started) / 1000000)) -lt 5000 ] ||
		fail "memrun took $(((ended - started) / 1000000)) ms to end after SIGTERM"
	[ ! -e "$USER_WORK/ran" ] || fail "the job ran after memrun was stopped"
	expect_json 'r["outcome"] == "failed-to-start"' "$USER_WORK/stop.json"
	! pgrep -u "$TEST_UID" -x memrun >/dev/null ||
		fail "a memrun process was left: $(pgrep -a -u "$TEST_UID" -x memrun)"
	! pgrep -x memrun-guard >/dev/null || fail "a guard was left: $(pgrep -a -x memrun-guard)"
	expect no_scope_left no_scope_left
	# The manager answers again: the next run is as usual.
	run_memrun_as_user -q --memory-max 64M -- true
	expect_status 0
}

test_the_job_is_killed_with_its_main_process() {
	# The main process leaves a child behind: it dies with the scope.
	run_memrun --memory-max 64M --report "$report" -- sh -c 'sleep 300 & echo $! > '"$WORK/bg"
	expect_status 0
	! kill -0 "$(cat "$WORK/bg")" 2>/dev/null || fail "the job's other process outlived its main"
	expect no_scope_left no_scope_left
}

run_tests
