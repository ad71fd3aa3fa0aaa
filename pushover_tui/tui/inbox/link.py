"""The dashboard's inbox: the active profile's inbox session, followed while the app runs.

The app starts it just after its first frame (`PushoverApp.started`), so neither httpx nor
websockets is imported before that frame. Every event of the Inbox service (pushover_tui/inbox.py)
is published on `changed` for the screens. A new message also raises a toast naming it and rings
the bell (`app.ring_bell`: only with `bell = true`); messages that arrive together (the backlog
downloaded on connecting) make one toast. A Send test is timed until it arrives here
(`arrival_seconds`): `app.test_arrival`, for the status line.

The demo (`--demo`) logs its own device in to the embedded simulator first, so what it sends
arrives in its inbox; the session goes to the demo's throwaway config.
"""

from __future__ import annotations

import time
from collections import deque
from typing import TYPE_CHECKING

from textual.signal import Signal

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
from pushover_tui.safe_text import escape_controls
from pushover_tui.store.inbox import InboxRow, InboxStore

if TYPE_CHECKING:
    from pushover_tui.api.inbox import InboxSession
    from pushover_tui.outbox import Sent
    from pushover_tui.store.config import ActiveProfile
    from pushover_tui.store.history import HistoryRow
    from pushover_tui.tui.app import PushoverApp

DEMO_DEVICE = "demo-tui"
TOASTS_ONE_BY_ONE = 3  # more messages at once make a single toast
TESTS_KEPT = 5  # Send tests waiting to be seen arriving
RECENT_KEPT = 20  # arrivals a Send test that returns late may match


class InboxLink:
    """Owns the Inbox service of the active profile; screens call it through `app.inbox`."""

    def __init__(self, app: PushoverApp) -> None:
        self.app = app
        self.changed: Signal[InboxEvent] = Signal(app, "inbox-changed")
        self.store = InboxStore(app.inbox_history)
        self.inbox: Inbox | None = None
        self.state = InboxState.STOPPED
        self.text = ""  # what the service last said about the state
        self.reason = ""  # RECONNECTING: why the link was lost
        self.retry_at: float | None = None  # RECONNECTING: time.monotonic() of the next try
        self._started = False
        self._following: tuple[str, InboxSession | None] | None = None
        self._tests: deque[HistoryRow] = deque(maxlen=TESTS_KEPT)
        self._recent: deque[InboxRow] = deque(maxlen=RECENT_KEPT)
        self._toasts: list[InboxRow] = []

    # -- what screens read ---------------------------------------------------------------

    @property
    def profile(self) -> str:
        return self.app.active.profile.name

    @property
    def session(self) -> InboxSession | None:
        return self.app.active.profile.inbox

    def count(self) -> int:
        """How many messages the active profile received (the list reads them: InboxSource)."""
        return self.store.count(self.profile)

    # -- following -----------------------------------------------------------------------

    def start(self) -> None:
        """Follow from now on (the app calls it after its first frame); the demo logs in first."""
        if self._started:
            return
        self._started = True
        self.app.profile_changed.subscribe(self.app, self._profile_changed)
        if self.app.demo and self.session is None:
            self.app.run_worker(self._demo_log_in(), group="inbox-login", exit_on_error=False)
        else:
            self._follow()

    def _follow(self) -> None:
        """Follow the active profile's session, after closing what followed another one."""
        old, self.inbox = self.inbox, None
        if old is not None:
            self.app.run_worker(old.aclose(), exit_on_error=False)
        session = self.session
        self._following = (self.profile, session)
        self.retry_at = None
        if session is None:
            self._set(InboxState.STOPPED, "")
            return
        inbox = Inbox(
            self.app.active,
            self.app.inbox_history,
            websocket_url=websocket_url_from_env(self.app.env),
        )
        inbox.add_listener(lambda event: self._heard(inbox, event))
        self.inbox = inbox
        inbox.start()

    def _profile_changed(self, active: ActiveProfile) -> None:
        self.app.test_arrival = None
        self._tests.clear()
        if self._following != (active.profile.name, active.profile.inbox):
            self._follow()

    async def _demo_log_in(self) -> None:
        from pushover_tui.simulator import DEMO_EMAIL, DEMO_PASSWORD

        self._set(InboxState.CONNECTING, "Registering the demo's inbox device…")
        try:
            await self.log_in(DEMO_EMAIL, Secret(DEMO_PASSWORD), device_name=DEMO_DEVICE)
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
                self.app.test_arrival = seconds
        if not self._toasts:
            self.app.call_later(self._toast)  # after the rest of this download
        self._toasts.append(row)

    def _toast(self) -> None:
        rows, self._toasts = self._toasts, []
        if not rows:
            return
        inbox_key = self.app.key_label("mode.inbox")
        if len(rows) <= TOASTS_ONE_BY_ONE:
            for row in rows:
                emergency = row.awaits_ack
                self.app.notify(
                    _preview(row),
                    title=f"Emergency: acknowledge it in Inbox ({inbox_key})"
                    if emergency
                    else f"New message (Inbox: {inbox_key})",
                    severity="warning" if emergency else "information",
                    timeout=10 if emergency else 5,
                    markup=False,
                )
        else:
            newest = "\n".join(_preview(row, 60) for row in reversed(rows[-TOASTS_ONE_BY_ONE:]))
            self.app.notify(
                f"{newest}\n…and {len(rows) - TOASTS_ONE_BY_ONE} more (Inbox lists them all).",
                title=f"{len(rows)} new messages (Inbox: {inbox_key})",
                severity="warning" if any(row.awaits_ack for row in rows) else "information",
                markup=False,
            )
        self.app.ring_bell()

    def time_arrival(self, sent: Sent) -> None:
        """Time a Send test until it arrives here (it may have already: loopback is quick)."""
        row = self.app.history.get(sent.row_id)
        self.app.test_arrival = None
        if row is None or self.inbox is None:
            return
        for arrived in self._recent:
            seconds = arrival_seconds(row, arrived)
            if seconds is not None:
                self.app.test_arrival = seconds
                return
        self._tests.append(row)

    # -- what screens do -----------------------------------------------------------------

    async def log_in(
        self, email: str, password: Secret, *, twofa: str = "", device_name: str | None = None
    ) -> InboxSession:
        """Log in (TwoFactorRequiredError: again with `twofa`), register this machine unless
        the profile has that device already, keep the session in the config and follow it.
        The password is used for this request only."""
        session = await log_in(
            self.app.active, email, password, twofa=twofa, device_name=device_name
        )
        self.app.remember_inbox(session)
        self._follow()
        return session

    async def acknowledge(self, receipt: str) -> list[InboxRow]:
        """Acknowledge an emergency as this device (its repeats stop)."""
        if self.inbox is None:
            key = self.app.key_label("inbox.login")
            raise NoCredentialsError(
                f"This profile is not logged in to the inbox: log in first ({key} in Inbox)."
            )
        return await self.inbox.acknowledge(receipt)

    async def aclose(self) -> None:
        inbox, self.inbox = self.inbox, None
        if inbox is not None:
            await inbox.aclose()


def _preview(row: InboxRow, width: int = 200) -> str:
    """The message named (its title, else the app) with the start of its text, one line each."""
    message = row.message
    text = " ".join(escape_controls(message.message).split())
    if len(text) > width:
        text = text[: width - 1] + "…"
    return f"{escape_controls(message.shown_title)}\n{text}" if message.shown_title else text
