"""One of the processes following a receipt in the shared-store benchmark: what a dashboard or
`send --wait` does, the store's poll claims deciding which process polls.

Usage: _store_follower.py SECONDS. Config, data folder and PUSHOVER_TUI_STORE come from the
environment. Follows the profile's open receipts for SECONDS, then prints how many it followed.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

from pushover_tui.outbox import Outbox
from pushover_tui.store.config import data_dir, load_config, resolve
from pushover_tui.store.url import store_url


async def main(seconds: float) -> int:
    config = load_config(env=os.environ)
    active = resolve(config, None, env=os.environ)
    url = store_url(os.environ, config.store_url.reveal())
    async with Outbox.open(active, data_dir(os.environ), origin="cli", store_url=url) as outbox:
        followed = await outbox.tracker.resume(active.profile.name)
        await asyncio.sleep(seconds)
    return followed


if __name__ == "__main__":
    print(json.dumps({"followed": asyncio.run(main(float(sys.argv[1])))}), flush=True)
