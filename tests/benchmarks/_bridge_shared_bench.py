"""Bridges sharing one PostgreSQL queue (issue 23), as Sentry and a load balancer see them.

Usage: _bridge_shared_bench.py SIM_ROOT_URL WEBHOOKS SECONDS [BRIDGES]. The config comes from the
environment (PUSHOVER_TUI_CONFIG with a [bridge] table); each bridge gets its own data folder
next to PUSHOVER_TUI_DATA. A throwaway PostgreSQL (pgserver, the dev extra) holds the queue and
the history; PUSHOVER_TUI_STORE points every bridge at it.

BRIDGES (3) `pushover-tui bridge` processes; WEBHOOKS signed event alerts spread evenly over
SECONDS, round-robin across them, each on a new connection. Half-way through one bridge is
killed -9; what was meant for it goes to the next one, as nginx does when an upstream refuses a
connection or answers 503 (README's example). Then: every accepted alert delivered? how many
twice, against the alerts the killed bridge held claimed at the kill (its in-flight sends, the
only ones that may repeat)? Reply times p50/p99/max, from the first try to the final answer.

Prints one JSON line.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _bridge_bench import SECRET, delivered_titles, post, webhook  # noqa: E402


def start_postgres(folder: Path) -> tuple[object, str]:
    with warnings.catch_warnings():  # platformdirs: no XDG_RUNTIME_DIR when run as root
        warnings.simplefilter("ignore")
        import pgserver

    server = pgserver.get_server(folder, cleanup_mode="stop")
    server.psql("CREATE DATABASE bridges;")
    return server, server.get_uri("bridges")


def start_bridge(env: dict[str, str], data: Path, log: Path) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "pushover_tui", "bridge", "--port", "0"]
    process = subprocess.Popen(
        command,
        env={
            **env,
            "PUSHOVER_TUI_DATA": str(data),
            "SENTRY_CLIENT_SECRET": SECRET,
            "PYTHONUNBUFFERED": "1",
        },
        stdout=subprocess.PIPE,
        stderr=log.open("w"),
        text=True,
    )
    assert process.stdout is not None
    banner = process.stdout.readline()
    if "POST http://" not in banner:
        process.kill()
        raise RuntimeError(f"a bridge did not start: {log.read_text()[-1500:]}")
    url = banner.split("POST ", 1)[1].split("/sentry", 1)[0]
    deadline = time.monotonic() + 30
    while True:  # serving (as a balancer's health check sees it): the burst hits running bridges
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/health", timeout=5).status_code == 200:
                return process, url
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"a bridge is not healthy: {log.read_text()[-1500:]}")
        time.sleep(0.1)


def claimed_by(url: str, pid: int) -> int:
    """Alerts the bridge with `pid` holds claimed and has not finished: its in-flight sends."""
    import psycopg

    with psycopg.connect(url) as connection:
        (count,) = connection.execute(
            "SELECT count(*) FROM alerts WHERE status = 'pending' AND leased_by LIKE %s"
            " AND lease_until > extract(epoch FROM now())",
            (f"%:{pid}:%",),
        ).fetchone()
    return int(count)


async def burst(
    urls: list[str],
    processes: list[subprocess.Popen[str]],
    store: str,
    sim: str,
    count: int,
    seconds: float,
) -> dict[str, object]:
    start = time.perf_counter() + 1.0  # every coroutine made and asleep before the first send
    victim = len(urls) // 2
    dead: set[int] = set()
    killed: dict[str, int] = {}

    async def kill_half_way() -> None:
        await asyncio.sleep(start + seconds / 2 - time.perf_counter())
        process = processes[victim]
        process.send_signal(signal.SIGKILL)
        dead.add(victim)
        await asyncio.to_thread(process.wait)
        killed["in_flight"] = await asyncio.to_thread(claimed_by, store, process.pid)

    async def one(n: int) -> tuple[float, int, bool]:
        """(seconds from the first try to the final answer, its status, moved to another)."""
        await asyncio.sleep(max(0.0, start + n * seconds / count - time.perf_counter()))
        began = time.perf_counter()
        target = n % len(urls)
        moved, status = False, 0
        for step in range(len(urls)):
            index = (target + step) % len(urls)
            if index in dead:
                moved = True
                continue
            try:
                _, status = await post(urls[index], webhook(n, title=f"burst-{n}"))
            except (OSError, IndexError):  # refused, or cut off without a reply by the kill:
                dead.add(index)  # the balancer tries the next bridge (the same event's key
                moved = True  # makes it a duplicate there if the killed one had stored it)
                continue
            if status != 503:  # 503, not stored: nginx's proxy_next_upstream http_503
                break
            moved = True
        return time.perf_counter() - began, status, moved

    killer = asyncio.create_task(kill_half_way())
    results = await asyncio.gather(*(one(n) for n in range(count)))
    await killer
    accepted_at = time.perf_counter()
    replies = sorted(elapsed for elapsed, status, _ in results if status == 202)
    accepted = {f"Bar: burst-{n}" for n, (_, status, _) in enumerate(results) if status == 202}
    deadline = time.monotonic() + 150
    sent: list[str] = []
    while time.monotonic() < deadline:
        sent = [t for t in delivered_titles(sim) if t.startswith("Bar: burst-")]
        if accepted <= set(sent):
            break
        await asyncio.sleep(0.5)
    drained = time.perf_counter() - accepted_at
    await asyncio.sleep(3.0)  # time for a late duplicate to show up
    sent = [t for t in delivered_titles(sim) if t.startswith("Bar: burst-")]
    return {
        "bridges": len(urls),
        "webhooks": count,
        "statuses": sorted({status for _, status, _ in results}),
        "accepted": len(replies),
        "accepted_not_delivered": len(accepted - set(sent)),
        "moved_to_another_bridge": sum(1 for _, _, moved in results if moved),
        "p50_ms": statistics.median(replies) * 1000,
        "p99_ms": replies[min(len(replies) - 1, int(len(replies) * 0.99))] * 1000,
        "max_ms": replies[-1] * 1000,
        "in_flight_at_kill": killed.get("in_flight", -1),
        "deliveries": len(sent),
        "distinct": len(set(sent)),
        "duplicates": len(sent) - len(set(sent)),
        "all_delivered_s_after_burst": round(drained, 1),
    }


async def main(sim: str, count: int, seconds: float, bridges: int) -> dict[str, object]:
    folder = Path(tempfile.mkdtemp(prefix="pushover-tui-bridges-"))
    server, store = start_postgres(folder / "pg")
    env = {**os.environ, "PUSHOVER_TUI_STORE": store}
    base = Path(os.environ["PUSHOVER_TUI_DATA"])
    processes: list[subprocess.Popen[str]] = []
    try:
        urls = []
        for n in range(bridges):
            log = folder / f"bridge-{n}.log"
            process, url = start_bridge(env, base.with_name(f"data-{n}"), log)
            processes.append(process)
            urls.append(url)
        return await burst(urls, processes, store, sim, count, seconds)
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(20)
            if process.poll() is None:
                process.kill()
        server.cleanup()  # type: ignore[attr-defined]
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sim_url, webhooks, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    bridges = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    print(json.dumps(asyncio.run(main(sim_url, webhooks, seconds, bridges))), flush=True)
