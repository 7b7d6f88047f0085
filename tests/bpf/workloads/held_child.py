#!/usr/bin/env python3
# held_child.py PIDFILE: catches a tool while its launched command is still
# held before exec (the tool is attaching), and freezes it there.
#
# Python starts too slowly to look for a tool started before it: it creates
# PIDFILE.ready, then waits for the tool's pid to appear in PIDFILE.
#
# Busy-polls for a child of the tool, SIGSTOPs the tool, then checks the child
# is still held: the tool still has the write end of a pipe (fd > 2) whose
# read end the child has (hk_target_release closes it right after the go
# byte), and the child sleeps in read(2) on it (the go byte, had it been
# written just before the stop, would have woken it).  Prints the child's
# pid and exits 0 with the tool stopped; exits 1 (tool resumed) when the tool
# released the command before it could be caught, 2 when the tool exited.
# Sending signals to the stopped tool and SIGCONT is the caller's business.
import os
import signal
import sys
import time


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(c) for c in f.read().split()]
    except OSError:
        return None


def pipes(pid, low=3, write_only=False):
    out = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            if int(fd) < low:
                continue
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("pipe:") and (not write_only or is_write_end(pid, fd)):
                out.add(target)
    except OSError:
        pass
    return out


def is_write_end(pid, fd):
    with open(f"/proc/{pid}/fdinfo/{fd}") as f:
        for line in f:
            if line.startswith("flags:"):
                return int(line.split()[1], 8) & 3 == os.O_WRONLY
    return False


def stopped(pid):
    for _ in range(10000):
        with open(f"/proc/{pid}/stat") as f:
            if f.read().rsplit(")", 1)[1].split()[0] in "tT":
                return
        time.sleep(0.0005)
    sys.exit(2)


def tool_pid(path):
    open(path + ".ready", "w").close()
    for _ in range(100000):
        try:
            with open(path) as f:
                return int(f.read())
        except (OSError, ValueError):
            time.sleep(0.0002)
    sys.exit(2)


def blocked_in_read(child, tool_comm):
    """True once the child sleeps in read(2) (x86_64: syscall 0) with the tool
    stopped: the go byte was not written, or the read would have returned.
    False once it is past that (exec'd, exited)."""
    for _ in range(4000):
        try:
            with open(f"/proc/{child}/comm") as f:
                if f.read().strip() != tool_comm:
                    return False
            with open(f"/proc/{child}/syscall") as f:
                if f.read().split()[0] == "0":
                    return True
        except (OSError, IndexError):
            return False
        time.sleep(0.0005)
    return False


def main():
    tool = tool_pid(sys.argv[1])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        kids = children(tool)
        if kids is None:
            sys.exit(2)
        if not kids:
            continue
        os.kill(tool, signal.SIGSTOP)
        stopped(tool)
        child = kids[0]
        with open(f"/proc/{tool}/comm") as f:
            comm = f.read().strip()
        if pipes(tool, write_only=True) & pipes(child, 0) and blocked_in_read(child, comm):
            print(child)
            sys.exit(0)
        os.kill(tool, signal.SIGCONT)
        sys.exit(1)
    sys.exit(2)


main()
