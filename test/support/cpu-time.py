"""Run a command and print, on stderr, its wall time and the CPU time of it and of every process it started.

    python3 cpu-time.py COMMAND [ARG...]   ->   "<wall s> <user s> <system s> <exit code>" on the last line of stderr

/usr/bin/time misses the processes a command leaves to exit after it (Vitest's workers): they are re-parented to
init, and their CPU time is never added to the command's. Here this process is a child subreaper
(prctl PR_SET_CHILD_SUBREAPER): such orphans are re-parented to it, it waits for every one of them, and the
children's resource usage then holds them all.
"""

import ctypes
import os
import resource
import sys
import time

PR_SET_CHILD_SUBREAPER = 36

libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
    sys.exit(f"cpu-time.py: prctl(PR_SET_CHILD_SUBREAPER) failed: {os.strerror(ctypes.get_errno())}")
start = time.monotonic()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[1], sys.argv[1:])
    finally:
        os._exit(127)
_, status = os.waitpid(pid, 0)
wall = time.monotonic() - start
# The processes it left behind: wait for them (a minute at most), so that their CPU time is counted.
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    try:
        if os.waitpid(-1, os.WNOHANG) == (0, 0):
            time.sleep(0.05)
    except ChildProcessError:
        break
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"{wall:.2f} {usage.ru_utime:.2f} {usage.ru_stime:.2f} {os.waitstatus_to_exitcode(status)}", file=sys.stderr)
