# Shared by tests/integration/test_*.sh: source it, define test_* functions,
# then call run_tests.  Each test runs the real build/memrun on real programs.
#
#   run_memrun ARGS...     runs memrun; sets $status, files $out and $err
#   expect_status N        the exit status memrun returned
#   expect_err 'text'      stderr contains text (fixed string)
#   expect_out 'text'      stdout contains text
#   expect_json 'EXPR'     Python expression over the report r is true
#   expect 'what' CMD...   CMD succeeds
#   skip 'why'             the machine lacks something: say so loudly
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=$TOP/${MEMRUN_BUILD:-build}
# make check VALGRIND=1: memrun runs under valgrind's memcheck, through the
# wrapper the Makefile writes beside it (tests/valgrind.sh).
VALGRIND=${MEMRUN_VALGRIND:-0}
if [ "$VALGRIND" = 1 ]; then
	MEMRUN=${MEMRUN:-$BUILD_DIR/memcheck/memrun}
	# The program file, for tests that copy or inspect it (run natively).
	MEMRUN_PROGRAM=$BUILD_DIR/memrun
else
	MEMRUN=${MEMRUN:-$BUILD_DIR/memrun}
	MEMRUN_PROGRAM=$MEMRUN
fi
# memrun_in DIR: the memrun a test runs of the build in DIR (the site
# build's), under memcheck as $MEMRUN is.
memrun_in() {
	if [ "$VALGRIND" = 1 ]; then
		echo "$1/memcheck/memrun"
	else
		echo "$1/memrun"
	fi
}
HELPERS=$BUILD_DIR/tests/helpers
# memrun built with AddressSanitizer cannot start under an RLIMIT_AS.
SANITIZED=${MEMRUN_SANITIZED:-0}
# Leaks in memrun fail the run; allocation failures are the tests' subject.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1:verify_asan_link_order=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/memrun-test.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
out=$WORK/stdout
err=$WORK/stderr
report=$WORK/report.json
status=0

# The interpreter itself, not a wrapper script that finds it (a version
# manager's shim starts dozens of processes per call).
PYTHON=$(python3 -c 'import sys; print(sys.executable)')
export PATH=$(dirname "$PYTHON"):$PATH

# Only the project's profiles, never the user's or the system's.
export MEMRUN_PROFILE_PATH=$TOP/profiles
export HOME=$WORK/home
mkdir -p "$HOME"

_failed=0
_skipped=""

fail() {
	echo "#   FAIL: $*"
	_failed=1
}

skip() {
	_skipped=$*
}

run_memrun() {
	# memrun dies by its job's signal: no "Killed" notice from bash here.
	{ "$MEMRUN" "$@" >"$out" 2>"$err" </dev/null; } 2>/dev/null
	status=$?
}

show_output() {
	echo "#   stdout: $(head -c 2000 "$out" | sed 's/^/#     /')"
	echo "#   stderr: $(head -c 2000 "$err" | sed 's/^/#     /')"
}

expect_status() {
	if [ "$status" -ne "$1" ]; then
		fail "exit status $status, expected $1"
		show_output
	fi
}

expect_err() {
	grep -qF -- "$1" "$err" || { fail "stderr lacks '$1'"; show_output; }
}

expect_no_err() {
	! grep -qF -- "$1" "$err" || { fail "stderr has '$1'"; show_output; }
}

expect_out() {
	grep -qF -- "$1" "$out" || { fail "stdout lacks '$1'"; show_output; }
}

expect_json() {
	local file=${2:-$report}
	"$PYTHON" - "$file" "$1" <<'PY' || fail "report: $1 is not true"
import json, sys
path, expr = sys.argv[1], sys.argv[2]
try:
    r = json.load(open(path))
except Exception as e:
    print(f"#   report {path} is not JSON: {e}")
    sys.exit(1)
ok = eval(expr, {"r": r})
if not ok:
    print("#   report: " + json.dumps(r)[:1500])
sys.exit(0 if ok else 1)
PY
}

expect() {
	local what=$1
	shift
	"$@" || fail "$what"
}

# memrun ARGS... runs a job that sleeps; once memrun waits for it, memrun must
# not wake up for a second.
expect_no_wakeups() {
	local pid job before after
	"$MEMRUN" -q "$@" -- sleep 60 &
	pid=$!
	# Measure from the moment memrun has started the job and waits in
	# epoll, not after a fixed delay: under valgrind or a loaded CI machine
	# its start-up can take longer than any guess.
	job=
	for _ in $(seq 300); do
		job=$(pgrep -P "$pid" -x sleep)
		[ -n "$job" ] && grep -q epoll "/proc/$pid/wchan" 2>/dev/null && break
		job=
		sleep 0.1
	done
	if [ -z "$job" ]; then
		fail "memrun did not start the job and wait for it within 30 s"
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		return
	fi
	before=$(awk '/ctxt_switches/ {s += $2} END {print s}' "/proc/$pid/status")
	sleep 1
	after=$(awk '/ctxt_switches/ {s += $2} END {print s}' "/proc/$pid/status")
	kill -TERM "$job"
	wait "$pid" 2>/dev/null
	[ -n "$before" ] && [ "$before" = "$after" ] ||
		fail "memrun woke up while the job slept: context switches $before -> $after"
}

# Where memrun puts a job's cgroup on this machine, from a report: sets
# $version (1, 2, or empty when it can make none), $job_parent (memrun's
# own cgroup, where job cgroups go) and $cgroup_error (why none).
probe_job_cgroup() {
	local probe=$WORK/probe.json
	version= job_parent= cgroup_error="memrun's probe run wrote no report"
	"$MEMRUN" -q --report "$probe" -- true
	[ -s "$probe" ] || return 0
	eval "$("$PYTHON" - "$probe" <<'PY'
import json, os, shlex, sys
c = json.load(open(sys.argv[1]))["cgroup"]
print("version=" + shlex.quote(str(c["version"] or "")))
print("job_parent=" + shlex.quote(os.path.dirname(c["path"]) if c["path"] else ""))
print("cgroup_error=" + shlex.quote(c["error"] or ""))
PY
)"
}

# Whether this machine lets the tests make a memory cgroup, asked of the
# kernel, not of memrun: a child of the test's own memory cgroup (v1's
# memory hierarchy, or v2 with the memory controller) that mkdir creates.
machine_has_memory_cgroup() {
	local own dir probe
	own=$(sed -n 's/^[0-9]*:[^:]*\bmemory\b[^:]*://p' /proc/self/cgroup | head -1)
	if [ -n "$own" ] && [ -e "/sys/fs/cgroup/memory$own/memory.limit_in_bytes" ]; then
		dir=/sys/fs/cgroup/memory$own
	else
		own=$(sed -n 's/^0:://p' /proc/self/cgroup)
		dir=/sys/fs/cgroup${own%/}
		grep -qw memory "$dir/cgroup.controllers" 2>/dev/null || return 1
	fi
	probe=$dir/memrun-test-probe-$$
	mkdir "$probe" 2>/dev/null || return 1
	rmdir "$probe"
}

# A cgroup test skips only where the machine has no memory cgroup to give:
# where it has one and memrun made none, that is memrun's failure.
needs_cgroup() {
	[ -n "${version:-}" ] && return 0
	if [ "${MEMRUN_IN_VM:-0}" = 1 ] || machine_has_memory_cgroup; then
		fail "memrun made no cgroup for the job although this machine has one: ${cgroup_error:-}"
		return 1
	fi
	skip "this machine gives the tests no memory cgroup: ${cgroup_error:-}"
	return 1
}

# write_root_file PATH LINE...: PATH holds the lines, owned by root and
# mode 0644, as memrun demands of the administrator's files.
write_root_file() {
	local path=$1
	shift
	printf '%s\n' "$@" >"$path"
	chown root:root "$path"
	chmod 0644 "$path"
}

# The administrator's files of the site build's SYSCONFDIR, for the
# tests that set POLICY (its policy.conf) and ETC (its memrun directory).
write_policy() {
	write_root_file "$POLICY" "$@"
}

# A root-owned system profile NAME in ETC/profiles.
write_system_profile() {
	local name=$1
	shift
	write_root_file "$ETC/profiles/$name.conf" "$@"
}

# For tests that start memrun itself under an RLIMIT_AS.
needs_unsanitized_memrun() {
	if [ "$SANITIZED" = 1 ]; then
		skip "memrun is built with AddressSanitizer here, which reserves terabytes of address space and cannot start under an RLIMIT_AS (the plain build runs this test)"
		return 1
	fi
	needs_native_memrun "maps its own tool and shadow memory beside memrun, which cannot start under an RLIMIT_AS"
}

# needs_native_memrun WHY: for the tests that mean nothing with memrun under
# valgrind (make check VALGRIND=1), skipped loudly with why; the plain build
# runs them.  WHY is free text, or one of the reasons several tests share.
needs_native_memrun() {
	local why=$1
	[ "$VALGRIND" = 1 ] || return 0
	case $why in
	rlimits) why="applies the job's RLIMIT_AS and RLIMIT_DATA in memrun's child before exec, which is still memcheck's process there: it cannot go on under a small RLIMIT_AS, and keeps RLIMIT_DATA to itself" ;;
	seccomp) why="does not implement the seccomp system call (valgrind 3.19 answers ENOSYS), which libseccomp needs to build the filter of --lock-limits" ;;
	fds) why="opens its log files on fds memrun, and the job after it, then hold: a standard fd the caller closed is open, and the job's fds include memcheck's" ;;
	memory) why="makes memrun itself use about 150 MiB, over the memory limit this test puts memrun under: the kernel OOM-kills memrun" ;;
	environment) why="puts variables of its own in memrun's environment (GLIBCXX_FORCE_NEW, LD_LIBRARY_PATH), which memrun passes on to the job" ;;
	esac
	skip "memrun runs under valgrind here, which $why (the plain build runs this test)"
	return 1
}

run_tests() {
	local t n=0
	for t in $(declare -F | awk '{print $3}' | grep '^test_'); do
		n=$((n + 1))
		_failed=0
		_skipped=""
		rm -f "$out" "$err" "$report"
		"$t"
		if [ -n "$_skipped" ]; then
			echo "skip $n - ${t#test_}: SKIPPED, $_skipped"
		elif [ "$_failed" -eq 0 ]; then
			echo "ok $n - ${t#test_}"
		else
			echo "not ok $n - ${t#test_}"
		fi
	done
}
