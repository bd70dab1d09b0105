#!/usr/bin/env bash
# memrun doctor on a systemd host, for real: the manager a job's cgroup
# would get and whether its bus answers, as root (the system manager) and
# as the test user (the user's manager, with the memory controller that
# Debian's user@.service is delegated); a MemoryMax on the user's slice; a
# MemoryMax on memrun's own unit, which a job's scope would escape; and
# systemd-oomd with Debian's settings (ManagedOOMSwap=kill on -.slice,
# ManagedOOMMemoryPressure=kill at 50% on user@.service).
source "$(dirname "$0")/lib.sh"

user_slice=user-$TEST_UID.slice

# memrun doctor ARGS... as the test user, with its runtime directory and bus.
doctor_as_user() {
	{ as_user "$MEMRUN" doctor "$@" >"$out" 2>"$err" </dev/null; } 2>/dev/null
	status=$?
}

# expect_finding KEY EXPR [FILE]: doctor's JSON (default $out) has the
# finding KEY, and the Python expression EXPR over it (f) is true.
expect_finding() {
	local key=$1 expr=$2 file=${3:-$out}
	"$PYTHON" - "$file" "$key" "$expr" <<'PY' || fail "doctor: $key: $expr is not true"
import json, sys
path, key, expr = sys.argv[1:]
try:
    doc = json.load(open(path))
except Exception as e:
    print(f"#   {path} is not doctor's JSON: {e}")
    sys.exit(1)
found = [f for f in doc["findings"] if f["key"] == key]
if not found:
    print(f"#   no finding {key}; there are {[f['key'] for f in doc['findings']]}")
    sys.exit(1)
if not eval(expr, {"f": found[0]}):
    print("#   " + json.dumps(found[0]))
    sys.exit(1)
PY
}

# The keys of the systemd topic, in order, as a Python list.
systemd_keys() {
	"$PYTHON" -c 'import json, sys; print([f["key"] for f in json.load(open(sys.argv[1]))["findings"] if f["topic"] == "systemd"])' "$out"
}

# The lines of the systemd topic in doctor's text.
systemd_lines() {
	sed -n '/^systemd$/,/^$/p' "$out" | grep -E '^  (ok|note|warn) '
}

test_root_gets_scopes_of_the_system_manager() {
	local version
	version=$(systemctl show -P Version)
	run_memrun doctor --json
	expect_status 0
	expect_finding cgroup_manager "f['level'] == 'ok' and f['value'] == 'systemd'"
	expect_finding cgroup_manager "\"a job's cgroup is a transient scope that the systemd system manager makes over D-Bus (systemd owns memrun's cgroup /system.slice/memrun-vm-job.service (unit memrun-vm-job.service))\" in f['message']"
	expect_finding cgroup_manager "f['message'].endswith('the system bus answers (systemd $version)') and f['source'] == 'the system bus'"
	# Root's jobs are not in a user's slice, nor under a user's manager.
	[ "$(systemd_keys)" = "['cgroup_manager', 'own_unit_memory_max', 'systemd_oomd']" ] ||
		fail "the systemd findings for root: $(systemd_keys)"
	expect_finding own_unit_memory_max "f['level'] == 'ok' and f['value'] == 'unlimited' and 'memrun-vm-job.service has no memory limit' in f['message']"
	# systemd makes the job's cgroup: doctor tests no cgroup of its own.
	expect_finding cgroup_job "f['level'] == 'ok' and \"a job's cgroup is a transient scope that systemd makes\" in f['message']"
	! find /sys/fs/cgroup -name 'memrun-doctor-*' | grep -q . ||
		fail "doctor made a test cgroup: $(find /sys/fs/cgroup -name 'memrun-doctor-*')"
	run_memrun doctor
	expect_status 0
	grep -qx systemd "$out" || { fail "no systemd heading"; show_output; }
	[ "$(systemd_lines | wc -l)" = 3 ] || fail "the systemd topic in text: $(systemd_lines)"
	! systemd_lines | grep -q '^  warn' || fail "a warning in the systemd topic: $(systemd_lines)"
}

test_user_gets_scopes_of_the_user_manager_with_memory_delegated() {
	doctor_as_user --json
	expect_status 0
	expect_finding cgroup_manager "f['level'] == 'ok' and f['value'] == 'systemd'"
	expect_finding cgroup_manager "\"a job's cgroup is a transient scope that your systemd user manager makes over D-Bus (systemd owns memrun's cgroup /system.slice/memrun-vm-job.service\" in f['message'] and '; your user bus answers (systemd ' in f['message']"
	[ "$(systemd_keys)" = "['cgroup_manager', 'user_memory_delegated', 'user_slice_memory_max', 'own_unit_memory_max', 'systemd_oomd']" ] ||
		fail "the systemd findings for the user: $(systemd_keys)"
	expect_finding user_memory_delegated "f['level'] == 'ok' and f['value'] == 'yes'"
	expect_finding user_memory_delegated "f['source'] == '/sys/fs/cgroup/user.slice/$user_slice/user@$TEST_UID.service/cgroup.controllers'"
	expect_finding user_memory_delegated "'the memory controller is delegated to your systemd user manager (user@$TEST_UID.service' in f['message']"
	expect_finding user_slice_memory_max "f['level'] == 'ok' and f['value'] == 'unlimited'"
	doctor_as_user
	expect_status 0
	[ "$(systemd_lines | wc -l)" = 5 ] || fail "the systemd topic in text: $(systemd_lines)"
}

test_user_without_the_bus_is_told_what_to_do() {
	# As sudo and su leave it: no runtime directory, no bus address.
	{ setpriv --reuid="$TEST_UID" --regid="$TEST_GID" --init-groups \
		env -u XDG_RUNTIME_DIR -u DBUS_SESSION_BUS_ADDRESS HOME="$TEST_USER_HOME" \
		"$MEMRUN" doctor --json >"$out" 2>"$err" </dev/null; } 2>/dev/null
	status=$?
	expect_status 0
	expect_finding cgroup_manager "f['level'] == 'warn' and f['value'] == 'systemd' and f['source'] == 'your user bus'"
	expect_finding cgroup_manager "'but your user bus does not answer' in f['message'] and 'stops memrun with exit 125' in f['message']"
	expect_finding cgroup_manager "'DBUS_SESSION_BUS_ADDRESS or XDG_RUNTIME_DIR (/run/user/$TEST_UID)' in f['message'] and \"'loginctl enable-linger'\" in f['message']"
	# What the files tell is told all the same.
	expect_finding user_memory_delegated "f['value'] == 'yes'"
}

test_a_memory_max_on_the_users_slice() {
	local max
	systemctl set-property --runtime "$user_slice" MemoryMax=1G ||
		{ fail "cannot set MemoryMax=1G on $user_slice"; return; }
	doctor_as_user --json
	systemctl set-property --runtime "$user_slice" MemoryMax=infinity
	systemctl revert "$user_slice" >/dev/null 2>&1
	expect_status 0
	expect_finding user_slice_memory_max "f['level'] == 'note' and f['value'] == 1 << 30"
	expect_finding user_slice_memory_max "f['source'] == '/sys/fs/cgroup/user.slice/$user_slice/memory.max'"
	expect_finding user_slice_memory_max "'your slice $user_slice has MemoryMax 1 GiB: every job of yours is under it' in f['message']"
	max=$(cat "/sys/fs/cgroup/user.slice/$user_slice/memory.max")
	[ "$max" = max ] || fail "$user_slice's memory.max is $max after the reset"
}

test_a_memory_max_on_memruns_own_unit() {
	# A scope (in system.slice) would escape the unit's limit: a job that
	# asks for a limit would stop memrun (tests/systemd/test_scope.sh).
	systemd-run -q -p MemoryMax=200M --wait --pipe -- "$MEMRUN" doctor --json \
		>"$out" 2>"$err" </dev/null
	expect_finding cgroup_manager "f['value'] == 'systemd'"
	expect_finding own_unit_memory_max "f['level'] == 'warn' and f['value'] == 200 << 20 and f['source'].startswith('/sys/fs/cgroup/system.slice/run-') and f['source'].endswith('.service/memory.max')"
	expect_finding own_unit_memory_max "'memrun runs under memory.max = 200 MiB in /system.slice/run-' in f['message'] and 'which a job\\'s systemd scope (in /system.slice) would not be under' in f['message']"
	expect_finding own_unit_memory_max "'memrun stops with exit 125 when a job asks for --memory-max' in f['message'] and 'Delegate=yes' in f['message']"
	# With Delegate=yes memrun makes the job's cgroup inside its own.
	systemd-run -q -p MemoryMax=200M -p Delegate=yes --wait --pipe -- "$MEMRUN" doctor --json \
		>"$out" 2>"$err" </dev/null
	expect_finding cgroup_manager "f['level'] == 'ok' and f['value'] == 'cgroupfs' and 'has Delegate=yes' in f['message']"
	expect_finding own_unit_memory_max "f['level'] == 'note' and f['value'] == 200 << 20 and 'has MemoryMax 200 MiB: its jobs run inside it, under that limit' in f['message']"
}

test_systemd_oomd_and_what_it_watches() {
	systemctl is-active -q systemd-oomd.service ||
		{ fail "systemd-oomd does not run in the VM: $(systemctl is-active systemd-oomd.service)"; return; }
	doctor_as_user --json
	expect_status 0
	expect_finding systemd_oomd "f['level'] == 'note' and f['value'] == 'active'"
	expect_finding systemd_oomd "'ManagedOOMMemoryPressure=kill on user@$TEST_UID.service: the cgroup below it that reclaims most, when its memory pressure stays above 50% for ' in f['message']"
	expect_finding systemd_oomd "'ManagedOOMSwap=kill on -.slice' in f['message']"
	expect_finding systemd_oomd "'a job it kills dies of SIGKILL' in f['message']"
	# Root's jobs are in system.slice, under -.slice's swap rule alone.
	run_memrun doctor --json
	expect_status 0
	expect_finding systemd_oomd "f['value'] == 'active' and 'ManagedOOMSwap=kill on -.slice' in f['message'] and 'user@' not in f['message']"
}

run_tests
