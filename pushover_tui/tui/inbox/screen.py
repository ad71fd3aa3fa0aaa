"""The Inbox screen (F6): messages this machine received as a Pushover device, newest first.

The app follows the active profile's inbox session from its first frame on (tui/inbox/link.py);
this screen shows what it received (paged from SQLite, like History), the state of following, live
(connecting, following, reconnecting in N s, or ended: and what to do), and acknowledges the
selected emergency. Without a session, or once Pushover ended it, it offers the login form.
Rows other processes write (`pushover-tui inbox` in a shell) arrive through the local history
database's change subscription, as History's do. The inbox stays on this machine even when the
sent messages live in a team's PostgreSQL (`session.inbox_history`).
"""

from __future__ import annotations

import time
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Static

from pushover_tui.api.errors import FieldProblemsError, PushoverError, TwoFactorRequiredError
from pushover_tui.inbox import (
    LICENSE_NOTE,
    InboxEvent,
    InboxState,
    StatusChanged,
    default_device_name,
)
from pushover_tui.safe_text import escape_controls
from pushover_tui.store.config import ActiveProfile
from pushover_tui.tui.base import ModeScreen
from pushover_tui.tui.inbox.detail import InboxDetail
from pushover_tui.tui.inbox.login import LoginAnswer, LoginForm
from pushover_tui.tui.inbox.table import InboxSource, InboxTable
from pushover_tui.tui.inbox.wording import login_intro, state_content
from pushover_tui.tui.keys import binding
from pushover_tui.tui.session.inbox import InboxLink
from pushover_tui.tui.widgets.footer import AppFooter
from pushover_tui.tui.widgets.reloader import Reloader
from pushover_tui.tui.widgets.row_table import HistoryTable
from pushover_tui.tui.widgets.screen_tabs import ScreenTabs
from pushover_tui.tui.widgets.status_bar import StatusBar


class InboxScreen(ModeScreen):
    """The inbox mode (F6)."""

    CSS_PATH = "inbox.tcss"
    NARROW_BELOW = 100  # the detail panel goes under the list

    BINDINGS: ClassVar[list[BindingType]] = [
        # Letters act only while the list has focus (they would be typed into the login form).
        binding("inbox.ack", "acknowledge"),
        binding("inbox.login", "log_in"),
        binding("inbox.back", "back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._logging_in = False  # the form was asked for although a session exists
        # A hidden Inbox reloads too: a count, the rows are read when shown.
        self._reloader = Reloader(self, lambda: self.session.inbox_history, self.reload)

    @property
    def link(self) -> InboxLink:
        return self.session.inbox

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        session = self.session.active.profile.inbox
        yield StatusBar()
        yield ScreenTabs("inbox", self.pushover.key_label)
        yield Static("", id="inbox-state")
        with Horizontal(id="inbox-body"):
            with Vertical(id="inbox-list"):
                yield InboxTable(
                    id="inbox-table",
                    placeholder="Nothing received yet: what is sent to you arrives here.",
                )
                yield Static("", id="inbox-count", markup=False)
            yield InboxDetail(id="inbox-detail")
        with VerticalScroll(id="inbox-login"):
            name = session.device_name if session else default_device_name()
            yield LoginForm(device_name=name, id="login-form")
        yield AppFooter()

    def on_mount(self) -> None:
        self.pushover.inbox_changed.subscribe(self, self._inbox_event)
        self.pushover.profile_changed.subscribe(self, self._profile_changed)
        self._reloader.start()
        self.set_interval(1.0, self._tick)
        self._show_state()
        self._show_page()
        self.reload(keep=False)

    def on_resize(self) -> None:
        self.fit_to(self.size)

    def _show_page(self) -> None:
        """The login form when there is no session (or it was asked for), else the list. The
        demo logs its own device in: its list shows at once, the state line saying so."""
        login = self._logging_in or (self.link.session is None and not self.session.demo)
        was_login = self.has_class("-login")
        self.set_class(login, "-login")
        form = self.query_one(LoginForm)
        session = self.link.session
        device = session.device_name if session else ""
        form.show_intro(login_intro(self.link.state, profile=self.link.profile, device=device))
        if login and not was_login:
            form.focus_first()
        elif not login and (was_login or self.focused is None):
            self.query_one(InboxTable).focus()
        self.refresh_bindings()

    def _show_state(self) -> None:
        link = self.link
        retry_in = None if link.retry_at is None else link.retry_at - time.monotonic()
        session = link.session
        content = state_content(
            link.state,
            text=link.text,
            reason=link.reason,
            retry_in=retry_in,
            device=session.device_name if session else "",
            login_key=self.pushover.key_label("inbox.login"),
        )
        line = self.query_one("#inbox-state", Static)
        line.update(content)
        line.set_class(link.state.is_final, "-ended")

    def _tick(self) -> None:
        if self.is_current and self.link.state is InboxState.RECONNECTING:
            self._show_state()  # the countdown

    # -- what the inbox says -----------------------------------------------------------------

    def _inbox_event(self, event: InboxEvent) -> None:
        if isinstance(event, StatusChanged):
            self._show_state()
            self._show_page()
        else:  # Arrived, Acknowledged
            self._reloader.schedule()

    def _profile_changed(self, _active: ActiveProfile) -> None:
        self._logging_in = False
        session = self.link.session
        self.query_one(LoginForm).reset(session.device_name if session else default_device_name())
        self._show_state()
        self._show_page()
        self.reload(keep=False)

    # -- loading -----------------------------------------------------------------------------

    def reload(self, *, keep: bool = True) -> None:
        """Count and show the profile's messages; only the windows on screen are read."""
        link = self.link
        try:
            self._reloader.seen_version = self.session.inbox_history.data_version()
            source = InboxSource(link.store, link.profile)
        except PushoverError as error:
            self.show_error(error, title="Inbox")
            return
        self.query_one(InboxTable).load(source, keep=keep)
        self.refresh_bindings()

    @on(HistoryTable.Highlighted)
    def _highlighted(self) -> None:
        table = self.query_one(InboxTable)
        ack_key = self.pushover.key_label("inbox.ack")
        self.query_one(InboxDetail).show(table.selected_message, ack_key=ack_key)

    @on(HistoryTable.ViewChanged)
    def _view_changed(self) -> None:
        table = self.query_one(InboxTable)
        if table.total:
            first, last = table.first_visible + 1, table.last_visible + 1
            text = f"messages {first:,}–{last:,} of {table.total:,}  ·  newest first"
        else:
            text = "no messages"
        self.query_one("#inbox-count", Static).update(text)

    # -- keys --------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        login = self.has_class("-login")
        if action == "back":
            return login and self.link.session is not None
        if action not in ("acknowledge", "log_in"):
            return True
        if login or not isinstance(self.focused, InboxTable):
            return False  # letters belong to the login form's fields then
        if action == "log_in":
            return self._needs_login()
        if self._needs_login():
            return False  # acknowledging needs a session Pushover accepts: `l` comes first
        return True if self.query_one(InboxTable).total else None

    def _needs_login(self) -> bool:
        return self.link.state.is_final or (
            self.link.state is InboxState.STOPPED and bool(self.link.text)
        )

    def on_descendant_focus(self) -> None:
        self.refresh_bindings()  # letters act only while the list has focus

    def on_descendant_blur(self) -> None:
        self.refresh_bindings()

    # -- acknowledging -----------------------------------------------------------------------

    def action_acknowledge(self) -> None:
        row = self.query_one(InboxTable).selected_message
        if row is None:
            self.notify("Select a message first.", severity="warning")
        elif not row.message.is_emergency or not row.message.receipt:
            self.notify(
                "Only an emergency (priority 2) waits for an acknowledgement; this message "
                "does not.",
                severity="warning",
            )
        elif row.acknowledged:
            self.notify("This emergency is acknowledged already.", severity="information")
        else:
            self._acknowledge(row.message.receipt)

    @work(exclusive=True, group="inbox-ack", exit_on_error=False)
    async def _acknowledge(self, receipt: str) -> None:
        try:
            await self.link.acknowledge(receipt)
        except PushoverError as error:
            self.show_error(error, title="Not acknowledged")
            return
        session = self.link.session
        device = escape_controls(session.device_name) if session else "this device"
        self.notify(
            f"Its repeats stop; the sender's receipt names device {device}.",
            title="Acknowledged",
            markup=False,
        )

    # -- logging in --------------------------------------------------------------------------

    def action_log_in(self) -> None:
        self._logging_in = True
        self._show_page()

    def action_back(self) -> None:
        self._logging_in = False
        self._show_page()

    @on(LoginForm.Submitted)
    def _login_submitted(self, event: LoginForm.Submitted) -> None:
        event.stop()
        self._log_in(event.answer)

    @work(exclusive=True, group="inbox-login", exit_on_error=False)
    async def _log_in(self, answer: LoginAnswer) -> None:
        form = self.query_one(LoginForm)
        previous = self.link.session
        form.set_busy(True)
        try:
            session = await self.link.log_in(
                answer.email,
                answer.password,
                twofa=answer.twofa,
                device_name=answer.device_name,
            )
        except TwoFactorRequiredError:
            form.ask_code(
                "That code was not accepted: type the one your app shows now."
                if answer.twofa
                else "Your account uses two-factor authentication: type the code your "
                "authenticator app shows now."
            )
            return
        except FieldProblemsError as error:
            for problem in error.problems:
                form.show_problem(problem.text, problem.field)
            return
        except PushoverError as error:
            form.show_problem(str(error))
            return
        finally:
            form.set_busy(False)
        form.reset(session.device_name)
        self._logging_in = False
        self._show_page()
        kept = previous is not None and previous.device_id == session.device_id
        text = f"Receiving here as device {escape_controls(session.device_name)}."
        self.notify(
            text if kept else f"{text} {LICENSE_NOTE}",
            title="Logged in",
            timeout=10,
            markup=False,
        )
