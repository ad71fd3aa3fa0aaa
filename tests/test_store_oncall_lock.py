"""On a shared PostgreSQL, on-call swaps of one group are one at a time across hosts: the
group's lock is an advisory lock on the store (store/locks.oncall_lock picks it), not a file of
one machine's data folder."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pushover_tui.api.secret import Secret
from pushover_tui.simulator import Member, Simulator
from pushover_tui.store.locks import GroupBusyError, oncall_lock
from pushover_tui.store.url import StoreURL

GROUP = "gznej3rKEVAvPUxu9vvNnqpmZpokzF"
OTHER_GROUP = "gOtherGroupKey0000000000000000"
ROOT = Path(__file__).resolve().parents[1]


async def test_one_swap_of_a_group_at_a_time_across_hosts(tmp_path: Path, postgres_url: str):
    url = StoreURL(postgres_url)
    order: list[str] = []
    first_in = asyncio.Event()

    async def swap(host: str, *, first: bool) -> None:
        if not first:
            await first_in.wait()  # B asks while A holds it
        async with oncall_lock(tmp_path / host, url, Secret(GROUP)):
            order.append(f"{host} in")
            if first:
                first_in.set()
                await asyncio.sleep(0.3)
            order.append(f"{host} out")

    await asyncio.gather(swap("A", first=True), swap("B", first=False))
    assert order == ["A in", "A out", "B in", "B out"]


async def test_another_group_is_not_held_up(tmp_path: Path, postgres_url: str):
    url = StoreURL(postgres_url)
    async with (
        oncall_lock(tmp_path / "A", url, Secret(GROUP)),
        oncall_lock(tmp_path / "B", url, Secret(OTHER_GROUP), wait=1),
    ):
        pass


async def test_a_wait_too_long_is_one_sentence(tmp_path: Path, postgres_url: str):
    url = StoreURL(postgres_url)
    async with oncall_lock(tmp_path / "A", url, Secret(GROUP)):
        with pytest.raises(GroupBusyError) as raised:
            async with oncall_lock(tmp_path / "B", url, Secret(GROUP), wait=0.2):
                pass
    text = str(raised.value)
    assert "another host sharing postgresql://postgres:***@" in text
    assert url.password() not in text and GROUP not in text
    async with oncall_lock(tmp_path / "B", url, Secret(GROUP), wait=1):
        pass  # released when the first swap ended


def test_two_hosts_swapping_at_once_leave_exactly_one_on_call(
    isolated_env, demo_config, simulator: Simulator, postgres_url: str
):
    members = []
    for n in range(40):
        key = f"uOnCall{n:023d}"
        simulator.add_user(key, ("phone",))
        members.append(Member(key, None, f"M{n:03d}"))
    simulator.add_group("big", members)
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "pushover_tui", "group", "oncall", "big", who, "--json"],
            env={
                **os.environ,
                **isolated_env,
                "PYTHONPATH": str(ROOT),
                "PUSHOVER_TUI_STORE": postgres_url,
                "PUSHOVER_TUI_DATA": str(Path(isolated_env["PUSHOVER_TUI_DATA"]) / host),
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for host, who in (("host-a", "M001"), ("host-b", "M002"))
    ]
    results = [process.communicate(timeout=60) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], [e for _, e in results]
    nows = [[m["memo"] for m in json.loads(out)["now"]] for out, _ in results]
    assert sorted(nows) == [["M001"], ["M002"]]
    [group] = [g for g in simulator.groups.values() if g.name == "big"]
    assert [m.memo for m in group.members if not m.disabled] in (["M001"], ["M002"])
