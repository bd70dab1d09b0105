#!/usr/bin/env bash
# A short, real demonstration of memrun: each step runs a real program under
# memrun and shows memrun's own summary line.  Run by 'make demo'.
set -u
cd "$(dirname "$0")/.." || exit 1
export MEMRUN_PROFILE_PATH=$PWD/profiles
memrun=$PWD/build/memrun
helpers=$PWD/build/tests/helpers
make -s build/tests/helpers/arenas
bold="" plain=""
if [ -t 1 ]; then
	bold=$(tput bold 2>/dev/null || true)
	plain=$(tput sgr0 2>/dev/null || true)
fi

step() {
	printf '\n%s== %s%s\n' "$bold" "$1" "$plain"
	shift
	printf '$ %s\n' "$*"
}

run() {
	"$@"
	printf '(exit status %d)\n' $?
}

step "A job that exits: memrun passes its status through" \
	"memrun -- sh -c 'echo hello from the job; exit 3'"
run "$memrun" -- sh -c 'echo hello from the job; exit 3'

step "A job killed by a signal: memrun forwards SIGTERM and exits 128+15" \
	"memrun -- sleep 30   # then: kill -TERM <memrun>"
"$memrun" -- sleep 30 &
pid=$!
sleep 0.5
kill -TERM "$pid"
wait "$pid"
printf '(exit status %d)\n' $?

step "RLIMIT_AS and oom_score_adj: python3 asks for 400 MiB under a 256 MiB cap" \
	"memrun --as 256M --oom-score-adj 500 -- python3 -c '...bytearray(400 << 20)'"
run "$memrun" --as 256M --oom-score-adj 500 -- python3 -c '
print("oom_score_adj in the job:", open("/proc/self/oom_score_adj").read().strip())
try:
    bytearray(400 << 20)
except MemoryError:
    print("MemoryError: the kernel refused the allocation")
    raise SystemExit(1)'

step "The OOM killer, told apart: a 64 MiB cgroup limit, a program that wants 512 MiB" \
	"memrun --memory-max 64M -- python3 -c 'bytearray(512 << 20)'"
run "$memrun" --memory-max 64M -- python3 -c 'bytearray(512 << 20)'

step "Only a child was OOM-killed: the main process exits 0, memrun still says what happened" \
	"memrun --memory-max 64M -- sh -c 'python3 -c \"bytearray(512 << 20)\" & wait; exit 0'"
run "$memrun" --memory-max 64M -- sh -c 'python3 -c "bytearray(512 << 20)" & wait; exit 0'

step "A kill -9 from a user is not an OOM kill" "memrun --memory-max 64M -- sh -c 'kill -9 \$\$'"
run "$memrun" --memory-max 64M -- sh -c 'kill -9 $$'

step "Too many malloc arenas: 4 idle threads' arenas leave no room for 150 MiB under a 256 MiB RLIMIT_AS, then with --malloc arena_max=1" \
	"memrun --as 256M -- arenas 4 150; memrun --as 256M --malloc arena_max=1 -- arenas 4 150"
run "$memrun" --as 256M -- "$helpers/arenas" 4 150
run "$memrun" --as 256M --malloc arena_max=1 -- "$helpers/arenas" 4 150

step "Profiles: what would run, with every value's origin" \
	"memrun --dry-run -p strict -p ci --as 1G -- make -j8 test"
run "$memrun" --dry-run -p strict -p ci --as 1G -- make -j8 test

step "A setting that cannot be put in force stops the run (exit 125) instead of being skipped" \
	"memrun -p db -- true    # db lowers oom_score_adj to -500"
if setpriv --help >/dev/null 2>&1; then
	# Shown without CAP_SYS_RESOURCE, as an ordinary user would meet it.
	run setpriv --inh-caps=-sys_resource --bounding-set=-sys_resource -- "$memrun" -p db -- true
else
	run "$memrun" -p db -- true
fi

step "memrun doctor: what on this host would refuse memory or kill a process" "memrun doctor"
"$memrun" doctor | grep -E '^(limits|overcommit|memory|cgroup|OOM killer)$|overcommit_memory is|no swap|cgroup v[12]|can create a job cgroup|oom_score_adj cannot|RLIMIT_AS'

printf '\n%sThe report for scripts and CI:%s memrun --report job.json -- ...\n' "$bold" "$plain"
"$memrun" -q --report build/demo-report.json -- sh -c 'exit 0'
head -n 12 build/demo-report.json
echo "  ..."
