"""The Sentry bridge as Sentry sees it: `pushover-tui bridge` in its own process, on a simulator.

Usage: _bridge_bench.py SIM_ROOT_URL WEBHOOKS SECONDS SLOW. Config and data folders come from the
environment (PUSHOVER_TUI_CONFIG with a [bridge] table, PUSHOVER_TUI_DATA). Three runs:

1. WEBHOOKS signed event alerts spread evenly over SECONDS, each on a new connection (as Sentry
   does): every reply's time, then the deliveries the simulator received (each exactly once?).
2. Three 503s queued, alert A, then emergency B once A's first attempt failed: the time from B's
   202 to B's arrival at the simulator.
3. SLOW connections each sending half a request head, then one good webhook: its reply time,
   and how many of the slow ones the bridge still held open at that moment.

Prints one JSON line.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

from pushover_tui.bridge.sentry import sign

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "sentry" / "event_alert.json"
SECRET = "bench-client-secret-0123456789abcdef"


def webhook(n: int, *, title: str, level: str = "warning") -> bytes:
    body = json.loads(FIXTURE.read_text())
    event = copy.deepcopy(body["data"]["event"])
    issue = str(5000 + n)
    event.update(
        event_id=f"{n:032x}",
        issue_id=issue,
        title=title,
        level=level,
        tags=[["level", level]],
        web_url=f"https://sentry.io/organizations/acme/issues/{issue}/events/{n:032x}/",
    )
    body["data"]["event"] = event
    return json.dumps(body).encode()


def headers(body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "Sentry-Hook-Resource": "event_alert",
        "Sentry-Hook-Signature": sign(body, SECRET),
    }


def start_bridge(log: Path) -> tuple[subprocess.Popen[str], str]:
    command = [str(Path(sys.executable).parent / "pushover-tui"), "bridge", "--port", "0"]
    if not Path(command[0]).exists():
        command = [sys.executable, "-m", "pushover_tui", "bridge", "--port", "0"]
    process = subprocess.Popen(
        command,
        env={**os.environ, "SENTRY_CLIENT_SECRET": SECRET, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=log.open("w"),
        text=True,
    )
    assert process.stdout is not None
    banner = process.stdout.readline()
    if "POST http://" not in banner:
        process.kill()
        raise RuntimeError(f"the bridge did not start: {log.read_text()[-1500:]}")
    url = banner.split("POST ", 1)[1].split("/sentry", 1)[0]
    return process, url


async def post(url: str, body: bytes) -> tuple[float, int]:
    """One webhook on a new connection, as Sentry sends them: (seconds to the status line,
    status). Plain asyncio streams, so the timing is the bridge's, not an HTTP client's."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    head = "".join(f"{name}: {value}\r\n" for name, value in headers(body).items())
    request = (
        f"POST /sentry HTTP/1.1\r\nHost: {host}\r\n{head}Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode() + body
    start = time.perf_counter()
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(request)
        status_line = await reader.readline()
        elapsed = time.perf_counter() - start
        await reader.read()
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    return elapsed, int(status_line.split()[1])


def sim_get(sim: str, path: str) -> list[dict[str, object]]:
    return httpx.get(f"{sim}/_sim/{path}", timeout=30).json()


def delivered_titles(sim: str) -> list[str]:
    return [str(message.get("title", "")) for message in sim_get(sim, "messages")]


async def burst(url: str, sim: str, count: int, seconds: float) -> dict[str, object]:
    start = time.perf_counter()

    async def one(n: int) -> tuple[float, int]:
        await asyncio.sleep(max(0.0, start + n * seconds / count - time.perf_counter()))
        return await post(url, webhook(n, title=f"burst-{n}"))

    results = await asyncio.gather(*(one(n) for n in range(count)))
    replies = sorted(seconds for seconds, _ in results)
    statuses = {status for _, status in results}
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        sent = [t for t in delivered_titles(sim) if t.startswith("Bar: burst-")]
        if len(sent) >= count:
            break
        await asyncio.sleep(0.2)
    await asyncio.sleep(2.0)  # time for a duplicate to show up
    sent = [t for t in delivered_titles(sim) if t.startswith("Bar: burst-")]
    return {
        "replies": len(replies),
        "statuses": sorted(statuses),
        "p50_s": statistics.median(replies),
        "p99_s": replies[min(len(replies) - 1, int(len(replies) * 0.99))],
        "max_s": replies[-1],
        "deliveries": len(sent),
        "distinct": len(set(sent)),
    }


async def emergency_behind_failing(url: str, sim: str) -> dict[str, object]:
    httpx.post(f"{sim}/_sim/fault", data={"kind": "503", "count": "3"}, timeout=30)
    failed_before = sum(1 for r in sim_get(sim, "requests") if r.get("status") == 503)
    _, status = await post(url, webhook(9001, title="failing-A"))
    assert status == 202, status
    while sum(1 for r in sim_get(sim, "requests") if r.get("status") == 503) == failed_before:
        await asyncio.sleep(0.01)
    _, status = await post(url, webhook(9002, title="emergency-B", level="fatal"))
    accepted = time.perf_counter()
    assert status == 202, status
    while "Bar: emergency-B" not in delivered_titles(sim):
        if time.perf_counter() - accepted > 600:
            raise RuntimeError("emergency B was never sent")
        await asyncio.sleep(0.01)
    delay = time.perf_counter() - accepted
    a_sent = "Bar: failing-A" in delivered_titles(sim)
    return {"delay_s": delay, "a_sent_before_b": a_sent}


async def slow_clients(url: str, count: int) -> dict[str, object]:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    sockets = []
    try:
        for _ in range(count):
            sock = socket.create_connection((host, int(port)))
            sock.sendall(b"POST /sentry HTTP/1.1\r\nHost: bridge\r\nContent-Ty")
            sockets.append(sock)
        await asyncio.sleep(0.5)  # let the bridge take them all in
        reply, status = await post(url, webhook(9100, title="good-webhook"))
        held = 0
        for sock in sockets:
            sock.setblocking(False)
            try:
                if sock.recv(64) == b"":
                    continue  # closed by the bridge
            except BlockingIOError:
                held += 1  # nothing to read: still open
                continue
            except ConnectionResetError:
                continue
        return {"reply_s": reply, "status": status, "opened": count, "held": held}
    finally:
        for sock in sockets:
            sock.close()


async def main(sim: str, count: int, seconds: float, slow: int) -> dict[str, object]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, slow + 1024)), hard))
    log = Path(os.environ["PUSHOVER_TUI_DATA"]).parent / "bridge.log"
    process, url = start_bridge(log)
    try:
        result: dict[str, object] = {"burst": await burst(url, sim, count, seconds)}
        result["emergency"] = await emergency_behind_failing(url, sim)
        result["slow"] = await slow_clients(url, slow)
    finally:
        process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(20)
        if process.poll() is None:
            process.kill()
    return result


if __name__ == "__main__":
    sim_url, webhooks, seconds, slow = (
        sys.argv[1],
        int(sys.argv[2]),
        float(sys.argv[3]),
        int(sys.argv[4]),
    )
    print(json.dumps(asyncio.run(main(sim_url, webhooks, seconds, slow))), flush=True)
