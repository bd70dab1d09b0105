#!/usr/bin/env python3
"""Run a command on a new pseudo-terminal, as a user at a terminal would.

    run_in_pty.py SCRIPT -- COMMAND [ARG]...

SCRIPT is a list of steps separated by ';;': 'wait:TEXT' reads until TEXT
appears on the terminal after what the previous 'wait' matched, 'file:PATH'
waits until PATH exists, 'touch:PATH' creates PATH, 'send:TEXT' types TEXT
(\\r, \\x03 escapes work), 'sleep:SECONDS'.  Prints the exit status of
COMMAND on the last line as 'status N'.
"""
import os
import pty
import select
import sys
import time

# The whole script: generous, as a loaded CI machine or a VM is slow; it
# only bounds a hang.
TIMEOUT = 60.0


def main():
    script, command = sys.argv[1], sys.argv[3:]
    pid, master = pty.fork()
    if pid == 0:
        os.execvp(command[0], command)
    seen = b""
    matched = 0  # where the next 'wait' starts looking
    deadline = time.monotonic() + TIMEOUT

    def pump(timeout):
        nonlocal seen
        ready, _, _ = select.select([master], [], [], timeout)
        if ready:
            try:
                data = os.read(master, 4096)
            except OSError:
                return False
            seen += data
            return bool(data)
        return True

    for step in script.split(";;"):
        kind, _, arg = step.partition(":")
        if kind == "wait":
            while seen.find(arg.encode(), matched) < 0:
                if time.monotonic() > deadline or not pump(0.1):
                    sys.exit(f"timed out waiting for {arg!r}; terminal showed {seen!r}")
            matched = seen.find(arg.encode(), matched) + len(arg.encode())
        elif kind == "file":
            while not os.path.exists(arg):
                if time.monotonic() > deadline:
                    sys.exit(f"timed out waiting for {arg}")
                pump(0.05)
        elif kind == "touch":
            open(arg, "a").close()
        elif kind == "send":
            os.write(master, arg.encode().decode("unicode_escape").encode())
        elif kind == "sleep":
            end = time.monotonic() + float(arg)
            while time.monotonic() < end:
                pump(0.05)
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            sys.exit(f"command did not end; terminal showed {seen!r}")
        pump(0.05)
    while pump(0.05):
        pass
    sys.stdout.write(seen.decode(errors="replace"))
    print(f"\nstatus {os.waitstatus_to_exitcode(status)}")


main()
