#!/usr/bin/env bash
# Messages that leave no one stuck: help where it is asked for, and a
# failure that needs CAP_SYS_RESOURCE says what is really missing.
source "$(dirname "$0")/lib.sh"

# Run memrun without CAP_SYS_RESOURCE, whatever the test runs as.
without_sys_resource() {
	setpriv --inh-caps=-sys_resource --bounding-set=-sys_resource -- "$@"
}

# run_memrun with a command in front (setpriv, prlimit, unshare).
run_wrapped() {
	"$@" >"$out" 2>"$err" </dev/null
	status=$?
}

test_profiles_help_is_printed_on_stdout() {
	local args
	for args in "--help" "-h" "list --help" "show --help" "show -h"; do
		# shellcheck disable=SC2086
		run_memrun profiles $args
		expect_status 0
		expect_out "Usage: memrun profiles [list]"
		expect_out "memrun profiles show NAME|PATH"
		expect_out "MEMRUN_PROFILE_PATH"
		[ -s "$err" ] && fail "profiles $args printed on stderr: $(cat "$err")"
	done
	run_memrun profiles --bogus
	expect_status 125
	expect_err "unknown 'profiles' command '--bogus'"
	expect_err "memrun profiles --help"
}

test_doctor_help_is_printed_on_stdout() {
	local arg
	for arg in --help -h; do
		run_memrun doctor "$arg"
		expect_status 0
		expect_out "Usage: memrun doctor"
		[ -s "$err" ] && fail "doctor $arg printed on stderr: $(cat "$err")"
	done
}

# The remedy memrun gives as root without the capability, the one doctor
# gives too.
root_remedy="memrun runs as root, but without it (a container or a restricted service drops it): grant it with docker run --cap-add=SYS_RESOURCE, or CAP_SYS_RESOURCE in the CapabilityBoundingSet= of its systemd unit"

# Root without CAP_SYS_RESOURCE (a default container): "sudo" would change
# nothing; say what is missing and how to grant it.
test_root_without_the_capability_is_told_what_is_missing() {
	if [ "$(id -u)" -ne 0 ]; then
		skip "not run as root: the hint for root without CAP_SYS_RESOURCE needs root"
		return
	fi
	run_wrapped without_sys_resource "$MEMRUN" --oom-score-adj -100 --report "$report" \
		-- touch "$WORK/ran"
	expect_status 125
	expect_err "cannot set oom_score_adj to -100 (from flag --oom-score-adj): lowering it below"
	expect_err "$root_remedy; or use a value of"
	expect_no_err "sudo"
	[ -e "$WORK/ran" ] && fail "the job ran"
	expect_json "r['outcome'] == 'failed-to-start'"

	# memrun doctor says the same.
	run_wrapped without_sys_resource "$MEMRUN" doctor
	expect_status 0
	expect_out "$root_remedy"
}

test_root_without_the_capability_raising_a_hard_limit() {
	if [ "$(id -u)" -ne 0 ]; then
		skip "not run as root: the hint for root without CAP_SYS_RESOURCE needs root"
		return
	fi
	needs_unsanitized_memrun || return
	run_wrapped without_sys_resource prlimit --as=1073741824:1073741824 \
		"$MEMRUN" --as 2G -- touch "$WORK/ran"
	expect_status 125
	expect_err "cannot set RLIMIT_AS to 2 GiB (from flag --as): the hard limit memrun inherited is 1 GiB"
	expect_err "use a value of at most 1 GiB"
	expect_err "$root_remedy"
	expect_no_err "sudo"
	[ -e "$WORK/ran" ] && fail "the job ran"
}

# Not root: running as root is the remedy.
test_a_user_is_told_to_run_as_root() {
	if [ "$(id -u)" -ne 0 ]; then
		run_memrun --oom-score-adj -100 -- true
	elif ! setpriv --reuid=65534 --regid=65534 --clear-groups -- test -x "$MEMRUN"; then
		skip "nobody (uid 65534) cannot run $MEMRUN here, and the test needs a non-root user"
		return
	else
		run_wrapped setpriv --reuid=65534 --regid=65534 --clear-groups -- \
			"$MEMRUN" --oom-score-adj -100 -- true
	fi
	expect_status 125
	expect_err "needs CAP_SYS_RESOURCE, which memrun does not have"
	expect_err "run memrun as root (sudo memrun ...); or use a value of 0 or more"
	expect_no_err "docker"
}

# Root of a user namespace (a rootless container) holds CAP_SYS_RESOURCE
# there, which the kernel does not count for oom_score_adj or rlimits.
test_root_of_a_user_namespace_is_told_it_does_not_count() {
	if ! unshare --user --map-root-user true 2>/dev/null; then
		skip "cannot make a user namespace here (unshare --user --map-root-user fails)"
		return
	fi
	run_wrapped unshare --user --map-root-user "$MEMRUN" --oom-score-adj -100 -- touch "$WORK/ran"
	expect_status 125
	expect_err "cannot set oom_score_adj to -100"
	expect_err "run memrun as root outside the user namespace it runs in"
	expect_no_err "sudo"
	[ -e "$WORK/ran" ] && fail "the job ran"
}

run_tests
