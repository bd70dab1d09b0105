#!/usr/bin/env bash
# Run memrun's tests and end with one line: "N passed, N failed, N skipped".
#   tests/run.sh [unit|integration|systemd]...   (default: unit integration)
# Unit tests are the cmocka programs $MEMRUN_BUILD/tests/test_* (default
# build/; build/sanitize/ for 'make check SANITIZE=1'); integration tests
# are tests/integration/test_*.sh, which print "ok", "not ok" or "skip" lines,
# and so are tests/systemd/test_*.sh, which need the VM's systemd boot
# (tests/vm/run-in-vm.sh --systemd).
# A test file still running after MEMRUN_TEST_TIMEOUT seconds (default
# 1200) is killed and counted as a failure: a hang must not stall CI.  So is
# one that exits non-zero, or prints none of those lines (asserts nothing).
# With MEMRUN_VALGRIND=1 ('make check VALGRIND=1') the unit tests, and
# memrun as the integration tests run it, run under valgrind's memcheck
# (tests/valgrind.sh); a log of $MEMRUN_BUILD/valgrind-logs/ that counts an
# error is one more failure, named at the end.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

passed=0 failed=0 skipped=0
failures=()

under=()
if [ "${MEMRUN_VALGRIND:-0}" = 1 ]; then
	valgrind_logs=$top/${MEMRUN_BUILD:-build}/valgrind-logs
	rm -rf "$valgrind_logs"
	# Tests run memrun as other users too: each writes its own logs.
	mkdir -m 1777 "$valgrind_logs" || exit 1
	under=(tests/valgrind.sh "$valgrind_logs")
fi

run_unit() {
	local t out p f
	for t in "${MEMRUN_BUILD:-build}"/tests/test_*; do
		[ -x "$t" ] || continue
		echo "== unit: ${t##*/}"
		local runner=("${under[@]}")
		# valgrind does not implement seccomp(2), which this one tests.
		if [ "${t##*/}" = test_seccomp_lock ] && [ "${#under[@]}" -gt 0 ]; then
			echo "note: ${t##*/} runs natively: valgrind answers ENOSYS to the seccomp system call it tests"
			runner=()
		fi
		out=$(CMOCKA_MESSAGE_OUTPUT=stdout "${runner[@]}" "$t" 2>&1)
		local rc=$?
		printf '%s\n' "$out" | grep -E '^\[ +(RUN|OK|FAILED|PASSED|SKIPPED|ERROR) +\]|^.*(Failure|error)' | grep -v '^\[ RUN' || true
		p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
		f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
		passed=$((passed + ${p:-0}))
		if [ -n "$f" ] && [ "$f" -gt 0 ]; then
			failed=$((failed + f)); failures+=("${t##*/}")
		elif [ $rc -ne 0 ] || [ -z "$p" ]; then
			printf '%s\n' "$out" | tail -20
			failed=$((failed + 1)); failures+=("${t##*/} (exit $rc)")
		fi
	done
}

# How a test file ended, after its lines: killed by the timeout, exited
# non-zero (it died before finishing its tests), or printed no "ok",
# "not ok" or "skip" line at all, so that it asserted nothing: each a failure.
integration_file_end() {
	local name=$1 rc=$2 results=$3 limit=$4 why=
	if [ "$rc" = 124 ]; then
		echo "not ok - $name still running after ${limit} s: killed"
		failed=$((failed + 1)); failures+=("$name: timed out"); return
	fi
	if [ "$rc" != 0 ]; then
		why="exited with status $rc"
		[ "$rc" -gt 128 ] 2>/dev/null && why="was killed by signal $((rc - 128))"
		[ "$results" -eq 0 ] && why="$why before printing any ok, not ok or skip line"
	elif [ "$results" -eq 0 ]; then
		why="printed no ok, not ok or skip line: it tests nothing"
	else
		return
	fi
	echo "not ok - $name $why"
	failed=$((failed + 1)); failures+=("$name: $why")
}

# The test files of one suite: tests/SUITE/test_*.sh.
run_test_files() {
	local suite=$1 t line rc results limit=${MEMRUN_TEST_TIMEOUT:-1200}
	local marker='run.sh: test file exit status '
	for t in tests/"$suite"/test_*.sh; do
		echo "== $suite: ${t##*/}"
		rc='?' results=0
		while IFS= read -r line; do
			# The marker may follow a last line that had no newline.
			case "$line" in
			*"$marker"*)
				rc=${line##*"$marker"}
				line=${line%"$marker"*}
				[ -n "$line" ] || continue ;;
			esac
			printf '%s\n' "$line"
			case "$line" in
			"ok "*) passed=$((passed + 1)); results=$((results + 1)) ;;
			"not ok "*) failed=$((failed + 1)); results=$((results + 1))
				failures+=("${t##*/}: ${line#not ok }") ;;
			"skip "*) skipped=$((skipped + 1)); results=$((results + 1)) ;;
			esac
		done < <(timeout -k 10 "$limit" bash "$t" 2>&1; echo "$marker$?")
		integration_file_end "${t##*/}" "$rc" "$results" "$limit"
	done
}

[ $# -eq 0 ] && set -- unit integration
for suite in "$@"; do
	case "$suite" in
	unit) run_unit ;;
	integration | systemd) run_test_files "$suite" ;;
	*) echo "tests/run.sh: unknown suite '$suite'" >&2; exit 2 ;;
	esac
done

# Each process memcheck watched left a log: one that counts an error
# fails the run, whatever its test said.  A process that exec'd (memrun's
# child, whose exec starts the job) or was killed ends without a count:
# an error report in it (a stack, "at 0x...") is one all the same.
valgrind_errors() {
	local log
	for log in "$valgrind_logs"/*.log; do
		[ -e "$log" ] || continue
		if grep -q 'ERROR SUMMARY: ' "$log"; then
			grep -q 'ERROR SUMMARY: [1-9]' "$log" || continue
		else
			grep -q '^==[0-9]*==    at 0x' "$log" || continue
		fi
		echo "not ok - valgrind found errors in $log:"
		tail -n +7 "$log" | head -40	# past memcheck's banner
		failed=$((failed + 1)); failures+=("valgrind: errors in $log")
	done
}
[ "${#under[@]}" -gt 0 ] && valgrind_errors

if [ ${#failures[@]} -gt 0 ]; then
	echo "== failed:"
	printf '  %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
