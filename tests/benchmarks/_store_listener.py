"""Host B of the shared-store benchmark: how soon a row host A commits reaches this process.

Usage: _store_listener.py URL COUNT [--dashboard]. Prints "ready" once listening, then one JSON
line: the seconds from each row's commit (its message holds time.time() at the commit) to the
moment this process has it: by the store's subscription (LISTEN/NOTIFY) and a read of the newest
row, or with --dashboard, to the moment the dashboard's History list shows it.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
import time

from pushover_tui.store.postgres import PostgresStore
from pushover_tui.store.url import StoreURL


def listen(url: str, count: int) -> list[float]:
    latencies: list[float] = []
    done = threading.Event()
    seen: set[int] = set()
    with PostgresStore(StoreURL(url)) as store:

        def heard() -> None:
            for row in store.page(limit=5):
                if row.id not in seen and row.message.startswith("at "):
                    seen.add(row.id)
                    latencies.append(time.time() - float(row.message[3:]))
            if len(latencies) >= count:
                done.set()

        store.subscribe(heard)
        store.listening.wait(10)
        print("ready", flush=True)
        done.wait(120)
    return latencies


async def watch_dashboard(count: int) -> list[float]:
    from pushover_tui.tui.app import build_app
    from pushover_tui.tui.history.screen import HistoryScreen
    from pushover_tui.tui.widgets.row_table import HistoryTable

    app = build_app(env=os.environ)
    latencies: list[float] = []
    async with app.run_test(size=(110, 36)) as pilot:
        await pilot.press("f4")
        while not isinstance(app.screen, HistoryScreen):
            await pilot.pause(0.01)
        while not app.session.history.listening.is_set():  # type: ignore[attr-defined]
            await pilot.pause(0.01)
        print("ready", flush=True)
        seen = 0
        deadline = time.monotonic() + 120
        while len(latencies) < count and time.monotonic() < deadline:
            table = app.screen.query_one(HistoryTable)
            if table.total > seen:
                now = time.time()
                seen = table.total
                newest = table.source.row(0) if table.source else None
                if newest is not None and newest.message.startswith("at "):
                    latencies.append(now - float(newest.message[3:]))
            await pilot.pause(0.005)
    return latencies


if __name__ == "__main__":
    url, count = sys.argv[1], int(sys.argv[2])
    if "--dashboard" in sys.argv[3:]:
        result = asyncio.run(watch_dashboard(count))
    else:
        result = listen(url, count)
    print(json.dumps(result), flush=True)
