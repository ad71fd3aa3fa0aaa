"""The dashboard's inbox: the active profile's inbox session, followed while the app runs.

The session starts it just after the app's first frame (`Session.start`), so neither httpx nor
websockets is imported before that frame. Every event of the Inbox service (pushover_tui/inbox.py)
is published on `changed` for the screens. New messages are published on `arrived`, those that
arrive together (the backlog downloaded on connecting) in one list: the app makes the toast and
rings the bell. A Send test is timed until it arrives here (`arrival_seconds`):
`session.test_arrival`, for the status line.

The demo (`--demo`) logs its own device in to the embedded simulator first, so what it sends
arrives in its inbox; the session goes to the demo's throwaway config.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import TYPE_CHECKING

from pushover_tui.api.errors import NoCredentialsError, PushoverError
from pushover_tui.api.secret import Secret
from pushover_tui.inbox import (
    Arrived,
    Inbox,
    InboxEvent,
    InboxState,
    StatusChanged,
    arrival_seconds,
    log_in,
    websocket_url_from_env,
)
from pushover_tui.store.inbox import InboxRow, InboxStore
from pushover_tui.tui.session.signals import Listeners

if TYPE_CHECKING:
    from pushover_tui.api.inbox import InboxSession
    from pushover_tui.outbox import Sent
    from pushover_tui.store.config import ActiveProfile
    from pushover_tui.store.history import HistoryRow
    from pushover_tui.tui.session import Session

DEMO_DEVICE = "demo-tui"
TESTS_KEPT = 5  # Send tests waiting to be seen arriving
RECENT_KEPT = 20  # arrivals a Send test that returns late may match


class InboxLink:
    """Owns the Inbox service of the active profile; screens call it through `session.inbox`."""

    def __init__(self, owner: Session) -> None:
        self._owner = owner
        self.changed: Listeners[InboxEvent] = Listeners()
        self.arrived: Listeners[list[InboxRow]] = Listeners()
        self.store = InboxStore(owner.inbox_history)
        self.inbox: Inbox | None = None
        self.state = InboxState.STOPPED
        self.text = ""  # what the service last said about the state
        self.reason = ""  # RECONNECTING: why the link was lost
        self.retry_at: float | None = None  # RECONNECTING: time.monotonic() of the next try
        self._started = False
        self._following: tuple[str, InboxSession | None] | None = None
        self._tests: deque[HistoryRow] = deque(maxlen=TESTS_KEPT)
        self._recent: deque[InboxRow] = deque(maxlen=RECENT_KEPT)
        self._arrivals: list[InboxRow] = []

    # -- what screens read ---------------------------------------------------------------

    @property
    def profile(self) -> str:
        return self._owner.active.profile.name

    @property
    def session(self) -> InboxSession | None:
        return self._owner.active.profile.inbox

    def count(self) -> int:
        """How many messages the active profile received (the list reads them: InboxSource)."""
        return self.store.count(self.profile)

    # -- following -----------------------------------------------------------------------

    def start(self) -> None:
        """Follow from now on (after the app's first frame); the demo logs in first."""
        if self._started:
            return
        self._started = True
        self._owner.profile_changed.subscribe(self._profile_changed)
        if self._owner.demo and self.session is None:
            self._owner.run(self._demo_log_in(), "inbox-login")
        else:
            self._follow()

    def _follow(self) -> None:
        """Follow the active profile's session, after closing what followed another one."""
        old, self.inbox = self.inbox, None
        if old is not None:
            self._owner.run(old.aclose(), "closing", exclusive=False)
        session = self.session
        self._following = (self.profile, session)
        self.retry_at = None
        if session is None:
            self._set(InboxState.STOPPED, "")
            return
        inbox = Inbox(
            self._owner.active,
            self._owner.inbox_history,
            websocket_url=websocket_url_from_env(self._owner.env),
        )
        inbox.add_listener(lambda event: self._heard(inbox, event))
        self.inbox = inbox
        inbox.start()

    def _profile_changed(self, active: ActiveProfile) -> None:
        self._tests.clear()
        if self._following != (active.profile.name, active.profile.inbox):
            self._follow()

    async def _demo_log_in(self) -> None:
        from pushover_tui.simulator import DEMO_EMAIL, DEMO_PASSWORD

        self._set(InboxState.CONNECTING, "Registering the demo's inbox device…")
        try:
            await self._log_in(DEMO_EMAIL, Secret(DEMO_PASSWORD), device_name=DEMO_DEVICE)
        except PushoverError as error:
            self._set(InboxState.STOPPED, f"The demo inbox could not log in: {error}")

    # -- events --------------------------------------------------------------------------

    def _heard(self, inbox: Inbox, event: InboxEvent) -> None:
        if inbox is not self.inbox:
            return  # the one followed before a profile switch or a new login, closing
        if isinstance(event, StatusChanged):
            self.state, self.text, self.reason = event.state, event.text, event.reason
            is_waiting = event.state is InboxState.RECONNECTING
            self.retry_at = time.monotonic() + event.delay if is_waiting else None
        elif isinstance(event, Arrived):
            self._arrived(event.row)
        self.changed.publish(event)

    def _set(self, state: InboxState, text: str) -> None:
        """A state the link itself reaches (no session, the demo's login)."""
        self.state, self.text, self.reason, self.retry_at = state, text, "", None
        self.changed.publish(StatusChanged(state, text))

    def _arrived(self, row: InboxRow) -> None:
        self._recent.append(row)
        for sent in list(self._tests):
            seconds = arrival_seconds(sent, row)
            if seconds is not None:
                self._tests.remove(sent)
                self._owner.set("test_arrival", seconds)
        if not self._arrivals:  # told once the rest of this download is in
            asyncio.get_running_loop().call_soon(self._tell_arrivals)
        self._arrivals.append(row)

    def _tell_arrivals(self) -> None:
        rows, self._arrivals = self._arrivals, []
        if rows:
            self.arrived.publish(rows)

    def time_arrival(self, sent: Sent) -> None:
        """Time a Send test until it arrives here (it may have already: loopback is quick)."""
        row = self._owner.history.get(sent.row_id)
        self._owner.set("test_arrival", None)
        if row is None or self.inbox is None:
            return
        for arrived in self._recent:
            seconds = arrival_seconds(row, arrived)
            if seconds is not None:
                self._owner.set("test_arrival", seconds)
                return
        self._tests.append(row)

    # -- what screens do -----------------------------------------------------------------

    async def log_in(
        self, email: str, password: Secret, *, twofa: str = "", device_name: str | None = None
    ) -> InboxSession:
        """Log in (TwoFactorRequiredError: again with `twofa`), register this machine unless
        the profile has that device already, keep the session in the config and follow it.
        The password is used for this request only."""
        self._owner.refuse_if_read_only("log in to the inbox")
        return await self._log_in(email, password, twofa=twofa, device_name=device_name)

    async def _log_in(
        self, email: str, password: Secret, *, twofa: str = "", device_name: str | None = None
    ) -> InboxSession:
        session = await log_in(
            self._owner.active, email, password, twofa=twofa, device_name=device_name
        )
        self._owner.remember_inbox(session)
        self._follow()
        return session

    async def acknowledge(self, receipt: str) -> list[InboxRow]:
        """Acknowledge an emergency as this device (its repeats stop)."""
        self._owner.refuse_if_read_only("acknowledge emergencies")
        if self.inbox is None:
            raise NoCredentialsError("This profile is not logged in to the inbox: log in first.")
        return await self.inbox.acknowledge(receipt)

    async def aclose(self) -> None:
        inbox, self.inbox = self.inbox, None
        if inbox is not None:
            await inbox.aclose()
