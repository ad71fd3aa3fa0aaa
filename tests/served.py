"""Drive `pushover-tui serve` in the machine's Chromium (Playwright): shared by the browser tests
(tests/test_serve_browser.py), the memory benchmark (tests/benchmarks/serve_memory.py) and the
browser screenshots (`python screenshots/generate.py --browser`).

Playwright never downloads a browser here: it runs Debian's `chromium` (`.ci/run` installs it).
The dashboard draws on a canvas, so a tab reads the screen from the websocket: the terminal
output the dashboard sent, escape sequences and all, in which each drawn word appears as is.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page, WebSocket

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    for name in CHROMIUM_NAMES:
        if path := shutil.which(name):
            return path
    return None


def why_no_browser() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    try:
        import playwright  # noqa: F401
        import textual_serve  # noqa: F401
    except ImportError as error:
        return f"{error.name} is not installed (pip install -e '.[dev]')"
    if find_chromium() is None:
        return "no Chromium found (apt-get install chromium; .ci/run does it as root)"
    return None


async def wait_for(condition: Callable[[], object], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout:.0f} s for {what}")
        await asyncio.sleep(0.05)


def children(pid: int) -> list[int]:
    """The live processes whose parent is `pid` (a zombie is over: not counted)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise ValueError(f"no VmRSS for process {pid}")


class Server:
    """`pushover-tui serve` in a process of its own, on a free port: `url` carries the token."""

    def __init__(self, options: Sequence[str], env: Mapping[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pushover_tui", "serve", "--port", "0", *options],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, **env},
            text=True,
        )
        assert self.process.stdout is not None
        lines = [self.process.stdout.readline() for _ in range(2)]
        found = re.search(r"http://\S+", lines[1])
        if found is None:
            self.process.kill()
            raise RuntimeError(f"serve printed no address: {lines} {self.process.stderr}")
        self.url = found.group(0)
        self.base, self.token = self.url.split("?token=")

    @property
    def pid(self) -> int:
        return self.process.pid

    def dashboards(self) -> list[int]:
        return children(self.pid)

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> float:
        """Send `sig` and wait for the server to exit; returns how long that took."""
        start = time.monotonic()
        self.process.send_signal(sig)
        self.process.wait(timeout=15)
        return time.monotonic() - start

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


class Tab:
    """A browser tab on the served dashboard: what the dashboard sent, as text."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.received: list[str] = []
        self.socket_closed = False
        page.on("websocket", self._follow)

    def _follow(self, socket: WebSocket) -> None:
        def frame(payload: str | bytes) -> None:
            text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload
            self.received.append(text)

        socket.on("framereceived", frame)
        socket.on("close", lambda _socket: setattr(self, "socket_closed", True))

    @property
    def text(self) -> str:
        return "".join(self.received)

    async def wait_for_text(self, text: str, timeout: float = 20.0) -> None:
        start = len(self.received)
        await wait_for(lambda: text in "".join(self.received[start:]), repr(text), timeout)

    async def open(self, url: str, ready: str = "Send test") -> None:
        """Load the page, wait for the dashboard to draw `ready` (its websocket is open then),
        give it the keyboard as a click would, and wait for the footer, which Textual draws
        once the app has the focus."""
        response = await self.page.goto(url)
        assert response is not None and response.status == 200, response and response.status
        await wait_for(lambda: ready in self.text, f"the dashboard to show {ready!r}")
        await self.page.focus(".xterm-helper-textarea")
        await wait_for(lambda: "palette" in self.text, "the dashboard's footer")


async def new_tab(browser: Browser, width: int = 1200, height: int = 800) -> Tab:
    """A tab in a browser profile of its own (no cookie yet)."""
    context = await browser.new_context(viewport={"width": width, "height": height})
    return await tab_in(context)


async def tab_in(context: BrowserContext) -> Tab:
    """Another tab of the same browser profile (its cookies)."""
    page = await context.new_page()
    # The page asks Google for a font: no network here, so fail it at once, not after a timeout.
    await page.route(re.compile(r"^https?://(?!127\.0\.0\.1|localhost|\[::1\])"), _abort)
    return Tab(page)


async def _abort(route: object) -> None:
    await route.abort()  # type: ignore[attr-defined]


def launch_options() -> dict[str, object]:
    return {"executable_path": find_chromium()}


def stop_processes(*pids: int) -> None:
    """Tests' own clean-up: kill what a failed test left running."""
    for pid in pids:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
