#!/usr/bin/env bash
# The sd_notify relay: with NOTIFY_SOCKET in its environment (a Type=notify
# service), memrun gives the job a socket of its own and passes what
# arrives there on to the manager, as itself, descriptors included,
# without MAINPID=.  A python3 receiver on a datagram socket that asks for
# its senders' credentials stands for the service manager.
source "$(dirname "$0")/lib.sh"

manager_py=$WORK/manager.py
job_py=$WORK/job.py
data=$WORK/data.txt
printf 'hello from the job' >"$data"

# manager.py ADDRESS OUT READY [stuck]: bind ADDRESS (a path, or @name in
# the abstract namespace), touch READY, record every datagram (text,
# sender, descriptors: where they lead and what they hold) until one says
# X_TEST_END=1, then write the record as JSON to OUT.  "stuck": never read.
cat >"$manager_py" <<'PY'
import array, json, os, socket, struct, sys, time
address, out, ready = sys.argv[1:4]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind("\0" + address[1:] if address.startswith("@") else address)
open(ready, "w").close()
if sys.argv[4:] == ["stuck"]:
    time.sleep(120)
    sys.exit(0)
s.settimeout(60)
record = []
while True:
    data, ancillary, flags, _ = s.recvmsg(65536, socket.CMSG_SPACE(253 * 4) + socket.CMSG_SPACE(12))
    fds, cred = [], (None, None, None)
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            a = array.array("i")
            a.frombytes(payload[: len(payload) - len(payload) % 4])
            fds += list(a)
        elif level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            cred = struct.unpack("3i", payload)
    text = data.decode(errors="replace")
    if text == "X_TEST_END=1":
        break
    passed = []
    for fd in fds:
        entry = {"target": os.readlink(f"/proc/self/fd/{fd}")}
        try:
            entry["content"] = os.pread(fd, 100, 0).decode(errors="replace")
        except OSError:
            entry["content"] = None
        passed.append(entry)
        os.close(fd)
    record.append({"text": text, "pid": cred[0], "uid": cred[1], "fds": passed})
json.dump(record, open(out, "w"))
PY

# job.py STEP...: what a Type=notify server does with sd_notify, a step at
# a time ("\n" in a text is a newline):
#   env FILE          its pid, parent, environment and /proc/net/unix as JSON
#   send TEXT         one notification
#   sendfd TEXT PATH  one with PATH's descriptor (FDSTORE=1)
#   barrier           sd_notify_barrier(): BARRIER=1 with a pipe's write
#                     end, then wait for the read end's EOF (5 s at most)
#   parent-fds FILE   where the parent's (memrun's) descriptors lead
#   child-as UID TEXT a child process of user UID sends TEXT
#   become UID        the main process gives up root for UID
#   flood N           a child process sends N notifications, as fast as it can
#   wait              for the job's children to end
#   sleep SECONDS
cat >"$job_py" <<'PY'
import array, json, os, select, socket, sys, time
target = os.environ["NOTIFY_SOCKET"]
address = "\0" + target[1:] if target.startswith("@") else target

def send(text, fds=()):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
    ancillary = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds).tobytes())] if fds else []
    s.sendmsg([text.encode()], ancillary, 0, address)
    s.close()

args = sys.argv[1:]
while args:
    step = args.pop(0)
    if step == "env":
        json.dump({"pid": os.getpid(), "ppid": os.getppid(), "env": dict(os.environ),
                   "unix": open("/proc/net/unix").read()}, open(args.pop(0), "w"))
    elif step == "send":
        send(args.pop(0).replace("\\n", "\n"))
    elif step == "sendfd":
        text, path = args.pop(0).replace("\\n", "\n"), args.pop(0)
        with open(path) as f:
            send(text, [f.fileno()])
    elif step == "barrier":
        r, w = os.pipe()
        send("BARRIER=1", [w])
        os.close(w)
        ready, _, _ = select.select([r], [], [], 5)
        print("barrier " + ("released" if ready and os.read(r, 1) == b"" else "timed out"))
    elif step == "parent-fds":
        d = f"/proc/{os.getppid()}/fd"
        json.dump([os.readlink(f"{d}/{n}") for n in os.listdir(d)], open(args.pop(0), "w"))
    elif step == "child-as":
        uid, text = int(args.pop(0)), args.pop(0)
        pid = os.fork()
        if pid == 0:
            os.setgid(uid)
            os.setuid(uid)
            send(text)
            os._exit(0)
        os.waitpid(pid, 0)
    elif step == "become":
        uid = int(args.pop(0))
        os.setgid(uid)
        os.setuid(uid)
    elif step == "flood":
        n = int(args.pop(0))
        if os.fork() == 0:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            for i in range(n):
                s.sendto(b"STATUS=flood %d" % i, address)
            os._exit(0)
    elif step == "wait":
        while True:
            try:
                os.wait()
            except ChildProcessError:
                break
    elif step == "sleep":
        time.sleep(float(args.pop(0)))
    else:
        sys.exit("job.py: unknown step " + step)
PY

manager_pid=""
manager_record=$WORK/manager.json
job_record=$WORK/job.json

# start_manager ADDRESS [stuck]: a fake manager at ADDRESS.
start_manager() {
	manager_address=$1
	# A socket file outlives its socket: the last test's is in the way.
	rm -f "$WORK/manager.ready" "$manager_record" "$job_record" "$WORK/notify"
	"$PYTHON" "$manager_py" "$manager_address" "$manager_record" "$WORK/manager.ready" "${@:2}" &
	manager_pid=$!
	for _ in $(seq 200); do
		[ -e "$WORK/manager.ready" ] && return 0
		sleep 0.05
	done
	fail "the fake manager did not start"
}

# Once memrun has ended, all it sent is in the manager's queue: an end
# marker behind it, and the manager writes its record.
stop_manager() {
	"$PYTHON" - "$manager_address" <<'PY'
import socket, sys
a = sys.argv[1]
socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"X_TEST_END=1", "\0" + a[1:] if a.startswith("@") else a)
PY
	wait "$manager_pid"
	manager_pid=""
}

kill_manager() {
	[ -n "$manager_pid" ] && kill "$manager_pid" 2>/dev/null && wait "$manager_pid" 2>/dev/null
	manager_pid=""
}

# run_notify_job STEP...: memrun runs job.py STEP... with NOTIFY_SOCKET
# the fake manager's and WATCHDOG_PID naming memrun, as systemd sets them
# for a Type=notify service with WatchdogSec=; $memrun_pid is memrun's.
run_notify_job() {
	(
		export NOTIFY_SOCKET=$manager_address WATCHDOG_PID=$BASHPID WATCHDOG_USEC=5000000
		exec "$MEMRUN" -q -- "$PYTHON" "$job_py" "$@"
	) >"$out" 2>"$err" </dev/null &
	memrun_pid=$!
	wait "$memrun_pid"
	status=$?
}

# expect_record 'EXPR': a Python expression over m (the manager's record:
# a list of {text, pid, uid, fds}), j (the job's env record, or None) and
# memrun (memrun's pid) is true.
expect_record() {
	"$PYTHON" - "$manager_record" "$job_record" "$memrun_pid" "$1" <<'PY' || fail "$1 is not true"
import json, os, sys
m = json.load(open(sys.argv[1])) if os.path.exists(sys.argv[1]) else None
j = json.load(open(sys.argv[2])) if os.path.exists(sys.argv[2]) else None
memrun = int(sys.argv[3])
ok = eval(sys.argv[4])
if not ok:
    print("#   manager's record: " + json.dumps(m)[:1500])
    if j:
        print("#   job: pid %s, NOTIFY_SOCKET %s" % (j["pid"], j["env"].get("NOTIFY_SOCKET")))
sys.exit(0 if ok else 1)
PY
}

# How many lines of stderr have text.
err_count() {
	grep -cF -- "$1" "$err"
}

# No socket of this memrun's is left (abstract names are listed with '@').
expect_no_relay_left() {
	! grep -q "@memrun-notify-$memrun_pid-" /proc/net/unix ||
		fail "memrun's notify socket is still there after it ended"
}

test_notifications_reach_the_manager_from_memrun() {
	start_manager "$WORK/notify"
	run_notify_job env "$job_record" send 'READY=1\nSTATUS=up' \
		send 'STATUS=named\nMAINPID=123' send 'MAINPID=456\nSTATUS=again' \
		sendfd 'FDSTORE=1\nFDNAME=data' "$data"
	stop_manager
	expect_status 0
	expect_record "[x['text'] for x in m] == ['READY=1\nSTATUS=up', 'STATUS=named\n', 'STATUS=again', 'FDSTORE=1\nFDNAME=data']"
	expect_record "all(x['pid'] == memrun for x in m) and j['ppid'] == memrun and j['pid'] != memrun"
	expect_record "m[3]['fds'] == [{'target': '$data', 'content': 'hello from the job'}]"
	# MAINPID= dropped, and said once.
	[ "$(err_count 'MAINPID=123 was not passed on')" = 1 ] || { fail "no single MAINPID warning"; show_output; }
	expect_no_err "MAINPID=456"
	expect_no_relay_left
}

test_the_job_gets_its_own_socket_and_no_watchdog_pid() {
	start_manager "$WORK/notify"
	run_notify_job env "$job_record" send 'READY=1'
	stop_manager
	expect_status 0
	expect_record "j['env']['NOTIFY_SOCKET'].startswith('@memrun-notify-%d-' % memrun)"
	expect_record "j['env']['NOTIFY_SOCKET'] != '$manager_address'"
	# Listed while the job ran, gone after.
	expect_record "j['env']['NOTIFY_SOCKET'] in j['unix']"
	expect_record "'WATCHDOG_PID' not in j['env'] and j['env']['WATCHDOG_USEC'] == '5000000'"
	expect_no_relay_left
	# Nothing in the file system either: no socket file, no directory.
	[ -z "$(find "$WORK" /tmp /run -maxdepth 2 -name '*memrun-notify*' 2>/dev/null)" ] ||
		fail "memrun left a notify socket file behind"
}

test_the_relay_adds_no_descriptor_to_the_job() {
	needs_native_memrun fds || return
	local direct
	start_manager "$WORK/notify"
	direct=$("$HELPERS/fdlist" 7</dev/null | tr '\n' ' ')
	NOTIFY_SOCKET=$manager_address "$MEMRUN" -q -- "$HELPERS/fdlist" 7</dev/null >"$out" 2>"$err"
	status=$?
	kill_manager
	expect_status 0
	[ "$(tr '\n' ' ' <"$out")" = "$direct" ] ||
		fail "job saw fds '$(tr '\n' ' ' <"$out")', caller has '$direct'"
}

test_an_abstract_manager_socket() {
	start_manager "@memrun-test-manager-$$-$RANDOM"
	run_notify_job env "$job_record" send 'READY=1\nSTATUS=abstract'
	stop_manager
	expect_status 0
	expect_record "[(x['text'], x['pid']) for x in m] == [('READY=1\nSTATUS=abstract', memrun)]"
	expect_record "j['env']['NOTIFY_SOCKET'].startswith('@memrun-notify-')"
	expect_no_relay_left
}

test_descriptors_reach_the_manager_and_memrun_keeps_none() {
	start_manager "$WORK/notify"
	run_notify_job sendfd 'FDSTORE=1\nFDNAME=data' "$data" barrier sleep 0.3 \
		parent-fds "$WORK/memrun-fds.json"
	stop_manager
	expect_status 0
	expect_out "barrier released"
	expect_record "len(m) == 2 and all(x['pid'] == memrun for x in m)"
	expect_record "m[0]['fds'][0]['target'] == '$data' and m[0]['fds'][0]['content'] == 'hello from the job'"
	# Released: every copy of the pipe's write end, memrun's too, is closed.
	expect_record "m[1]['text'] == 'BARRIER=1' and len(m[1]['fds']) == 1 and m[1]['fds'][0]['target'].startswith('pipe:')"
	"$PYTHON" -c 'import json, sys; sys.exit(sys.argv[2] in json.load(open(sys.argv[1])))' \
		"$WORK/memrun-fds.json" "$data" || fail "memrun kept a descriptor it passed on: $(cat "$WORK/memrun-fds.json")"
}

test_without_notify_socket_nothing_changes() {
	needs_native_memrun environment || return
	local direct memrun_env
	# Even with a WATCHDOG_PID that names memrun: no relay, nothing unset.
	direct=$(env -u NOTIFY_SOCKET WATCHDOG_PID=1 env -0 | grep -zv '^_=' | sort -z | tr '\0' '\n')
	memrun_env=$(env -u NOTIFY_SOCKET WATCHDOG_PID=1 "$MEMRUN" -q --no-probe -- env -0 2>/dev/null |
		grep -zv '^_=' | sort -z | tr '\0' '\n')
	[ "$direct" = "$memrun_env" ] || fail "the job's environment differs from the caller's"
	(
		unset NOTIFY_SOCKET
		export WATCHDOG_PID=$BASHPID
		exec "$MEMRUN" -q -- sh -c 'echo "watchdog $WATCHDOG_PID $PPID"; grep -c "@memrun-notify-$PPID-" /proc/net/unix'
	) >"$out" 2>"$err" </dev/null
	status=$?
	expect_status 1	# grep -c found none
	awk '$1 == "watchdog" && $2 == $3 { ok = 1 } END { exit !ok }' "$out" ||
		fail "WATCHDOG_PID changed without NOTIFY_SOCKET: $(cat "$out")"
	expect_out "0"
}

test_a_manager_that_is_gone_is_told_once() {
	manager_address=$WORK/no-manager
	run_notify_job send 'READY=1' send 'STATUS=a' send 'STATUS=b' env "$job_record"
	expect_status 0
	[ "$(err_count 'cannot pass the job')" = 1 ] || { fail "not told exactly once"; show_output; }
	expect_err "$WORK/no-manager"
	[ -s "$job_record" ] || fail "the job did not get to its end"
}

test_too_long_a_notification_is_dropped() {
	local big
	big=$(head -c 5000 /dev/zero | tr '\0' 'x')
	start_manager "$WORK/notify"
	run_notify_job send "STATUS=$big" send "STATUS=$big" send 'STATUS=after'
	stop_manager
	expect_status 0
	expect_record "[x['text'] for x in m] == ['STATUS=after']"
	[ "$(err_count 'longer than 4096 bytes was dropped')" = 1 ] || { fail "not told exactly once"; show_output; }
}

test_only_memrun_s_user_root_and_the_main_process_may_notify() {
	[ "$(id -u)" = 0 ] || { skip "needs root to send as another user"; return; }
	start_manager "$WORK/notify"
	# A child that is another user: refused.  The main process, once it
	# gave up root (a server that drops its privileges): heard.
	run_notify_job child-as 65534 'STATUS=child as nobody' send 'STATUS=root' \
		become 65534 send 'STATUS=main as nobody'
	stop_manager
	expect_status 0
	expect_record "[x['text'] for x in m] == ['STATUS=root', 'STATUS=main as nobody']"
	expect_record "all(x['pid'] == memrun for x in m)"
	[ "$(err_count "only memrun's user, root and the job's main process may send")" = 1 ] ||
		{ fail "the refusal not told exactly once"; show_output; }
}

test_a_job_that_floods_the_socket_loses_nothing_when_the_manager_keeps_up() {
	start_manager "$WORK/notify"
	run_notify_job flood 3000 wait send 'STATUS=after the flood'
	stop_manager
	expect_status 0
	expect_record "len(m) == 3001 and all(x['pid'] == memrun for x in m)"
	expect_record "[x['text'] for x in m] == ['STATUS=flood %d' % i for i in range(3000)] + ['STATUS=after the flood']"
}

# A manager that stops reading: memrun waits for it once, briefly, then
# drops; it never stops forwarding signals and reaping.
test_a_flooding_job_and_a_stuck_manager_do_not_stall_memrun() {
	local start elapsed
	start_manager "$WORK/notify" stuck
	(
		export NOTIFY_SOCKET=$manager_address
		exec "$MEMRUN" -q -- "$PYTHON" "$job_py" flood 100000 sleep 60
	) >"$out" 2>"$err" </dev/null &
	memrun_pid=$!
	# Until memrun has met the stuck manager (its sends time out after
	# 2 s), however slow the machine: then it must still end at once.
	for _ in $(seq 300); do
		grep -qF 'the service manager took none' "$err" && break
		sleep 0.1
	done
	start=$(date +%s%N)
	kill -TERM "$memrun_pid"
	wait "$memrun_pid"
	status=$?
	elapsed=$((($(date +%s%N) - start) / 1000000))
	kill_manager
	expect_status 143
	[ "$elapsed" -lt 6000 ] || fail "memrun took $elapsed ms to end after SIGTERM"
	[ "$(err_count 'the service manager took none')" = 1 ] || { fail "not told exactly once"; show_output; }
	expect_no_relay_left
}

run_tests
kill_manager
