#!/usr/bin/env bash
# The administrator's policy (memrun.policy(5)) for a plain caller, user
# nobody: caps refused with the file, line and key, lowered with clamp =
# yes, filling what nobody asked, in force in a real cgroup; allowed system
# profiles; an unsafe or broken policy file refused; root not bound.  Run
# with the site build, whose SYSCONFDIR is $MEMRUN_BUILD/site/etc.
source "$(dirname "$0")/lib.sh"

SITE=$BUILD_DIR/site
SITE_MEMRUN=$(memrun_in "$SITE")
ETC=$SITE/etc/memrun
POLICY=$ETC/policy.conf
# Where nobody may write: its reports.
PUB=$WORK/pub

cleanup_policy() {
	rm -rf "$SITE/etc"
	[ -n "${deleg:-}" ] && rmdir "$deleg/login" "$deleg" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup_policy EXIT

mkdir -p "$ETC/profiles" "$PUB"
chmod 0755 "$SITE" "$SITE/etc" "$ETC" "$ETC/profiles"
chmod 0711 "$WORK"
chmod 1777 "$PUB"

# run_as_nobody ARGS...: the site memrun as nobody; $status, $out, $err.
run_as_nobody() {
	{ setpriv --reuid=nobody --regid=nogroup --clear-groups --reset-env \
		env MEMRUN_PROFILE_PATH="${NOBODY_PROFILE_PATH:-}" HOME="$PUB" PATH="$PATH" \
		"$SITE_MEMRUN" "$@" >"$out" 2>"$err" </dev/null; } 2>/dev/null
	status=$?
}

# A cgroup delegated to nobody, as cgroup-v2.rst's "Delegation" says (v1:
# its directory and tasks), holding a login cgroup the caller is put in:
# on v2 a user may only move processes inside a subtree that holds them.
deleg=
make_delegated_cgroup() {
	local d f
	probe_job_cgroup
	needs_cgroup || return 1
	deleg=$job_parent/memrun-policy-test-$$
	mkdir -p "$deleg" || { fail "cannot make $deleg"; return 1; }
	if [ "$version" = 2 ]; then
		echo +memory >"$deleg/cgroup.subtree_control" ||
			{ fail "cannot enable memory in $deleg"; return 1; }
	fi
	mkdir -p "$deleg/login"
	for d in "$deleg" "$deleg/login"; do
		for f in "$d" "$d"/cgroup.procs "$d"/cgroup.threads "$d"/cgroup.subtree_control \
			"$d"/tasks; do
			[ -e "$f" ] && chown nobody "$f"
		done
	done
	return 0
}

# run_as_nobody_in_cgroup ARGS...: as a login manager would start the
# session: inside the delegated cgroup, where memrun makes the job's.
run_as_nobody_in_cgroup() {
	{ sh -c 'echo $$ >"$1/login/cgroup.procs" && shift && exec "$@"' sh "$deleg" \
		setpriv --reuid=nobody --regid=nogroup --clear-groups --reset-env \
		env HOME="$PUB" PATH="$PATH" "$SITE_MEMRUN" "$@" \
		>"$out" 2>"$err" </dev/null; } 2>/dev/null
	status=$?
}

needs_site_build() {
	[ -x "$SITE_MEMRUN" ] || { fail "$SITE_MEMRUN is missing: make check builds it (site-build)"; return 1; }
	command -v setpriv >/dev/null || { skip "setpriv (util-linux) is not installed"; return 1; }
}

test_a_request_beyond_a_cap_is_refused_naming_the_policy_line() {
	needs_site_build || return
	write_policy '# site policy' '[default]' 'max_memory_max = 256M' 'min_oom_score_adj = 0'
	run_as_nobody --memory-max 1G -- true
	expect_status 125
	expect_err "memory_max 1 GiB (flag --memory-max) is more than the administrator's policy allows you"
	expect_err "max_memory_max = 256 MiB in [default] at $POLICY:3"
	expect_err "ask for at most 256 MiB"
	run_as_nobody --oom-score-adj -100 --report "$PUB/r.json" -- true
	expect_status 125
	expect_err "oom_score_adj -100 (flag --oom-score-adj) is lower than"
	expect_err "min_oom_score_adj = 0 in [default] at $POLICY:4"
	expect_json 'r["outcome"] == "failed-to-start" and "policy refuses" in r["error"]' "$PUB/r.json"
}

test_clamp_lowers_and_says_so() {
	needs_site_build || return
	write_policy '[default]' 'max_memory_max = 256M' 'max_as = 2G' '[user nobody]' 'clamp = yes'
	run_as_nobody --dry-run --memory-max 1G --as 8G -- true
	expect_status 0
	expect_out "$POLICY binds you: [default] line 1, [user nobody] line 4"
	expect_out "policy max_memory_max at $POLICY:2"
	expect_out "lowered by the policy (clamp = yes) from 1 GiB, flag --memory-max"
	expect_out "lowered by the policy (clamp = yes) from 8 GiB, flag --as"
	expect_err "warning: memory_max lowered to the policy's max_memory_max = 256 MiB"
}

test_a_cap_nobody_asked_for_is_in_force_in_the_cgroup() {
	needs_site_build || return
	make_delegated_cgroup || return
	write_policy '[default]' 'max_memory_max = 64M' 'max_as = 4G'
	run_as_nobody_in_cgroup --report "$PUB/cap.json" -- "$HELPERS/hog" 200
	expect_status 137
	expect_err "was OOM-killed"
	expect_err "64 MiB reached"
	expect_json 'r["outcome"] == "oom-killed" and r["oom"]["killer"] == "cgroup"' "$PUB/cap.json"
	expect_json 'r["limits"]["memory_max_bytes"] == 64 << 20 and r["limits"]["as_bytes"] == 4 << 30' "$PUB/cap.json"
	expect_json 'r["limits"]["policy"]["settings"]["memory_max"] == {"policy_key": "max_memory_max", "line": 2, "clamped": False, "asked": None}' "$PUB/cap.json"
	# Within the cap, the job runs as asked.
	run_as_nobody_in_cgroup --memory-max 32M -- "$HELPERS/hog" 8
	expect_status 0
}

test_a_tighter_inherited_rlimit_is_kept_under_a_cap() {
	needs_site_build || return
	needs_unsanitized_memrun || return
	write_policy '[default]' 'max_as = 4G' 'max_data = 4G'
	# Hard limits of 1 GiB already: the caps need not (and could not) raise them.
	{ setpriv --reuid=nobody --regid=nogroup --clear-groups --reset-env \
		bash -c 'ulimit -v 1048576 -d 1048576 && exec "$@"' sh \
		"$SITE_MEMRUN" --dry-run -- true >"$out" 2>"$err" </dev/null; } 2>/dev/null
	status=$?
	expect_status 0
	expect_out "as                     not set (inherited: 1 GiB)"
	expect_out "data                   not set (inherited: 1 GiB)"
}

test_best_effort_cannot_run_a_job_past_a_cgroup_cap() {
	needs_site_build || return
	write_policy '[default]' 'max_memory_max = 256M'
	# Nobody may not write memrun's cgroup: without the cap, best effort
	# would run the job unlimited.
	run_as_nobody --best-effort -- true
	expect_err "best_effort (flag --best-effort) is off: the policy's max_memory_max ($POLICY:2) must be in force"
	if [ "$status" -eq 0 ]; then
		fail "the job ran although its capped cgroup limit could not be put in force"
		show_output
	fi
}

test_an_allowed_system_profile_may_go_beyond_the_caps() {
	needs_site_build || return
	write_system_profile big 'description = more for the chosen' 'memory_max = 1G'
	write_policy '[default]' 'max_memory_max = 256M' 'allowed_profiles = big'
	run_as_nobody --dry-run -p big -- true
	expect_status 0
	expect_out "memory_max             1 GiB"
	# A flag may tighten the allowed value, even above the cap.
	run_as_nobody --dry-run -p big --memory-max 512M -- true
	expect_status 0
	expect_out "memory_max             512 MiB"
	run_as_nobody --dry-run -p big --memory-max 2G -- true
	expect_status 125
	# Not listed: the same profile is held to the caps.
	write_policy '[default]' 'max_memory_max = 256M' 'allowed_profiles = other'
	run_as_nobody --dry-run -p big -- true
	expect_status 125
	expect_err "memory_max 1 GiB (profile big ($ETC/profiles/big.conf:2))"
}

test_a_users_own_profile_of_an_allowed_name_is_held_to_the_caps() {
	needs_site_build || return
	write_system_profile big 'memory_max = 1G'
	write_policy '[default]' 'max_memory_max = 256M' 'allowed_profiles = *'
	mkdir -p "$PUB/mine"
	printf 'memory_max = 1G\n' >"$PUB/mine/big.conf"
	chown -R nobody "$PUB/mine"
	NOBODY_PROFILE_PATH=$PUB/mine run_as_nobody --dry-run -p big -- true
	expect_status 125
	expect_err "profile big ($PUB/mine/big.conf:1)"
	run_as_nobody --dry-run -p "$PUB/mine/big.conf" -- true
	expect_status 125
	# A system profile that others could change is not a system profile.
	chmod 0666 "$ETC/profiles/big.conf"
	run_as_nobody --dry-run -p big -- true
	expect_status 125
	chmod 0644 "$ETC/profiles/big.conf"
}

test_an_unsafe_or_broken_policy_file_is_refused() {
	needs_site_build || return
	write_policy '[default]' 'max_memory_max = 256M'
	chmod 0666 "$POLICY"
	run_as_nobody -- true
	expect_status 125
	expect_err "refusing the policy file $POLICY: $(realpath "$POLICY") is writable by users other than root"
	chmod 0644 "$POLICY"
	chown nobody "$POLICY"
	run_as_nobody -- true
	expect_status 125
	expect_err "is not owned by root"
	write_policy '[default]' 'max_memory_max = 256M' 'max_mem = 1G'
	run_as_nobody -- true
	expect_status 125
	expect_err "$POLICY:3: unknown key 'max_mem'"
	write_policy '[default]' 'max_memory_max = 10%'
	run_as_nobody -- true
	expect_status 125
	expect_err "$POLICY:2: bad value for key 'max_memory_max': a cap is a size or max, not a percentage"
	# Readable by root only: every user must be able to read it.
	write_policy '[default]' 'max_memory_max = 256M'
	chmod 0600 "$POLICY"
	run_as_nobody -- true
	expect_status 125
	expect_err "cannot read the policy file $POLICY: permission denied"
}

test_root_is_not_bound() {
	needs_site_build || return
	write_policy '[default]' 'max_memory_max = 256M'
	{ "$SITE_MEMRUN" --dry-run --memory-max 1G -- true >"$out" 2>"$err"; } 2>/dev/null
	status=$?
	expect_status 0
	expect_out "none binds root"
	expect_out "memory_max             1 GiB"
}

# A policy names users and groups, which only a dynamically linked memrun
# looks up as nsswitch.conf says (directory services): where one exists,
# the static memrun hands the run over to memrun-systemd (src/handover.c).
test_with_a_policy_memrun_runs_as_memrun_systemd() {
	[ -x "$SITE/memrun-systemd" ] ||
		{ skip "this build has no memrun-systemd: it links memrun dynamically (STATIC=0), with no hand-over to test"; return; }
	write_policy "[default]" "max_as = 4G"
	run_as_nobody -q --no-probe -- sh -c 'readlink /proc/$PPID/exe; cat /proc/$PPID/comm'
	expect_status 0
	expect_out "$(realpath "$SITE/memrun-systemd")"
	expect "memrun keeps its name: $(sed -n 2p "$out")" test "$(sed -n 2p "$out")" = memrun
	rm -f "$POLICY"
	run_as_nobody -q --no-probe -- sh -c 'readlink /proc/$PPID/exe'
	expect_status 0
	expect_out "$(realpath "$SITE/memrun")"
}

run_tests
