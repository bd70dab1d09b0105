#!/usr/bin/env bash
# Run each libFuzzer harness built in DIR for SECONDS, each on its own
# copy of its seed corpus (tests/fuzz/corpus/NAME/, copied to
# DIR/corpus/NAME/, where what the harness finds is kept for the next
# run; the seeds themselves are never written to).
#   scripts/fuzz.sh DIR SECONDS fuzz_NAME...     ('make fuzz' runs it)
# One line per harness with the executions it did; a harness that crashes,
# leaks, times out or breaks an assertion fails the run, and its input is
# left in DIR/crashes/ with the log beside it.  FUZZ_JOBS harnesses run at
# a time (default: the number of CPUs).
set -u
[ $# -ge 2 ] || { echo "usage: scripts/fuzz.sh DIR SECONDS fuzz_NAME..." >&2; exit 2; }
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$1 seconds=$2
shift 2
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
mkdir -p "$dir/corpus" "$dir/crashes" "$dir/logs"

# Leaks fail a harness as a crash does; the sanitizers stop at the first
# report.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

run_one() {
	local name=$1 short=${1#fuzz_} corpus log rc
	corpus=$dir/corpus/$short
	log=$dir/logs/$name.log
	mkdir -p "$corpus"
	[ -d "$top/tests/fuzz/corpus/$short" ] && cp -p "$top/tests/fuzz/corpus/$short"/* "$corpus/"
	# -timeout: one input taking 10 s is a hang; -rss_limit_mb: a harness
	# growing past 2 GiB is a leak or an unbounded allocation.
	"$dir/$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-max_len=8192 -print_final_stats=1 -artifact_prefix="$dir/crashes/$name-" \
		"$corpus" >"$log" 2>&1
	rc=$?
	local execs
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	if [ "$rc" -eq 0 ]; then
		echo "$name: ${execs:-?} executions in $seconds s, corpus $(find "$corpus" -type f | wc -l) inputs: ok"
	else
		local artifact
		artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
		echo "$name: FAILED (exit $rc) after ${execs:-?} executions: ${artifact:-no input written}; log $log"
		grep -m 3 -E '^==[0-9]+==ERROR|SUMMARY:|runtime error|^fuzz: ' "$log" | sed 's/^/    /'
		return 1
	fi
}

failed=0 running=0
for name in "$@"; do
	if [ ! -x "$dir/$name" ]; then
		echo "$name: not built in $dir" >&2
		failed=$((failed + 1))
		continue
	fi
	run_one "$name" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait -n || failed=$((failed + 1))
		running=$((running - 1))
	fi
done
while [ "$running" -gt 0 ]; do
	wait -n || failed=$((failed + 1))
	running=$((running - 1))
done

if [ "$failed" -gt 0 ]; then
	echo "fuzz: $failed of $# harnesses failed"
	exit 1
fi
echo "fuzz: $# harnesses, $seconds s each: no crash"
