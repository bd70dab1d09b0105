#!/usr/bin/env bash
# Limits really in force in the job, and refused loudly when they cannot be.
source "$(dirname "$0")/lib.sh"

# Run memrun without CAP_SYS_RESOURCE, whatever the test runs as.
without_sys_resource() {
	setpriv --inh-caps=-sys_resource --bounding-set=-sys_resource -- "$@"
}

test_rlimit_as_and_data_are_set_soft_and_hard() {
	needs_native_memrun rlimits || return
	run_memrun -q --as 256M --data 128MiB -- sh -c 'ulimit -Sv; ulimit -Hv; ulimit -Sd; ulimit -Hd'
	expect_status 0
	[ "$(tr '\n' ' ' <"$out")" = "262144 262144 131072 131072 " ] ||
		fail "limits in the job: $(tr '\n' ' ' <"$out")"
}

test_percent_resolves_against_memtotal() {
	local total_kib
	total_kib=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
	run_memrun -q --as 50% -- sh -c 'ulimit -v'
	expect_status 0
	[ "$(cat "$out")" = "$((total_kib / 2))" ] || fail "50% gave $(cat "$out") KiB, MemTotal is $total_kib KiB"
}

test_allocation_refused_under_rlimit_as() {
	run_memrun --as 256M --report "$report" -- python3 -c 'bytearray(400 << 20)'
	expect_status 1
	expect_err "limits: RLIMIT_AS 256 MiB"
	expect_json "r['limits']['as_bytes'] == 256 << 20"
}

test_oom_score_adj_is_written_for_the_job() {
	run_memrun -q --oom-score-adj 500 --report "$report" -- cat /proc/self/oom_score_adj
	expect_status 0
	expect_out "500"
	expect_json "r['limits']['oom_score_adj'] == 500"
}

test_lowering_oom_score_adj_without_the_capability_is_125() {
	without_sys_resource "$MEMRUN" --oom-score-adj -500 --report "$report" -- touch "$WORK/ran" \
		>"$out" 2>"$err"
	status=$?
	expect_status 125
	expect_err "cannot set oom_score_adj to -500 (from flag --oom-score-adj)"
	expect_err "needs CAP_SYS_RESOURCE, which memrun does not have"
	expect_err "--oom-score-adj 0"
	[ -e "$WORK/ran" ] && fail "the job ran with oom_score_adj missing"
	expect_json "r['outcome'] == 'failed-to-start' and 'oom_score_adj' in r['error']"
}

test_db_profile_names_its_file_when_oom_score_adj_fails() {
	without_sys_resource "$MEMRUN" -p db -- true >"$out" 2>"$err"
	status=$?
	expect_status 125
	expect_err "(from profile db at $TOP/profiles/db.conf:"
}

test_lowering_oom_score_adj_with_the_capability_works() {
	if ! sh -c 'echo -1 >/proc/self/oom_score_adj' 2>/dev/null; then
		skip "no CAP_SYS_RESOURCE on this machine, so lowering cannot succeed (the 125 path is tested above)"
		return
	fi
	run_memrun -q --oom-score-adj -500 -- cat /proc/self/oom_score_adj
	expect_status 0
	expect_out "-500"
}

test_raising_a_hard_rlimit_without_the_capability_is_125() {
	needs_unsanitized_memrun || return
	(
		ulimit -v 1048576
		without_sys_resource "$MEMRUN" --as 2G --report "$report" -- touch "$WORK/ran"
	) >"$out" 2>"$err"
	status=$?
	expect_status 125
	expect_err "cannot set RLIMIT_AS to 2 GiB (from flag --as)"
	expect_err "the hard limit memrun inherited is 1 GiB"
	expect_err "use a value of at most 1 GiB"
	[ -e "$WORK/ran" ] && fail "the job ran without its RLIMIT_AS"
}

test_inherited_rlimit_is_reported_as_in_force() {
	needs_unsanitized_memrun || return
	(
		ulimit -v 524288
		"$MEMRUN" -q --report "$report" -- true
	)
	expect_json "r['limits']['as_bytes'] == 512 << 20 and r['limits']['data_bytes'] is None"
}

test_exec_under_a_tiny_rlimit_as_is_explained() {
	run_memrun --as 1M -- true
	[ "$status" -ne 0 ] || fail "true ran in 1 MiB of address space"
	expect_err "RLIMIT_AS 1 MiB"
}

run_tests
