#!/usr/bin/env bash
# memrun doctor on this machine: what it reads must match what the machine
# says, each finding with its source, and the test cgroup it makes is gone
# afterwards.  Expectations come from the machine's own files, never from
# numbers written here, except where setpriv makes the machine deterministic.
source "$(dirname "$0")/lib.sh"

# Run memrun without CAP_SYS_RESOURCE, whatever the test runs as.
without_sys_resource() {
	setpriv --inh-caps=-sys_resource --bounding-set=-sys_resource -- "$@"
}

# The finding line holding text $1 ends with the source [$2].
expect_finding() {
	local line
	line=$(grep -F -- "$1" "$out" | head -1)
	if [ -z "$line" ]; then
		fail "no finding says '$1'"
		show_output
	elif [[ $line != *"  [$2]" ]]; then
		fail "the finding '$1' does not name its source [$2]: $line"
	fi
}

# The cgroup version a real job gets here (empty: none), from its report.
job_cgroup_version() {
	local probe=$WORK/probe.json
	"$MEMRUN" -q --report "$probe" -- true
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["cgroup"]["version"] or "")' "$probe"
}

test_exit_0_with_every_topic() {
	local topic
	run_memrun doctor
	expect_status 0
	for topic in limits overcommit memory cgroup systemd "OOM killer" malloc; do
		grep -qx -- "$topic" "$out" || fail "no '$topic' heading"
	done
	grep -qE '^[0-9]+ warnings?, [0-9]+ notes?, [0-9]+ ok$' "$out" || fail "no summary line"
	# Every finding: a verdict, the finding, its source in brackets.
	local malformed
	malformed=$(grep -E '^  (ok|note|warn) ' "$out" | grep -vE '^  (ok  |note|warn)  .+  \[.+\]$')
	[ -z "$malformed" ] || fail "badly formed findings: $malformed"
	[ "$(grep -cE '^  (ok|note|warn) ' "$out")" -ge 20 ] || fail "too few findings"
	[ -s "$err" ] && fail "stderr: $(cat "$err")"
}

test_overcommit_mode_from_proc() {
	local mode
	mode=$(cat /proc/sys/vm/overcommit_memory)
	run_memrun doctor
	expect_status 0
	expect_finding "vm.overcommit_memory is $mode (" /proc/sys/vm/overcommit_memory
	expect_finding "vm.overcommit_ratio is $(cat /proc/sys/vm/overcommit_ratio)" \
		/proc/sys/vm/overcommit_ratio
	expect_finding "CommitLimit" /proc/meminfo
}

test_swap_from_meminfo() {
	local swap_kb
	swap_kb=$(awk '/^SwapTotal:/ {print $2}' /proc/meminfo)
	run_memrun doctor
	expect_status 0
	if [ "$swap_kb" = 0 ]; then
		expect_finding "no swap (SwapTotal 0)" /proc/meminfo
		grep -qE '^  note  no swap ' "$out" || fail "no swap is not a note"
	else
		expect_finding "swap " /proc/meminfo
		grep -qF "no swap" "$out" && fail "says no swap, SwapTotal is $swap_kb kB"
	fi
	expect_finding "MemAvailable" /proc/meminfo
}

test_cgroup_version_and_job_cgroup() {
	local version hybrid=no
	version=$(job_cgroup_version)
	run_memrun doctor
	expect_status 0
	if [ -z "$version" ]; then
		grep -qE '^  warn  (no job cgroup|memrun cannot create a job cgroup|cannot open)' "$out" ||
			fail "jobs get no cgroup here, but doctor does not warn"
		return
	fi
	awk '$0 ~ / - cgroup / {v1=1} $0 ~ / - cgroup2 / {v2=1} END {exit !(v1 && v2)}' \
		/proc/self/mountinfo && hybrid=yes
	if [ "$version" = 1 ] && [ "$hybrid" = yes ]; then
		expect_finding "ok    cgroup v1 hybrid: the memory controller is on cgroup v1 at" \
			/proc/self/mountinfo
	else
		expect_finding "ok    cgroup v$version" /proc/self/mountinfo
	fi
	grep -qE '^  ok    memrun can create a job cgroup in /.*, with memory limits: it created memrun-doctor-[0-9]+, set its memory\.(limit_in_bytes|max) and removed it  \[/' "$out" ||
		{ fail "no finding that a job cgroup can be created"; show_output; }
	expect_finding "memrun runs in the " /proc/self/cgroup
}

test_json_agrees_with_the_machine() {
	local version
	version=$(job_cgroup_version)
	run_memrun doctor --json
	expect_status 0
	expect_json "r['findings'][0]['key'] == 'rlimit_as'" "$out"
	expect_json "[f['value'] for f in r['findings'] if f['key'] == 'overcommit_memory'] == [$(cat /proc/sys/vm/overcommit_memory)]" "$out"
	expect_json "[f['value'] for f in r['findings'] if f['key'] == 'swap'] == [$(awk '/^SwapTotal:/ {print $2 * 1024}' /proc/meminfo)]" "$out"
	expect_json "[f['value'] for f in r['findings'] if f['key'] == 'cgroup_version'] == [${version:-None}]" "$out"
	if [ -n "$version" ]; then
		expect_json "[f['level'] for f in r['findings'] if f['key'] == 'cgroup_job'] == ['ok']" "$out"
		expect_json "[f['value'] for f in r['findings'] if f['key'] == 'cgroup_join'] == ['$(join_by)']" "$out"
	fi
}

# How a job joins its cgroup here, from mountinfo: the memory hierarchy's
# super options, and the version.
join_by() {
	python3 - "$version" <<'PY'
import sys
v2 = sys.argv[1] == "2"
for line in open("/proc/self/mountinfo"):
    fstype, _, opts = line.split(" - ", 1)[1].split()[:3]
    if (v2 and fstype == "cgroup2") or (not v2 and fstype == "cgroup" and "memory" in opts.split(",")):
        print("favordynmods" if "favordynmods" in opts.split(",") else "clone3" if v2 else "tasks")
        break
PY
}

# The keys are what scripts select findings by: the same set every run.
test_json_has_the_same_keys_and_findings_as_the_text() {
	local text=$WORK/doctor.txt
	run_memrun doctor
	expect_status 0
	cp "$out" "$text"
	run_memrun doctor --json
	expect_status 0
	local systemd_keys=""
	# Where systemd runs the host, its topic has every check (but the
	# user's manager's and slice's for root); else cgroup_manager alone.
	if [ -d /run/systemd/system ]; then
		systemd_keys="user_slice_memory_max own_unit_memory_max systemd_oomd"
		[ "$(id -u)" = 0 ] || systemd_keys="user_memory_delegated $systemd_keys"
	fi
	python3 - "$out" "$text" "$systemd_keys" <<'PY' || fail "the JSON does not match the text"
import json, re, sys
doc = json.load(open(sys.argv[1]))
text = open(sys.argv[2]).read().splitlines()
keys = ["rlimit_as", "rlimit_data", "rlimit_stack", "rlimit_memlock", "rlimit_nproc",
        "overcommit_memory", "overcommit_ratio", "commit_limit", "mem_available", "swap",
        "cgroup_version", "cgroup_path", "cgroup_memory_limit", "cgroup_memory_usage",
        "cgroup_job", "cgroup_swap_accounting", "cgroup_join", "cgroup_manager"]
keys += sys.argv[3].split() + ["panic_on_oom",
        "oom_kill_allocating_task",
        "oom_score_adj", "oom_score_adj_lower", "kmsg", "journal", "dmesg_restrict",
        "glibc_version",
        "malloc_tunables", "glibc_tunables"]
findings = doc["findings"]
ok = True
def bad(why):
    global ok
    print("#   " + why)
    ok = False
if [f["key"] for f in findings] != keys:
    bad(f"keys: {[f['key'] for f in findings]}")
for f in findings:
    if sorted(f) != ["key", "level", "message", "source", "topic", "value"]:
        bad(f"members of {f.get('key')}: {sorted(f)}")
    if f["level"] not in ("ok", "note", "warn"):
        bad(f"level of {f['key']}: {f['level']}")
    if not (f["value"] is None or isinstance(f["value"], (int, str))):
        bad(f"value of {f['key']}: {f['value']!r}")
counts = {l: sum(f["level"] == l for f in findings) for l in ("ok", "note", "warn")}
if doc.get("counts") != counts:
    bad(f"counts {doc.get('counts')}, findings say {counts}")
# The text says the same, finding by finding: verdict and source (the
# test cgroup's name holds the pid, which differs between the two runs).
lines = [l for l in text if re.match(r"  (ok|note|warn) ", l)]
if len(lines) != len(findings):
    bad(f"{len(lines)} lines of text, {len(findings)} findings")
pid = lambda s: re.sub(r"memrun-doctor-[0-9]+", "memrun-doctor-N", s)
for line, f in zip(lines, findings):
    level, rest = line.split(None, 1)
    if level != f["level"] or not pid(rest).endswith(f"  [{pid(f['source'])}]"):
        bad(f"text '{line}' and JSON {f['key']} {f['level']} [{f['source']}] differ")
for key in ("overcommit_memory", "swap", "cgroup_version", "oom_score_adj", "panic_on_oom"):
    message = next(f["message"] for f in findings if f["key"] == key)
    if not any(message in l for l in lines):
        bad(f"the text lacks the message of {key}: {message}")
sys.exit(0 if ok else 1)
PY
}

# Where systemd does not run the host, its topic says so once, and warns
# of nothing.
test_systemd_topic_without_systemd() {
	if [ -d /run/systemd/system ]; then
		skip "systemd runs this host (tests/systemd/test_doctor.sh covers it)"
		return
	fi
	run_memrun doctor
	expect_status 0
	expect_finding "note  systemd does not run this host (no /run/systemd/system): memrun makes a job's cgroup itself (cgroupfs)" \
		/run/systemd/system
	[ "$(sed -n '/^systemd$/,/^$/p' "$out" | grep -cE '^  (ok|note|warn) ')" = 1 ] ||
		{ fail "the systemd topic has more than one line"; show_output; }
	run_memrun doctor --json
	expect_status 0
	expect_json "[(f['key'], f['level'], f['value']) for f in r['findings'] if f['topic'] == 'systemd'] == [('cgroup_manager', 'note', 'cgroupfs')]" "$out"
}

test_test_cgroup_is_gone_afterwards() {
	local parent name left
	run_memrun doctor
	expect_status 0
	if grep -qE '^  warn  (no job cgroup|memrun cannot create a job cgroup|cannot open)' "$out"; then
		skip "memrun may not create a job cgroup here"
		return
	fi
	# "... a job cgroup in PARENT, with memory limits: it created NAME, ..."
	parent=$(sed -n 's/.* a job cgroup in \(\/[^ ]*\), with memory limits: it created memrun-doctor-[0-9]*,.*/\1/p' "$out")
	name=$(grep -oE 'it created memrun-doctor-[0-9]+' "$out" | cut -d' ' -f3)
	[ -n "$parent" ] && [ -d "$parent" ] && [ -n "$name" ] ||
		{ fail "doctor names no test cgroup and where it made it"; show_output; return; }
	[ -e "$parent/$name" ] && fail "$parent/$name is left behind"
	left=$(ls -d "$parent"/memrun-doctor-* 2>/dev/null)
	[ -z "$left" ] || fail "left behind: $left"
}

test_oom_score_adj_cannot_be_lowered_without_cap_sys_resource() {
	without_sys_resource "$MEMRUN" doctor >"$out" 2>"$err" </dev/null
	status=$?
	expect_status 0
	expect_finding "warn  lowering oom_score_adj below $(cat /proc/self/oom_score_adj) needs CAP_SYS_RESOURCE, which memrun does not have: profile db (-500) would stop with exit 125" \
		"/proc/self/status CapEff"
	without_sys_resource "$MEMRUN" doctor --json >"$out" 2>"$err" </dev/null
	expect_json "[(f['level'], f['source']) for f in r['findings'] if f['key'] == 'oom_score_adj_lower'] == [('warn', '/proc/self/status CapEff')]" "$out"
}

test_oom_score_adj_can_be_lowered_with_cap_sys_resource() {
	local cap_eff
	cap_eff=$(awk '/^CapEff:/ {print $2}' /proc/self/status)
	if (( ((0x$cap_eff >> 24) & 1) == 0 )); then
		skip "the tests run without CAP_SYS_RESOURCE, so memrun cannot have it either"
		return
	fi
	run_memrun doctor
	expect_status 0
	expect_finding "ok    memrun has CAP_SYS_RESOURCE: it can lower a job's oom_score_adj" \
		"/proc/self/status CapEff"
}

test_bad_arguments_are_125() {
	local args
	for args in --bogus -x extra "--json extra" --json=yes; do
		# shellcheck disable=SC2086 # split on purpose
		run_memrun doctor $args
		expect_status 125
		expect_err "Try 'memrun doctor --help'"
		[ -s "$out" ] && fail "doctor $args printed findings"
	done
	run_memrun doctor --bogus
	expect_err "memrun: doctor: unknown option '--bogus'"
}

test_help() {
	run_memrun doctor --help
	expect_status 0
	expect_out "Usage: memrun doctor [--json]"
	expect_out "--json"
	run_memrun --help
	expect_out "memrun doctor [--json]"
}

run_tests
