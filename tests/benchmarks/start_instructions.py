"""Start-up in instructions: what figure 1 measures in wall time (spawn to the first frame, in an
80x24 pseudo-terminal, against the minimal Textual app), counted by valgrind (callgrind), so that
a change can be judged on a busy machine: the counts move by about 0.1% between runs, whatever
the load. Wall time is still the figure (run.py --only start); this is for comparing changes.

    python tests/benchmarks/start_instructions.py [--demo] [--tree PATH]

Each program ends itself at its first frame (Textual's Ready), so nothing after it is counted:
the dashboard through `_start_probe.py`, which runs `pushover-tui` as its console script does.
`--tree` measures another checkout of the project (e.g. a `git worktree` of the commit before a
change) with this interpreter. Needs valgrind; takes about 15 s a program.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import tempfile
import termios
from pathlib import Path

from _common import HERE, write_config


def instructions(argv: list[str], env: dict[str, str], folder: Path) -> int:
    log = folder / "callgrind.log"
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    command = [
        "valgrind",
        "--tool=callgrind",
        f"--callgrind-out-file={folder / 'callgrind.out'}",
        f"--log-file={log}",
        sys.executable,
        *argv,
    ]
    env = {**env, "TERM": "xterm-256color", "COLORTERM": "truecolor"}
    process = subprocess.Popen(
        command, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
    )
    os.close(slave)
    try:
        while process.poll() is None:  # drain the terminal, or the program blocks writing
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    os.read(master, 65536)
                except OSError:
                    break
        process.wait(timeout=120)
    finally:
        os.close(master)
    found = re.search(r"Collected : (\d+)", log.read_text())
    if found is None:
        raise SystemExit(f"valgrind counted nothing: {log.read_text()[-400:]}")
    return int(found.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", action="store_true", help="pushover-tui --demo")
    parser.add_argument("--tree", type=Path, help="the checkout to measure (default: this one)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="pushover-tui-instructions-"))
    # Keys set (figure 1b: Compose first); the API is never reached before the first frame.
    env = write_config(folder, "http://127.0.0.1:9")
    tree = (args.tree or HERE.parents[1]).resolve()
    # Compiled first: a module compiled while measured would count its compilation.
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(tree / "pushover_tui")], check=True
    )
    probe = [str(HERE / "_start_probe.py"), str(tree), *(["--demo"] if args.demo else [])]
    mine = instructions(probe, env, folder)
    theirs = instructions([str(HERE / "_start_probe.py"), "minimal"], env, folder)
    name = "pushover-tui --demo" if args.demo else "pushover-tui (keys set)"
    print(f"{name}: {mine / 1e6:,.0f} M instructions to the first frame ({tree})")
    print(f"minimal Textual app: {theirs / 1e6:,.0f} M")
    print(f"ratio: {mine / theirs:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
