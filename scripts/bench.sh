#!/usr/bin/env bash
# Launch overhead of memrun, against running the command directly and
# against prlimit(1), the tool memrun must not be slower than.  What is
# measured and why: BENCHMARKS.md.  Run by 'make bench' from the
# repository root, or directly:
#
#   scripts/bench.sh
#   BENCH_RUNS=500 scripts/bench.sh      # a quick look, not a verdict
#
# Environment:
#   BENCH_RUNS     timed runs per command (default 3000)
#   BENCH_WARMUP   warm-up runs per command (default 200)
#   BENCH_GATE     largest accepted median(memrun) / median(prlimit) (default 1.05)
#   MEMRUN         the binary to measure (default build/memrun)
#
# Output: a table on stdout; hyperfine's JSON and output, strace counts and
# summary.json under build/bench/.
# Exit status: 0 the gate passed, 1 memrun is slower than prlimit beyond
# the gate, 2 the benchmark could not run.
set -euo pipefail

cd "$(dirname "$0")/.."

RUNS=${BENCH_RUNS:-3000}
WARMUP=${BENCH_WARMUP:-200}
GATE=${BENCH_GATE:-1.05}
MEMRUN=${MEMRUN:-build/memrun}
OUT=build/bench
TRUE=/bin/true
LIMIT=1073741824	# 1 GiB: the same RLIMIT_AS for prlimit and memrun

die() {
	echo "bench: $*" >&2
	exit 2
}

for tool in hyperfine python3 prlimit; do
	command -v "$tool" >/dev/null 2>&1 ||
		die "$tool is not installed (Debian: hyperfine, python3, util-linux)"
done
[ -x "$MEMRUN" ] || die "$MEMRUN is missing; run 'make' first"
PRLIMIT=$(command -v prlimit)
rm -rf "$OUT"
mkdir -p "$OUT"

# The commands measured, baselines first.
names=(
	"true"
	"prlimit --as"
	"memrun -q"
	"memrun -q --as"
	"memrun --as"
)
commands=(
	"$TRUE"
	"$PRLIMIT --as=$LIMIT $TRUE"
	"$MEMRUN -q -- $TRUE"
	"$MEMRUN -q --as 1G -- $TRUE"
	"$MEMRUN --as 1G -- $TRUE"
)
# hyperfine measures one command after the other, so a machine that slows
# down or speeds up during the run would favour whichever came first.  One
# hyperfine run therefore measures in blocks placed symmetrically (ABBA):
# true, prlimit, memrun variants, prlimit, memrun variants reversed,
# prlimit, true.  Blocks of the same command are pooled; the spread of
# prlimit's three blocks shows how much the machine drifted.
order=(0 1 2 3 4 1 4 3 2 1 0)
BLOCK_RUNS=$(((RUNS + 1) / 2))
BLOCK_WARMUP=$(((WARMUP + 1) / 2))

# Each command must succeed before it is timed: a broken build, or a site
# 'default' profile memrun cannot apply, would otherwise be timed as a
# fast failure.
for c in "${commands[@]}"; do
	# shellcheck disable=SC2086
	$c >/dev/null 2>&1 || die "'$c' failed (exit $?); nothing measured"
done

echo "== machine"
echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "cpu:     $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1); nproc $(nproc)"
echo "kernel:  $(uname -sr) $(uname -m)"
echo "memory:  $(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }
		      /^SwapTotal:/ { printf ", swap %.1f GiB", $2 / 1048576 }' /proc/meminfo)"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min)"
echo "tools:   $(hyperfine --version), $(prlimit --version | head -n 1), $(getconf GNU_LIBC_VERSION)"
echo "memrun:  $("$MEMRUN" --version), commit $(git describe --always --dirty 2>/dev/null || echo unknown)"
echo

hf_args=(-N --warmup "$BLOCK_WARMUP" --runs "$BLOCK_RUNS" --export-json "$OUT/launch.json")
for i in "${order[@]}"; do
	hf_args+=(-n "${names[$i]}" "${commands[$i]}")
done
echo "== hyperfine$(printf ' %q' "${hf_args[@]}")"
hyperfine "${hf_args[@]}" >"$OUT/hyperfine.txt" 2>&1 || {
	cat "$OUT/hyperfine.txt" >&2
	die "hyperfine failed"
}
echo

# Cheap and deterministic, unlike time: syscalls per launch (strace -f -c,
# one run each), when strace is installed.
if command -v strace >/dev/null 2>&1; then
	for i in "${!commands[@]}"; do
		# shellcheck disable=SC2086
		strace -f -c -o "$OUT/strace.$i.txt" ${commands[$i]} >/dev/null 2>&1 ||
			rm -f "$OUT/strace.$i.txt"
	done
fi

args=()
for i in "${!commands[@]}"; do
	args+=("${names[$i]}" "${commands[$i]}")
done
python3 - "$OUT" "$GATE" "${args[@]}" <<'EOF'
import json, math, os, shlex, statistics, sys

out, gate = sys.argv[1], float(sys.argv[2])
names, commands = sys.argv[3::2], sys.argv[4::2]
with open(os.path.join(out, "launch.json")) as f:
    blocks = json.load(f)["results"]
TRUE, PRLIMIT = 0, 1
MEMRUN = range(2, len(names))


def median_ci(times, z=1.96):
    """Distribution-free 95% confidence interval of the median (order statistics)."""
    s = sorted(times)
    n = len(s)
    lo = max(0, math.floor(n / 2 - z * math.sqrt(n) / 2))
    hi = min(n - 1, math.ceil(n / 2 + z * math.sqrt(n) / 2))
    return s[lo], s[hi]


def faults_and_switches(cmd, n=50):
    """Median minor page faults and context switches of one launch; wait4
    counts the reaped descendants too, so memrun's job is included."""
    argv = shlex.split(cmd)
    devnull = os.open(os.devnull, os.O_WRONLY)
    flt, csw = [], []
    for _ in range(n):
        pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=[
            (os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)])
        _, _, ru = os.wait4(pid, 0)
        flt.append(ru.ru_minflt)
        csw.append(ru.ru_nvcsw + ru.ru_nivcsw)
    os.close(devnull)
    return statistics.median(flt), statistics.median(csw)


def syscalls(i):
    """The total of 'strace -f -c', or None."""
    try:
        with open(os.path.join(out, f"strace.{i}.txt")) as f:
            for line in f:
                if line.split()[-1:] == ["total"]:
                    return int(line.split()[3])
    except (OSError, ValueError, IndexError):
        pass
    return None


def ms(s):
    return f"{s * 1e3:6.3f}"


# Pool the blocks of each command (hyperfine names them as we did).
rows = []
for i, name in enumerate(names):
    own = [b for b in blocks if b["command"] == name]
    times = [t for b in own for t in b["times"]]
    rows.append(dict(name=name, command=commands[i], blocks=len(own), runs=len(times),
                     median=statistics.median(times), median_ci=median_ci(times),
                     mean=statistics.fmean(times), stddev=statistics.stdev(times),
                     min=min(times), block_medians=[b["median"] for b in own]))
prl = rows[PRLIMIT]
drift = max(prl["block_medians"]) / min(prl["block_medians"]) - 1
for r in rows:
    r["median_ratio_true"] = r["median"] / rows[TRUE]["median"]
    r["mean_ratio_true"] = r["mean"] / rows[TRUE]["mean"]
    r["median_ratio_prlimit"] = r["median"] / prl["median"]
    r["mean_ratio_prlimit"] = r["mean"] / prl["mean"]

print("== launch time in ms; ratios of medians (ratios of means in brackets)")
print(f"{'command':<15} {'runs':>5} {'median':>6} {'95% CI median':>14} {'mean':>6} {'sd':>6}"
      f" {'min':>6} {'vs true':>12} {'vs prlimit':>12}")
for r in rows:
    lo, hi = r["median_ci"]
    print(f"{r['name']:<15} {r['runs']:5d} {ms(r['median'])} {ms(lo)}..{ms(hi)} {ms(r['mean'])}"
          f" {ms(r['stddev'])} {ms(r['min'])} {r['median_ratio_true']:5.2f} ({r['mean_ratio_true']:4.2f})"
          f" {r['median_ratio_prlimit']:5.2f} ({r['mean_ratio_prlimit']:4.2f})")
print("block medians (ms): " + "; ".join(
    f"{r['name']} " + " ".join(f"{m * 1e3:.3f}" for m in r["block_medians"]) for r in rows))
print()

print("== per launch: minor page faults, context switches (median of 50 runs), syscalls (strace -f -c)")
print(f"{'command':<16} {'faults':>6} {'cswch':>5} {'syscalls':>8}")
for i, r in enumerate(rows):
    r["minor_faults"], r["context_switches"] = faults_and_switches(commands[i])
    r["syscalls"] = syscalls(i)
    sc = "-" if r["syscalls"] is None else r["syscalls"]
    print(f"{r['name']:<16} {r['minor_faults']:6.0f} {r['context_switches']:5.0f} {sc:>8}")
print()

# The gate: the slowest memrun variant against prlimit, by median.
worst = max((rows[i] for i in MEMRUN), key=lambda r: r["median"])
ratio = worst["median_ratio_prlimit"]
ok = ratio <= gate
print(f"gate: median of the slowest memrun variant ({worst['name']}) / median of prlimit"
      f" = {ratio:.3f}; allowed <= {gate:.2f}: {'PASS' if ok else 'FAIL'}")
if drift > gate - 1:
    print(f"warning: prlimit's block medians differ by {drift * 100:.1f}%: the machine was not"
          f" quiet, so this verdict is weak; run again on an idle machine")
with open(os.path.join(out, "summary.json"), "w") as f:
    json.dump({"gate": gate, "ratio": ratio, "slowest": worst["name"], "pass": ok,
               "prlimit_drift": drift, "results": rows}, f, indent=1)
sys.exit(0 if ok else 1)
EOF
