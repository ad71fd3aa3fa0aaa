"""What every screen and component below the app builds on, so that nothing under tui/ imports
tui/app.py: `ModeScreen` (a mode's screen), the `Dashboard` the app is to them, one awaitable
`confirm()` for "ask, then proceed" (`ask()` when the answer is more than yes or no), and one
`show_error()` (the app's `report()`) that turns an expected error into a sentence (an
unexpected one into "…Please report it.", never a secret).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar, Protocol, TypeVar, cast

from textual.geometry import Size
from textual.worker import Worker, get_current_worker

from pushover_tui.api.errors import PushoverError
from pushover_tui.api.secret import Secret, redact
from pushover_tui.tui.startup import StartScreen

if TYPE_CHECKING:
    from textual.dom import DOMNode
    from textual.message import Message as TextualMessage
    from textual.signal import Signal

    from pushover_tui.api.models import Message
    from pushover_tui.inbox import InboxEvent
    from pushover_tui.store.config import ActiveProfile
    from pushover_tui.store.history import HistoryRow
    from pushover_tui.tui.session import Session
    from pushover_tui.tui.widgets.dialogs import Dialog

Answer = TypeVar("Answer")


class Dashboard(Protocol):
    """The app as screens see it: the session, the keymap's words, routing between modes, and
    the Textual signals the session's changes arrive on."""

    session: Session
    history_changed: Signal[HistoryRow | None]
    profile_changed: Signal[ActiveProfile]
    inbox_changed: Signal[InboxEvent]
    keys_edited: bool

    def key_label(self, binding_id: str, *, every: bool = False) -> str: ...
    def keys_of(self, binding_id: str) -> list[str]: ...
    def open_mode(self, mode: str, request: TextualMessage | None = None) -> None: ...
    def resend(self, message: Message, to: Secret | None = None) -> None: ...
    def report(self, error: BaseException, *, title: str = "", text: str = "") -> None: ...
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None: ...


def dashboard(node: DOMNode) -> Dashboard:
    """The app a widget belongs to, as the Dashboard it is (typed)."""
    return cast("Dashboard", node.app)


def session_of(node: DOMNode) -> Session:
    return dashboard(node).session


class ModeScreen(StartScreen):
    """A mode's screen: the app (`pushover`) and its session typed, errors sent to the app's one
    handler (Worker.StateChanged does not bubble: they would end silently), and `confirm()`."""

    # Below this many columns (rows) the screen has the class -narrow (-short), which its CSS
    # lays out by; 0: never.
    NARROW_BELOW: ClassVar[int] = 0
    SHORT_BELOW: ClassVar[int] = 0

    def __init__(self) -> None:
        super().__init__()
        # Fitted to the terminal before the first styling (which is still to come: no restyle
        # now). Fitted on the first Resize instead, every widget was styled again before the
        # first frame (figure 1).
        self.fit_to(self.app.size, restyle=False)

    def fit_to(self, size: Size, *, restyle: bool = True) -> None:
        """The layout classes for `size` (screens call it on each Resize too)."""
        self.set_class(size.width < self.NARROW_BELOW, "-narrow", update=restyle)
        self.set_class(size.height < self.SHORT_BELOW, "-short", update=restyle)

    @property
    def pushover(self) -> Dashboard:
        return dashboard(self)

    @property
    def session(self) -> Session:
        return self.pushover.session

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.pushover.on_worker_state_changed(event)

    def show_error(self, error: BaseException, *, title: str = "", text: str = "") -> None:
        """An error the user must know about, as one sentence (the app's one handler); `text`:
        the screen's own words for an expected error (see describe_error)."""
        self.pushover.report(error, title=title, text=text)

    async def confirm(self, title: str, text: str, confirm: str) -> bool:
        """Ask, then tell whether to proceed. Await it in a worker (Textual's rule for waiting
        on a dialog)."""
        return await confirmed(self, title, text, confirm)

    async def ask(self, dialog: Dialog[Answer]) -> Answer:
        """Any dialog's answer (a choice of more than yes and no, a name), the way `confirm()`
        waits for its own."""
        return await ask(self, dialog)

    async def may_leave(self, why: str) -> bool:
        """May the app leave this screen (`why`: "mode", "profile" or "quit")? A screen with
        unsaved work asks the user here (from the app's worker: PushoverApp.leave)."""
        return True


async def confirmed(node: DOMNode, title: str, text: str, confirm: str) -> bool:
    """A ConfirmDialog's answer (Escape and the other button: False); from a worker."""
    from pushover_tui.tui.widgets.dialogs import ConfirmDialog

    return bool(await ask(node, ConfirmDialog(title, text, confirm)))


async def ask(node: DOMNode, dialog: Dialog[Answer]) -> Answer:
    """`dialog`'s answer, awaited in the worker that asks (Textual's rule for waiting on a
    dialog). The dialog names that worker (`asker`) while it is open: a worker waiting for the
    user is not work in progress, and whatever waits for the app to be idle (tests' settle())
    waits for every worker but one parked on an open dialog."""
    dialog.asker = get_current_worker()
    return await node.app.push_screen(dialog, wait_for_dismiss=True)


def describe_error(error: BaseException | None, *secrets: Secret, text: str = "") -> str:
    """One sentence for the user; the API's own words for our errors, or `text` when the
    screen words an expected error itself (Groups: its reason and what to do there), never a
    secret (`secrets`: the keys in use, masked wherever an error's text holds them). An
    unexpected error keeps its "Please report it." whatever `text` says."""
    if isinstance(error, PushoverError):
        return redact(text, *secrets) if text else str(error)
    name = type(error).__name__ if error is not None else "Error"
    return redact(f"unexpected {name}: {error}. Please report it.", *secrets)


def secrets_of(session: Session) -> Iterable[Secret]:
    profile = session.active.profile
    return (profile.token, profile.user)
