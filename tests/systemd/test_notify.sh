#!/usr/bin/env bash
# memrun as the main process of a Type=notify service, for real: the job's
# READY=1, STATUS= and watchdog pings reach systemd through memrun's relay
# (NotifyAccess= left at its default, main), whether the job runs in a
# cgroup of memrun's inside the unit (Delegate=yes) or in a scope of its
# own; the job's MAINPID= is not taken; `systemctl stop` leaves the unit
# inactive, not failed, with memrun and the job gone.  The sample unit of
# examples/ runs as shipped.
source "$(dirname "$0")/lib.sh"

job_py=$WORK/notify-job.py
stop_record=$WORK/stop-post
READY_AFTER=1.5
# The job may run as the test user, who cannot reach root's interpreter.
JOB_PYTHON=/usr/bin/python3
[ -x "$JOB_PYTHON" ] || JOB_PYTHON=$PYTHON
# How memrun ended, as systemd judged it, written by ExecStopPost= as root
# ("+"); "$$" is a "$" that systemd leaves to the shell.
STOP_POST="ExecStopPost=+/bin/sh -c 'echo \"\$\$SERVICE_RESULT \$\$EXIT_CODE \$\$EXIT_STATUS\" >$stop_record'"
# What every unit here needs of the test environment.
TEST_ENVIRONMENT="Environment=MEMRUN_PROFILE_PATH=$MEMRUN_PROFILE_PATH ASAN_OPTIONS=$ASAN_OPTIONS UBSAN_OPTIONS=$UBSAN_OPTIONS"

# notify-job.py ENV_FILE DELAY [graceful]: a server that starts up for
# DELAY seconds, says READY=1 (and names itself in MAINPID=, which must
# not be taken), pings the watchdog while it serves and, "graceful", ends
# on SIGTERM with STOPPING=1 and exit 0; else SIGTERM kills it.
cat >"$job_py" <<'PY'
import json, os, signal, socket, sys, time
env_file, delay = sys.argv[1], float(sys.argv[2])
target = os.environ["NOTIFY_SOCKET"]
address = "\0" + target[1:] if target.startswith("@") else target
sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)

def notify(text):
    sock.sendto(text.encode(), address)

if sys.argv[3:] == ["graceful"]:
    def stop(sig, frame):
        notify("STOPPING=1")
        sys.exit(0)
    signal.signal(signal.SIGTERM, stop)
json.dump({"pid": os.getpid(), "env": dict(os.environ)}, open(env_file + ".new", "w"))
os.rename(env_file + ".new", env_file)
time.sleep(delay)
notify("READY=1\nSTATUS=serving\nMAINPID=%d" % os.getpid())
while True:
    if "WATCHDOG_USEC" in os.environ and "WATCHDOG_PID" not in os.environ:
        notify("WATCHDOG=1")
    time.sleep(0.3)
PY
chmod 0644 "$job_py"

# use_unit NAME ENV_FILE: the unit the next steps act on, and where its
# job writes its pid and environment.
use_unit() {
	unit=$1
	unit_file=/run/systemd/system/$unit
	job_env=$2
	rm -f "$job_env" "$stop_record" "$report"
}

# write_unit [graceful] [DIRECTIVE]...: a server's Type=notify service
# with memrun in front, watchdog on.
write_unit() {
	local mode=
	[ "${1:-}" = graceful ] && { mode=graceful; shift; }
	use_unit "memrun-notify-test-$$.service" "$WORK/notify-job-env.json"
	{
		echo "[Unit]"
		echo "Description=memrun notify test"
		echo "[Service]"
		echo "Type=notify"
		echo "ExecStart=$MEMRUN --profile db --memory-max 256M --report $report -- $JOB_PYTHON $job_py $job_env $READY_AFTER $mode"
		echo "$TEST_ENVIRONMENT"
		echo "$STOP_POST"
		echo "KillMode=mixed"
		echo "WatchdogSec=3"
		echo "TimeoutStartSec=60"
		echo "TimeoutStopSec=30"
		printf '%s\n' "$@"
	} >"$unit_file"
	systemctl daemon-reload
}

remove_unit() {
	systemctl stop "$unit" 2>/dev/null
	systemctl reset-failed "$unit" 2>/dev/null
	rm -f "$unit_file"
	systemctl daemon-reload
}

prop() {
	systemctl show -P "$1" "$unit"
}

show_status() {
	systemctl status --no-pager "$unit" 2>&1 | head -30 | sed 's/^/#   /'
	journalctl --no-pager -q -u "$unit" 2>&1 | tail -15 | sed 's/^/#   journal: /'
}

# start_and_check WATCHDOG_USEC: `systemctl start` returns once the job
# said READY=1 through memrun, not before; memrun stays the main process
# (the job's MAINPID= was dropped); the job has memrun's socket, no
# WATCHDOG_PID, and WATCHDOG_USEC (empty: none).  Sets memrun_pid, job_pid.
start_and_check() {
	local watchdog_usec=$1 start elapsed
	start=$(date +%s%N)
	systemctl start "$unit" 2>"$err" ||
		{ fail "systemctl start $unit failed: $(cat "$err")"; show_status; return 1; }
	elapsed=$((($(date +%s%N) - start) / 1000000))
	[ "$elapsed" -ge 1400 ] || fail "systemctl start returned after $elapsed ms, before the job was ready"
	[ "$(prop ActiveState)" = active ] || fail "not active after start: $(prop ActiveState)/$(prop SubState)"
	[ "$(prop StatusText)" = serving ] || fail "StatusText '$(prop StatusText)', expected serving"
	memrun_pid=$(prop MainPID)
	[ "$(cat "/proc/$memrun_pid/comm" 2>/dev/null)" = memrun ] ||
		fail "MainPID $memrun_pid is '$(cat "/proc/$memrun_pid/comm" 2>/dev/null)', not memrun"
	job_pid=$("$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["pid"])' "$job_env")
	[ "$job_pid" != "$memrun_pid" ] || fail "the job is the main process"
	"$PYTHON" - "$job_env" "$watchdog_usec" <<'PY' || fail "the job's environment: $(head -c 800 "$job_env")"
import json, sys
env = json.load(open(sys.argv[1]))["env"]
sys.exit(not (env["NOTIFY_SOCKET"].startswith("@memrun-notify-") and "WATCHDOG_PID" not in env
              and env.get("WATCHDOG_USEC") == (sys.argv[2] or None)))
PY
}

# stop_and_check "RESULT CODE STATUS": after `systemctl stop` the unit is
# inactive, not failed, memrun ended as expected ("success killed TERM"),
# memrun and the job are gone, no scope is left.  (A unit that stopped
# clean may be unloaded at once, its properties then read as defaults:
# ExecStopPost= says how memrun ended.  A failed one stays failed.)
stop_and_check() {
	systemctl stop "$unit" || fail "systemctl stop $unit failed"
	! systemctl is-failed -q "$unit" || { fail "$unit is failed: $(prop Result)"; show_status; }
	[ "$(prop ActiveState)" = inactive ] || fail "after stop: $(prop ActiveState), expected inactive"
	[ "$(cat "$stop_record" 2>/dev/null)" = "$1" ] ||
		fail "memrun's end, as systemd saw it: '$(cat "$stop_record" 2>/dev/null)', expected '$1'"
	! kill -0 "$memrun_pid" 2>/dev/null || fail "memrun (pid $memrun_pid) is still there"
	! kill -0 "$job_pid" 2>/dev/null || fail "the job (pid $job_pid) is still there"
	no_scope_left || fail "a scope is left"
}

# Watchdog pings go through the relay: past WatchdogSec= the unit lives on.
watchdog_holds() {
	sleep 4
	[ "$(prop ActiveState)" = active ] || { fail "the watchdog ended the unit: $(prop Result)"; show_status; }
	[ "$(prop MainPID)" = "$memrun_pid" ] || fail "MainPID changed to $(prop MainPID)"
}

job_in_unit_cgroup() {
	grep -q "^0::/system.slice/$unit/" "/proc/$job_pid/cgroup" ||
		fail "the job is not in the unit's cgroup: $(cat "/proc/$job_pid/cgroup")"
}

test_delegated_service_notifies_through_memrun_and_stops_clean() {
	write_unit Delegate=yes
	if start_and_check 3000000; then
		watchdog_holds
		job_in_unit_cgroup
		# SIGTERM kills the job; memrun reports and dies of the same
		# signal, which systemd counts as a clean stop.
		stop_and_check "success killed TERM"
		expect_json 'r["outcome"] == "signaled" and r["signal"] == 15'
	fi
	remove_unit
}

test_graceful_server_stops_clean() {
	write_unit graceful Delegate=yes
	if start_and_check 3000000; then
		stop_and_check "success exited 0"
		expect_json 'r["outcome"] == "exited" and r["exit_code"] == 0'
	fi
	remove_unit
}

test_undelegated_service_with_the_job_in_a_scope() {
	# No Delegate=, no MemoryMax= on the unit: memrun asks systemd for a
	# scope; the job is outside the unit, and only memrun may notify.
	write_unit
	if start_and_check 3000000; then
		grep -q '\.scope/' "/proc/$job_pid/cgroup" ||
			fail "the job is not in a scope: $(cat "/proc/$job_pid/cgroup")"
		watchdog_holds
		stop_and_check "success killed TERM"
	fi
	remove_unit
}

# examples/memrun-db.service with the server replaced by the test job and
# the user by the test user, as a DBA would install it.
test_the_sample_unit_runs_as_shipped() {
	local report_file=/var/lib/memrun-db/report.json
	use_unit memrun-db.service "$USER_WORK/db-env.json"
	"$PYTHON" - "$TOP/examples/memrun-db.service" "$unit_file" "$MEMRUN" \
		"$JOB_PYTHON $job_py $job_env $READY_AFTER" "$TEST_USER" \
		"$STOP_POST" "$TEST_ENVIRONMENT" <<'PY' || { fail "cannot adapt the sample unit"; return; }
import sys
sample, out, memrun, server, user, stop_post, environment = sys.argv[1:]
text = open(sample).read()
for old, new in [("/usr/local/bin/memrun ", memrun + " "),
                 ("/opt/db/bin/db-server --data /var/lib/db", server),
                 ("\nUser=db\n", "\nUser=%s\n" % user), ("\nGroup=db\n", "\nGroup=%s\n" % user),
                 ("[Service]\n", "[Service]\n%s\n%s\n" % (stop_post, environment))]:
    if text.count(old) != 1:
        sys.exit("the sample unit has not exactly one %r" % old)
    text = text.replace(old, new)
open(out, "w").write(text)
PY
	rm -f "$report_file"
	systemctl daemon-reload
	if command -v systemd-analyze >/dev/null; then
		systemd-analyze verify "$unit_file" >"$out" 2>&1 ||
			fail "systemd-analyze verify: $(cat "$out")"
	fi
	if start_and_check ""; then
		[ "$(stat -c %u "/proc/$memrun_pid")" = "$TEST_UID" ] || fail "memrun does not run as the service's user"
		[ "$(cat "/proc/$job_pid/oom_score_adj")" = -500 ] ||
			fail "the job's oom_score_adj is $(cat "/proc/$job_pid/oom_score_adj"), not the profile's -500"
		job_in_unit_cgroup
		stop_and_check "success killed TERM"
		expect_json 'r["outcome"] == "signaled" and r["signal"] == 15' "$report_file"
		expect_json 'r["limits"]["memory_max_bytes"] == 7680 << 20 and r["limits"]["oom_score_adj"] == -500' "$report_file"
	fi
	remove_unit
	rm -rf /var/lib/memrun-db
}

run_tests
