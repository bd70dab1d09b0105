#!/usr/bin/env bash
# The static memrun (the default build) on a systemd host: it hands the
# run over to memrun-systemd, the same program linked dynamically, which
# loads libsystemd (src/handover.c).  Without it memrun runs as itself
# and says what it lacks when a job needs systemd; a static memrun
# installed as memrun-systemd never hands over to itself.
source "$(dirname "$0")/lib.sh"

COMPANION=$BUILD_DIR/memrun-systemd

# The hand-over is the static build's: a STATIC=0 build is one dynamically
# linked memrun, which loads libsystemd itself.
needs_handover() {
	[ -x "$COMPANION" ] && return 0
	skip "this build has no $COMPANION: it links memrun dynamically (STATIC=0), with no hand-over to test"
	return 1
}

# The program file of the process that started the job: memrun's.
SHOW_MEMRUN='readlink /proc/$PPID/exe; cat /proc/$PPID/comm'

test_memrun_runs_as_memrun_systemd_where_systemd_is_init() {
	needs_handover || return
	run_memrun -q --no-probe -- sh -c "$SHOW_MEMRUN"
	expect_status 0
	expect_out "$(realpath "$COMPANION")"
	# Under the name it was started by, for ps, pgrep and systemctl status.
	expect "memrun keeps its name: $(sed -n 2p "$out")" test "$(sed -n 2p "$out")" = memrun
	# The same process: its pid is the one that was started.
	"$MEMRUN" -q --no-probe -- sh -c 'echo $PPID' >"$out" 2>"$err" &
	wait $!
	expect "the job's parent is the memrun that was started ($! against $(cat "$out"))" \
		test "$(cat "$out")" = "$!"
}

test_without_memrun_systemd_memrun_runs_as_itself_and_says_why() {
	needs_handover || return
	mkdir -p "$WORK/alone"
	cp "$MEMRUN_PROGRAM" "$WORK/alone/memrun"
	{ "$WORK/alone/memrun" -q --no-probe -- sh -c "$SHOW_MEMRUN" >"$out" 2>"$err" </dev/null; } 2>/dev/null
	status=$?
	expect_status 0
	if grep -q '/memrun-systemd$' "$out"; then
		skip "an installed memrun-systemd ($(head -1 "$out")) took the run: the case without one needs a host that has none"
		return
	fi
	expect_out "$WORK/alone/memrun"
	# A job that needs systemd's cgroup: memrun says what it lacks.
	{ "$WORK/alone/memrun" --memory-max 64M -- true >"$out" 2>"$err" </dev/null; } 2>/dev/null
	status=$?
	expect_status 125
	expect_err "this memrun is linked statically and cannot load libsystemd: where systemd runs it runs as memrun-systemd, found neither beside it nor as"
	expect_err "reinstall memrun"
	expect "nothing left behind" no_scope_left
}

# A caller's symlink named memrun-systemd is no companion: the run is
# handed over as usual (an elevated memrun so reached still reads the
# policy's users as the name service says).
test_a_symlink_named_memrun_systemd_still_hands_over() {
	needs_handover || return
	mkdir -p "$WORK/link"
	ln -s "$MEMRUN_PROGRAM" "$WORK/link/memrun-systemd"
	{ "$WORK/link/memrun-systemd" -q --no-probe -- sh -c "$SHOW_MEMRUN" >"$out" 2>"$err" </dev/null; } 2>/dev/null
	status=$?
	expect_status 0
	expect_out "$(realpath "$COMPANION")"
}

test_a_static_memrun_named_memrun_systemd_runs_as_itself() {
	needs_handover || return
	mkdir -p "$WORK/named"
	cp "$MEMRUN_PROGRAM" "$WORK/named/memrun-systemd"
	{ timeout 20 "$WORK/named/memrun-systemd" -q --no-probe -- sh -c "$SHOW_MEMRUN" \
		>"$out" 2>"$err" </dev/null; } 2>/dev/null
	status=$?
	expect_status 0
	expect_out "$WORK/named/memrun-systemd"
}

run_tests
