#!/usr/bin/env bash
# 'make install' puts everything where its users look, the installed memrun
# runs and finds what was installed with it, and 'make uninstall' takes it
# all away again.
source "$(dirname "$0")/lib.sh"

VERSION=$(sed -n 's/^VERSION := *//p' "$TOP/Makefile")

# The installed binary runs at all: --version says exactly which memrun it
# is, and a job's exit status comes back.  A binary that cannot even be
# executed fails the first check (and the rest are not tried).
check_runs() {
	local bin=$1 rc
	"$bin" --version >"$out" 2>"$err"
	rc=$?
	if [ $rc -ne 0 ] || ! printf 'memrun %s\n' "$VERSION" | cmp -s - "$out" || [ -s "$err" ]; then
		fail "'$bin --version' exited $rc; expected 'memrun $VERSION', status 0, no stderr"
		show_output
		return 1
	fi
	"$bin" -q -- true >"$out" 2>"$err"
	rc=$?
	[ $rc -eq 0 ] || { fail "'$bin -q -- true' exited $rc, expected 0"; show_output; }
	"$bin" -q -- sh -c 'exit 3' >"$out" 2>"$err"
	rc=$?
	[ $rc -eq 3 ] || { fail "'$bin -q -- sh -c \"exit 3\"' exited $rc, expected 3"; show_output; }
}

# With no help from the environment, the installed binary lists the
# installed profiles (every shipped one, from where it was installed) and
# preloads the installed probe.
check_finds_installed() {
	local bin=$1 prefix=$2 rc f name
	local profiles=$prefix/share/memrun/profiles
	MEMRUN_PROFILE_PATH= "$bin" profiles list >"$out" 2>"$err"
	rc=$?
	[ $rc -eq 0 ] || { fail "'profiles list' exited $rc"; show_output; return 1; }
	for f in "$TOP"/profiles/*.conf; do
		name=$(basename "$f" .conf)
		grep -F "($profiles/$name.conf)" "$out" | grep -q "^$name " ||
			{ fail "'profiles list' does not list $name from $profiles"; show_output; }
	done
	! grep -qF "$TOP/profiles" "$out" ||
		{ fail "the installed binary lists the source tree's profiles"; show_output; }
	MEMRUN_PROFILE_PATH= "$bin" --dry-run -- true >"$out" 2>"$err"
	rc=$?
	[ $rc -eq 0 ] || { fail "'--dry-run -- true' exited $rc"; show_output; return 1; }
	expect_out "memrun: dry run, nothing is started"
	expect_out "  default  $profiles/default.conf  (no --profile given)"
	expect_out "  LD_PRELOAD=$prefix/lib/memrun/libmemrun-probe.so"
}

test_install_and_uninstall_under_a_prefix() {
	local prefix=$WORK/prefix build=$WORK/build f
	make -s -C "$TOP" BUILD="$build" PREFIX="$prefix" install >"$out" 2>"$err" ||
		{ fail "make install failed"; show_output; return; }
	for f in bin/memrun lib/memrun/libmemrun-probe.so share/memrun/profiles/db.conf \
		share/man/man1/memrun.1 share/man/man5/memrun.profile.5 share/man/man5/memrun.policy.5 \
		share/bash-completion/completions/memrun share/zsh/site-functions/_memrun \
		share/fish/vendor_completions.d/memrun.fish \
		share/doc/memrun/examples/memrun-db.service; do
		[ -e "$prefix/$f" ] || fail "not installed: $f"
	done
	check_runs "$prefix/bin/memrun"
	# A static memrun's companion, which it hands a systemd host's runs to
	# (a build with STATIC=0, as the sanitizer's, has one dynamic memrun).
	if ! readelf -l "$prefix/bin/memrun" | grep -q 'program interpreter'; then
		[ -x "$prefix/lib/memrun/memrun-systemd" ] || fail "not installed: lib/memrun/memrun-systemd"
		check_runs "$prefix/lib/memrun/memrun-systemd"
	fi
	check_finds_installed "$prefix/bin/memrun" "$prefix"
	make -s -C "$TOP" BUILD="$build" PREFIX="$prefix" uninstall >"$out" 2>"$err" ||
		fail "make uninstall failed"
	f=$(find "$prefix" -type f | head -5)
	[ -z "$f" ] || fail "left after uninstall: $f"
}

test_destdir_staging() {
	local stage=$WORK/stage build=$WORK/build2
	make -s -C "$TOP" BUILD="$build" PREFIX=/usr DESTDIR="$stage" install >"$out" 2>"$err" ||
		{ fail "make install DESTDIR failed"; show_output; return; }
	[ -x "$stage/usr/bin/memrun" ] || fail "no $stage/usr/bin/memrun"
	[ -e "$stage/usr/share/zsh/vendor-completions/_memrun" ] || fail "zsh completion for /usr"
	check_runs "$stage/usr/bin/memrun"
	strings "$stage/usr/bin/memrun" | grep -qx '/usr/share/memrun/profiles' ||
		fail "staged binary does not look in /usr/share/memrun/profiles"
}

# The checks above must fail for a binary that is there but broken: not
# executable, of another machine (the shell then prints its own error, on
# the output that was checked), cut short, or something that is not memrun.
test_self_check_a_broken_binary_fails_the_checks() {
	local dir=$WORK/broken bin kind rc
	mkdir -p "$dir"
	for kind in not-executable other-machine truncated not-memrun; do
		bin=$dir/$kind
		case $kind in
		not-executable) install -m 0644 "$MEMRUN_PROGRAM" "$bin" ;;
		other-machine)
			install -m 0755 "$MEMRUN_PROGRAM" "$bin"
			# ELF e_machine, 2 bytes at offset 18: no machine has 0xffff.
			printf '\377\377' | dd of="$bin" bs=1 seek=18 conv=notrunc status=none ;;
		truncated) head -c 4096 "$MEMRUN_PROGRAM" >"$bin"; chmod 0755 "$bin" ;;
		not-memrun) printf '#!/bin/sh\necho "memrun is fine"\n' >"$bin"; chmod 0755 "$bin" ;;
		esac
		(_failed=0; check_runs "$bin"; exit $_failed) >"$dir/check.log" 2>&1
		rc=$?
		[ $rc -eq 1 ] || fail "check_runs passes a $kind binary (exit $rc)"
		grep -q -- '--version' "$dir/check.log" ||
			fail "check_runs does not say that --version failed for a $kind binary"
	done
}

run_tests
