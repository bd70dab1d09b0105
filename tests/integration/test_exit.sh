#!/usr/bin/env bash
# How memrun ends: the job's exit status, or by its signal, as sudo and
# timeout do, or 128+N as PID 1; 125 when the report is lost at the end or
# stdout cannot be written; and with fds 0-2 closed by the caller, nothing
# of memrun's takes their place.
source "$(dirname "$0")/lib.sh"

# The status a Python parent sees: negative for a death by a signal.
python_status() {
	"$PYTHON" -c 'import subprocess, sys
print(subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode)' "$@"
}

# The fds among 0, 1 and 2 that the job has open, on stderr.
open_std_fds='o=; for fd in 0 1 2; do [ -e /proc/$$/fd/$fd ] && o="$o$fd "; done; echo "open: $o" >&2'

test_python_parent_sees_the_jobs_signal() {
	[ "$(python_status "$MEMRUN" -q -- sh -c 'kill -TERM $$')" = -15 ] ||
		fail "SIGTERM: $(python_status "$MEMRUN" -q -- sh -c 'kill -TERM $$'), expected -15"
	[ "$(python_status "$MEMRUN" -q -- sh -c 'kill -KILL $$')" = -9 ] ||
		fail "SIGKILL: $(python_status "$MEMRUN" -q -- sh -c 'kill -KILL $$'), expected -9"
	[ "$(python_status "$MEMRUN" -q -- sh -c 'exit 3')" = 3 ] || fail "exit 3 did not pass"
}

test_shell_still_sees_128_plus_the_signal_and_the_report_is_written() {
	run_memrun --report "$report" -- sh -c 'kill -TERM $$'
	expect_status 143
	expect_err "sh was killed by SIGTERM"
	expect_json "r['outcome'] == 'signaled' and r['signal'] == 15 and r['memrun_exit_status'] == 143"
}

test_memrun_dies_of_a_core_signal_without_dumping_core() {
	# memrun may dump core here (RLIMIT_CORE as high as it goes, in
	# $WORK); the job may not, so that it leaves no core file behind.
	(
		cd "$WORK" || exit 1
		ulimit -c unlimited 2>/dev/null || ulimit -c "$(ulimit -H -c)"
		"$PYTHON" - "$MEMRUN" <<'PY'
import os, subprocess, sys
p = subprocess.Popen([sys.argv[1], "-q", "--", "sh", "-c", "ulimit -c 0; kill -SEGV $$"])
_, st = os.waitpid(p.pid, 0)
sig = os.WTERMSIG(st) if os.WIFSIGNALED(st) else None
print(f"signal {sig} core {os.WCOREDUMP(st)} exit {os.waitstatus_to_exitcode(st)}")
PY
	) >"$out" 2>"$err"
	expect_out "signal 11 core False"
}

test_as_pid_1_memrun_exits_128_plus_the_signal() {
	needs_native_memrun "carries out a signal's default action itself and aborts when memrun, as PID 1, lives through the signal it re-raises" || return
	unshare -pf --mount-proc true 2>/dev/null ||
		{ skip "no PID namespace can be made here (unshare -pf needs root)"; return; }
	local status_pid1 status_child
	# unshare passes a death of its child by a signal on as its own...
	status_child=$(python_status unshare -f "$MEMRUN" -q -- sh -c 'kill -TERM $$')
	[ "$status_child" = -15 ] || fail "under unshare -f: $status_child, expected -15"
	# ...so 143 here is memrun's exit code: as PID 1 it cannot die of it.
	status_pid1=$(python_status unshare -pf --mount-proc "$MEMRUN" -q -- sh -c 'kill -TERM $$')
	[ "$status_pid1" = 143 ] || fail "as PID 1: $status_pid1, expected 143"
}

test_closed_stderr_keeps_the_summary_out_of_the_report() {
	"$MEMRUN" --report "$report" -- true 2>&-
	status=$?
	expect_status 0
	expect_json "r['outcome'] == 'exited'"
	"$MEMRUN" --report "$report" -- true >&- 2>&- <&-
	status=$?
	expect_status 0
	expect_json "r['outcome'] == 'exited'"
}

test_the_job_sees_the_fds_the_caller_closed() {
	needs_native_memrun fds || return
	local redirect direct via
	for redirect in '<&-' '>&-' '<&- >&-'; do
		direct=$(eval "sh -c '$open_std_fds' $redirect" 2>&1)
		via=$(eval "\"\$MEMRUN\" -q -- sh -c '$open_std_fds' $redirect" 2>&1)
		[ "$via" = "$direct" ] || fail "with $redirect the job had $via, directly $direct"
	done
	# stderr closed: the job tells through stdout.
	direct=$(sh -c "${open_std_fds%>&2}" 2>&-)
	via=$("$MEMRUN" -q -- sh -c "${open_std_fds%>&2}" 2>&-)
	[ "$via" = "$direct" ] || fail "with 2>&- the job had $via, directly $direct"
}

test_report_lost_at_the_end_is_125_with_the_jobs_status() {
	mkdir "$WORK/gone"
	run_memrun -q --report "$WORK/gone/report.json" -- rm -r "$WORK/gone"
	expect_status 125
	expect_err "cannot write the report to '$WORK/gone/report.json'"
	expect_err "the job exited 0"

	run_memrun -q --report "$report" -- sh -c 'mkdir "$1"; exit 3' sh "$report"
	expect_status 125
	expect_err "Is a directory; the job exited 3"
	rmdir "$report"

	# Not a death by the job's signal either: memrun's own failure wins.
	run_memrun -q --report "$report" -- sh -c 'mkdir "$1"; kill -TERM $$' sh "$report"
	expect_status 125
	expect_err "the job was killed by SIGTERM"
	rmdir "$report"
	[ -z "$(ls -A "$WORK" | grep '^\.report')" ] || fail "temp files left: $(ls -A "$WORK")"
}

test_report_whose_directory_the_job_moved_is_125() {
	# Not written into the moved directory, where nobody looks, with 0.
	mkdir "$WORK/rd"
	run_memrun -q --report "$WORK/rd/report.json" -- mv "$WORK/rd" "$WORK/rd2"
	expect_status 125
	expect_err "cannot write the report to '$WORK/rd/report.json'"
	expect_err "now '$WORK/rd2'"
	expect_err "the job exited 0"
	[ -z "$(ls -A "$WORK/rd2")" ] || fail "left in the moved directory: $(ls -A "$WORK/rd2")"
	# Another directory in its place is not the one it was prepared in.
	run_memrun -q --report "$WORK/rd2/report.json" -- \
		sh -c 'mv "$1/rd2" "$1/rd3" && mkdir "$1/rd2" && exit 4' sh "$WORK"
	expect_status 125
	expect_err "the job exited 4"
	[ -z "$(ls -A "$WORK/rd2")$(ls -A "$WORK/rd3")" ] ||
		fail "a report or temp file left: $(ls -A "$WORK/rd2" "$WORK/rd3")"
	# A directory moved away and back is where it was: written.
	run_memrun -q --report "$WORK/rd3/report.json" -- \
		sh -c 'mv "$1/rd3" "$1/rd4" && mv "$1/rd4" "$1/rd3"' sh "$WORK"
	expect_status 0
	expect_json "r['outcome'] == 'exited'" "$WORK/rd3/report.json"
}

test_stdout_that_cannot_be_written_is_an_error() {
	needs_native_memrun fds || return
	[ -c /dev/full ] || { skip "no /dev/full"; return; }
	local args
	: >"$out"
	for args in "--help" "--version" "--dry-run -- true" "profiles list" "doctor"; do
		# shellcheck disable=SC2086
		"$MEMRUN" $args >/dev/full 2>"$err"
		status=$?
		[ "$status" = 125 ] || fail "memrun $args >/dev/full: status $status, expected 125"
		expect_err "No space left on device"
	done
	# A closed stdout is no place to write to either.
	"$MEMRUN" --help >&- 2>"$err"
	status=$?
	expect_status 125
	expect_err "cannot write to standard output"
}

test_a_reader_that_went_away_is_no_error() {
	# As util-linux decides: with SIGPIPE ignored, EPIPE is not a failure
	# (the reader had what it wanted).  The pipe's read end is closed
	# before memrun writes, so that it is EPIPE for certain.
	"$PYTHON" - "$MEMRUN" >"$out" 2>"$err" <<'PY'
import os, signal, subprocess, sys
r, w = os.pipe()
os.close(r)
p = subprocess.run([sys.argv[1], "--help"], stdout=w, restore_signals=False,
                   preexec_fn=lambda: signal.signal(signal.SIGPIPE, signal.SIG_IGN))
print("status", p.returncode)
PY
	expect_out "status 0"
}

run_tests
