"""The Inbox mode (F6) against the simulator over loopback: arrival (toast, bell, Send test's
arrival time), acknowledge, the login form (with two-factor), a session ended elsewhere or no
longer valid, reconnecting, the demo's own device, paging; snapshots at 80x24 and 120x40.

Waits are bounded by WAIT and never measured."""

from __future__ import annotations

import asyncio
import io
import time
from dataclasses import replace
from pathlib import Path

import pytest
from rich.console import Console
from test_tui_history import wait_for as wait_until
from textual.widgets import Input, Static

from pushover_tui.api.client import PushoverClient
from pushover_tui.api.inbox import ReceivedMessage
from pushover_tui.api.models import Message
from pushover_tui.api.secret import Secret
from pushover_tui.inbox import InboxState, log_in
from pushover_tui.simulator import (
    DEMO_2FA_CODE,
    DEMO_2FA_EMAIL,
    DEMO_2FA_PASSWORD,
    DEMO_EMAIL,
    DEMO_PASSWORD,
    DEMO_TOKEN,
    DEMO_USER,
)
from pushover_tui.store.config import load_config, resolve, save_config
from pushover_tui.store.history import History
from pushover_tui.store.inbox import InboxRow, InboxStore
from pushover_tui.tui import wording as history_format
from pushover_tui.tui.inbox.detail import detail_content
from pushover_tui.tui.inbox.screen import InboxScreen
from pushover_tui.tui.inbox.table import InboxTable, preview
from pushover_tui.tui.inbox.wording import LOGIN_COMMAND, state_content
from pushover_tui.tui.session.inbox import DEMO_DEVICE
from pushover_tui.tui.widgets.status_bar import StatusBar, arrival_text, status_text

WAIT = 10.0
DEVICE = "tui-test"
SIZES = {"80x24": (80, 24), "120x40": (120, 40)}
# 2026-03-14 09:26:00 UTC: every time on a snapshot derives from this.
BASE = 1773480360.0
RECEIPT = "iNbOxReCeIpT00000000000000000r"


# -- helpers ------------------------------------------------------------------------------------


@pytest.fixture
def inbox_config(demo_config, simulator):
    """demo_config logged in to the simulator's demo account as device DEVICE."""
    active = resolve(demo_config, env={})
    session = asyncio.run(log_in(active, DEMO_EMAIL, Secret(DEMO_PASSWORD), device_name=DEVICE))
    config = replace(
        demo_config,
        profiles=(replace(demo_config.profiles[0], inbox=session),),
    )
    save_config(config)
    return config


@pytest.fixture
def utc(monkeypatch):
    """Local time = UTC and "now" = BASE, so the times on snapshots never move."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.setattr(history_format, "clock", lambda: BASE)
    yield
    monkeypatch.undo()
    time.tzset()


async def wait_for(pilot, predicate) -> None:
    await wait_until(pilot, predicate, timeout=WAIT)


def text_of(widget: Static) -> str:
    console = Console(width=200, record=True, file=io.StringIO(), color_system=None)
    console.print(widget.render())
    return " ".join(console.export_text().split())


def state_text(app) -> str:
    return text_of(app.screen.query_one("#inbox-state", Static))


def table(app) -> InboxTable:
    return app.screen.query_one(InboxTable)


def table_lines(app) -> list[str]:
    widget = table(app)
    return [widget.render_line(y).text for y in range(widget.scrollable_content_region.height)]


def detail_text(app) -> str:
    return text_of(app.screen.query_one("#inbox-detail-body", Static))


def toasts(app) -> list[tuple[str, str]]:
    return [(str(n.title), str(n.message)) for n in app._notifications]


async def open_inbox(pilot) -> None:
    await pilot.press("f6")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, InboxScreen))
    await pilot.pause()


async def following(pilot) -> None:
    await wait_for(pilot, lambda: pilot.app.session.inbox.state is InboxState.CONNECTED)


async def type_into(pilot, field: str, text: str) -> None:
    control = pilot.app.screen.query_one(f"#{field}", Input)
    control.value = ""
    control.focus()
    await pilot.pause()
    await pilot.press(*text)


def seed(folder: Path, profile: str = "personal") -> None:
    """Three received messages a few minutes apart; the newest an open emergency."""
    messages = [
        ReceivedMessage.from_api(
            {
                "id": 380698801670733827 + number,
                "umid": 380698801670733900 + number,
                "app": app,
                "title": title,
                "message": text,
                "priority": priority,
                "date": int(BASE) - 600 + 240 * number,
                **extra,
            }
        )
        for number, (app, title, text, priority, extra) in enumerate(
            [
                ("Backup", "nas01", "Nightly backup finished: 42 GB in 12 min.", 0, {}),
                ("Certbot", "", "Certificate for shop.example.com renews in 7 days.", 1, {}),
                (
                    "PagerDuty",
                    "db01 is down",
                    "Primary database db01 stopped accepting writes at 03:12. Fail over to "
                    "db02 if it is not back by 03:30.",
                    2,
                    {
                        "receipt": RECEIPT,
                        "sound": "siren",
                        "url": "https://runbooks.example.com/db/failover",
                        "url_title": "Failover runbook",
                    },
                ),
            ]
        )
    ]
    with History.open(folder) as history:
        store = InboxStore(history)
        for message in messages:
            assert message is not None
            store.add(profile, DEVICE, [message], now=message.date + 1)


# -- behaviour ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "says"),
    [
        (InboxState.STOPPED, ["Starting"]),
        (InboxState.CONNECTING, ["Connecting to Pushover"]),
        (InboxState.CONNECTED, ["Following as device tui-test"]),
        (InboxState.RECONNECTING, ["Reconnecting in 4 s (connection lost: no answer)"]),
        (InboxState.SESSION_INVALID, ["Session ended", "f9 to log in", LOGIN_COMMAND]),
        (
            InboxState.LOGGED_OUT_ELSEWHERE,
            ["Logged out elsewhere", "another session", "f9 to log in", LOGIN_COMMAND],
        ),
    ],
)
def test_every_state_is_worded_with_what_to_do(state: InboxState, says: list[str]) -> None:
    content = state_content(
        state, text="", reason="no answer", retry_in=3.2, device="tui-test", login_key="f9"
    )
    for words in says:
        assert words in content.plain


def test_received_text_is_escaped_everywhere_it_is_shown() -> None:
    hostile = "\x1b]0;owned\x07"
    row = InboxRow(
        1,
        "p",
        hostile,
        BASE,
        ReceivedMessage.from_api(
            {"id": 1, "app": hostile, "title": hostile, "message": hostile, "url": hostile}
        ),
        None,
    )
    texts = [
        detail_content(row, 60, ack_key="a").plain,
        state_content(
            InboxState.STOPPED, text=hostile, reason="", retry_in=None, device="", login_key="l"
        ).plain,
        preview(row),
    ]
    for text in texts:
        assert "\x1b" not in text and "\\x1b" in text


async def test_arrival_raises_a_toast_rings_the_bell_and_times_send_test(
    inbox_config, make_app, simulator
):
    save_config(replace(inbox_config, bell=True))
    app = make_app()
    rings: list[bool] = []
    app.bell = lambda: rings.append(True)
    async with app.run_test(size=SIZES["80x24"]) as pilot:
        await open_inbox(pilot)
        await following(pilot)
        await wait_for(pilot, lambda: "Following as device tui-test" in state_text(app))
        assert "Nothing received yet" in table_lines(app)[2]

        await app.session.send_message(Message("disk full on db1: /var at 100%", title="db1 disk"))
        await wait_for(pilot, lambda: table(app).total == 1)
        await wait_for(pilot, lambda: "db1 disk — disk full" in table_lines(app)[1])
        assert "Normal" in table_lines(app)[1]
        await wait_for(
            pilot,
            lambda: (
                ("New message (Inbox: f6)", "db1 disk\ndisk full on db1: /var at 100%")
                in toasts(app)
            ),
        )
        assert rings == [True]
        await wait_for(pilot, lambda: "disk full on db1" in detail_text(app))

        # Send test: the status line says how long it took to arrive here.
        assert app.test_arrival is None
        await app.session.send_test()
        await wait_for(pilot, lambda: app.test_arrival is not None)
        assert app.test_arrival >= 0
        took = arrival_text(app.test_arrival)
        assert f"test arrived here in {took}" in status_text(app.session, 200)
        status = app.screen.query_one(StatusBar)  # 80 columns: the short wording, never cut
        await wait_for(pilot, lambda: str(status.render()).endswith(f" · test {took}"))
        await wait_for(pilot, lambda: rings == [True, True])
        assert table(app).total == 2


async def test_messages_waiting_at_start_make_one_toast(inbox_config, make_app, simulator):
    async with PushoverClient(DEMO_TOKEN, base_url=simulator.base_url) as client:
        for number in range(5):
            await client.send(DEMO_USER, Message(f"while away {number}"))
    app = make_app()
    async with app.run_test(size=SIZES["80x24"]) as pilot:
        await following(pilot)
        await wait_for(pilot, lambda: app.session.inbox.count() == 5)
        await wait_for(pilot, lambda: toasts(app))
        await pilot.pause()
        assert [title for title, _ in toasts(app)] == ["5 new messages (Inbox: f6)"]
        assert "while away 4" in toasts(app)[0][1]  # the newest named first


async def test_acknowledge_the_selected_emergency(inbox_config, make_app, simulator):
    app = make_app()
    rings: list[bool] = []
    app.bell = lambda: rings.append(True)  # bell = false (the default): never rung
    async with app.run_test(size=SIZES["120x40"]) as pilot:
        await open_inbox(pilot)
        await following(pilot)
        await app.session.send_message(Message("all good"))
        await wait_for(pilot, lambda: table(app).total == 1)
        sent = await app.session.send_message(
            Message("db01 is down", title="db01", priority=2, retry=30, expire=600)
        )
        receipt = sent.result.receipt
        await wait_for(pilot, lambda: table(app).total == 2)
        await wait_for(pilot, lambda: "NEEDS ACK" in table_lines(app)[1])
        assert "EMERGENCY" in table_lines(app)[1]
        # The selection stays on the message being read as new ones arrive above it.
        assert table(app).selected_message.message.message == "all good"
        await pilot.press("home")
        await wait_for(pilot, lambda: "not acknowledged yet" in detail_text(app))
        assert any(title.startswith("Emergency") for title, _ in toasts(app))

        # `a` on a message that is not an emergency says why nothing happens.
        await pilot.press("down", "a")
        await wait_for(pilot, lambda: any("Only an emergency" in m for _, m in toasts(app)))

        await pilot.press("up", "a")
        await wait_for(pilot, lambda: "acked" in table_lines(app)[1])
        assert "NEEDS ACK" not in table_lines(app)[1]
        await wait_for(pilot, lambda: "acknowledged from here" in detail_text(app))
        client = await app.session.outbox.client()
        stopped = await client.receipt(receipt)
        assert stopped.acknowledged and stopped.acknowledged_by_device == DEVICE
        assert any(title == "Acknowledged" for title, _ in toasts(app))
        assert rings == []


async def test_not_logged_in_shows_how_and_logs_in_with_two_factor(
    demo_config, make_app, simulator, isolated_env
):
    app = make_app()
    async with app.run_test(size=SIZES["80x24"]) as pilot:
        await open_inbox(pilot)
        screen = app.screen
        assert screen.has_class("-login")
        assert "pushover-tui inbox login" in text_of(screen.query_one("#login-hint", Static))
        assert screen.query_one("#password", Input).password  # never echoed
        assert not screen.query_one("#twofa-row").display

        # A wrong password: Pushover's answer beside the button, nothing saved.
        await type_into(pilot, "email", DEMO_2FA_EMAIL)
        await type_into(pilot, "password", "not-the-password")
        await pilot.press("enter")
        problem = screen.query_one("#login-problem", Static)
        await wait_for(pilot, lambda: "invalid email and/or password" in str(problem.render()))
        assert load_config(env=isolated_env).profile("personal").inbox is None

        # The right one: Pushover asks for the two-factor code (HTTP 412).
        await type_into(pilot, "password", DEMO_2FA_PASSWORD)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.query_one("#twofa-row").display)
        assert app.focused is screen.query_one("#twofa", Input)
        await pilot.press(*DEMO_2FA_CODE, "enter")
        await following(pilot)
        await wait_for(pilot, lambda: not screen.has_class("-login"))
        assert isinstance(app.focused, InboxTable)
        assert screen.query_one("#password", Input).value == ""  # forgotten once logged in
        assert any(title == "Logged in" and "Desktop license" in m for title, m in toasts(app))
        device = screen.query_one("#device_name", Input).value

    saved = load_config(env=isolated_env).profile("personal").inbox
    assert saved is not None and saved.device_name == device
    text = Path(isolated_env["PUSHOVER_TUI_CONFIG"]).read_text()
    assert DEMO_2FA_PASSWORD not in text and "not-the-password" not in text


async def test_a_session_ended_elsewhere_or_invalid_says_what_to_do(
    inbox_config, make_app, simulator
):
    app = make_app()
    async with app.run_test(size=SIZES["80x24"]) as pilot:
        await open_inbox(pilot)
        await following(pilot)
        assert "l" not in {key.key for key in app.screen.query("FooterKey")}  # type: ignore[attr-defined]

        simulator.push_frame("A")  # this device logged in from another session
        await wait_for(pilot, lambda: app.session.inbox.state is InboxState.LOGGED_OUT_ELSEWHERE)
        await wait_for(pilot, lambda: "Logged out elsewhere" in state_text(app))
        text = state_text(app)
        assert "Press l to log in again" in text and "pushover-tui inbox login" in text

        await pilot.press("l")
        await wait_for(pilot, lambda: app.screen.has_class("-login"))
        intro = text_of(app.screen.query_one("#login-intro", Static))
        assert "logged in from another session" in intro
        await pilot.press("escape")  # back to the messages
        await wait_for(pilot, lambda: not app.screen.has_class("-login"))

        await pilot.press("l")
        await wait_for(pilot, lambda: app.screen.has_class("-login"))
        await type_into(pilot, "email", DEMO_EMAIL)
        await type_into(pilot, "password", DEMO_PASSWORD)
        await pilot.press("enter")
        await following(pilot)
        await wait_for(pilot, lambda: not app.screen.has_class("-login"))

        simulator.disable_device(DEVICE)  # the device is no longer valid: `E`
        await wait_for(pilot, lambda: app.session.inbox.state is InboxState.SESSION_INVALID)
        await wait_for(pilot, lambda: "Session ended" in state_text(app))
        assert "Press l to log in again" in state_text(app)


async def test_logging_in_after_session_ended_registers_and_follows_again(
    inbox_config, make_app, simulator
):
    """After "Session ended" (the device was disabled), logging in again never reuses the dead
    device: Pushover keeps its name, so the form says to choose another; with a new name a
    device is registered, the header says what is true now and messages arrive."""
    app = make_app()
    async with app.run_test(size=SIZES["80x24"]) as pilot:
        await open_inbox(pilot)
        await following(pilot)
        old_device = app.session.active.profile.inbox.device_id
        simulator.disable_device(DEVICE)
        await wait_for(pilot, lambda: "Session ended" in state_text(app))

        await pilot.press("l")
        await wait_for(pilot, lambda: app.screen.has_class("-login"))
        await type_into(pilot, "email", DEMO_EMAIL)
        await type_into(pilot, "password", DEMO_PASSWORD)
        await pilot.press("enter")
        problem = app.screen.query_one("#login-problem", Static)
        await wait_for(pilot, lambda: "has already been taken" in str(problem.render()))
        assert app.session.active.profile.inbox.device_id == old_device  # nothing kept

        await type_into(pilot, "device_name", "tui-test-2")
        await pilot.press("enter")
        await wait_for(pilot, lambda: not app.screen.has_class("-login"))
        await following(pilot)
        await wait_for(pilot, lambda: "Following" in state_text(app))
        assert "Session ended" not in state_text(app)
        assert app.session.active.profile.inbox.device_id != old_device

        await app.session.send_message(Message("after the new login"))
        await wait_for(pilot, lambda: table(app).total == 1)
        assert "after the new login" in " ".join(table_lines(app))


async def test_a_dropped_connection_counts_down_then_follows_again(
    inbox_config, make_app, simulator
):
    app = make_app()
    async with app.run_test(size=SIZES["80x24"]) as pilot:
        await open_inbox(pilot)
        await following(pilot)
        simulator.push_frame("drop")
        await wait_for(pilot, lambda: "Reconnecting in" in state_text(app))
        await following(pilot)  # the next try, after the backoff's delay
        await wait_for(pilot, lambda: "Following" in state_text(app))


async def test_switching_profile_follows_the_new_profiles_session(
    inbox_config, make_app, simulator
):
    logged_in = inbox_config.profiles[0]
    save_config(inbox_config.with_profile(replace(logged_in, name="other", inbox=None)))
    app = make_app()
    async with app.run_test(size=SIZES["80x24"]) as pilot:
        await open_inbox(pilot)
        await following(pilot)
        app.session.switch_profile("other")  # no session: the login form, nothing followed
        await wait_for(pilot, lambda: app.screen.has_class("-login"))
        assert app.session.inbox.inbox is None and app.session.inbox.state is InboxState.STOPPED
        await wait_for(pilot, lambda: simulator.sockets(DEVICE) == 0)
        app.session.switch_profile("personal")
        await following(pilot)
        await wait_for(pilot, lambda: not app.screen.has_class("-login"))
        await wait_for(pilot, lambda: simulator.sockets(DEVICE) == 1)


async def test_the_demo_registers_its_own_inbox_device(make_app):
    app = make_app(demo=True)
    async with app.run_test(size=SIZES["120x40"]) as pilot:
        await following(pilot)
        assert app.session.active.profile.inbox is not None
        assert app.session.active.profile.inbox.device_name == DEMO_DEVICE
        saved = load_config(app.session.config.path).profile("demo").inbox  # the throwaway config
        assert saved == app.session.active.profile.inbox
        await open_inbox(pilot)
        await app.session.send_test()
        await wait_for(pilot, lambda: table(app).total == 1)
        await wait_for(pilot, lambda: app.test_arrival is not None)


async def test_the_inbox_starts_after_the_first_frame(inbox_config, make_app, monkeypatch):
    from pushover_tui.tui.session.inbox import InboxLink

    app = make_app()
    calls: list[bool] = []
    start = InboxLink.start

    def recording_start(self):
        calls.append(app._started)  # set by on_ready: the first frame is on screen
        start(self)

    monkeypatch.setattr(InboxLink, "start", recording_start)
    async with app.run_test(size=SIZES["80x24"]) as pilot:
        await wait_for(pilot, lambda: calls)
        assert calls == [True]
        await following(pilot)


async def test_a_long_inbox_is_paged_not_loaded(inbox_config, make_app, isolated_env):
    total = 3000
    with History.open(Path(isolated_env["PUSHOVER_TUI_DATA"])) as history:
        InboxStore(history).add(
            "personal",
            DEVICE,
            [
                ReceivedMessage.from_api({"id": n, "app": "a", "message": f"row {n}", "date": n})
                for n in range(1, total + 1)
            ],
        )
    app = make_app()
    async with app.run_test(size=SIZES["80x24"]) as pilot:
        await open_inbox(pilot)
        assert table(app).total == total
        assert "row 3000" in table_lines(app)[1]  # the newest first (same received_at: by id)
        await pilot.press("end")
        await wait_for(pilot, lambda: table(app).selected_message.message.message == "row 1")
        source = table(app).source
        assert source is not None and len(source.cached()) <= 2 * source.WINDOW
        await pilot.press("home")
        assert table(app).selected_message.message.message == "row 3000"


# -- snapshots ----------------------------------------------------------------------------------


async def open_when_checked(pilot) -> None:
    """The key check and quota (status line) and following: then the inbox, quietly."""
    app = pilot.app
    await wait_for(pilot, lambda: app.verified is not None and app.quota is not None)
    await open_inbox(pilot)
    await following(pilot)
    app.clear_notifications()
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.usefixtures("steady_api_host")  # the simulator's port changes every run
def test_snapshot_messages_arrived(snap_compare, inbox_config, make_app, isolated_env, utc, size):
    seed(Path(isolated_env["PUSHOVER_TUI_DATA"]))
    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=open_when_checked)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.usefixtures("steady_api_host")  # the simulator's port changes every run
def test_snapshot_emergency_acknowledged(
    snap_compare, inbox_config, make_app, isolated_env, utc, size
):
    folder = Path(isolated_env["PUSHOVER_TUI_DATA"])
    seed(folder)
    with History.open(folder) as history:
        InboxStore(history).acknowledged("personal", RECEIPT, now=BASE - 60)
    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=open_when_checked)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.usefixtures("steady_api_host")  # the simulator's port changes every run
def test_snapshot_not_logged_in(snap_compare, demo_config, make_app, size, monkeypatch):
    monkeypatch.setattr(
        "pushover_tui.tui.inbox.screen.default_device_name", lambda: "tui-workstation"
    )

    async def run_before(pilot) -> None:
        app = pilot.app
        await wait_for(pilot, lambda: app.verified is not None and app.quota is not None)
        await open_inbox(pilot)

    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.usefixtures("steady_api_host")  # the simulator's port changes every run
def test_snapshot_logged_out_elsewhere(
    snap_compare, inbox_config, make_app, simulator, isolated_env, utc, size
):
    seed(Path(isolated_env["PUSHOVER_TUI_DATA"]))

    async def run_before(pilot) -> None:
        await open_when_checked(pilot)
        simulator.push_frame("A")
        await wait_for(pilot, lambda: "Logged out elsewhere" in state_text(pilot.app))
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=run_before)
