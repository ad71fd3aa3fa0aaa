"""The inbox: this machine as a receiving Pushover device, shared by every face.

download -> store (committed, once per message id) -> tell the listeners -> show -> delete
upstream. Pushover forgets a message only after it is committed here, and a message is stored and
announced once however often it comes down: a dropped socket, a reload, a failed delete or a
crash between storing and deleting never loses or repeats one.

The command line shows what it receives by printing it (`show`): it deletes upstream only what
was printed and flushed, and prints what was stored but never printed first (the store's
`printed_at`), so a follower killed mid-way or cut off by a closed pipe loses nothing: the next
`inbox` prints the rest (a message printed just before a kill may come twice, never zero times).
The dashboard shows every stored message, so storing counts as showing there.

Following runs the websocket listener (api/open_client.py) beside a sync worker. Every `!` and
every new socket (which may have missed some) asks for a sync; asks that come while one runs are
merged into one more sync after it, so none is lost and the socket is never held up. `E` and `A`
end following for good: listeners hear SESSION_INVALID or LOGGED_OUT_ELSEWHERE.
"""

from __future__ import annotations

import asyncio
import logging
import re
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from pushover_tui.api.checks import DEVICE_MAX, check_device_name
from pushover_tui.api.closing import AsyncClosing
from pushover_tui.api.errors import (
    FieldProblemsError,
    NoCredentialsError,
    PushoverError,
    SessionClosedElsewhereError,
    SessionInvalidError,
)
from pushover_tui.api.inbox import InboxSession, ReceivedMessage
from pushover_tui.store.history import History
from pushover_tui.store.inbox import InboxRow, InboxStore

if TYPE_CHECKING:
    from pushover_tui.api.client import Sleep
    from pushover_tui.api.open_client import OpenClient, SocketStatus
    from pushover_tui.api.secret import Secret
    from pushover_tui.store.config import ActiveProfile, Config
    from pushover_tui.store.history import HistoryRow

log = logging.getLogger(__name__)

LICENSE_NOTE = (  # said by every face when a device is registered
    "An open client counts as a desktop device: Pushover needs a Pushover for Desktop license "
    "for it within 30 days of its registration."
)
SYNC_RETRY = 30.0  # seconds before a download that failed (temporarily) is tried again
MARK_EVERY = 100  # rows printed per commit of their marks: at most this many twice on a kill
WEBSOCKET_URL_VARIABLE = "PUSHOVER_WEBSOCKET_URL"


class InboxState(StrEnum):
    STOPPED = "stopped"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    SESSION_INVALID = "session_invalid"  # for good: log in again
    LOGGED_OUT_ELSEWHERE = "logged_out_elsewhere"  # for good: another session has the device

    @property
    def is_final(self) -> bool:
        return self in (InboxState.SESSION_INVALID, InboxState.LOGGED_OUT_ELSEWHERE)


@dataclass(frozen=True)
class Arrived:
    """A message stored for the first time."""

    row: InboxRow


@dataclass(frozen=True)
class Acknowledged:
    """An emergency acknowledged from here (one event per stored copy)."""

    row: InboxRow


@dataclass(frozen=True)
class StatusChanged:
    state: InboxState
    text: str = ""  # one sentence for people, e.g. why and for how long it waits
    # RECONNECTING: the seconds until the next attempt and why the link was lost, for a screen
    # that counts down (the text says the same once, for a log).
    delay: float = 0.0
    reason: str = ""


InboxEvent = Arrived | Acknowledged | StatusChanged
Listener = Callable[[InboxEvent], None]


@dataclass(frozen=True)
class Synced:
    downloaded: tuple[ReceivedMessage, ...]  # everything that was pending upstream, oldest first
    new: tuple[InboxRow, ...]  # what was stored for the first time
    shown: tuple[InboxRow, ...] = ()  # what `show` printed: every row stored and not printed


# Prints rows, oldest first, and returns once they are written and flushed; raises (e.g.
# BrokenPipeError) when they could not be: then they are neither marked printed nor deleted.
Show = Callable[[list[InboxRow]], None]


def websocket_url_from_env(env: Mapping[str, str]) -> str | None:
    """PUSHOVER_WEBSOCKET_URL, else None: derived from the API base URL."""
    return env.get(WEBSOCKET_URL_VARIABLE, "").strip() or None


def default_device_name(host: str | None = None) -> str:
    """`tui-` and this machine's name, cut to what Pushover allows in a device name."""
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", (host or socket.gethostname()).split(".")[0])
    name = name.strip("-")
    return ("tui-" + name)[:DEVICE_MAX] if name else "pushover-tui"


def remember(config: Config, profile: str, session: InboxSession | None) -> Config:
    """The config with `profile`'s inbox session set (None: forgotten), to save."""
    return config.with_profile(replace(config.profile(profile), inbox=session))


def arrival_seconds(sent: HistoryRow, row: InboxRow) -> float | None:
    """Seconds from sending `sent` to `row` arriving here, when `row` is that message (the same
    text, and title when it has one, arrived after the send); else None."""
    received = row.message
    if received.message != sent.message or (received.title and received.title != sent.title):
        return None
    seconds = row.received_at - sent.created_at
    return seconds if seconds >= 0 else None


async def log_in(
    active: ActiveProfile,
    email: str,
    password: Secret,
    *,
    twofa: str = "",
    device_name: str | None = None,
    **client_options: Any,
) -> InboxSession:
    """Log in (TwoFactorRequiredError: call again with `twofa`) and register this machine as a
    device, unless the profile already has a device of that name that Pushover still knows: then
    only the session is new. A device Pushover dropped (removed on pushover.net) is registered
    again under the same name, so logging in always ends with a device that works."""
    current = active.profile.inbox
    name = device_name or (current.device_name if current else default_device_name())
    if problems := check_device_name(name):
        raise FieldProblemsError(problems)
    from pushover_tui.api.open_client import OpenClient

    if active.timeout is not None:  # PUSHOVER_TUI_TIMEOUT
        client_options.setdefault("timeout", active.timeout)
    async with OpenClient(base_url=active.api_url, **client_options) as client:
        login = await client.login(email, password, twofa)
        kept = current if current is not None and current.device_name == name else None
        if kept is not None and await device_is_known(client, login.secret, kept.device_id):
            return InboxSession(login.secret, kept.device_id, name)
        device_id = await client.register_device(login.secret, name)
    return InboxSession(login.secret, device_id, name)


async def device_is_known(client: OpenClient, secret: Secret, device_id: Secret) -> bool:
    """Whether Pushover still has the device, asked with a fresh session: a download (which
    removes nothing) fails for a device that was removed or disabled."""
    try:
        await client.download(secret, device_id)
    except SessionInvalidError:  # the session was made a moment ago: it is the device
        return False
    return True


def _highest_shown(
    downloaded: tuple[ReceivedMessage, ...], unprinted: list[InboxRow], session: InboxSession
) -> int | None:
    """The highest id that may be deleted upstream: the last message downloaded before the
    first one this device stored and never printed (deleting goes by "every id up to")."""
    waiting = {row.message.id for row in unprinted if row.device == session.device_name}
    highest = None
    for message in downloaded:  # oldest first
        if message.id in waiting:
            break
        highest = message.id
    return highest


class Inbox(AsyncClosing):
    """Downloads, stores, deletes and acknowledges for one profile's inbox session.

    Options other than these go to OpenClient (backoff, dead_after, rand, transport)."""

    def __init__(
        self,
        active: ActiveProfile,
        history: History,
        *,
        websocket_url: str | None = None,
        timeout: float | None = None,
        retries: int | None = None,
        sleep: Sleep = asyncio.sleep,
        **client_options: Any,
    ) -> None:
        self.active = active
        self.history = history
        self.store = InboxStore(history)
        self.state = InboxState.STOPPED
        self._sleep = sleep
        self._client_options: dict[str, Any] = {
            "websocket_url": websocket_url,
            "sleep": sleep,
            **client_options,
        }
        timeout = active.timeout if timeout is None else timeout  # PUSHOVER_TUI_TIMEOUT
        if timeout is not None:
            self._client_options["timeout"] = timeout
        if retries is not None:
            self._client_options["retries"] = retries
        self._client_instance: OpenClient | None = None
        self._listeners: list[Listener] = []
        self._wanted = asyncio.Event()  # a sync is asked for
        self._sync_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._owns_history = False

    @classmethod
    def open(cls, active: ActiveProfile, data_folder: Path, **options: Any) -> Inbox:
        """An inbox on the history database in `data_folder`, closed with the inbox."""
        inbox = cls(active, History.open(data_folder), **options)
        inbox._owns_history = True
        return inbox

    @property
    def profile(self) -> str:
        return self.active.profile.name

    @property
    def session(self) -> InboxSession | None:
        return self.active.profile.inbox

    def add_listener(self, listener: Listener) -> None:
        """Called with every Arrived, Acknowledged and StatusChanged event."""
        self._listeners.append(listener)

    def messages(self, *, offset: int = 0, limit: int = 100) -> list[InboxRow]:
        """The stored messages of this profile, newest first."""
        return self.store.page(self.profile, offset=offset, limit=limit)

    async def client(self) -> OpenClient:
        """The shared client, created on first use (httpx stays off the start-up path)."""
        if self._client_instance is None:
            from pushover_tui.api.open_client import OpenClient

            self._client_instance = OpenClient(base_url=self.active.api_url, **self._client_options)
        return self._client_instance

    def _logged_in(self) -> InboxSession:
        if self.session is None:
            raise NoCredentialsError(
                f"Profile {self.profile!r} is not logged in to the inbox: run "
                "`pushover-tui inbox login` first."
            )
        return self.session

    # -- receiving -------------------------------------------------------------------------

    async def sync(
        self, *, keep: bool = False, show: Show | None = None, whole: bool = False
    ) -> Synced:
        """Download what is pending, store it, tell listeners of the new messages, then delete
        upstream up to the highest id downloaded (unless `keep`).

        With `show`, every stored row never printed goes to it, one at a time (`whole`: all in
        one call, for output that must be whole) and is marked printed once it returns (unless
        `keep`: shown, not marked, so the next sync shows it again); only messages printed, now
        or before, are deleted. When `show` raises, what it printed before is still marked."""
        session = self._logged_in()
        client = await self.client()
        async with self._sync_lock:
            downloaded = await client.download(session.secret, session.device_id)
            new = self.store.add(
                self.profile, session.device_name, downloaded, printed=show is None
            )
            for row in new:
                self._emit(Arrived(row))
            shown: list[InboxRow] = []
            highest = downloaded[-1].id if downloaded else None
            if show is not None:
                pending = self.store.unprinted(self.profile)
                marked = 0
                try:
                    step = max(len(pending), 1) if whole else 1
                    for start in range(0, len(pending), step):
                        rows = pending[start : start + step]
                        show(rows)
                        shown += rows
                        if not keep and len(shown) - marked >= MARK_EVERY:
                            self.store.mark_printed(shown[marked:])
                            marked = len(shown)
                finally:  # a closed pipe too: what got out is marked, the rest stays unprinted
                    if not keep and len(shown) > marked:
                        self.store.mark_printed(shown[marked:])
                highest = _highest_shown(downloaded, self.store.unprinted(self.profile), session)
            if highest is not None and not keep:
                await client.delete_up_to(session.secret, session.device_id, highest)
        return Synced(downloaded, tuple(new), tuple(shown))

    async def follow(self, *, keep: bool = False, show: Show | None = None) -> NoReturn:
        """Receive until cancelled: sync now, then on every signal of the websocket. Raises
        SessionInvalidError or SessionClosedElsewhereError when Pushover ends the session, and
        what `show` raises (a closed pipe ends following; nothing unprinted is deleted)."""
        session = self._logged_in()
        client = await self.client()
        self._set(InboxState.CONNECTING)
        self._wanted.clear()
        tasks = {
            asyncio.create_task(client.listen(session.secret, session.device_id, self._heard)),
            asyncio.create_task(self._sync_when_asked(keep, show)),
        }
        final = False
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()  # only an error ends either task
            raise AssertionError("the inbox stopped following without a reason")
        except SessionInvalidError as error:
            final = True
            self._set(InboxState.SESSION_INVALID, str(error))
            raise
        except SessionClosedElsewhereError as error:
            final = True
            self._set(InboxState.LOGGED_OUT_ELSEWHERE, str(error))
            raise
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if not final:
                self._set(InboxState.STOPPED)

    def start(self, *, keep: bool = False) -> None:
        """Follow in the background (the dashboard); the outcome reaches listeners as events."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._follow_in_background(keep), name="inbox")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _follow_in_background(self, keep: bool) -> None:
        try:
            await self.follow(keep=keep)
        except (SessionInvalidError, SessionClosedElsewhereError):
            pass  # listeners heard it as a final state
        except PushoverError as error:  # not logged in, an unsafe websocket URL...
            self._set(InboxState.STOPPED, str(error))
        except Exception:
            log.exception("the inbox stopped")
            self._set(InboxState.STOPPED, "The inbox stopped on an unexpected error.")

    def _heard(self, status: SocketStatus) -> None:
        from pushover_tui.api.open_client import SocketEvent

        if status.event is SocketEvent.CONNECTED:
            self._set(InboxState.CONNECTED)
            self._wanted.set()  # whatever arrived while there was no socket
        elif status.event is SocketEvent.NEW_MESSAGES:
            self._wanted.set()
        elif status.event is SocketEvent.RELOADING:
            self._set(InboxState.CONNECTING, "Pushover asked for a new connection.")
        elif status.event is SocketEvent.DISCONNECTED:
            reason = f" ({status.reason})" if status.reason else ""
            self._set(
                InboxState.RECONNECTING,
                f"Connection lost{reason}; trying again in {status.delay:.0f} s.",
                delay=status.delay,
                reason=status.reason,
            )

    async def _sync_when_asked(self, keep: bool, show: Show | None) -> NoReturn:
        while True:
            await self._wanted.wait()
            self._wanted.clear()
            try:
                await self.sync(keep=keep, show=show)
            except (SessionInvalidError, SessionClosedElsewhereError):
                raise
            except PushoverError as error:  # Pushover down, the disk full...: try again later
                log.warning("inbox download failed, trying again in %g s: %s", SYNC_RETRY, error)
                self._set(self.state, f"Could not download: {error}")
                await self._sleep(SYNC_RETRY)
                self._wanted.set()

    # -- acknowledging ---------------------------------------------------------------------

    async def acknowledge(self, receipt: str) -> list[InboxRow]:
        """Acknowledge an emergency: its repeats stop and the sender's receipt names this
        device. Returns the stored copies, now marked."""
        session = self._logged_in()
        client = await self.client()
        await client.acknowledge(session.secret, receipt)
        rows = self.store.acknowledged(self.profile, receipt)
        for row in rows:
            self._emit(Acknowledged(row))
        return rows

    # -- plumbing --------------------------------------------------------------------------

    def _set(
        self, state: InboxState, text: str = "", *, delay: float = 0.0, reason: str = ""
    ) -> None:
        self.state = state
        self._emit(StatusChanged(state, text, delay, reason))

    def _emit(self, event: InboxEvent) -> None:
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:  # one broken listener must not stop the others or the inbox
                log.exception("inbox listener failed")

    async def aclose(self) -> None:
        await self.stop()
        if self._client_instance is not None:
            await self._client_instance.aclose()
            self._client_instance = None
        if self._owns_history:
            self.history.close()
