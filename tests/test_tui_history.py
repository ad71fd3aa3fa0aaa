"""The History screen: live list, filters, receipts, row actions, paging; snapshots."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rich.console import Console
from textual.css.query import NoMatches
from textual.widgets import Input, Select, Static, TextArea

from pushover_tui.api.beyond_messages import Glance
from pushover_tui.api.models import Message, Quota, Receipt, ReceiptState, SendResult
from pushover_tui.simulator import DEMO_TOKEN, DEMO_USER
from pushover_tui.store import history as history_module
from pushover_tui.store.history import History, HistoryFilter, RowKind, Status
from pushover_tui.tui import wording as history_format
from pushover_tui.tui.history.filter_bar import FilterBar
from pushover_tui.tui.history.screen import EMPTY_TEXT, HistoryScreen
from pushover_tui.tui.messages import FilterHistory
from pushover_tui.tui.widgets.row_table import HistoryTable

SIZE = (110, 36)
# Every screen is pictured at the reference terminal (80x24) and a roomy one.
SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])


def SNAPSHOT_SIZES(test):
    return pytest.mark.usefixtures("steady_api_host")(SIZES(test))


# 2026-03-14 09:26:00 UTC: every time on a snapshot derives from this.
BASE = datetime(2026, 3, 14, 9, 26, tzinfo=UTC).timestamp()
RECEIPT_ACKED = "aCkNoWlEdGeD0000000000000000r1"
RECEIPT_OPEN = "oPeNrEcEiPt0000000000000000r22"


# -- helpers ------------------------------------------------------------------------------------


@pytest.fixture
def utc():
    """Local time = UTC, so the times on snapshots do not depend on the machine."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if old is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = old
    time.tzset()


class FakeTime:
    """Stands in for the `time` module in pushover_tui.store.history."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.fixture
def frozen(monkeypatch, utc) -> FakeTime:
    """Freeze the store's clock and the screen's (countdowns, "today") at BASE."""
    fake = FakeTime(BASE)
    monkeypatch.setattr(history_module, "time", fake)
    monkeypatch.setattr(history_format, "clock", lambda: fake.now)
    return fake


@pytest.fixture
def fast_poll(monkeypatch):
    monkeypatch.setattr(History, "WATCH_SECONDS", 0.1)
    monkeypatch.setattr(FilterBar, "SEARCH_DELAY", 0.05)


def data_folder(env: dict[str, str]) -> Path:
    return Path(env["PUSHOVER_TUI_DATA"])


def add_row(
    history: History,
    message: Message,
    *,
    result: SendResult | None = None,
    error: str = "",
    receipt: Receipt | None = None,
    origin: str = "cli",
) -> int:
    row_id = history.record_sending(message, profile="personal", origin=origin)
    if error:
        history.record_failed(row_id, error, request_id="req-failed-0001")
    elif result is not None:
        history.record_sent(row_id, result)
        if receipt is not None:
            history.record_receipt(row_id, receipt)
    return row_id


def seed_rows(folder: Path, clock: FakeTime) -> None:
    """Six rows a minute apart, one of each kind the screen shows."""
    with History.open(folder) as history:
        clock.now = BASE - 3600
        add_row(
            history,
            Message("Nightly backup finished: 42 GB in 12 min", title="Backup"),
            result=SendResult("req-0000-backup", quota=Quota(10000, 9958, None)),
        )
        clock.now = BASE - 3000
        add_row(
            history,
            Message("Deploy of web-3 failed at step migrate", title="Deploy", priority=1),
            error="user identifier is invalid (user: invalid)",
        )
        clock.now = BASE - 2400
        interrupted = add_row(history, Message("Disk usage 91% on db-1", priority=-1))
        clock.now = BASE - 1800
        add_row(
            history,
            Message(
                "Database primary is down",
                title="PagerDuty",
                priority=2,
                retry=60,
                expire=3600,
                tags=("ops", "db"),
                sound="siren",
            ),
            result=SendResult("req-0000-emergency-open", receipt=RECEIPT_OPEN),
            receipt=Receipt(
                RECEIPT_OPEN, last_delivered_at=int(BASE - 60), expires_at=int(BASE + 1800 - 75)
            ),
        )
        clock.now = BASE - 600
        add_row(
            history,
            Message(
                "Disk full on web-1: /var at 100%",
                title="Disk full",
                priority=2,
                retry=30,
                expire=1800,
                tags=("ops",),
                url="https://status.example.com/web-1",
            ),
            result=SendResult("req-0000-emergency-ack", receipt=RECEIPT_ACKED),
            receipt=Receipt(
                RECEIPT_ACKED,
                acknowledged=True,
                acknowledged_at=int(BASE - 480),
                acknowledged_by=DEMO_USER,
                acknowledged_by_device="pixel",
                last_delivered_at=int(BASE - 510),
                expires_at=int(BASE + 1200),
            ),
            origin="tui",
        )
        clock.now = BASE - 60
        add_row(
            history,
            Message("Weekly report is ready", title="Reports", priority=-2),
            result=SendResult("req-0000-report", quota=Quota(10000, 9955, None)),
        )
        clock.now = BASE
        # No API for "a process died mid-send" from inside this process: mark it by hand.
        with sqlite3.connect(history.path) as connection:
            connection.execute(
                "UPDATE messages SET status = 'interrupted', error = ? WHERE id = ?",
                (history_module.INTERRUPTED_TEXT, interrupted),
            )


def table(app) -> HistoryTable:
    return app.screen.query_one(HistoryTable)


def table_lines(app) -> list[str]:
    """What the list shows, as text (header first)."""
    widget = table(app)
    return [widget.render_line(y).text for y in range(widget.scrollable_content_region.height)]


def detail_text(app) -> str:
    body = app.screen.query_one("#history-detail-body", Static)
    console = Console(width=80, record=True, file=io.StringIO(), color_system=None)
    console.print(body.content)
    return console.export_text()


def count_text(app) -> str:
    return str(app.screen.query_one("#history-count", Static).content)


async def wait_for(pilot, predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not _holds(predicate):
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await pilot.pause(0.05)


def _holds(predicate) -> bool:
    try:
        return bool(predicate())
    except NoMatches:  # the screen is not built yet
        return False
    except IndexError:  # the list not laid out yet: no lines
        return False


async def open_history(pilot) -> None:
    await pilot.press("f4")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, HistoryScreen))
    await pilot.pause()


# -- behaviour ----------------------------------------------------------------------------------


async def test_rows_appear_live_newest_first_from_this_app_and_other_processes(
    demo_config, make_app, simulator, isolated_env, fast_poll
):
    app = make_app(api_url=simulator.base_url)
    async with app.run_test(size=SIZE) as pilot:
        await open_history(pilot)
        assert app.screen.has_class("-empty")
        assert app.screen.query_one("#history-empty").display
        text = EMPTY_TEXT.format(compose="f3")
        assert text in str(app.screen.query_one("#history-empty", Static).content)

        # Written by another History connection (the command line, cron): no key press needed.
        with History.open(data_folder(isolated_env)) as other:
            add_row(other, Message("from cron"), result=SendResult("req-cron"))
        await wait_for(pilot, lambda: table(app).total == 1)
        assert not app.screen.has_class("-empty")
        # The row itself: the list, hidden while empty, is drawn after the next layout.
        await wait_for(pilot, lambda: "from cron" in table_lines(app)[1])
        await wait_for(pilot, lambda: "cli · profile personal" in detail_text(app))

        # Sent through the app while the screen is open: on top at once.
        await app.session.send_message(Message("first message", title="One"))
        await app.session.send_message(Message("second message", title="Two"))
        # The rows themselves, sent (the cron row alone already said "sent").
        await wait_for(pilot, lambda: table(app).total == 3)
        await wait_for(pilot, lambda: all("sent" in line for line in table_lines(app)[1:4]))
        lines = table_lines(app)
        assert "Time" in lines[0] and "Receipt" in lines[0]
        assert "Two — second" in lines[1] and "sent" in lines[1]
        assert "One — first" in lines[2]
        assert "from cron" in lines[3]
        assert "rows 1–3 of 3" in count_text(app)
        # The selection stays on the row the user was looking at.
        assert table(app).selected.message == "from cron"
        await pilot.press("home")
        assert table(app).selected.message == "second message"
        await wait_for(pilot, lambda: "tui · profile personal" in detail_text(app))


async def test_filters_text_status_and_open_emergencies(
    demo_config, make_app, simulator, isolated_env, fast_poll
):
    with History.open(data_folder(isolated_env)) as history:
        add_row(history, Message("backup done"), result=SendResult("r1"))
        add_row(history, Message("deploy broke"), error="application token is invalid")
        add_row(history, Message("backup failed"), error="user identifier is invalid")
        add_row(
            history,
            Message("db down", priority=2, retry=30, expire=600),
            result=SendResult("r4", receipt=RECEIPT_OPEN),
            origin="sentry",
        )
    app = make_app(api_url=simulator.base_url)
    app.session.outbox.tracker.track = lambda *args, **kwargs: None  # keep the receipt open
    async with app.run_test(size=SIZE) as pilot:
        # The palette's "History: failed messages" opens the screen already filtered.
        app.open_mode("history", FilterHistory(HistoryFilter(status=Status.FAILED)))
        await wait_for(pilot, lambda: table(app).total == 2)
        await wait_for(pilot, lambda: "status failed" in count_text(app))
        app.screen.apply_filter(HistoryFilter())  # everything again
        await pilot.pause()
        assert table(app).total == 4

        await pilot.press("ctrl+f")
        assert isinstance(app.screen.focused, Input)
        await pilot.press(*"backup")
        await wait_for(pilot, lambda: table(app).total == 2)
        assert {table(app).source.row(i).message for i in range(2)} == {
            "backup done",
            "backup failed",
        }
        await wait_for(pilot, lambda: "filtered" in count_text(app))

        select = app.screen.query_one("#history-status", Select)
        select.value = "failed"
        await wait_for(pilot, lambda: table(app).total == 1)
        assert table(app).selected.message == "backup failed"

        # The palette's "History: failed messages" resets the other filters.
        app.screen.post_message(FilterHistory(HistoryFilter(status=Status.FAILED)))
        await wait_for(pilot, lambda: table(app).total == 2)
        assert app.screen.query_one("#history-search", Input).value == ""
        assert select.value == "failed"

        # "Cancel an emergency": open emergencies only.
        app.screen.post_message(FilterHistory(HistoryFilter(receipt_state=ReceiptState.AWAITING)))
        await wait_for(pilot, lambda: table(app).total == 1)
        assert table(app).selected.message == "db down"
        assert select.is_blank()
        await wait_for(pilot, lambda: "awaiting acknowledgement" in count_text(app))

        # "History: from Sentry": the bridge's alerts only.
        app.open_mode("history", FilterHistory(HistoryFilter(origin="sentry")))
        await wait_for(pilot, lambda: "origin sentry" in count_text(app))
        assert table(app).total == 1 and table(app).selected.message == "db down"

        # A filter matching nothing says so in the list (not the "no messages yet" page).
        app.screen.apply_filter(HistoryFilter(search="no such text"))
        await pilot.pause()
        assert table(app).total == 0
        assert not app.screen.has_class("-empty")
        assert "No messages match these filters." in table_lines(app)[2]


async def test_glances_are_listed_and_the_kind_filter_picks_them(demo_config, make_app, simulator):
    app = make_app(api_url=simulator.base_url)
    async with app.run_test(size=SIZE) as pilot:
        await app.session.send_message(Message("a message", title="Msg"))
        await app.session.glances.send(Glance(title="Sales", count=12))
        app.switch_mode("history")
        await wait_for(pilot, lambda: table(app).total == 2)
        assert "Glance    Sales — count 12" in table_lines(app)[1]
        select = app.screen.query_one("#history-kind", Select)
        select.value = RowKind.GLANCE.value
        await wait_for(pilot, lambda: table(app).total == 1)
        assert table(app).selected.kind is RowKind.GLANCE
        await wait_for(pilot, lambda: "filtered: glances" in count_text(app))
        assert app.screen.filters.kind is RowKind.GLANCE
        # A glance is not resent as a message: the warning names where to send one.
        table(app).focus()
        await pilot.press("r")
        await pilot.pause()
        assert any("Glance panel" in n.message for n in app._notifications)
        assert simulator.messages[-1]["message"] == "a message" and len(simulator.messages) == 1
        select.value = RowKind.MESSAGE.value
        await wait_for(pilot, lambda: table(app).selected.message == "a message")
        assert table(app).total == 1


async def test_emergency_acknowledged_live_with_device_and_masked_user(
    demo_config, make_app, simulator
):
    app = make_app(api_url=simulator.base_url)
    # Receipts may be polled every 5 s at most; the tracker clamps to that. Tests go faster.
    app.session.outbox.tracker.interval = 0.2
    async with app.run_test(size=SIZE) as pilot:
        sent = await app.session.send_message(
            Message("server on fire", title="Fire", priority=2, retry=30, expire=600)
        )
        receipt = sent.result.receipt
        await open_history(pilot)
        assert "awaiting" in table_lines(app)[1]
        text = detail_text(app)
        assert "awaiting" in text and "Expires" in text and "in " in text

        simulator.ack(receipt, device="pixel")
        await wait_for(pilot, lambda: "acknowledged" in table_lines(app)[1])
        await wait_for(pilot, lambda: "acknowledged" in detail_text(app))
        text = detail_text(app)
        assert "on pixel" in text
        assert DEMO_USER[:4] + "••••" in text
        assert DEMO_USER not in text


async def test_cancel_retries_and_cancel_by_tag(demo_config, make_app, simulator):
    app = make_app(api_url=simulator.base_url)
    async with app.run_test(size=SIZE) as pilot:
        first = await app.session.send_message(
            Message("alarm one", priority=2, retry=30, expire=600, tags=("ops",))
        )
        second = await app.session.send_message(
            Message("alarm two", priority=2, retry=30, expire=600, tags=("ops", "db"))
        )
        await open_history(pilot)
        assert table(app).selected.message == "alarm two"

        await pilot.press("down", "c")
        await wait_for(
            pilot,
            lambda: app.session.history.get(first.row_id).receipt_state is ReceiptState.CANCELLED,
        )
        path = f"/1/receipts/{first.result.receipt}/cancel.json"
        assert any(r.path == path and r.status == 200 for r in simulator.requests)
        client = await app.session.outbox.client()
        stopped = await client.receipt(first.result.receipt)  # the simulator stopped retrying
        assert stopped.expired and not stopped.acknowledged
        await wait_for(pilot, lambda: "cancelled" in table_lines(app)[2])
        await wait_for(pilot, lambda: "cancelled" in detail_text(app))

        await pilot.press("home", "t")
        await wait_for(pilot, lambda: app.screen.query("#dialog-input"))
        assert app.screen.query_one("#dialog-input", Input).value == "ops"
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: app.session.history.get(second.row_id).receipt_state is ReceiptState.CANCELLED,
        )
        assert any(r.path == "/1/receipts/cancel_by_tag/ops.json" for r in simulator.requests)
        await wait_for(pilot, lambda: "cancelled" in table_lines(app)[1])


async def test_row_actions_copy_resend_delete_clear(demo_config, make_app, simulator, isolated_env):
    with History.open(data_folder(isolated_env)) as history:
        for number in range(3):
            add_row(history, Message(f"row {number}"), result=SendResult(f"r{number}"))
    app = make_app(api_url=simulator.base_url)
    async with app.run_test(size=SIZE) as pilot:
        await app.session.send_message(Message("resend me please", title="Again", priority=1))
        await open_history(pilot)
        assert table(app).total == 4

        await pilot.press("y")
        copied = app.clipboard
        data = json.loads(copied)
        assert data["message"] == "resend me please" and data["title"] == "Again"
        assert "token" not in data and "user" not in data
        assert DEMO_TOKEN not in copied and DEMO_USER not in copied

        await pilot.press("r")
        await wait_for(pilot, lambda: app.current_mode == "compose")
        await pilot.pause()
        compose = app.screen
        texts = [w.text for w in compose.query(TextArea)] + [w.value for w in compose.query(Input)]
        assert "resend me please" in texts
        assert "Again" in texts

        await open_history(pilot)
        await pilot.press("down")
        assert table(app).selected.message == "row 2"
        await pilot.press("d")
        await wait_for(pilot, lambda: app.screen.query("#choice-confirm"))
        await pilot.press("escape")  # changed my mind
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen))
        assert app.session.history.count() == 4

        await pilot.press("d")
        await wait_for(pilot, lambda: app.screen.query("#choice-confirm"))
        await pilot.click("#choice-confirm")
        await wait_for(pilot, lambda: table(app).total == 3)
        assert [row.message for row in app.session.history.page()] == [
            "resend me please",
            "row 1",
            "row 0",
        ]
        assert table(app).selected.message == "row 1"

        await pilot.press("X")
        await wait_for(pilot, lambda: app.screen.query("#choice-confirm"))
        await pilot.click("#choice-cancel")
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen))
        assert app.session.history.count() == 3

        await pilot.press("X")
        await wait_for(pilot, lambda: app.screen.query("#choice-confirm"))
        await pilot.click("#choice-confirm")
        await wait_for(pilot, lambda: app.session.history.count() == 0)
        await wait_for(pilot, lambda: app.screen.has_class("-empty"))
        assert app.screen.query_one("#history-empty").display


async def test_paging_through_5000_rows(demo_config, make_app, simulator, isolated_env):
    with History.open(data_folder(isolated_env)) as history:
        for number in range(5000):
            history.record_sending(Message(f"row {number}"), profile="personal", origin="cli")
    app = make_app(api_url=simulator.base_url)
    calls: list[tuple[int, int, bool]] = []
    page = app.session.history.page

    def spy(filters, *, offset=0, limit=100, oldest_first=False):
        calls.append((offset, limit, oldest_first))
        return page(filters, offset=offset, limit=limit, oldest_first=oldest_first)

    app.session.history.page = spy
    async with app.run_test(size=SIZE) as pilot:
        await open_history(pilot)
        widget = table(app)
        assert widget.total == 5000
        assert widget.selected.message == "row 4999"
        height = widget.page_height
        assert f"rows 1–{height} of 5,000" in count_text(app)

        await pilot.press("pagedown")
        assert widget.cursor == height
        assert widget.selected.message == f"row {4999 - height}"

        await pilot.press("end")
        assert widget.selected.message == "row 0"
        assert "of 5,000" in count_text(app)
        assert f"rows {5000 - height + 1:,}–5,000" in count_text(app)
        assert "row 0" in table_lines(app)[height]
        # The oldest rows come from the oldest end: no OFFSET of thousands, no full load.
        assert calls[-1] == (0, 100, True)

        await pilot.press("home")
        assert widget.selected.message == "row 4999"
        await pilot.press("up")  # already at the top: stays
        assert widget.cursor == 0
        assert max(limit for _, limit, _ in calls) <= 100
        assert sum(limit for _, limit, _ in calls) < 1000


# -- snapshots ----------------------------------------------------------------------------------


async def open_when_checked(pilot) -> None:
    """The status bar's key check and quota arrive in the background: wait for them."""
    app = pilot.app
    await wait_for(pilot, lambda: app.verified is not None and app.quota is not None)
    await open_history(pilot)
    await pilot.pause()


@SNAPSHOT_SIZES
def test_snapshot_rows_with_acknowledged_receipt(
    size, snap_compare, demo_config, make_app, simulator, isolated_env, frozen
):
    seed_rows(data_folder(isolated_env), frozen)
    app = make_app(api_url=simulator.base_url)

    async def run_before(pilot) -> None:
        await open_when_checked(pilot)
        await pilot.press("down")  # the acknowledged emergency
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@SNAPSHOT_SIZES
def test_snapshot_filtered_to_open_emergencies(
    size, snap_compare, demo_config, make_app, simulator, isolated_env, frozen
):
    seed_rows(data_folder(isolated_env), frozen)
    app = make_app(api_url=simulator.base_url)
    app.session.outbox.tracker.track = lambda *args, **kwargs: (
        None
    )  # nothing polls the seeded receipt

    async def run_before(pilot) -> None:
        await open_when_checked(pilot)
        app.screen.post_message(FilterHistory(HistoryFilter(receipt_state=ReceiptState.AWAITING)))
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@SNAPSHOT_SIZES
def test_snapshot_empty_state(size, snap_compare, demo_config, make_app, simulator, frozen):
    app = make_app(api_url=simulator.base_url)
    assert snap_compare(app, terminal_size=size, run_before=open_when_checked)
