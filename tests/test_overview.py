"""History's overview: per local day, by status and origin, median time to acknowledgement, the
latest quota; counts kept by triggers, always equal to a recount, read without touching rows."""

from __future__ import annotations

import math
import os
import sqlite3
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from datetime import date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pushover_tui.api.models import Message, Quota, Receipt, SendResult
from pushover_tui.store import history as history_module
from pushover_tui.store.history import History, HistoryFilter, Status
from pushover_tui.store.overview import Overview, _query_plans, overview

RECEIPT = "r" * 30


class Clock:
    """The history's wall clock, set by the test (created_at and updated_at come from it)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock(float(int(time.time())))  # whole seconds, as acknowledged_at
    monkeypatch.setattr(history_module, "time", SimpleNamespace(time=fake.time))
    return fake


@pytest.fixture
def history(tmp_path: Path) -> Iterator[History]:
    with History.open(tmp_path) as opened:
        yield opened


@pytest.fixture
def zone() -> Iterator[None]:
    """A local time zone 5 hours behind UTC (POSIX TZ: no zone files needed), for SQLite too."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "XST+05"
    time.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


def send(
    history: History,
    *,
    profile: str = "p",
    origin: str = "cli",
    emergency: bool = False,
    quota: Quota | None = None,
) -> int:
    message = Message("x", priority=2, retry=30, expire=3600) if emergency else Message("x")
    row_id = history.record_sending(message, profile=profile, origin=origin)
    result = SendResult("req", receipt=RECEIPT if emergency else None, quota=quota or Quota())
    history.record_sent(row_id, result)
    return row_id


def acknowledge(history: History, row_id: int, after: float) -> None:
    row = history.get(row_id)
    assert row is not None
    acked = Receipt(row.receipt or RECEIPT, acknowledged=True, acknowledged_at=int(after))
    history.record_receipt(row_id, acked)


# ---------------------------------------------------------------------------------------------


def test_counts_by_status_origin_and_profile(history: History) -> None:
    send(history, origin="tui")
    send(history, origin="cli")
    failed = history.record_sending(Message("x"), profile="p", origin="sentry")
    history.record_failed(failed, "Pushover answered HTTP 500")
    history.record_sending(Message("x"), profile="work", origin="cli")  # still sending
    everything = overview(history)
    assert dict(everything.by_status) == {
        Status.SENDING: 1,
        Status.SENT: 2,
        Status.FAILED: 1,
        Status.INTERRUPTED: 0,
    }
    assert dict(everything.by_origin) == {"cli": 2, "sentry": 1, "tui": 1}
    assert everything.total == 4
    work = overview(history, profile="work")
    assert (work.total, dict(work.by_origin)) == (1, {"cli": 1})
    history.delete(failed)
    assert overview(history).by_status[Status.FAILED] == 0
    assert overview(history).by_origin.get("sentry") is None


def test_messages_per_local_day_for_30_days(history: History, clock: Clock, zone: None) -> None:
    today = date(2026, 3, 20)
    midnight = datetime(2026, 3, 20, tzinfo=None).timestamp()  # local midnight (UTC-5)

    def at(timestamp: float) -> None:
        clock.now = timestamp
        send(history)

    at(midnight + 10)  # today
    at(midnight - 10)  # yesterday 23:59:50 local, though already the 20th in UTC
    at(midnight - 10)
    at(midnight - 29 * 86400 + 1)  # 29 days ago: the first of the 30 days
    at(midnight - 29 * 86400 - 1)  # the day before: out
    at(midnight + 86400 + 1)  # tomorrow (a clock ahead): out
    result = overview(history, today=today)
    assert result.first_day == today - timedelta(days=29)
    assert result.days[-1] == today and len(result.days) == 30
    assert result.per_day == (1,) + (0,) * 27 + (2, 1)
    assert result.total == 6


def test_median_time_to_acknowledgement(history: History, clock: Clock) -> None:
    clock.now = 1_800_000_000.0
    rows = [send(history, emergency=True) for _ in range(5)]
    assert overview(history).median_ack_seconds is None
    for row_id, seconds in zip(rows[:3], (30, 10, 600), strict=True):
        acknowledge(history, row_id, clock.now + seconds)
    history.record_cancelled(rows[3])  # cancelled and expired ones do not count
    expired = Receipt(RECEIPT, expired=True, expires_at=int(clock.now) + 3600)
    history.record_receipt(rows[4], expired)
    result = overview(history)
    assert (result.acknowledged, result.median_ack_seconds) == (3, 30)
    acknowledge(history, send(history, emergency=True), clock.now + 40)
    assert overview(history).median_ack_seconds == 35  # the mean of the middle two
    history.delete(rows[2])  # the 600 s one
    assert (overview(history).acknowledged, overview(history).median_ack_seconds) == (3, 30)
    assert overview(history, profile="nobody").median_ack_seconds is None


def test_latest_quota(history: History) -> None:
    assert overview(history).quota == Quota()
    send(history, quota=Quota(10_000, 9_000, 1_900_000_000))
    send(history, profile="work", quota=Quota(7_500, 10, 1_900_000_000))
    assert overview(history, profile="p").quota == Quota(10_000, 9_000, 1_900_000_000)
    assert overview(history).quota.remaining == 10
    over = history.record_sending(Message("x"), profile="p", origin="cli")
    history.record_failed(over, "quota", quota=Quota(remaining=0, reset=1_900_000_000))
    failed = history.record_sending(Message("x"), profile="p", origin="cli")
    history.record_failed(failed, "Cannot reach api.pushover.net")  # says nothing of the quota
    assert overview(history, profile="p").quota == Quota(None, 0, 1_900_000_000)


def test_clear_empties_every_count(history: History) -> None:
    acknowledge(history, send(history, emergency=True), time.time() + 5)
    history.clear()
    result = overview(history)
    assert result.total == 0 and sum(result.per_day) == 0
    assert result.by_origin == {} and result.median_ack_seconds is None


def test_reads_use_the_counts_and_indexes_never_the_rows(history: History) -> None:
    for index in range(50):
        send(history, profile=f"p{index % 3}", emergency=index % 2 == 0)
    for profile in (None, "p1"):
        for analysed in (False, True):
            if analysed:
                with sqlite3.connect(history.path) as connection:
                    connection.execute("ANALYZE")
            plans = _query_plans(history, profile)
            assert not any("TEMP B-TREE" in step for plan in plans for step in plan), plans
            counts, days, acks, quota = plans
            assert counts == ["SEARCH message_counts USING PRIMARY KEY (kind=?)"]
            assert "SEARCH message_counts USING PRIMARY KEY (kind=? AND key>? AND key<?)" in days
            assert not any("SCAN message_counts" in step for step in days), days
            assert acks == ["SCAN ack_seconds"]  # one row per distinct number of seconds
            index = "messages_created" if profile is None else "messages_profile (profile=?)"
            assert len(quota) == 1 and quota[0].endswith(f"USING INDEX {index}"), quota


def test_an_older_file_gets_its_counts_when_migrated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: Clock
) -> None:
    path = tmp_path / "history.sqlite3"
    before = history_module.MIGRATIONS.index(history_module._OVERVIEW)
    with monkeypatch.context() as patch:  # a file written before the overview's counts
        patch.setattr(history_module, "MIGRATIONS", history_module.MIGRATIONS[:before])
        patch.setattr(history_module, "SCHEMA_VERSION", before)
        History(path).close()
        # Today's code writes the old rows: the file has the `kind` column it writes for the
        # while (a later migration adds it for good).
        kind = "kind TEXT NOT NULL DEFAULT 'message'"
        with closing(sqlite3.connect(path)) as connection:
            connection.execute(f"ALTER TABLE messages ADD COLUMN {kind}")
            connection.commit()
        with History(path) as old:
            for origin in ("tui", "cli", "cli"):
                send(old, origin=origin)
            acknowledge(old, send(old, emergency=True, origin="sentry"), clock.now + 20)
        with closing(sqlite3.connect(path)) as connection:
            connection.execute("ALTER TABLE messages DROP COLUMN kind")
            connection.commit()
    with History(path) as history:
        result = overview(history)
    assert dict(result.by_origin) == {"cli": 2, "sentry": 1, "tui": 1}
    assert result.per_day[-1] == 4 and result.by_status[Status.SENT] == 4
    assert (result.acknowledged, result.median_ack_seconds) == (1, 20)


# ---------------------------------------------------------------------------------------------
# Whatever happens to the rows, the counts equal a recount.


def recount(history: History, today: date, profile: str | None = None) -> Overview:
    rows = history.page(HistoryFilter(profile=profile), limit=10**6)
    days = Counter(datetime.fromtimestamp(row.created_at).date() for row in rows)
    first = today - timedelta(days=29)
    acks = sorted(
        max(0, math.floor(row.receipt_info.acknowledged_at - row.created_at + 0.5))
        for row in rows
        if row.receipt_state == "acknowledged"
        and row.receipt_info
        and row.receipt_info.acknowledged_at > 0
    )
    middle = [acks[(len(acks) - 1) // 2], acks[len(acks) // 2]] if acks else []
    return Overview(
        first_day=first,
        per_day=tuple(days[first + timedelta(days=index)] for index in range(30)),
        by_status={status: sum(row.status is status for row in rows) for status in Status},
        by_origin=dict(sorted(Counter(row.origin for row in rows).items())),
        acknowledged=len(acks),
        median_ack_seconds=sum(middle) / 2 if middle else None,
        quota=Quota(),  # (test_latest_quota: the newest of equal times is not defined)
    )


operations = st.lists(
    st.one_of(
        st.tuples(
            st.just("send"),
            st.sampled_from(["a", "b"]),
            st.sampled_from(["tui", "cli", "sentry"]),
            st.floats(0, 40 * 86400),  # how long ago
            st.booleans(),  # an emergency
            st.one_of(st.none(), st.integers(0, 10_000)),  # the quota left
        ),
        st.tuples(st.just("ack"), st.integers(0, 50), st.floats(-100, 20_000)),
        st.tuples(
            st.sampled_from(["fail", "cancel", "expire", "delete", "interrupt"]),
            st.integers(0, 50),
        ),
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(operations)
def test_counts_always_equal_a_recount(ops: list[tuple]) -> None:
    now = 1_800_000_000.0
    today = datetime.fromtimestamp(now).date()
    with tempfile.TemporaryDirectory() as folder, History.open(Path(folder)) as history:
        fake = Clock(now)
        real_time = history_module.time
        history_module.time = SimpleNamespace(time=fake.time)  # type: ignore[assignment]
        try:
            ids: list[int] = []
            for op in ops:
                fake.now += 1
                if op[0] == "send":
                    _, profile, origin, ago, emergency, left = op
                    fake.now, sent_at = now - ago, fake.now
                    ids.append(
                        send(
                            history,
                            profile=profile,
                            origin=origin,
                            emergency=emergency,
                            quota=Quota(10_000, left, 1),
                        )
                    )
                    fake.now = sent_at
                elif ids:
                    row_id = ids[op[1] % len(ids)]
                    row = history.get(row_id)
                    if row is None:
                        continue
                    if op[0] == "ack":
                        acknowledge(history, row_id, max(1, row.created_at + op[2]))
                    elif op[0] == "fail":
                        history.record_failed(row_id, "failed")
                    elif op[0] == "cancel":
                        history.record_cancelled(row_id)
                    elif op[0] == "expire":
                        history.record_receipt(row_id, Receipt(RECEIPT, expired=True))
                    elif op[0] == "delete":
                        history.delete(row_id)
                    else:
                        history.record_interrupted(row_id)
        finally:
            history_module.time = real_time
        for profile in (None, "a", "b"):
            expected = recount(history, today, profile)
            got = overview(history, profile=profile, today=today)
            assert got.per_day == expected.per_day
            assert dict(got.by_status) == dict(expected.by_status)
            assert dict(got.by_origin) == dict(expected.by_origin)
            assert got.acknowledged == expected.acknowledged
            assert got.median_ack_seconds == expected.median_ack_seconds
