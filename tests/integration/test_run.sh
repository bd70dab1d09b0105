#!/usr/bin/env bash
# The job runs as if memrun were not there: exit statuses, signals, stdin and
# stdout, environment, file descriptors, arguments.
source "$(dirname "$0")/lib.sh"

test_exit_statuses_pass_through() {
	local code
	for code in 0 3 255; do
		run_memrun --report "$report" -- sh -c "exit $code"
		expect_status "$code"
		expect_err "memrun: sh exited $code after"
		expect_json "r['outcome'] == 'exited' and r['exit_code'] == $code and r['signal'] is None"
	done
}

test_signaled_job_is_128_plus_signal() {
	run_memrun --report "$report" -- sh -c 'kill -TERM $$'
	expect_status 143
	expect_err "memrun: sh was killed by SIGTERM after"
	expect_json "r['outcome'] == 'signaled' and r['signal'] == 15 and r['exit_code'] is None"
}

test_kill_9_by_a_user_is_signaled_not_oom() {
	run_memrun --report "$report" -- sh -c 'kill -KILL $$'
	expect_status 137
	expect_json "r['outcome'] == 'signaled' and r['signal'] == 9 and r['main_oom_killed'] is not True"
}

test_command_not_found_is_127() {
	run_memrun --report "$report" -- memrun-no-such-command
	expect_status 127
	expect_err "'memrun-no-such-command': command not found"
	expect_json "r['outcome'] == 'failed-to-start' and r['exit_code'] is None and 'not found' in r['error']"
	run_memrun -- "$WORK/missing/prog"
	expect_status 127
	expect_err "no such file"
}

test_not_executable_is_126() {
	printf 'data\n' >"$WORK/plain"
	chmod 644 "$WORK/plain"
	run_memrun -- "$WORK/plain"
	expect_status 126
	expect_err "permission denied"
	run_memrun -- "$WORK"
	expect_status 126
}

test_first_non_option_ends_options() {
	run_memrun ls -d /
	expect_status 0
	expect_out "/"
	run_memrun -q sh -c 'echo "$0 $1"' -q --as
	expect_status 0
	expect_out "-q --as"
}

test_stdin_and_stdout_pass_through() {
	head -c 1000000 /dev/urandom >"$WORK/blob"
	"$MEMRUN" -q -- cat <"$WORK/blob" >"$WORK/blob.out" 2>"$err"
	status=$?
	expect_status 0
	expect "binary stdin reaches stdout intact" cmp -s "$WORK/blob" "$WORK/blob.out"
	[ -s "$err" ] && fail "-q still wrote to stderr: $(cat "$err")"
	echo hello | "$MEMRUN" -q -- sh -c 'read x; echo "got $x"; echo oops >&2' >"$out" 2>"$err"
	expect_out "got hello"
	expect_err "oops"
}

test_environment_is_unchanged() {
	needs_native_memrun environment || return
	# '_' is the shell's note of the program it started, not the caller's.
	env -0 | grep -zv '^_=' | sort -z >"$WORK/env.direct"
	"$MEMRUN" -q --no-probe -- env -0 2>/dev/null | grep -zv '^_=' | sort -z >"$WORK/env.memrun"
	expect "the job's environment equals the caller's" cmp -s "$WORK/env.direct" "$WORK/env.memrun"
	# With the probe: only what it needs, the caller's LD_PRELOAD kept after it.
	# (verify_asan_link_order=0 first, so that a memrun built with ASan starts
	# behind a caller's LD_PRELOAD; memrun moves it to the end.)
	local asan=verify_asan_link_order=0:detect_leaks=0
	ASAN_OPTIONS=$asan LD_PRELOAD=libc.so.6 "$MEMRUN" -q -- env -0 2>/dev/null | grep -zv '^_=' | sort -z >"$WORK/env.memrun"
	ASAN_OPTIONS=$asan LD_PRELOAD=libc.so.6 env -0 | grep -zv '^_=' | sort -z >"$WORK/env.direct"
	diff <(tr '\0' '\n' <"$WORK/env.direct") <(tr '\0' '\n' <"$WORK/env.memrun") |
		grep '^[<>]' | sed 's/=.*//' | sort -u >"$WORK/env.diff"
	[ "$(tr '\n' ' ' <"$WORK/env.diff")" = "< ASAN_OPTIONS < LD_PRELOAD > ASAN_OPTIONS > LD_PRELOAD > MEMRUN_PROBE " ] ||
		fail "with the probe the environment differs in: $(tr '\n' ' ' <"$WORK/env.diff")"
	"$MEMRUN" -q -- printenv LD_PRELOAD >"$out" 2>&1
	LD_PRELOAD=libc.so.6 "$MEMRUN" -q -- printenv LD_PRELOAD >"$out" 2>&1
	grep -qE '^/.*libmemrun-probe\.so:libc\.so\.6$' "$out" || fail "LD_PRELOAD in the job: $(cat "$out")"
}

test_glibc_tunables_merge_keeps_the_callers() {
	GLIBC_TUNABLES=glibc.malloc.arena_max=8:glibc.rtld.nns=2:glibc.malloc.perturb=7 \
		run_memrun -q --malloc arena_max=2 --malloc tcache_count=0 -- printenv GLIBC_TUNABLES
	expect_status 0
	expect_out "glibc.malloc.arena_max=2:glibc.rtld.nns=2:glibc.malloc.perturb=7:glibc.malloc.tcache_count=0"
	run_memrun -q --malloc mmap_threshold=128K -- printenv GLIBC_TUNABLES
	expect_out "glibc.malloc.mmap_threshold=131072"
}

test_malloc_tuning_reaches_glibc() {
	# perturb fills fresh malloc memory with ~N: glibc really applied it.
	# 4000 bytes: past the thread cache, whose reused chunks are not filled.
	run_memrun -q --malloc perturb=165 -- python3 -c '
import ctypes
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
p = libc.malloc(4000)
print(ctypes.string_at(p, 4).hex())'
	expect_status 0
	expect_out "5a5a5a5a"
}

test_no_file_descriptor_leaks_into_the_job() {
	needs_native_memrun fds || return
	# The caller's own descriptors are the caller's business: they pass,
	# and nothing of memrun's (report file, signalfd, epoll, pipes) joins them.
	local direct
	direct=$("$HELPERS/fdlist" 7</dev/null | tr '\n' ' ')
	case " $direct " in *" 7 "*) ;; *) fail "fd 7 not open in the direct run: $direct" ;; esac
	"$MEMRUN" --report "$report" -- "$HELPERS/fdlist" 7</dev/null >"$out" 2>"$err"
	status=$?
	expect_status 0
	[ "$(tr '\n' ' ' <"$out")" = "$direct" ] ||
		fail "job saw fds '$(tr '\n' ' ' <"$out")', caller has '$direct'"
}

test_a_thousand_arguments_arrive_intact() {
	local args=() i
	for ((i = 0; i < 1000; i++)); do
		args+=("arg $i \"q\" 'x' \$HOME * ")
	done
	args+=("" $'line\nbreak' "ünïcødé" "-p" "--as")
	printf '%s\0' "${args[@]}" >"$WORK/args.direct"
	"$MEMRUN" -q -- printf '%s\0' "${args[@]}" >"$WORK/args.memrun"
	expect "1005 arguments passed byte for byte" cmp -s "$WORK/args.direct" "$WORK/args.memrun"
}

test_sigterm_and_friends_are_forwarded_once() {
	local rec=$WORK/signals pid sig
	"$MEMRUN" -q -- "$HELPERS/sigrecord" "$rec" 2>"$err" &
	pid=$!
	for _ in $(seq 100); do [ -e "$rec.ready" ] && break; sleep 0.05; done
	for sig in HUP INT QUIT USR1 USR2 WINCH ALRM CONT; do
		kill -s "$sig" "$pid"
		sleep 0.05
	done
	kill -s TERM "$pid"
	wait "$pid"
	status=$?
	expect_status 0
	[ "$(tr '\n' ' ' <"$rec")" = "HUP INT QUIT USR1 USR2 WINCH ALRM CONT TERM " ] ||
		fail "job received: $(tr '\n' ' ' <"$rec")"
}

test_sigterm_to_memrun_ends_a_sleeping_job() {
	local pid
	"$MEMRUN" --report "$report" -- sleep 100 2>"$err" &
	pid=$!
	# Once the job runs, memrun has its signals in hand (a fixed sleep
	# would be a guess at how long a start takes).
	for _ in $(seq 200); do pgrep -P "$pid" sleep >/dev/null && break; sleep 0.05; done
	kill -TERM "$pid"
	wait "$pid"
	status=$?
	expect_status 143
	expect_err "sleep was killed by SIGTERM"
	expect_json "r['outcome'] == 'signaled' and r['signal'] == 15"
}

test_job_dies_when_memrun_is_killed() {
	local pid job
	"$MEMRUN" -q -- sleep 100 &
	pid=$!
	for _ in $(seq 50); do job=$(pgrep -P "$pid" sleep) && break; sleep 0.05; done
	[ -n "$job" ] || { fail "no job process found"; return; }
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$job" 2>/dev/null || break; sleep 0.05; done
	if kill -0 "$job" 2>/dev/null; then
		fail "job $job outlived memrun"
		kill -KILL "$job"
	fi
}

test_supervisor_sleeps_while_the_job_sleeps() {
	expect_no_wakeups
}

test_orphans_are_reaped() {
	run_memrun -q -- sh -c 'sleep 0.2 & exit 0'
	expect_status 0
}

run_tests
