"""The receipt tracker alone (outbox + client + history), following 50 open emergencies.

Usage: _tracker_run.py SECONDS RECEIPTS [--follow]. Config and data folders come from the
environment (PUSHOVER_TUI_CONFIG / PUSHOVER_TUI_DATA, pointing at a simulator with ack_after=0).
Sends the emergencies, then measures this process's CPU time while the tracker polls for SECONDS.
With --follow it sends nothing: it follows the profile's receipts as the dashboard does
(`resume`), those another process sends meanwhile included.
Prints one JSON line: cpu_s, wall_s, tracked, followed.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import sys
import time

from pushover_tui.api.models import Message, Priority
from pushover_tui.outbox import Outbox
from pushover_tui.store.config import data_dir, load_config, resolve


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def main(seconds: float, receipts: int, follow: bool) -> dict[str, float]:
    active = resolve(load_config(env=os.environ), None, env=os.environ)
    async with Outbox.open(active, data_dir(os.environ), origin="cli") as outbox:
        followed: set[int] = set()
        outbox.tracker.add_listener(lambda row: followed.add(row.id))
        if follow:
            await outbox.tracker.resume(active.profile.name)
            receipts = 0
        for index in range(receipts):
            message = Message(
                message=f"emergency {index}",
                title="bench",
                priority=Priority.EMERGENCY,
                retry=60,
                expire=3600,
            )
            await outbox.send(message)
        cpu = cpu_seconds()
        wall = time.perf_counter()
        await asyncio.sleep(seconds)
        result = {
            "cpu_s": cpu_seconds() - cpu,
            "wall_s": time.perf_counter() - wall,
            "tracked": outbox.tracker.tracked,
            "followed": len(followed),
        }
    return result


if __name__ == "__main__":
    result = asyncio.run(main(float(sys.argv[1]), int(sys.argv[2]), "--follow" in sys.argv[3:]))
    print(json.dumps(result), flush=True)
