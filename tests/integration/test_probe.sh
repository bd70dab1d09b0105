#!/usr/bin/env bash
# "Ran out of memory": refused allocations seen in every dynamically linked
# process of the job, with the cause the numbers show.
source "$(dirname "$0")/lib.sh"

test_c_malloc_until_null_under_rlimit_as() {
	needs_native_memrun rlimits || return
	run_memrun --as 128M --report "$report" -- "$HELPERS/alloc_until_null"
	expect_status 3
	expect_err "alloc_until_null ran out of memory: 1 allocation refused under RLIMIT_AS 128 MiB (largest 1 MiB); exited 3"
	expect_json "r['outcome'] == 'out-of-memory' and r['exit_code'] == 3"
	expect_json "r['alloc_failures']['observed'] and r['alloc_failures']['count'] == 1"
	expect_json "r['alloc_failures']['cause'] == 'rlimit-as' and r['alloc_failures']['largest_bytes'] == 1 << 20"
	expect_json "r['alloc_failures']['first']['function'] == 'malloc' and r['alloc_failures']['first']['comm'] == 'alloc_until_nul'"  # the kernel keeps 15 characters
	expect_json "r['alloc_failures']['first']['rlimit_as_bytes'] == 128 << 20"
	expect_json "r['alloc_failures']['first']['vm_size_bytes'] + (1 << 20) > 128 << 20"
}

test_handled_failure_still_out_of_memory_with_exit_0() {
	needs_native_memrun rlimits || return
	run_memrun --as 128M --report "$report" -- "$HELPERS/alloc_until_null" handle
	expect_status 0
	expect_err "ran out of memory: 1 allocation refused"
	expect_err "; exited 0"
	expect_json "r['outcome'] == 'out-of-memory' and r['exit_code'] == 0"
}

test_cxx_bad_alloc_aborts() {
	run_memrun --as 256M --report "$report" -- "$HELPERS/bad_alloc"
	expect_status 134
	expect_err "ran out of memory: 1 allocation refused under RLIMIT_AS 256 MiB (largest 64 MiB); killed by SIGABRT"
	expect_json "r['outcome'] == 'out-of-memory' and r['signal'] == 6"
}

test_python_memoryerror() {
	run_memrun --as 256M --report "$report" -- python3 -c 'bytearray(400 << 20)'
	expect_status 1
	expect_err "MemoryError"
	expect_err "python3 ran out of memory:"
	expect_json "r['outcome'] == 'out-of-memory' and r['alloc_failures']['cause'] == 'rlimit-as'"
	expect_json "r['alloc_failures']['largest_bytes'] >= 400 << 20"
}

test_java_heap_reservation_refused() {
	command -v java >/dev/null || { fail "java is not installed (scripts/install-deps.sh check)"; return; }
	run_memrun --as 1G --report "$report" -- java -Xmx2g -version
	expect_status 1
	expect_err "java ran out of memory:"
	expect_err "address-space reservation (PROT_NONE)"
	expect_err "--data or --memory-max instead of --as"
	expect_json "r['outcome'] == 'out-of-memory' and r['alloc_failures']['cause'] == 'rlimit-as'"
	expect_json "r['alloc_failures']['largest_bytes'] >= 2 << 30"
	# The gentler limit lets the same JVM start.
	run_memrun -q --data 1G --report "$report" -- java -Xmx256m -version
	expect_status 0
	expect_json "r['outcome'] == 'exited'"
}

test_glibc_arenas_exceed_rlimit_as_and_arena_max_1_fixes_it() {
	# Four idle threads' arenas hold 64 MiB of address space each (as many
	# as fit, made one after another: no timing involved); the main thread's
	# 150 MiB do not fit beside them under 256 MiB, and fit alone.
	run_memrun --as 256M --report "$report" -- "$HELPERS/arenas" 4 150
	expect_status 1
	expect_json "r['outcome'] == 'out-of-memory' and r['alloc_failures']['cause'] == 'rlimit-as'"
	expect_json "r['alloc_failures']['count'] >= 1"
	run_memrun --as 256M --malloc arena_max=1 --report "$report" -- "$HELPERS/arenas" 4 150
	expect_status 0
	expect_json "r['outcome'] == 'exited' and r['alloc_failures']['count'] == 0"
}

test_child_of_a_child_is_counted() {
	needs_native_memrun rlimits || return
	run_memrun --as 128M --report "$report" -- sh -c "sh -c '\"$HELPERS/alloc_until_null\"'; exit 0"
	expect_status 0
	expect_json "r['outcome'] == 'out-of-memory' and r['alloc_failures']['count'] == 1"
	expect_json "r['alloc_failures']['first']['comm'] == 'alloc_until_nul' and r['alloc_failures']['processes'] >= 3"
}

test_fork_without_exec_is_counted() {
	run_memrun --report "$report" -- "$HELPERS/fork_then_fail"
	expect_status 3
	expect_json "r['outcome'] == 'out-of-memory' and r['alloc_failures']['count'] == 1"
	expect_json "r['alloc_failures']['first']['pid'] != r['main_pid']"
}

test_program_that_closes_all_fds_is_counted() {
	run_memrun --report "$report" -- "$HELPERS/close_fds_then_fail"
	expect_status 3
	expect_json "r['outcome'] == 'out-of-memory' and r['alloc_failures']['largest_bytes'] == 1 << 40"
}

test_statically_linked_program_is_not_observed() {
	needs_native_memrun rlimits || return
	run_memrun --as 128M --report "$report" -- "$HELPERS/static_alloc_until_null"
	expect_status 3
	expect_err "allocations not observed: $HELPERS/static_alloc_until_null is statically linked"
	expect_json "r['alloc_failures']['observed'] is False and 'statically linked' in r['alloc_failures']['not_observed_reason']"
	expect_json "r['outcome'] == 'exited'"
}

test_no_probe_observes_nothing() {
	run_memrun --no-probe --as 128M --report "$report" -- "$HELPERS/alloc_until_null"
	expect_status 3
	expect_json "r['alloc_failures']['observed'] is False and r['alloc_failures']['count'] is None"
	expect_json "r['outcome'] == 'exited'"
}

test_fragmentation_is_diagnosed() {
	run_memrun --as 140M --malloc mmap_threshold=32M --report "$report" -- "$HELPERS/fragment"
	expect_status 3
	expect_err "the heap was fragmented"
	expect_err "--malloc mmap_threshold="
	expect_json "r['alloc_failures']['cause'] == 'fragmentation' and r['alloc_failures']['first']['bytes'] == 16 << 20"
	expect_json "r['alloc_failures']['first']['heap_free_bytes'] >= 16 << 20"
	# With room to grow, the same program is not diagnosed at all.
	run_memrun -q --as 512M --malloc mmap_threshold=32M --report "$report" -- "$HELPERS/fragment"
	expect_status 0
	expect_json "r['outcome'] == 'exited' and r['alloc_failures']['count'] == 0"
}

test_commit_limit_in_overcommit_mode_2() {
	if [ "${MEMRUN_IN_VM:-}" != 1 ]; then
		skip "runs in the VM suite (make check-vm): it sets vm.overcommit_memory=2, never on a host"
		return
	fi
	local mode ratio
	mode=$(cat /proc/sys/vm/overcommit_memory)
	ratio=$(cat /proc/sys/vm/overcommit_ratio)
	echo 2 >/proc/sys/vm/overcommit_memory
	echo 50 >/proc/sys/vm/overcommit_ratio
	run_memrun --report "$report" -- python3 -c 'bytearray(400 << 20)'
	echo "$mode" >/proc/sys/vm/overcommit_memory
	echo "$ratio" >/proc/sys/vm/overcommit_ratio
	expect_status 1
	expect_err "by the kernel's commit limit (vm.overcommit_memory=2: Committed_AS"
	expect_json "r['outcome'] == 'out-of-memory' and r['alloc_failures']['cause'] == 'commit-limit'"
	expect_json "r['alloc_failures']['first']['commit_limit_bytes'] < r['alloc_failures']['first']['committed_as_bytes'] + (400 << 20)"
}

test_probe_changes_nothing_a_program_sees() {
	local direct
	direct=$("$HELPERS/errno_kept")
	run_memrun -q -- "$HELPERS/errno_kept"
	expect_status 0
	[ "$(cat "$out")" = "$direct" ] || fail "output under the probe: '$(cat "$out")', without: '$direct'"
	expect_out "errno checks passed, 50 refusals in a signal handler"
}

test_asan_built_programs_run_under_the_probe() {
	# ASan wants its runtime first; the probe comes first: memrun tells it
	# so (verify_asan_link_order=0), the caller's other options kept.
	ASAN_OPTIONS=detect_leaks=0 run_memrun -q --report "$report" -- "$HELPERS/asan_overflow" ok
	expect_status 0
	expect_out "asan ok"
	ASAN_OPTIONS=detect_leaks=0 run_memrun -q -- printenv ASAN_OPTIONS
	expect_out "detect_leaks=0:verify_asan_link_order=0"
	# ASan still does its job inside the job.
	run_memrun -q -- "$HELPERS/asan_overflow"
	[ "$status" -ne 0 ] || fail "the heap overflow went unnoticed"
	expect_err "AddressSanitizer: heap-buffer-overflow"
}

# ---- the region under another pid namespace's /proc ----------------------

needs_pid_namespaces() {
	unshare --pid --fork --mount-proc true 2>/dev/null && return
	skip "cannot create pid and mount namespaces here (unshare --pid --fork --mount-proc: CAP_SYS_ADMIN)"
	return 1
}

# PID 1 of an outer pid namespace with its own /proc: a canary holding a
# FIFO (O_PATH) at every fd number below 200, that runs COMMAND and writes
# to $WORK/canary whether anyone opened the FIFO meanwhile (an open of a
# FIFO or a device has effects: here a reader appears).
run_under_canary() {
	rm -f "$WORK/fifo" "$WORK/canary"
	mkfifo "$WORK/fifo"
	cat >"$WORK/canary.py" <<'PY'
import ctypes, os, select, subprocess, sys
fifo, verdict, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
libc = ctypes.CDLL(None, use_errno=True)
watch = libc.inotify_init1(os.O_CLOEXEC | os.O_NONBLOCK)
os.dup2(watch, 200, inheritable=False)
path = os.open(fifo, os.O_PATH | os.O_CLOEXEC)
os.dup2(path, 201, inheritable=False)
if libc.inotify_add_watch(200, fifo.encode(), 0x20) < 0:  # IN_OPEN
    sys.exit("canary: inotify_add_watch failed")
for n in range(3, 200):
    os.dup2(201, n, inheritable=False)
status = subprocess.run(cmd, stdin=subprocess.DEVNULL).returncode
with open(verdict, "w") as f:
    f.write("opened\n" if select.select([200], [], [], 0)[0] else "untouched\n")
sys.exit(status if status >= 0 else 128 - status)
PY
	{ unshare --pid --fork --mount-proc "$PYTHON" "$WORK/canary.py" "$WORK/fifo" \
		"$WORK/canary" "$@" >"$out" 2>"$err" </dev/null; } 2>/dev/null
	status=$?
}

# memrun as PID 1 of a pid namespace under the /proc of the enclosing one
# (unshare -pf without --mount-proc, a container runtime mounting the
# host's /proc): /proc/1 there is the canary, not memrun.  The refusal is
# still counted, through memrun's pid as that /proc numbers it, and the
# probe never opens what /proc/1/fd/N is.
test_pid_namespace_under_an_enclosing_proc() {
	needs_native_memrun rlimits || return
	needs_pid_namespaces || return
	run_under_canary unshare --pid --fork "$MEMRUN" --as 128M --report "$report" -- \
		"$HELPERS/alloc_until_null"
	[ "$(cat "$WORK/canary" 2>/dev/null)" = untouched ] ||
		fail "a process of the job opened another process's fd: the canary's FIFO was $(cat "$WORK/canary" 2>/dev/null || echo "not reported on")"
	expect_status 3
	expect_err "alloc_until_null ran out of memory: 1 allocation refused under RLIMIT_AS 128 MiB"
	expect_json "r['outcome'] == 'out-of-memory' and r['alloc_failures']['count'] == 1"
}

# A process whose MEMRUN_PROBE names another process's fd (as in a job
# that mounted a /proc of its own): /proc/1/fd/N is the canary's FIFO.
# Without the region's identity (a bare path) or with another identity,
# the probe opens nothing and only forwards calls.
test_probe_opens_nothing_but_the_region() {
	needs_pid_namespaces || return
	run_under_canary sh -c '
		for value in /proc/1/fd/5 /proc/1/fd/5:1:1 /proc/1/fd/5:$(stat -L -c "%d:%i" /proc/1/fd/5); do
			MEMRUN_PROBE=$value LD_PRELOAD=$0 sh -c "exit 0" || exit 1
		done
		echo probed' "$BUILD_DIR/libmemrun-probe.so"
	expect_status 0
	expect_out "probed"
	[ "$(cat "$WORK/canary" 2>/dev/null)" = untouched ] ||
		fail "the probe opened another process's fd: the canary's FIFO was $(cat "$WORK/canary" 2>/dev/null || echo "not reported on")"
}

# memrun where /proc does not show it (a /proc of a pid namespace memrun is
# not in): the probe could not reach the region, and the report says so
# rather than "the main program never reported".
test_proc_without_memrun_says_why() {
	needs_native_memrun rlimits || return
	needs_pid_namespaces || return
	if [ "$SANITIZED" = 1 ]; then
		skip "memrun is built with the sanitizers here, which read their options and memrun's threads from /proc (LeakSanitizer fails at exit without it); the plain build runs this test"
		return
	fi
	{ unshare --mount --propagation private sh -c \
		'unshare --pid --fork mount -t proc proc /proc && exec "$@"' sh \
		"$MEMRUN" --as 128M -- "$HELPERS/alloc_until_null" >"$out" 2>"$err" </dev/null; } 2>/dev/null
	status=$?
	expect_status 3
	expect_err "allocations not observed: memrun is not visible in /proc (not mounted, or of a pid namespace memrun is not in): the probe cannot reach its shared memory region"
	expect_no_err "never reported"
}

run_tests
