#!/usr/bin/env bash
# memrun at a terminal: Ctrl-C reaches the job once, every other signal is
# passed on, Ctrl-Z and fg work as for any pipeline, interactive programs work.
source "$(dirname "$0")/lib.sh"

in_pty() {
	python3 "$TOP/tests/integration/pty/run_in_pty.py" "$@" >"$out" 2>"$err"
	status=$?
}

test_ctrl_c_reaches_the_job_exactly_once() {
	local rec=$WORK/signals
	# Ctrl-C, Ctrl-\ at the terminal, then a TERM from elsewhere ends the job.
	in_pty "file:$rec.ready;;send:\x03;;sleep:0.3;;send:\x1c;;sleep:0.3" -- \
		"$MEMRUN" -q -- "$HELPERS/sigrecord" "$rec" &
	local runner=$!
	for _ in $(seq 100); do [ -e "$rec.ready" ] && break; sleep 0.05; done
	sleep 1.5
	# memrun is the job's parent (its command line may be a wrapper's).
	kill -TERM "$(ps -o ppid= -p "$(pgrep -x -f "$HELPERS/sigrecord $rec")" | tr -d ' ')" || true
	wait "$runner"
	expect_out "status 0"
	[ "$(tr '\n' ' ' <"$rec" 2>/dev/null)" = "INT QUIT TERM " ] ||
		fail "job received: $(tr '\n' ' ' <"$rec" 2>/dev/null), terminal: $(cat "$out" "$err")"
}

test_ctrl_c_ends_a_job_at_the_terminal_by_sigint() {
	# exec: a shell between echo and fork ignores a Ctrl-C of that instant.
	in_pty "wait:start;;send:\x03" -- "$MEMRUN" -- sh -c 'echo start; exec sleep 30'
	# memrun dies of SIGINT as the job did (a shell shows 130).
	expect_out "status -2"
	expect_out "sh was killed by SIGINT"
}

test_python_repl_works_under_memrun() {
	in_pty "wait:>>> ;;send:print(6 * 7)\r;;wait:42;;send:exit()\r" -- \
		"$MEMRUN" --as 1G -- python3 -q
	expect_out "42"
	expect_out "status 0"
	expect_out "python3 exited 0"
}

# A job that records, in $1, the name of each signal it handles, and its
# own pid and memrun's in $1.pids; SIGTERM ends it (exit 0).
write_recording_job() {
	cat >"$WORK/record.py" <<'PY'
import os, signal, sys
rec = sys.argv[1]
def on(sig, frame):
    with open(rec, "a") as f:
        f.write(signal.Signals(sig).name[3:] + "\n")
    if sig == signal.SIGTERM:
        sys.exit(0)
for sig in (signal.SIGTSTP, signal.SIGURG, signal.SIGPWR, signal.SIGTERM):
    signal.signal(sig, on)
with open(rec + ".tmp", "w") as f:
    f.write(f"{os.getppid()} {os.getpid()}\n")
os.rename(rec + ".tmp", rec + ".pids")
while True:
    signal.pause()
PY
}

# Until $1 has $2 lines (5 s at most).
wait_for_lines() {
	for _ in $(seq 100); do
		[ "$(wc -l 2>/dev/null <"$1" || echo 0)" -ge "$2" ] && return
		sleep 0.05
	done
}

test_directed_tstp_urg_pwr_reach_the_job_and_ctrl_z_once() {
	local rec=$WORK/directed pid runner n=0 sig
	write_recording_job
	# memrun leads the terminal's foreground group, the job in it.
	in_pty "file:$rec.ctrl-z;;send:\x1a" -- "$MEMRUN" -q -- "$PYTHON" "$WORK/record.py" "$rec" &
	runner=$!
	for _ in $(seq 200); do [ -e "$rec.pids" ] && break; sleep 0.05; done
	read -r pid _ <"$rec.pids" || { fail "the job did not start: $(cat "$err")"; wait "$runner"; return; }
	# Sent to memrun alone: each is the job's to handle (it does not stop).
	for sig in URG PWR TSTP; do
		kill -s "$sig" "$pid"
		wait_for_lines "$rec" $((n += 1))
	done
	# Ctrl-Z: the job has it from the terminal, once.
	touch "$rec.ctrl-z"
	wait_for_lines "$rec" $((n += 1))
	sleep 0.3
	kill -TERM "$pid"
	wait "$runner"
	expect_out "status 0"
	[ "$(tr '\n' ' ' 2>/dev/null <"$rec")" = "URG PWR TSTP TSTP TERM " ] ||
		fail "job received: $(tr '\n' ' ' 2>/dev/null <"$rec"), terminal: $(cat "$out" "$err")"
}

test_a_stop_nobody_asked_of_memrun_leaves_it_waiting() {
	# The job paused and continued by its own pid, from a parent whose
	# process group is not orphaned (a CI script, a build tool): memrun
	# must neither stop with it nor stay stopped after it, and must report.
	"$PYTHON" - "$MEMRUN" "$WORK/job.pid" >"$out" 2>"$err" <<'PY'
import os, signal, subprocess, sys, time
memrun, pidfile = sys.argv[1], sys.argv[2]
p = subprocess.Popen([memrun, "--", "sh", "-c", "echo $$ > %s; exec sleep 2" % pidfile],
                     process_group=0)
for _ in range(200):
    if os.path.exists(pidfile) and open(pidfile).read().strip():
        break
    time.sleep(0.05)
job = int(open(pidfile).read())
def state(pid):
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()[0]
os.kill(job, signal.SIGTSTP)
for _ in range(100):
    if state(job) == "T":
        break
    time.sleep(0.05)
print("job state:", state(job))
# Time for a memrun that follows the stop to do so.
time.sleep(0.5)
with open("/proc/%d/stat" % p.pid) as f:
    state = f.read().rsplit(")", 1)[1].split()[0]
print("memrun state while the job was stopped:", state)
os.kill(job, signal.SIGCONT)
try:
    print("status", p.wait(timeout=15))
except subprocess.TimeoutExpired:
    print("memrun still running 15 s later")
    os.kill(p.pid, signal.SIGCONT)
    p.kill()
    p.wait()
PY
	expect_out "job state: T"
	expect_out "memrun state while the job was stopped: S"
	expect_out "status 0"
	expect_err "sh exited 0"
}

test_ctrl_z_and_kill_tstp_stop_memrun_and_the_job_fg_resumes_both() {
	needs_native_memrun "does not stop memrun on the SIGTSTP memrun raises on itself, as the job stopped (memcheck does not carry out that default action)" || return
	local prompt='P$((6 * 7))> ' states
	cat >"$WORK/job.py" <<'PY'
import os, sys, time
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(f"{os.getppid()} {os.getpid()}\n")
os.rename(sys.argv[1] + ".tmp", sys.argv[1] + ".pids")
print("job ready", flush=True)
while not os.path.exists(sys.argv[1] + ".go"):
    time.sleep(0.05)
print("job resumed ok", flush=True)
PY
	# Typed at the shell: wait (up to 20 s, for a loaded machine) until memrun
	# and its job have stopped, then their states.
	cat >"$WORK/wait-stopped.sh" <<'SH'
for _ in $(seq 200); do
	ps -o stat= -p "$(tr ' ' , <"$1")" | grep -qv '^T' || exit 0
	sleep 0.1
done
SH
	states="sh '$WORK/wait-stopped.sh' '$WORK/job.pids'; for p in \$(cat '$WORK/job.pids'); do echo \"state-\$p-\$(ps -o stat= -p \$p)\"; done"
	# Ctrl-Z at the foreground job; bg; kill -TSTP to memrun alone; fg.
	in_pty "wait:P42> ;;send:'$MEMRUN' -- '$PYTHON' '$WORK/job.py' '$WORK/job'\r;;wait:job ready;;\
send:\x1a;;wait:P42> ;;send:jobs -l; $states\r;;wait:P42> ;;\
send:bg\r;;wait:P42> ;;send:kill -TSTP \$(cut -d' ' -f1 '$WORK/job.pids'); $states; jobs -l\r;;\
wait:P42> ;;send:fg\r;;sleep:0.3;;touch:$WORK/job.go;;wait:exited 0 after;;wait:P42> ;;send:exit\r" -- \
		env PS1="$prompt" bash --norc --noprofile -i
	expect_out "status 0"
	"$PYTHON" - "$out" "$WORK/job.pids" <<'PY' || fail "terminal: $(cat "$out" "$err")"
import re, sys
out, pids = open(sys.argv[1]).read(), open(sys.argv[2]).read().split()
# Two rounds: after Ctrl-Z, after kill -TSTP; in each, memrun and the job stopped.
for p in pids:
    states = re.findall(rf"state-{p}-(\S*)", out)
    if len(states) != 2 or not all(s.startswith("T") for s in states):
        print(f"#   pid {p}: states {states}, expected stopped (T) twice")
        sys.exit(1)
if len(re.findall(r"Stopped", out)) < 2 or "job resumed ok" not in out:
    print("#   the shell did not see two stops, or the job did not finish")
    sys.exit(1)
PY
	expect_out "python3 exited 0 after"
}

run_tests
