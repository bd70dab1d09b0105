#!/usr/bin/env bash
# Who makes the job's cgroup (--cgroup-manager, cgroup_manager =, --slice):
# the choice, its reason in --dry-run and the report, and the errors for
# what cannot be had.  Where systemd does not run the host (this machine
# and the plain VM boot), auto is cgroupfs and systemd is an error; the
# systemd boot of the VM suite (tests/systemd/) tests the scopes.
source "$(dirname "$0")/lib.sh"
probe_job_cgroup

systemd_runs() { [ -e /run/systemd/system ]; }

test_auto_is_cgroupfs_without_systemd() {
	if systemd_runs; then
		skip "systemd runs this host; tests/systemd covers auto there"
		return
	fi
	run_memrun --dry-run -- true
	expect_status 0
	expect_out "manager: cgroupfs, memrun itself (systemd does not run this host"
	needs_cgroup || return
	run_memrun -q --report "$report" -- true
	expect_status 0
	expect_json 'r["cgroup"]["manager"] == "cgroupfs"'
	expect_json '"systemd does not run this host" in r["cgroup"]["manager_reason"]'
	expect_json 'r["cgroup"]["unit"] is None'
}

test_systemd_without_systemd_is_an_error() {
	if systemd_runs; then
		skip "systemd runs this host"
		return
	fi
	run_memrun --cgroup-manager=systemd --memory-max 64M --report "$report" -- true
	expect_status 125
	expect_err "memory_max = 64 MiB (from flag --memory-max) in force: systemd does not run this host"
	expect_json 'r["outcome"] == "failed-to-start"'
	expect_json 'r["cgroup"]["error"] is not None'
	# With --best-effort the job runs, its limit shown as not applied.
	run_memrun -q --cgroup-manager=systemd --memory-max 64M --best-effort --report "$report" -- true
	expect_status 0
	expect_json 'r["limits"]["memory_max_bytes"] is None'
	expect_json 'r["limits"]["not_applied_reason"] is not None'
}

test_explicit_cgroupfs_and_its_reason() {
	needs_cgroup || return
	run_memrun -q --cgroup-manager cgroupfs --report "$report" -- true
	expect_status 0
	expect_json 'r["cgroup"]["manager"] == "cgroupfs"'
	expect_json '"--cgroup-manager=cgroupfs" in r["cgroup"]["manager_reason"]'
}

test_profile_key_and_flag_precedence() {
	local prof=$HOME/mgr.conf
	printf 'cgroup_manager = systemd\nslice = batch.slice\n' >"$prof"
	run_memrun --dry-run -p "$prof" -- true
	expect_status 0
	expect_out "cgroup_manager"
	expect_out "systemd"
	expect_out "batch.slice"
	run_memrun --dry-run -p "$prof" --cgroup-manager=cgroupfs -- true
	expect_status 0
	expect_out "manager: cgroupfs, memrun itself (--cgroup-manager=cgroupfs"
}

test_bad_values_are_usage_errors() {
	run_memrun --cgroup-manager=docker -- true
	expect_status 125
	expect_err "expected one of auto, systemd, cgroupfs"
	for bad in batch "-.slic" "a--b.slice" "-a.slice" "a b.slice" ".slice" "x/y.slice"; do
		run_memrun --slice "$bad" -- true
		expect_status 125
		expect_err "expected a systemd slice name"
	done
	printf 'slice = nope\n' >"$HOME/bad.conf"
	run_memrun -p "$HOME/bad.conf" -- true
	expect_status 125
	expect_err "bad.conf"
	expect_err "slice"
	run_memrun --dry-run --slice -.slice --slice a-b_c.slice -- true
	expect_status 0
	expect_out "a-b_c.slice"
}

test_a_slice_memrun_cannot_use_is_refused() {
	needs_cgroup || return
	run_memrun --cgroup-manager=cgroupfs --slice batch.slice --report "$report" -- true
	expect_status 125
	expect_err "slice = batch.slice is for a systemd scope"
	expect_json 'r["outcome"] == "failed-to-start"'
	run_memrun -q --cgroup-manager=cgroupfs --slice batch.slice --best-effort -- true
	expect_status 0
	expect_err "not in force"
}

run_tests
