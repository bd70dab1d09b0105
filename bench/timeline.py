#!/usr/bin/env python3
"""timeline.py TRACE

The steps of one launch, from 'strace -f -ttt -s 160' output: one line per
step (exec, bus connection, D-Bus calls and the replies waited for, forks,
cgroups made and removed, the guard, exits), in ms from the first line.
Lines that mark no step are left out.  Used by scripts/bench-systemd.sh."""
import re
import sys

# What a line says, by the first pattern it matches.
STEPS = [
    (r'execve\("([^"]+)"', lambda m: f"exec {m.group(1).rsplit('/', 1)[-1]}"),
    (r'connect\(\d+, \{sa_family=AF_UNIX, sun_path="([^"]+)"', lambda m: f"connect {m.group(1)}"),
    (r'sendmsg\(.*\\0(Hello|AddMatch|RemoveMatch|StartTransientUnit|GetUnit|Get|Subscribe)\\0',
     lambda m: f"D-Bus call {m.group(1)}"),
    (r'sendmsg\(.*iov_base="A"', lambda m: "guard armed"),
    (r'sendto\(\d+, "D", 1', lambda m: "guard released"),
    (r'recvmsg\(.*(JobRemoved|NoSuchUnit|/job/\d+|/[^"\\]*\.scope\\0)',
     lambda m: f"D-Bus in: {m.group(1).rstrip(chr(92) + '0')}"),
    (r'clone3?\(.*= (\d+)', lambda m: f"fork -> pid {m.group(1)}"),
    (r'mkdirat\(\d+, "([^"]+)"', lambda m: f"mkdir {m.group(1)}"),
    (r'unlinkat\(\d+, "([^"]+)", AT_REMOVEDIR', lambda m: f"rmdir {m.group(1)}"),
    (r'inotify_init1', lambda m: "inotify_init1"),
    (r'faccessat2\(AT_FDCWD, "([^"]+)".*= (-?\d+(?: \w+)?)',
     lambda m: f"exists? {m.group(1).rsplit('/', 1)[-1]}: {m.group(2)}"),
    (r'exit_group\((\d+)\)', lambda m: f"exit_group({m.group(1)})"),
    (r'\+\+\+ exited with (\d+)', lambda m: f"gone, status {m.group(1)}"),
]


def main():
    start = None
    with open(sys.argv[1]) as f:
        for line in f:
            fields = line.split(None, 2)
            if len(fields) < 3:
                continue
            try:
                t = float(fields[1])
            except ValueError:
                continue
            start = t if start is None else start
            for pattern, say in STEPS:
                m = re.search(pattern, fields[2])
                if m:
                    print(f"{(t - start) * 1e3:9.1f}  pid {fields[0]:<7} {say(m)}")
                    break


if __name__ == "__main__":
    main()
