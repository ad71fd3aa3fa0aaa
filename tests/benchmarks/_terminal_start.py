"""Start-up measured from outside, as a person sees it: spawn a command in a real terminal (a
pseudo-terminal of 80x24), wait for its first frame on the screen, press ctrl+q, wait for the
process to end. Nothing in the measured program is changed or told it is measured.

`time_in_terminal(argv, env, first_frame)` returns (seconds to the first frame, seconds to exit).
The first frame is the moment the output holds `first_frame`, a text only the first full frame
writes (the tab strip's last tab for the dashboard, "Hello" for the minimal app).
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import termios
import time

SIZE = (80, 24)  # the reference terminal
TIMEOUT = 30.0


def time_in_terminal(
    argv: list[str], env: dict[str, str], first_frame: bytes
) -> tuple[float, float]:
    master, slave = pty.openpty()
    columns, rows = SIZE
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    env = {**env, "TERM": "xterm-256color", "COLORTERM": "truecolor"}
    start = time.perf_counter()
    process = subprocess.Popen(
        argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
    )
    os.close(slave)
    seen = b""
    try:
        framed = 0.0
        deadline = start + TIMEOUT
        while not framed:
            seen += _read(master, deadline, argv, seen)
            if first_frame in seen:
                framed = time.perf_counter() - start
        os.write(master, b"\x11")  # ctrl+q
        while process.poll() is None:
            _read(master, deadline, argv, seen)  # drain, or the program blocks writing
        return framed, time.perf_counter() - start
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(master)


def _read(master: int, deadline: float, argv: list[str], seen: bytes) -> bytes:
    left = deadline - time.perf_counter()
    if left <= 0:
        tail = seen[-400:].decode("utf-8", "replace")
        raise RuntimeError(f"{' '.join(argv)}: no first frame in {TIMEOUT:.0f} s: {tail!r}")
    ready, _, _ = select.select([master], [], [], min(left, 0.5))
    if not ready:
        return b""
    try:
        return os.read(master, 65536)
    except OSError:  # the program ended: the terminal is closed
        return b""
