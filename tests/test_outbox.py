"""The send pipeline and the receipt tracker against the simulator over loopback."""

from __future__ import annotations

import asyncio
import itertools
import os
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest

from pushover_tui.api.beyond_messages import Glance
from pushover_tui.api.errors import (
    FieldProblemsError,
    NoCredentialsError,
    QuotaExceededError,
    RejectedError,
    TemporaryError,
)
from pushover_tui.api.models import Message, Priority, ReceiptState
from pushover_tui.api.secret import Secret
from pushover_tui.outbox import Outbox, SendFailed, apply_defaults, build_test_message
from pushover_tui.simulator import DEMO_TOKEN, DEMO_USER, Simulator
from pushover_tui.store.config import Config, Profile, resolve
from pushover_tui.store.history import History, RowKind, Status


class FakeClock:
    """Shared by the simulator and the tracker's sleep, so 5 s polls take no real time."""

    def __init__(self) -> None:
        self.now = time.time()
        self.lock = threading.Lock()
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        with self.lock:
            return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        with self.lock:
            self.now += seconds
        await asyncio.sleep(0)


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def sim(clock):
    with Simulator(ack_after=0, clock=clock) as simulator:
        yield simulator


def active_for(sim: Simulator, *, user: str = DEMO_USER, **profile_options):
    profile = Profile(name="p", token=Secret(DEMO_TOKEN), user=Secret(user), **profile_options)
    config = Config(path=Path("unused.toml"), default_profile="p", profiles=(profile,))
    return resolve(config, api_url=sim.base_url, env={})


@pytest.fixture
async def outbox(sim, clock, tmp_path):
    async with Outbox.open(
        active_for(sim), tmp_path, origin="cli", sleep=clock.sleep, clock=clock
    ) as box:
        yield box
    box.history.close()


def emergency(text: str = "fire", **options) -> Message:
    return Message(text, priority=Priority.EMERGENCY, retry=30, expire=3600, **options)


async def test_send_records_sent_row(outbox, sim):
    sent = await outbox.send(Message("hello", title="t", sound="siren"))
    row = outbox.history.get(sent.row_id)
    assert row.status is Status.SENT
    assert row.request_id == sent.result.request
    assert row.params["sound"] == "siren"
    assert row.origin == "cli" and row.profile == "p"
    assert row.quota.remaining == 9_999
    assert sim.messages[-1]["title"] == "t"


async def test_field_problems_send_and_record_nothing(outbox, sim):
    with pytest.raises(FieldProblemsError) as caught:
        await outbox.send(Message("", title="x" * 251))
    assert {p.field for p in caught.value.problems} == {"message", "title"}
    assert sim.requests == []
    assert outbox.history.count() == 0


async def test_a_glance_goes_through_the_pipeline_and_is_recorded(outbox, sim):
    sent = await outbox.send_glance(Glance(title="Sales", count=3))
    row = outbox.history.get(sent.row_id)
    assert row.kind is RowKind.GLANCE and row.status is Status.SENT
    assert row.request_id == sent.result.request != ""
    assert dict(row.params) == {"title": "Sales", "count": 3}
    assert row.recipient == Secret(DEMO_USER).masked()
    assert (sim.glances[-1]["title"], sim.glances[-1]["count"]) == ("Sales", 3)
    assert sim.messages == []


async def test_a_refused_glance_is_recorded_failed(sim, clock, tmp_path):
    active = active_for(sim, user="u" * 30)
    async with Outbox.open(active, tmp_path, origin="tui", sleep=clock.sleep, clock=clock) as box:
        with pytest.raises(RejectedError) as caught:
            await box.send_glance(Glance(text="hi"))
        [row] = box.history.page()
    assert (row.kind, row.status) == (RowKind.GLANCE, Status.FAILED)
    assert row.request_id == caught.value.request_id and "user" in row.error


async def test_glance_field_problems_send_and_record_nothing(outbox, sim):
    with pytest.raises(FieldProblemsError) as caught:
        await outbox.send_glance(Glance(percent=101))
    assert [p.field for p in caught.value.problems] == ["percent"]
    assert sim.requests == []
    assert outbox.history.count() == 0


async def test_warnings_do_not_block(outbox):
    sent = await outbox.send(emergency(ttl=60))
    assert [w.field for w in sent.warnings] == ["ttl"]


async def test_rejected_is_recorded_failed(sim, clock, tmp_path):
    active = active_for(sim, user="u" * 30)
    async with Outbox.open(active, tmp_path, origin="tui", sleep=clock.sleep, clock=clock) as box:
        with pytest.raises(RejectedError) as caught:
            await box.send(Message("x"))
        [row] = box.history.page()
    assert row.status is Status.FAILED
    assert row.request_id == caught.value.request_id
    assert "user" in row.error
    assert len(sim.requests) == 1  # a 4xx is never retried


async def test_quota_exceeded_is_recorded_failed(outbox, sim):
    sim.set_remaining(DEMO_TOKEN, 0)
    with pytest.raises(QuotaExceededError):
        await outbox.send(Message("x"))
    assert outbox.history.page()[0].status is Status.FAILED
    assert len(sim.requests) == 1


async def test_temporary_failure_then_success(outbox, sim, clock):
    sim.inject_fault("500", count=1)
    sent = await outbox.send(Message("x"))
    assert outbox.history.get(sent.row_id).status is Status.SENT
    assert [r.status for r in sim.requests] == [500, 200]
    assert clock.sleeps == [5.0]


async def test_temporary_failure_after_retries(outbox, sim):
    sim.inject_fault("503", count=3)
    with pytest.raises(TemporaryError):
        await outbox.send(Message("x"))
    row = outbox.history.page()[0]
    assert row.status is Status.FAILED and "503" in row.error


async def test_no_keys(sim, tmp_path):
    config = Config(path=Path("x.toml"))
    active = resolve(config, api_url=sim.base_url, env={})
    async with Outbox.open(active, tmp_path, origin="cli") as box:
        with pytest.raises(NoCredentialsError):
            await box.send(Message("x"))


def test_test_message_is_labelled_with_profile_defaults():
    profile = Profile(name="p", priority=1, sound="bike", device="pixel")
    message = build_test_message(profile, now=datetime(2026, 1, 2, 13, 45), host="box")
    assert message.message == "Test from pushover-tui at 13:45 on box"
    assert (message.priority, message.sound, message.device) == (1, "bike", "pixel")


def test_apply_defaults_keeps_explicit_values():
    profile = Profile(name="p", sound="bike", retry=120, expire=600)
    message = apply_defaults(Message("x", sound="siren", priority=2), profile)
    assert (message.sound, message.retry, message.expire) == ("siren", 120, 600)


async def test_send_test_goes_through_pipeline(outbox, sim):
    sent = await outbox.send_test()
    assert outbox.history.get(sent.row_id).title == "pushover-tui test"


# -- tracker -----------------------------------------------------------------------------------


def receipt_polls(sim: Simulator, receipt: str):
    return [r for r in sim.requests if r.path == f"/1/receipts/{receipt}.json"]


async def test_tracker_polls_every_5s_until_acknowledged(outbox, sim):
    changes = []
    outbox.tracker.add_listener(changes.append)
    sent = await outbox.send(emergency())
    receipt = sent.result.receipt
    for _ in range(20):  # let three polls happen on the fake clock
        await asyncio.sleep(0.01)
        if len(receipt_polls(sim, receipt)) >= 3:
            break
    sim.ack(receipt, device="pixel")
    row = await asyncio.wait_for(outbox.tracker.wait(sent.row_id), 5)
    assert row.receipt_state is ReceiptState.ACKNOWLEDGED
    assert row.receipt_info.acknowledged_by_device == "pixel"
    times = [r.time for r in receipt_polls(sim, receipt)]
    assert all(b - a >= 5 for a, b in itertools.pairwise(times))
    assert changes[-1].receipt_state is ReceiptState.ACKNOWLEDGED
    polls = len(times)
    await asyncio.sleep(0.05)
    assert len(receipt_polls(sim, receipt)) == polls  # stopped
    assert outbox.tracker.tracked == 0


async def test_tracker_stops_at_expired(outbox):
    sent = await outbox.send(Message("x", priority=2, retry=30, expire=12))
    row = await asyncio.wait_for(outbox.tracker.wait(sent.row_id), 5)
    assert row.receipt_state is ReceiptState.EXPIRED


async def test_cancel_and_cancel_by_tag(outbox, sim):
    first = await outbox.send(emergency("a", tags=("db",)))
    second = await outbox.send(emergency("b", tags=("web", "db")))
    third = await outbox.send(emergency("c", tags=("web",)))
    await outbox.tracker.cancel(first.result.receipt)
    assert outbox.history.get(first.row_id).receipt_state is ReceiptState.CANCELLED
    assert await outbox.tracker.cancel_by_tag("db") == 1  # "a" was cancelled already
    assert outbox.history.get(second.row_id).receipt_state is ReceiptState.CANCELLED
    assert outbox.history.get(third.row_id).receipt_state is ReceiptState.AWAITING
    assert outbox.tracker.tracked == 1


class LoopCallsNoted:
    """A store that notes each call made on the event loop's thread (a network round trip on
    the loop with a shared PostgreSQL store)."""

    def __init__(self, store: History) -> None:
        self._store = store
        self.on_loop: list[str] = []

    def __getattr__(self, name: str):
        found = getattr(self._store, name)
        if not callable(found):
            return found

        def call(*args, **kwargs):
            if threading.current_thread() is threading.main_thread():
                self.on_loop.append(name)
            return found(*args, **kwargs)

        return call


async def test_the_tracker_calls_the_store_off_the_loop(sim, clock, tmp_path):
    store = LoopCallsNoted(History.open(tmp_path))
    async with Outbox(active_for(sim), store, origin="tui", sleep=clock.sleep, clock=clock) as box:
        box.tracker.add_listener(lambda row: None)  # as the dashboard: every change is read
        acknowledged = await box.send(emergency("a"))
        first = await box.send(emergency("b", tags=("db",)))
        await box.send(emergency("c", tags=("db",)))
        assert await box.tracker.resume("p") == 3
        sim.ack(acknowledged.result.receipt, device="pixel")
        row = await asyncio.wait_for(box.tracker.wait(acknowledged.row_id), 5)
        assert row.receipt_state is ReceiptState.ACKNOWLEDGED
        assert (await box.tracker.cancel(first.result.receipt)).receipt_state is (
            ReceiptState.CANCELLED
        )
        assert await box.tracker.cancel_by_tag("db") == 1
    assert store.on_loop == []
    store.close()


async def test_open_receipts_resumed_by_next_run(sim, clock, tmp_path):
    active = active_for(sim)
    async with Outbox.open(active, tmp_path, origin="cli", sleep=clock.sleep, clock=clock) as box:
        sent = await box.send(emergency())
        await box.tracker.aclose()  # the process ends before it is acknowledged
        box.history.close()
    sim.ack(sent.result.receipt, device="iphone")
    async with Outbox.open(active, tmp_path, origin="tui", sleep=clock.sleep, clock=clock) as box:
        assert await box.tracker.resume("p") == 1
        row = await asyncio.wait_for(box.tracker.wait(sent.row_id), 5)
        box.history.close()
    assert row.receipt_state is ReceiptState.ACKNOWLEDGED


async def test_tracker_uses_at_most_two_connections(outbox, sim):
    for index in range(6):
        await outbox.send(emergency(f"e{index}"))
    for _ in range(30):
        await asyncio.sleep(0.01)
    assert sim.connections_seen() <= 2


def test_killed_sender_becomes_interrupted(demo_config, isolated_env, simulator):
    """SIGKILL the command line while the simulator holds the response: never lost."""
    simulator.inject_fault("hang", count=1, seconds=30)
    env = {**os.environ, **isolated_env}
    process = subprocess.Popen(
        [sys.executable, "-m", "pushover_tui", "send", "in flight"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    data = Path(isolated_env["PUSHOVER_TUI_DATA"])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if (data / "history.sqlite3").exists():
            with History.open(data) as history:
                if history.count() == 1:
                    break
        time.sleep(0.05)
    process.kill()
    process.wait(10)
    simulator.release()
    active = resolve(demo_config, env={})
    outbox = Outbox.open(active, data, origin="tui")
    [row] = outbox.history.page()
    outbox.history.close()
    assert row.status is Status.INTERRUPTED
    assert "Check your device" in row.error


async def test_wait_returns_even_when_recording_fails(outbox, sim, monkeypatch):
    """A store failure while following a receipt must not leave `--wait` hanging: the waiter
    learns what Pushover said, though the store could not record it (and is asked again)."""
    from pushover_tui.store.history import HistoryError

    def broken(*args, **kwargs):
        raise HistoryError("disk full")

    sent = await outbox.send(emergency())
    monkeypatch.setattr(outbox.history, "record_receipt", broken)
    sim.ack(sent.result.receipt, device="pixel")
    row = await asyncio.wait_for(outbox.tracker.wait(sent.row_id), 5)
    assert row.receipt_state is ReceiptState.ACKNOWLEDGED
    assert row.receipt_info.acknowledged_by_device == "pixel"
    assert outbox.history.get(sent.row_id).receipt_state is ReceiptState.AWAITING
    assert outbox.tracker.tracked == 1  # still following, to record it once the store works


async def test_a_broken_listener_stops_nothing(outbox):
    def broken(row):
        raise BrokenPipeError

    outbox.tracker.add_listener(broken)
    sent = await outbox.send(Message("x"))
    assert outbox.history.get(sent.row_id).status is Status.SENT


async def test_cancel_after_acknowledgement_keeps_the_acknowledgement(outbox, sim):
    sent = await outbox.send(emergency())
    sim.ack(sent.result.receipt, device="pixel")
    await asyncio.wait_for(outbox.tracker.wait(sent.row_id), 5)
    await outbox.tracker.cancel(sent.result.receipt)
    row = outbox.history.get(sent.row_id)
    assert row.receipt_state is ReceiptState.ACKNOWLEDGED


# -- SendFailed: the history cannot record the send -------------------------------------------


def _refuse(monkeypatch, history: History, name: str) -> None:
    from pushover_tui.store.history import HistoryError

    def refused(*args, **kwargs):
        raise HistoryError(f"Cannot write the history file {history.path}: the disk is full.")

    monkeypatch.setattr(history, name, refused)


async def test_no_row_written_means_nothing_sent(outbox, sim, monkeypatch):
    _refuse(monkeypatch, outbox.history, "record_sending")
    with pytest.raises(SendFailed) as caught:
        await outbox.send(Message("x"))
    failed = caught.value
    assert (failed.row_id, failed.request_sent, failed.error) == (None, False, None)
    assert "disk is full" in str(failed) and "disk is full" in str(failed.history_error)
    assert sim.requests == []


async def test_sent_but_not_recorded_says_the_request_left(outbox, sim, monkeypatch):
    _refuse(monkeypatch, outbox.history, "record_sent")
    with pytest.raises(SendFailed) as caught:
        await outbox.send(Message("x"))
    failed = caught.value
    assert failed.row_id == outbox.history.page()[0].id
    assert failed.request_sent and failed.error is None
    assert len(sim.messages) == 1


async def test_a_failure_not_recorded_carries_the_requests_error(sim, clock, tmp_path, monkeypatch):
    active = active_for(sim, user="u" * 30)
    async with Outbox.open(active, tmp_path, origin="cli", sleep=clock.sleep, clock=clock) as box:
        _refuse(monkeypatch, box.history, "record_failed")
        with pytest.raises(SendFailed) as caught:
            await box.send(Message("x"))
        box.history.close()
    failed = caught.value
    assert failed.request_sent and isinstance(failed.error, RejectedError)
    assert str(failed).startswith(str(failed.error)) and "disk is full" in str(failed)
