#!/usr/bin/env bash
# Callers and jobs memrun cannot trust or cannot see into: a caller that
# hands down ignored signals, a job that damages the region it shares with
# memrun, jobs the probe cannot observe, and jobs that fail for want of
# memory before they run.  memrun finishes, reports, and says what it
# does not know.
source "$(dirname "$0")/lib.sh"
probe_job_cgroup

# Seconds before a memrun that should have finished counts as hung.
BOUND=20

# perl -e '...; exec @ARGV' memrun ...: memrun with signal $1 ignored, as
# a caller hands it down (an ignore survives exec).
IGNORING='$SIG{$ENV{IGNORE}} = "IGNORE"; exec @ARGV or die "exec: $!"'

# run_memrun with signal $1 ignored by the caller; a hang fails the test
# instead of stalling it.
run_memrun_ignoring() {
	local sig=$1
	shift
	IGNORE=$sig timeout -k 2 "$BOUND" perl -e "$IGNORING" "$MEMRUN" "$@" \
		>"$out" 2>"$err" </dev/null
	status=$?
	if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
		fail "memrun did not finish within $BOUND s (hung)"
		show_output
	fi
}

needs_perl() {
	command -v perl >/dev/null && return 0
	skip "perl is not installed: it hands memrun an ignored signal here"
	return 1
}

# The SigIgn mask of /proc/PID/status, from $out, has signal $1.
ignores() {
	"$PYTHON" - "$out" "$1" <<'PY'
import sys
for line in open(sys.argv[1]):
    if line.startswith("SigIgn:"):
        sys.exit(0 if int(line.split()[1], 16) >> (int(sys.argv[2]) - 1) & 1 else 1)
sys.exit(2)
PY
}

# ---- a caller that ignores SIGCHLD ----------------------------------------

test_caller_ignoring_sigchld_does_not_hang_memrun() {
	needs_perl || return
	run_memrun_ignoring CHLD --report "$report" -- true
	expect_status 0
	expect_err "memrun: true exited 0 after"
	expect_json "r['outcome'] == 'exited' and r['exit_code'] == 0"
}

test_job_that_forks_under_a_caller_ignoring_sigchld() {
	needs_perl || return
	run_memrun_ignoring CHLD --report "$report" -- \
		sh -c 'sleep 0.2 & wait; exit 3'
	expect_status 3
	expect_json "r['outcome'] == 'exited' and r['exit_code'] == 3"
}

test_sigterm_ends_the_job_under_a_caller_ignoring_sigchld() {
	needs_perl || return
	local pid i
	IGNORE=CHLD perl -e "$IGNORING" "$MEMRUN" --report "$report" -- \
		sh -c 'touch "$0"; exec sleep 60' "$WORK/started" >"$out" 2>"$err" </dev/null &
	pid=$!	# perl execs memrun: this is memrun
	# Once the job runs, memrun supervises: the signal is its to forward.
	for ((i = 0; i < BOUND * 10; i++)); do
		[ -e "$WORK/started" ] && break
		sleep 0.1
	done
	kill -TERM "$pid"
	for ((i = 0; i < BOUND * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		fail "memrun swallowed SIGTERM: still running $BOUND s later"
		kill -KILL "$pid"
	fi
	wait "$pid"
	status=$?
	rm -f "$WORK/started"
	expect_status 143
	expect_json "r['outcome'] == 'signaled' and r['signal'] == 15"
}

# Transparency: the ignores the caller handed down reach the job, SIGCHLD's
# too, though memrun takes SIGCHLD back for itself.
test_caller_sigchld_ignore_reaches_the_job() {
	needs_native_memrun "keeps the signal dispositions memrun inherits to itself: SIGCHLD the caller ignored is caught by memcheck, so the job's exec resets it" || return
	needs_perl || return
	run_memrun_ignoring CHLD -q -- grep SigIgn /proc/self/status
	expect_status 0
	ignores 17 || fail "the job does not ignore SIGCHLD as its caller did: $(cat "$out")"
	run_memrun -q -- grep SigIgn /proc/self/status
	! ignores 17 || fail "the job ignores SIGCHLD though its caller did not: $(cat "$out")"
}

test_nohup_sighup_ignore_reaches_the_job() {
	needs_perl || return
	run_memrun_ignoring HUP -q -- sh -c 'kill -HUP $$; echo alive'
	expect_status 0
	expect_out "alive"
}

# ---- a job that damages the region it shares with memrun -----------------

test_job_truncating_the_probe_region_by_its_path() {
	run_memrun --report "$report" -- sh -c 'truncate -s 0 "${MEMRUN_PROBE%%:*}"; exit 7'
	expect_status 7
	# Sealed: the job cannot shrink it, and memrun still counts.
	expect_err "Operation not permitted"
	expect_err "memrun: sh exited 7 after"
	expect_json "r['outcome'] == 'exited' and r['exit_code'] == 7"
	expect_json "r['alloc_failures']['observed'] is True and r['alloc_failures']['count'] == 0"
}

test_job_truncating_the_probe_region_through_an_fd() {
	run_memrun --report "$report" -- python3 -c '
import os, sys
fd = os.open(os.environ["MEMRUN_PROBE"].split(":")[0], os.O_RDWR)
for size in (0, 1 << 20):
    try:
        os.ftruncate(fd, size)
        print("resized to", size)
    except OSError as e:
        print("refused:", e.strerror)
try:
    os.truncate(os.environ["MEMRUN_PROBE"].split(":")[0], 0)
    print("truncated by path")
except OSError as e:
    print("refused:", e.strerror)
sys.exit(7)'
	expect_status 7
	! grep -q "resized\|truncated" "$out" || fail "the region could be resized: $(cat "$out")"
	[ "$(grep -c '^refused: Operation not permitted' "$out")" = 3 ] ||
		fail "the region could be resized: $(cat "$out")"
	expect_json "r['outcome'] == 'exited' and r['exit_code'] == 7"
	expect_json "r['alloc_failures']['observed'] is True and r['alloc_failures']['count'] == 0"
}

test_job_scribbling_over_the_probe_region() {
	# The header kept, every count and index after it garbage.
	run_memrun --report "$report" -- python3 -c '
import mmap, os
fd = os.open(os.environ["MEMRUN_PROBE"].split(":")[0], os.O_RDWR)
m = mmap.mmap(fd, 0)
m[16:] = b"\xff" * (len(m) - 16)
os._exit(5)'
	expect_status 5
	expect_err "allocations not observed: the job overwrote the probe's shared memory region"
	expect_json "r['outcome'] == 'exited' and r['exit_code'] == 5"
	expect_json "r['alloc_failures']['observed'] is False and r['alloc_failures']['count'] is None"
	expect_json "'overwrote' in (r['alloc_failures']['not_observed_reason'] or '')"
	expect_json "r['alloc_failures']['first'] is None and r['alloc_failures']['largest_bytes'] is None"
	# All of it garbage, the header too.
	run_memrun -q --report "$report" -- python3 -c '
import mmap, os
m = mmap.mmap(os.open(os.environ["MEMRUN_PROBE"].split(":")[0], os.O_RDWR), 0)
m[:] = b"\xa5" * len(m)'
	expect_status 0
	expect_json "r['alloc_failures']['observed'] is False and r['alloc_failures']['count'] is None"
}

# ---- jobs the probe cannot see into: unknown is null, never 0 -------------

test_static_job_has_no_count() {
	needs_native_memrun rlimits || return
	run_memrun --as 128M --report "$report" -- "$HELPERS/static_alloc_until_null"
	expect_status 3
	expect_no_err "0 allocations"
	expect_err "allocations not observed: $HELPERS/static_alloc_until_null is statically linked"
	expect_json "r['outcome'] == 'exited' and r['alloc_failures']['observed'] is False"
	expect_json "r['alloc_failures']['count'] is None and r['alloc_failures']['largest_bytes'] is None"
	expect_json "r['alloc_failures']['processes'] is None and r['alloc_failures']['causes'] is None"
}

test_no_probe_has_no_count() {
	run_memrun --no-probe --as 128M --report "$report" -- "$HELPERS/alloc_until_null"
	expect_status 3
	expect_no_err "0 allocations"
	expect_err "allocations not observed: the probe is off"
	expect_json "r['outcome'] == 'exited' and r['alloc_failures']['observed'] is False"
	expect_json "r['alloc_failures']['count'] is None and r['alloc_failures']['largest_bytes'] is None"
	expect_json "r['alloc_failures']['processes'] is None and r['alloc_failures']['causes'] is None"
}

# ---- failing for want of memory before the program runs ------------------

test_exec_refused_under_memory_max_names_the_limit() {
	# exec refused (ENOMEM; cgroup v1 here), or the child OOM-killed before
	# exec (v2 starts it in the job's cgroup): either way the same words.
	run_memrun --memory-max 8K --report "$report" -- true
	expect_status 126
	expect_err "cannot run 'true': "
	expect_err "does not fit under the cgroup limit memory_max 8 KiB (flag --memory-max)"
	expect_err "raise --memory-max"
	expect_json "r['outcome'] == 'failed-to-start' and 'memory_max 8 KiB' in r['error']"
	expect_json "(r['hint'] or '').startswith('raise --memory-max')"
}

test_an_argument_too_long_is_not_blamed_on_the_limits() {
	needs_native_memrun "ends memrun's child itself (status 101) when the exec of the job fails with E2BIG, instead of returning the error to memrun" || return
	# One string over the kernel's 128 KiB (MAX_ARG_STRLEN) is E2BIG
	# whatever the limits: not a program that does not fit under them.
	# GLIBC_TUNABLES just short of it reaches memrun, and memrun's merge
	# of --malloc makes it too long for the job.
	local long
	long=$(head -c 131010 /dev/zero | tr '\0' 1)
	GLIBC_TUNABLES="glibc.malloc.check=0:glibc.rtld.x=$long" \
		run_memrun --no-probe --memory-max 1G --malloc arena_max=1 -- true
	expect_status 126
	expect_err "cannot run 'true': Argument list too long"
	expect_no_err "does not fit"
}

test_loader_that_cannot_map_libraries_under_rlimit_as() {
	needs_native_memrun rlimits || return
	run_memrun --as 1M --report "$report" -- true
	# The job's status, as the contract says, but not left unexplained.
	expect_status 127
	expect_err "error while loading shared libraries"
	expect_err "the dynamic loader most likely could not map the libraries of"
	expect_err "under RLIMIT_AS 1 MiB (it exited 127 before they started): raise --as, or limit with --data or --memory-max instead"
	expect_json "r['outcome'] == 'exited' and r['exit_code'] == 127"
	expect_json "'RLIMIT_AS 1 MiB' in (r['hint'] or '') and 'raise --as' in r['hint']"
	expect_json "'dynamic loader' in (r['alloc_failures']['not_observed_reason'] or '')"
	# Without the probe memrun cannot know that the program never started.
	run_memrun --no-probe --as 1M --report "$report" -- true
	expect_status 127
	expect_err "if $(type -P true) said \"error while loading shared libraries\""
	expect_json "'raise --as' in (r['hint'] or '')"
	# A 127 of the program's own, seen to start by the probe, is its own.
	run_memrun --as 1G --report "$report" -- sh -c 'exit 127'
	expect_status 127
	expect_no_err "dynamic loader"
	expect_json "r['hint'] is None"
}

test_closed_pipe_on_stderr_does_not_lose_the_report() {
	# "memrun --report r.json -- make 2>&1 | head": the reader is gone
	# when memrun writes its summary; the report and the status stay.
	local rc
	rc=$( ( { "$MEMRUN" --report "$report" -- sleep 0.3; echo $? >&3; } 2>&1 | true ) 3>&1)
	[ "$rc" = 0 ] || fail "memrun exited $rc, expected the job's 0"
	expect_json "r['outcome'] == 'exited' and r['exit_code'] == 0"
}

test_signal_during_the_clean_up_does_not_lose_the_report() {
	needs_native_memrun "starts memrun, under strace here too, too slowly for the 0.8 s after which this test expects it held in its clean-up" || return
	command -v strace >/dev/null || { skip "strace is not installed: it alone can hold memrun in its clean-up"; return; }
	needs_cgroup || return	# the rmdir of the job's cgroup holds memrun
	local tracer pid
	# The job has ended; memrun is held in its clean-up (rmdir of the
	# job's cgroup, or the kernel log) when a second Ctrl-C or a
	# systemctl stop arrives: the report is still written.
	ASAN_OPTIONS=$ASAN_OPTIONS:detect_leaks=0 strace -f -qq -o /dev/null \
		-e inject=unlinkat,rmdir:delay_enter=1500000 \
		"$MEMRUN" -q --report "$report" -- true >"$out" 2>"$err" </dev/null &
	tracer=$!
	sleep 0.8
	pid=$(pgrep -P "$tracer" | head -1)
	if [ -z "$pid" ] || ! kill -TERM "$pid"; then
		fail "memrun was not held in its clean-up 0.8 s after the start"
	fi
	wait "$tracer"
	status=$?
	# The job's status (0), not the signal's: the job had ended.
	expect_status 0
	expect_json "r['outcome'] == 'exited' and r['exit_code'] == 0"
}

test_forged_kernel_log_record_is_not_an_oom_kill() {
	[ -w /dev/kmsg ] || { skip "/dev/kmsg is not writable here: no record can be forged"; return; }
	needs_cgroup || return
	head -c 0 /dev/kmsg 2>/dev/null || { skip "/dev/kmsg is not readable here"; return; }
	# A root job makes a cgroup below its own (so that memrun reads the
	# kernel log), writes an oom-kill record naming itself there, then
	# dies of kill -9: still a kill -9, not an OOM kill.
	run_memrun --report "$report" -- sh -c '
		v1=$(sed -n "s/^[0-9]*:[^:]*memory[^:]*://p" /proc/self/cgroup)
		if [ -n "$v1" ]; then cg=$v1; dir=/sys/fs/cgroup/memory$cg
		else cg=$(sed -n "s/^0:://p" /proc/self/cgroup); dir=/sys/fs/cgroup$cg; fi
		mkdir "$dir/sub" && rmdir "$dir/sub" || exit 3
		printf "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=%s,task_memcg=%s,task=sh,pid=%d,uid=0\n" \
			"$cg" "$cg" $$ >/dev/kmsg || exit 4
		kill -9 $$'
	expect_status 137
	expect_json "r['outcome'] == 'signaled' and r['main_oom_killed'] is not True"
	expect_no_err "OOM-killed"
}

run_tests
