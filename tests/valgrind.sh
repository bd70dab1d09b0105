#!/bin/sh
# Run PROGRAM under valgrind's memcheck for 'make check VALGRIND=1':
#   tests/valgrind.sh LOGDIR PROGRAM [ARG...]
# One log per process, LOGDIR/NAME.PID.log, ending in valgrind's "ERROR
# SUMMARY"; tests/run.sh fails the run for a log with an error in it, and
# names it.  memrun runs under memcheck, the jobs it starts natively
# (--trace-children=no: the child memcheck forks is checked until its
# exec).  A definite leak is an error; memory still reachable at exit is
# not (memrun exits, and re-raises a job's signal, holding what it needs
# to the end).  No gdbserver (--vgdb=no): its files in /tmp, left by a
# memrun a test kills, would keep another user's memrun of the same pid
# from starting.
set -eu
[ $# -ge 2 ] || { echo "usage: tests/valgrind.sh LOGDIR PROGRAM [ARG...]" >&2; exit 2; }
logs=$1
shift
exec valgrind --tool=memcheck --error-exitcode=99 \
	--leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite \
	--track-origins=yes --num-callers=30 --trace-children=no --vgdb=no \
	--log-file="$logs/${1##*/}.%p.log" "$@"
