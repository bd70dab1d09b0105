#!/usr/bin/env bash
# Per-user totals on a host without systemd (memrun.policy(5) TOTALS):
# `memrun policy show` and `apply`, the delegated cgroups apply makes at
# the top of the memory hierarchy, two jobs of one user at a total of
# 128M that each allocate 100M (one real OOM kill, named as the user's
# total), another user's job untouched, cgroup v2's containment rule, and
# the totals undone.  Run as root with the site build, whose SYSCONFDIR is
# $MEMRUN_BUILD/site/etc; users nobody and daemon.
source "$(dirname "$0")/lib.sh"

SITE=$BUILD_DIR/site
SITE_MEMRUN=$SITE/memrun
ETC=$SITE/etc/memrun
POLICY=$ETC/policy.conf
# Where the users may write: reports, hold's marks.
PUB=$WORK/pub

# The top of the memory hierarchy, its version and files, as the kernel
# mounts it: v1's memory hierarchy, else the unified one.
TOP=$(awk '$9 == "cgroup" && $NF ~ /(^|,)memory(,|$)/ { print $5; exit }' /proc/self/mountinfo)
if [ -n "$TOP" ]; then
	CG_VERSION=1 LIMIT_FILE=memory.limit_in_bytes
	DELEGATED_FILES="tasks cgroup.procs"
else
	TOP=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
	CG_VERSION=2 LIMIT_FILE=memory.max
	DELEGATED_FILES="cgroup.procs cgroup.threads cgroup.subtree_control"
fi
TOTALS=$TOP/memrun
NOBODY=$(id -u nobody 2>/dev/null)
DAEMON=$(id -u daemon 2>/dev/null)

# Why the whole file cannot run here, or empty.
unrunnable=
made_totals=0

# No total left: the sessions' processes killed, their cgroups removed,
# and apply with no total undoes the rest.
reset_totals() {
	local d
	for d in "$TOTALS"/user-*/session; do
		[ -d "$d" ] || continue
		xargs -r kill -9 <"$d/cgroup.procs" 2>/dev/null
		for _ in $(seq 50); do
			rmdir "$d" 2>/dev/null && break
			sleep 0.1
		done
	done
	write_policy '[default]'
	"$SITE_MEMRUN" policy apply >/dev/null 2>&1
	rmdir "$TOTALS"/user-* "$TOTALS" 2>/dev/null
	[ ! -e "$TOTALS" ] || fail "cannot undo the totals: $(ls "$TOTALS" | grep user-)"
}

cleanup_totals() {
	[ "$made_totals" = 1 ] && reset_totals
	rm -rf "$SITE/etc" "$WORK"
}
trap cleanup_totals EXIT

if [ "$(id -u)" != 0 ]; then
	unrunnable="the tests run memrun policy apply, which only root may, and switch users: run them as root"
elif [ -e /run/systemd/system ]; then
	unrunnable="systemd runs this host, where a total is the MemoryMax of the user's slice: tests/systemd/test_policy_total.sh tests that (make check-vm)"
elif [ -z "$TOP" ]; then
	unrunnable="no memory cgroup hierarchy is mounted here"
elif [ ! -x "$SITE_MEMRUN" ]; then
	unrunnable="$SITE_MEMRUN is missing: make check builds it (site-build)"
elif ! command -v setpriv >/dev/null; then
	unrunnable="setpriv (util-linux) is not installed"
elif [ -z "$NOBODY" ] || [ -z "$DAEMON" ]; then
	unrunnable="the tests need the accounts nobody and daemon"
else
	# One run at a time on a host: the totals live at the top of the
	# hierarchy, the same place for every build tree.
	exec 9>"${TMPDIR:-/tmp}/memrun-test-policy-total.lock"
	flock -w 900 9 || unrunnable="another run of these tests held the lock for 15 minutes"
fi
if [ -z "$unrunnable" ] && [ -e "$TOTALS" ]; then
	unrunnable="$TOTALS already exists: the administrator of this host uses memrun's totals (or a run of these tests was killed: check it holds no job, then rmdir $TOTALS/user-* $TOTALS)"
elif [ -z "$unrunnable" ]; then
	# The kernel decides whether root may make a cgroup at the top here
	# (a container's hierarchy may be read-only).
	if mkdir "$TOP/memrun-test-top-$$" 2>"$WORK/mkdir.err"; then
		rmdir "$TOP/memrun-test-top-$$"
	else
		unrunnable="memrun policy apply cannot make its cgroup at the top of the memory hierarchy here ($(cat "$WORK/mkdir.err")); the VM runs these tests for real (make check-vm)"
	fi
fi
if [ -z "$unrunnable" ]; then
	made_totals=1
	mkdir -p "$ETC" "$PUB"
	chmod 0755 "$SITE" "$SITE/etc" "$ETC"
	chmod 0711 "$WORK"
	chmod 1777 "$PUB"
fi

# Every test starts with no total made.
runnable() {
	if [ -n "$unrunnable" ]; then
		skip "$unrunnable"
		return 1
	fi
	reset_totals
}

# as_user UID CMD...: CMD as that user, its primary group, no other.
as_user() {
	local uid=$1
	shift
	setpriv --reuid="$uid" --regid="$(id -g "$uid")" --clear-groups --reset-env \
		env HOME="$PUB" PATH="$PATH" "$@"
}

# run_site_as UID ARGS...: the site memrun as that user; $status, $out, $err.
run_site_as() {
	local uid=$1
	shift
	{ as_user "$uid" "$SITE_MEMRUN" "$@" >"$out" 2>"$err" </dev/null; } 2>/dev/null
	status=$?
}

run_site() {
	{ "$SITE_MEMRUN" "$@" >"$out" 2>"$err" </dev/null; } 2>/dev/null
	status=$?
}

# A session of the user's inside their total, as a login manager would
# place it (root moves the process there, then it becomes the user): on
# cgroup v2 a user may move processes only within a subtree that holds
# them already.
session_of() {
	local uid=$1 d=$TOTALS/user-$1/session
	mkdir -p "$d" && chown "$uid" "$d" "$d/cgroup.procs" || return 1
	echo "$d"
}

# run_in_session UID CMD...: CMD as the user, in their session.
run_in_session() {
	local uid=$1 d
	shift
	d=$(session_of "$uid") || return 125
	sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$d" \
		setpriv --reuid="$uid" --regid="$(id -g "$uid")" --clear-groups --reset-env \
		env HOME="$PUB" PATH="$PATH" "$@"
}

apply_totals() {
	run_site policy apply
	expect_status 0
}

owner_of() {
	stat -c %u "$1"
}

test_policy_show_prints_what_binds_whom() {
	runnable || return
	write_policy '# site policy' '[default]' 'max_memory_max = 1G' '' \
		'[user nobody]' 'total_memory_max = 128M' 'clamp = yes'
	run_site policy show nobody
	expect_status 0
	expect_out "policy: $POLICY"
	expect_out "user: nobody (uid $NOBODY)"
	expect_out "max_memory_max = 1 GiB	# [default] at $POLICY:3"
	expect_out "total_memory_max = 128 MiB	# [user nobody] at $POLICY:6"
	expect_out "clamp = yes	# [user nobody] at $POLICY:7"
	expect_out "not set: max_memory_high,"
	expect_out "allowed profiles: none"
	expect_out "total: 128 MiB for all of nobody's memrun jobs together, in the cgroup $TOTALS/user-$NOBODY"
	expect_out "NOT applied: $TOTALS/user-$NOBODY does not exist; root must run \`memrun policy apply\`"
	# By default, the caller: what nobody runs is bound by the same.
	run_site_as "$NOBODY" policy show
	expect_status 0
	expect_out "total_memory_max = 128 MiB	# [user nobody] at $POLICY:6"
	run_site policy show "$NOBODY"
	expect_out "user: nobody (uid $NOBODY)"
	run_site policy show root
	expect_status 0
	expect_out "nothing binds root (uid 0)"
	run_site policy show daemon
	expect_out "max_memory_max = 1 GiB"
	expect_out "total: none"
	run_site policy show no-such-user-here
	expect_status 125
	expect_err "policy show: no user 'no-such-user-here' on this host"
	rm -f "$POLICY"
	run_site policy show nobody
	expect_status 0
	expect_out "no policy file: $POLICY does not exist, so nothing binds nobody"
	run_site policy frobnicate
	expect_status 125
	expect_err "unknown 'policy' command 'frobnicate'"
	expect_err "Try 'memrun policy --help'"
	run_site policy
	expect_status 0
	expect_out "Usage: memrun policy show [USER]"
	run_site policy show nobody daemon
	expect_status 125
}

test_apply_is_for_root_only() {
	runnable || return
	write_policy '[user nobody]' 'total_memory_max = 128M'
	run_site_as "$NOBODY" policy apply
	expect_status 125
	expect_err "policy apply changes the limits of every user's total: only root may run it (you are uid $NOBODY)"
	[ ! -e "$TOTALS/user-$NOBODY" ] || fail "a refused apply made $TOTALS/user-$NOBODY"
}

test_apply_makes_delegated_cgroups_and_is_idempotent() {
	local dir f before after
	runnable || return
	write_policy '[user nobody]' 'total_memory_max = 128M' '[user daemon]' 'total_memory_max = 256M'
	apply_totals
	expect_out "policy $POLICY: 2 users with a total"
	expect_out "nobody (uid $NOBODY): $TOTALS/user-$NOBODY: created, $LIMIT_FILE 128 MiB"
	expect_out "daemon (uid $DAEMON): $TOTALS/user-$DAEMON: created, $LIMIT_FILE 256 MiB"
	dir=$TOTALS/user-$NOBODY
	[ "$(cat "$dir/$LIMIT_FILE")" = $((128 << 20)) ] ||
		fail "$dir/$LIMIT_FILE is $(cat "$dir/$LIMIT_FILE"), not 128 MiB"
	[ "$(owner_of "$dir")" = "$NOBODY" ] || fail "$dir is not nobody's"
	for f in $DELEGATED_FILES; do
		[ "$(owner_of "$dir/$f")" = "$NOBODY" ] || fail "$dir/$f is not nobody's"
	done
	# The limit stays root's: a user cannot raise their own total.
	[ "$(owner_of "$dir/$LIMIT_FILE")" = 0 ] || fail "$dir/$LIMIT_FILE is not root's"
	[ "$(owner_of "$TOTALS")" = 0 ] || fail "$TOTALS is not root's"
	if [ "$CG_VERSION" = 2 ]; then
		for f in "$TOP" "$TOTALS" "$dir"; do
			grep -qw memory "$f/cgroup.subtree_control" ||
				fail "$f/cgroup.subtree_control lacks memory"
		done
	fi
	run_site policy show nobody
	expect_out "applied: $LIMIT_FILE 128 MiB, delegated to nobody"
	before=$(stat -c '%u %Y' "$dir" "$dir/$LIMIT_FILE")
	apply_totals
	expect_out "nobody (uid $NOBODY): $TOTALS/user-$NOBODY: unchanged"
	expect_out "daemon (uid $DAEMON): $TOTALS/user-$DAEMON: unchanged"
	after=$(stat -c '%u %Y' "$dir" "$dir/$LIMIT_FILE")
	[ "$before" = "$after" ] || fail "a second apply changed $dir: $before, then $after"
	# A changed total and a lost delegation are put right.
	write_policy '[user nobody]' 'total_memory_max = 96M' '[user daemon]' 'total_memory_max = 256M'
	chown root "$dir/cgroup.procs"
	apply_totals
	expect_out "nobody (uid $NOBODY): $TOTALS/user-$NOBODY: $LIMIT_FILE 96 MiB (was 128 MiB), delegated"
	[ "$(owner_of "$dir/cgroup.procs")" = "$NOBODY" ] || fail "the delegation was not put right"
}

test_a_job_runs_in_its_own_cgroup_under_the_total() {
	runnable || return
	write_policy '[user nobody]' 'total_memory_max = 128M'
	apply_totals
	run_site_as "$NOBODY" --dry-run -- true
	expect_out "total: 128 MiB for all your jobs (total_memory_max, line 2), your jobs' cgroups go in $TOTALS/user-$NOBODY"
	{ run_in_session "$NOBODY" "$SITE_MEMRUN" --report "$PUB/own.json" -- "$HELPERS/hog" 20 \
		>"$out" 2>"$err" </dev/null; } 2>/dev/null
	status=$?
	expect_status 0
	# No memory_max of its own, and a cgroup of its own all the same.
	expect_json "r['cgroup']['path'].startswith('$TOTALS/user-$NOBODY/memrun-')" "$PUB/own.json"
	expect_json "r['limits']['memory_max_bytes'] is None" "$PUB/own.json"
	expect_json "r['limits']['policy']['total'] == {'memory_max_bytes': 128 << 20, 'line': 2, 'cgroup': '$TOTALS/user-$NOBODY', 'unit': None}" "$PUB/own.json"
	[ -z "$(find "$TOTALS/user-$NOBODY" -mindepth 1 -maxdepth 1 -type d -name 'memrun-*')" ] ||
		fail "the job's cgroup is left in $TOTALS/user-$NOBODY"
}

test_outside_the_total_v1_places_the_job_v2_explains_containment() {
	runnable || return
	write_policy '[user nobody]' 'total_memory_max = 128M'
	apply_totals
	# From the test's own cgroup, outside the user's total.
	run_site_as "$NOBODY" --report "$PUB/outside.json" -- true
	if [ "$CG_VERSION" = 1 ]; then
		# v1 asks only for the destination and the same user.
		expect_status 0
		expect_json "r['cgroup']['path'].startswith('$TOTALS/user-$NOBODY/memrun-')" "$PUB/outside.json"
	else
		expect_status 125
		expect_err "the policy gives you a total of 128 MiB for all your jobs (total_memory_max, $POLICY:2), in force in $TOTALS/user-$NOBODY, which is delegated to you; but memrun runs in"
		expect_err "outside it, and cgroup v2 lets a user move a process into a delegated cgroup only from inside the same delegated subtree"
		expect_err "\"Delegation Containment\""
		expect_err "Run memrun from a session placed inside your total"
		expect_json "r['outcome'] == 'failed-to-start' and 'under your total' in r['error']" "$PUB/outside.json"
	fi
}

test_a_total_not_applied_is_refused() {
	runnable || return
	write_policy '[user nobody]' 'total_memory_max = 128M'
	apply_totals
	write_policy '[user nobody]' 'total_memory_max = 64M'
	{ run_in_session "$NOBODY" "$SITE_MEMRUN" --report "$PUB/stale.json" -- true \
		>"$out" 2>"$err" </dev/null; } 2>/dev/null
	status=$?
	expect_status 125
	expect_err "the policy gives you a total of 64 MiB for all your jobs (total_memory_max, $POLICY:2) but it is not applied: the administrator must run \`memrun policy apply\`"
	expect_err "the $LIMIT_FILE of $TOTALS/user-$NOBODY is 128 MiB, not 64 MiB"
	expect_json "r['outcome'] == 'failed-to-start'" "$PUB/stale.json"
	# A user the policy gave a total that apply never made.
	write_policy '[user daemon]' 'total_memory_max = 64M'
	run_site_as "$DAEMON" -- true
	expect_status 125
	expect_err "but it is not applied: the administrator must run \`memrun policy apply\` ($TOTALS/user-$DAEMON does not exist)"
}

# Two jobs of nobody's at a total of 128M, each using 100M: one is
# OOM-killed, and its report puts it down to the total; daemon's job, with
# a total of its own, runs meanwhile untouched.
test_two_jobs_at_a_total_one_oom_kill_named_as_the_users_total() {
	local a_status b_status d_status killed=0 survived=0 f
	runnable || return
	write_policy '[user nobody]' 'total_memory_max = 128M' '' '[user daemon]' 'total_memory_max = 256M'
	apply_totals
	rm -f "$PUB"/*.ready "$PUB"/stop "$PUB"/[abd].json
	run_in_session "$NOBODY" "$SITE_MEMRUN" --report "$PUB/a.json" -- \
		"$HELPERS/hold" 100 "$PUB/a.ready" "$PUB/stop" >"$WORK/a.out" 2>"$WORK/a.err" </dev/null &
	local a_pid=$!
	run_in_session "$DAEMON" "$SITE_MEMRUN" --report "$PUB/d.json" -- \
		"$HELPERS/hold" 100 "$PUB/d.ready" "$PUB/stop" >"$WORK/d.out" 2>"$WORK/d.err" </dev/null &
	local d_pid=$!
	for _ in $(seq 1200); do
		[ -e "$PUB/a.ready" ] && [ -e "$PUB/d.ready" ] && break
		kill -0 "$a_pid" 2>/dev/null || break
		sleep 0.1
	done
	[ -e "$PUB/a.ready" ] || fail "nobody's first job did not get its 100 MiB: $(cat "$WORK/a.err")"
	# The second: 100 MiB more than the total leaves room for.
	{ run_in_session "$NOBODY" "$SITE_MEMRUN" --report "$PUB/b.json" -- \
		"$HELPERS/hold" 100 "$PUB/b.ready" "$PUB/b.ready" \
		>"$WORK/b.out" 2>"$WORK/b.err" </dev/null; } 2>/dev/null
	b_status=$?
	touch "$PUB/stop"
	wait "$a_pid" 2>/dev/null
	a_status=$?
	wait "$d_pid" 2>/dev/null
	d_status=$?
	for f in a b; do
		if "$PYTHON" - "$PUB/$f.json" <<-'EOF'
		import json, sys
		r = json.load(open(sys.argv[1]))
		sys.exit(0 if r["outcome"] == "oom-killed" else 1)
		EOF
		then
			killed=$((killed + 1))
			expect_json 'r["oom"]["killer"] == "other" and r["oom"]["limit_user_total"] and r["main_oom_killed"]' "$PUB/$f.json"
			grep -qF "was OOM-killed: the user's total of 128 MiB for all their jobs was reached (total_memory_max at $POLICY:2, in force in $TOTALS/user-$NOBODY), not the job's own limit" "$WORK/$f.err" ||
				fail "job $f's summary does not name the user's total: $(cat "$WORK/$f.err")"
		else
			survived=$((survived + 1))
			expect_json 'r["outcome"] == "exited" and r["exit_code"] == 0' "$PUB/$f.json"
		fi
	done
	[ "$killed" = 1 ] && [ "$survived" = 1 ] ||
		fail "expected one of nobody's jobs OOM-killed and one exited 0, got $killed killed (statuses $a_status, $b_status): $(cat "$WORK/a.err" "$WORK/b.err")"
	[ "$d_status" = 0 ] || fail "daemon's job ended $d_status: $(cat "$WORK/d.err")"
	expect_json 'r["outcome"] == "exited" and r["oom"]["kills"] == 0' "$PUB/d.json"
	expect_json "r['cgroup']['path'].startswith('$TOTALS/user-$DAEMON/')" "$PUB/d.json"
}

test_totals_no_longer_in_the_policy_are_removed() {
	local pid
	runnable || return
	write_policy '[user nobody]' 'total_memory_max = 128M' '[user daemon]' 'total_memory_max = 256M'
	apply_totals
	# daemon's total holds a running job: it stays until the job ends.
	{ run_in_session "$DAEMON" sleep 60 </dev/null; } 2>/dev/null &
	pid=$!
	for _ in $(seq 100); do
		[ -s "$TOTALS/user-$DAEMON/session/cgroup.procs" ] && break
		sleep 0.1
	done
	write_policy '[user nobody]' 'total_memory_max = 128M'
	apply_totals
	expect_out "nobody (uid $NOBODY): $TOTALS/user-$NOBODY: unchanged"
	expect_out "uid $DAEMON: no total any more, but $TOTALS/user-$DAEMON still holds jobs: left until they end"
	xargs -r kill <"$TOTALS/user-$DAEMON/session/cgroup.procs"
	wait "$pid" 2>/dev/null
	for _ in $(seq 50); do
		rmdir "$TOTALS/user-$DAEMON/session" 2>/dev/null && break
		sleep 0.1
	done
	apply_totals
	expect_out "uid $DAEMON: no total any more: $TOTALS/user-$DAEMON removed"
	[ ! -e "$TOTALS/user-$DAEMON" ] || fail "$TOTALS/user-$DAEMON is still there"
	rmdir "$TOTALS/user-$NOBODY/session" 2>/dev/null
	rm -f "$POLICY"
	apply_totals
	expect_out "no policy file ($POLICY): no user has a total"
	expect_out "uid $NOBODY: no total any more: $TOTALS/user-$NOBODY removed"
	expect_out "$TOTALS removed: no user has a total"
	[ ! -e "$TOTALS" ] || fail "$TOTALS is still there"
}

run_tests
