#!/usr/bin/env python3
"""Run a command in a pseudo-terminal and drive it with keystrokes.

Usage: pty-run.py SCRIPT_JSON -- COMMAND [ARG...]

SCRIPT_JSON is a JSON list of steps {"expect": "<regex>", "send": "<text>"}: wait until the output since the
previous match (ANSI escapes removed) contains the regex, then type the text ("\r" is Enter, " " is Space,
"\u001b[B" is Down). A step {"press": "<text>", "until": "<regex>", "max": n} types the text again and again (at
most n times) until the output since the last keystroke matches. After the last step the output is read until the
command exits. Prints a JSON object {"code": exit code, "output": every
byte the command wrote, as text, "failed": the step that timed out or null} on stdout.
"""
import json
import os
import pty
import re
import select
import signal
import sys
import time

STEP_TIMEOUT = float(os.environ.get("PTY_STEP_TIMEOUT", "120"))
# The terminal's width (PTY_COLUMNS, default 200: choice lines are not wrapped).
COLUMNS = int(os.environ.get("PTY_COLUMNS", "200"))
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def text(buf: bytes) -> str:
    return ANSI.sub("", buf.decode("utf-8", "replace"))


def main() -> None:
    sep = sys.argv.index("--")
    steps = json.loads(sys.argv[1])
    cmd = sys.argv[sep + 1 :]
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "xterm-256color"
        os.environ.setdefault("COLUMNS", str(COLUMNS))
        os.environ.setdefault("LINES", "50")
        os.execvp(cmd[0], cmd)
    # The terminal's size, as a real terminal reports it.
    try:
        import fcntl
        import struct
        import termios

        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, COLUMNS, 0, 0))
    except Exception:
        pass
    out = bytearray()
    mark = 0
    failed = None

    def read_some(timeout: float) -> bool:
        r, _, _ = select.select([fd], [], [], timeout)
        if not r:
            return True
        try:
            data = os.read(fd, 65536)
        except OSError:
            return False
        if not data:
            return False
        out.extend(data)
        return True

    alive = True
    for i, step in enumerate(steps):
        if "press" in step:
            pattern = re.compile(step["until"])
            for _ in range(int(step.get("max", 50))):
                mark = len(out)
                os.write(fd, step["press"].encode("utf-8"))
                # Wait for the redraw: until the pattern shows, or output came and then stopped for a moment.
                deadline = time.time() + 1.0
                seen = len(out)
                quiet_since = None
                while alive and time.time() < deadline and not pattern.search(text(out[mark:])):
                    alive = read_some(0.05)
                    if len(out) != seen:
                        seen, quiet_since = len(out), time.time()
                    elif quiet_since is not None and time.time() - quiet_since >= 0.1:
                        break
                if pattern.search(text(out[mark:])):
                    break
            else:
                failed = {"index": i, "until": step["until"]}
            if failed or not alive:
                break
            mark = len(out)
            continue
        pattern = re.compile(step["expect"])
        deadline = time.time() + STEP_TIMEOUT
        while alive:
            m = pattern.search(text(out[mark:]))
            if m:
                mark = len(out)
                break
            if time.time() > deadline:
                failed = {"index": i, "expect": step["expect"]}
                break
            alive = read_some(0.2)
        if failed or not alive:
            if not failed and not pattern.search(text(out[mark:])):
                failed = {"index": i, "expect": step["expect"], "exited": True}
            break
        # Let the prompt finish rendering before typing.
        time.sleep(0.15)
        os.write(fd, step.get("send", "").encode("utf-8"))
    if failed:
        os.kill(pid, signal.SIGKILL)
    deadline = time.time() + STEP_TIMEOUT
    while alive and time.time() < deadline:
        alive = read_some(0.2)
    if alive:
        failed = failed or {"index": len(steps), "expect": "(exit)", "timeout": True}
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    print(json.dumps({"code": code, "output": out.decode("utf-8", "replace"), "failed": failed}))


if __name__ == "__main__":
    main()
