#!/usr/bin/env python3
"""paired.py JSON ROUNDS NAME_A CMD_A NAME_B CMD_B

Times two commands that differ in one thing, in interleaved pairs: round
r runs A then B when r is even, B then A when it is odd, so a machine that
speeds up or slows down during the run does not favour either.  One
untimed run of each first (page cache, dynamic loader caches).

Per run: wall time (spawn to reap), and the CPU time the kernel charged to
the process and to every descendant it waited for (wait4's rusage: for
'memrun -- prog' that is memrun, prog and prog's children).  On a busy
machine the wall time includes the time spent waiting for a CPU; the CPU
time does not, so it is the steadier measure of work done.

Commands are split on blanks (no shell); stdout and stderr go to
/dev/null.  Writes the runs as JSON; exits 2 if a run fails."""
import json
import os
import shlex
import sys
import time


def run(argv, devnull):
    t0 = time.perf_counter_ns()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=[
        (os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)])
    _, status, ru = os.wait4(pid, 0)
    wall = (time.perf_counter_ns() - t0) / 1e9
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
        sys.exit(f"paired: '{shlex.join(argv)}' failed (wait status {status})")
    return dict(wall=wall, user=ru.ru_utime, sys=ru.ru_stime, cpu=ru.ru_utime + ru.ru_stime,
                maxrss_kib=ru.ru_maxrss)


def main():
    if len(sys.argv) != 7:
        sys.exit(__doc__)
    out, rounds = sys.argv[1], int(sys.argv[2])
    names = sys.argv[3], sys.argv[5]
    argvs = shlex.split(sys.argv[4]), shlex.split(sys.argv[6])
    devnull = os.open(os.devnull, os.O_WRONLY)
    for argv in argvs:
        run(argv, devnull)
    runs = []
    for r in range(rounds):
        for i in ((0, 1) if r % 2 == 0 else (1, 0)):
            runs.append(dict(round=r, variant=i, name=names[i], **run(argvs[i], devnull)))
    with open(out, "w") as f:
        json.dump({"names": names, "commands": [sys.argv[4], sys.argv[6]], "rounds": rounds,
                   "runs": runs}, f, indent=1)


if __name__ == "__main__":
    try:
        main()
    except SystemExit as e:
        if isinstance(e.code, str):
            print(e.code, file=sys.stderr)
            sys.exit(2)
        raise
