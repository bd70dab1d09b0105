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
#   no_scope_left           no memrun scope (unit or cgroup) of the system's
#                           or the user's manager is there
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

# No memrun scope of the system manager or the user's is loaded.
no_scope_left() {
	local units
	units=$(systemctl list-units --all --plain --no-legend 'memrun-*.scope' 2>&1)
	units+=$(as_user systemctl --user list-units --all --plain --no-legend 'memrun-*.scope' 2>&1)
	[ -z "$units" ] || { echo "#   scopes left: $units"; return 1; }
	! find /sys/fs/cgroup -name 'memrun-*.scope' -type d 2>/dev/null | grep -q . || {
		echo "#   scope cgroups left: $(find /sys/fs/cgroup -name 'memrun-*.scope' -type d)"
		return 1
	}
}
