#!/usr/bin/env bash
# The man pages and the shell completions follow the binary: every option
# --help prints and every profile key memrun knows is documented and
# completed, the pages are lint-clean, and the completions really complete.
source "$(dirname "$0")/lib.sh"

man1=$TOP/man/memrun.1
man5=$TOP/man/memrun.profile.5
policy5=$TOP/man/memrun.policy.5
bash_completion=$TOP/completions/memrun.bash
zsh_completion=$TOP/completions/_memrun
fish_completion=$TOP/completions/memrun.fish
bindir=$(dirname "$MEMRUN")

# The long options --help prints, one a line.
help_long_options() {
	"$MEMRUN" --help | grep -oE '(^|[[:space:],])--[a-z][a-z0-9-]*' |
		sed 's/^[[:space:],]*//' | sort -u
}

# The short options --help prints ("  -p, --profile ..."), one a line.
help_short_options() {
	"$MEMRUN" --help | grep -oE '^ +-[a-zA-Z],' | tr -d ' ,' | sort -u
}

# The long options 'memrun doctor --help' prints, one a line.
doctor_long_options() {
	"$MEMRUN" doctor --help | grep -oE '(^|[[:space:],])--[a-z][a-z0-9-]*' |
		sed 's/^[[:space:],]*//' | sort -u
}

# The --malloc keys, as memrun lists them when given an unknown one.
malloc_keys() {
	"$MEMRUN" --dry-run --malloc no_such_key=1 -- true 2>&1 |
		sed -n 's/.*KEY is one of: //p' | tr ',' '\n' | tr -d ' ' | grep .
}

# Every profile key: as memrun lists them for an unknown key, and as the
# settings table spells them.
profile_keys() {
	local conf=$WORK/unknown-key.conf
	printf 'no_such_key = 1\n' >"$conf"
	{
		"$MEMRUN" profiles show "$conf" 2>&1 >/dev/null |
			sed -n 's/.*known keys: //p' | tr ',' '\n' | tr -d ' '
		grep -oE '^[[:space:]]*\[SETTING_[A-Z0-9_]+\] = \{ "[^"]+"' "$TOP/src/settings.c" |
			sed 's/.*"\(.*\)"/\1/'
	} | grep . | sort -u
}

# A roff source with \- and font escapes removed, so options read as typed.
deroff() {
	sed 's/\\-/-/g; s/\\f[BIRP]//g; s/\\%//g; s/\\~/ /g; s/\\&//g' "$1"
}

# The lines that head a .TP/.TQ item in section $2 of page $1.
item_heads() {
	deroff "$1" | awk -v section=".SH $2" '
		/^\.SH / { in_section = ($0 == section) }
		in_section && (prev == ".TP" || prev == ".TQ") { print }
		{ prev = $0 }'
}

# has_word FILE WORD: WORD occurs in FILE, not as part of a longer name.
has_word() {
	grep -qE -- "(^|[^a-zA-Z0-9_.-])${2//./\\.}([^a-zA-Z0-9_-]|\$)" "$1"
}

test_every_option_of_help_is_in_the_man_page_and_completions() {
	local opts shorts opt heads=$WORK/option-items
	opts=$(help_long_options)
	shorts=$(help_short_options)
	[ "$(wc -w <<<"$opts")" -ge 10 ] || { fail "too few long options in --help: $opts"; return; }
	[ -n "$shorts" ] || { fail "no short options found in --help"; return; }
	item_heads "$man1" OPTIONS >"$heads"
	for opt in $opts $shorts; do
		has_word "$heads" "$opt" || fail "memrun.1 OPTIONS has no item for $opt"
		has_word "$bash_completion" "$opt" || fail "memrun.bash lacks $opt"
		has_word "$zsh_completion" "$opt" || fail "_memrun lacks $opt"
	done
	for opt in $opts; do
		grep -qE -- "-l ${opt#--}( |\$)" "$fish_completion" || fail "memrun.fish lacks -l ${opt#--}"
	done
	for opt in $shorts; do
		grep -qE -- "-s ${opt#-}( |\$)" "$fish_completion" || fail "memrun.fish lacks -s ${opt#-}"
	done
}

test_every_doctor_option_is_in_the_man_page_and_completions() {
	local opts opt heads=$WORK/doctor-items
	opts=$(doctor_long_options)
	grep -qx -- --json <<<"$opts" || { fail "memrun doctor --help lacks --json: $opts"; return; }
	item_heads "$man1" DOCTOR >"$heads"
	for opt in $opts; do
		has_word "$heads" "$opt" || fail "memrun.1 DOCTOR has no item for $opt"
		has_word "$bash_completion" "$opt" || fail "memrun.bash lacks doctor $opt"
		has_word "$zsh_completion" "$opt" || fail "_memrun lacks doctor $opt"
		grep -qE -- "-l ${opt#--}( |\$)" "$fish_completion" || fail "memrun.fish lacks -l ${opt#--}"
	done
	"$MEMRUN" --help | grep -qF 'memrun doctor [--json]' || fail "--help does not show memrun doctor"
	section_text "$man1" SYNOPSIS | grep -qx '\.B memrun doctor' || fail "memrun.1 SYNOPSIS lacks memrun doctor"
}

test_every_malloc_key_is_documented_and_completed() {
	local keys key file
	keys=$(malloc_keys)
	[ "$(wc -w <<<"$keys")" -ge 8 ] || { fail "too few --malloc keys from memrun: $keys"; return; }
	for key in $keys; do
		has_word "$man1" "$key" || fail "memrun.1 does not mention --malloc $key"
		for file in "$bash_completion" "$zsh_completion" "$fish_completion"; do
			has_word "$file" "$key" || fail "${file##*/} does not complete --malloc $key"
		done
	done
}

# Every policy key, as the policy parser lists them for an unknown key
# and as its table spells them, has an item in memrun.policy.5 KEYS.
test_every_policy_key_is_in_memrun_policy_5() {
	local keys key heads=$WORK/policy-key-items
	keys=$(grep -oE '^[[:space:]]*\[POLICY_[A-Z0-9_]+\] = \{ "[^"]+"' "$TOP/src/policy.c" |
		sed 's/.*"\(.*\)"/\1/')
	for key in max_memory_max max_as max_data min_oom_score_adj allowed_profiles \
		total_memory_max clamp; do
		grep -qxF "$key" <<<"$keys" || { fail "policy key list lacks '$key': $keys"; return; }
	done
	item_heads "$policy5" KEYS >"$heads"
	for key in $keys; do
		grep -qE "^\.(B|BI|BR|IB) \"?${key}\"?( |\$)" "$heads" ||
			fail "memrun.policy.5 KEYS has no item for '$key'"
	done
}

# Each test the README's threat-model table names exists: a table that
# points at a test nobody runs shows nothing.
test_threat_model_table_names_real_tests() {
	local names name n=0
	names=$(sed -n '/^## Threat model/,/^## /p' "$TOP/README.md" | grep '^|' |
		awk -F'|' '{print $4}' | grep -oE '`[a-z0-9_]+`' | tr -d '`' | grep _ | sort -u)
	for name in $names; do
		n=$((n + 1))
		grep -rqE "^test_$name\(\)|cmocka_unit_test\($name\)" "$TOP/tests" ||
			fail "README's threat model names '$name', which no test defines"
	done
	[ "$n" -ge 15 ] || fail "README's threat model names only $n tests"
}

test_every_profile_key_is_in_memrun_profile_5() {
	local keys key heads=$WORK/key-items
	keys=$(profile_keys)
	for key in description inherit as oom_score_adj malloc.arena_max; do
		grep -qxF "$key" <<<"$keys" || { fail "key list from memrun lacks '$key': $keys"; return; }
	done
	item_heads "$man5" KEYS >"$heads"
	for key in $keys; do
		grep -qE "^\.(B|BI|BR|IB) \"?${key//./\\.}\"?( |\$)" "$heads" ||
			fail "memrun.profile.5 KEYS has no item for '$key'"
		if [[ $key == malloc.* ]]; then
			has_word "$man5" "glibc.$key" || fail "memrun.profile.5 does not name glibc.$key"
		fi
	done
}

# The text of section $2 of page $1, deroffed.
section_text() {
	deroff "$1" | awk -v section=".SH $2" '
		/^\.SH / { in_section = ($0 == section); next }
		in_section { print }'
}

# Every field of a report memrun writes, as a dotted path ("oom.kills"): an
# object's members are fields, an empty object or anything else is one.
report_fields() {
	python3 - "$1" <<'PY'
import json, sys
def walk(prefix, value):
    if isinstance(value, dict) and value:
        for key, member in value.items():
            walk(f"{prefix}.{key}" if prefix else key, member)
    else:
        print(prefix)
walk("", json.load(open(sys.argv[1])))
PY
}

test_every_report_field_is_documented() {
	local fields field key keys heads=$WORK/report-items text=$WORK/report-text
	: >"$WORK/empty.conf"
	run_memrun -q -p "$WORK/empty.conf" --report "$report" -- true
	expect_status 0
	fields=$(report_fields "$report") || { fail "cannot read the report"; return; }
	[ "$(wc -w <<<"$fields")" -ge 30 ] || { fail "too few report fields: $fields"; return; }
	item_heads "$man1" REPORT >"$heads"
	section_text "$man1" REPORT >"$text"
	for field in $fields; do
		grep -qE "^\.(B|BR) ${field//./\\.}( |\$)" "$heads" ||
			fail "memrun.1 REPORT has no item for the report field $field"
	done
	# Members of arrays of objects (oom.victims[], profiles[]) and fields a
	# run on this machine may not show: every key the writer names.
	keys=$(grep -oE 'json_[a-z_]+\(&?w, "[a-z_]+"' "$TOP/src/report.c" | sed 's/.*"\(.*\)"/\1/' | sort -u)
	[ "$(wc -w <<<"$keys")" -ge 30 ] || { fail "too few keys in report.c: $keys"; return; }
	for key in $keys; do
		grep -qE -- "(^|[^a-zA-Z0-9_-])${key}([^a-zA-Z0-9_-]|\$)" "$text" ||
			fail "memrun.1 REPORT does not mention the report key $key"
	done
}

# The options --help shows with an optional value ("--oom-group[=no]").
help_optional_value_options() {
	"$MEMRUN" --help | grep -oE -- '--[a-z][a-z0-9-]*\[=' | sed 's/\[=$//' | sort -u
}

test_optional_values_are_documented_and_completed() {
	local opts opt heads=$WORK/optional-items
	opts=$(help_optional_value_options)
	[ "$(wc -w <<<"$opts")" -ge 3 ] || { fail "too few --opt[=...] options in --help: $opts"; return; }
	item_heads "$man1" OPTIONS >"$heads"
	for opt in $opts; do
		grep -qF -- "$opt[=" "$heads" || fail "memrun.1 OPTIONS does not show $opt[=...]"
		grep -qE -- "'${opt}=-\[" "$zsh_completion" || fail "_memrun does not take $opt=VALUE"
		bash_complete "memrun $opt=n"
		expect_reply no
		expect_no_reply yes
		command -v fish >/dev/null || continue
		fish_complete "memrun $opt="
		expect_reply "$opt=yes"
		expect_reply "$opt=no"
		fish_complete "memrun $opt ech"
		expect_reply echo
	done
}

test_the_allocation_probe_is_documented() {
	local name names key keys heads=$WORK/probe-items text=$WORK/probe-text
	section_text "$man1" "ALLOCATION PROBE" >"$text"
	[ -s "$text" ] || { fail "memrun.1 has no ALLOCATION PROBE section"; return; }
	# Every cause and every interposed call, as memrun names them.
	names=$(sed -n 's/.*\[PROBE_\(CAUSE\|FN\)_[A-Z_]*\] = "\([a-z_-]*\)".*/\2/p' "$TOP/src/probe.c" | sort -u)
	[ "$(wc -w <<<"$names")" -ge 15 ] || { fail "too few probe names in probe.c: $names"; return; }
	for name in $names mmap64; do
		has_word "$text" "$name" || fail "memrun.1 ALLOCATION PROBE does not mention $name"
	done
	# Members of alloc_failures.first, which a plain run leaves null.
	keys=$(sed -n '/json_begin_object(w, "first")/,/json_end_object(w)/p' "$TOP/src/report.c" |
		grep -oE 'json_[a-z_]+\(w, "[a-z_]+"' | sed 's/.*"\(.*\)"/\1/' | grep -vx first | sort -u)
	[ "$(wc -w <<<"$keys")" -ge 10 ] || { fail "too few members of first in report.c: $keys"; return; }
	item_heads "$man1" REPORT >"$heads"
	for key in $keys; do
		grep -qE "^\.(B|BR) alloc_failures\.first\.$key( |\$)" "$heads" ||
			fail "memrun.1 REPORT has no item for alloc_failures.first.$key"
	done
	item_heads "$man1" ENVIRONMENT >"$heads"
	for name in LD_PRELOAD MEMRUN_PROBE GLIBC_TUNABLES; do
		grep -qx "\.B $name" "$heads" || fail "memrun.1 ENVIRONMENT has no item for $name"
	done
	section_text "$man1" FILES | grep -qF 'libmemrun-probe.so' || fail "memrun.1 FILES lacks the probe library"
	section_text "$man1" OPTIONS | grep -qF -- '--no-probe' || fail "memrun.1 OPTIONS lacks --no-probe"
}

test_every_shipped_profile_is_described() {
	local conf name n=0 heads=$WORK/profile-items
	item_heads "$man5" "SHIPPED PROFILES" >"$heads"
	for conf in "$TOP"/profiles/*.conf; do
		name=$(basename "$conf" .conf)
		n=$((n + 1))
		grep -qxE "\.B $name" "$heads" || fail "memrun.profile.5 does not describe profile $name"
	done
	[ "$n" -ge 5 ] || fail "only $n shipped profiles found"
}

test_man_pages_are_lint_clean_and_render() {
	local page lint
	command -v mandoc >/dev/null || { skip "mandoc is not installed"; return; }
	for page in "$man1" "$man5" "$policy5"; do
		[ -s "$page" ] || { fail "${page##*/} is missing"; continue; }
		lint=$(mandoc -Tlint "$page" 2>&1) || fail "mandoc -Tlint ${page##*/} failed"
		[ -z "$lint" ] || fail "mandoc -Tlint ${page##*/}: $lint"
		if command -v man >/dev/null; then
			MANWIDTH=80 man -l "$page" >"$out" 2>"$err" </dev/null ||
				fail "man -l ${page##*/} failed"
			expect_out "NAME"
			expect_out "SEE ALSO"
			[ -s "$err" ] && fail "man -l ${page##*/}: $(cat "$err")"
		fi
	done
}

test_completion_files_parse() {
	expect "bash -n memrun.bash" bash -n "$bash_completion"
	if command -v zsh >/dev/null; then
		expect "zsh -n _memrun" zsh -n "$zsh_completion"
	else
		fail "zsh is not installed: _memrun cannot be checked"
	fi
	if command -v fish >/dev/null; then
		expect "fish -n memrun.fish" fish -n "$fish_completion"
	else
		fail "fish is not installed: memrun.fish cannot be checked"
	fi
	head -1 "$zsh_completion" | grep -qx '#compdef memrun' || fail "_memrun does not start with #compdef memrun"
}

# Completes the line $1 (cursor at its end) with memrun.bash in a bare bash:
# COMPREPLY one a line in $out.  Words split at blanks only, as bash does
# for lines without '=' or ':'.
bash_complete() {
	PATH="$bindir:$PATH" bash --norc --noprofile -c '
		source "$1" || exit 1
		complete -p memrun | grep -q -- "-F _memrun memrun" || { echo "not registered" >&2; exit 1; }
		COMP_LINE=$2
		COMP_POINT=${#COMP_LINE}
		read -ra COMP_WORDS <<<"$COMP_LINE"
		[[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMPREPLY=()
		_memrun memrun "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}"
	' bash "$bash_completion" "$1" >"$out" 2>"$err"
	status=$?
	expect_status 0
	[ -s "$err" ] && fail "completing '$1' printed: $(cat "$err")"
}

expect_reply() {
	grep -qxF -- "$1" "$out" || fail "completions lack '$1': $(tr '\n' ' ' <"$out")"
}

expect_no_reply() {
	! grep -qxF -- "$1" "$out" || fail "completions offer '$1': $(tr '\n' ' ' <"$out")"
}

test_bash_completion_works_without_bash_completion_package() {
	local name
	grep -qE '_init_completion|_get_comp_words_by_ref|_filedir' "$bash_completion" &&
		fail "memrun.bash calls bash-completion helpers"

	bash_complete "memrun --me"
	expect_reply --memory-max
	expect_reply --memory-high
	expect_no_reply --profile

	bash_complete "memrun --profile "
	for name in db ci batch strict default; do
		expect_reply "$name"
	done
	expect_no_reply --as

	bash_complete "memrun -q -p s"
	expect_reply strict
	expect_no_reply db

	bash_complete "memrun profiles "
	expect_reply list
	expect_reply show

	bash_complete "memrun profiles show "
	for name in db ci batch strict default; do
		expect_reply "$name"
	done

	bash_complete "memrun --malloc ar"
	expect_reply arena_max=
	expect_no_reply perturb=

	# After the command word, the command's arguments, not memrun's options.
	bash_complete "memrun -p db true --me"
	expect_no_reply --memory-max
	bash_complete "memrun -- --me"
	expect_no_reply --memory-max
	bash_complete "memrun --as 1G ech"
	expect_reply echo

	# A cgroup parent is a directory, never a plain file.
	mkdir -p "$WORK/cg/batch" "$WORK/cg/build"
	: >"$WORK/cg/bfile"
	bash_complete "memrun --cgroup-parent $WORK/cg/b"
	expect_reply "$WORK/cg/batch"
	expect_reply "$WORK/cg/build"
	expect_no_reply "$WORK/cg/bfile"
	bash_complete "memrun --cgroup-parent $WORK/cg ech"
	expect_reply echo
}

fish_complete() {
	PATH="$bindir:$PATH" fish --no-config -c 'source $argv[1]; and complete -C $argv[2]' \
		"$fish_completion" "$1" >"$WORK/fish.out" 2>"$err"
	status=$?
	cut -f1 "$WORK/fish.out" >"$out"
	expect_status 0
	[ -s "$err" ] && fail "fish completing '$1' printed: $(cat "$err")"
}

test_doctor_is_completed() {
	bash_complete "memrun doc"
	expect_reply doctor
	bash_complete "memrun doctor "
	expect_reply --json
	expect_no_reply --memory-max
	expect_no_reply list
	bash_complete "memrun -- doc"
	expect_no_reply doctor
	command -v fish >/dev/null || { fail "fish is not installed"; return; }
	fish_complete "memrun doc"
	expect_reply doctor
	fish_complete "memrun doctor --"
	expect_reply --json
	expect_no_reply --memory-max
	fish_complete "memrun true doc"
	expect_no_reply doctor
}

test_policy_is_completed_and_documented() {
	bash_complete "memrun pol"
	expect_reply policy
	bash_complete "memrun policy "
	expect_reply show
	expect_reply apply
	expect_no_reply --memory-max
	bash_complete "memrun policy show roo"
	expect_reply root
	bash_complete "memrun -- pol"
	expect_no_reply policy
	"$MEMRUN" --help | grep -qF 'memrun policy [show [USER] | apply]' ||
		fail "--help does not show memrun policy"
	section_text "$man1" SYNOPSIS | grep -qx '\.B memrun policy' || fail "memrun.1 SYNOPSIS lacks memrun policy"
	grep -qx '\.SS The policy command' "$man1" || fail "memrun.1 does not describe the policy command"
	command -v fish >/dev/null || { fail "fish is not installed"; return; }
	fish_complete "memrun pol"
	expect_reply policy
	fish_complete "memrun policy "
	expect_reply show
	expect_reply apply
	fish_complete "memrun true pol"
	expect_no_reply policy
}

test_fish_completion_works() {
	local name
	command -v fish >/dev/null || { fail "fish is not installed"; return; }
	fish_complete "memrun --mem"
	expect_reply --memory-max
	expect_reply --memory-high
	fish_complete "memrun --profile "
	for name in db ci batch strict default; do
		expect_reply "$name"
	done
	fish_complete "memrun profiles show "
	expect_reply db
	fish_complete "memrun --malloc ar"
	expect_reply arena_max=
	fish_complete "memrun -p db true --mem"
	expect_no_reply --memory-max

	mkdir -p "$WORK/cg/batch" "$WORK/cg/build"
	: >"$WORK/cg/bfile"
	fish_complete "memrun --cgroup-parent $WORK/cg/b"
	expect_reply "$WORK/cg/batch/"
	expect_reply "$WORK/cg/build/"
	expect_no_reply "$WORK/cg/bfile"
	fish_complete "memrun --cgroup-parent $WORK/cg ech"
	expect_reply echo
}

# The completions run the memrun being completed, not the one PATH finds:
# build/memrun -p <TAB> offers that build's profiles.  PATH here holds a
# memrun that knows only "bogus-profile".
test_completions_run_the_memrun_being_completed() {
	local fake=$WORK/fakebin name word
	mkdir -p "$fake" "$WORK/my dir" "$HOME/bin"
	printf '#!/bin/sh\necho "bogus-profile  -  (/nowhere/bogus-profile.conf)"\n' >"$fake/memrun"
	chmod +x "$fake/memrun"
	ln -sf "$MEMRUN" "$WORK/my dir/memrun"
	ln -sf "$MEMRUN" "$HOME/bin/memrun"

	# bash: COMP_WORDS[0] as typed, quoted or with a ~.
	for word in "$MEMRUN" "$WORK/my\\ dir/memrun" "'$WORK/my dir/memrun'" \
		"~/bin/memrun" "memrun"; do
		PATH="$fake:/usr/bin:/bin" bash --norc --noprofile -c '
			source "$1" || exit 1
			COMP_WORDS=("$2" -p "")
			COMP_CWORD=2
			COMP_LINE="$2 -p "
			COMP_POINT=${#COMP_LINE}
			COMPREPLY=()
			_memrun memrun "" -p
			printf "%s\n" "${COMPREPLY[@]}"
		' bash "$bash_completion" "$word" >"$out" 2>"$err"
		status=$?
		expect_status 0
		[ -s "$err" ] && fail "bash completing '$word -p ' printed: $(cat "$err")"
		if [ "$word" = memrun ]; then
			expect_reply bogus-profile	# the one PATH finds, as typed
			continue
		fi
		for name in db ci batch strict default; do
			expect_reply "$name"
		done
		expect_no_reply bogus-profile
	done

	# zsh: $words[1], with the completion system's helpers stubbed.
	if command -v zsh >/dev/null; then
		for word in "$MEMRUN" "$WORK/my\\ dir/memrun" "~/bin/memrun"; do
			PATH="$fake:/usr/bin:/bin" zsh -f -c '
				zmodload zsh/parameter
				setopt extendedglob
				_call_program() { shift; eval "$*" }
				_describe() { print -rl -- ${(P)4} }
				_arguments() { : }
				source $1 || exit 1
				words=($2 -p "")
				_memrun_profiles | sed "s/:.*//"
			' zsh "$zsh_completion" "$word" >"$out" 2>"$err"
			status=$?
			expect_status 0
			[ -s "$err" ] && fail "zsh completing '$word -p ' printed: $(cat "$err")"
			for name in db ci batch strict default; do
				expect_reply "$name"
			done
			expect_no_reply bogus-profile
		done
	fi

	# fish: the first token of the command line.
	command -v fish >/dev/null || { fail "fish is not installed"; return; }
	for word in "$MEMRUN" "'$WORK/my dir/memrun'" "~/bin/memrun"; do
		PATH="$fake:/usr/bin:/bin" fish --no-config -c 'source $argv[1]; and complete -C $argv[2]' \
			"$fish_completion" "$word -p " >"$WORK/fish.out" 2>"$err"
		status=$?
		cut -f1 "$WORK/fish.out" >"$out"
		expect_status 0
		[ -s "$err" ] && fail "fish completing '$word -p ' printed: $(cat "$err")"
		for name in db ci batch strict default; do
			expect_reply "$name"
		done
		expect_no_reply bogus-profile
	done
}

run_tests
