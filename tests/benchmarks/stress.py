"""Stress: thousands of sends through one Outbox to the simulator, with random faults injected.

    python tests/benchmarks/stress.py [--sends 5000] [--fault-rate 0.1] [--concurrency 8]

The real pipeline and retry policy, with the 5 s retry gap patched to a few milliseconds and the
client timeout to 0.1 s (for "hang" faults). Prints sends tried, faults injected, outcomes recorded
by kind, rows lost (must be 0) and secret hits (must be 0); exits 1 if either is not 0.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import io
import logging
import random
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from pushover_tui.api import client as client_module
from pushover_tui.api.errors import FieldProblemsError, PushoverError
from pushover_tui.api.models import Message, Priority
from pushover_tui.api.secret import Secret
from pushover_tui.outbox import Outbox
from pushover_tui.simulator import Simulator
from pushover_tui.store.config import Config, Profile, resolve
from pushover_tui.store.history import Status

TOKEN = "StressSentinelTokenQ7w2E9r4T6x"
USER = "StressSentinelUserKeyZ3x8C5v1y"
FAULTS = ("500", "502", "503", "hang", "drop", "html", "redirect", "429")
# "hang" costs a real client timeout per attempt: keep it rarer than the rest.
WEIGHTS = (4, 4, 4, 1, 4, 2, 2, 2)


def classify(error: str) -> str:
    for needle, kind in (
        ("did not answer", "timeout"),
        ("Cannot reach", "no connection"),
        ("redirect", "redirect"),
        ("Unexpected response", "not JSON"),
        ("quota", "quota"),
        ("HTTP 5", "server error"),
    ):
        if needle in error:
            return kind
    return "other: " + error[:60]


async def run(args: argparse.Namespace) -> int:
    rng = random.Random(args.seed)
    client_module.RETRY_GAP = args.retry_gap
    log_buffer = io.StringIO()
    handler = logging.StreamHandler(log_buffer)
    logging.getLogger().addHandler(handler)
    for name in ("", "httpx", "httpcore", "pushover_tui"):
        logging.getLogger(name).setLevel(logging.DEBUG if name else logging.INFO)
    sim_log: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="pushover-tui-stress-"))

    async def quick_sleep(seconds: float) -> None:
        await asyncio.sleep(min(seconds, args.retry_gap))

    with Simulator(ack_after=0.05, monthly_limit=10**9, log=sim_log.append) as sim:
        sim.add_app(TOKEN)
        sim.add_user(USER, ("iphone", "pixel"))
        profile = Profile(name="stress", token=Secret(TOKEN), user=Secret(USER))
        config = Config(path=folder / "config.toml", default_profile="stress", profiles=(profile,))
        active = resolve(config, api_url=sim.base_url, env={})
        outbox = Outbox.open(active, folder, origin="cli", sleep=quick_sleep, timeout=0.1)
        injected: collections.Counter[str] = collections.Counter()
        raised: collections.Counter[str] = collections.Counter()
        tried = 0
        started = time.perf_counter()

        async def one(index: int) -> None:
            nonlocal tried
            emergency = rng.random() < 0.01
            message = Message(
                f"stress {index}",
                title=rng.choice(["", "disk", "backup", "ünïcødé ✓"]),
                priority=Priority.EMERGENCY if emergency else rng.choice([-2, -1, 0, 1]),
                retry=30 if emergency else None,
                expire=60 if emergency else None,
            )
            tried += 1
            try:
                await outbox.send(message)
            except FieldProblemsError:
                raised["field problems (bug)"] += 1
            except PushoverError as error:
                raised[type(error).__name__] += 1
            except Exception as error:  # anything else is a bug the stress run must show
                raised[f"UNEXPECTED {type(error).__name__}"] += 1

        async with outbox:
            for start in range(0, args.sends, args.concurrency):
                batch = range(start, min(start + args.concurrency, args.sends))
                for _ in batch:
                    if rng.random() < args.fault_rate:
                        kind = rng.choices(FAULTS, WEIGHTS)[0]
                        sim.inject_fault(kind, seconds=0.3)
                        injected[kind] += 1
                await asyncio.gather(*(one(index) for index in batch))
                sim.release()
            # Let the tracker close the few emergencies (acknowledged after 0.05 s).
            for _ in range(200):
                if not outbox.tracker.tracked:
                    break
                await asyncio.sleep(0.01)
            duration = time.perf_counter() - started
            history = outbox.history
            rows = history.page(limit=args.sends * 2, oldest_first=True)
            connections = sim.connections_seen()
            delivered_list = [str(m["message"]) for m in sim.messages]
            delivered = set(delivered_list)
        history.close()

    by_text = {row.message: row for row in rows}
    wanted = {f"stress {index}" for index in range(args.sends)}
    missing = wanted - set(by_text)
    stuck = [row for row in rows if row.status in (Status.SENDING, Status.INTERRUPTED)]
    delivered_unrecorded = [text for text in delivered if by_text.get(text) is None]
    failed_but_delivered = [
        row for row in rows if row.status is Status.FAILED and row.message in delivered
    ]
    duplicates = sum(n - 1 for n in collections.Counter(delivered_list).values() if n > 1)
    outcomes: collections.Counter[str] = collections.Counter()
    for row in rows:
        outcomes["sent" if row.status is Status.SENT else f"failed: {classify(row.error)}"] += 1
    receipts = collections.Counter(
        str(row.receipt_state) for row in rows if row.receipt_state is not None
    )

    needles = {TOKEN, USER, quote(TOKEN), quote(USER), TOKEN[:12], USER[:12]}
    haystacks = {
        "history database": b"".join(p.read_bytes() for p in folder.iterdir() if p.is_file()),
        "logging": log_buffer.getvalue().encode(),
        "simulator log": "\n".join(sim_log).encode(),
        "recorded errors": "\n".join(row.error for row in rows).encode(),
    }
    secret_hits = sum(
        data.count(needle.encode()) for data in haystacks.values() for needle in needles
    )
    lost = len(missing) + len(stuck) + len(delivered_unrecorded)

    print(f"sends tried         {tried:,}")
    print(f"faults injected     {sum(injected.values()):,}  " + _counts(injected))
    print(f"rows recorded       {len(rows):,}")
    for kind, count in sorted(outcomes.items()):
        print(f"  {kind:<26}{count:>6,}")
    print(f"errors raised       {_counts(raised) or '-'}")
    print(f"emergency receipts  {_counts(receipts) or '-'}")
    print(
        f"failed, yet delivered {len(failed_but_delivered)}  "
        "(a timed-out request the server still finished: the known cost of retrying a timeout)"
    )
    print(f"delivered twice     {duplicates}  (same cause: a retry after a timeout)")
    print(
        f"connections opened  {connections}  (one client, at most 2 at a time; faults that drop "
        "or time out a request close its connection)"
    )
    print(
        f"rows lost           {lost}  (missing {len(missing)}, left sending {len(stuck)}, "
        f"delivered without a row {len(delivered_unrecorded)})"
    )
    print(f"secret hits         {secret_hits}")
    print(f"duration            {duration:.1f} s  ({tried / duration:,.0f} sends/s)")
    return 0 if lost == 0 and secret_hits == 0 and not any("UNEXPECTED" in k for k in raised) else 1


def _counts(counter: collections.Counter[str]) -> str:
    return ", ".join(f"{kind} {count:,}" for kind, count in sorted(counter.items()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sends", type=int, default=5000)
    parser.add_argument("--fault-rate", type=float, default=0.1, help="faults per send")
    parser.add_argument("--concurrency", type=int, default=8, help="sends in flight at once")
    parser.add_argument("--retry-gap", type=float, default=0.005, help="seconds (real: 5)")
    parser.add_argument("--seed", type=int, default=8)
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
