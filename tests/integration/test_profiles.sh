#!/usr/bin/env bash
# Profiles, precedence, --dry-run, and every way a bad input is refused.
source "$(dirname "$0")/lib.sh"

user_profiles=$HOME/.config/memrun/profiles

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
	cp "$MEMRUN" "$WORK/memrun-elsewhere"
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
	bad_profile '# c\n\nfoo = 1\n' "$WORK/bad.conf:3: unknown key 'foo'"
	bad_profile 'as = 1G\nas = 2G\n' "$WORK/bad.conf:2: key 'as' is already set on line 1"
	bad_profile 'as = 4X\n' "$WORK/bad.conf:1: bad value for key 'as': '4X': unknown unit"
	bad_profile 'oom_score_adj = 2000\n' "bad.conf:1: bad value for key 'oom_score_adj': '2000': must be between -1000 and 1000"
	bad_profile 'malloc.bogus = 1\n' "bad.conf:1: unknown key 'malloc.bogus'"
	bad_profile 'just text\n' "bad.conf:1: expected 'key = value'"
	bad_profile 'data = \n' "bad.conf:1: bad value for key 'data': '': the size is empty"
	bad_profile 'inherit = nosuch\n' "bad.conf:1: inherit: no profile named 'nosuch'"
	bad_profile 'inherit = ./bad.conf\n' "inherit loop"
	bad_profile 'as = -1G\n' "negative sizes are not allowed"
	bad_profile 'as = 99999999999T\n' "the size is too large"
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
