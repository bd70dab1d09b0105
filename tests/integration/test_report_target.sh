#!/usr/bin/env bash
# Where --report writes: a regular or new file is
# replaced atomically and keeps its mode and owner; a FIFO, device or one
# of memrun's own fds is written in place and never replaced; a symlink is
# followed only where the kernel's protected_symlinks rule would follow it;
# a target that cannot be written stops memrun before the job runs.
source "$(dirname "$0")/lib.sh"

# Whether this test may make a mount namespace with a /dev of its own.
private_dev_available() {
	unshare -m true 2>/dev/null
}

# in_private_dev COMMAND...: runs COMMAND in a mount namespace of its own
# whose /dev is a fresh tmpfs holding the usual nodes and links, so that a
# memrun that replaced /dev/null or /dev/stdout by a file (as root it could)
# would do it there and not on the host.
in_private_dev() {
	unshare -m sh -c '
		mount -t tmpfs -o mode=755 memrun-test-dev /dev &&
		mknod -m 666 /dev/null c 1 3 && mknod -m 666 /dev/zero c 1 5 &&
		mknod -m 666 /dev/full c 1 7 && mknod -m 666 /dev/urandom c 1 9 &&
		mknod -m 644 /dev/kmsg c 1 11 &&
		ln -s /proc/self/fd /dev/fd && ln -s /proc/self/fd/0 /dev/stdin &&
		ln -s /proc/self/fd/1 /dev/stdout && ln -s /proc/self/fd/2 /dev/stderr ||
			{ echo "cannot make a private /dev" >&2; exit 99; }
		exec "$@"' sh "$@"
}

# with_dev COMMAND...: in a private /dev where memrun could replace the
# host's nodes (root); on the host's /dev where it could not (another user).
with_dev() {
	if private_dev_available; then
		in_private_dev "$@"
	elif [ "$(id -u)" != 0 ]; then
		"$@"
	else
		echo "as root without a private /dev this test could break the host's /dev" >&2
		return 99
	fi
}

test_dev_null_stays_dev_null() {
	# The harmful case needs root (rename over /dev/null succeeds).
	with_dev sh -c '"$1" -q --report /dev/null -- true; echo "status $?"
		stat -c "%F %t,%T" /dev/null' sh "$MEMRUN" >"$out" 2>"$err"
	status=$?
	if [ "$status" = 99 ]; then
		skip "$(cat "$err")"
		return
	fi
	expect_out "status 0"
	expect_out "character special file 1,3"
}

test_character_device_is_written_in_place() {
	mknod -m 666 "$WORK/null" c 1 3 2>/dev/null || { skip "mknod is not permitted here"; return; }
	: 2>/dev/null >"$WORK/null" ||
		{ skip "the file system of $WORK does not open device nodes (nodev)"; return; }
	run_memrun -q --report "$WORK/null" -- true
	expect_status 0
	[ "$(stat -c '%F %t,%T' "$WORK/null")" = "character special file 1,3" ] ||
		fail "the device became: $(stat -c '%F %t,%T' "$WORK/null")"
}

test_dev_stdout_to_a_pipe_gets_the_report() {
	with_dev sh -c '{ "$1" -q --report /dev/stdout -- true; echo "status $?" >&2; } | cat >"$2"
		[ -L /dev/stdout ] && echo "still a symlink" >&2' sh "$MEMRUN" "$report" 2>"$err"
	status=$?
	if [ "$status" = 99 ]; then
		skip "$(cat "$err")"
		return
	fi
	expect_err "status 0"
	expect_err "still a symlink"
	expect_json "r['outcome'] == 'exited' and r['command'] == ['true']"
}

test_dev_stdout_to_a_file_comes_after_the_jobs_output() {
	# Written through memrun's own fd 1, at its offset: not over the file
	# the job just wrote its output to.
	with_dev sh -c '"$1" -q --report /dev/stdout -- echo job-output >"$2"' \
		sh "$MEMRUN" "$WORK/both" 2>"$err"
	status=$?
	if [ "$status" = 99 ]; then
		skip "$(cat "$err")"
		return
	fi
	expect_status 0
	[ "$(head -n 1 "$WORK/both")" = "job-output" ] || fail "the job's output is gone: $(head -c 300 "$WORK/both")"
	tail -n +2 "$WORK/both" >"$report"
	expect_json "r['outcome'] == 'exited'"
}

test_fifo_gets_the_report_and_stays_a_fifo() {
	mkfifo "$WORK/fifo"
	timeout 20 cat "$WORK/fifo" >"$report" &
	local reader=$!
	run_memrun -q --report "$WORK/fifo" -- true
	expect_status 0
	wait "$reader" || fail "the reader got no end of file (status $?)"
	[ -p "$WORK/fifo" ] || fail "the FIFO was replaced: $(stat -c %F "$WORK/fifo")"
	expect_json "r['outcome'] == 'exited'"
}

test_socket_is_refused_before_the_job() {
	"$PYTHON" -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$WORK/sock"
	run_memrun -q --report "$WORK/sock" -- touch "$WORK/ran-$FUNCNAME"
	expect_status 125
	expect_err "socket"
	[ -e "$WORK/ran-$FUNCNAME" ] && fail "the job ran"
	[ -S "$WORK/sock" ] || fail "the socket was replaced: $(stat -c %F "$WORK/sock")"
}

test_existing_report_keeps_its_mode_and_owner() {
	local owner=
	echo old >"$report"
	chmod 600 "$report"
	# Another owner only where we may give one (root).
	chown 65534:65534 "$report" 2>/dev/null && owner=65534:65534
	(umask 022 && "$MEMRUN" -q --report "$report" -- true) 2>"$err"
	[ "$(stat -c %a "$report")" = 600 ] || fail "mode $(stat -c %a "$report"), was 600"
	if [ -n "$owner" ]; then
		[ "$(stat -c %u:%g "$report")" = "$owner" ] ||
			fail "owner $(stat -c %u:%g "$report"), was $owner"
	fi
	expect_json "r['outcome'] == 'exited'"
}

test_new_report_follows_the_umask() {
	(umask 077 && "$MEMRUN" -q --report "$report" -- true)
	[ "$(stat -c %a "$report")" = 600 ] || fail "mode $(stat -c %a "$report") under umask 077"
	rm -f "$report"
	(umask 002 && "$MEMRUN" -q --report "$report" -- true)
	[ "$(stat -c %a "$report")" = 664 ] || fail "mode $(stat -c %a "$report") under umask 002"
}

test_symlink_is_followed_and_stays_a_symlink() {
	mkdir "$WORK/real"
	echo old >"$WORK/real/report.json"
	chmod 640 "$WORK/real/report.json"
	ln -s real/report.json "$WORK/link.json"
	run_memrun -q --report "$WORK/link.json" -- true
	expect_status 0
	[ -L "$WORK/link.json" ] || fail "the symlink was replaced by a $(stat -c %F "$WORK/link.json")"
	[ "$(stat -c %a "$WORK/real/report.json")" = 640 ] ||
		fail "the file it names has mode $(stat -c %a "$WORK/real/report.json"), was 640"
	expect_json "r['outcome'] == 'exited'" "$WORK/real/report.json"
	# A dangling one: the file it names is made.
	ln -s real/new.json "$WORK/dangling.json"
	run_memrun -q --report "$WORK/dangling.json" -- true
	expect_status 0
	[ -L "$WORK/dangling.json" ] || fail "the dangling symlink was replaced"
	expect_json "r['outcome'] == 'exited'" "$WORK/real/new.json"
}

test_another_users_symlink_in_a_sticky_directory_is_refused() {
	local dir=$WORK/sticky
	mkdir -m 1777 "$dir"
	echo keep >"$WORK/target"
	ln -s "$WORK/target" "$dir/report.json"
	chown -h 65534 "$dir/report.json" 2>/dev/null ||
		{ skip "a symlink of another user needs root (chown -h)"; return; }
	run_memrun -q --report "$dir/report.json" -- touch "$WORK/ran-$FUNCNAME"
	expect_status 125
	expect_err "protected_symlinks"
	[ -e "$WORK/ran-$FUNCNAME" ] && fail "the job ran"
	[ "$(cat "$WORK/target")" = keep ] || fail "the file behind the link was written"
	[ -L "$dir/report.json" ] || fail "the symlink was replaced"
	# Through a link of our own that leads to it: refused all the same.
	ln -s "$dir/report.json" "$WORK/mine.json"
	run_memrun -q --report "$WORK/mine.json" -- true
	expect_status 125
	# The kernel's rule lets the directory's owner's links be followed.
	chown 65534 "$dir"
	run_memrun -q --report "$dir/report.json" -- true
	expect_status 0
	expect_json "r['outcome'] == 'exited'" "$WORK/target"
}

test_another_users_symlink_on_the_way_is_refused() {
	# The rule holds for a link that names a directory of the path too:
	# the kernel checks those only where protected_symlinks is enabled.
	local top=$WORK/$FUNCNAME target
	local dir=$top/sticky
	mkdir -p "$top/real" "$top/sub"
	mkdir -m 1777 "$dir"
	ln -s "$top/real" "$dir/dlink"
	chown -h 65534 "$dir/dlink" 2>/dev/null ||
		{ skip "a symlink of another user needs root (chown -h)"; return; }
	run_memrun -q --report "$dir/dlink/report.json" -- touch "$top/ran"
	expect_status 125
	expect_err "the symlink '$dir/dlink' belongs to uid 65534 and lies in '$dir'"
	expect_err "protected_symlinks"
	[ -e "$top/ran" ] && fail "the job ran"
	[ -z "$(ls -A "$top/real")" ] || fail "written through the link: $(ls -A "$top/real")"
	# Met on the way from links of our own, relative ones, and "..".
	ln -s "$dir/dlink" "$top/mine"
	ln -s ../sticky/dlink/ "$top/sub/relative"
	for target in "$top/mine/report.json" "$top/sub/relative/report.json" \
		"$top/sub/../sticky/./dlink/../real/report.json"; do
		run_memrun -q --report "$target" -- true
		expect_status 125
		expect_err "the symlink '$dir/dlink' belongs to uid 65534"
	done
	[ -z "$(ls -A "$top/real")" ] || fail "written through the link: $(ls -A "$top/real")"
	# The kernel's rule lets the directory's owner's links be followed.
	chown 65534 "$dir"
	run_memrun -q --report "$top/mine/report.json" -- true
	expect_status 0
	expect_json "r['outcome'] == 'exited'" "$top/real/report.json"
}

test_the_path_is_resolved_as_the_kernel_resolves_it() {
	# ".." after a symlink is the parent of what it names; "." is no step.
	local top=$WORK/$FUNCNAME
	mkdir -p "$top/deep/x" "$top/deep/b"
	ln -s deep/x "$top/a"
	run_memrun -q --report "$top/a/../b/./report.json" -- true
	expect_status 0
	expect_json "r['outcome'] == 'exited'" "$top/deep/b/report.json"
	# Relative to the working directory, through a link with an absolute text.
	ln -s "$top/deep" "$top/abs"
	(cd "$top" && "$MEMRUN" -q --report abs/x/../b/r2.json -- true) 2>"$err"
	[ -f "$top/deep/b/r2.json" ] || fail "no report in deep/b: $(cat "$err")"
	# A loop of links on the way ends, as the kernel ends it.
	ln -s loop2 "$top/loop1"
	ln -s loop1 "$top/loop2"
	run_memrun -q --report "$top/loop1/report.json" -- touch "$top/ran"
	expect_status 125
	expect_err "Too many levels of symbolic links"
	[ -e "$top/ran" ] && fail "the job ran"
}

test_another_users_file_in_a_sticky_directory_is_refused_even_to_root() {
	# As the kernel's protected_regular rule refuses it (whether enabled
	# or not): root would otherwise replace the file and give it back to
	# its owner, with the command line in it.
	local dir=$WORK/$FUNCNAME
	mkdir -m 1777 "$dir"
	echo theirs >"$dir/report.json"
	chmod 600 "$dir/report.json"
	chown 65534:65534 "$dir/report.json" 2>/dev/null ||
		{ skip "a file of another user needs root (chown)"; return; }
	run_memrun -q --report "$dir/report.json" -- touch "$dir/ran"
	expect_status 125
	expect_err "protected_regular"
	expect_err "belongs to uid 65534 and lies in '$dir'"
	[ -e "$dir/ran" ] && fail "the job ran"
	[ "$(cat "$dir/report.json")" = theirs ] || fail "their file was replaced"
	[ "$(stat -c %u "$dir/report.json")" = 65534 ] || fail "their file changed owner"
	# A FIFO of theirs is refused at once too (protected_fifos), not
	# opened to wait for a reader.
	mkfifo -m 666 "$dir/fifo"
	chown 65534 "$dir/fifo"
	{ timeout 10 "$MEMRUN" -q --report "$dir/fifo" -- true >"$out" 2>"$err" </dev/null; } 2>/dev/null
	status=$?
	expect_status 125
	expect_err "protected_fifos"
	# The directory's owner's file may be replaced, but is not given back
	# to another user there: the report stays memrun's caller's.
	chown 65534 "$dir"
	chmod 640 "$dir/report.json"
	run_memrun -q --report "$dir/report.json" -- true
	expect_status 0
	expect_json "r['outcome'] == 'exited'" "$dir/report.json"
	[ "$(stat -c %u:%a "$dir/report.json")" = "$(id -u):640" ] ||
		fail "owner:mode $(stat -c %u:%a "$dir/report.json"), expected $(id -u):640"
}

test_a_closed_fd_is_said_to_be_closed() {
	needs_native_memrun fds || return
	# Not "not open for writing" because a directory memrun opened to
	# find it took its number.
	with_dev sh -c 'exec 3<&-; "$1" -q --report /dev/fd/3 -- true; echo "status $?" >&2
		"$1" -q --report /proc/self/fd/3 -- true' sh "$MEMRUN" >"$out" 2>"$err"
	status=$?
	if [ "$status" = 99 ]; then
		skip "$(cat "$err")"
		return
	fi
	expect_status 125
	expect_err "status 125"
	[ "$(grep -c "cannot write the report to '/.*/3': file descriptor 3 is not open$" "$err")" = 2 ] ||
		{ fail "not said to be closed"; show_output; }
	# One open for reading only is said to be that.
	with_dev sh -c '"$1" -q --report /dev/fd/3 -- true 3</dev/null' sh "$MEMRUN" >"$out" 2>"$err"
	status=$?
	expect_status 125
	expect_err "file descriptor 3 is not open for writing"
	# And one open for writing gets the report.
	with_dev sh -c '"$1" -q --report /dev/fd/3 -- true 3>"$2"' sh "$MEMRUN" "$report" >"$out" 2>"$err"
	status=$?
	expect_status 0
	expect_json "r['outcome'] == 'exited'"
}

test_unwritable_targets_are_refused_before_the_job() {
	local target
	mkdir "$WORK/dir"
	for target in "$WORK/dir" "$WORK/dir/" "$WORK/no/such/dir/report.json"; do
		run_memrun -q --report "$target" -- touch "$WORK/ran-$FUNCNAME"
		expect_status 125
		expect_err "cannot write the report to '$target'"
		[ -e "$WORK/ran-$FUNCNAME" ] && fail "the job ran with --report $target"
	done
	[ -d "$WORK/dir" ] || fail "the directory is gone"
}

test_what_an_unprivileged_caller_may_not_replace_is_refused_before_the_job() {
	[ "$(id -u)" = 0 ] && command -v setpriv >/dev/null ||
		{ skip "needs root and setpriv to run memrun as another user"; return; }
	local as_nobody=(setpriv --reuid 65534 --regid 65534 --clear-groups)
	"${as_nobody[@]}" test -x "$MEMRUN" ||
		{ skip "uid 65534 cannot run $MEMRUN (a directory above it is closed)"; return; }
	chmod 755 "$WORK"
	mkdir -m 1777 "$WORK/shared"
	mkdir -m 755 "$WORK/closed"
	# Another user's file in a sticky directory: rename(2) over it would
	# fail when the job has ended, so memrun refuses at once.
	echo theirs >"$WORK/shared/report.json"
	chmod 666 "$WORK/shared/report.json"
	"${as_nobody[@]}" "$MEMRUN" -q --report "$WORK/shared/report.json" -- \
		touch "$WORK/shared/ran" >"$out" 2>"$err"
	status=$?
	expect_status 125
	expect_err "sticky directory"
	[ -e "$WORK/shared/ran" ] && fail "the job ran"
	[ "$(cat "$WORK/shared/report.json")" = theirs ] || fail "their file was written"
	# A directory the caller may not write in.
	"${as_nobody[@]}" "$MEMRUN" -q --report "$WORK/closed/report.json" -- \
		touch "$WORK/shared/ran" >"$out" 2>"$err"
	status=$?
	expect_status 125
	expect_err "Permission denied"
	[ -e "$WORK/shared/ran" ] && fail "the job ran"
}

test_read_only_file_system_is_refused_before_the_job() {
	mkdir "$WORK/ro"
	unshare -m sh -c 'mount -t tmpfs -o ro memrun-test-ro "$1" || exit 99
		"$2" -q --report "$1/report.json" -- touch "$3"' \
		sh "$WORK/ro" "$MEMRUN" "$WORK/ran-$FUNCNAME" >"$out" 2>"$err"
	status=$?
	if [ "$status" = 99 ]; then
		skip "no mount namespace to mount a read-only file system in"
		return
	fi
	expect_status 125
	expect_err "Read-only file system"
	[ -e "$WORK/ran-$FUNCNAME" ] && fail "the job ran"
}

run_tests
