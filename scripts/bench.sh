#!/usr/bin/env bash
# What memrun costs, and against what.  What is measured and why:
# BENCHMARKS.md.  Run by 'make bench' from the repository root, or
# directly:
#
#   scripts/bench.sh
#   BENCH_RUNS=300 BENCH_ISOLATED_RUNS=30 BENCH_MALLOC_ROUNDS=2 \
#     BENCH_CHURN_ROUNDS=1 BENCH_PYTHON_ROUNDS=2 scripts/bench.sh   # a quick look
#   MEMRUN=build/x/memrun MEMRUN_DYNAMIC=build/x/memrun-systemd scripts/bench.sh
#
# Three parts, each comparing in one run what it reports as a ratio:
#   launch     memrun -q -- /bin/true against /bin/true and prlimit, and
#              its parts: the launcher alone, + the job's cgroup, + the
#              allocation probe (issue 2); with MEMRUN_DYNAMIC, the same
#              launches of memrun-systemd, the dynamically linked build,
#              beside memrun
#   cgroup     a job cgroup created, watched and removed by memrun against
#              cgexec into a cgroup that already exists (issue 3)
#   probe      malloc-heavy programs and python with and without the
#              probe; the probe's share of a launch (issue 4)
#
# Environment:
#   BENCH_RUNS             back-to-back runs per command (default 2000)
#   BENCH_WARMUP           back-to-back warm-up runs per command (default 100)
#   BENCH_ISOLATED_RUNS    isolated runs per command (default 120)
#   BENCH_ISOLATED_GAP     idle seconds before each isolated run (default 0.05)
#   BENCH_GATE             largest accepted ratio of medians back to back,
#                          memrun / prlimit and memrun / cgexec (default 1.05)
#   BENCH_ISOLATED_GATE    the same for isolated runs (default 1.10)
#   BENCH_PROBE_GATE       largest accepted CPU time with / without the
#                          probe, malloc benchmarks (default 1.03)
#   BENCH_MALLOC_MILLIONS  malloc/free pairs of malloc_pairs, millions (100)
#   BENCH_CHURN_MILLIONS   steps of churn, millions (100)
#   BENCH_DICT_ENTRIES     entries of the python dict (5000000)
#   BENCH_PYTHON           the python timed (default /usr/bin/python3)
#   BENCH_MALLOC_ROUNDS, BENCH_CHURN_ROUNDS, BENCH_PYTHON_ROUNDS
#                          pairs of runs (with, without the probe) of each
#                          (default 8, 6, 16)
#   BENCH_LINK_GATE        largest accepted ratio of medians of
#                          memrun -q --as / prlimit for MEMRUN as built
#                          by default, back to back (default 1.30)
#   BENCH_STRICT           1: exit 1 when a target is not met (default 0)
#   MEMRUN                 the binary to measure (default build/memrun)
#   MEMRUN_DYNAMIC         memrun-systemd of the same build, the same
#                          source linked dynamically, timed beside MEMRUN:
#                          what dynamic linking would cost (default: none,
#                          those rows left out)
#   BENCH_OUT              where the results go (default: bench/ beside
#                          MEMRUN, build/bench for build/memrun)
#   CC                     compiles bench/*.c (default cc)
#
# Output: tables, then one PASS/FAIL line per target, on stdout;
# hyperfine's JSON and output, the paired runs, strace counts and
# summary.json under BENCH_OUT.
# Exit status: 0 everything was measured (whatever the verdicts; 1 with
# BENCH_STRICT=1 when a target is not met), 2 the benchmark could not run.
set -euo pipefail

cd "$(dirname "$0")/.."

RUNS=${BENCH_RUNS:-2000}
WARMUP=${BENCH_WARMUP:-100}
ISO_RUNS=${BENCH_ISOLATED_RUNS:-120}
ISO_GAP=${BENCH_ISOLATED_GAP:-0.05}
GATE=${BENCH_GATE:-1.05}
ISO_GATE=${BENCH_ISOLATED_GATE:-1.10}
PROBE_GATE=${BENCH_PROBE_GATE:-1.03}
LINK_GATE=${BENCH_LINK_GATE:-1.30}
MALLOC_M=${BENCH_MALLOC_MILLIONS:-100}
CHURN_M=${BENCH_CHURN_MILLIONS:-100}
DICT_N=${BENCH_DICT_ENTRIES:-5000000}
MALLOC_ROUNDS=${BENCH_MALLOC_ROUNDS:-8}
CHURN_ROUNDS=${BENCH_CHURN_ROUNDS:-6}
PYTHON_ROUNDS=${BENCH_PYTHON_ROUNDS:-16}
STRICT=${BENCH_STRICT:-0}
MEMRUN=${MEMRUN:-build/memrun}
MEMRUN_DYNAMIC=${MEMRUN_DYNAMIC:-}
CC=${CC:-cc}
# Beside the binary, never around it: the directory is emptied first.
OUT=${BENCH_OUT:-$(dirname "$MEMRUN")/bench}
TRUE=/bin/true
LIMIT=1073741824	# 1 GiB: the same RLIMIT_AS for prlimit and memrun

die() {
	echo "bench: $*" >&2
	exit 2
}

for tool in hyperfine python3 prlimit cgexec sleep "$CC"; do
	command -v "$tool" >/dev/null 2>&1 ||
		die "$tool is not installed (Debian: hyperfine, python3, util-linux, cgroup-tools, coreutils, gcc; scripts/install-deps.sh bench)"
done
[ -x "$MEMRUN" ] || die "$MEMRUN is missing; run 'make' first"
[ -z "$MEMRUN_DYNAMIC" ] || [ -x "$MEMRUN_DYNAMIC" ] ||
	die "$MEMRUN_DYNAMIC is missing; run 'make' first (a STATIC=0 build has no memrun-systemd)"
for bin in "$MEMRUN" ${MEMRUN_DYNAMIC:+"$MEMRUN_DYNAMIC"}; do
	case "$(realpath "$bin")" in
	"$(realpath -m "$OUT")"/*) die "BENCH_OUT ($OUT) holds $bin, and it is emptied first" ;;
	esac
done
PRLIMIT=$(command -v prlimit)
ENV=$(command -v env)
CGEXEC=$(command -v cgexec)
SLEEP=$(command -v sleep)
# The distribution's python for the probe's real-program test: a version
# manager's shim would time its own start-up too.
PYTHON=${BENCH_PYTHON:-/usr/bin/python3}
[ -x "$PYTHON" ] || PYTHON=$(command -v python3)
rm -rf "$OUT"
mkdir -p "$OUT"

# The programs for the probe's cost, built as a user would build them.
for prog in malloc_pairs churn; do
	"$CC" -O2 -Wall -Wextra -o "$OUT/$prog" "bench/$prog.c" ||
		die "cannot compile bench/$prog.c"
done
# The least any interposing malloc costs: a bare jump to glibc's.
"$CC" -O2 -Wall -Wextra -shared -fPIC -o "$OUT/forward.so" bench/forward.c ||
	die "cannot compile bench/forward.c"
# The launch floor, linked static-pie: no shared library to resolve, the
# cheapest start a launcher can have.
"$CC" -O2 -Wall -Wextra -static-pie -fPIE -o "$OUT/floor" bench/floor.c ||
	die "cannot compile bench/floor.c"
PROBE_LIBRARY=$(dirname "$MEMRUN")/libmemrun-probe.so
[ -r "$PROBE_LIBRARY" ] || die "$PROBE_LIBRARY is missing; run 'make' first"

# ---- the cgroup cgexec runs in: made once, before the timed runs --------
#
# A child of the memory cgroup this script runs in, where memrun creates
# the job's cgroup too.  cgexec takes the path relative to the controller's
# mount point.
# mountinfo: "ID PARENT DEV ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS"
mounts() {
	awk '{ for (i = 7; $i != "-"; i++) ; print $(i + 1), $5, $(i + 3) }' /proc/self/mountinfo
}
cgroup_mount=$(mounts | awk '$1 == "cgroup" && $3 ~ /(^|,)memory(,|$)/ && !n++ { print $2 }')
if [ -n "$cgroup_mount" ]; then
	cgroup_version="v1"
	mounts | awk '$1 == "cgroup2" { found = 1 } END { exit !found }' &&
		cgroup_version="v1 memory controller (hybrid hierarchy)"
	current=$(sed -n 's/^[0-9]*:\([^:]*,\)\{0,1\}memory\(,[^:]*\)\{0,1\}://p' /proc/self/cgroup)
	limit_file=memory.limit_in_bytes
else
	cgroup_mount=$(mounts | awk '$1 == "cgroup2" && !n++ { print $2 }')
	[ -n "$cgroup_mount" ] || die "no cgroup filesystem is mounted"
	cgroup_version="v2 (unified)"
	current=$(sed -n 's/^0:://p' /proc/self/cgroup)
	limit_file=memory.max
fi
[ -n "$current" ] || die "cannot tell this process's memory cgroup from /proc/self/cgroup"
bench_cgroup="${current%/}/memrun-bench-$$"
bench_cgroup=${bench_cgroup#/}
bench_cgroup_dir="$cgroup_mount/$bench_cgroup"
mkdir "$bench_cgroup_dir" 2>/dev/null ||
	die "cannot create the cgroup for cgexec ($bench_cgroup_dir): memrun's cgroup comparison needs root or a delegated cgroup"
trap 'rmdir "$bench_cgroup_dir" 2>/dev/null || true' EXIT
# The same limit as memrun's --memory-max 1G; written once, not timed.
echo "$LIMIT" >"$bench_cgroup_dir/$limit_file" 2>/dev/null || true

# ---- the launch commands ------------------------------------------------
#
# Baselines first.  "memrun --as" prints the summary line, as users run it
# (hyperfine sends it to /dev/null).  "launcher only" runs the job with
# no cgroup (the parent does not exist; --best-effort runs it anyway) and
# no probe: memrun's own cost, not a way to use it.  "floor" is
# bench/floor.c: a fresh memory cgroup joined before exec and removed
# after, a parent that waits, and the probe preloaded with its region -
# what the contract asks of every launch, with no option, profile, check
# or report: the least a launch like memrun's can cost here.
NO_CGROUP="--best-effort --cgroup-parent /nonexistent"
names=(
	"true"			# 0
	"prlimit --as"		# 1
	"cgexec"		# 2
	"launcher only"		# 3 no cgroup, no probe
	"+ cgroup"		# 4 cgroup, no probe
	"+ cgroup 1G"		# 5 the same with memory.max: issue 3
	"memrun -q"		# 6 the default: cgroup + probe
	"memrun -q --as"	# 7
	"memrun --as"		# 8
	"floor, no probe"	# 9 bench/floor.c: cgroup only
	"floor"			# 10 bench/floor.c: cgroup + probe
	"dynamic: launcher only"	# 11 MEMRUN_DYNAMIC: 3 linked dynamically
	"dynamic: + cgroup 1G"	# 12 5 linked dynamically
	"dynamic: -q --as"	# 13 7 linked dynamically
)
commands=(
	"$TRUE"
	"$PRLIMIT --as=$LIMIT $TRUE"
	"$CGEXEC -g memory:$bench_cgroup $TRUE"
	"$MEMRUN -q --no-probe $NO_CGROUP -- $TRUE"
	"$MEMRUN -q --no-probe -- $TRUE"
	"$MEMRUN -q --no-probe --memory-max 1G -- $TRUE"
	"$MEMRUN -q -- $TRUE"
	"$MEMRUN -q --as 1G -- $TRUE"
	"$MEMRUN --as 1G -- $TRUE"
	"$OUT/floor $cgroup_mount/${current#/} - $TRUE"
	"$OUT/floor $cgroup_mount/${current#/} $PROBE_LIBRARY $TRUE"
	"$MEMRUN_DYNAMIC -q --no-probe $NO_CGROUP -- $TRUE"
	"$MEMRUN_DYNAMIC -q --no-probe --memory-max 1G -- $TRUE"
	"$MEMRUN_DYNAMIC -q --as 1G -- $TRUE"
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
# an idle moment pays: moving a whole process into a cgroup (cgroup.procs,
# as cgexec does) waits for an RCU grace period unless another move
# happened a few milliseconds before.
back_to_back=(0 1 9 10 2 3 4 5 6 7 8 1 8 7 6 5 4 3 2 10 9 1 0)
# Isolated: each launch after BENCH_ISOLATED_GAP seconds of idleness (the
# sleep runs as hyperfine's untimed --prepare), as a user or a CI job
# starts memrun once.
isolated=(0 1 9 10 2 3 4 5 6 7 1 7 6 5 4 3 2 10 9 1 0)
# The dynamically linked build in the middle, beside prlimit, in both
# halves.
if [ -n "$MEMRUN_DYNAMIC" ]; then
	back_to_back=(0 1 9 10 2 3 4 5 6 7 8 11 12 13 1 13 12 11 8 7 6 5 4 3 2 10 9 1 0)
	isolated=(0 1 9 10 2 3 4 5 6 7 11 12 13 1 13 12 11 7 6 5 4 3 2 10 9 1 0)
else
	unset 'names[11]' 'names[12]' 'names[13]' 'commands[11]' 'commands[12]' 'commands[13]'
fi

# Each command must succeed before it is timed: a broken build, or a site
# 'default' profile memrun cannot apply, would otherwise be timed as a
# fast failure.
for c in "${commands[@]}"; do
	# shellcheck disable=SC2086
	$c >/dev/null 2>&1 || die "'$c' failed (exit $?); nothing measured"
done
for prog in malloc_pairs churn; do
	"$MEMRUN" -q -- "$OUT/$prog" 1 >/dev/null || die "'$MEMRUN -q -- $OUT/$prog 1' failed"
done

echo "== machine"
echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "cpu:     $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1); nproc $(nproc)"
echo "kernel:  $(uname -sr) $(uname -m)"
echo "memory:  $(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }
		      /^SwapTotal:/ { printf ", swap %.1f GiB", $2 / 1048576 }' /proc/meminfo)"
echo "cgroup:  $cgroup_version"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) at the start"
echo "tools:   $(hyperfine --version), $(prlimit --version | head -n 1)," \
	"cgexec $(dpkg-query -W -f='${Version}' cgroup-tools 2>/dev/null || echo '?')," \
	"$(getconf GNU_LIBC_VERSION), $("$PYTHON" --version 2>&1), $("$CC" --version | head -n 1)"
echo "memrun:  $("$MEMRUN" --version), commit $(git describe --always --dirty 2>/dev/null || echo unknown)"
linked() {
	file -L "$1" 2>/dev/null | grep -o -e 'static-pie linked' -e 'dynamically linked' -e 'statically linked' ||
		echo "?"
}
echo "binary:  $MEMRUN ($(linked "$MEMRUN")$(
	ldd "$MEMRUN" 2>/dev/null | awk '$2 == "=>" { printf "%s%s", n++ ? ", " : ": ", $1 }'))"
[ -z "$MEMRUN_DYNAMIC" ] || echo "dynamic: $MEMRUN_DYNAMIC ($(linked "$MEMRUN_DYNAMIC")$(
	ldd "$MEMRUN_DYNAMIC" 2>/dev/null | awk '$2 == "=>" { printf "%s%s", n++ ? ", " : ": ", $1 }'))"
# Where systemd is init or journald runs, the static memrun hands every
# run over to memrun-systemd before its own start-up: its rows hold that
# exec too.
if { [ -d /run/systemd/system ] || [ -S /run/systemd/journal/socket ]; } &&
	[ "$(linked "$MEMRUN")" = "static-pie linked" ]; then
	echo "systemd: $MEMRUN hands each run over to memrun-systemd (systemd or journald runs here)"
fi
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
	echo "== $(date -u +%H:%M:%S) hyperfine$(printf ' %q' "${args[@]}")"
	hyperfine "${args[@]}" >"$OUT/$json.txt" 2>&1 || {
		cat "$OUT/$json.txt" >&2
		die "hyperfine failed"
	}
}

# paired JSON ROUNDS NAME_A CMD_A NAME_B CMD_B: see bench/paired.py.
paired() {
	echo "== $(date -u +%H:%M:%S) paired runs, $2 rounds: $3 | $5"
	python3 bench/paired.py "$OUT/$1.json" "$2" "$3" "$4" "$5" "$6" || die "paired runs failed"
}

hyperfine_blocks launch "$RUNS" "$WARMUP" "${back_to_back[*]}"
hyperfine_blocks isolated "$ISO_RUNS" 4 "${isolated[*]}" --prepare "$SLEEP $ISO_GAP"

# The probe's cost: the same memrun command with and without the probe.
paired malloc_pairs "$MALLOC_ROUNDS" \
	"no probe" "$MEMRUN -q --no-probe -- $OUT/malloc_pairs $MALLOC_M" \
	"probe" "$MEMRUN -q -- $OUT/malloc_pairs $MALLOC_M"
# The floor under any probe: memrun keeps the caller's LD_PRELOAD, so the
# job gets the bare forwarder and nothing else; env on both sides.
paired malloc_forward "$MALLOC_ROUNDS" \
	"no probe" "$ENV $MEMRUN -q --no-probe -- $OUT/malloc_pairs $MALLOC_M" \
	"bare forwarder" "$ENV LD_PRELOAD=$OUT/forward.so $MEMRUN -q --no-probe -- $OUT/malloc_pairs $MALLOC_M"
paired churn "$CHURN_ROUNDS" \
	"no probe" "$MEMRUN -q --no-probe -- $OUT/churn $CHURN_M" \
	"probe" "$MEMRUN -q -- $OUT/churn $CHURN_M"
# shlex-split by paired.py: the program is one quoted word.
dict_prog="d = {i: str(i) for i in range($DICT_N)}"
paired python_dict "$PYTHON_ROUNDS" \
	"no probe" "$MEMRUN -q --no-probe -- $PYTHON -c '$dict_prog'" \
	"probe" "$MEMRUN -q -- $PYTHON -c '$dict_prog'"
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
status=0
python3 bench/report.py "$OUT" "$GATE" "$ISO_GATE" "$PROBE_GATE" "$LINK_GATE" "$ISO_GAP" \
	"$MALLOC_M" "$CHURN_M" "$DICT_N" "${args[@]}" || status=$?
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) at the end"
case $status in
0) exit 0 ;;
3) [ "$STRICT" = 1 ] && exit 1; exit 0 ;;
*) die "the report failed" ;;
esac
