"""The inbox pipeline against the simulator over loopback: log in (with and without two-factor),
download, store once, delete; follow the websocket through every frame; reconnect without losing
or repeating a message; acknowledge. Waits are bounded by WAIT and never measured."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from pushover_tui.api.errors import (
    FieldProblemsError,
    NoCredentialsError,
    SessionClosedElsewhereError,
    SessionInvalidError,
    TemporaryError,
    TwoFactorRequiredError,
)
from pushover_tui.api.inbox import InboxSession, ReceivedMessage
from pushover_tui.api.open_client import OpenClient, SocketEvent, SocketStatus
from pushover_tui.api.secret import Secret
from pushover_tui.backoff import Backoff
from pushover_tui.inbox import (
    Acknowledged,
    Arrived,
    Inbox,
    InboxEvent,
    InboxState,
    StatusChanged,
    arrival_seconds,
    default_device_name,
    log_in,
    remember,
)
from pushover_tui.simulator import (
    DEMO_2FA_CODE,
    DEMO_2FA_EMAIL,
    DEMO_2FA_PASSWORD,
    DEMO_EMAIL,
    DEMO_PASSWORD,
    DEMO_TOKEN,
    DEMO_USER,
    Simulator,
)
from pushover_tui.store import history as history_module
from pushover_tui.store.config import ActiveProfile, Config, Profile, resolve
from pushover_tui.store.history import History
from pushover_tui.store.inbox import InboxStore

WAIT = 5.0  # an upper bound for what must happen, never a measured time
DEVICE = "tui-test"
FAST = Backoff(first=0.01, limit=0.05)


@pytest.fixture
def sim():
    with Simulator(ack_after=0) as sim:
        yield sim


def active_for(sim: Simulator, session: InboxSession | None = None) -> ActiveProfile:
    profile = Profile("p", token=Secret(DEMO_TOKEN), user=Secret(DEMO_USER), inbox=session)
    config = Config(path=Path("unused.toml"), default_profile="p", profiles=(profile,))
    return resolve(config, api_url=sim.base_url, env={})


async def logged_in(sim: Simulator, name: str = DEVICE) -> ActiveProfile:
    session = await log_in(active_for(sim), DEMO_EMAIL, Secret(DEMO_PASSWORD), device_name=name)
    return active_for(sim, session)


class Events:
    """Collects inbox events; `until` waits (at most WAIT) for a condition on them."""

    def __init__(self) -> None:
        self.items: list[InboxEvent] = []
        self._changed = asyncio.Event()

    def __call__(self, event: InboxEvent) -> None:
        self.items.append(event)
        self._changed.set()

    async def until(self, condition: Callable[[Events], bool]) -> None:
        async with asyncio.timeout(WAIT):
            while not condition(self):
                self._changed.clear()
                await self._changed.wait()

    @property
    def arrived(self) -> list[str]:
        return [e.row.message.message for e in self.items if isinstance(e, Arrived)]

    @property
    def states(self) -> list[InboxState]:
        return [e.state for e in self.items if isinstance(e, StatusChanged)]


class Gate:
    """A sleep that holds the caller until released: the test acts while the socket is down."""

    def __init__(self) -> None:
        self.calls: list[float] = []
        self.waiting = asyncio.Event()
        self._open = asyncio.Event()

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.waiting.set()
        await self._open.wait()
        self._open.clear()
        self.waiting.clear()

    def release(self) -> None:
        self._open.set()


def send(sim: Simulator, text: str, **fields: object) -> httpx.Response:
    data = {"token": DEMO_TOKEN, "user": DEMO_USER, "message": text, **fields}
    response = httpx.post(f"{sim.base_url}/messages.json", data=data)
    assert response.status_code == 200, response.text
    return response


@pytest.fixture
async def inbox(sim, tmp_path):
    active = await logged_in(sim)
    inbox = Inbox.open(active, tmp_path, backoff=FAST)
    try:
        yield inbox
    finally:
        await inbox.aclose()


async def following(inbox: Inbox, events: Events, **options: object) -> asyncio.Task[None]:
    inbox.add_listener(events)
    task = asyncio.create_task(inbox.follow(**options))
    await events.until(lambda e: InboxState.CONNECTED in e.states)
    return task


async def stopped(task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


# ---- logging in ----------------------------------------------------------------------------


async def test_log_in_registers_a_device_and_keeps_no_password(sim):
    session = await log_in(active_for(sim), DEMO_EMAIL, Secret(DEMO_PASSWORD), device_name=DEVICE)
    assert session.device_name == DEVICE and session.secret and session.device_id
    assert DEMO_PASSWORD not in repr(session)
    assert session.secret.reveal() not in repr(session)
    assert sim.requests[-1].path == "/1/devices.json"


async def test_log_in_with_two_factor(sim):
    active = active_for(sim)
    password = Secret(DEMO_2FA_PASSWORD)
    with pytest.raises(TwoFactorRequiredError):
        await log_in(active, DEMO_2FA_EMAIL, password, device_name=DEVICE)
    with pytest.raises(TwoFactorRequiredError, match="not accepted"):
        await log_in(active, DEMO_2FA_EMAIL, password, twofa="999999", device_name=DEVICE)
    session = await log_in(
        active, DEMO_2FA_EMAIL, password, twofa=DEMO_2FA_CODE, device_name=DEVICE
    )
    assert session.device_name == DEVICE


async def test_logging_in_again_keeps_the_device_unless_another_name_is_asked(sim):
    first = (await logged_in(sim)).profile.inbox
    assert first is not None
    active = active_for(sim, first)
    again = await log_in(active, DEMO_EMAIL, Secret(DEMO_PASSWORD))
    assert again.device_id == first.device_id and again.secret != first.secret
    other = await log_in(active, DEMO_EMAIL, Secret(DEMO_PASSWORD), device_name="tui-other")
    assert other.device_id != first.device_id


async def test_bad_device_name_is_refused_before_any_request(sim):
    with pytest.raises(FieldProblemsError):
        await log_in(active_for(sim), DEMO_EMAIL, Secret(DEMO_PASSWORD), device_name="no spaces")
    assert sim.requests == []


def test_default_device_name_fits_pushover_rules():
    assert default_device_name("laptop.example.com") == "tui-laptop"
    assert default_device_name("my host!" + "x" * 40) == "tui-my-host-" + "x" * 13
    assert default_device_name("...") == "pushover-tui"


def test_remember_sets_and_forgets_the_session(tmp_path):
    session = InboxSession(Secret("s"), Secret("d"), "n")
    config = remember(Config(path=tmp_path / "c.toml"), "p", session)
    assert config.profile("p").inbox == session
    assert remember(config, "p", None).profile("p").inbox is None


async def test_not_logged_in(sim, tmp_path):
    async with Inbox.open(active_for(sim), tmp_path) as inbox:
        with pytest.raises(NoCredentialsError, match="inbox login"):
            await inbox.sync()


# ---- download, store, delete ---------------------------------------------------------------


async def test_sync_stores_announces_and_deletes(sim, inbox):
    events = Events()
    inbox.add_listener(events)
    for text in ("one", "two", "three"):
        send(sim, text)
    synced = await inbox.sync()
    assert [m.message for m in synced.downloaded] == ["one", "two", "three"]
    assert [row.message.message for row in synced.new] == ["one", "two", "three"]
    assert events.arrived == ["one", "two", "three"]
    assert sim.queued(DEVICE) == 0
    assert [row.message.message for row in inbox.messages()] == ["three", "two", "one"]
    assert (await inbox.sync()).downloaded == ()


async def test_keep_leaves_them_upstream_and_never_announces_twice(sim, inbox):
    events = Events()
    inbox.add_listener(events)
    send(sim, "kept")
    first, second = await inbox.sync(keep=True), await inbox.sync(keep=True)
    assert len(first.new) == 1 and second.new == () and len(second.downloaded) == 1
    assert sim.queued(DEVICE) == 1 and events.arrived == ["kept"]
    assert inbox.store.count("p") == 1


async def test_a_failed_delete_is_retried_without_repeating_the_message(sim, tmp_path):
    active = await logged_in(sim)
    events = Events()
    async with Inbox.open(active, tmp_path, retries=0) as inbox:
        inbox.add_listener(events)
        send(sim, "once")
        add = inbox.store.add

        def add_then_break_the_next_request(*args, **kwargs):
            rows = add(*args, **kwargs)
            sim.inject_fault("500")  # the delete that follows fails
            return rows

        inbox.store.add = add_then_break_the_next_request  # type: ignore[method-assign]
        with pytest.raises(TemporaryError):
            await inbox.sync()
        inbox.store.add = add  # type: ignore[method-assign]
        assert sim.queued(DEVICE) == 1 and inbox.store.count("p") == 1  # stored, still upstream
        synced = await inbox.sync()
        assert len(synced.downloaded) == 1 and synced.new == ()
        assert sim.queued(DEVICE) == 0 and events.arrived == ["once"]


async def test_messages_of_other_devices_and_profiles_stay_apart(sim, tmp_path):
    with History.open(tmp_path) as history:
        store = InboxStore(history)
        message = ReceivedMessage.from_api({"id": 2**62 + 7, "message": "big id", "date": 1})
        assert message is not None
        assert len(store.add("p", "a", [message], now=1.0)) == 1
        assert len(store.add("p", "b", [message], now=2.0)) == 1
        assert len(store.add("q", "a", [message], now=3.0)) == 1
        assert store.add("p", "a", [message], now=4.0) == []
        assert store.count("p") == 2 and store.count("q") == 1
        [newest, oldest] = store.page("p")
        assert (newest.device, oldest.device) == ("b", "a")
        assert newest.message.id == 2**62 + 7  # exact


def test_version_1_files_gain_the_inbox_table_and_keep_their_rows(tmp_path):
    path = tmp_path / "history.sqlite3"
    with sqlite3.connect(path, isolation_level=None) as connection:
        for statement in history_module.MIGRATIONS[0]:  # type: ignore[union-attr]
            connection.execute(statement)
        connection.execute(
            "INSERT INTO messages (created_at, updated_at, status, origin, profile, priority,"
            " pid, host, process) VALUES (1, 1, 'sent', 'cli', 'p', 0, 1, 'h', 'x')"
        )
        connection.execute("PRAGMA user_version = 1")
    with History(path) as history:
        assert history.schema_version() == history_module.SCHEMA_VERSION
        assert history.count() == 1
        assert InboxStore(history).count("p") == 0


# ---- following: every frame ----------------------------------------------------------------


async def test_every_new_message_frame_downloads(sim, inbox):
    events = Events()
    send(sim, "waiting before")  # the backlog comes with the first connection
    task = await following(inbox, events)
    try:
        await events.until(lambda e: e.arrived == ["waiting before"])
        send(sim, "live one")
        await events.until(lambda e: e.arrived[-1:] == ["live one"])
        send(sim, "live two")
        await events.until(lambda e: e.arrived[-1:] == ["live two"])
        await _wait_for(lambda: sim.queued(DEVICE) == 0)  # deleted upstream once stored
    finally:
        await stopped(task)
    assert events.states[-1] is InboxState.STOPPED


async def test_frames_as_the_listener_reports_them(sim):
    """`#` and `!` are reported, `R` brings a new socket, `E` and `A` end listening."""
    session = (await logged_in(sim)).profile.inbox
    assert session is not None
    seen: list[SocketEvent] = []
    changed = asyncio.Event()

    def heard(status: SocketStatus) -> None:
        seen.append(status.event)
        changed.set()

    async def until(event: SocketEvent, count: int = 1) -> None:
        async with asyncio.timeout(WAIT):
            while seen.count(event) < count:
                changed.clear()
                await changed.wait()

    async with OpenClient(base_url=sim.base_url, backoff=FAST) as client:
        for final, error in (("E", SessionInvalidError), ("A", SessionClosedElsewhereError)):
            seen.clear()
            task = asyncio.create_task(client.listen(session.secret, session.device_id, heard))
            logins = sim.socket_logins
            await until(SocketEvent.CONNECTED)
            await _wait_for(lambda n=logins + 1: sim.socket_logins == n)
            sim.push_frame("#")
            await until(SocketEvent.KEEPALIVE)
            sim.push_frame("!")
            await until(SocketEvent.NEW_MESSAGES)
            sim.push_frame("R")
            await until(SocketEvent.CONNECTED, 2)  # a new socket, logged in again
            assert SocketEvent.RELOADING in seen and SocketEvent.DISCONNECTED not in seen
            await _wait_for(lambda n=logins + 2: sim.socket_logins == n)
            sim.push_frame(final)
            with pytest.raises(error):
                await asyncio.wait_for(task, WAIT)
    uploads = [r for r in sim.requests if r.path == "/push"]
    assert len(uploads) == 4 and all(r.status == 101 for r in uploads)


async def _wait_for(condition: Callable[[], bool]) -> None:
    """Until the simulator's thread has done something (read a login frame)."""
    async with asyncio.timeout(WAIT):
        while not condition():
            await asyncio.sleep(0.002)


async def _wait_sockets(sim: Simulator, count: int) -> None:
    await _wait_for(lambda: sim.sockets() == count)


async def test_reload_loses_nothing(sim, inbox):
    events = Events()
    task = await following(inbox, events)
    try:
        await _wait_sockets(sim, 1)
        sim.push_frame("R")
        send(sim, "during the reload")
        await events.until(lambda e: e.arrived == ["during the reload"])
    finally:
        await stopped(task)


async def test_session_invalid_ends_following_for_good(sim, inbox):
    events = Events()
    task = await following(inbox, events)
    await _wait_sockets(sim, 1)
    sim.disable_device(DEVICE)
    with pytest.raises(SessionInvalidError):
        await asyncio.wait_for(task, WAIT)
    assert events.states[-1] is InboxState.SESSION_INVALID
    assert "log in again" in [e for e in events.items if isinstance(e, StatusChanged)][-1].text


async def test_logged_out_elsewhere_ends_following_for_good(sim, inbox):
    events = Events()
    task = await following(inbox, events)
    await _wait_sockets(sim, 1)
    session = inbox.session
    assert session is not None
    async with OpenClient(base_url=sim.base_url) as other:  # the same device, another session
        rival = asyncio.create_task(
            other.listen(session.secret, session.device_id, lambda status: None)
        )
        with pytest.raises(SessionClosedElsewhereError):
            await asyncio.wait_for(task, WAIT)
        await stopped(rival)
    assert events.states[-1] is InboxState.LOGGED_OUT_ELSEWHERE


async def test_a_bad_websocket_login_is_a_session_error(sim, tmp_path):
    active = await logged_in(sim)
    assert active.profile.inbox is not None
    broken = InboxSession(Secret("wrong"), active.profile.inbox.device_id, DEVICE)
    async with Inbox.open(active_for(sim, broken), tmp_path) as inbox:
        with pytest.raises(SessionInvalidError):
            await asyncio.wait_for(inbox.follow(), WAIT)


# ---- reconnecting --------------------------------------------------------------------------


@pytest.mark.parametrize("keep", [False, True])
async def test_reconnect_without_loss_or_repeats(sim, tmp_path, keep):
    gate = Gate()
    active = await logged_in(sim)
    events = Events()
    async with Inbox.open(active, tmp_path, sleep=gate, backoff=FAST) as inbox:
        task = await following(inbox, events, keep=keep)
        try:
            send(sim, "before")
            await events.until(lambda e: e.arrived == ["before"])
            for round_ in range(2):
                await _wait_sockets(sim, 1)
                sim.push_frame("drop")  # a broken link: no frame, no close handshake
                await asyncio.wait_for(gate.waiting.wait(), WAIT)  # down, waiting to retry
                assert events.states[-1] is InboxState.RECONNECTING
                send(sim, f"while down {round_}")
                gate.release()
                await events.until(lambda e, n=round_: e.arrived[-1:] == [f"while down {n}"])
            await _wait_for(lambda: sim.queued(DEVICE) == (3 if keep else 0))
        finally:
            await stopped(task)
    assert events.arrived == ["before", "while down 0", "while down 1"]


async def test_backoff_grows_while_the_socket_cannot_be_reached(sim, tmp_path, refused_port):
    active = await logged_in(sim)
    pauses: list[float] = []

    async def record(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == 5:
            raise asyncio.CancelledError

    url = f"ws://127.0.0.1:{refused_port}/push"  # connections are refused
    async with Inbox.open(active, tmp_path, sleep=record, websocket_url=url) as inbox:
        events = Events()
        inbox.add_listener(events)
        with pytest.raises(asyncio.CancelledError):
            await inbox.follow()
    # Doubling from 1 s, each a random point in the upper half of its step.
    assert all(2**step / 2 <= pause <= 2**step for step, pause in enumerate(pauses))
    assert len(set(pauses)) == 5
    assert events.states.count(InboxState.RECONNECTING) == 5


async def test_a_silent_link_is_replaced(sim, tmp_path):
    active = await logged_in(sim)
    events = Events()
    async with Inbox.open(active, tmp_path, backoff=FAST, dead_after=0.05) as inbox:
        task = await following(inbox, events)
        try:
            await events.until(lambda e: InboxState.RECONNECTING in e.states)
            text = [e.text for e in events.items if isinstance(e, StatusChanged)][-1]
            assert "nothing heard" in text
            await events.until(lambda e: e.states.count(InboxState.CONNECTED) >= 2)
        finally:
            await stopped(task)


# ---- acknowledging -------------------------------------------------------------------------


async def test_acknowledge_marks_the_rows_and_the_receipt_names_this_device(sim, inbox):
    events = Events()
    inbox.add_listener(events)
    receipt = send(sim, "wake up", priority=2, retry=30, expire=600).json()["receipt"]
    [row] = (await inbox.sync()).new
    assert row.awaits_ack and row.message.receipt == receipt
    [acked] = await inbox.acknowledge(receipt)
    assert acked.acknowledged and not acked.awaits_ack and acked.id == row.id
    assert [type(e) for e in events.items] == [Arrived, Acknowledged]
    state = httpx.get(f"{sim.base_url}/receipts/{receipt}.json", params={"token": DEMO_TOKEN})
    assert state.json()["acknowledged_by_device"] == DEVICE
    assert inbox.messages()[0].acknowledged


async def test_background_following_reports_states(sim, inbox):
    events = Events()
    inbox.add_listener(events)
    inbox.start()
    await events.until(lambda e: InboxState.CONNECTED in e.states)
    send(sim, "in the background")
    await events.until(lambda e: e.arrived == ["in the background"])
    await inbox.stop()
    assert events.states[-1] is InboxState.STOPPED


async def test_arrival_seconds_matches_the_sent_message(sim, inbox, tmp_path):
    from pushover_tui.api.models import Message

    row_id = inbox.history.record_sending(Message("ping 1", title="T"), profile="p", origin="tui")
    sent = inbox.history.get(row_id)
    assert sent is not None
    send(sim, "ping 1", title="T")
    send(sim, "ping 2", title="T")
    first, second = (await inbox.sync()).new
    seconds = arrival_seconds(sent, first)
    assert seconds is not None and seconds >= 0
    assert arrival_seconds(sent, second) is None
