#!/usr/bin/env bash
# memrun at a terminal: Ctrl-C reaches the job once, interactive programs work.
source "$(dirname "$0")/lib.sh"

in_pty() {
	python3 "$TOP/tests/integration/pty/run_in_pty.py" "$@" >"$out" 2>"$err"
	status=$?
}

test_ctrl_c_reaches_the_job_exactly_once() {
	local rec=$WORK/signals
	# Ctrl-C, Ctrl-\ at the terminal, then a TERM from elsewhere ends the job.
	in_pty "file:$rec.ready;;send:\x03;;sleep:0.3;;send:\x1c;;sleep:0.3" -- \
		"$MEMRUN" -q -- "$HELPERS/sigrecord" "$rec" &
	local runner=$!
	for _ in $(seq 100); do [ -e "$rec.ready" ] && break; sleep 0.05; done
	sleep 1.5
	pkill -TERM -f "^$MEMRUN -q -- $HELPERS/sigrecord $rec" || true
	wait "$runner"
	expect_out "status 0"
	[ "$(tr '\n' ' ' <"$rec" 2>/dev/null)" = "INT QUIT TERM " ] ||
		fail "job received: $(tr '\n' ' ' <"$rec" 2>/dev/null), terminal: $(cat "$out" "$err")"
}

test_ctrl_c_ends_a_job_at_the_terminal_by_sigint() {
	# exec: a shell between echo and fork ignores a Ctrl-C of that instant.
	in_pty "wait:start;;send:\x03" -- "$MEMRUN" -- sh -c 'echo start; exec sleep 30'
	# memrun dies of SIGINT as the job did (a shell shows 130).
	expect_out "status -2"
	expect_out "sh was killed by SIGINT"
}

test_python_repl_works_under_memrun() {
	in_pty "wait:>>> ;;send:print(6 * 7)\r;;wait:42;;send:exit()\r" -- \
		"$MEMRUN" --as 1G -- python3 -q
	expect_out "42"
	expect_out "status 0"
	expect_out "python3 exited 0"
}

run_tests
