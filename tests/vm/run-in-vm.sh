#!/usr/bin/env bash
# Run one command as root in a VM with a pure cgroup v2 hierarchy:
#   tests/vm/run-in-vm.sh [--systemd] [--mem 512M] [--snapshot DIR] -- COMMAND [ARG]...
# The VM runs Debian's own kernel (see build-image.sh) on the host's root
# file system, read-only with a tmpfs overlay for writes, so the repo's
# build/ outputs and the host's tools are there as they are here.  COMMAND
# runs in the same directory, with the host's PATH, LANG and the variables
# named in VM_PASS_ENV; its output streams here through the serial console
# and its exit status becomes ours.
#
# --snapshot DIR shows the VM a copy of DIR (less build/vm) taken at start,
# writable and thrown away afterwards.  Without it a file rebuilt on the
# host while the VM runs reaches the VM half-updated: the overlay keeps the
# old file's size, 9p serves the new file's bytes, and programs crash.
#
# --systemd boots the host's systemd as PID 1 (see tests/vm/init): COMMAND
# runs in a service, with the system bus, logind, systemd-oomd and the user
# manager of the test user memrun-user up; the snapshot is made readable to
# that user.  The default memory is then 1G.
#
# Environment: VM_TIMEOUT (default 40m, as timeout(1) takes it) kills the VM;
# VM_ACCEL (default tcg,thread=multi) picks qemu's accelerator; VM_DEBUG=1
# lets the kernel (and systemd, its status) talk on the console and shows
# the whole console log when the VM reports no status.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
qemu="qemu-system-x86_64"
# The VM needs room for the suite's 300 MB allocations: at 256M they fail
# the kernel's overcommit check, at 128M the global OOM killer fires
# before a cgroup's.  The systemd boot's services hold about 90 MB more.
mem=""
snapshot=""
systemd=0

say() { echo "run-in-vm: $*" >&2; }
usage() {
	echo "usage: tests/vm/run-in-vm.sh [--systemd] [--mem SIZE] [--snapshot DIR] -- COMMAND [ARG]..." >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case "$1" in
	--mem) [ $# -ge 2 ] || usage; mem=$2; shift 2 ;;
	--mem=*) mem=${1#--mem=}; shift ;;
	--snapshot) [ $# -ge 2 ] || usage; snapshot=$2; shift 2 ;;
	--snapshot=*) snapshot=${1#--snapshot=}; shift ;;
	--systemd) systemd=1; shift ;;
	--) shift; break ;;
	-*) usage ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || usage
if [ -z "$mem" ]; then
	mem=512M
	[ "$systemd" = 1 ] && mem=1G
fi

command -v "$qemu" >/dev/null || {
	say "$qemu is missing: install qemu-system-x86 (scripts/install-deps.sh vm)"
	exit 125
}
"$top/tests/vm/build-image.sh" || exit 125

tmp=$(mktemp -d "${TMPDIR:-/tmp}/run-in-vm.XXXXXX") || exit 125
vm_pid=""
# Signals reach us in "wait", not while a foreground qemu runs for minutes.
stop() {
	[ -n "$vm_pid" ] && kill -TERM "$vm_pid" 2>/dev/null && wait "$vm_pid"
	exit "$1"
}
trap 'rm -rf "$tmp"' EXIT
trap 'stop 130' INT
trap 'stop 143' TERM HUP
mkdir "$tmp/job"
if [ -n "$snapshot" ]; then
	snapshot=$(cd "$snapshot" && pwd -P) || exit 125
	mkdir "$tmp/job/snapshot"
	tar -C "$snapshot" --exclude=./build/vm -cf - . |
		tar -C "$tmp/job/snapshot" -xf - || exit 125
	printf '%s\n' "$snapshot" >"$tmp/job/snapshot-path"
	# The test user of the systemd boot reads it and runs build/memrun.
	if [ "$systemd" = 1 ]; then
		chmod 0755 "$tmp/job" &&
			chmod -R go+rX "$tmp/job/snapshot" || exit 125
	fi
fi

# Single quotes survive any shell; the guest's /bin/sh may be dash.
quote() {
	local q=\'
	printf "'%s'" "${1//$q/$q\\$q$q}"
}
{
	for name in PATH LANG ${VM_PASS_ENV:-}; do
		case "$name" in
		"" | [0-9]* | *[!A-Za-z0-9_]*)
			say "VM_PASS_ENV: '$name' is not a variable name"
			exit 2
			;;
		esac
		[ -n "${!name+set}" ] && echo "export $name=$(quote "${!name}")"
	done
	echo "cd $(quote "$PWD") || exit 125"
	printf 'exec'
	for arg in "$@"; do
		printf ' %s' "$(quote "$arg")"
	done
	echo
} >"$tmp/job/job.sh"

# A comma inside a qemu option list is written twice.
qtmp=${tmp//,/,,}
debug=0
[ "${VM_DEBUG:-0}" = 1 ] && debug=1
cmdline="console=ttyS0 panic=-1 cgroup_no_v1=all"
[ "$debug" = 1 ] || cmdline="$cmdline quiet loglevel=3"
if [ "$systemd" = 1 ]; then
	# The unit and the status output: see tests/vm/init.  PSI for
	# systemd-oomd; a crashed systemd reboots, which ends qemu.
	cmdline="$cmdline memrun.boot=systemd psi=1 systemd.unit=memrun-vm.target"
	cmdline="$cmdline systemd.show_status=$debug systemd.crash_reboot=1"
fi
# KVM guests crash early on some nested hosts and the failure is not quick
# to detect, so TCG is the default.  A q35 machine rather than microvm: the
# latter needs the host's TSC frequency passed in or boots hang now and then.
start=$(date +%s.%N)
timeout --kill-after=10s "${VM_TIMEOUT:-40m}" "$qemu" \
	-accel "${VM_ACCEL:-tcg,thread=multi}" -cpu max -M q35 -m "$mem" -smp 2 \
	-nodefaults -display none -no-reboot \
	-chardev "stdio,id=console,logfile=$qtmp/console.log" -serial chardev:console \
	-kernel "$top/build/vm/vmlinux" -initrd "$top/build/vm/initramfs.cpio" \
	-append "$cmdline" \
	-fsdev local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap \
	-device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
	-fsdev "local,id=job,path=$qtmp/job,security_model=none" \
	-device virtio-9p-pci,fsdev=job,mount_tag=job \
	</dev/null &
vm_pid=$!
wait "$vm_pid"
qemu_status=$?
vm_pid=""
elapsed=$(echo "$(date +%s.%N) $start" | awk '{printf "%.1f", $1 - $2}')

if [ "$qemu_status" -eq 124 ] || [ "$qemu_status" -eq 137 ]; then
	say "VM_TIMEOUT=${VM_TIMEOUT:-40m} reached: qemu killed"
fi
status=$(cat "$tmp/job/status" 2>/dev/null)
case "$status" in
[0-9] | [0-9][0-9] | [0-9][0-9][0-9]) ;;
*)
	lines=25 what="last console lines"
	[ "$debug" = 1 ] && lines=+1 what="the whole console"
	say "VM did not report a status (qemu exited $qemu_status after ${elapsed}s); $what:"
	if [ -s "$tmp/console.log" ]; then
		tail -n "$lines" "$tmp/console.log" | sed 's/^/  | /' >&2
	else
		echo "  (none)" >&2
	fi
	exit 125
	;;
esac
say "booted in $(cat "$tmp/job/boot-seconds" 2>/dev/null)s, exit status $status, ${elapsed}s in all"
exit "$status"
