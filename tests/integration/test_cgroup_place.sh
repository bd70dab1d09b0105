#!/usr/bin/env bash
# Where the job's cgroup goes: always inside memrun's
# own cgroup, never beside or above it, so the limits memrun runs under
# bind the job; v2's no-internal-processes rule met by memrun moving
# itself into a leaf; containers (a cgroup namespace, a read-only cgroup
# file system); evidence from memrun's own cgroup for a job without one.
# Runs on cgroup v1 here and on v2 in the VM suite.
source "$(dirname "$0")/lib.sh"

# memrun's own cgroup: the job's cgroup is made right inside it.
probe_job_cgroup
own=$job_parent

needs_v2() {
	needs_cgroup || return 1
	if [ "$version" != 2 ]; then
		skip "cgroup v1 here: ${1:-v1 has no no-internal-processes rule} (the VM suite runs this on v2)"
		return 1
	fi
}

# A fresh cgroup inside memrun's own, with memory limit $2 (or none).
make_test_cgroup() {
	local dir=$own/memrun-test-$$-$1
	mkdir "$dir" || return 1
	if [ "$version" = 2 ]; then
		grep -qw memory "$own/cgroup.subtree_control" ||
			echo +memory >"$own/cgroup.subtree_control" || return 1
		[ -z "${2:-}" ] || echo "$2" >"$dir/memory.max"
	else
		[ -z "${2:-}" ] || echo "$2" >"$dir/memory.limit_in_bytes"
	fi
	echo "$dir"
}

# Run CMD... as a process of cgroup DIR (the shell moves itself, then
# execs, so CMD is alone there unless it starts others).
in_cgroup() {
	local dir=$1
	shift
	sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$dir" "$@"
}

remove_test_cgroups() {
	local dir leaf
	[ -n "$own" ] || return 0
	for dir in "$own"/memrun-test-$$-*/; do
		[ -d "$dir" ] || continue
		# Whatever is still in there (a failed test) ends now.
		for leaf in "$dir"/*/ "$dir"/; do
			[ -f "$leaf/cgroup.procs" ] || continue
			while read -r pid; do kill -9 "$pid" 2>/dev/null; done <"$leaf/cgroup.procs"
		done
		sleep 0.2
		for leaf in "$dir"/*/; do rmdir "$leaf" 2>/dev/null; done
		rmdir "$dir" 2>/dev/null || echo "#   cannot remove $dir"
	done
}
trap 'remove_test_cgroups; rm -rf "$WORK"' EXIT

test_cgroup_parent_above_memruns_cgroup_is_refused() {
	needs_cgroup || return
	local inner
	inner=$(make_test_cgroup above) || { fail "cannot make a test cgroup"; return; }
	# memrun runs in $inner; "..", an absolute path and a symlink all name
	# its parent, where the job would escape $inner's limits.
	in_cgroup "$inner" "$MEMRUN" --memory-max 64M --cgroup-parent .. -- touch "$WORK/ran" \
		>"$out" 2>"$err" </dev/null
	status=$?
	expect_status 125
	expect_err "is not inside memrun's own cgroup"
	[ -e "$WORK/ran" ] && fail "the job ran beside memrun's cgroup"
	in_cgroup "$inner" "$MEMRUN" --memory-max 64M --cgroup-parent "$own" -- touch "$WORK/ran" \
		>"$out" 2>"$err" </dev/null
	status=$?
	expect_status 125
	expect_err "is not inside memrun's own cgroup"
	ln -s "$own" "$WORK/link"
	in_cgroup "$inner" "$MEMRUN" --memory-max 64M --cgroup-parent "$WORK/link/" -- \
		touch "$WORK/ran" >"$out" 2>"$err" </dev/null
	status=$?
	expect_status 125
	expect_err "is not inside memrun's own cgroup"
	[ -e "$WORK/ran" ] && fail "the job ran outside memrun's cgroup"
	remove_test_cgroups
}

test_cgroup_parent_below_memruns_cgroup_binds_and_sizes_the_job() {
	needs_cgroup || return
	local inner
	inner=$(make_test_cgroup below 256M) || { fail "cannot make a test cgroup"; return; }
	# A percentage is of the tightest limit above where the job goes.
	run_memrun --dry-run --memory-max 50% --cgroup-parent "${inner##*/}" -- true
	expect_status 0
	expect_out "128 MiB"
	run_memrun --memory-max 1G --cgroup-parent "${inner##*/}" --report "$report" -- cat /proc/self/cgroup
	expect_status 0
	expect_out "${inner##*/}/memrun-"
	expect_json "r['cgroup']['path'].startswith('$inner/memrun-')"
	remove_test_cgroups
}

test_job_never_escapes_the_limit_memrun_runs_under() {
	needs_native_memrun memory || return
	needs_cgroup || return
	local box
	box=$(make_test_cgroup box 96M) || { fail "cannot make a test cgroup"; return; }
	# hog alone in $box is OOM-killed; under memrun in $box it must be too.
	in_cgroup "$box" "$MEMRUN" --report "$report" -- "$HELPERS/hog" 200 >"$out" 2>"$err" </dev/null
	status=$?
	expect_status 137
	expect_json "r['outcome'] == 'oom-killed' and r['oom']['killer'] == 'other'"
	expect_json "r['cgroup']['path'] is not None and r['cgroup']['path'].startswith('$box/')"
	remove_test_cgroups
}

test_v2_memrun_alone_moves_itself_into_a_leaf() {
	needs_v2 || return
	local box
	box=$(make_test_cgroup leaf 512M) || { fail "cannot make a test cgroup"; return; }
	in_cgroup "$box" "$MEMRUN" --memory-max 64M --report "$report" -- cat /proc/self/cgroup \
		>"$out" 2>"$err" </dev/null
	status=$?
	expect_status 0
	expect_json "r['limits']['memory_max_bytes'] == 64 << 20"
	expect_json "r['cgroup']['path'].startswith('$box/memrun-')"
	# memrun moved back and removed its leaf: nothing is left behind.
	local left
	left=$(find "$box" -mindepth 1 -type d)
	[ -z "$left" ] || fail "left behind in $box: $left"
	grep -qw memory "$box/cgroup.subtree_control" && fail "memory still handed down in $box"
	remove_test_cgroups
}

test_v2_cgroup_with_other_processes_is_125_with_the_remedy() {
	needs_v2 || return
	local box
	box=$(make_test_cgroup busy 512M) || { fail "cannot make a test cgroup"; return; }
	# The shell stays in $box beside memrun, as a login shell in a scope does.
	sh -c 'echo $$ >"$1/cgroup.procs" && shift && "$@"' sh "$box" \
		"$MEMRUN" --memory-max 64M -- touch "$WORK/ran" >"$out" 2>"$err" </dev/null
	status=$?
	expect_status 125
	expect_err "also holds other processes"
	expect_err "systemd-run --scope -p Delegate=yes"
	expect_err "/sys/fs/cgroup/init"
	[ -e "$WORK/ran" ] && fail "the job ran"
	# Without a cgroup setting the job runs, in memrun's cgroup.
	sh -c 'echo $$ >"$1/cgroup.procs" && shift && "$@"' sh "$box" \
		"$MEMRUN" --report "$report" -- true >"$out" 2>"$err" </dev/null
	status=$?
	expect_status 0
	expect_json "r['cgroup']['version'] is None and 'holds other processes' in r['cgroup']['error']"
	remove_test_cgroups
}

test_v2_container_cgroup_namespace() {
	needs_v2 || return
	command -v unshare >/dev/null || { skip "unshare (util-linux) is missing"; return; }
	local box
	box=$(make_test_cgroup ns 96M) || { fail "cannot make a test cgroup"; return; }
	# As in a container: memrun's cgroup is the namespace's root, and the
	# container's limit binds the job.
	in_cgroup "$box" unshare --cgroup --mount sh -c \
		'mount --make-rprivate / && umount -l /sys/fs/cgroup &&
		 mount -t cgroup2 cgroup2 /sys/fs/cgroup && exec "$@"' sh \
		"$MEMRUN" --report "$report" -- "$HELPERS/hog" 200 >"$out" 2>"$err" </dev/null
	status=$?
	expect_status 137
	expect_json "r['outcome'] == 'oom-killed' and r['cgroup']['path'].startswith('/sys/fs/cgroup/memrun-')"
	# With the container's shell beside it: 125, and the remedy fits.
	box=$(make_test_cgroup ns-shell 96M) || { fail "cannot make a test cgroup"; return; }
	in_cgroup "$box" unshare --cgroup --mount sh -c \
		'mount --make-rprivate / && umount -l /sys/fs/cgroup &&
		 mount -t cgroup2 cgroup2 /sys/fs/cgroup && "$@"; exit $?' sh \
		"$MEMRUN" --memory-max 32M -- true >"$out" 2>"$err" </dev/null
	status=$?
	expect_status 125
	expect_err "in a container, first move the processes"
	remove_test_cgroups
}

test_v2_memory_controller_not_delegated_is_named() {
	needs_v2 "v1 hands every controller of its hierarchy to every cgroup" || return
	local box
	box=$(make_test_cgroup deleg) || { fail "cannot make a test cgroup"; return; }
	# A user manager's cgroup whose parent hands it no memory controller
	# (systemd issue 9641): not "no memory controller is mounted".
	mkdir "$box/user@1000.service" || { fail "cannot make $box/user@1000.service"; return; }
	in_cgroup "$box/user@1000.service" "$MEMRUN" --memory-max 64M -- touch "$WORK/ran" \
		>"$out" 2>"$err" </dev/null
	status=$?
	expect_status 125
	expect_err "the memory controller is not delegated to memrun's cgroup"
	expect_err "Delegate=pids memory cpu"
	expect_no_err "is mounted"
	[ -e "$WORK/ran" ] && fail "the job ran"
	rmdir "$box/user@1000.service"
	remove_test_cgroups
}

test_read_only_cgroup_file_system_names_the_container_remedy() {
	needs_cgroup || return
	command -v unshare >/dev/null || { skip "unshare (util-linux) is missing"; return; }
	local mnt=/sys/fs/cgroup
	[ "$version" = 1 ] && mnt=/sys/fs/cgroup/memory
	unshare --mount sh -c 'mount -o remount,ro,bind "$1" && shift && exec "$@"' sh "$mnt" \
		"$MEMRUN" --memory-max 64M -- touch "$WORK/ran" >"$out" 2>"$err" </dev/null
	status=$?
	expect_status 125
	expect_err "mounted read-only"
	expect_err "docker run --memory"
	expect_no_err "systemd-run"
	[ -e "$WORK/ran" ] && fail "the job ran"
}

test_best_effort_job_killed_by_the_enclosing_limit_is_oom_killed() {
	needs_native_memrun memory || return
	needs_cgroup || return
	local box
	box=$(make_test_cgroup enclosing 96M) || { fail "cannot make a test cgroup"; return; }
	# No cgroup of its own (best effort): memrun's cgroup counted the kill,
	# and memrun was alone there, so the kill is the job's.
	in_cgroup "$box" "$MEMRUN" --best-effort --memory-max 1G --cgroup-parent /no/such \
		--report "$report" -- "$HELPERS/hog" 200 >"$out" 2>"$err" </dev/null
	status=$?
	expect_status 137
	expect_json "r['outcome'] == 'oom-killed' and r['oom']['killer'] == 'other'"
	expect_json "r['oom']['kills'] >= 1 and r['main_oom_killed'] is True"
	expect_json "r['limits']['memory_max_bytes'] is None"
	# A kill -9 in the same situation stays "signaled".
	in_cgroup "$box" "$MEMRUN" --best-effort --memory-max 1G --cgroup-parent /no/such \
		--report "$report" -- sh -c 'kill -9 $$' >"$out" 2>"$err" </dev/null
	status=$?
	expect_status 137
	expect_json "r['outcome'] == 'signaled' and r['oom']['kills'] == 0"
	# With the shell beside memrun the count may be anyone's: not the
	# job's evidence, but said.
	sh -c 'echo $$ >"$1/cgroup.procs" && shift && "$@"' sh "$box" \
		"$MEMRUN" --best-effort --memory-max 1G --cgroup-parent /no/such \
		--report "$report" -- "$HELPERS/hog" 200 >"$out" 2>"$err" </dev/null
	status=$?
	expect_status 137
	expect_json "r['oom']['kills'] is None and r['oom']['enclosing_kills'] >= 1"
	expect_err "memrun's cgroup counted"
	remove_test_cgroups
}

run_tests
