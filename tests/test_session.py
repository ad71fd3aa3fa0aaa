"""The dashboard's Session without Textual: state and signals, the quota's one source of truth
(any process's responses, a real second process included), profile switching and read-only."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from pushover_tui.api.beyond_messages import Glance
from pushover_tui.api.errors import PushoverError
from pushover_tui.api.models import GroupMember, Message
from pushover_tui.api.secret import Secret
from pushover_tui.store.config import Profile, load_config, save_config
from pushover_tui.tui.session import ReadOnlyError, Session


def make_session(env: dict[str, str], **options) -> Session:
    config = load_config(Path(env["PUSHOVER_TUI_CONFIG"]), env=env)
    return Session(config=config, data_folder=Path(env["PUSHOVER_TUI_DATA"]), env=env, **options)


async def until(condition, timeout: float = 10.0) -> None:
    """Wait for `condition()` (the thing itself), checking as the event loop turns."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


def test_the_session_imports_no_textual():
    code = "import sys, pushover_tui.tui.session; print('textual' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr


async def test_start_verifies_reads_quota_and_groups_and_tells_each_change(
    demo_config, isolated_env
):
    session = make_session(isolated_env)
    heard: list[str] = []
    session.changed.subscribe(heard.append)
    try:
        session.start()
        await until(lambda: session.quota is not None and session.known_groups is not None)
        await until(lambda: session.verified is True)
        assert session.reachable is True and session.devices
        assert session.quota.remaining is not None
        assert {"verified", "reachable", "devices", "quota", "known_groups"} <= set(heard)
    finally:
        await session.aclose()


async def test_a_send_records_and_publishes_and_the_quota_follows(demo_config, isolated_env):
    session = make_session(isolated_env)
    rows = []
    session.history_changed.subscribe(rows.append)
    try:
        sent = await session.send_message(Message("from the session"))
        assert session.history.get(sent.row_id).message == "from the session"
        assert any(row is not None and row.id == sent.row_id for row in rows)
        assert session.quota == sent.result.quota and session.reachable is True
    finally:
        await session.aclose()


async def test_the_quota_follows_a_send_by_another_process(demo_config, isolated_env, simulator):
    """One source of truth: what the history file records, whoever recorded it. The CLI in a
    second process spends 3; the session's refresh (the app polls it) shows it."""
    session = make_session(isolated_env)
    try:
        session.start()
        await until(lambda: session.quota is not None)
        before = session.quota.remaining
        for n in range(3):
            result = subprocess.run(
                [sys.executable, "-m", "pushover_tui", "send", f"from the CLI {n}"],
                env={**os.environ, **isolated_env},
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert result.returncode == 0, result.stderr
        session.refresh()
        assert session.quota.remaining == before - 3
    finally:
        await session.aclose()


async def test_switching_profile_resets_what_belongs_to_the_old_keys(demo_config, isolated_env):
    save_config(replace(demo_config, profiles=(*demo_config.profiles, Profile(name="empty"))))
    session = make_session(isolated_env)
    switched = []
    session.profile_changed.subscribe(switched.append)
    try:
        session.start()
        await until(lambda: session.verified is True and session.known_groups is not None)
        old_outbox = session.outbox
        session.switch_profile("empty")
        assert session.active.profile.name == "empty" and session.outbox is not old_outbox
        assert session.verified is None and session.devices is None and session.quota is None
        assert session.known_groups is None and session.groups_note == ""
        assert [active.profile.name for active in switched] == ["empty"]
    finally:
        await session.aclose()


async def test_read_only_refuses_every_change_with_one_sentence(demo_config, isolated_env):
    session = make_session(isolated_env, read_only=True)
    key = Secret("g" * 30)
    member = GroupMember(user=Secret("u" * 30))
    changes = [
        lambda: session.send_message(Message("no")),
        lambda: session.send_test(),
        lambda: session.glances.send(Glance(text="no")),  # a glance is sent too
        lambda: session.cancel_receipt("r" * 30),
        lambda: session.cancel_by_tag("ops"),
        lambda: session.groups.create("ops"),
        lambda: session.groups.rename(key, "ops"),
        lambda: session.groups.add_member(key, member),
        lambda: session.groups.remove_member(key, member),
        lambda: session.groups.enable_member(key, member, True),
        lambda: session.inbox.acknowledge("r" * 30),
        lambda: session.inbox.log_in("a@example.com", Secret("pw")),
    ]
    try:
        for change in changes:
            with pytest.raises(ReadOnlyError, match=r"^This dashboard is read-only: it cannot "):
                await change()
        for change in (
            lambda: session.delete_message(1),
            lambda: session.clear_history(),
            lambda: session.save_config(demo_config),
            lambda: session.write_config(demo_config),
        ):
            with pytest.raises(ReadOnlyError):
                change()
        assert isinstance(ReadOnlyError("x"), PushoverError)  # the screens' one handler shows it
        assert session.history.count() == 0
        assert load_config(demo_config.path) == demo_config
        # Reading still works: the keys are checked, the quota and groups read.
        session.start()
        await until(lambda: session.verified is True and session.known_groups is not None)
    finally:
        await session.aclose()
