"""1,000 sequential sends: PushoverClient vs a bare httpx.AsyncClient on one connection.

Usage: _client_bench.py BASE_URL SENDS ROUNDS. Alternates the two (order swapped every round)
after one warm-up each; prints one JSON line {"project": [s, ...], "reference": [s, ...]}.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

import httpx

from pushover_tui.api.client import PushoverClient
from pushover_tui.api.models import Message

TOKEN = "azGDORePK8gMaC0QOYAMyEEuzJnyUi"
USER = "uQiRzpo4DXghDmr9QzzfQu27cmVRsG"


def messages(count: int) -> list[Message]:
    return [Message(message=f"benchmark message {i}", title="bench") for i in range(count)]


async def project(base_url: str, batch: list[Message]) -> float:
    start = time.perf_counter()
    async with PushoverClient(TOKEN, base_url=base_url) as client:
        for message in batch:
            await client.send(USER, message)
    return time.perf_counter() - start


async def reference(base_url: str, batch: list[Message]) -> float:
    start = time.perf_counter()
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(limits=limits) as client:
        for message in batch:
            response = await client.post(
                base_url + "/messages.json", data={**message.form(), "token": TOKEN, "user": USER}
            )
            if response.json().get("status") != 1:
                raise RuntimeError(response.text)
    return time.perf_counter() - start


async def main(base_url: str, sends: int, rounds: int) -> dict[str, list[float]]:
    batch = messages(sends)
    await project(base_url, batch[:100])  # warm-up: imports, caches, the server's threads
    await reference(base_url, batch[:100])
    results: dict[str, list[float]] = {"project": [], "reference": []}
    for index in range(rounds):
        order = (project, reference) if index % 2 == 0 else (reference, project)
        for run in order:
            results[run.__name__].append(await run(base_url, batch))
    return results


if __name__ == "__main__":
    url, count, repeat = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    print(json.dumps(asyncio.run(main(url, count, repeat))), flush=True)
