"""Send to arrival in the inbox: one process sends through the outbox and receives through the
inbox (websocket `!`, download, store), as the dashboard will after Send test.

Usage: _inbox_arrival.py RUNS. Config and data folders come from the environment
(PUSHOVER_TUI_CONFIG / PUSHOVER_TUI_DATA, pointing at a simulator in another process). Logs in
to the simulator's demo account, then sends RUNS + 1 messages one after another (the first a
warm-up), each timed from just before `Outbox.send` to the inbox's Arrived event for it.
Prints one JSON line: seconds (a list of RUNS).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from dataclasses import replace

from pushover_tui.api.models import Message
from pushover_tui.api.secret import Secret
from pushover_tui.inbox import Arrived, Inbox, InboxEvent, InboxState, StatusChanged, log_in
from pushover_tui.outbox import Outbox
from pushover_tui.simulator import DEMO_EMAIL, DEMO_PASSWORD
from pushover_tui.store.config import data_dir, load_config, resolve


async def main(runs: int) -> dict[str, list[float]]:
    active = resolve(load_config(env=os.environ), None, env=os.environ)
    session = await log_in(active, DEMO_EMAIL, Secret(DEMO_PASSWORD), device_name="bench-inbox")
    active = replace(active, profile=replace(active.profile, inbox=session))
    folder = data_dir(os.environ)
    arrived: dict[str, float] = {}
    changed = asyncio.Event()

    def heard(event: InboxEvent) -> None:
        if isinstance(event, Arrived):
            arrived[event.row.message.message] = time.perf_counter()
        elif isinstance(event, StatusChanged) and event.state is not InboxState.CONNECTED:
            print(f"inbox: {event.state} {event.text}", file=sys.stderr)
        changed.set()

    async def until(condition) -> None:
        async with asyncio.timeout(30):
            while not condition():
                changed.clear()
                await changed.wait()

    seconds: list[float] = []
    async with (
        Outbox.open(active, folder, origin="cli") as outbox,
        Inbox.open(active, folder) as inbox,
    ):
        inbox.add_listener(heard)
        inbox.start()
        await until(lambda: inbox.state is InboxState.CONNECTED)
        await asyncio.sleep(0.2)  # the simulator reads the login frame in its own time
        for index in range(runs + 1):
            text = f"arrival {index}"
            start = time.perf_counter()
            await outbox.send(Message(text, title="bench"))
            await until(lambda text=text: text in arrived)
            if index:  # the first is a warm-up
                seconds.append(arrived[text] - start)
    return {"seconds": seconds}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(int(sys.argv[1])))), flush=True)
