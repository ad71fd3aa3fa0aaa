"""`group oncall` keeps someone on call whatever happens around it (issue 26 items 3-5): two
swaps of one group at once are serialized by the store's group lock; a swap is reported only
once the group, read again, shows it; SIGTERM and SIGHUP mid-swap are undone like Ctrl-C (exit
143 / 129). Real processes and real signals against the simulator."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pushover_tui import cli
from pushover_tui.api.client import PushoverClient
from pushover_tui.api.secret import Secret
from pushover_tui.simulator import Member, Simulator

ROOT = Path(__file__).resolve().parents[1]
WAIT = 60.0  # an upper bound for what must happen, never a measured time
SIZE = 150


def user_key(n: int) -> str:
    return f"uOnCall{n:023d}"


def memo(n: int) -> str:
    return f"M{n:03d}"


@pytest.fixture
def big(isolated_env, demo_config, simulator: Simulator) -> str:
    """A group of 150 members, all enabled; its name."""
    members = []
    for n in range(SIZE):
        simulator.add_user(user_key(n), ("phone",))
        members.append(Member(user_key(n), None, memo(n)))
    simulator.add_group("big", members)
    return "big"


def enabled(simulator: Simulator) -> list[str]:
    [group] = [g for g in simulator.groups.values() if g.name == "big"]
    return [m.memo for m in group.members if not m.disabled]


def oncall_process(env: dict[str, str], who: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pushover_tui", "group", "oncall", "big", who, "--json"],
        env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_swaps_at_once_leave_exactly_one_on_call(isolated_env, simulator, big):
    for _ in range(3):
        first, second = oncall_process(isolated_env, "M001"), oncall_process(isolated_env, "M002")
        results = [process.communicate(timeout=WAIT) for process in (first, second)]
        assert [first.returncode, second.returncode] == [0, 0], [err for _, err in results]
        # Each reports its own person on call, as the group was when it ended; the later one
        # is the one on call now.
        nows = [[m["memo"] for m in json.loads(out)["now"]] for out, _ in results]
        assert sorted(nows) == [["M001"], ["M002"]]
        assert enabled(simulator) in (["M001"], ["M002"])


@pytest.mark.parametrize(
    ("sig", "code"), [(signal.SIGTERM, cli.EXIT_TERMINATED), (signal.SIGHUP, cli.EXIT_HANGUP)]
)
def test_a_signal_mid_swap_is_undone_like_ctrl_c(isolated_env, simulator, big, sig, code):
    simulator.inject_fault("hang", 40, seconds=0.1)  # slow: the signal comes mid-swap
    process = oncall_process(isolated_env, "M000")
    try:
        deadline = time.monotonic() + WAIT
        while sum("disable_user" in r.path for r in simulator.requests) < 5:
            assert time.monotonic() < deadline and process.poll() is None
            time.sleep(0.01)
        process.send_signal(sig)
        _, err = process.communicate(timeout=WAIT)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == code, err
    assert "oncall interrupted; undone: " in err and f"stopped by {sig.name}." in err
    assert enabled(simulator) == [memo(n) for n in range(SIZE)]  # as before


def test_a_swap_changed_elsewhere_meanwhile_does_not_exit_0(
    isolated_env, demo_config, simulator, monkeypatch
):
    original = PushoverClient.disable_group_user

    async def and_enabled_again_elsewhere(client, group, user, **options):
        await original(client, group, user, **options)
        # A change that takes no lock (pushover.net, another host), between two steps.
        await client.enable_group_user(group, user, **options)

    monkeypatch.setattr(PushoverClient, "disable_group_user", and_enabled_again_elsewhere)
    out, err = io.StringIO(), io.StringIO()
    argv = ["group", "oncall", "ops", "Carol"]  # the demo group: Alice, Bob, Carol (disabled)
    code = cli.main(argv, env=dict(isolated_env), stdin=io.StringIO(""), stdout=out, stderr=err)
    assert code == cli.EXIT_UNEXPECTED
    assert "on call is not as asked" in err.getvalue() and out.getvalue() == ""


def test_a_memo_shared_by_several_memberships_names_each_one(isolated_env, demo_config, simulator):
    # One person, two memberships (each bound to a device), one memo: acting on the memo acts
    # on both, and the output says so membership by membership.
    simulator.add_user("uSharedMemo0000000000000000001", ("phone", "pager"))
    simulator.add_user("uOtherPerson000000000000000001", ("phone",))
    members = (
        Member("uSharedMemo0000000000000000001", "phone", "Dana"),
        Member("uSharedMemo0000000000000000001", "pager", "Dana"),
        Member("uOtherPerson000000000000000001", None, "Eve"),
    )
    simulator.add_group("pair", members)
    env = dict(isolated_env)

    def run(*argv: str) -> tuple[int, str]:
        out = io.StringIO()
        code = cli.main(list(argv), env=env, stdin=io.StringIO(), stdout=out, stderr=io.StringIO())
        return code, out.getvalue()

    code, out = run("group", "disable", "pair", "Dana")
    assert code == 0 and "Disabled Dana (phone), Dana (pager) in 'pair'." in out
    code, out = run("group", "oncall", "pair", "Dana", "--json")
    assert code == 0
    assert [(m["memo"], m["device"]) for m in json.loads(out)["now"]] == [
        ("Dana", "phone"),
        ("Dana", "pager"),
    ]


async def test_the_dashboard_swaps_from_the_group_as_it_is_then(
    isolated_env, demo_config, simulator
):
    # The dashboard plans when it asks "Put Bob on call?"; a cron job may change the group
    # before the answer. The swap is planned again under the lock: Bob alone, not Bob and Carol.
    from pushover_tui.oncall import plan_oncall
    from pushover_tui.simulator import DEMO_BOB, DEMO_GROUP
    from pushover_tui.store.config import load_config
    from pushover_tui.tui.session import Session

    env = dict(isolated_env)
    config = load_config(Path(env["PUSHOVER_TUI_CONFIG"]), env=env)
    session = Session(config=config, data_folder=Path(env["PUSHOVER_TUI_DATA"]), env=env)
    try:
        client = await session.outbox.client()
        group = await client.show_group(Secret(DEMO_GROUP))
        plan = plan_oncall(group, Secret(DEMO_BOB))  # Alice, Bob on; Carol off: disable Alice
        [carol] = [m for m in group.members if m.memo == "Carol"]
        await client.enable_group_user(group.key, carol.user)  # the cron job, meanwhile
        await session.groups.make_oncall(plan)
    finally:
        await session.aclose()
    [ops] = [g for g in simulator.groups.values() if g.name == "ops"]
    assert [m.memo for m in ops.members if not m.disabled] == ["Bob"]
