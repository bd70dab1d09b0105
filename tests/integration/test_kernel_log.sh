#!/usr/bin/env bash
# Which kernel log names the victims of an OOM kill: /dev/kmsg where memrun
# may read it, else the kernel's messages in the system journal, else none
# (the victims null, the outcome still from the cgroup's counters), and the
# report, --dry-run and doctor say which.  The journal is a systemd-journald
# of the test's own, in a mount namespace of its own (tmpfs over /run and
# /var/log/journal), reading this machine's /dev/kmsg; memrun runs without
# CAP_SYSLOG, so that kernel.dmesg_restrict=1 closes /dev/kmsg to it.
source "$(dirname "$0")/lib.sh"

probe_job_cgroup

JOURNALD=
for j in /lib/systemd/systemd-journald /usr/lib/systemd/systemd-journald; do
	[ -x "$j" ] && { JOURNALD=$j; break; }
done
JOURNALD_PID=$WORK/journald.pid
CMD_MS=$WORK/cmd.ms

needs_kmsg_closable() {
	needs_cgroup || return 1
	if [ "$(cat /proc/sys/kernel/dmesg_restrict 2>/dev/null)" != 1 ]; then
		skip "every user may read the kernel log here (kernel.dmesg_restrict is not 1), so memrun cannot be kept from /dev/kmsg"
		return 1
	fi
	if ! unshare -m --propagation private true 2>/dev/null; then
		skip "no mount namespace can be made here (unshare -m) for a journal of the test's own"
		return 1
	fi
}

needs_journald() {
	needs_kmsg_closable || return 1
	[ -n "$JOURNALD" ] || { skip "systemd-journald is not installed"; return 1; }
}

# in_private_journal none|journald [PAUSE] -- CMD...: CMD in a mount
# namespace whose /run and /var/log/journal are empty, with a journald of
# its own there (journald), or no journal at all (none).  With PAUSE, the
# journald is stopped for PAUSE seconds when CMD starts.  The exit status is
# CMD's; 125 when the journald did not start.  $CMD_MS: how long CMD took,
# in milliseconds.
in_private_journal() {
	local mode=$1 pause=
	shift
	[ "$1" != -- ] && { pause=$1; shift; }
	shift
	unshare -m --propagation private -- bash -c '
		mode=$1 pause=$2 journald=$3 pidfile=$4 took=$5
		shift 5
		exec 3>&2 2>/dev/null	# no "Killed" notice of our own
		mount -t tmpfs tmpfs /run || exit 125
		if [ -d /var/log/journal ]; then mount -t tmpfs tmpfs /var/log/journal || exit 125; fi
		if [ "$mode" = journald ]; then
			"$journald" </dev/null >/dev/null 2>&1 &
			jpid=$!
			echo "$jpid" >"$pidfile"
			for _ in $(seq 100); do
				ls /run/log/journal/*/system.journal >/dev/null 2>&1 && break
				sleep 0.05
			done
			ls /run/log/journal/*/system.journal >/dev/null 2>&1 || exit 125
			if [ -n "$pause" ]; then
				kill -STOP "$jpid"
				( sleep "$pause"; kill -CONT "$jpid" ) &
				resume=$!
			fi
		fi
		start=$(date +%s%N)
		"$@" 2>&3
		rc=$?
		echo $((($(date +%s%N) - start) / 1000000)) >"$took"
		[ -n "${resume:-}" ] && wait "$resume"
		[ -n "${jpid:-}" ] && kill -KILL "$jpid" && wait "$jpid"
		exit $rc' bash "$mode" "$pause" "$JOURNALD" "$JOURNALD_PID" "$CMD_MS" "$@"
}

# memrun without CAP_SYSLOG (nor CAP_SYS_ADMIN, which opens /dev/kmsg too).
WITHOUT_SYSLOG=(setpriv --inh-caps=-syslog,-sys_admin --bounding-set=-syslog,-sys_admin --)

# run_closed MODE [PAUSE] -- MEMRUN-ARGS...
run_closed() {
	local mode=$1 pause=
	shift
	[ "$1" != -- ] && { pause=$1; shift; }
	shift
	{ in_private_journal "$mode" $pause -- "${WITHOUT_SYSLOG[@]}" "$MEMRUN" "$@" \
		>"$out" 2>"$err" </dev/null; } 2>/dev/null
	status=$?
	[ "$status" != 125 ] || fail "the private journal could not be set up: $(cat "$err")"
}

expect_hog_named() {
	expect_json "r['outcome'] == 'oom-killed' and r['oom']['kills'] == 1"
	expect_json "[(v['comm'], v['main']) for v in r['oom']['victims']] == [('hog', True)]"
	expect_json "r['oom']['victims_source'] == '$1' and r['oom']['victims_unknown_reason'] is None"
}

test_kmsg_names_the_victim() {
	needs_cgroup || return
	head -c 0 /dev/kmsg 2>/dev/null || { skip "/dev/kmsg is not readable here"; return; }
	run_memrun --memory-max 64M --report "$report" -- "$HELPERS/hog" 200
	expect_status 137
	expect_hog_named kmsg
	run_memrun --dry-run -- true
	expect_out '(oom.victims_source "kmsg")'
}

test_no_oom_kill_reads_no_log() {
	run_memrun --report "$report" -- true
	expect_status 0
	expect_json "r['oom']['victims_source'] is None and r['oom']['victims_unknown_reason'] is None"
}

test_neither_log_readable() {
	needs_kmsg_closable || return
	run_closed none -- --memory-max 64M --report "$report" -- "$HELPERS/hog" 200
	expect_status 137
	# The counters still tell the OOM kill, and that it was the main process.
	expect_json "r['outcome'] == 'oom-killed' and r['oom']['kills'] == 1 and r['main_oom_killed'] is True"
	expect_json "r['oom']['victims'] is None and r['oom']['victims_source'] is None"
	expect_json "'/dev/kmsg' in r['oom']['victims_unknown_reason'] and 'system journal' in r['oom']['victims_unknown_reason']"
	run_closed none -- --dry-run -- true
	expect_status 0
	expect_out "! neither /dev/kmsg (Operation not permitted) nor the system journal"
	expect_out "set kernel.dmesg_restrict=0"
	run_closed none -- doctor
	expect_out "nor is the system journal: the report counts OOM kills from the cgroup but cannot name the victims"
}

test_journal_names_the_victim() {
	needs_journald || return
	run_closed journald -- --memory-max 64M --report "$report" -- "$HELPERS/hog" 200
	expect_status 137
	expect_hog_named journal
	run_closed journald -- --dry-run -- true
	expect_out 'the system journal is: OOM-killed processes are named in the report (oom.victims_source "journal")'
	run_closed journald -- doctor --json
	expect_status 0
	"$PYTHON" - "$out" <<'PY' || fail "doctor does not say the journal serves"
import json, sys
f = {x["key"]: x for x in json.load(open(sys.argv[1]))["findings"]}
ok = (f["journal"]["level"] == "ok" and f["journal"]["value"] == "readable" and
      f["kmsg"]["value"] == "unreadable" and "journal instead" in f["kmsg"]["message"])
if not ok:
    print("#   " + json.dumps([f["kmsg"], f["journal"]]))
sys.exit(0 if ok else 1)
PY
}

# journald copies the kernel's record after the kill: memrun waits for it,
# and for no more than about a second when it does not come.
test_journal_late_record_is_waited_for_a_bounded_time() {
	local took
	needs_journald || return
	run_closed journald 0.3 -- -q --memory-max 64M --report "$report" -- "$HELPERS/hog" 200
	expect_status 137
	expect_hog_named journal

	run_closed journald 4 -- -q --memory-max 64M --report "$report" -- "$HELPERS/hog" 200
	took=$(cat "$CMD_MS")
	expect_status 137
	# memrun gave up on the record, the counters tell the kill.
	expect_json "r['outcome'] == 'oom-killed' and r['oom']['kills'] == 1 and r['main_oom_killed'] is True"
	expect_json "r['oom']['victims'] == [] and r['oom']['victims_source'] == 'journal'"
	[ "$took" -ge 1000 ] || fail "memrun waited ${took} ms for the journal, not 1 s"
	[ "$took" -lt 3000 ] || fail "memrun waited ${took} ms for the journal, more than 1 s"
}

# A root job writes an oom-kill line naming itself to /dev/kmsg: journald
# keeps it as a kernel-transport message, but with the facility the kernel
# gives what a process writes, and memrun does not take it.
test_forged_journal_record_is_not_an_oom_kill() {
	needs_journald || return
	[ -w /dev/kmsg ] || { skip "/dev/kmsg is not writable here: no record can be forged"; return; }
	run_closed journald -- --report "$report" -- sh -c '
		v1=$(sed -n "s/^[0-9]*:[^:]*memory[^:]*://p" /proc/self/cgroup)
		if [ -n "$v1" ]; then cg=$v1; dir=/sys/fs/cgroup/memory$cg
		else cg=$(sed -n "s/^0:://p" /proc/self/cgroup); dir=/sys/fs/cgroup$cg; fi
		mkdir "$dir/sub" && rmdir "$dir/sub" || exit 3
		printf "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=%s,task_memcg=%s,task=sh,pid=%d,uid=0\n" \
			"$cg" "$cg" $$ >/dev/kmsg || exit 4
		# Until journald has it: the test must not pass for want of it.
		for _ in $(seq 100); do
			journalctl -q --no-pager _TRANSPORT=kernel -o cat 2>/dev/null | grep -q "task=sh,pid=$$," && break
			sleep 0.05
		done
		journalctl -q --no-pager _TRANSPORT=kernel -o cat 2>/dev/null | grep -q "task=sh,pid=$$," || exit 5
		kill -9 $$'
	expect_status 137
	expect_json "r['outcome'] == 'signaled' and r['main_oom_killed'] is not True"
	# On cgroup v1 the log is read (the job made a cgroup), and named no one.
	[ "$version" = 2 ] || expect_json "r['oom']['victims'] == [] and r['oom']['victims_source'] == 'journal'"
	expect_no_err "OOM-killed"
}

run_tests
