#!/usr/bin/env bash
# memrun's systemd cgroup manager against systemd-run --scope, in one run,
# on a machine where systemd is PID 1.  What is measured and why:
# BENCHMARKS.md.  Run by 'make bench-systemd' from the repository root, or
# directly:
#
#   scripts/bench-systemd.sh                  # boots the test VM, runs there
#   BENCH_SYSTEMD_RUNS=10 scripts/bench-systemd.sh   # a quick look
#
# On the host it boots the test VM with systemd as PID 1
# (tests/vm/run-in-vm.sh --systemd --snapshot .) and runs itself there; the
# VM sees the host's root file system, so hyperfine, systemd-run and
# setpriv are the host's.  In that VM, as root, it times with hyperfine:
#
#   memrun root        memrun -q --memory-max 1G -- /bin/true
#   systemd-run root   systemd-run --scope -q -p MemoryMax=1G /bin/true
#   memrun user        the same memrun command as the VM's test user
#   systemd-run user   systemd-run --user --scope -q -p MemoryMax=1G /bin/true
#                      as the test user
#
# and as baselines /bin/true, the user's wrapper alone and memrun with no
# cgroup at all (a measuring device: memrun's own launch, no scope).  The
# user's commands start as root and switch to the user through setpriv and
# env, as tests/systemd/lib.sh's as_user does; both sides of the
# comparison pay that wrapper, so it cancels out of their ratio.
#
# memrun, memrun-systemd beside it (the VM's systemd is init, so a
# static-pie memrun hands each run over to it), the probe and the
# profiles are first copied to the VM's memory and bind-mounted over their
# places, as the page cache would hold them on a real machine (the
# project's 9p share keeps none: BENCHMARKS.md).
#
# Environment:
#   BENCH_SYSTEMD_RUNS     timed runs per command (default 60)
#   BENCH_SYSTEMD_WARMUP   warm-up runs per command (default 6)
#   BENCH_SYSTEMD_GATE     largest accepted ratio of medians, memrun /
#                          systemd-run (default 1.05)
#   BENCH_SYSTEMD_TRACE    1: then one launch of each memrun and systemd-run
#                          command under strace, its steps as a timeline
#                          (bench/timeline.py; default 0)
#   MEMRUN                 the binary to measure (default build/memrun);
#                          a static-pie memrun cannot load libsystemd and
#                          needs memrun-systemd beside it, a dynamically
#                          linked one (make STATIC=0) runs alone
#   BENCH_OUT              host: where the console output and hyperfine's
#                          JSON are kept (default: bench-systemd/ beside
#                          MEMRUN)
#   VM_TIMEOUT, VM_ACCEL   as tests/vm/run-in-vm.sh takes them
#
# Output: a table, the ratios and one PASS/FAIL line per comparison on
# stdout; on the host also BENCH_OUT/output.txt and BENCH_OUT/systemd.json
# (hyperfine's).  Exit status: 0 everything was measured (whatever the
# verdicts), 2 the benchmark could not run, else the VM's failure.
set -euo pipefail

cd "$(dirname "$0")/.."

RUNS=${BENCH_SYSTEMD_RUNS:-60}
WARMUP=${BENCH_SYSTEMD_WARMUP:-6}
GATE=${BENCH_SYSTEMD_GATE:-1.05}
TRACE=${BENCH_SYSTEMD_TRACE:-0}
MEMRUN=${MEMRUN:-build/memrun}
# What tests/vm/init makes in the systemd boot (tests/systemd/lib.sh).
TEST_UID=4242
TEST_GID=4242
TEST_USER=memrun-user
TEST_USER_HOME=/home/memrun-user
TEST_USER_RUNTIME_DIR=/run/user/$TEST_UID
JSON_BEGIN="----- begin systemd.json"
JSON_END="----- end systemd.json"

die() {
	echo "bench-systemd: $*" >&2
	exit 2
}

# ---- on the host: boot the VM, keep what it printed --------------------
if ! grep -qw 'memrun.boot=systemd' /proc/cmdline; then
	for tool in hyperfine systemd-run setpriv python3; do
		command -v "$tool" >/dev/null 2>&1 ||
			die "$tool is not installed (Debian: hyperfine, systemd, util-linux, python3; scripts/install-deps.sh bench vm)"
	done
	[ -x "$MEMRUN" ] || die "$MEMRUN is missing; run 'make' first"
	# A static memrun talks to systemd through memrun-systemd of the same
	# build; a dynamically linked one (make STATIC=0) does so itself.
	[ -x "$(dirname "$MEMRUN")/memrun-systemd" ] ||
		file -L "$MEMRUN" | grep -q 'interpreter /' ||
		die "$(dirname "$MEMRUN")/memrun-systemd is missing: $MEMRUN is linked statically and talks to systemd through it; run 'make' first"
	OUT=${BENCH_OUT:-$(dirname "$MEMRUN")/bench-systemd}
	mkdir -p "$OUT"
	export MEMRUN BENCH_SYSTEMD_RUNS=$RUNS BENCH_SYSTEMD_WARMUP=$WARMUP \
		BENCH_SYSTEMD_GATE=$GATE BENCH_SYSTEMD_TRACE=$TRACE
	export VM_PASS_ENV="MEMRUN BENCH_SYSTEMD_RUNS BENCH_SYSTEMD_WARMUP BENCH_SYSTEMD_GATE BENCH_SYSTEMD_TRACE ${VM_PASS_ENV:-}"
	export VM_TIMEOUT=${VM_TIMEOUT:-30m}
	echo "== $(date -u '+%Y-%m-%d %H:%M UTC') booting the systemd VM ($RUNS runs per command)"
	echo "host:    $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1); nproc $(nproc);" \
		"$(uname -sr); load $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "vm:      qemu $(qemu-system-x86_64 --version | sed -n '1s/.*version \([^ ]*\).*/\1/p')," \
		"accel ${VM_ACCEL:-tcg,thread=multi}, 2 vCPUs, 1 GiB"
	status=0
	tests/vm/run-in-vm.sh --systemd --snapshot . -- scripts/bench-systemd.sh 2>&1 |
		tee "$OUT/output.txt" | sed "/^$JSON_BEGIN/,/^$JSON_END/d" || status=$?
	sed -n "/^$JSON_BEGIN/,/^$JSON_END/{/^-----/d;p}" "$OUT/output.txt" >"$OUT/systemd.json"
	echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) at the end; output in $OUT/"
	exit "$status"
fi

# ---- in the VM: measure ------------------------------------------------
[ "$(id -u)" = 0 ] || die "run as root in the VM (the test user's commands go through setpriv)"
for tool in hyperfine systemd-run setpriv python3; do
	command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed on the host"
done
MEMRUN=$(realpath "$MEMRUN")
TRUE=/bin/true
SYSTEMD_RUN=$(command -v systemd-run)
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-systemd.XXXXXX")
staged=()
unstage() {
	local m
	for m in "${staged[@]}"; do
		umount "$m" || true
	done
	rm -rf "$work"
}
trap unstage EXIT
chmod 0755 "$work"

# memrun is read from the VM's memory, at its own paths, as systemd-run
# is.  The project reaches the VM over 9p without a cache (the snapshot's
# share), which keeps no page of a file once no one has it open: every
# launch would fetch memrun, its probe and its profile from the host again
# (system time 124 against 41 ms a launch, measured), while systemd-run
# and libsystemd, on the VM's overlay root, stay in the page cache.  The
# same files are copied to the VM's tmpfs and bind-mounted over their
# places, so memrun still runs as a build tree's memrun, hands over to
# the memrun-systemd beside it, with the same probe and profiles; on a
# real machine the page cache does this.
stage() {
	local from=$1 copy
	copy="$work/staged/$(basename "$from")"
	mkdir -p "$work/staged"
	cp -a "$from" "$copy"
	mount --bind "$copy" "$from" || die "cannot put $from in the VM's memory"
	staged+=("$from")
}
stage "$MEMRUN"
for companion in memrun-systemd libmemrun-probe.so; do
	if [ -e "$(dirname "$MEMRUN")/$companion" ]; then
		stage "$(dirname "$MEMRUN")/$companion"
	fi
done
stage "$PWD/profiles"
mkdir "$work/user"
chown "$TEST_UID:$TEST_GID" "$work/user"

# The user's commands: as_user of tests/systemd/lib.sh, without a shell.
AS_USER="$(command -v setpriv) --reuid=$TEST_UID --regid=$TEST_GID --init-groups"
AS_USER+=" $(command -v env) HOME=$TEST_USER_HOME USER=$TEST_USER LOGNAME=$TEST_USER"
AS_USER+=" XDG_RUNTIME_DIR=$TEST_USER_RUNTIME_DIR"
AS_USER+=" DBUS_SESSION_BUS_ADDRESS=unix:path=$TEST_USER_RUNTIME_DIR/bus"

names=(
	"true"			# 0
	"as user: true"		# 1 the wrapper alone
	"memrun root"		# 2
	"systemd-run root"	# 3
	"memrun user"		# 4
	"systemd-run user"	# 5
	"memrun, no scope"	# 6 no cgroup, no probe: memrun's own launch
)
commands=(
	"$TRUE"
	"$AS_USER $TRUE"
	"$MEMRUN -q --memory-max 1G -- $TRUE"
	"$SYSTEMD_RUN --scope -q -p MemoryMax=1G $TRUE"
	"$AS_USER $MEMRUN -q --memory-max 1G -- $TRUE"
	"$AS_USER $SYSTEMD_RUN --user --scope -q -p MemoryMax=1G $TRUE"
	"$MEMRUN -q --no-probe --best-effort --cgroup-parent /nonexistent -- $TRUE"
)
# Blocks in symmetric (ABBA) order, pooled per command: a machine that
# drifts during the run favours neither side.
order=(0 6 1 2 3 4 5 5 4 3 2 1 6 0)

# Each command must succeed, and memrun must have made a systemd scope,
# not fallen back to something cheaper.
for c in "${commands[@]}"; do
	# shellcheck disable=SC2086
	$c >/dev/null 2>&1 || die "'$c' failed (exit $?); nothing measured"
done
"$MEMRUN" -q --memory-max 1G --report "$work/root.json" -- "$TRUE" ||
	die "memrun failed as root"
# shellcheck disable=SC2086
$AS_USER "$MEMRUN" -q --memory-max 1G --report "$work/user/user.json" -- "$TRUE" ||
	die "memrun failed as $TEST_USER"
for r in "$work/root.json" "$work/user/user.json"; do
	python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); c = r["cgroup"]
sys.exit(0 if c["manager"] == "systemd" and c["unit"].endswith(".scope") else
         "memrun used the %s manager: %s" % (c["manager"], c.get("manager_reason")))' "$r" ||
		die "$r: no systemd scope"
done

echo "== machine (the VM)"
echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "cpu:     $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1); nproc $(nproc)"
echo "kernel:  $(uname -sr) $(uname -m); memory $(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
echo "systemd: $(systemctl --version | head -n 1), $(systemctl is-system-running 2>&1);" \
	"user manager $(setpriv --reuid=$TEST_UID --regid=$TEST_GID --init-groups env \
		XDG_RUNTIME_DIR=$TEST_USER_RUNTIME_DIR systemctl --user is-system-running 2>&1)"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) at the start"
echo "tools:   $(hyperfine --version), $(setpriv --version | head -n 1)"
echo "memrun:  $("$MEMRUN" --version) ($MEMRUN)"
echo

args=(-N --runs "$(((RUNS + 1) / 2))" --warmup "$(((WARMUP + 1) / 2))"
	--export-json "$work/systemd.json")
for i in "${order[@]}"; do
	args+=(-n "${names[$i]}" "${commands[$i]}")
done
echo "== $(date -u +%H:%M:%S) hyperfine$(printf ' %q' "${args[@]}")"
hyperfine "${args[@]}" >"$work/hyperfine.txt" 2>&1 || {
	cat "$work/hyperfine.txt" >&2
	die "hyperfine failed"
}
echo "== $(date -u +%H:%M:%S) done"
echo

python3 - "$work/systemd.json" "$GATE" "${names[@]}" <<'EOF'
import json, math, statistics, sys

path, gate, names = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
with open(path) as f:
    blocks = json.load(f)["results"]


def median_ci(values, z=1.96):
    s = sorted(values)
    n = len(s)
    lo = max(0, math.floor(n / 2 - z * math.sqrt(n) / 2))
    hi = min(n - 1, math.ceil(n / 2 + z * math.sqrt(n) / 2))
    return s[lo], s[hi]


rows = {}
for name in names:
    own = [b for b in blocks if b["command"] == name]
    times = [t for b in own for t in b["times"]]
    rows[name] = dict(runs=len(times), median=statistics.median(times), ci=median_ci(times),
                      mean=statistics.fmean(times), sd=statistics.stdev(times), min=min(times),
                      blocks=[b["median"] for b in own])
w = max(map(len, names))
print("== one launch each, back to back; time in ms")
print(f"{'command':<{w}} {'runs':>5} {'median':>8} {'95% CI median':>19} {'mean':>8} {'sd':>8} {'min':>8}")
for name, r in rows.items():
    lo, hi = r["ci"]
    print(f"{name:<{w}} {r['runs']:5d} {r['median'] * 1e3:8.2f} {lo * 1e3:8.2f}..{hi * 1e3:8.2f}"
          f" {r['mean'] * 1e3:8.2f} {r['sd'] * 1e3:8.2f} {r['min'] * 1e3:8.2f}")
print("block medians in ms:")
for name, r in rows.items():
    print(f"  {name:<{w}} " + " ".join(f"{m * 1e3:.2f}" for m in r["blocks"]))
print()
wrapper = rows["as user: true"]["median"] - rows["true"]["median"]
print(f"the user's wrapper (setpriv, env) alone: {wrapper * 1e3:.2f} ms over /bin/true;"
      " both user commands pay it")
print()
print("== memrun against systemd-run: ratios of medians (of means in brackets)")
failed = 0
for who in ("root", "user"):
    m, s = rows[f"memrun {who}"], rows[f"systemd-run {who}"]
    ratio = m["median"] / s["median"]
    ok = ratio <= gate
    failed += not ok
    net = ""
    if who == "user":
        net = (f"; less the wrapper {(m['median'] - wrapper) / (s['median'] - wrapper):.3f}")
    print(f"{'PASS' if ok else 'FAIL'}  systemd  {who}: memrun / systemd-run {ratio:6.3f}"
          f" ({m['mean'] / s['mean']:.3f})  (allowed <= {gate:.2f})  medians"
          f" {m['median'] * 1e3:.2f} vs {s['median'] * 1e3:.2f} ms,"
          f" {(m['median'] - s['median']) * 1e3:+.2f} ms{net}")
b, s = rows["memrun, no scope"], rows["systemd-run root"]
print(f"info  systemd  root: memrun with no scope / systemd-run {b['median'] / s['median']:6.3f}"
      f"  (memrun's own launch, no cgroup and no probe, against systemd-run's whole one)")
spread = max(rows["true"]["blocks"]) / min(rows["true"]["blocks"]) - 1
print(f"      /bin/true's own blocks differ by {spread * 100:.1f}%")
print(f"{2 - failed} comparisons met, {failed} not met")
EOF

echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) at the end"
echo "$JSON_BEGIN"
python3 -c 'import json, sys; json.dump(json.load(open(sys.argv[1])), sys.stdout, separators=(",", ":"))' \
	"$work/systemd.json"
echo
echo "$JSON_END"

# ---- optional: where one launch's time goes ----------------------------
#
# One launch of each memrun and systemd-run command under strace, stopped
# only at the system calls that mark a step (--seccomp-bpf), as a timeline
# (bench/timeline.py).  strace makes each of those calls slower, so the
# steps' lengths are relative, not what a launch takes untraced.
if [ "$TRACE" = 1 ]; then
	command -v strace >/dev/null 2>&1 || die "BENCH_SYSTEMD_TRACE=1 needs strace"
	calls=execve,clone,clone3,connect,sendmsg,sendto,recvmsg,mkdirat,unlinkat,exit_group,inotify_init1,faccessat2
	for i in 2 3 4 5; do
		echo
		echo "== strace: ${names[$i]}, one launch (ms from its start)"
		# shellcheck disable=SC2086
		strace --seccomp-bpf -f -ttt -s 160 -e trace=$calls -o "$work/trace.$i" \
			${commands[$i]} >/dev/null 2>&1 || echo "(exit status $?)"
		python3 bench/timeline.py "$work/trace.$i"
	done
fi
exit 0
