#!/usr/bin/env bash
# 'make install' puts everything where its users look, 'make uninstall'
# takes it all away again.
source "$(dirname "$0")/lib.sh"

test_install_and_uninstall_under_a_prefix() {
	local prefix=$WORK/prefix build=$WORK/build f
	make -s -C "$TOP" BUILD="$build" PREFIX="$prefix" install >"$out" 2>"$err" ||
		{ fail "make install failed"; show_output; return; }
	for f in bin/memrun share/memrun/profiles/db.conf share/man/man1/memrun.1 \
		share/man/man5/memrun.profile.5 share/bash-completion/completions/memrun \
		share/zsh/site-functions/_memrun share/fish/vendor_completions.d/memrun.fish; do
		[ -e "$prefix/$f" ] || fail "not installed: $f"
	done
	# The installed binary finds the installed profiles with no help.
	MEMRUN_PROFILE_PATH= "$prefix/bin/memrun" profiles list >"$out" 2>"$err"
	expect_out "($prefix/share/memrun/profiles/strict.conf)"
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
	"$stage/usr/bin/memrun" --dry-run -- true >"$out" 2>&1
	grep -q . "$out" || fail "staged binary does not run"
	strings "$stage/usr/bin/memrun" | grep -qx '/usr/share/memrun/profiles' ||
		fail "staged binary does not look in /usr/share/memrun/profiles"
}

run_tests
