"""The engine behind the live dashboard (issue 13): receipts other processes send are followed,
one poll per receipt every 5 s across processes, closed-receipt events, send progress and Esc.

"Another process" is a second Outbox on its own History connection to the same file: what the
store sees of two processes. Both share the simulator's fake clock, so 5 s polls take no time.
"""

from __future__ import annotations

import asyncio
import itertools
import logging

import pytest
from test_outbox import FakeClock, active_for, emergency, receipt_polls

from pushover_tui.api.client import RETRY_GAP
from pushover_tui.api.models import Message, ReceiptState, SendProgress, SendResult
from pushover_tui.outbox import Outbox
from pushover_tui.simulator import Simulator
from pushover_tui.store.history import STOPPED_TEXT, History, HistoryError, Status
from pushover_tui.tracker import STORE_FAILURE_BACKOFF


class SteppedClock:
    """Time moves only when a test runs it, a second at a time; each step wakes the sleepers
    whose time has come and lets them finish (their polls and records) before the next one.
    Shared by the simulator and every tracker, as the wall clock is by processes."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0
        self.trackers: list = []
        self._sleepers: list[tuple[float, asyncio.Future[None]]] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        entry = (self.now + seconds, asyncio.get_running_loop().create_future())
        self._sleepers.append(entry)
        try:
            await entry[1]
        finally:  # woken, or cancelled (a cancel, the tracker closing)
            if entry in self._sleepers:
                self._sleepers.remove(entry)

    async def run(self, seconds: float, *, step: float = 1.0) -> None:
        for _ in range(round(seconds / step)):
            self.now += step
            due = [entry for entry in self._sleepers if entry[0] <= self.now]
            for deadline, future in due:
                self._sleepers.remove((deadline, future))
                if not future.done():  # else cancelled, its task not yet resumed
                    future.set_result(None)
            await until(self._settled)

    def _settled(self) -> bool:
        return sum(tracker.tracked for tracker in self.trackers) == len(self._sleepers)


@pytest.fixture
def clock():
    return SteppedClock()


@pytest.fixture
def sim(clock):
    with Simulator(ack_after=0, clock=clock) as simulator:
        yield simulator


@pytest.fixture
async def boxes(sim, clock, tmp_path):
    """Two processes' outboxes on one history file: the command line's and the dashboard's."""
    opened = []

    def open_box(origin: str) -> Outbox:
        box = Outbox.open(active_for(sim), tmp_path, origin=origin, sleep=clock.sleep, clock=clock)
        box.tracker.watch_interval = 0.005
        clock.trackers.append(box.tracker)
        opened.append(box)
        return box

    yield open_box
    for box in opened:
        await box.aclose()
        box.history.close()


async def until(condition, *, tries: int = 500) -> None:
    for _ in range(tries):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the condition never held")


def assert_polls_apart(sim: Simulator, receipt: str) -> list[float]:
    times = [record.time for record in receipt_polls(sim, receipt)]
    assert times == sorted(times)
    assert all(b - a >= 5 for a, b in itertools.pairwise(times)), times
    return times


# -- 1. receipts other processes record are followed -------------------------------------------


async def test_an_emergency_the_command_line_sends_is_followed_by_the_dashboard(boxes, sim, clock):
    dashboard = boxes("tui")
    changes = []
    dashboard.tracker.add_listener(changes.append)
    assert await dashboard.tracker.resume("p") == 0
    cli = boxes("cli")
    sent = await cli.send(emergency())  # then the command line exits, without --wait
    await cli.aclose()
    await until(lambda: receipt_polls(sim, sent.result.receipt))  # the dashboard polls it
    await clock.run(10)
    sim.ack(sent.result.receipt, device="pixel")
    await clock.run(5)
    row = await asyncio.wait_for(dashboard.tracker.wait(sent.row_id), 5)
    assert row.receipt_state is ReceiptState.ACKNOWLEDGED
    assert {change.id for change in changes} == {sent.row_id}
    assert changes[0].receipt_state is ReceiptState.AWAITING  # found
    assert changes[-1].receipt_state is ReceiptState.ACKNOWLEDGED
    assert dashboard.tracker.tracked == 0
    assert len(assert_polls_apart(sim, sent.result.receipt)) >= 3


async def test_another_profiles_receipts_are_left_alone(boxes, sim, clock):
    dashboard = boxes("tui")
    await dashboard.tracker.resume("someone-else")
    cli = boxes("cli")
    sent = await cli.send(emergency())
    await cli.aclose()
    for _ in range(40):
        await asyncio.sleep(0.005)
    await clock.run(10)
    assert receipt_polls(sim, sent.result.receipt) == []
    assert dashboard.tracker.tracked == 0


async def test_the_store_is_read_again_only_after_another_process_wrote(boxes, monkeypatch):
    dashboard = boxes("tui")
    reads = []
    open_receipts = dashboard.history.open_receipts
    monkeypatch.setattr(
        dashboard.history, "open_receipts", lambda: reads.append(1) or open_receipts()
    )
    await dashboard.tracker.resume("p")
    assert len(reads) == 1
    for _ in range(20):  # many data_version checks, nothing new: no read
        await asyncio.sleep(0.005)
    dashboard.history.record_sending(Message("own write"), profile="p", origin="tui")
    for _ in range(20):
        await asyncio.sleep(0.005)
    assert len(reads) == 1  # this process's own writes do not count
    boxes("cli").history.record_sending(Message("another process"), profile="p", origin="cli")
    await until(lambda: len(reads) == 2)
    for _ in range(20):
        await asyncio.sleep(0.005)
    assert len(reads) == 2


# -- 2. one poll per receipt every 5 s across processes ----------------------------------------


async def test_two_processes_following_one_receipt_poll_it_at_most_every_5s(boxes, sim, clock):
    cli, dashboard = boxes("cli"), boxes("tui")
    closed = {"cli": [], "tui": []}
    cli.tracker.add_closed_listener(closed["cli"].append)
    dashboard.tracker.add_closed_listener(closed["tui"].append)
    sent = await cli.send(emergency())  # `send --wait` follows it
    receipt = sent.result.receipt
    assert await dashboard.tracker.resume("p") == 1  # and so does a dashboard opened meanwhile
    await clock.run(60)
    sim.ack(receipt, device="pixel")
    await clock.run(10)  # one polls it; the other reads that at its next turn
    rows = await asyncio.wait_for(
        asyncio.gather(cli.tracker.wait(sent.row_id), dashboard.tracker.wait(sent.row_id)), 5
    )
    assert [row.receipt_state for row in rows] == [ReceiptState.ACKNOWLEDGED] * 2
    assert len(assert_polls_apart(sim, receipt)) >= 12  # one poll every 5 s in 65 s
    assert [[row.id for row in heard] for heard in closed.values()] == [[sent.row_id]] * 2
    assert sim.connections_seen() <= 4  # two per process


def test_claiming_a_poll(tmp_path):
    """One winner per 5 s from when the last poll ended; a claim in flight holds the lease."""
    with History.open(tmp_path) as one, History.open(tmp_path) as other:
        row_id = one.record_sending(emergency(), profile="p", origin="cli")
        assert not one.claim_poll(row_id, now=100, interval=5, lease=30)  # not sent yet
        one.record_sent(row_id, SendResult("req", receipt="r" * 30))
        assert one.claim_poll(row_id, now=100, interval=5, lease=30)
        assert not other.claim_poll(row_id, now=104, interval=5, lease=30)  # in flight
        assert not other.claim_poll(row_id, now=134, interval=5, lease=30)  # lease + 5 s
        assert other.claim_poll(row_id, now=135, interval=5, lease=30)  # the winner died
        other.end_poll(row_id, at=136)  # the poll ended (failed) at 136
        assert not one.claim_poll(row_id, now=140.9, interval=5, lease=30)
        assert one.claim_poll(row_id, now=141, interval=5, lease=30)
        one.record_cancelled(row_id)
        assert not other.claim_poll(row_id, now=1000, interval=5, lease=30)  # closed


async def test_a_store_failure_is_survived_and_retried(boxes, sim, clock, monkeypatch, caplog):
    """A full disk while following: one warning line, no traceback; recorded once it clears."""
    cli = boxes("cli")
    failures = {"claim_poll": 2, "record_receipt": 2}

    def failing(name):
        real = getattr(cli.history, name)

        def call(*args, **kwargs):
            if failures[name]:
                failures[name] -= 1
                raise HistoryError(f"Cannot write the history file {cli.history.path}: disk full.")
            return real(*args, **kwargs)

        return call

    for name in failures:
        monkeypatch.setattr(cli.history, name, failing(name))
    closed = []
    cli.tracker.add_closed_listener(closed.append)
    sent = await cli.send(emergency())
    sim.ack(sent.result.receipt, device="pixel")
    with caplog.at_level(logging.WARNING, logger="pushover_tui.tracker"):
        await clock.run(5 + 5 * STORE_FAILURE_BACKOFF, step=5)
    assert cli.history.get(sent.row_id).receipt_state is ReceiptState.ACKNOWLEDGED
    assert failures == {"claim_poll": 0, "record_receipt": 0}
    warnings = [r for r in caplog.records if "disk full" in r.getMessage()]
    assert len(warnings) == 4 and not any(r.exc_info for r in warnings)
    assert [row.id for row in closed] == [sent.row_id]


# -- 3. receipts that became acknowledged, expired or cancelled --------------------------------


async def test_closed_listeners_hear_each_transition_once(boxes, sim, clock):
    cli, dashboard = boxes("cli"), boxes("tui")
    await dashboard.tracker.resume("p")
    heard = {"cli": [], "tui": []}
    cli.tracker.add_closed_listener(heard["cli"].append)
    dashboard.tracker.add_closed_listener(heard["tui"].append)
    acked = await cli.send(emergency("acked"))
    cancelled = await cli.send(emergency("cancelled"))
    expiring = await cli.send(Message("expires", priority=2, retry=30, expire=40))
    await until(lambda: dashboard.tracker.tracked == 3)
    await clock.run(10)
    sim.ack(acked.result.receipt)
    await cli.tracker.cancel(cancelled.result.receipt)  # the command line cancels it
    await clock.run(60)  # the third expires after 40 s
    rows = [acked, cancelled, expiring]
    await asyncio.wait_for(
        asyncio.gather(*(box.tracker.wait(s.row_id) for box in (cli, dashboard) for s in rows)), 5
    )
    for name, rows_heard in heard.items():
        states = {row.message: row.receipt_state for row in rows_heard}
        assert states == {
            "acked": ReceiptState.ACKNOWLEDGED,
            "cancelled": ReceiptState.CANCELLED,
            "expires": ReceiptState.EXPIRED,
        }, name
        assert len(rows_heard) == 3, name


async def test_a_receipt_closed_before_it_is_resumed_is_heard_at_the_first_poll(boxes, sim):
    cli = boxes("cli")
    sent = await cli.send(emergency())
    await cli.aclose()
    sim.ack(sent.result.receipt)
    dashboard = boxes("tui")
    heard = []
    dashboard.tracker.add_closed_listener(heard.append)
    await dashboard.tracker.resume("p")
    await asyncio.wait_for(dashboard.tracker.wait(sent.row_id), 5)
    assert [row.receipt_state for row in heard] == [ReceiptState.ACKNOWLEDGED]


# -- 4. send progress and Esc ------------------------------------------------------------------


async def test_progress_tells_each_attempt_and_the_wait_before_it(sim, tmp_path):
    clock = FakeClock()
    events: list[SendProgress] = []
    sim.inject_fault("503", count=2)
    async with Outbox.open(active_for(sim), tmp_path, origin="tui", sleep=clock.sleep) as box:
        await box.send(Message("x"), progress=events.append)
        box.history.close()
    assert [(e.attempt, e.attempts, e.starts_in) for e in events] == [
        (1, 3, 0.0),
        (2, 3, RETRY_GAP),
        (2, 3, 0.0),
        (3, 3, RETRY_GAP),
        (3, 3, 0.0),
    ]
    assert events[0].failure == ""
    assert all("HTTP 503" in event.failure for event in events[1:])
    assert clock.sleeps == [RETRY_GAP, RETRY_GAP]


async def test_a_broken_progress_callback_stops_nothing(boxes):
    def broken(event):
        raise BrokenPipeError

    sent = await boxes("cli").send(Message("x"), progress=broken)
    assert sent.result.request


async def test_cancelling_a_send_in_flight_records_it_interrupted(boxes, sim):
    tui = boxes("tui")
    changes, events = [], []
    tui.tracker.add_listener(changes.append)
    sim.inject_fault("hang", count=1, seconds=30)
    task = asyncio.create_task(tui.send(Message("in flight"), progress=events.append))
    await until(lambda: events)
    await asyncio.sleep(0.05)  # the request is with the simulator, held
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    [row] = tui.history.page()
    assert row.status is Status.INTERRUPTED
    assert row.error == STOPPED_TEXT
    assert changes[-1].status is Status.INTERRUPTED
    sim.release()
    await until(lambda: sim.messages)  # it may indeed have been delivered
    assert tui.history.get(row.id).status is Status.INTERRUPTED


async def test_cancelling_a_send_waiting_to_retry_records_it_interrupted(sim, tmp_path):
    waiting = asyncio.Event()

    async def never(seconds: float) -> None:
        waiting.set()
        await asyncio.Event().wait()

    events = []
    sim.inject_fault("503", count=1)
    async with Outbox.open(active_for(sim), tmp_path, origin="tui", sleep=never) as box:
        task = asyncio.create_task(box.send(Message("x"), progress=events.append))
        await asyncio.wait_for(waiting.wait(), 5)
        assert events[-1].starts_in == RETRY_GAP
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        [row] = box.history.page()
        box.history.close()
    assert (row.status, row.error) == (Status.INTERRUPTED, STOPPED_TEXT)


def test_an_outcome_already_recorded_is_not_turned_interrupted(tmp_path):
    with History.open(tmp_path) as history:
        row_id = history.record_sending(Message("x"), profile="p", origin="tui")
        history.record_failed(row_id, "Pushover answered HTTP 503")
        history.record_interrupted(row_id)
        assert history.get(row_id).status is Status.FAILED
