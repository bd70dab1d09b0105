#!/bin/sh
# Install the Debian packages memrun needs for a purpose, when missing.
#   scripts/install-deps.sh build check demo bench vm fuzz lint valgrind shared-host
# As root it runs apt-get; otherwise it prints the exact apt-get line and
# fails, so nothing is half-installed behind the user's back.
set -eu

packages_for() {
	case "$1" in
	build) echo "gcc make libc6-dev pkg-config libcap-dev libseccomp-dev libsystemd-dev" ;;
	check) echo "libcmocka-dev libasan8 libubsan1 python3 mandoc zsh fish util-linux procps strace stress-ng g++ default-jre-headless libcap2-bin" ;;
	demo) echo "python3 procps" ;;
	bench) echo "hyperfine util-linux cgroup-tools python3" ;;
	vm) echo "qemu-system-x86 busybox-static xz-utils cpio util-linux systemd dbus dbus-user-session libpam-systemd systemd-oomd" ;;
	# clang's libFuzzer and sanitizer runtimes are only recommended by clang.
	fuzz) echo "clang libclang-rt-dev" ;;
	lint) echo "cppcheck clang-tidy" ;;
	valgrind) echo "valgrind" ;;
	# setcap, for make install-shared-host.
	shared-host) echo "libcap2-bin" ;;
	*) echo "install-deps.sh: unknown purpose '$1' (build, check, demo, bench, vm, fuzz, lint, valgrind, shared-host)" >&2; exit 2 ;;
	esac
}

missing=""
for purpose in "$@"; do
	for pkg in $(packages_for "$purpose"); do
		case " $missing " in *" $pkg "*) continue ;; esac
		status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
		[ "$status" = installed ] || missing="$missing $pkg"
	done
done
missing=${missing# }
[ -z "$missing" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
	echo "memrun needs these Debian packages (or your system's equivalents): $missing" >&2
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "memrun needs packages that are not installed. As root, run:" >&2
	echo "  apt-get update && apt-get install -y --no-install-recommends $missing" >&2
	exit 1
fi
echo "memrun: installing $missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
