#!/usr/bin/env bash
# memrun installed for a shared host (make install-shared-host, memrun(1)
# ELEVATED INSTALL), run by user nobody: only a root-owned system profile
# that the policy's allowed_profiles lists may use CAP_SYS_RESOURCE, the
# same value from a flag or the user's own profile is refused, the job has
# exactly the user's credentials (no capability, an empty bounding set,
# no_new_privs), profile names never lead out of the system directories,
# --report and --cgroup-parent are the user's.  A memrun that is not
# elevated changes nothing of its caller's credentials, and a setuid one
# refuses to run.  The site build (SYSCONFDIR $MEMRUN_BUILD/site/etc) is
# installed with its file capabilities into a DESTDIR; where the bounding
# set of this machine's root lacks a capability, the tests that need it
# say so and skip (in the test VM, where root has every one, they fail).
source "$(dirname "$0")/lib.sh"

SITE=$BUILD_DIR/site
# The site build's compiled-in SYSCONFDIR, as make install-shared-host must
# be given it (any other would rebuild it).
SYSCONF=$(sed -n 's/^#define SYSCONFDIR "\(.*\)"$/\1/p' "$SITE/config.h" 2>/dev/null)
ETC=$SYSCONF/memrun
POLICY=$ETC/policy.conf
# Where nobody may write: its profiles, reports, its $HOME.
PUB=$WORK/pub
# Where only root may write.
ROOT_ONLY=$WORK/root-only
AS_NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups --reset-env)
CAP_SETPCAP=8
CAP_SYS_RESOURCE=24

inst=
elevated=
cgroup_dir=

cleanup_shared_host() {
	[ -n "$SYSCONF" ] && rm -rf "$SYSCONF"
	[ -n "$inst" ] && rm -rf "$inst"
	[ -n "$cgroup_dir" ] && rmdir "$cgroup_dir" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup_shared_host EXIT

chmod 0711 "$WORK"
mkdir -p "$PUB" "$ROOT_ONLY"
chmod 1777 "$PUB"
chmod 0755 "$ROOT_ONLY"

expect_line() {
	grep -qxF -- "$1" "$out" || { fail "stdout lacks the line '$1'"; show_output; }
}

expect_no_out() {
	! grep -qF -- "$1" "$out" || { fail "stdout has '$1'"; show_output; }
}

expect_no_variable() {
	! grep -q "^$1=" "$out" || { fail "the job's environment has $1"; show_output; }
}

# Whether this process's capability bounding set has capability $1.
bounding_set_has() {
	local bnd
	bnd=$(awk '/^CapBnd:/ {print $2}' /proc/self/status)
	(((0x$bnd >> $1) & 1))
}

# A capability the elevated cases need and this machine's root lacks in
# its bounding set: a skip, said loudly; in the test VM, a failure.
needs_in_bounding_set() {
	local cap=$1 name=$2
	bounding_set_has "$cap" && return 0
	local why="the capability bounding set of this machine's root lacks $name (CapBnd $(awk '/^CapBnd:/ {print $2}' /proc/self/status), bit $cap clear), and a file capability is granted only within it: the installed memrun cannot get $name here"
	if [ "${MEMRUN_IN_VM:-0}" = 1 ]; then
		fail "$why, in the test VM where root should hold every capability"
	else
		skip "$why"
	fi
	return 1
}

needs_root_and_setpriv() {
	if [ "$(id -u)" -ne 0 ]; then
		skip "the test runs as root: it installs memrun with file capabilities and runs it as nobody"
		return 1
	fi
	command -v setpriv >/dev/null || { skip "setpriv (util-linux) is not installed"; return 1; }
	"${AS_NOBODY[@]}" test -x "$MEMRUN" ||
		{ skip "nobody (uid 65534) cannot reach $MEMRUN here"; return 1; }
}

# A directory for binaries that must keep their set-ID bits and file
# capabilities: not on a nosuid mount (the test VM's /tmp is one).
exec_dir() {
	local base d
	for base in /var/tmp "$BUILD_DIR"; do
		[ -d "$base" ] || continue
		findmnt -n -o OPTIONS -T "$base" 2>/dev/null | tr , '\n' | grep -qx nosuid && continue
		d=$(mktemp -d "$base/memrun-shared-host.XXXXXX") || continue
		chmod 0755 "$d"
		echo "$d"
		return 0
	done
	return 1
}

# make TARGET of the site build, with its SYSCONFDIR, into $inst.  The site
# build is made (make check makes it); -o all: a snapshot's sources (the
# test VM's) may be newer than it, and nothing is rebuilt here.
site_make() {
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -C "$TOP" --no-print-directory -o all \
		BUILD="${MEMRUN_BUILD:-build}/site" SYSCONFDIR="$SYSCONF" DESTDIR="$inst" "$@"
}

# make install-shared-host of the site build into a DESTDIR, once.
install_elevated() {
	local log
	[ -n "$elevated" ] && return 0
	needs_root_and_setpriv || return 1
	[ -x "$SITE/memrun" ] && [ -n "$SYSCONF" ] ||
		{ fail "$SITE/memrun is missing: make check builds it (site-build)"; return 1; }
	command -v setcap >/dev/null ||
		{ skip "setcap is not installed (libcap2-bin: scripts/install-deps.sh shared-host)"; return 1; }
	command -v make >/dev/null || { skip "make is not installed"; return 1; }
	inst=$(exec_dir) || { skip "no directory here that is not mounted nosuid, where file capabilities work"; return 1; }
	log=$WORK/install.log
	# PREFIX stays the site build's: a DESTDIR rebuilds nothing.
	if ! site_make install-shared-host >"$log" 2>&1; then
		fail "make install-shared-host failed: $(tail -5 "$log")"
		return 1
	fi
	elevated=$(find "$inst" -path '*/bin/memrun' -type f | head -1)
	[ -x "$elevated" ] || { fail "make install-shared-host installed no bin/memrun in $inst"; return 1; }
	mkdir -p "$ETC/profiles"
	chmod 0755 "$SITE" "$SYSCONF" "$ETC" "$ETC/profiles"
	return 0
}

# A profile of nobody's own.
write_own_profile() {
	local file=$1
	shift
	mkdir -p "$(dirname "$file")"
	printf '%s\n' "$@" >"$file"
	chown -R nobody "$(dirname "$file")"
}

# run_elevated [ENV=VALUE]... -- ARGS...: the installed memrun as nobody,
# in $PUB (or $RUN_IN), with only the environment named.
run_elevated() {
	local env=(HOME="$PUB" PATH="$PATH")
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		env+=("$1")
		shift
	done
	shift
	{ (cd "${RUN_IN:-$PUB}" && "${AS_NOBODY[@]}" env "${env[@]}" "$elevated" "$@") \
		>"$out" 2>"$err" </dev/null; } 2>/dev/null
	status=$?
}

# The usual setup: nobody may use the system profile db, which lowers
# oom_score_adj to -500 and raises the hard RLIMIT_AS to 2 GiB.
setup_db() {
	write_system_profile db 'description = the database' 'oom_score_adj = -500'
	write_system_profile bigas 'as = 2G'
	write_system_profile other 'oom_score_adj = -400'
	write_policy '# test policy' '[user nobody]' 'allowed_profiles = db bigas'
}

# ---- what make install-shared-host installs ----

test_install_shared_host_gives_file_capabilities_and_an_example_policy() {
	install_elevated || return
	local caps
	caps=$(getcap "$elevated")
	case "$caps" in
	*cap_setpcap,cap_sys_resource=p*) ;;
	*) fail "getcap $elevated: '$caps', expected cap_setpcap,cap_sys_resource=p" ;;
	esac
	expect "the installed memrun is not setuid" test ! -u "$elevated"
	local example=$inst$SYSCONF/memrun/policy.conf
	expect "an example policy is installed" cmp -s "$TOP/examples/policy.conf" "$example"
	expect "the example policy is 0644" [ "$(stat -c %a "$example")" = 644 ]
	expect "the system profile directory is made" test -d "$inst$SYSCONF/memrun/profiles"
	# An administrator's policy is kept; uninstall leaves it.
	echo '# the administrator' >"$example"
	site_make install-shared-host >"$WORK/again.log" 2>&1 ||
		fail "a second install-shared-host failed: $(tail -5 "$WORK/again.log")"
	expect "a second install keeps the administrator's policy" grep -qx '# the administrator' "$example"
	cp -p "$elevated" "$WORK/memrun.installed"
	site_make uninstall >"$WORK/uninstall.log" 2>&1 ||
		fail "make uninstall failed: $(tail -5 "$WORK/uninstall.log")"
	expect "uninstall removes the binary" test ! -e "$elevated"
	expect "uninstall leaves the policy" test -f "$example"
	# The tests below run the installed binary: put it back as it was.
	install -D -m 0755 "$WORK/memrun.installed" "$elevated"
	setcap cap_setpcap,cap_sys_resource=p "$elevated"
	# The example, as the policy, binds nobody to anything.
	mkdir -p "$ETC"
	cp "$TOP/examples/policy.conf" "$POLICY"
	chmod 0644 "$POLICY"
	run_elevated -- -q -- true
	expect_status 0
}

# ---- elevated: what needs privilege, and from where ----

test_an_allowed_system_profile_lowers_oom_score_adj_and_raises_a_hard_limit() {
	install_elevated || return
	needs_in_bounding_set $CAP_SETPCAP cap_setpcap || return
	needs_in_bounding_set $CAP_SYS_RESOURCE cap_sys_resource || return
	setup_db
	run_elevated -- -q --profile db -- cat /proc/self/oom_score_adj
	expect_status 0
	expect_line "-500"
	# Above nobody's hard RLIMIT_AS of 1 GiB: 2 GiB, in KiB.
	{ (cd "$PUB" && prlimit --as=1073741824:1073741824 "${AS_NOBODY[@]}" \
		env HOME="$PUB" PATH="$PATH" "$elevated" -q -p bigas -- sh -c 'ulimit -Hv') \
		>"$out" 2>"$err" </dev/null; } 2>/dev/null
	status=$?
	expect_status 0
	expect_line "2097152"
	# Even with CAP_SYS_RESOURCE used, the job ends with none.
	run_elevated -- -q --profile db -- grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs):' /proc/self/status
	expect_status 0
	expect_line "CapEff:	0000000000000000"
	expect_line "CapPrm:	0000000000000000"
	expect_line "NoNewPrivs:	1"
}

test_without_cap_sys_resource_an_allowed_profile_is_refused_saying_why() {
	install_elevated || return
	needs_in_bounding_set $CAP_SETPCAP cap_setpcap || return
	if bounding_set_has $CAP_SYS_RESOURCE; then
		skip "this machine's root has cap_sys_resource in its bounding set (the test before applies the profile for real)"
		return
	fi
	setup_db
	run_elevated -- -q --profile db -- true
	expect_status 125
	expect_err "oom_score_adj -500 (profile db at $ETC/profiles/db.conf:2)"
	expect_err "memrun did not get it from its file capabilities"
	expect_err "CapBnd"
}

test_the_same_value_from_a_flag_or_the_user_s_own_profile_is_refused() {
	install_elevated || return
	needs_in_bounding_set $CAP_SETPCAP cap_setpcap || return
	setup_db
	run_elevated -- -q --oom-score-adj -500 --report "$PUB/flag.json" -- true
	expect_status 125
	expect_err "oom_score_adj -500 (flag --oom-score-adj) is below the oom_score_adj you could set yourself, which needs CAP_SYS_RESOURCE"
	expect_err "not for a flag"
	expect_err "allowed_profiles lists for you in $POLICY"
	expect_json 'r["outcome"] == "failed-to-start" and "needs privilege" in r["error"]' "$PUB/flag.json"
	# The user's own profile, though named db.
	write_own_profile "$PUB/own/db.conf" 'oom_score_adj = -500'
	run_elevated -- -q --profile "$PUB/own/db.conf" -- true
	expect_status 125
	expect_err "(profile $PUB/own/db.conf at $PUB/own/db.conf:1) is below"
	expect_err "not for a profile of your own"
	# The system profile itself, named by its path: the caller's file.
	run_elevated -- -q --profile "$ETC/profiles/db.conf" -- true
	expect_status 125
	expect_err "not for a profile of your own"
	# A system profile the policy does not list for nobody.
	run_elevated -- -q --profile other -- true
	expect_status 125
	expect_err "oom_score_adj -400 (profile other at $ETC/profiles/other.conf:1)"
	expect_err "ask the administrator to list 'other' in allowed_profiles for you in $POLICY"
	# Above the hard limit from a flag (an AddressSanitizer build cannot
	# start under an RLIMIT_AS: the plain build runs this part).
	if [ "$SANITIZED" != 1 ]; then
		{ (cd "$PUB" && prlimit --as=1073741824:1073741824 "${AS_NOBODY[@]}" \
			env HOME="$PUB" PATH="$PATH" "$elevated" -q --as 2G -- true) \
			>"$out" 2>"$err" </dev/null; } 2>/dev/null
		status=$?
		expect_status 125
		expect_err "as 2 GiB (flag --as) is above your hard RLIMIT_AS of 1 GiB"
	fi
	# What nobody could do itself is done: a higher oom_score_adj, a
	# lower limit.
	run_elevated -- -q --oom-score-adj 300 --as 1G -- cat /proc/self/oom_score_adj
	expect_status 0
	expect_line "300"
}

# Installed with cap_sys_resource alone, memrun could not keep the job
# from regaining it: the job never starts.
test_without_cap_setpcap_the_job_does_not_start() {
	install_elevated || return
	needs_in_bounding_set $CAP_SYS_RESOURCE cap_sys_resource || return
	local partial=${elevated%/*}/memrun-sys-resource-only
	cp "$elevated" "$partial"
	setcap cap_sys_resource=p "$partial"
	write_policy '[default]'
	{ (cd "$PUB" && "${AS_NOBODY[@]}" env HOME="$PUB" PATH="$PATH" "$partial" -q \
		--report "$PUB/partial.json" -- touch "$PUB/ran") >"$out" 2>"$err" </dev/null; } 2>/dev/null
	status=$?
	rm -f "$partial"
	expect_status 125
	expect_err "cannot give the job exactly its caller's credentials: putting CAP_SETPCAP in effect to lower its capability bounding set failed"
	expect_err "install it with 'make install-shared-host'"
	expect "the command did not run" test ! -e "$PUB/ran"
	expect_json 'r["outcome"] == "failed-to-start"' "$PUB/partial.json"
}

test_without_a_policy_no_profile_may_use_the_privilege() {
	install_elevated || return
	needs_in_bounding_set $CAP_SETPCAP cap_setpcap || return
	setup_db
	rm -f "$POLICY"
	run_elevated -- -q --profile db -- true
	expect_status 125
	expect_err "there is no policy ($POLICY), so no profile may use it"
}

# ---- elevated: the job's credentials ----

test_the_job_has_exactly_its_caller_s_credentials() {
	install_elevated || return
	needs_in_bounding_set $CAP_SETPCAP cap_setpcap || return
	write_policy '[default]'
	run_elevated -- -q -- grep -E '^(Uid|Gid|Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs):' /proc/self/status
	expect_status 0
	expect_line "Uid:	65534	65534	65534	65534"
	expect_line "CapInh:	0000000000000000"
	expect_line "CapPrm:	0000000000000000"
	expect_line "CapEff:	0000000000000000"
	expect_line "CapBnd:	0000000000000000"
	expect_line "CapAmb:	0000000000000000"
	expect_line "NoNewPrivs:	1"
	# The securebits, each locked: noroot, no_setuid_fixup,
	# keep_caps_locked, no_cap_ambient_raise.
	if command -v capsh >/dev/null; then
		run_elevated -- -q -- capsh --print
		expect_status 0
		grep -q '^Securebits: 0357/0xef/' "$out" ||
			{ fail "the job's securebits are not 0xef"; show_output; }
	fi
	# memrun itself holds nothing once the job runs.
	run_elevated -- -q -- sh -c 'grep -E "^Cap(Prm|Eff):" /proc/$PPID/status'
	expect_status 0
	expect_line "CapPrm:	0000000000000000"
	expect_line "CapEff:	0000000000000000"
	# --dry-run says so.
	run_elevated -- --dry-run -- true
	expect_status 0
	expect_out "privilege: memrun holds cap_setpcap"
	expect_out "the job: your credentials, no capability in any set, an empty bounding set"
}

test_the_environment_is_a_secure_program_s() {
	install_elevated || return
	needs_in_bounding_set $CAP_SETPCAP cap_setpcap || return
	write_policy '[default]'
	run_elevated TMPDIR=/elsewhere LD_LIBRARY_PATH=/elsewhere MEMRUN_TEST_KEPT=yes -- -q -- env
	expect_status 0
	expect_line "MEMRUN_TEST_KEPT=yes"
	expect_line "HOME=$PUB"
	expect_no_variable TMPDIR
	expect_no_variable LD_LIBRARY_PATH
}

# ---- elevated: what the caller names ----

test_profile_names_never_lead_out_of_the_system_directories() {
	install_elevated || return
	needs_in_bounding_set $CAP_SETPCAP cap_setpcap || return
	setup_db
	# $MEMRUN_PROFILE_PATH and ~/.config are not searched.
	write_own_profile "$PUB/path/mine.conf" 'oom_score_adj = -500'
	write_own_profile "$PUB/.config/memrun/profiles/home.conf" 'oom_score_adj = -500'
	run_elevated MEMRUN_PROFILE_PATH="$PUB/path" -- -q --profile mine -- true
	expect_status 125
	expect_err "no profile named 'mine'"
	expect_err "memrun is installed with privilege: it looks up a profile name only in $ETC/profiles"
	expect_no_err "  $PUB/path"
	run_elevated -- -q --profile home -- true
	expect_status 125
	expect_err "no profile named 'home'"
	# A link in a system directory to a file outside.
	write_own_profile "$PUB/out/escape.conf" 'oom_score_adj = 100'
	ln -sfn "$PUB/out/escape.conf" "$ETC/profiles/escape.conf"
	write_policy '[user nobody]' 'allowed_profiles = *'
	run_elevated -- -q --profile escape -- true
	expect_status 125
	expect_err "profile 'escape': $ETC/profiles/escape.conf leads out of $ETC/profiles"
	run_elevated -- profiles list
	expect_status 0
	grep -q escape "$out" && { fail "profiles list shows the link out"; show_output; }
	rm -f "$ETC/profiles/escape.conf"
	# No name holds a '/' or starts with a dot; '../x' is a path, the
	# caller's own file.
	mkdir -p "$PUB/sub"
	write_own_profile "$PUB/evil.conf" 'oom_score_adj = -500'
	RUN_IN=$PUB/sub run_elevated -- -q --profile ../evil.conf -- true
	expect_status 125
	expect_err "oom_score_adj -500 (profile ../evil.conf at ../evil.conf:1) is below"
	expect_err "not for a profile of your own"
	run_elevated -- -q --profile .. -- true
	expect_status 125
	expect_err "'..' is not a profile name"
	# What a system profile inherits by a path is no system profile's.
	write_system_profile climb "inherit = $(realpath --relative-to="$ETC/profiles" "$PUB/evil.conf")"
	run_elevated -- -q --profile climb -- true
	expect_status 125
	expect_err "oom_score_adj -500 (profile ../"
	expect_err "not for a profile of your own"
}

test_a_file_the_caller_cannot_read_is_neither_read_nor_quoted() {
	install_elevated || return
	needs_in_bounding_set $CAP_SETPCAP cap_setpcap || return
	write_policy '[default]'
	printf 'THE-SECRET-LINE\n' >"$ROOT_ONLY/secret.conf"
	chmod 0600 "$ROOT_ONLY/secret.conf"
	run_elevated -- -q --profile "$ROOT_ONLY/secret.conf" -- true
	expect_status 125
	expect_err "cannot read profile '$ROOT_ONLY/secret.conf': Permission denied"
	expect_no_err "THE-SECRET-LINE"
	# A system profile nobody cannot read is not read either.
	printf 'oom_score_adj = -500\nTHE-SECRET-LINE\n' >"$ETC/profiles/private.conf"
	chmod 0600 "$ETC/profiles/private.conf"
	run_elevated -- -q --profile private -- true
	expect_status 125
	expect_err "Permission denied"
	expect_no_err "THE-SECRET-LINE"
	run_elevated -- profiles show private
	expect_status 125
	expect_no_err "THE-SECRET-LINE"
	expect_no_out "THE-SECRET-LINE"
}

test_report_and_cgroup_parent_are_the_caller_s() {
	install_elevated || return
	needs_in_bounding_set $CAP_SETPCAP cap_setpcap || return
	write_policy '[default]'
	run_elevated -- -q --report "$ROOT_ONLY/r.json" -- true
	expect_status 125
	expect_err "cannot write the report to '$ROOT_ONLY/r.json'"
	expect "no report where nobody may not write" test ! -e "$ROOT_ONLY/r.json"
	run_elevated -- -q --report "$PUB/r.json" -- true
	expect_status 0
	expect "a report where nobody may write, owned by nobody" \
		[ "$(stat -c %U "$PUB/r.json" 2>/dev/null)" = nobody ]
	# A cgroup below memrun's own that root made and nobody may not write.
	probe_job_cgroup
	needs_cgroup || return
	cgroup_dir=$job_parent/memrun-shared-host-$$
	mkdir "$cgroup_dir" || { fail "cannot make $cgroup_dir"; return; }
	run_elevated -- -q --cgroup-parent "${cgroup_dir##*/}" -- true
	expect_status 125
	expect_err "you (user ID 65534) may not write"
	expect_err "only where its caller could"
}

# ---- not elevated: nothing changes ----

test_a_setuid_memrun_refuses_to_run() {
	needs_root_and_setpriv || return
	local d
	d=$(exec_dir) || { skip "no directory here that is not mounted nosuid"; return; }
	cp "$MEMRUN_PROGRAM" "$d/memrun"
	chown root:root "$d/memrun"
	chmod 4755 "$d/memrun"
	# A sanitized build's leak check cannot run in a set-ID process (it
	# traces itself), so it is off here; memrun's own answer is the test.
	{ "${AS_NOBODY[@]}" env PATH="$PATH" ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0" "$d/memrun" -q -- true >"$out" 2>"$err" </dev/null; } 2>/dev/null
	status=$?
	expect_status 125
	expect_err "refusing to run set-user-ID: real user ID 65534, effective 0"
	expect_err "make install-shared-host"
	# Set-group-ID: LeakSanitizer ends a sanitized build there with a
	# fatal error of its own whatever ASAN_OPTIONS say; the plain build
	# runs this half.
	if [ "$SANITIZED" != 1 ]; then
		chmod 2755 "$d/memrun"
		{ "${AS_NOBODY[@]}" env PATH="$PATH" "$d/memrun" -q -- true >"$out" 2>"$err" </dev/null; } 2>/dev/null
		status=$?
		expect_status 125
		expect_err "refusing to run set-group-ID"
	fi
	rm -rf "$d"
}

test_root_s_job_keeps_its_capabilities() {
	[ "$(id -u)" -eq 0 ] || { skip "the test runs as root"; return; }
	local mine
	mine=$(grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs):' /proc/self/status)
	run_memrun -q -- grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs):' /proc/self/status
	expect_status 0
	[ "$(cat "$out")" = "$mine" ] ||
		{ fail "root's job's capabilities differ from root's: $mine"; show_output; }
	run_memrun --dry-run -- true
	expect_no_out "privilege:"
}

test_a_plain_caller_keeps_what_it_had() {
	needs_root_and_setpriv || return
	local caller
	# nobody with an ambient capability of its own, which its job keeps.
	local as_nobody_with_cap=(setpriv --reuid=nobody --regid=nogroup --clear-groups
		--inh-caps=+net_bind_service --ambient-caps=+net_bind_service)
	caller=$("${as_nobody_with_cap[@]}" grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs):' /proc/self/status)
	{ "${as_nobody_with_cap[@]}" "$MEMRUN" -q -- \
		grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs):' /proc/self/status \
		>"$out" 2>"$err" </dev/null; } 2>/dev/null
	status=$?
	expect_status 0
	[ "$(cat "$out")" = "$caller" ] ||
		{ fail "the job's credentials differ from its caller's: $caller"; show_output; }
	expect_line "NoNewPrivs:	0"
	expect_line "CapAmb:	0000000000000400"
	{ "${AS_NOBODY[@]}" env PATH="$PATH" "$MEMRUN" --dry-run -- true >"$out" 2>"$err" </dev/null; } 2>/dev/null
	status=$?
	expect_status 0
	expect_no_out "privilege:"
}

run_tests
