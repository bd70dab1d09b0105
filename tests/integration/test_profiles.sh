#!/usr/bin/env bash
# Profiles, precedence, --dry-run, and every way a bad input is refused.
source "$(dirname "$0")/lib.sh"

user_profiles=$HOME/.config/memrun/profiles

# run_memrun for what must end at once: a hang is a failure, not a stall.
run_memrun_briefly() {
	timeout -k 5 20 "$MEMRUN" "$@" >"$out" 2>"$err" </dev/null
	status=$?
	[ "$status" -eq 124 ] && fail "memrun $* hung"
}

# Run from the build tree, before 'make install', memrun finds the tree's
# profiles as the installed ones; a copy of the binary elsewhere does not.
test_build_tree_memrun_finds_the_trees_profiles() {
	MEMRUN_PROFILE_PATH= run_memrun --dry-run -p db -- true
	expect_status 0
	expect_out "db  $TOP/profiles/db.conf"
	MEMRUN_PROFILE_PATH= run_memrun profiles list
	grep -c "($TOP/profiles/db.conf)" "$out" | grep -qx 1 || fail "db listed other than once"
	# On the path already: listed once, not shadowed by itself.
	run_memrun profiles list
	grep -c "($TOP/profiles/db.conf)" "$out" | grep -qx 1 || fail "db listed other than once"
	cp "$MEMRUN_PROGRAM" "$WORK/memrun-elsewhere"
	MEMRUN_PROFILE_PATH= "$WORK/memrun-elsewhere" profiles list >"$out" 2>"$err"
	status=$?
	expect_status 0
	grep -q "$TOP/profiles/" "$out" && fail "a copy outside the build tree found the tree's profiles"
}

test_shipped_profiles_are_listed_with_descriptions() {
	run_memrun profiles list
	expect_status 0
	local name
	for name in default db ci batch strict; do
		grep -qE "^$name +[A-Z].* \($TOP/profiles/$name.conf\)$" "$out" ||
			fail "profile $name missing or without description"
	done
}

test_every_shipped_profile_loads() {
	local name
	for name in default db ci batch strict; do
		run_memrun --dry-run -p "$name" -- true
		expect_status 0
		expect_out "$name  $TOP/profiles/$name.conf"
	done
}

test_profiles_show_prints_file_and_resolved_values() {
	run_memrun profiles show batch
	expect_status 0
	expect_out "# $TOP/profiles/batch.conf"
	expect_out "oom_score_adj = 500"
	expect_out "# resolved:"
	run_memrun profiles show nosuch
	expect_status 125
	expect_err "no profile named 'nosuch'"
}

test_later_profile_wins_and_flags_win_over_profiles() {
	run_memrun -q -p batch -p strict -- cat /proc/self/oom_score_adj
	expect_out "800"
	run_memrun -q -p strict -p batch -- cat /proc/self/oom_score_adj
	expect_out "500"
	run_memrun -q -p strict --oom-score-adj 100 -p batch -- cat /proc/self/oom_score_adj
	expect_out "100"
}

test_dry_run_shows_origin_of_every_value_and_runs_nothing() {
	run_memrun --dry-run -p batch -p ci --as 1G --malloc arena_max=3 -- touch "$WORK/ran"
	expect_status 0
	[ -e "$WORK/ran" ] && fail "--dry-run ran the command"
	expect_out "dry run, nothing is started"
	grep -qE "^  as +1 GiB +flag --as$" "$out" || fail "as origin"
	grep -qE "^  oom_score_adj +300 +profile ci at $TOP/profiles/ci.conf:[0-9]+$" "$out" ||
		fail "oom_score_adj origin"
	grep -qE "^  data +75% = .* +profile ci " "$out" || fail "data origin"
	grep -qE "^  memory_high +not set +default$" "$out" || fail "default origin"
	grep -qE "^  malloc.arena_max +3 +flag --malloc arena_max$" "$out" || fail "malloc origin"
	expect_out "GLIBC_TUNABLES=glibc.malloc.arena_max=3:glibc.malloc.perturb=165"
}

test_dry_run_reports_a_missing_command() {
	run_memrun --dry-run -- memrun-no-such-command
	expect_status 127
	expect_out "is not found"
	run_memrun --dry-run -p strict
	expect_status 0
	expect_out "(none given)"
}

test_default_profile_applies_only_without_profile() {
	mkdir -p "$user_profiles"
	printf 'description = site\noom_score_adj = 42\n' >"$WORK/default.conf"
	MEMRUN_PROFILE_PATH=$WORK run_memrun -q -- cat /proc/self/oom_score_adj
	expect_out "42"
	MEMRUN_PROFILE_PATH=$WORK:$TOP/profiles run_memrun -q -p batch -- cat /proc/self/oom_score_adj
	expect_out "500"
}

test_user_profile_inherits_the_system_one_of_the_same_name() {
	mkdir -p "$user_profiles"
	printf 'inherit = batch\nmalloc.arena_max = 7\n' >"$user_profiles/batch.conf"
	# The user's batch extends the one memrun is installed with (for this
	# uninstalled build, the tree's).
	MEMRUN_PROFILE_PATH= run_memrun --dry-run -p batch -- true
	expect_status 0
	grep -qE "^  malloc.arena_max +7 +profile batch at $user_profiles/batch.conf:2$" "$out" ||
		fail "user's own value"
	grep -qE "^  oom_score_adj +500 +profile batch at $TOP/profiles/batch.conf:[0-9]+$" "$out" ||
		fail "value inherited from the installed batch"
	# Nothing further along the path of that name: an error, not itself again.
	printf 'inherit = mine\n' >"$user_profiles/mine.conf"
	MEMRUN_PROFILE_PATH= run_memrun --dry-run -p mine -- true
	expect_status 125
	expect_err "inherit: no profile named 'mine'"
	rm -f "$user_profiles/mine.conf"
	MEMRUN_PROFILE_PATH=$TOP/profiles run_memrun --dry-run -p batch -- true
	expect_status 0	# MEMRUN_PROFILE_PATH comes first: the shipped batch itself
	printf 'inherit = batch\nmalloc.arena_max = 7\n' >"$WORK/batch.conf"
	MEMRUN_PROFILE_PATH=$WORK:$TOP/profiles run_memrun --dry-run -p batch -- true
	expect_status 0
	grep -qE "^  malloc.arena_max +7 +profile batch at $WORK/batch.conf:2$" "$out" || fail "own value"
	grep -qE "^  oom_score_adj +500 +profile batch at $TOP/profiles/batch.conf:[0-9]+$" "$out" ||
		fail "inherited value"
	rm -f "$user_profiles/batch.conf"
}

test_profile_by_path() {
	printf 'as = 300M\n' >"$WORK/mine.conf"
	run_memrun -q -p "$WORK/mine.conf" -- sh -c 'ulimit -v'
	expect_out "307200"
	run_memrun -q -p mine.conf -- true
	expect_status 125
	expect_err "such as ./mine.conf"
}

# Each bad input: exit 125, a message naming what is wrong, nothing run.
bad_profile() {
	local text=$1 message=$2
	printf '%b' "$text" >"$WORK/bad.conf"
	run_memrun -p "$WORK/bad.conf" --report "$report" -- touch "$WORK/ran"
	expect_status 125
	expect_err "$message"
	[ -e "$WORK/ran" ] && fail "the job ran despite: $message"
	expect_json "r['outcome'] == 'failed-to-start'"
}

test_profile_errors_name_file_line_and_key() {
	bad_profile 'as = 1G\n# c\n\nfoo = 1\n' "$WORK/bad.conf:4: unknown key 'foo'"
	bad_profile '# c\n\nfoo = 1\n' "$WORK/bad.conf:3: unknown key (not shown: the file may not be a profile)"
	bad_profile 'as = 1G\nas = 2G\n' "$WORK/bad.conf:2: key 'as' is already set on line 1"
	bad_profile 'as = 4X\n' "$WORK/bad.conf:1: bad value for key 'as': '4X': unknown unit"
	bad_profile 'oom_score_adj = 2000\n' "bad.conf:1: bad value for key 'oom_score_adj': '2000': must be between -1000 and 1000"
	bad_profile 'description = x\nmalloc.bogus = 1\n' "bad.conf:2: unknown key 'malloc.bogus'"
	bad_profile 'malloc.arena_mx = 1\n' "bad.conf:1: unknown key 'malloc.arena_mx'; did you mean 'malloc.arena_max'?"
	bad_profile 'just text\n' "bad.conf:1: expected 'key = value'"
	bad_profile 'data = \n' "bad.conf:1: bad value for key 'data': '': the size is empty"
	bad_profile 'inherit = nosuch\n' "bad.conf:1: inherit: no profile named 'nosuch'"
	bad_profile 'inherit = ./bad.conf\n' "inherit loop"
	bad_profile 'as = -1G\n' "negative sizes are not allowed"
	bad_profile 'as = 99999999999T\n' "the size is too large"
}

# A FIFO is never opened for reading (it would wait for a writer for ever),
# whichever way it is named; timeout(1) turns a hang into a failure.
test_a_fifo_as_a_profile_is_refused_not_waited_for() {
	mkfifo "$WORK/fifo.conf"
	run_memrun_briefly -p "$WORK/fifo.conf" -- touch "$WORK/ran"
	expect_status 125
	expect_err "cannot read profile '$WORK/fifo.conf': not a regular file"
	[ -e "$WORK/ran" ] && fail "the job ran"

	printf 'as = 1G\ninherit = ./fifo.conf\n' >"$WORK/child.conf"
	run_memrun_briefly -p "$WORK/child.conf" -- true
	expect_status 125
	expect_err "$WORK/child.conf:2: inherit: cannot read '$WORK/fifo.conf': not a regular file"

	# Found by name along the search path: the first one holds the name,
	# it is not passed over for another.
	mkdir "$WORK/dir"
	mkfifo "$WORK/dir/fifo.conf" "$WORK/dir/batch.conf"
	MEMRUN_PROFILE_PATH=$WORK/dir:$TOP/profiles run_memrun_briefly -p fifo -- true
	expect_status 125
	expect_err "cannot read profile 'fifo': $WORK/dir/fifo.conf: not a regular file"
	expect_err "in $WORK/dir; memrun does not look past it"
	MEMRUN_PROFILE_PATH=$WORK/dir:$TOP/profiles run_memrun_briefly -p batch -- true
	expect_status 125
	expect_err "$WORK/dir/batch.conf: not a regular file"
	printf 'inherit = fifo\n' >"$WORK/named.conf"
	MEMRUN_PROFILE_PATH=$WORK/dir run_memrun_briefly -p "$WORK/named.conf" -- true
	expect_status 125
	expect_err "$WORK/named.conf:1: inherit: cannot read '$WORK/dir/fifo.conf': not a regular file"

	# Listed (it holds the name), with a warning, and the others still are.
	MEMRUN_PROFILE_PATH=$WORK/dir:$TOP/profiles run_memrun_briefly profiles list
	expect_status 0
	expect_err "$WORK/dir/fifo.conf: not a regular file"
	grep -qE "^fifo +- +\($WORK/dir/fifo.conf\)$" "$out" || fail "the FIFO is not listed"
	grep -qE "^db +[A-Z].* \($TOP/profiles/db.conf\)$" "$out" || fail "db is not listed"
	MEMRUN_PROFILE_PATH=$WORK/dir:$TOP/profiles run_memrun_briefly profiles show fifo
	expect_status 125
	expect_err "not a regular file"
	expect_no_err "# resolved"
}

# Devices and kernel files are not profiles, whatever stat says of them.
test_devices_and_proc_files_are_not_read() {
	local file
	for file in /dev/zero /dev/null /dev/urandom /proc/self/status /proc/self/environ; do
		run_memrun_briefly -p "$file" --report "$report" -- touch "$WORK/ran"
		expect_status 125
		expect_err "cannot read profile '$file': not a regular file"
		[ -e "$WORK/ran" ] && fail "the job ran with $file as a profile"
		expect_json "r['outcome'] == 'failed-to-start'"
	done
}

test_a_profile_larger_than_64_kib_is_refused() {
	# All comments: only the size is wrong.
	head -c $((64 * 1024)) /dev/zero | tr '\0' '#' >"$WORK/big.conf"
	run_memrun --dry-run -p "$WORK/big.conf" -- true
	expect_status 0
	printf '#\n' >>"$WORK/big.conf"
	run_memrun --dry-run -p "$WORK/big.conf" -- true
	expect_status 125
	expect_err "cannot read profile '$WORK/big.conf': larger than 64 KiB: not a profile"
}

# A file that is not a profile never has its lines printed: once memrun is
# installed with privilege, that would let anyone read any file.
test_a_file_that_is_not_a_profile_is_not_shown() {
	local secret=s3cr3t-$RANDOM$RANDOM text
	for text in "root:\$y\$j9T\$$secret:19000:0:99999:7:::" "API_TOKEN=$secret" \
		"$secret==" "# a comment\n\nthe password = $secret" "-----BEGIN KEY-----\n$secret"; do
		(umask 077 && printf '%b\n' "$text" >"$WORK/secret")
		run_memrun_briefly -p "$WORK/secret" -- touch "$WORK/ran"
		expect_status 125
		grep -qE "^memrun: $WORK/secret:[0-9]+: (expected 'key = value'|unknown key \(not shown)" \
			"$err" || fail "no message naming the file and line"
		expect_no_err "$secret"
		[ -e "$WORK/ran" ] && fail "the job ran" && rm -f "$WORK/ran"
		run_memrun_briefly profiles show "$WORK/secret"
		expect_status 125
		expect_no_err "$secret"
		grep -qF "$secret" "$out" && fail "profiles show printed the file"
		run_memrun_briefly --dry-run -p "$WORK/secret" -- true
		expect_no_err "$secret"
		grep -qF "$secret" "$out" && fail "--dry-run printed the file"
	done
	if [ -r /etc/shadow ] && [ -s /etc/shadow ]; then
		run_memrun_briefly -p /etc/shadow -- true
		expect_status 125
		expect_err "/etc/shadow:1: expected 'key = value'"
		grep -qF -- "$(head -1 /etc/shadow)" "$err" && fail "the first line of /etc/shadow is shown"
	fi
	# A real profile's mistake still says which key and what is wrong.
	printf 'description = mine\nas = 4X\n' >"$WORK/real.conf"
	run_memrun -p "$WORK/real.conf" -- true
	expect_status 125
	expect_err "$WORK/real.conf:2: bad value for key 'as': '4X': unknown unit"
	printf 'memory-max = 1G\n' >"$WORK/real.conf"
	run_memrun -p "$WORK/real.conf" -- true
	expect_status 125
	expect_err "$WORK/real.conf:1: unknown key 'memory-max'; did you mean 'memory_max'?"
}

test_inherit_loop_between_two_files() {
	printf 'inherit = ./b.conf\n' >"$WORK/a.conf"
	printf 'inherit = ./a.conf\n' >"$WORK/b.conf"
	run_memrun -p "$WORK/a.conf" -- true
	expect_status 125
	expect_err "$WORK/b.conf:1: inherit loop"
}

test_bad_flags_are_125_with_a_reason() {
	local args
	while IFS='|' read -r args message; do
		# shellcheck disable=SC2086
		run_memrun $args -- touch "$WORK/ran"
		expect_status 125
		expect_err "$message"
		[ -e "$WORK/ran" ] && fail "ran despite $args"
	done <<'CASES'
--as 4X|--as: bad value '4X': unknown unit
--as 0|a limit of 0 bytes
--as -5M|negative sizes are not allowed
--data 18446744073709551616|the size is too large
--as 101%|cannot exceed 100%
--oom-score-adj 1001|must be between -1000 and 1000
--oom-score-adj abc|expected a whole number
--malloc arena_max|expected KEY=VALUE
--malloc nosuch=1|unknown key 'nosuch'
--malloc arena_max=0|must be between 1
--malloc mmap_threshold=64M|at most 32 MiB
--malloc perturb=256|must be between 0 and 255
--malloc hugetlb=3|expected 0 (off)
--bogus|unrecognized option
-p nosuch|no profile named 'nosuch'
CASES
	run_memrun
	expect_status 125
	expect_err "no command given"
	expect_err "Try 'memrun --help'"
}

test_report_to_an_unwritable_place_is_125_before_the_job_runs() {
	run_memrun --report "$WORK/no/such/dir/r.json" -- touch "$WORK/ran"
	expect_status 125
	expect_err "cannot write the report"
	[ -e "$WORK/ran" ] && fail "the job ran without its report"
	run_memrun --report "$WORK" -- true
	expect_status 125
}

test_help_and_version() {
	run_memrun --help
	expect_status 0
	expect_out "Usage: memrun [OPTION]... [--] COMMAND [ARG]..."
	run_memrun --version
	expect_status 0
	grep -qE '^memrun [0-9]+\.[0-9]+\.[0-9]+$' "$out" || fail "version line: $(cat "$out")"
}

run_tests
