#!/usr/bin/env bash
# The systemd boot is what the other tests of this suite rely on: systemd as
# PID 1 on a pure cgroup v2 hierarchy, the services memrun talks to, the
# test user's manager with memory delegated, PSI, systemd-oomd, the journal.
source "$(dirname "$0")/lib.sh"

test_pid1_is_systemd() {
	local comm
	comm=$(cat /proc/1/comm)
	[ "$comm" = systemd ] || fail "PID 1 is '$comm', not systemd"
	expect "/run/systemd/system exists (sd_booted)" test -d /run/systemd/system
	expect "systemd takes the VM for a machine, not a container" \
		sh -c '! systemd-detect-virt -q --container'
}

# As the boot ended (the tests before this one may leave failed units).
test_system_was_running_when_the_job_started() {
	local state
	state=$(cat /run/memrun-vm/boot-state 2>&1)
	case "$state" in
	running) ;;
	degraded)
		echo "#   the boot was degraded; failed units now:"
		systemctl --failed --no-legend --no-pager 2>&1 | sed 's/^/#     /'
		;;
	*) fail "systemctl is-system-running at the job's start: '$state', expected running or degraded" ;;
	esac
}

test_job_runs_in_its_own_unit() {
	local own
	own=$(sed -n 's/^0:://p' /proc/self/cgroup)
	case "$own" in
	/system.slice/memrun-vm-job.service | /system.slice/memrun-vm-job.service/*) ;;
	*) fail "the test job's cgroup is '$own', not memrun-vm-job.service's" ;;
	esac
}

test_hierarchy_is_cgroup2_with_memory() {
	local fs
	fs=$(stat -fc %T /sys/fs/cgroup)
	[ "$fs" = cgroup2fs ] || fail "/sys/fs/cgroup is $fs, not cgroup2"
	expect "the memory controller is on the root cgroup" \
		grep -qw memory /sys/fs/cgroup/cgroup.controllers
	expect "no cgroup v1 hierarchy is mounted" \
		awk '$3 == "cgroup" { exit 1 }' /proc/self/mounts
}

test_user_manager_is_active_with_memory_delegated() {
	local cgroup
	expect "user@$TEST_UID.service is active" \
		systemctl is-active -q "user@$TEST_UID.service"
	cgroup=$(systemctl show -P ControlGroup "user@$TEST_UID.service")
	[ -n "$cgroup" ] || { fail "user@$TEST_UID.service has no cgroup"; return; }
	grep -qw memory "/sys/fs/cgroup$cgroup/cgroup.controllers" ||
		fail "$cgroup/cgroup.controllers lacks memory: $(cat "/sys/fs/cgroup$cgroup/cgroup.controllers" 2>&1)"
	# The slice enables memory for any child (memory accounting is on by
	# default): that it is the user manager's to give is the delegation.
	systemctl show -P DelegateControllers "user@$TEST_UID.service" | grep -qw memory ||
		fail "user@$TEST_UID.service does not delegate memory: DelegateControllers=$(systemctl show -P DelegateControllers "user@$TEST_UID.service")"
	expect "the lingering user has its runtime directory" \
		test -d "$TEST_USER_RUNTIME_DIR"
}

test_systemctl_user_works_as_the_test_user() {
	local state own
	state=$(as_user systemctl --user is-system-running --wait 2>&1)
	case "$state" in
	running) ;;
	degraded)
		echo "#   the user manager is degraded; failed units:"
		as_user systemctl --user --failed --no-legend --no-pager 2>&1 | sed 's/^/#     /'
		;;
	*) fail "systemctl --user is-system-running as $TEST_USER: '$state'" ;;
	esac
	as_user busctl --user status >/dev/null 2>"$err" ||
		fail "the user bus does not answer: $(cat "$err")"
	own=$(in_user_manager sed -n 's/^0:://p' /proc/self/cgroup 2>&1)
	case "$own" in
	/user.slice/user-$TEST_UID.slice/user@$TEST_UID.service/*) ;;
	*) fail "systemd-run --user as $TEST_USER: the command ran in '$own', not under user@$TEST_UID.service" ;;
	esac
	[ "$(in_user_manager id -u 2>&1)" = "$TEST_UID" ] ||
		fail "systemd-run --user did not run the command as uid $TEST_UID"
	in_user_manager sh -c 'exit 3'
	[ $? -eq 3 ] || fail "in_user_manager does not return the command's exit status"
}

test_test_user_runs_memrun_from_the_snapshot() {
	expect "$TEST_USER reads the repository" as_user test -r "$TOP/README.md"
	expect "$TEST_USER writes USER_WORK" as_user touch "$USER_WORK/probe"
	{ as_user "$MEMRUN" --version >"$out" 2>"$err"; } 2>/dev/null
	status=$?
	expect_status 0
	expect_out memrun
}

test_memory_pressure_is_reported() {
	expect "/proc/pressure/memory is readable" \
		grep -q '^some avg10=' /proc/pressure/memory
}

test_systemd_oomd_is_active() {
	expect "systemd-oomd.service is active" \
		systemctl is-active -q systemd-oomd.service
	oomctl dump --no-pager >"$out" 2>"$err"
	status=$?
	expect_status 0
	# user@.service asks for ManagedOOMMemoryPressure=kill (Debian's drop-in).
	expect_out "user@$TEST_UID.service"
}

test_journal_has_this_boots_kernel_messages() {
	expect "systemd-journald.service is active" \
		systemctl is-active -q systemd-journald.service
	journalctl -k -b -q --no-pager >"$out" 2>"$err"
	status=$?
	expect_status 0
	expect_out "memrun.boot=systemd"
}

run_tests
