#!/usr/bin/env bash
# Static analysis of memrun's C: cppcheck (options here, suppressions in
# .cppcheck-suppressions) and clang-tidy (.clang-tidy), over src/*.c and
# src/probe/*.c, each compiled as the build compiles it ('make lint' passes
# the flags: CFLAGS for memrun's files, PROBE_CFLAGS for the probe's, and
# CONFIG_H, the build's config.h).  Any finding fails; the two tools both
# run, so one run shows everything.
set -u
cd "$(dirname "$0")/.." || exit 1
: "${CFLAGS:?}" "${PROBE_CFLAGS:?}" "${CONFIG_H:?}"
jobs=${LINT_JOBS:-$(nproc 2>/dev/null || echo 1)}
failed=0

# warning, style, performance, portability: not "information" (cppcheck
# would report every system header it does not read) nor unusedFunction
# (the unit tests and harnesses call what memrun does not).  One
# configuration: the build's (_GNU_SOURCE on x86_64 Linux).
echo "lint: cppcheck"
cppcheck --quiet --error-exitcode=1 --std=c11 --library=gnu \
	--enable=warning,style,performance,portability --inline-suppr \
	--suppressions-list=.cppcheck-suppressions \
	-D_GNU_SOURCE -D__linux__ -D__x86_64__ --include="$CONFIG_H" \
	--template='{file}:{line}: {severity}: {message} [{id}]' -j "$jobs" \
	src/*.c src/probe/*.c || failed=1

# Each file with its flags; clang's "N warnings generated" counts the
# system headers' warnings it does not show, and say nothing.
tidy() {
	local flags=$1
	shift
	# shellcheck disable=SC2086 # the flags are words
	printf '%s\n' "$@" | xargs -P "$jobs" -I{} clang-tidy --quiet {} -- $flags 2>&1 |
		grep -v '^[0-9]* warnings\? generated\.$'
	return "${PIPESTATUS[1]}"
}
echo "lint: clang-tidy"
tidy "$CFLAGS" src/*.c || failed=1
tidy "$PROBE_CFLAGS" src/probe/*.c || failed=1

if [ "$failed" -ne 0 ]; then
	echo "lint: findings above (fix them, or silence a false positive where it is, with why)"
	exit 1
fi
echo "lint: no findings"
