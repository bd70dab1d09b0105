#!/usr/bin/env bash
# The job's own cgroup: limits in force, OOM kills told apart from kill -9,
# nothing left behind.  Runs on whatever hierarchy the machine has (cgroup
# v1 here, v2 in the VM suite) and reads the report to know which.
source "$(dirname "$0")/lib.sh"

# cgroup version memrun uses here, and where a job's cgroup goes.
probe_job_cgroup

# The file that holds a limit, by hierarchy.
limit_file() {
	case "$version:$1" in
	2:max) echo memory.max ;; 2:high) echo memory.high ;; 2:swap) echo memory.swap.max ;;
	1:max) echo memory.limit_in_bytes ;; 1:high) echo memory.soft_limit_in_bytes ;;
	1:swap) echo memory.memsw.limit_in_bytes ;;
	esac
}

# Alive, and not merely a zombie waiting for a parent to reap it.
is_running() {
	local state
	state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	case "$state" in Z*) return 1 ;; esac
}

report_value() {
	python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$report" "$1"
}

expect_cgroup_removed() {
	local dir
	dir=$(report_value "r['cgroup']['path']")
	[ -n "$dir" ] && [ "$dir" != None ] || { fail "no cgroup path in the report"; return; }
	[ -d "$dir" ] && fail "cgroup $dir left behind"
}

test_main_process_oom_killed() {
	needs_cgroup || return
	run_memrun --memory-max 64M --report "$report" -- "$HELPERS/hog" 512
	expect_status 137
	expect_err "hog was OOM-killed: cgroup $(limit_file max) 64 MiB reached"
	expect_err "1 process killed"
	expect_json "r['outcome'] == 'oom-killed' and r['main_oom_killed'] is True"
	expect_json "r['oom']['kills'] >= 1 and r['oom']['killer'] == 'cgroup' and r['signal'] == 9"
	expect_json "r['limits']['memory_max_bytes'] == 64 << 20 and r['cgroup']['version'] == $version"
	# The peak is the kernel's own, at the limit (2%).
	expect_json "abs(r['peak']['memory_bytes'] - (64 << 20)) <= (64 << 20) * 0.02"
	expect_cgroup_removed
}

test_grandchild_oom_killed_while_main_exits_0() {
	needs_cgroup || return
	run_memrun --memory-max 64M --report "$report" -- sh -c "\"$HELPERS/hog\" 512 & wait; exit 0"
	expect_status 0
	expect_err "sh exited 0 after"
	expect_err "1 job process was OOM-killed"
	expect_json "r['outcome'] == 'oom-killed' and r['exit_code'] == 0 and r['main_oom_killed'] is False"
	expect_json "r['oom']['kills'] == 1 and r['oom']['killer'] == 'cgroup'"
	expect_json "r['oom']['victims'] is None or [v['comm'] for v in r['oom']['victims']] == ['hog']"
	expect_cgroup_removed
}

test_stress_ng_vm_worker_oom_killed() {
	needs_cgroup || return
	command -v stress-ng >/dev/null || { fail "stress-ng is not installed (scripts/install-deps.sh check)"; return; }
	run_memrun --memory-max 64M --report "$report" -- \
		stress-ng --vm 1 --vm-bytes 256M --vm-keep --timeout 4s --quiet
	expect_json "r['outcome'] == 'oom-killed' and r['oom']['kills'] >= 1 and r['oom']['killer'] == 'cgroup'"
	expect_json "r['main_oom_killed'] is False"
	expect_json "abs(r['peak']['memory_bytes'] - (64 << 20)) <= (64 << 20) * 0.02"
	expect_cgroup_removed
}

test_kill_9_from_a_user_is_signaled() {
	needs_cgroup || return
	run_memrun --memory-max 256M --report "$report" -- sh -c 'kill -KILL $$'
	expect_status 137
	expect_json "r['outcome'] == 'signaled' and r['main_oom_killed'] is False and r['oom']['kills'] == 0"
	expect_no_err "OOM"
	expect_cgroup_removed
}

test_limits_are_written_to_the_cgroup() {
	needs_cgroup || return
	local mount job_line
	if [ "$version" = 2 ]; then
		job_line='^0::'
		mount=$(awk '$9 == "cgroup2" {print $5; exit}' /proc/self/mountinfo)
	else
		job_line=':memory:'
		mount=$(awk '$9 == "cgroup" && $NF ~ /(^|,)memory(,|$)/ {print $5; exit}' /proc/self/mountinfo)
	fi
	local files="$(limit_file max) $(limit_file high) $(limit_file swap)"
	run_memrun -q --memory-max 96M --memory-high 80M --swap-max 16M --report "$report" -- \
		sh -c 'd="$1$(grep "$2" /proc/self/cgroup | cut -d: -f3)"; shift 2; for f; do cat "$d/$f" 2>/dev/null || echo missing; done' \
		sh "$mount" "$job_line" $files
	if grep -q "swap accounting is off" "$err"; then
		skip "the kernel has no swap accounting, so --swap-max cannot be tested here"
		return
	fi
	expect_status 0
	# v1 limits memory and swap together: 96M + 16M.
	local expected="100663296 83886080 $([ "$version" = 2 ] && echo 16777216 || echo 117440512)"
	[ "$(tr '\n' ' ' <"$out")" = "$expected " ] || fail "in the cgroup: $(tr '\n' ' ' <"$out"), expected $expected"
	expect_json "r['limits']['memory_max_bytes'] == 96 << 20 and r['limits']['memory_high_bytes'] == 80 << 20"
	expect_json "r['limits']['swap_max_bytes'] == 16 << 20"
	expect_cgroup_removed
}

# On v1 the job joins by moving its one thread (tasks): the threads and
# children it starts afterwards must all be in the job's cgroup too.
test_every_thread_and_child_of_the_job_is_in_its_cgroup() {
	needs_cgroup || return
	local line
	line=$([ "$version" = 2 ] && echo '^0::' || echo ':memory:')
	run_memrun -q --report "$report" -- "$PYTHON" -c '
import re, subprocess, sys, threading
pat = re.compile(sys.argv[1])
def mine(path):
    return [l.split(":", 2)[2].strip() for l in open(path) if pat.search(l)][0]
seen = [mine("/proc/self/cgroup")]
t = threading.Thread(target=lambda: seen.append(mine("/proc/thread-self/cgroup")))
t.start(); t.join()
seen.append(subprocess.run(["cat", "/proc/self/cgroup"], capture_output=True, text=True).stdout)
seen[2] = [l.split(":", 2)[2] for l in seen[2].splitlines() if pat.search(l)][0]
print("\n".join(seen))' "$line"
	expect_status 0
	local job
	job=$(report_value "r['cgroup']['path']")
	[ "$(wc -l <"$out")" = 3 ] || fail "expected three cgroup lines: $(cat "$out")"
	while read -r path; do
		case "$job" in
		*"$path") ;;
		*) fail "a thread or child is in $path, not in the job's cgroup $job" ;;
		esac
	done <"$out"
}

test_leftover_processes_are_killed() {
	needs_cgroup || return
	run_memrun -q --report "$report" -- sh -c "sleep 300 & echo \$! >'$WORK/left.pid'; exit 0"
	expect_status 0
	local pid
	pid=$(cat "$WORK/left.pid")
	is_running "$pid" && { fail "leftover sleep $pid still runs"; kill "$pid"; }
	expect_cgroup_removed
}

test_wait_all_waits_for_daemonized_processes() {
	run_memrun -q --wait-all --report "$report" -- sh -c "(sleep 1; echo done >'$WORK/daemon.out') & exit 0"
	expect_status 0
	[ "$(cat "$WORK/daemon.out" 2>/dev/null)" = done ] || fail "memrun did not wait for the daemon"
	expect_json "r['duration_s'] < 1 and r['outcome'] == 'exited'"
}

test_oom_group_ends_the_whole_job() {
	needs_cgroup || return
	local start=$SECONDS
	run_memrun --oom-group --memory-max 64M --report "$report" -- \
		sh -c "sleep 60 & \"$HELPERS/hog\" 512; wait"
	[ $((SECONDS - start)) -lt 30 ] || fail "the job outlived its OOM kill by $((SECONDS - start)) s"
	expect_json "r['outcome'] == 'oom-killed' and r['limits']['oom_group'] is True"
	expect_cgroup_removed
}

test_memrun_killed_midjob_leaves_a_stale_cgroup_the_next_run_removes() {
	needs_cgroup || return
	local pid job dir left
	"$MEMRUN" -q -- sh -c "sleep 300 & echo \$! >'$WORK/stale.pid'; sleep 300" &
	pid=$!
	for _ in $(seq 100); do [ -s "$WORK/stale.pid" ] && break; sleep 0.05; done
	left=$(cat "$WORK/stale.pid")
	if [ "$version" = 2 ]; then
		dir=$(awk '$9 == "cgroup2" {print $5; exit}' /proc/self/mountinfo)$(grep '^0::' "/proc/$left/cgroup" | cut -d: -f3)
	else
		dir=$(awk '$9 == "cgroup" && $NF ~ /(^|,)memory(,|$)/ {print $5; exit}' /proc/self/mountinfo)$(grep ':memory:' "/proc/$left/cgroup" | cut -d: -f3)
	fi
	case "$dir" in */memrun-*) ;; *) fail "job not in a memrun cgroup: $dir"; kill -9 "$pid" "$left"; return ;; esac
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	sleep 0.2
	[ -d "$dir" ] || { fail "the cgroup vanished by itself (test proves nothing)"; return; }
	run_memrun -q -- true
	expect_status 0
	[ -d "$dir" ] && fail "stale cgroup $dir not removed by the next run"
	if is_running "$left"; then
		fail "the stale job's process $left still runs"
		kill -9 "$left"
	fi
}

test_unusable_cgroup_parent_is_125_unless_best_effort() {
	run_memrun --memory-max 64M --cgroup-parent /no/such/cgroup --report "$report" -- touch "$WORK/ran"
	expect_status 125
	expect_err "cannot put memory_max = 64 MiB (from flag --memory-max) in force"
	expect_err "no such cgroup"
	[ -e "$WORK/ran" ] && fail "the job ran without its limit"
	expect_json "r['outcome'] == 'failed-to-start'"

	run_memrun --memory-max 64M --cgroup-parent "$WORK" -- true
	expect_status 125
	expect_err "is not on a cgroup file system"

	run_memrun --best-effort --memory-max 64M --cgroup-parent /no/such/cgroup --report "$report" -- touch "$WORK/ran"
	expect_status 0
	expect_err "warning: memory_max = 64 MiB (from flag --memory-max) is not in force"
	expect_err "cgroup limits NOT applied"
	[ -e "$WORK/ran" ] || fail "--best-effort did not run the job"
	expect_json "r['limits']['memory_max_bytes'] is None and 'no such cgroup' in r['limits']['not_applied_reason']"
}

test_percent_resolves_against_the_enclosing_cgroup_limit() {
	needs_cgroup || return
	local parent own test_cg
	run_memrun -q --report "$report" -- true
	own=$(dirname "$(report_value "r['cgroup']['path']")")
	test_cg=$own/memrun-test-$$
	mkdir "$test_cg" || { fail "cannot create $test_cg"; return; }
	# Below MemTotal anywhere this runs (a 512 MiB VM too).
	if [ "$version" = 2 ]; then
		echo 256M >"$test_cg/memory.max"
	else
		echo 256M >"$test_cg/memory.limit_in_bytes"
	fi
	sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" --dry-run --as 50% -- true' sh "$test_cg" "$MEMRUN" >"$out" 2>"$err"
	status=$?
	rmdir "$test_cg"
	expect_status 0
	grep -qE "^  as +50% = 128 MiB +flag --as$" "$out" || fail "50% not of the 256 MiB enclosing limit: $(grep '^  as ' "$out")"
	expect_out "100% = 256 MiB, $(limit_file max) of $test_cg"
}

# memrun finds the usual mount points with a statfs; anywhere else it reads
# mountinfo.  Here the hierarchy is moved, in a private mount namespace.
test_hierarchy_mounted_elsewhere_is_found_through_mountinfo() {
	needs_cgroup || return
	local mnt=$WORK/elsewhere usual fstype opts dir
	if [ "$version" = 2 ]; then
		usual=/sys/fs/cgroup fstype=cgroup2 opts=
	else
		usual=/sys/fs/cgroup/memory fstype=cgroup opts="-o memory"
	fi
	if ! unshare -m true 2>/dev/null; then
		skip "cannot make a private mount namespace here (unshare -m needs CAP_SYS_ADMIN)"
		return
	fi
	mkdir -p "$mnt"
	# shellcheck disable=SC2016
	unshare -m sh -c 'umount -l "$1" && mount -t "$2" $3 cgroup "$4" &&
		exec "$5" --memory-max 64M --report "$6" -- true' \
		sh "$usual" "$fstype" "$opts" "$mnt" "$MEMRUN" "$report" >"$out" 2>"$err" </dev/null
	status=$?
	expect_status 0
	expect_json "r['cgroup']['version'] == $version and r['limits']['memory_max_bytes'] == 64 << 20"
	expect_json "r['cgroup']['path'].startswith('$mnt/')"
	dir=$(report_value "r['cgroup']['path']")
	[ -d "$usual${dir#"$mnt"}" ] && fail "cgroup ${dir#"$mnt"} left behind"
}

test_supervisor_sleeps_under_a_cgroup() {
	needs_cgroup || return
	expect_no_wakeups --memory-max 1G
}

run_tests
