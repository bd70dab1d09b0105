#!/usr/bin/env bash
# Per-user totals on a systemd host (memrun.policy(5) TOTALS): `memrun
# policy apply` sets the MemoryMax of the user's slice through systemd,
# persistently (its drop-in), and undoes it when the total goes; two jobs
# of the test user at a total of 128M, each in a scope of the user's
# manager and using 100M: one real OOM kill, named as the user's total;
# root's job meanwhile untouched.  Run with the site build, whose
# SYSCONFDIR is $MEMRUN_BUILD/site/etc.
source "$(dirname "$0")/lib.sh"

SITE=$BUILD_DIR/site
SITE_MEMRUN=$SITE/memrun
ETC=$SITE/etc/memrun
POLICY=$ETC/policy.conf
SLICE=user-$TEST_UID.slice
SLICE_DIR=/sys/fs/cgroup/user.slice/$SLICE
DROPIN=/etc/systemd/system.control/$SLICE.d/50-MemoryMax.conf

cleanup_totals() {
	if [ -x "$SITE_MEMRUN" ] && [ -d "$ETC" ]; then
		write_policy '[default]'
		"$SITE_MEMRUN" policy apply >/dev/null 2>&1
	fi
	rm -f "$DROPIN"
	rmdir "${DROPIN%/*}" 2>/dev/null
	systemctl daemon-reload
	rm -rf "$SITE/etc" "$WORK"
}
trap cleanup_totals EXIT

mkdir -p "$ETC"
chmod 0755 "$SITE" "$SITE/etc" "$ETC"

run_site() {
	{ "$SITE_MEMRUN" "$@" >"$out" 2>"$err" </dev/null; } 2>/dev/null
	status=$?
}

run_site_as_user() {
	{ as_user "$SITE_MEMRUN" "$@" >"$out" 2>"$err" </dev/null; } 2>/dev/null
	status=$?
}

needs_site_build() {
	[ -x "$SITE_MEMRUN" ] || { fail "$SITE_MEMRUN is missing: make check-vm builds it (site-build)"; return 1; }
}

slice_memory_max() {
	systemctl show -P MemoryMax "$SLICE"
}

# Every test starts with no total: what an earlier one set undone.
no_totals() {
	write_policy '[default]'
	"$SITE_MEMRUN" policy apply >/dev/null 2>&1
	[ "$(slice_memory_max)" = infinity ] || fail "cannot undo the total: MemoryMax of $SLICE is $(slice_memory_max)"
}

test_apply_sets_the_slice_memory_max_and_undoes_it() {
	needs_site_build || return
	no_totals
	write_policy '[user memrun-user]' 'total_memory_max = 128M'
	run_site_as_user policy apply
	expect_status 125
	expect_err "only root may run it (you are uid $TEST_UID)"
	run_site policy apply
	expect_status 0
	expect_out "policy $POLICY: 1 user with a total"
	expect_out "memrun-user (uid $TEST_UID): $SLICE MemoryMax 128 MiB (was infinity), kept in $DROPIN"
	[ "$(slice_memory_max)" = $((128 << 20)) ] || fail "MemoryMax of $SLICE: $(slice_memory_max)"
	[ "$(cat "$SLICE_DIR/memory.max")" = $((128 << 20)) ] ||
		fail "$SLICE_DIR/memory.max: $(cat "$SLICE_DIR/memory.max")"
	# systemd keeps it in its drop-in: it outlives a reboot.
	grep -qx "MemoryMax=$((128 << 20))" "$DROPIN" 2>/dev/null ||
		fail "$DROPIN lacks MemoryMax=$((128 << 20)): $(cat "$DROPIN" 2>&1)"
	run_site policy apply
	expect_status 0
	expect_out "memrun-user (uid $TEST_UID): $SLICE MemoryMax 128 MiB, unchanged"
	run_site_as_user policy show
	expect_status 0
	expect_out "total_memory_max = 128 MiB	# [user memrun-user] at $POLICY:2"
	expect_out "total: 128 MiB for everything memrun-user runs (sessions, the user manager, memrun's scopes), as the MemoryMax of $SLICE"
	expect_out "applied: MemoryMax of $SLICE is 128 MiB"
	run_site_as_user --dry-run -- true
	expect_out "total: 128 MiB for all your jobs (total_memory_max, line 2), the MemoryMax of $SLICE"
	# The total gone from the policy: the slice's limit goes too.
	write_policy '[default]'
	run_site policy apply
	expect_status 0
	expect_out "uid $TEST_UID: no total any more: $SLICE MemoryMax infinity (was 128 MiB)"
	[ "$(slice_memory_max)" = infinity ] || fail "MemoryMax of $SLICE: $(slice_memory_max)"
	run_site policy apply
	expect_status 0
	expect_no_err "$SLICE"
	! grep -q "$SLICE" "$out" || fail "a second apply changed $SLICE again: $(cat "$out")"
}

test_a_total_not_applied_is_refused() {
	needs_site_build || return
	no_totals
	write_policy '[user memrun-user]' 'total_memory_max = 128M'
	run_site policy apply
	expect_status 0
	write_policy '[user memrun-user]' 'total_memory_max = 64M'
	run_site_as_user policy show
	expect_out "NOT applied: MemoryMax of $SLICE is 128 MiB; root must run \`memrun policy apply\`"
	run_site_as_user --report "$USER_WORK/stale.json" -- true
	expect_status 125
	expect_err "the policy gives you a total of 64 MiB for all your jobs (total_memory_max, $POLICY:2) but it is not applied: the administrator must run \`memrun policy apply\` (the memory.max of $SLICE_DIR is 128 MiB, not 64 MiB)"
	expect_json 'r["outcome"] == "failed-to-start"' "$USER_WORK/stale.json"
}

# Two jobs of the user's at a total of 128M, each using 100M in a scope of
# the user's manager: one OOM kill, put down to the user's total; root's
# job, in the system's slice, runs meanwhile untouched.
test_two_jobs_at_a_total_one_oom_kill_named_as_the_users_total() {
	local a_pid r_pid a_status b_status r_status killed=0 survived=0 f
	needs_site_build || return
	no_totals
	write_policy '[user memrun-user]' 'total_memory_max = 128M'
	run_site policy apply
	expect_status 0
	rm -f "$USER_WORK"/*.ready "$USER_WORK"/stop
	{ as_user "$SITE_MEMRUN" --report "$USER_WORK/a.json" -- "$HELPERS/hold" 100 \
		"$USER_WORK/a.ready" "$USER_WORK/stop" >"$WORK/a.out" 2>"$WORK/a.err" </dev/null; } 2>/dev/null &
	a_pid=$!
	{ "$SITE_MEMRUN" --report "$WORK/root.json" -- "$HELPERS/hold" 100 "$WORK/root.ready" \
		"$USER_WORK/stop" >"$WORK/root.out" 2>"$WORK/root.err" </dev/null; } 2>/dev/null &
	r_pid=$!
	for _ in $(seq 1200); do
		[ -e "$USER_WORK/a.ready" ] && [ -e "$WORK/root.ready" ] && break
		kill -0 "$a_pid" 2>/dev/null || break
		sleep 0.1
	done
	[ -e "$USER_WORK/a.ready" ] || fail "the user's first job did not get its 100 MiB: $(cat "$WORK/a.err")"
	{ as_user "$SITE_MEMRUN" --report "$USER_WORK/b.json" -- "$HELPERS/hold" 100 \
		"$USER_WORK/b.ready" "$USER_WORK/b.ready" >"$WORK/b.out" 2>"$WORK/b.err" </dev/null; } 2>/dev/null
	b_status=$?
	touch "$USER_WORK/stop"
	wait "$a_pid"
	a_status=$?
	wait "$r_pid"
	r_status=$?
	for f in a b; do
		if python3 -c 'import json, sys; sys.exit(json.load(open(sys.argv[1]))["outcome"] != "oom-killed")' \
			"$USER_WORK/$f.json"; then
			killed=$((killed + 1))
			expect_json 'r["oom"]["killer"] == "other" and r["oom"]["limit_user_total"] and r["main_oom_killed"]' "$USER_WORK/$f.json"
			expect_json 'r["cgroup"]["manager"] == "systemd"' "$USER_WORK/$f.json"
			expect_json "r['limits']['policy']['total'] == {'memory_max_bytes': 128 << 20, 'line': 2, 'cgroup': '$SLICE_DIR', 'unit': '$SLICE'}" "$USER_WORK/$f.json"
			grep -qF "was OOM-killed: the user's total of 128 MiB for all their jobs was reached (total_memory_max at $POLICY:2, the MemoryMax of $SLICE), not the job's own limit" "$WORK/$f.err" ||
				fail "job $f's summary does not name the user's total: $(cat "$WORK/$f.err")"
		else
			survived=$((survived + 1))
			expect_json 'r["outcome"] == "exited" and r["exit_code"] == 0' "$USER_WORK/$f.json"
		fi
	done
	[ "$killed" = 1 ] && [ "$survived" = 1 ] ||
		fail "expected one of the user's jobs OOM-killed and one exited 0, got $killed killed (statuses $a_status, $b_status): $(cat "$WORK/a.err" "$WORK/b.err")"
	[ "$r_status" = 0 ] || fail "root's job ended $r_status: $(cat "$WORK/root.err")"
	expect_json 'r["outcome"] == "exited" and r["oom"]["kills"] == 0 and r["limits"]["policy"] is None' "$WORK/root.json"
	expect no_scope_left no_scope_left
}

run_tests
