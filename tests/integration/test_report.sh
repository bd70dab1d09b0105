#!/usr/bin/env bash
# The JSON report: every field of the contract, valid JSON whatever the
# arguments hold, and written atomically.
source "$(dirname "$0")/lib.sh"

required_fields="
r['outcome'] in ('exited', 'signaled', 'out-of-memory', 'oom-killed', 'failed-to-start')
'exit_code' in r and 'signal' in r and 'main_oom_killed' in r
'kills' in r['oom'] and 'killer' in r['oom']
'count' in r['alloc_failures']
'memory_bytes' in r['peak']
all(k in r['limits'] for k in ('as_bytes', 'data_bytes', 'memory_max_bytes', 'memory_high_bytes', 'swap_max_bytes', 'oom_score_adj', 'malloc'))
'version' in r['cgroup']
isinstance(r['duration_s'], float)
isinstance(r['command'], list)
"

test_report_has_every_contract_field() {
	local expr
	run_memrun -q --report "$report" -p batch -- sleep 0.2
	expect_status 0
	while IFS= read -r expr; do
		[ -n "$expr" ] && expect_json "$expr"
	done <<<"$required_fields"
	expect_json "r['command'] == ['sleep', '0.2'] and 0.15 < r['duration_s'] < 5"
	expect_json "r['limits']['oom_score_adj'] == 500 and r['limits']['malloc'] == {'arena_max': 2}"
	expect_json "r['profiles'][0]['name'] == 'batch'"
}

test_unknown_evidence_is_null_not_zero() {
	# Without a cgroup (here: a parent that does not exist, best effort)
	# and without the probe.
	run_memrun -q --no-probe --best-effort --cgroup-parent /no/such/cgroup --report "$report" -- true
	# Without a cgroup or the probe memrun cannot know: null, never a confident 0.
	expect_json "r['oom']['kills'] is None and r['peak']['memory_bytes'] is None"
	expect_json "r['alloc_failures']['count'] is None and r['alloc_failures']['observed'] is False"
	expect_json "r['cgroup']['version'] is None"
}

test_report_is_valid_json_for_any_argument_bytes() {
	run_memrun -q --report "$report" -- true $'\xff\xfe' $'tab\there' 'quote"back\slash' $'\x01ctl' 'ünï' $'\xed\xa0\x80'
	expect_status 0
	expect_json "r['command'][1] == '\ufffd\ufffd' and r['command'][2] == 'tab\there'"
	expect_json "r['command'][3] == 'quote\"back\\\\slash' and r['command'][4] == '\x01ctl'"
	expect_json "r['command'][5] == 'ünï' and r['command'][6] == '\ufffd' * 3"
}

test_failed_start_still_writes_a_report() {
	run_memrun --report "$report" -- memrun-no-such-command
	expect_status 127
	expect_json "r['outcome'] == 'failed-to-start' and r['memrun_exit_status'] == 127"
	expect_json "r['command'] == ['memrun-no-such-command']"
}

test_report_replaces_atomically_and_leaves_no_temp_file() {
	mkdir -p "$WORK/rep"
	echo 'old' >"$WORK/rep/job.json"
	run_memrun -q --report "$WORK/rep/job.json" -- sh -c 'ls -A "$1"' sh "$WORK/rep"
	expect_status 0
	# While the job runs, the directory holds only the old report.
	[ "$(cat "$out")" = "job.json" ] || fail "during the job: $(cat "$out")"
	[ "$(ls -A "$WORK/rep")" = "job.json" ] || fail "after the job: $(ls -A "$WORK/rep")"
	expect_json "r['outcome'] == 'exited'" "$WORK/rep/job.json"
}

test_report_respects_umask() {
	(umask 027 && "$MEMRUN" -q --report "$report" -- true)
	[ "$(stat -c %a "$report")" = 640 ] || fail "mode $(stat -c %a "$report") under umask 027"
}

test_quiet_silences_only_the_summary() {
	run_memrun -q -- sh -c 'exit 4'
	expect_status 4
	[ -s "$err" ] && fail "stderr not empty: $(cat "$err")"
	run_memrun -q -- memrun-no-such-command
	expect_status 127
	expect_err "command not found"
}

test_summary_names_the_limits() {
	run_memrun --as 512M --oom-score-adj 300 -- true
	expect_err "memrun: true exited 0 after"
	expect_err "limits: RLIMIT_AS 512 MiB, oom_score_adj 300"
}

run_tests
