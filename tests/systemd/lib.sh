# Shared by tests/systemd/test_*.sh, which run in the test VM's systemd boot
# only (tests/vm/run-in-vm.sh --systemd; tests/vm/init sets it up): what
# tests/integration/lib.sh gives, and the test user that boot has.
#
#   as_user CMD...          CMD as memrun-user, with its runtime directory and
#                           user bus; it stays in the test job's cgroup
#   in_user_manager CMD...  CMD as a transient service of memrun-user's own
#                           systemd (under user@4242.service), in this
#                           directory, with this PATH and memrun's variables;
#                           its exit status is CMD's
#   USER_WORK               a directory the user may write (reports, ...)
#   no_scope_left           no process in a memrun scope, and no memrun scope
#                           (unit or cgroup) of the system's or the user's
#                           manager left after systemd has collected them
source "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"

# Made by tests/vm/init, with these ids.
TEST_USER=memrun-user
TEST_UID=4242
TEST_GID=4242
TEST_USER_HOME=/home/memrun-user
TEST_USER_RUNTIME_DIR=/run/user/$TEST_UID

if ! grep -qw 'memrun.boot=systemd' /proc/cmdline; then
	echo "${0##*/}: tests/systemd/ runs only in the test VM's systemd boot (tests/vm/run-in-vm.sh --systemd)" >&2
	exit 2
fi

# $WORK is root's and private.
chmod 0711 "$WORK"
USER_WORK=$WORK/user
mkdir "$USER_WORK"
chown "$TEST_UID:$TEST_GID" "$USER_WORK"

as_user() {
	setpriv --reuid="$TEST_UID" --regid="$TEST_GID" --init-groups \
		env HOME="$TEST_USER_HOME" USER="$TEST_USER" LOGNAME="$TEST_USER" \
		XDG_RUNTIME_DIR="$TEST_USER_RUNTIME_DIR" \
		DBUS_SESSION_BUS_ADDRESS="unix:path=$TEST_USER_RUNTIME_DIR/bus" "$@"
}

in_user_manager() {
	as_user systemd-run --user --quiet --wait --pipe --collect --same-dir \
		--setenv=PATH --setenv=MEMRUN_PROFILE_PATH \
		--setenv=ASAN_OPTIONS --setenv=UBSAN_OPTIONS -- "$@"
}

# Nothing of memrun's runs in a scope once memrun has exited (it waits for
# that), and systemd has collected every memrun scope, unit and cgroup,
# within 10 s (it does so as it gets to it, as for systemd-run --scope).
no_scope_left() {
	local units dirs events
	for events in $(find /sys/fs/cgroup -path '*/memrun-*.scope/cgroup.events' 2>/dev/null); do
		grep -qx 'populated 0' "$events" 2>/dev/null || [ ! -e "$events" ] || {
			echo "#   processes left in ${events%/cgroup.events}: $(cat "${events%/cgroup.events}"/cgroup.procs 2>&1)"
			return 1
		}
	done
	for _ in $(seq 100); do
		units=$(systemctl list-units --all --plain --no-legend 'memrun-*.scope' 2>&1)
		units+=$(as_user systemctl --user list-units --all --plain --no-legend 'memrun-*.scope' 2>&1)
		dirs=$(find /sys/fs/cgroup -name 'memrun-*.scope' -type d 2>/dev/null)
		[ -z "$units$dirs" ] && return 0
		sleep 0.1
	done
	[ -z "$units" ] || echo "#   scopes left: $units"
	[ -z "$dirs" ] || echo "#   scope cgroups left: $dirs"
	return 1
}
