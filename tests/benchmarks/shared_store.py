"""Issue 23's shared-store figures, printed (not timed tests):

1. live: a row host A commits reaches host B (another process) within 1 s: by the store's
   subscription (LISTEN/NOTIFY, what the dashboard's lists hang on), and on B's dashboard, its
   History list showing the row (median and max over --rows rows).
2. receipt: one open emergency followed from 3 processes at once for --seconds: every poll the
   simulator saw of that receipt, and the smallest gap between two (the team's rule: >= 5 s).

    python tests/benchmarks/shared_store.py [--url URL] [--rows N] [--seconds S]

Without --url it starts a throwaway PostgreSQL from pgserver (the dev extra). Each figure runs on
a fresh database. Exit status: 0 when every figure meets its target, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from itertools import pairwise
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import SimulatorProcess, write_config  # noqa: E402

PYTHON = sys.executable


def fresh_database(url: str, name: str) -> str:
    """Create database `name` on the server of `url`; its URL."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {name}")
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def start_listener(env: dict[str, str], url: str, rows: int, *options: str) -> subprocess.Popen:
    process = subprocess.Popen(
        [PYTHON, str(HERE / "_store_listener.py"), url, str(rows), *options],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if line != "ready":
        process.kill()
        raise RuntimeError(f"host B did not start: {line!r}")
    return process


def live(url: str, rows: int, env: dict[str, str], *options: str) -> list[float]:
    from pushover_tui.api.models import Message
    from pushover_tui.store.postgres import PostgresStore
    from pushover_tui.store.url import StoreURL

    listener = start_listener({**env, "PUSHOVER_TUI_STORE": url}, url, rows, *options)
    with PostgresStore(StoreURL(url)) as host_a:
        for _ in range(rows):
            time.sleep(0.3)
            host_a.record_sending(Message(f"at {time.time()!r}"), profile="bench", origin="cli")
    out, _ = listener.communicate(timeout=180)
    return json.loads(out.strip().splitlines()[-1])


def receipt_polls(url: str, seconds: float, folder: Path) -> list[float]:
    sim = SimulatorProcess(folder, ack_after=0)  # never acknowledged: followed all along
    try:
        env = {**write_config(folder / "team", sim.base_url), "PUSHOVER_TUI_STORE": url}
        sent = subprocess.run(
            [PYTHON, "-m", "pushover_tui", "send", "--priority", "2", "--retry", "30",
             "--expire", "3600", "--json", "one receipt, three followers"],
            capture_output=True, text=True, env=env, timeout=60, check=True,
        )  # fmt: skip
        receipt = json.loads(sent.stdout)["receipt"]
        followers = [
            subprocess.Popen(
                [PYTHON, str(HERE / "_store_follower.py"), str(seconds)],
                stdout=subprocess.PIPE,
                text=True,
                # Each its own data folder: three hosts.
                env={**env, "PUSHOVER_TUI_DATA": str(folder / f"host-{index}")},
            )
            for index in range(3)
        ]
        for follower in followers:
            out, _ = follower.communicate(timeout=seconds + 60)
            assert json.loads(out)["followed"] == 1, out
        return sorted(
            float(request["time"])
            for request in sim.requests()
            if request["method"] == "GET" and request["path"] == f"/1/receipts/{receipt}.json"
        )
    finally:
        sim.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a PostgreSQL server to use (default: start one)")
    parser.add_argument("--rows", type=int, default=30, help="rows host A writes (default 30)")
    parser.add_argument("--seconds", type=float, default=26.0, help="receipt follow time")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="pushover-tui-bench-"))
    server = None
    try:
        url = args.url
        if url is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                import pgserver

                server = pgserver.get_server(folder / "pg", cleanup_mode="stop")
            url = server.get_uri()
        sim = SimulatorProcess(folder)
        try:
            env = write_config(folder / "dashboard", sim.base_url)
            listener = live(fresh_database(url, "bench_live"), args.rows, env)
            dashboard = live(fresh_database(url, "bench_dashboard"), args.rows, env, "--dashboard")
        finally:
            sim.stop()
        polls = receipt_polls(fresh_database(url, "bench_receipt"), args.seconds, folder)
    finally:
        if server is not None:
            server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)

    gaps = [later - earlier for earlier, later in pairwise(polls)]
    figures = [
        ("live, host B's listener", listener, 1.0),
        ("live, host B's dashboard (History)", dashboard, 1.0),
    ]
    ok = True
    print(f"{'figure':<40} {'median':>9} {'max':>9}  target    result")
    for name, values, target in figures:
        passed = len(values) == args.rows and max(values) < target
        ok &= passed
        print(
            f"{name:<40} {statistics.median(values) * 1000:>7.0f}ms {max(values) * 1000:>7.0f}ms"
            f"  < {target:.0f} s     {'pass' if passed else 'FAIL'} ({len(values)} rows)"
        )
    smallest = min(gaps) if gaps else float("nan")
    passed = len(polls) >= 2 and smallest >= 5.0
    ok &= passed
    median_gap = statistics.median(gaps) if gaps else float("nan")
    print(
        f"{'receipt from 3 processes: polls':<40} {len(polls):>9} in {args.seconds:g} s;"
        f" gaps: median {median_gap:.2f} s, smallest {smallest:.2f} s (target >= 5 s)"
        f"  {'pass' if passed else 'FAIL'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
