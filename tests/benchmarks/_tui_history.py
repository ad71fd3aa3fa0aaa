"""The history figures, in one process: open the history screen to the first frame that shows
the newest row, then End (oldest row shown) and Home (newest row shown again).

Prints one JSON line: open_s, jump_s, rss_before, rss_after, hwm (bytes, from /proc/self/status).
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import NEWEST_MARKER, OLDEST_MARKER, frame_text, vm_status
from textual.app import App

from pushover_tui.tui.app import build_app

TIMEOUT = 60.0


class Frames:
    """Watches every frame the app displays for a marker text."""

    def __init__(self) -> None:
        self.marker: str | None = None
        self.seen = asyncio.Event()
        self.at = 0.0

    def expect(self, marker: str) -> None:
        self.marker = marker
        self.seen.clear()

    def check(self, renderable: object) -> None:
        if self.marker is not None and self.marker in frame_text(renderable):
            self.at = time.perf_counter()
            self.marker = None
            self.seen.set()

    async def wait(self) -> float:
        await asyncio.wait_for(self.seen.wait(), TIMEOUT)
        return self.at


FRAMES = Frames()
_display = App._display


def _watching_display(self: App, screen: object, renderable: object) -> None:
    _display(self, screen, renderable)  # type: ignore[arg-type]
    if renderable is not None:
        FRAMES.check(renderable)


App._display = _watching_display  # type: ignore[method-assign]


async def main() -> dict[str, float]:
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()  # the start-up key check
        await pilot.pause()
        gc.collect()
        before = vm_status()

        FRAMES.expect(NEWEST_MARKER)
        start = time.perf_counter()
        app.switch_mode("history")
        opened = await FRAMES.wait() - start
        after = vm_status()
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()

        FRAMES.expect(OLDEST_MARKER)
        start = time.perf_counter()
        await pilot.press("end")
        await FRAMES.wait()
        FRAMES.expect(NEWEST_MARKER)
        await pilot.press("home")
        jumped = await FRAMES.wait() - start
        return {
            "open_s": opened,
            "jump_s": jumped,
            "rss_before": before["VmRSS"],
            "rss_after": after["VmRSS"],
            "hwm": after["VmHWM"],
        }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main())), flush=True)
