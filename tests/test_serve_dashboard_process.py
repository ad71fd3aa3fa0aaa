"""A served dashboard's process ends for sure: one that ignores both the quit request and SIGTERM
is killed, within the 5 s a stop may take, with anything it started."""

from __future__ import annotations

import sys
import time

import pytest

pytest.importorskip("textual_serve", reason="the web extra is not installed")

from served import alive, children, wait_for
from textual_serve.download_manager import DownloadManager

from pushover_tui.web import Dashboard

STUBBORN = """
import signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])  # a child of its own
print("started", flush=True)
time.sleep(60)
"""


async def test_a_dashboard_that_ignores_quit_and_sigterm_is_killed_with_its_children() -> None:
    async def discard(_data: object) -> None:
        return None

    async def no_close() -> None:
        return None

    dashboard = Dashboard(
        (sys.executable, "-c", STUBBORN),
        write_bytes=discard,
        write_str=discard,
        close=no_close,
        download_manager=DownloadManager(),
    )
    await dashboard.start(80, 24)
    process = dashboard._process
    assert process is not None
    await wait_for(lambda: children(process.pid), "the dashboard's own child")
    (child,) = children(process.pid)
    start = time.monotonic()
    await dashboard.end()
    assert time.monotonic() - start < 5
    assert process.returncode is not None
    await wait_for(lambda: not alive(child), "its child to be gone", timeout=2)
