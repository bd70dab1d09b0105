#!/usr/bin/env bash
# Launch overhead of memrun, against running the command directly and
# against prlimit(1), the tool memrun must not be slower than.  What is
# measured and why: BENCHMARKS.md.  Run by 'make bench' from the
# repository root, or directly:
#
#   scripts/bench.sh
#   BENCH_RUNS=500 BENCH_ISOLATED_RUNS=40 scripts/bench.sh   # a quick look, no verdict
#
# Environment:
#   BENCH_RUNS             back-to-back runs per command (default 3000)
#   BENCH_WARMUP           back-to-back warm-up runs per command (default 200)
#   BENCH_ISOLATED_RUNS    isolated runs per command (default 150)
#   BENCH_ISOLATED_GAP     idle seconds before each isolated run (default 0.05)
#   BENCH_GATE             largest accepted median(memrun) / median(prlimit),
#                          back to back (default 1.05)
#   BENCH_ISOLATED_GATE    the same for isolated runs (default 1.10)
#   MEMRUN                 the binary to measure (default build/memrun)
#
# Output: tables on stdout; hyperfine's JSON and output, strace counts and
# summary.json under build/bench/.
# Exit status: 0 both gates passed, 1 memrun is slower than prlimit beyond
# a gate, 2 the benchmark could not run.
set -euo pipefail

cd "$(dirname "$0")/.."

RUNS=${BENCH_RUNS:-3000}
WARMUP=${BENCH_WARMUP:-200}
ISO_RUNS=${BENCH_ISOLATED_RUNS:-150}
ISO_GAP=${BENCH_ISOLATED_GAP:-0.05}
GATE=${BENCH_GATE:-1.05}
ISO_GATE=${BENCH_ISOLATED_GATE:-1.10}
MEMRUN=${MEMRUN:-build/memrun}
OUT=build/bench
TRUE=/bin/true
LIMIT=1073741824	# 1 GiB: the same RLIMIT_AS for prlimit and memrun

die() {
	echo "bench: $*" >&2
	exit 2
}

for tool in hyperfine python3 prlimit sleep; do
	command -v "$tool" >/dev/null 2>&1 ||
		die "$tool is not installed (Debian: hyperfine, python3, util-linux, coreutils)"
done
[ -x "$MEMRUN" ] || die "$MEMRUN is missing; run 'make' first"
PRLIMIT=$(command -v prlimit)
SLEEP=$(command -v sleep)
rm -rf "$OUT"
mkdir -p "$OUT"

# The commands measured, baselines first.  "memrun --as" prints the
# summary line, as users run it (hyperfine sends it to /dev/null).
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
# down or speeds up during a run would favour whichever came first.  Each
# hyperfine run therefore measures in blocks placed symmetrically (ABBA),
# pools the blocks of each command, and brackets memrun with prlimit at
# the start, the middle and the end; the spread of prlimit's blocks shows
# how much the machine drifted.
#
# Back to back: one launch right after the other, as hyperfine usually
# runs.  Cheap and precise, but it hides costs that only a launch after
# an idle moment pays: a cgroup migration waits for an RCU grace period
# unless another one happened a few milliseconds before.
back_to_back=(0 1 2 3 4 1 4 3 2 1 0)
# Isolated: each launch after BENCH_ISOLATED_GAP seconds of idleness (the
# sleep runs as hyperfine's untimed --prepare), as a user or a CI job
# starts memrun once.
isolated=(1 3 4 1 4 3 1)

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

# hyperfine_blocks JSON RUNS WARMUP "ORDER" [HYPERFINE OPTION]...
# One hyperfine run over the commands in ORDER (indexes), RUNS per command
# split over its blocks.
hyperfine_blocks() {
	local json=$1 runs=$2 warmup=$3 order=$4 i
	shift 4
	local args=(-N --runs "$(((runs + 1) / 2))" --warmup "$(((warmup + 1) / 2))"
		--export-json "$OUT/$json.json" "$@")
	for i in $order; do
		args+=(-n "${names[$i]}" "${commands[$i]}")
	done
	echo "== hyperfine$(printf ' %q' "${args[@]}")"
	hyperfine "${args[@]}" >"$OUT/$json.txt" 2>&1 || {
		cat "$OUT/$json.txt" >&2
		die "hyperfine failed"
	}
}

hyperfine_blocks launch "$RUNS" "$WARMUP" "${back_to_back[*]}"
hyperfine_blocks isolated "$ISO_RUNS" 4 "${isolated[*]}" --prepare "$SLEEP $ISO_GAP"
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
python3 - "$OUT" "$GATE" "$ISO_GATE" "$ISO_GAP" "${args[@]}" <<'EOF'
import json, math, os, shlex, statistics, sys

out, gate, iso_gate, iso_gap = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
names, commands = sys.argv[5::2], sys.argv[6::2]
TRUE, PRLIMIT = 0, 1


def median_ci(times, z=1.96):
    """Distribution-free 95% confidence interval of the median (order statistics)."""
    s = sorted(times)
    n = len(s)
    lo = max(0, math.floor(n / 2 - z * math.sqrt(n) / 2))
    hi = min(n - 1, math.ceil(n / 2 + z * math.sqrt(n) / 2))
    return s[lo], s[hi]


def pool(json_name):
    """The blocks of one hyperfine run, pooled per command (hyperfine names
    them as we did), in the order of names; commands not measured are left out."""
    with open(os.path.join(out, json_name + ".json")) as f:
        blocks = json.load(f)["results"]
    rows = []
    for i, name in enumerate(names):
        own = [b for b in blocks if b["command"] == name]
        if not own:
            continue
        times = [t for b in own for t in b["times"]]
        rows.append(dict(name=name, command=commands[i], runs=len(times),
                         median=statistics.median(times), median_ci=median_ci(times),
                         mean=statistics.fmean(times), stddev=statistics.stdev(times),
                         min=min(times), block_medians=[b["median"] for b in own]))
    base = {r["name"]: r for r in rows}
    prl = base[names[PRLIMIT]]
    tru = base.get(names[TRUE])
    for r in rows:
        if tru:
            r["median_ratio_true"] = r["median"] / tru["median"]
            r["mean_ratio_true"] = r["mean"] / tru["mean"]
        r["median_ratio_prlimit"] = r["median"] / prl["median"]
        r["mean_ratio_prlimit"] = r["mean"] / prl["mean"]
    drift = max(prl["block_medians"]) / min(prl["block_medians"]) - 1
    return rows, drift


def ms(s):
    return f"{s * 1e3:6.3f}"


def table(title, rows, drift):
    print(f"== {title}")
    print("   time in ms; ratios of medians (ratios of means in brackets)")
    print(f"{'command':<15} {'runs':>5} {'median':>6} {'95% CI median':>14} {'mean':>6} {'sd':>6}"
          f" {'min':>6} {'vs true':>12} {'vs prlimit':>12}")
    for r in rows:
        lo, hi = r["median_ci"]
        vs_true = (f"{r['median_ratio_true']:5.2f} ({r['mean_ratio_true']:4.2f})"
                   if "median_ratio_true" in r else "")
        print(f"{r['name']:<15} {r['runs']:5d} {ms(r['median'])} {ms(lo)}..{ms(hi)} {ms(r['mean'])}"
              f" {ms(r['stddev'])} {ms(r['min'])} {vs_true:>12}"
              f" {r['median_ratio_prlimit']:5.2f} ({r['mean_ratio_prlimit']:4.2f})")
    print("block medians in ms: " + "; ".join(
        f"{r['name']} " + " ".join(f"{m * 1e3:.3f}" for m in r["block_medians"]) for r in rows))
    print(f"prlimit's blocks differ by {drift * 100:.1f}%")
    print()


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


def verdict(label, rows, drift, allowed):
    """The slowest memrun variant against prlimit, by median."""
    worst = max((r for r in rows if r["name"].startswith("memrun")), key=lambda r: r["median"])
    ratio = worst["median_ratio_prlimit"]
    ok = ratio <= allowed
    print(f"gate, {label}: slowest memrun ({worst['name']}) / prlimit, medians = {ratio:.3f};"
          f" allowed <= {allowed:.2f}: {'PASS' if ok else 'FAIL'}")
    if drift > allowed - 1:
        print(f"  warning: prlimit's blocks differ by {drift * 100:.1f}%, more than the"
              f" tolerance: the machine was not quiet; run again on an idle machine")
    return dict(label=label, slowest=worst["name"], ratio=ratio, allowed=allowed,
                prlimit_drift=drift, ok=ok)


b2b, b2b_drift = pool("launch")
iso, iso_drift = pool("isolated")
table("back to back: each launch right after the previous one", b2b, b2b_drift)
table(f"isolated: each launch after {iso_gap} s idle", iso, iso_drift)

print("== per launch: minor page faults, context switches (median of 50 runs),"
      " syscalls (strace -f -c)")
print(f"{'command':<15} {'faults':>6} {'cswch':>5} {'syscalls':>8}")
for i, r in enumerate(b2b):
    r["minor_faults"], r["context_switches"] = faults_and_switches(commands[i])
    r["syscalls"] = syscalls(i)
    sc = "-" if r["syscalls"] is None else r["syscalls"]
    print(f"{r['name']:<15} {r['minor_faults']:6.0f} {r['context_switches']:5.0f} {sc:>8}")
print()

gates = [verdict("back to back", b2b, b2b_drift, gate),
         verdict("isolated", iso, iso_drift, iso_gate)]
with open(os.path.join(out, "summary.json"), "w") as f:
    json.dump({"gates": gates, "back_to_back": b2b, "isolated": iso}, f, indent=1)
sys.exit(0 if all(g["ok"] for g in gates) else 1)
EOF
