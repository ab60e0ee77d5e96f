"""Runs opsdeck on a pseudo-terminal this script owns, ends it one way, and says what happened.

    python3 pty_exit.py HOW WAIT_FOR BIN ARGS...

HOW: hup | term (that signal, sent once WAIT_FOR is on the screen), lost (the terminal's
master side is closed, as when an SSH connection drops), panic (nothing is sent: the process
is expected to panic on its own, e.g. under OPSDECK_TEST_PANIC). Prints one JSON object: the
exit status or signal, the milliseconds from the cause to the exit, what was written after the
cause (latin-1), and the tty's modes after the exit (raw mode undone or not).
"""

import json
import os
import pty
import select
import signal
import struct
import sys
import termios
import fcntl
import time

how, wait_for, argv = sys.argv[1], sys.argv[2].encode(), sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)

fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))


def read_some(timeout):
    ready, _, _ = select.select([fd], [], [], timeout)
    if not ready:
        return b""
    try:
        return os.read(fd, 65536)
    except OSError:
        return None  # the child is gone and the slave closed


seen = b""
deadline = time.time() + 60
while wait_for not in seen:
    chunk = read_some(0.5)
    if chunk is None or time.time() > deadline:
        print(json.dumps({"error": "never saw " + wait_for.decode(), "seen": seen.decode("latin-1")[-2000:]}))
        sys.exit(1)
    seen += chunk

cause = time.time()
# What came after the awaited text in the same read (a panic may follow in the same frame).
after = seen[seen.index(wait_for) + len(wait_for):]
if how == "hup":
    os.kill(pid, signal.SIGHUP)
elif how == "term":
    os.kill(pid, signal.SIGTERM)
elif how == "lost":
    os.close(fd)

status = None
while status is None:
    if how != "lost":
        chunk = read_some(0.02)
        if chunk:
            after += chunk
    done, st = os.waitpid(pid, os.WNOHANG)
    if done:
        status = st
    elif time.time() - cause > 20:
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    else:
        time.sleep(0.005)
elapsed = (time.time() - cause) * 1000

modes = None
if how != "lost":
    while True:
        chunk = read_some(0.05)
        if not chunk:
            break
        after += chunk
    attrs = termios.tcgetattr(fd)
    lflag, iflag, oflag = attrs[3], attrs[0], attrs[1]
    modes = {
        "icanon": bool(lflag & termios.ICANON),
        "echo": bool(lflag & termios.ECHO),
        "isig": bool(lflag & termios.ISIG),
        "icrnl": bool(iflag & termios.ICRNL),
        "opost": bool(oflag & termios.OPOST),
    }

print(json.dumps({
    "exit": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
    "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
    "elapsed_ms": round(elapsed, 1),
    "after": after.decode("latin-1"),
    "modes": modes,
}))
