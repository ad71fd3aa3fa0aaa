"""The Store contract: every test runs on both backends (the `store` fixture: SQLite files, then a
real PostgreSQL server). Whatever SQLite passes, PostgreSQL passes."""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest

from pushover_tui.api.beyond_messages import Glance
from pushover_tui.api.models import Message, Quota, Receipt, ReceiptState, SendResult
from pushover_tui.api.secret import Secret
from pushover_tui.store.base import Store
from pushover_tui.store.history import HistoryFilter, RowKind, Status
from pushover_tui.store.overview import overview

USER = "uQiRzpo4DXghDmr9QzzfQu27cmVRsG"
GROUP = "gznej3rKEVAvPUxu9vvNnqpmZpokzF"


def emergency(text: str = "Server down", tags: tuple[str, ...] = ()) -> Message:
    return Message(text, title="Alert", priority=2, retry=60, expire=3600, tags=tags)


def sent_emergency(store: Store, receipt: str, tags: tuple[str, ...] = ()) -> int:
    row_id = store.record_sending(emergency(tags=tags), profile="p", origin="tui")
    store.record_sent(row_id, SendResult("req", receipt=receipt))
    return row_id


def test_a_row_is_recorded_sending_then_sent(store: Store) -> None:
    message = Message("Disk full", title="db1", priority=1, url="https://example.com", tags=("a",))
    row_id = store.record_sending(
        message, profile="work", origin="cli", meta={"sentry_issue": "7"}, recipient=Secret(GROUP)
    )
    row = store.get(row_id)
    assert row is not None
    assert (row.status, row.origin, row.profile, row.priority) == (Status.SENDING, "cli", "work", 1)
    assert (row.title, row.message) == ("db1", "Disk full")
    assert row.params["url"] == "https://example.com"
    assert row.meta == {"sentry_issue": "7"}
    assert row.recipient == Secret(GROUP).masked()
    assert row.created_at == pytest.approx(time.time(), abs=5)

    store.record_sent(row_id, SendResult("req-1", quota=Quota(10000, 9000, 1_900_000_000)))
    row = store.get(row_id)
    assert row is not None and row.status is Status.SENT and row.request_id == "req-1"
    assert row.quota == Quota(10000, 9000, 1_900_000_000)
    assert row.receipt is None and row.receipt_state is None


def test_credentials_and_secrets_are_refused(store: Store) -> None:
    with pytest.raises(ValueError):
        store.record_sending(Message("x"), profile="p", origin="cli", meta={"token": "t"})
    with pytest.raises(ValueError):
        store.record_sending(Message("x"), profile="p", origin="cli", meta={"k": Secret(USER)})
    assert store.count() == 0


def test_failed_keeps_the_error_request_and_quota(store: Store) -> None:
    row_id = store.record_sending(Message("x"), profile="p", origin="cli")
    store.record_failed(row_id, "quota exceeded", request_id="req-9", quota=Quota(1, 0, 5))
    row = store.get(row_id)
    assert row is not None and row.status is Status.FAILED
    assert (row.error, row.request_id, row.quota) == ("quota exceeded", "req-9", Quota(1, 0, 5))


def test_receipt_lifecycle(store: Store) -> None:
    receipt = "r" * 30
    row_id = sent_emergency(store, receipt)
    assert store.get(row_id).receipt_state is ReceiptState.AWAITING  # type: ignore[union-attr]
    assert store.get_by_receipt(receipt) == store.get(row_id)
    polled = Receipt(receipt, last_delivered_at=100, expires_at=200)
    assert store.record_receipt(row_id, polled) is True
    assert store.record_receipt(row_id, polled) is False
    acked = Receipt(receipt, acknowledged=True, acknowledged_at=150, acknowledged_by=USER)
    assert store.record_receipt(row_id, acked) is True
    row = store.get(row_id)
    assert row is not None and row.receipt_state is ReceiptState.ACKNOWLEDGED
    assert (
        row.receipt_info is not None and row.receipt_info.acknowledged_by == Secret(USER).masked()
    )
    assert store.record_receipt(123456, acked) is False


def test_a_poll_in_flight_does_not_reopen_a_cancelled_receipt(store: Store) -> None:
    row_id = sent_emergency(store, "b" * 30)
    store.record_cancelled(row_id)
    store.record_receipt(row_id, Receipt("b" * 30, last_delivered_at=9))
    assert store.get(row_id).receipt_state is ReceiptState.CANCELLED  # type: ignore[union-attr]
    store.record_receipt(row_id, Receipt("b" * 30, expired=True))
    assert store.get(row_id).receipt_state is ReceiptState.EXPIRED  # type: ignore[union-attr]


def test_interrupted_only_while_sending(store: Store) -> None:
    stopped = store.record_sending(Message("x"), profile="p", origin="tui")
    store.record_interrupted(stopped, "Stopped.")
    done = store.record_sending(Message("y"), profile="p", origin="tui")
    store.record_sent(done, SendResult("req"))
    store.record_interrupted(done, "Stopped.")
    assert store.get(stopped).status is Status.INTERRUPTED  # type: ignore[union-attr]
    assert store.get(stopped).error == "Stopped."  # type: ignore[union-attr]
    assert store.get(done).status is Status.SENT  # type: ignore[union-attr]


def test_mark_interrupted_leaves_this_process_alone(store: Store) -> None:
    row_id = store.record_sending(Message("x"), profile="p", origin="tui")
    assert store.mark_interrupted(stale_after=0) == 0
    assert store.get(row_id).status is Status.SENDING  # type: ignore[union-attr]


def fill(store: Store) -> list[int]:
    specs = [
        ("first backup done", 0, "home", "cli", Status.SENT),
        ("Disk full on db1", 1, "work", "sentry", Status.FAILED),
        ("db1 down", 2, "work", "tui", Status.SENT),
        ("100% _literal_ match", -1, "home", "tui", Status.SENDING),
        ("last one", 0, "work", "cli", Status.SENT),
    ]
    ids = []
    for text, priority, profile, origin, status in specs:
        message = Message(text, priority=priority, retry=30, expire=60)
        row_id = store.record_sending(message, profile=profile, origin=origin)
        if status is Status.SENT:
            receipt = "r" * 30 if priority == 2 else None
            store.record_sent(row_id, SendResult(f"req-{text}", receipt=receipt))
        elif status is Status.FAILED:
            store.record_failed(row_id, "quota exceeded")
        ids.append(row_id)
    return ids


def test_pages_newest_first_and_oldest_first(store: Store) -> None:
    ids = fill(store)
    assert [row.id for row in store.page()] == ids[::-1]
    assert [row.id for row in store.page(oldest_first=True)] == ids
    assert [row.id for row in store.page(offset=2, limit=2)] == ids[::-1][2:4]
    assert store.page(offset=10) == []
    assert store.count() == 5


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (HistoryFilter(status=Status.SENT), [0, 2, 4]),
        (HistoryFilter(priority=0), [0, 4]),
        (HistoryFilter(profile="home"), [0, 3]),
        (HistoryFilter(origin="tui"), [2, 3]),
        (HistoryFilter(search="DB1"), [1, 2]),  # case-insensitive, title or message
        (HistoryFilter(search="quota"), [1]),  # the error text
        (HistoryFilter(search="100%"), [3]),  # % and _ are literal
        (HistoryFilter(search="_literal_"), [3]),
        (HistoryFilter(search="a_b"), []),
        (HistoryFilter(status=Status.SENT, priority=0, origin="cli", profile="home"), [0]),
        (HistoryFilter(receipt_state=ReceiptState.AWAITING), [2]),
        (HistoryFilter(recipient="nobody"), []),
    ],
)
def test_filters(store: Store, filters: HistoryFilter, expected: list[int]) -> None:
    ids = fill(store)
    wanted = [ids[index] for index in expected]
    assert [row.id for row in store.page(filters, oldest_first=True)] == wanted
    assert store.count(filters) == len(wanted)


def test_a_glance_is_recorded_as_a_glance_row_with_its_fields(store: Store) -> None:
    glance = Glance(title="Sales", text="build green", count=-2, percent=40, device="pixel")
    row_id = store.record_sending(glance, profile="p", origin="cli", recipient=Secret(USER))
    store.record_failed(row_id, "the device is not registered", request_id="req-7")
    row = store.get(row_id)
    assert row is not None and row.kind is RowKind.GLANCE and row.status is Status.FAILED
    assert (row.title, row.message, row.priority) == (
        "Sales",
        "text 'build green', count -2, percent 40",
        0,
    )
    assert dict(row.params) == {
        "title": "Sales",
        "text": "build green",
        "count": -2,
        "percent": 40,
        "device": "pixel",
    }
    assert (row.error, row.request_id, row.recipient) == (
        "the device is not registered",
        "req-7",
        Secret(USER).masked(),
    )
    shown = row.to_json()
    assert shown["kind"] == "glance" and shown["subtext"] == "" and "url" not in shown
    assert USER not in str(shown)
    message_id = store.record_sending(Message("x"), profile="p", origin="cli")
    assert store.get(message_id).kind is RowKind.MESSAGE  # type: ignore[union-attr]
    assert store.get(message_id).to_json()["kind"] == "message"  # type: ignore[union-attr]


def test_filter_by_kind(store: Store) -> None:
    ids = fill(store)
    glance_id = store.record_sending(Glance(count=3), profile="home", origin="tui")
    store.record_sent(glance_id, SendResult("req-g"))
    only_glances = HistoryFilter(kind=RowKind.GLANCE)
    assert [row.id for row in store.page(only_glances)] == [glance_id]
    assert store.count(only_glances) == 1
    assert [row.id for row in store.page(HistoryFilter(kind=RowKind.MESSAGE))] == ids[::-1]
    assert store.count(HistoryFilter(kind=RowKind.GLANCE, profile="work")) == 0
    assert store.count() == len(ids) + 1


def test_delete_and_clear(store: Store) -> None:
    ids = fill(store)
    assert store.delete(ids[0]) is True
    assert store.delete(ids[0]) is False
    assert store.get(ids[0]) is None
    assert store.clear() == 4
    assert store.count() == 0


def test_open_receipts_and_tags(store: Store) -> None:
    tagged = sent_emergency(store, "a" * 30, ("db", "prod"))
    other = sent_emergency(store, "b" * 30, ("dbx",))
    done = sent_emergency(store, "c" * 30, ("db",))
    store.record_receipt(done, Receipt("c" * 30, acknowledged=True))
    store.record_sending(Message("normal"), profile="p", origin="tui")
    assert [row.id for row in store.open_receipts()] == [tagged, other]
    assert [row.id for row in store.open_receipts_with_tag("db")] == [tagged]
    assert store.open_receipts_with_tag("d") == []
    store.record_cancelled(tagged)
    assert [row.id for row in store.open_receipts()] == [other]


def test_one_poll_claim_per_interval_across_processes(open_test_store) -> None:
    here, there = open_test_store(), open_test_store()
    row_id = sent_emergency(here, "a" * 30)
    now = 1_000_000.0 + time.time()
    assert here.claim_poll(row_id, now=now, interval=5, lease=30) is True
    assert there.claim_poll(row_id, now=now, interval=5, lease=30) is False
    # The claim's request is in flight until it reports: no claim inside the lease.
    assert there.claim_poll(row_id, now=now + 10, interval=5, lease=30) is False
    here.end_poll(row_id, at=now + 1)
    assert there.claim_poll(row_id, now=now + 5.5, interval=5, lease=30) is False
    assert there.claim_poll(row_id, now=now + 6, interval=5, lease=30) is True
    there.record_receipt(row_id, Receipt("a" * 30, acknowledged=True), polled_at=now + 7)
    assert here.claim_poll(row_id, now=now + 100, interval=5, lease=30) is False  # closed


def test_claims_race_from_threads(open_test_store) -> None:
    stores = [open_test_store() for _ in range(3)]
    row_id = sent_emergency(stores[0], "a" * 30)
    now = time.time()
    wins: list[bool] = []
    threads = [
        threading.Thread(
            target=lambda s=s: wins.append(s.claim_poll(row_id, now=now, interval=5, lease=30))
        )
        for s in stores
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(wins) == [False, False, True]


def test_another_process_sees_rows_and_is_told_of_changes(open_test_store) -> None:
    here, there = open_test_store(), open_test_store()
    told = threading.Event()
    stop = there.subscribe(told.set)
    before = there.data_version()
    row_id = here.record_sending(Message("from another host"), profile="p", origin="cli")
    assert told.wait(5), "no change was announced"
    assert there.get(row_id) is not None
    assert there.data_version() != before
    stop()


def test_overview_counts(store: Store) -> None:
    fill(store)
    acked = sent_emergency(store, "z" * 30)
    created = store.get(acked).created_at  # type: ignore[union-attr]
    store.record_receipt(
        acked, Receipt("z" * 30, acknowledged=True, acknowledged_at=int(created) + 60)
    )
    summary = overview(store, today=date.today())
    assert summary.total == 6
    assert summary.by_status[Status.SENT] == 4
    assert summary.by_origin == {"cli": 2, "sentry": 1, "tui": 3}
    assert summary.per_day[-1] == 6
    assert summary.acknowledged == 1
    assert summary.median_ack_seconds == pytest.approx(60, abs=1)
    assert overview(store, profile="home").total == 2


def recount(store: Store, profile: str | None = None) -> tuple[dict, dict, int]:
    """What the overview says, from the rows themselves."""
    rows = [r for r in store.page(limit=1000) if profile is None or r.profile == profile]
    by_status = {status: sum(r.status is status for r in rows) for status in Status}
    origins = sorted({r.origin for r in rows})
    return by_status, {o: sum(r.origin == o for r in rows) for o in origins}, len(rows)


def test_overview_counts_follow_every_change(store: Store, open_test_store) -> None:
    ids = fill(store)
    acked = sent_emergency(store, "y" * 30)
    created = store.get(acked).created_at  # type: ignore[union-attr]
    store.record_receipt(acked, Receipt("y" * 30, acknowledged=True, acknowledged_at=int(created)))
    other = open_test_store()  # another process's writes are counted too
    other.record_failed(ids[3], "stopped")
    other.record_interrupted(ids[0])  # sent already: stays sent
    store.record_cancelled(acked)  # acknowledged already: stays
    store.delete(ids[1])
    for profile in (None, "home", "work"):
        summary = overview(store, profile=profile, today=date.today())
        by_status, by_origin, total = recount(store, profile)
        assert dict(summary.by_status) == by_status
        assert dict(summary.by_origin) == by_origin
        assert summary.total == total == sum(summary.per_day)
    assert overview(store).median_ack_seconds == 0
    assert store.clear() == 5
    emptied = overview(store)
    assert (emptied.total, emptied.by_origin, emptied.acknowledged) == (0, {}, 0)


def test_schema_version_and_location(store: Store, store_url) -> None:
    assert store.schema_version() >= 1
    if store_url is not None:
        assert store.location() == store_url.masked()
        assert store_url.password() not in store.location()


def test_latest_quota_is_the_newest_rows(store: Store) -> None:
    assert store.latest_quota("p") is None
    first = store.record_sending(Message("a"), profile="p", origin="cli")
    store.record_sent(first, SendResult("r1", quota=Quota(10000, 9000, 1)))
    second = store.record_sending(Message("b"), profile="p", origin="cli")
    store.record_failed(second, "over quota", quota=Quota(10000, 0, 2))
    store.record_sending(Message("c"), profile="p", origin="cli")  # no quota yet
    other = store.record_sending(Message("d"), profile="q", origin="cli")
    store.record_sent(other, SendResult("r2", quota=Quota(7500, 5, 3)))
    found = store.latest_quota("p")
    assert found is not None and found[1] == Quota(10000, 0, 2)
    assert found[0] == store.get(second).created_at  # type: ignore[union-attr]
