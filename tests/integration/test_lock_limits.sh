#!/usr/bin/env bash
# --lock-limits and lock_limits = yes: the job and all it starts cannot set
# RLIMIT_AS, RLIMIT_DATA or RLIMIT_MEMLOCK, root or not, through any system
# call ABI; reading limits and setting the others keep working.
source "$(dirname "$0")/lib.sh"

# Every way to set and read a limit, by system call, one line each:
# "setrlimit AS lower: EPERM".  ctypes, so that errno is what the kernel
# said (Python's resource.setrlimit turns EPERM into a ValueError).
rlimits_py=$WORK/rlimits.py
cat >"$rlimits_py" <<'PY'
import ctypes, errno, os, resource, sys
numbers = {"x86_64": (160, 302), "aarch64": (164, 261)}
if os.uname().machine not in numbers:
    print("unknown machine " + os.uname().machine)
    sys.exit(77)
SYS_setrlimit, SYS_prlimit64 = numbers[os.uname().machine]
libc = ctypes.CDLL(None, use_errno=True)
class Rlimit(ctypes.Structure):
    _fields_ = [("cur", ctypes.c_uint64), ("max", ctypes.c_uint64)]
def result(ret):
    return "ok" if ret == 0 else errno.errorcode[ctypes.get_errno()]
def syscall(nr, *args):
    # Every argument a whole register, as the kernel reads it.
    return libc.syscall(ctypes.c_long(nr), *args)
L = ctypes.c_long
for name in sys.argv[1:]:
    res = getattr(resource, "RLIMIT_" + name)
    now = Rlimit()
    libc.getrlimit(res, ctypes.byref(now))
    lower = Rlimit(min(now.cur, 1 << 30), min(now.max, 1 << 30))
    read = Rlimit()
    print(f"getrlimit {name}: {result(syscall(SYS_prlimit64, L(0), L(res), None, ctypes.byref(read)))}")
    print(f"setrlimit {name} same: {result(syscall(SYS_setrlimit, L(res), ctypes.byref(now)))}")
    print(f"setrlimit {name} lower: {result(syscall(SYS_setrlimit, L(res), ctypes.byref(lower)))}")
    print(f"prlimit64 {name} lower: {result(syscall(SYS_prlimit64, L(0), L(res), ctypes.byref(lower), None))}")
    print(f"prlimit64 {name} read: {result(syscall(SYS_prlimit64, L(0), L(res), None, ctypes.byref(read)))}")
PY

# expect_line 'text': a whole line of stdout.
expect_line() {
	grep -qxF -- "$1" "$out" || { fail "stdout lacks the line '$1'"; show_output; }
}

expect_memory_rlimits_locked() {
	local name call
	for name in AS DATA MEMLOCK; do
		expect_line "getrlimit $name: ok"
		expect_line "prlimit64 $name read: ok"
		for call in "setrlimit $name same" "setrlimit $name lower" "prlimit64 $name lower"; do
			expect_line "$call: EPERM"
		done
	done
	for call in "setrlimit NOFILE same" "setrlimit NOFILE lower" "prlimit64 NOFILE lower" \
		"getrlimit NOFILE" "prlimit64 NOFILE read"; do
		expect_line "$call: ok"
	done
}

test_the_lock_refuses_setting_memory_rlimits_as_root() {
	needs_native_memrun seccomp || return
	[ "$(id -u)" -eq 0 ] || { skip "the test runs as root, to show that root is bound too"; return; }
	run_memrun -q --lock-limits -- python3 "$rlimits_py" AS DATA MEMLOCK NOFILE
	expect_status 0
	expect_memory_rlimits_locked
}

# The same calls work without the lock: the test above can fail.
test_without_the_lock_the_same_calls_work() {
	local line
	run_memrun -q -- python3 "$rlimits_py" AS DATA MEMLOCK NOFILE
	expect_status 0
	[ "$(grep -c ': ok$' "$out")" -eq 20 ] || { fail "not every call worked"; show_output; }
	while read -r line; do
		[[ $line == *": ok" ]] || fail "without the lock: $line"
	done <"$out"
}

test_python_setrlimit_fails_in_the_job() {
	needs_native_memrun seccomp || return
	local raise='import resource; resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))'
	local prlimit='import resource; resource.prlimit(0, resource.RLIMIT_AS, (1 << 30, 1 << 30))'
	run_memrun -q --lock-limits -- python3 -c "$raise"
	expect_status 1
	expect_err "not allowed to raise maximum limit"	# CPython's words for EPERM
	run_memrun -q --lock-limits -- python3 -c "$prlimit"
	expect_status 1
	expect_err "PermissionError: [Errno 1] Operation not permitted"
	run_memrun -q -- python3 -c "$raise"
	expect_status 0
	run_memrun -q -- python3 -c "$prlimit"
	expect_status 0
}

test_the_job_s_children_are_bound_too() {
	needs_native_memrun seccomp || return
	run_memrun -q --lock-limits -- bash -c 'python3 "$1" AS NOFILE; sh -c "python3 $1 DATA"' \
		bash "$rlimits_py"
	expect_status 0
	expect_line "setrlimit AS lower: EPERM"
	expect_line "prlimit64 DATA lower: EPERM"
	expect_line "setrlimit NOFILE lower: ok"
	expect_line "getrlimit DATA: ok"
}

test_prlimit_from_inside_the_job_fails() {
	needs_native_memrun seccomp || return
	run_memrun -q --lock-limits -- sh -c 'prlimit --pid $$ --as=1073741824:1073741824'
	[ "$status" -ne 0 ] || fail "prlimit --as worked under the lock"
	expect_err "Operation not permitted"
	# Reading works, and so does another limit.
	run_memrun -q --lock-limits -- sh -c 'prlimit --pid $$ --as --output SOFT --noheadings &&
		prlimit --pid $$ --nofile=512:512 && ulimit -n'
	expect_status 0
	expect_line "512"
	run_memrun -q -- sh -c 'prlimit --pid $$ --as=1073741824:1073741824 && ulimit -v'
	expect_status 0
	expect_line "1048576"
}

# memrun's own limits are set before the lock, so they are in force.
test_limits_memrun_sets_are_in_force_under_the_lock() {
	needs_native_memrun seccomp || return
	run_memrun -q --lock-limits --as 512M --data 256M -- sh -c 'ulimit -v; ulimit -d; ulimit -v 1000'
	[ "$status" -ne 0 ] || fail "the job lowered its RLIMIT_AS under the lock"
	expect_line "524288"
	expect_line "262144"
}

# int 0x80 from a 64-bit program takes the i386 system call table, as a
# 32-bit program does: the i386 rules on the real kernel.
test_the_i386_system_calls_are_locked_too() {
	needs_native_memrun seccomp || return
	local helper=$HELPERS/rlimit_int80 name
	"$helper" >"$out" 2>"$err"
	status=$?
	if [ "$status" -eq 77 ]; then
		skip "no i386 system call ABI here: $(cat "$out")"
		return
	fi
	expect_status 0
	grep -q ': ok$' "$out" && ! grep -qv ': ok$' "$out" || { fail "without the lock"; show_output; }
	run_memrun -q --lock-limits -- "$helper"
	expect_status 0
	for name in AS DATA MEMLOCK; do
		expect_line "setrlimit $name: EPERM"
		expect_line "prlimit64-set $name: EPERM"
		expect_line "ugetrlimit $name: ok"
		expect_line "getrlimit $name: ok"
		expect_line "prlimit64-read $name: ok"
	done
	expect_line "setrlimit NOFILE: ok"
	expect_line "prlimit64-set NOFILE: ok"
}

# A kernel that refuses the filter (here: an outer filter makes
# seccomp(SECCOMP_SET_MODE_FILTER) fail with EINVAL, as a kernel without
# CONFIG_SECCOMP_FILTER does): 125 from the child, before the command.
without_seccomp_filters_py=$WORK/without_seccomp_filters.py
cat >"$without_seccomp_filters_py" <<'PY'
import ctypes, os, struct, sys
if os.uname().machine != "x86_64":
    sys.exit(77)
def insn(code, jt, jf, k):
    return struct.pack("HBBI", code, jt, jf, k)
LD_ABS, JEQ, RET = 0x20, 0x15, 0x06
ALLOW, EINVAL = 0x7fff0000, 0x00050000 | 22
program = b"".join([
    insn(LD_ABS, 0, 0, 4), insn(JEQ, 0, 5, 0xc000003e),	# arch x86_64
    insn(LD_ABS, 0, 0, 0), insn(JEQ, 0, 3, 317),		# seccomp
    insn(LD_ABS, 0, 0, 16), insn(JEQ, 0, 1, 1),		# SECCOMP_SET_MODE_FILTER
    insn(RET, 0, 0, EINVAL), insn(RET, 0, 0, ALLOW),
])
buf = ctypes.create_string_buffer(program)
class Prog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
prog = Prog(len(program) // 8, ctypes.addressof(buf))
libc = ctypes.CDLL(None, use_errno=True)
# PR_SET_NO_NEW_PRIVS, then PR_SET_SECCOMP with SECCOMP_MODE_FILTER.
if libc.prctl(38, 1, 0, 0, 0) or libc.prctl(22, 2, ctypes.byref(prog), 0, 0):
    sys.exit("cannot install the outer filter: " + os.strerror(ctypes.get_errno()))
os.execv(sys.argv[1], sys.argv[1:])
PY

test_a_filter_the_kernel_refuses_is_125_before_the_command() {
	needs_native_memrun seccomp || return
	{ python3 "$without_seccomp_filters_py" "$MEMRUN" --lock-limits --report "$report" -- \
		touch "$WORK/ran" >"$out" 2>"$err" </dev/null; }
	status=$?
	if [ "$status" -eq 77 ]; then
		skip "the outer filter is written for x86_64"
		return
	fi
	expect_status 125
	expect_err "cannot lock the job's memory rlimits (lock_limits, from flag --lock-limits): the kernel refused the seccomp filter: Invalid argument"
	expect_err "CONFIG_SECCOMP_FILTER"
	[ -e "$WORK/ran" ] && fail "the job ran"
	expect_json "r['outcome'] == 'failed-to-start' and r['limits']['lock_limits'] is True"
	# Without the lock the same memrun runs the job there.
	{ python3 "$without_seccomp_filters_py" "$MEMRUN" -q -- touch "$WORK/ran" \
		>"$out" 2>"$err" </dev/null; }
	status=$?
	expect_status 0
	[ -e "$WORK/ran" ] || fail "the job did not run without the lock"
}

test_the_profile_key_locks() {
	needs_native_memrun seccomp || return
	local conf=$WORK/locked.conf
	printf '# no way back up\nlock_limits = yes\n' >"$conf"
	run_memrun -q -p "$conf" -- python3 "$rlimits_py" AS
	expect_status 0
	expect_line "setrlimit AS lower: EPERM"
	# A flag turns it off again.
	run_memrun -q -p "$conf" --lock-limits=no -- python3 "$rlimits_py" AS
	expect_status 0
	expect_line "setrlimit AS lower: ok"
}

test_a_bad_value_in_a_profile_is_125() {
	local conf=$WORK/bad.conf
	printf 'as = 1G\nlock_limits = maybe\n' >"$conf"
	run_memrun -q -p "$conf" -- touch "$WORK/ran"
	expect_status 125
	expect_err "bad.conf:2: bad value for key 'lock_limits': 'maybe': expected yes or no"
	[ -e "$WORK/ran" ] && fail "the job ran"
	run_memrun -q --lock-limits=maybe -- touch "$WORK/ran"
	expect_status 125
	expect_err "--lock-limits: bad value 'maybe'"
	[ -e "$WORK/ran" ] && fail "the job ran"
}

test_dry_run_shows_the_lock() {
	run_memrun --dry-run --lock-limits -- true
	expect_status 0
	expect_out "lock_limits: on, setrlimit and prlimit64 calls that set RLIMIT_AS, RLIMIT_DATA and RLIMIT_MEMLOCK fail with EPERM"
	grep -qE '^  lock_limits +yes +flag --lock-limits$' "$out" || { fail "no lock_limits row"; show_output; }
	if [ "$(id -u)" -eq 0 ]; then
		expect_out "no_new_privs: off (memrun has CAP_SYS_ADMIN)"
	fi
	run_memrun --dry-run -- true
	expect_status 0
	expect_out "lock_limits: off"
	grep -qE '^  lock_limits +no +default$' "$out" || { fail "no lock_limits row"; show_output; }
}

test_report_and_summary_show_the_lock() {
	needs_native_memrun seccomp || return
	run_memrun --lock-limits --report "$report" -- true
	expect_status 0
	expect_err "limits: memory rlimits locked"
	expect_json "r['limits']['lock_limits'] is True"
	run_memrun --report "$report" -- true
	expect_status 0
	expect_no_err "locked"
	expect_json "r['limits']['lock_limits'] is False"
}

# As root memrun has CAP_SYS_ADMIN: the filter needs no no_new_privs, and
# the job keeps the caller's credentials (a setuid program still works).
test_root_s_job_keeps_its_credentials() {
	needs_native_memrun seccomp || return
	[ "$(id -u)" -eq 0 ] || { skip "the test runs as root"; return; }
	run_memrun -q --lock-limits -- grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status
	expect_status 0
	expect_line "NoNewPrivs:	0"
	expect_line "Seccomp:	2"
}

# Without CAP_SYS_ADMIN the kernel takes a filter only with no_new_privs.
test_a_user_s_job_gets_no_new_privs_with_the_lock() {
	needs_native_memrun seccomp || return
	local as_nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups --)
	if [ "$(id -u)" -ne 0 ]; then
		as_nobody=()
	elif ! "${as_nobody[@]}" test -x "$MEMRUN"; then
		skip "nobody (uid 65534) cannot run $MEMRUN here, and the test needs a non-root user"
		return
	fi
	{ "${as_nobody[@]}" "$MEMRUN" -q --lock-limits -- \
		grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status >"$out" 2>"$err" </dev/null; }
	status=$?
	expect_status 0
	expect_line "NoNewPrivs:	1"
	expect_line "Seccomp:	2"
	{ "${as_nobody[@]}" "$MEMRUN" --dry-run --lock-limits -- true >"$out" 2>"$err" </dev/null; }
	status=$?
	expect_status 0
	expect_out "no_new_privs: on, as memrun lacks CAP_SYS_ADMIN"
	{ "${as_nobody[@]}" "$MEMRUN" -q -- \
		grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status >"$out" 2>"$err" </dev/null; }
	status=$?
	expect_status 0
	expect_line "NoNewPrivs:	0"
	expect_line "Seccomp:	0"
}

run_tests
