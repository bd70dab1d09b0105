#!/usr/bin/env bash
# Build, or reuse, what tests/vm/run-in-vm.sh boots, under build/vm/:
#   vmlinux          Debian's amd64 kernel, uncompressed
#   initramfs.cpio   busybox-static, the virtio/9p/overlay modules (and what
#                    only the systemd boot loads), tests/vm/init
# Both are rebuilt only when an input changes: the kernel package's version,
# busybox-static's, this script (it holds the module list) or tests/vm/init.
# The kernel .deb stays next to them as a download cache; nothing is
# installed on the host.
#
# Exits 77 when the kernel package cannot be had (no apt, not in the
# archive, no network), so callers can tell "cannot test here" from a
# broken build.
set -euo pipefail
trap 'echo "build-image: failed at line $LINENO" >&2' ERR
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/build/vm
init=$top/tests/vm/init
# Their dependencies (virtio, virtio_ring, 9pnet, netfs, fscache, ...) come
# from each module's depends= field: the .deb ships no modules.dep, which
# depmod writes only when the package is installed.
modules="virtio_pci 9pnet_virtio 9p overlay"
# Loaded by the systemd boot only (the VM has no /lib/modules for its kernel,
# so systemd cannot load them itself): autofs4 and binfmt_misc for the
# automount of /proc/sys/fs/binfmt_misc, which fails without them as soon as
# the host has binfmt.d entries.
systemd_modules="autofs4 binfmt_misc"

say() { echo "build-image: $*" >&2; }
unavailable() { say "$*"; exit 77; }

mkdir -p "$out"
# Two runs at once would otherwise build over each other.
exec 9>"$out/.lock"
flock 9

[ "$(dpkg --print-architecture 2>/dev/null)" = amd64 ] ||
	unavailable "the test VM is amd64 only; this host is $(dpkg --print-architecture 2>/dev/null || uname -m)"
busybox_version=$(dpkg-query -W -f='${Version}' busybox-static 2>/dev/null) || {
	say "busybox-static is not installed (scripts/install-deps.sh vm)"
	exit 1
}

# linux-image-amd64 is a metapackage; the kernel is in the versioned
# package it depends on.
kernel_pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
	sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -1) || true
kernel_version=""
[ -n "$kernel_pkg" ] &&
	kernel_version=$(apt-cache policy "$kernel_pkg" 2>/dev/null | sed -n 's/^ *Candidate: //p')
if [ -z "$kernel_pkg" ] || [ -z "$kernel_version" ] || [ "$kernel_version" = "(none)" ]; then
	# Offline, or apt's lists are gone: what was built before still serves.
	if [ -f "$out/image.stamp" ] && [ -f "$out/vmlinux" ] && [ -f "$out/initramfs.cpio" ]; then
		say "apt knows no linux-image-amd64 now; reusing the cached image"
		exit 0
	fi
	unavailable "apt knows no linux-image-amd64 kernel package (run apt-get update?)"
fi

stamp="kernel $kernel_pkg $kernel_version
busybox-static $busybox_version
build-image.sh $(sha256sum <"$0" | cut -d' ' -f1)
init $(sha256sum <"$init" | cut -d' ' -f1)"
if [ -f "$out/vmlinux" ] && [ -f "$out/initramfs.cpio" ] &&
	[ "$(cat "$out/image.stamp" 2>/dev/null)" = "$stamp" ]; then
	exit 0
fi

tmp=$(mktemp -d "$out/tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

deb=$out/${kernel_pkg}_$kernel_version.deb
if [ ! -f "$deb" ]; then
	say "downloading $kernel_pkg $kernel_version"
	mkdir "$tmp/download"
	if ! (cd "$tmp/download" && apt-get download "$kernel_pkg=$kernel_version") \
		>"$tmp/download.log" 2>&1; then
		cat "$tmp/download.log" >&2
		unavailable "cannot download $kernel_pkg $kernel_version"
	fi
	rm -f "$out"/linux-image-*.deb
	mv "$tmp"/download/*.deb "$deb"
fi

say "building the VM image from $kernel_pkg $kernel_version"
dpkg-deb -x "$deb" "$tmp/kernel"
vmlinuz=$(echo "$tmp"/kernel/boot/vmlinuz-*)
moddir=$(echo "$tmp"/kernel/lib/modules/*)
if [ ! -f "$vmlinuz" ] || [ ! -d "$moddir/kernel" ]; then
	say "$deb holds no boot/vmlinuz-* and lib/modules/*/kernel"
	exit 1
fi

# qemu boots the uncompressed ELF through its PVH entry point; the bzImage's
# own decompressor stalls under TCG.  As the kernel's scripts/extract-vmlinux
# does: find the xz stream's magic and decompress from there.
offset=$(LC_ALL=C grep -m1 -obUaP '\xfd7zXZ\x00' "$vmlinuz" | head -1 | cut -d: -f1)
[ -n "$offset" ] || { say "no xz stream in $vmlinuz"; exit 1; }
# xz stops at the stream's end, before tail has written everything.
xz -dc --single-stream <(tail -c +$((offset + 1)) "$vmlinuz") >"$tmp/vmlinux"
[ "$(head -c 4 "$tmp/vmlinux" | tail -c 3)" = ELF ] || {
	say "what xz gave from $vmlinuz is not an ELF kernel"
	exit 1
}

root=$tmp/initramfs
mkdir -p "$root/bin" "$root/lib/modules"
cp /bin/busybox "$root/bin/busybox"
install -m 0755 "$init" "$root/init"
: >"$root/modules.load"
: >"$root/modules-systemd.load"
find "$moddir/kernel" -name '*.ko' -o -name '*.ko.xz' >"$tmp/module-files"

# Depth first, so every module follows what it depends on in its list (a
# dependency already in modules.load, which is loaded first, is not repeated).
added=" "
add_module() {
	local name=${1//-/_} list=$2 pattern file dep
	case "$added" in *" $name "*) return ;; esac
	pattern="/${name//_/[_-]}\.ko"
	file=$(grep -E "${pattern}(\.xz)?\$" "$tmp/module-files" | head -1) || true
	if [ -z "$file" ]; then
		grep -qE "${pattern}\$" "$moddir/modules.builtin" && return
		say "module $name is neither in $kernel_pkg nor built in"
		exit 1
	fi
	case "$file" in
	*.xz) xz -dc "$file" >"$root/lib/modules/$name.ko" ;;
	*) cp "$file" "$root/lib/modules/$name.ko" ;;
	esac
	for dep in $(tr '\0' '\n' <"$root/lib/modules/$name.ko" |
		sed -n 's/^depends=//p' | tr , ' '); do
		add_module "$dep" "$list"
	done
	added="$added$name "
	echo "$name" >>"$root/$list"
}
for module in $modules; do
	add_module "$module" modules.load
done
for module in $systemd_modules; do
	add_module "$module" modules-systemd.load
done

(cd "$root" && find . | LC_ALL=C sort |
	cpio -o -H newc -R 0:0 --reproducible --quiet) >"$tmp/initramfs.cpio"

mv "$tmp/vmlinux" "$out/vmlinux"
mv "$tmp/initramfs.cpio" "$out/initramfs.cpio"
printf '%s\n' "$stamp" >"$out/image.stamp"
say "modules: $(tr '\n' ' ' <"$root/modules.load")(systemd boot: $(tr '\n' ' ' <"$root/modules-systemd.load" | sed 's/ $//'))"
