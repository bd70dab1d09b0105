#!/usr/bin/env bash
# Cgroups below and beside the job's: the cgroups a job makes go with it,
# their OOM kills are the job's, a kernel log record names its victim
# whatever the victim calls itself, and the leftovers of dead memruns are
# swept without killing a live job (in any pid namespace) and without
# making the next job wait.  Runs on cgroup v1 here and v2 in the VM suite.
source "$(dirname "$0")/lib.sh"

# Where memrun puts its jobs' cgroups: where leftovers of dead memruns are.
probe_job_cgroup
parent=$job_parent

needs_kernel_log() {
	if ! head -c 0 /dev/kmsg 2>/dev/null; then
		skip "the kernel log (/dev/kmsg) is not readable here, and it alone names the victims"
		return 1
	fi
}

# The cgroup file holding a memory limit, by hierarchy.
limit_file() {
	[ "$version" = 2 ] && echo memory.max || echo memory.limit_in_bytes
}

report_value() {
	"$PYTHON" -c 'import json,sys; r=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$report" "$1"
}

expect_cgroup_removed() {
	local dir
	dir=$(report_value "r['cgroup']['path']")
	[ -n "$dir" ] && [ "$dir" != None ] || { fail "no cgroup path in the report"; return; }
	if [ -d "$dir" ]; then
		fail "cgroup $dir (or what the job made below it) left behind"
		remove_left_cgroup "$dir"
	fi
}

# A job script's preamble: $cg is the job's cgroup directory.
job_cgroup_sh='
if [ -n "$(grep "^0::" /proc/self/cgroup)" ] && [ -z "$(grep ":memory:" /proc/self/cgroup)" ]; then
	cg=$(awk '"'"'$9 == "cgroup2" {print $5; exit}'"'"' /proc/self/mountinfo)$(grep "^0::" /proc/self/cgroup | cut -d: -f3)
	v2=1
else
	cg=$(awk '"'"'$9 == "cgroup" && $NF ~ /(^|,)memory(,|$)/ {print $5; exit}'"'"' /proc/self/mountinfo)$(grep ":memory:" /proc/self/cgroup | cut -d: -f3)
	v2=
fi
'

# A job script that makes "inner" below its own cgroup, limited to 32M,
# and runs hog 100 there (OOM-killed); the main shell stays where it is.
# On v2 the job's processes must first leave its cgroup's root ("main"),
# which may then hand the memory controller down.
inner_oom_job='
set -e
if [ -n "$v2" ]; then
	mkdir "$cg/main"
	echo $$ >"$cg/main/cgroup.procs"
	echo +memory >"$cg/cgroup.subtree_control"
fi
mkdir "$cg/inner"
echo 32M >"$cg/inner/$1"
sh -c '"'"'echo $$ >"$1/inner/cgroup.procs" && exec "$2" 100'"'"' sh "$cg" "$2" || true
'

# A stale cgroup as a dead memrun leaves it: its name, and a sleeping
# process two cgroups below it, whose pid goes to $leftover_pid.
make_leftover() {
	local dir=$1
	mkdir -p "$dir/sub/subsub" || return 1
	sh -c 'echo $$ >"$1/cgroup.procs" && exec sleep 300' sh "$dir/sub/subsub" &
	leftover_pid=$!
	disown "$leftover_pid"	# killed on purpose: no word from bash
	for _ in $(seq 500); do grep -q . "$dir/sub/subsub/cgroup.procs" && return; sleep 0.01; done
	return 1
}

# The leftover's process is gone (not even a zombie of ours) and its cgroups too.
remove_leftover() {
	local dir=$1 pid=$2
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	for d in "$dir/sub/subsub" "$dir/sub" "$dir"; do
		[ -d "$d" ] || continue
		for _ in $(seq 200); do rmdir "$d" 2>/dev/null && break; sleep 0.01; done
	done
}

alive() {
	kill -0 "$1" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}

test_cgroups_the_job_made_are_removed_with_their_processes() {
	needs_cgroup || return
	run_memrun -q --report "$report" -- sh -c "$job_cgroup_sh"'
		mkdir -p "$cg/sub/subsub"
		sh -c '"'"'echo $$ >"$1/cgroup.procs" && exec sleep 300'"'"' sh "$cg/sub/subsub" &
		echo $! >"$0/deep.pid"
		sh -c '"'"'echo $$ >"$1/cgroup.procs" && exec sleep 300'"'"' sh "$cg/sub" &
		echo $! >"$0/sub.pid"
		wait_for() { for _ in $(seq 500); do grep -q "^$1\$" "$2/cgroup.procs" && return; sleep 0.01; done; exit 4; }
		wait_for "$(cat "$0/deep.pid")" "$cg/sub/subsub"
		wait_for "$(cat "$0/sub.pid")" "$cg/sub"' "$WORK"
	expect_status 0
	expect_no_err "cannot remove"
	local pid
	for pid in $(cat "$WORK/deep.pid" "$WORK/sub.pid"); do
		if alive "$pid"; then
			fail "process $pid of a cgroup the job made still runs"
			kill -KILL "$pid"
		fi
	done
	expect_cgroup_removed
}

test_oom_kill_in_a_cgroup_the_job_made_is_the_jobs() {
	needs_cgroup || return
	needs_kernel_log || return
	run_memrun --report "$report" -- sh -c "$job_cgroup_sh$inner_oom_job" sh "$(limit_file)" "$HELPERS/hog"
	expect_status 0
	expect_err "1 job process was OOM-killed (hog, pid"
	expect_json "r['outcome'] == 'oom-killed' and r['exit_code'] == 0 and r['main_oom_killed'] is False"
	expect_json "r['oom']['kills'] == 1 and r['oom']['killer'] == 'cgroup'"
	expect_json "[(v['comm'], v['main']) for v in r['oom']['victims']] == [('hog', False)]"
	expect_cgroup_removed
}

test_memrun_inside_memrun_outer_report_names_the_victim() {
	needs_cgroup || return
	needs_kernel_log || return
	run_memrun --report "$report" -- "$MEMRUN" -q --memory-max 32M -- "$HELPERS/hog" 100
	expect_status 137
	expect_json "r['outcome'] == 'oom-killed' and r['oom']['kills'] == 1"
	expect_json "r['main_oom_killed'] is False and r['oom']['killer'] == 'cgroup'"
	expect_json "[(v['comm'], v['main']) for v in r['oom']['victims']] == [('hog', False)]"
	expect_err "1 job process was OOM-killed (hog, pid"
	expect_cgroup_removed
}

# Without the kernel log an OOM kill in a cgroup the job made and removed
# leaves no trace cgroup v1 keeps: unknown, never 0.
test_uncounted_oom_kills_are_unknown_not_zero() {
	needs_cgroup || return
	if [ "$(cat /proc/sys/kernel/dmesg_restrict 2>/dev/null)" != 1 ]; then
		skip "every user may read the kernel log here (kernel.dmesg_restrict is not 1), so memrun cannot be kept from it"
		return
	fi
	# Without CAP_SYSLOG and CAP_SYS_ADMIN, /dev/kmsg is closed to memrun.
	setpriv --inh-caps=-syslog,-sys_admin --bounding-set=-syslog,-sys_admin -- \
		"$MEMRUN" --report "$report" -- sh -c "$job_cgroup_sh$inner_oom_job"'
		for _ in $(seq 500); do rmdir "$cg/inner" 2>/dev/null && exit 0; sleep 0.01; done
		exit 1' sh "$(limit_file)" "$HELPERS/hog" >"$out" 2>"$err" </dev/null
	status=$?
	expect_status 0
	if [ "$version" = 2 ]; then
		# v2's memory.events counts the kills below the job's cgroup too.
		expect_json "r['oom']['kills'] == 1 and r['outcome'] == 'oom-killed' and r['oom']['kills_unknown_reason'] is None"
	else
		expect_json "r['oom']['kills'] is None and 'kernel log' in r['oom']['kills_unknown_reason']"
		expect_json "r['oom']['victims'] is None and r['outcome'] == 'exited'"
	fi
	expect_cgroup_removed

	# The inner cgroup kept: its count is seen, the total still unknown.
	setpriv --inh-caps=-syslog,-sys_admin --bounding-set=-syslog,-sys_admin -- \
		"$MEMRUN" --report "$report" -- sh -c "$job_cgroup_sh$inner_oom_job" \
		sh "$(limit_file)" "$HELPERS/hog" >"$out" 2>"$err" </dev/null
	status=$?
	expect_status 0
	expect_json "r['outcome'] == 'oom-killed' and r['main_oom_killed'] is False"
	# The limit the job set on its cgroup was reached, none around the job.
	expect_json "r['oom']['killer'] == 'cgroup'"
	[ "$version" = 2 ] || expect_json "r['oom']['kills'] is None and r['oom']['kills_unknown_reason']"
	expect_cgroup_removed
}

# A job process named to look like the main process in the kernel log's
# record ("task=x,pid=MAIN,pid=VICTIM,uid=0") is OOM-killed; the main
# process survives and must not be blamed.
test_victim_named_like_the_main_process_is_not_the_main_process() {
	needs_cgroup || return
	needs_kernel_log || return
	run_memrun --memory-max 64M --report "$report" -- "$PYTHON" -c '
import ctypes, os, sys
main = os.getpid()
child = os.fork()
if child == 0:
    name = b"x,pid=%d" % main
    if ctypes.CDLL(None, use_errno=True).prctl(15, name, 0, 0, 0) != 0:  # PR_SET_NAME
        os._exit(2)
    hold = []
    while True:
        hold.append(b"\x5a" * (1 << 20))
_, status = os.waitpid(child, 0)
print(os.WTERMSIG(status) if os.WIFSIGNALED(status) else -1, main, child)
sys.exit(0)'
	expect_status 0
	local sig main child
	read -r sig main child <"$out"
	[ "$sig" = 9 ] || fail "the renamed child was not killed by SIGKILL: $(cat "$out")"
	expect_json "r['outcome'] == 'oom-killed' and r['exit_code'] == 0"
	expect_json "r['main_oom_killed'] is False"
	expect_json "[(v['pid'], v['comm'], v['main']) for v in r['oom']['victims']] == [($child, 'x,pid=$main', False)]"
	expect_no_err "was OOM-killed:"
	expect_cgroup_removed
}

# A live memrun holds flock on its job's cgroup for the job's life: one
# locked by another process survives a sweep; one nobody holds is killed
# and removed.
test_sweep_spares_a_locked_cgroup_and_removes_an_unlocked_one() {
	needs_cgroup || return
	local live=$parent/memrun-$$-a$(printf '%015x' $$) stale=$parent/memrun-$$-b$(printf '%015x' $$)
	local holder stale_pid
	mkdir "$live" || { fail "cannot make $live"; return; }
	"$PYTHON" -c '
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
fcntl.flock(fd, fcntl.LOCK_EX)
with open(sys.argv[1] + "/cgroup.procs", "w") as f:
    f.write(str(os.getpid()))
open(sys.argv[2], "w").close()
time.sleep(120)' "$live" "$WORK/locked" &
	holder=$!
	for _ in $(seq 500); do [ -e "$WORK/locked" ] && break; sleep 0.01; done
	if ! make_leftover "$stale"; then
		fail "cannot make $stale"
		remove_leftover "$stale" "${leftover_pid:-}"
		kill "$holder"; wait "$holder" 2>/dev/null; rmdir "$live" 2>/dev/null
		return
	fi
	stale_pid=$leftover_pid

	run_memrun -q -- true
	expect_status 0
	alive "$holder" || fail "the process in the locked cgroup was killed"
	[ -d "$live" ] || fail "the locked cgroup $live was removed"
	# Killed at once; removed by this run's end, or the next run's.
	[ -d "$stale" ] && run_memrun -q -- true
	[ -d "$stale" ] && fail "the stale cgroup $stale was not removed"
	alive "$stale_pid" && fail "the stale cgroup's process $stale_pid still runs"

	kill -KILL "$holder"
	wait "$holder" 2>/dev/null
	for _ in $(seq 200); do rmdir "$live" 2>/dev/null && break; sleep 0.01; done
	remove_leftover "$stale" "$stale_pid"
}

# The memrun of a container (another pid namespace) sharing the parent
# cgroup: its pid means nothing here, and its job must survive a sweep.
test_sweep_spares_a_live_job_of_another_pid_namespace() {
	needs_cgroup || return
	if ! unshare -pf --mount-proc true 2>/dev/null; then
		skip "cannot make a pid namespace here (unshare -pf --mount-proc needs CAP_SYS_ADMIN)"
		return
	fi
	local tag=$((400000 + $$)) inner job dir
	unshare -pf --mount-proc "$MEMRUN" -q -- sleep "$tag" </dev/null >/dev/null 2>"$WORK/inner.err" &
	inner=$!
	for _ in $(seq 500); do job=$(pgrep -x -f "sleep $tag") && break; sleep 0.01; done
	[ -n "$job" ] || { fail "the job in the pid namespace did not start: $(cat "$WORK/inner.err")"; kill "$inner"; return; }
	if [ "$version" = 2 ]; then
		dir=$(awk '$9 == "cgroup2" {print $5; exit}' /proc/self/mountinfo)$(grep '^0::' "/proc/$job/cgroup" | cut -d: -f3)
	else
		dir=$(awk '$9 == "cgroup" && $NF ~ /(^|,)memory(,|$)/ {print $5; exit}' /proc/self/mountinfo)$(grep ':memory:' "/proc/$job/cgroup" | cut -d: -f3)
	fi
	case "$dir" in
	"$parent"/memrun-*) ;;
	*) fail "the job in the pid namespace is not in a memrun cgroup beside ours: $dir" ;;
	esac

	run_memrun -q -- true
	expect_status 0
	alive "$job" || fail "the live job of another pid namespace was killed"
	[ -d "$dir" ] || fail "the live job's cgroup $dir was removed"

	kill -KILL "$job" 2>/dev/null
	wait "$inner" 2>/dev/null
	[ -d "$dir" ] && fail "the memrun in the pid namespace left $dir"
}

# Leftovers do not make a job wait: the sweep while the job starts kills
# and removes what it can at once, and sleeps for nothing (the wait for
# each stale cgroup to empty and go was 1 ms at a time, for up to 1.1 s).
# strace counts memrun's sleeps before it reaps its job.  A cgroup named as
# memrun named them before it locked them (memrun-PID-STARTTIME) is left
# alone: its memrun takes no lock and may live in another pid namespace.
test_leftovers_do_not_make_the_job_wait() {
	needs_cgroup || return
	if ! command -v strace >/dev/null; then
		skip "strace is not installed, and it alone counts the sleeps memrun makes"
		return
	fi
	local new=$parent/memrun-999999-c$(printf '%015x' $$) old=$parent/memrun-999999-$$
	local new_pid old_pid sleeps
	make_leftover "$new" || { fail "cannot make $new"; remove_leftover "$new" "${leftover_pid:-}"; return; }
	new_pid=$leftover_pid
	if ! make_leftover "$old"; then
		fail "cannot make $old"
		remove_leftover "$old" "${leftover_pid:-}"; remove_leftover "$new" "$new_pid"
		return
	fi
	old_pid=$leftover_pid

	# LeakSanitizer cannot stop a traced process's threads.
	ASAN_OPTIONS=$ASAN_OPTIONS:detect_leaks=0 strace -f -qq -o "$WORK/strace" \
		-e trace=execve,nanosleep,clock_nanosleep,wait4,waitid \
		"$MEMRUN" -q -- sleep 0.2 >"$out" 2>"$err" </dev/null
	status=$?
	expect_status 0
	sleeps=$(awk 'NR == 1 { memrun = $1 }
		$1 == memrun && / (wait4|waitid)\(/ { exit }
		$1 == memrun && /nanosleep\(/ { n++ }
		END { print n + 0 }' "$WORK/strace")
	[ "$sleeps" = 0 ] || fail "memrun slept $sleeps times while its job started: $(grep -m 3 nanosleep "$WORK/strace")"
	[ -d "$new" ] && run_memrun -q -- true
	[ -d "$new" ] && fail "the stale cgroup $new was not removed"
	alive "$new_pid" && fail "the stale cgroup's process $new_pid still runs"
	alive "$old_pid" || fail "the process $old_pid in a cgroup of the old name was killed"
	[ -d "$old/sub/subsub" ] || fail "a cgroup of the old name was removed"

	remove_leftover "$new" "$new_pid"
	remove_leftover "$old" "$old_pid"
}

# What a test left in a cgroup when memrun failed: killed, and removed
# deepest first.
remove_left_cgroup() {
	local dir=$1 d
	[ -d "$dir" ] || return 0
	for d in $(find "$dir" -depth -type d); do
		xargs -r kill -KILL <"$d/cgroup.procs" 2>/dev/null
		for _ in $(seq 200); do rmdir "$d" 2>/dev/null && break; sleep 0.01; done
	done
}

# Nothing of the job outlived what $1 says ended it: not the process it
# left (its pid in $WORK/left.pid), not its cgroup.
expect_job_gone() {
	local pid dir
	pid=$(cat "$WORK/left.pid" 2>/dev/null)
	if [ -n "$pid" ] && alive "$pid"; then
		fail "the job's process $pid outlived $1"
		kill -KILL "$pid"
	fi
	dir=$(report_value "r['cgroup']['path']" 2>/dev/null)
	if [ -n "$dir" ] && [ "$dir" != None ] && [ -d "$dir" ]; then
		fail "cgroup $dir left behind after $1"
		remove_left_cgroup "$dir"
	fi
}

# A root job mounts the whole cgroup hierarchy inside its own cgroup and
# leaves: memrun's walk at the end must not cross that mount to kill or
# remove what is there.  In a private mount namespace, so the host sees no
# mount; only in the VM, as a memrun that crossed it would kill every
# process of the hierarchy.
test_a_hierarchy_the_job_mounted_in_its_tree_is_not_entered() {
	needs_cgroup || return
	if [ "${MEMRUN_IN_VM:-0}" != 1 ]; then
		skip "runs in the VM suite (make check-vm): a memrun that crossed the mount would kill every process of the host's hierarchy"
		return
	fi
	local decoy=$parent/memrun-test-decoy-$$ victim
	mkdir "$decoy" || { fail "cannot make $decoy"; return; }
	sh -c 'echo $$ >"$1/cgroup.procs" && exec sleep 300' sh "$decoy" &
	victim=$!
	for _ in $(seq 200); do grep -q . "$decoy/cgroup.procs" && break; sleep 0.01; done
	unshare -m --propagation private "$MEMRUN" -q --report "$report" -- sh -c "$job_cgroup_sh"'
		mkdir "$cg/bound" || exit 3
		if [ -n "$v2" ]; then mount -t cgroup2 none "$cg/bound" || exit 3
		else mount -t cgroup -o memory none "$cg/bound" || exit 3; fi' "$decoy" \
		>"$out" 2>"$err" </dev/null
	status=$?
	expect_status 0
	alive "$victim" || fail "memrun killed a process outside the job, through the mount"
	[ -d "$decoy" ] || fail "memrun removed $decoy, through the mount"
	kill -KILL "$victim" 2>/dev/null
	wait "$victim" 2>/dev/null
	for _ in $(seq 200); do rmdir "$decoy" 2>/dev/null && break; sleep 0.01; done
}

# Root in the job can write memrun's pid into the job's cgroup, or one
# below it: the kill at the end must not end memrun, which goes back to
# its own cgroup first, reports, and removes everything.
test_job_that_moves_memrun_into_its_cgroup_does_not_end_memrun() {
	needs_cgroup || return
	local where
	for where in . sub; do
		rm -f "$WORK/left.pid" "$report"
		run_memrun --report "$report" -- sh -c "$job_cgroup_sh"'
			mkdir -p "$cg/$1"
			sleep 300 &
			echo $! >"$0/left.pid"
			echo $PPID >"$cg/$1/cgroup.procs" || exit 3
			exit 0' "$WORK" "$where"
		expect_status 0
		expect_err "sh exited 0 after"
		expect_no_err "cannot"
		expect_json "r['outcome'] == 'exited' and r['exit_code'] == 0"
		expect_job_gone "the job (memrun moved into '$where')"
	done
}

# v1 has no memory.oom.group: memrun kills the job itself, from its loop,
# on the first OOM kill; memrun's pid in the job's cgroup must survive it.
test_oom_group_kill_spares_memrun_moved_into_the_job() {
	needs_native_memrun memory || return
	needs_cgroup || return
	if [ "$version" = 2 ]; then
		skip "on cgroup v2 the kernel itself kills every process of the cgroup for memory.oom.group, memrun among them if the job moved it there; memrun's own group kill is v1's"
		return
	fi
	run_memrun --oom-group --memory-max 64M --report "$report" -- sh -c "$job_cgroup_sh"'
		echo $PPID >"$cg/cgroup.procs" || exit 3
		sleep 60 &
		echo $! >"$0/left.pid"
		"$1" 512
		wait' "$WORK" "$HELPERS/hog"
	expect_json "r['outcome'] == 'oom-killed' and r['limits']['oom_group'] is True"
	expect_job_gone "its OOM group kill"
}

# A job that renames its cgroup (v1 allows it within the parent) must not
# leave it behind under a name no sweep would take for memrun's.
test_cgroup_the_job_renamed_is_removed() {
	needs_cgroup || return
	local renamed=$parent/renamed-by-job-$$ pid
	run_memrun --report "$report" -- sh -c "$job_cgroup_sh"'
		mv "$cg" "$1" 2>"$0/mv.err" || exit 3
		sleep 300 &
		echo $! >"$0/left.pid"
		exit 0' "$WORK" "$renamed"
	if [ "$status" = 3 ] && [ "$version" = 2 ]; then
		skip "cgroup v2 renames no cgroup ($(cat "$WORK/mv.err"))"
		return
	fi
	expect_status 0
	expect_no_err "cannot remove"
	expect_json "r['outcome'] == 'exited' and r['exit_code'] == 0"
	pid=$(cat "$WORK/left.pid" 2>/dev/null)
	if [ -n "$pid" ] && alive "$pid"; then
		fail "the job's process $pid in the renamed cgroup still runs"
		kill -KILL "$pid"
	fi
	if [ -d "$renamed" ]; then
		fail "the cgroup the job renamed, $renamed, was left behind"
		remove_left_cgroup "$renamed"
	fi
	expect_cgroup_removed
}

run_tests
