"""Compose's action bar: Send, Send test, New message and Glance (each runs the screen's action,
as its key does), a spinner while sending and a one-line hint.

The screen tells the bar what to show at any time, even before the bar's own children exist (a
resize or a toast can reach the screen between the bar's mount and its compose): the bar keeps
the state and draws it once composed.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, LoadingIndicator, Static

from pushover_tui.tui.base import dashboard


class ActionBar(Horizontal):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._sending = False
        self._emergency = False
        self._compact = False

    def compose(self) -> ComposeResult:
        key = dashboard(self).key_label
        yield Button(
            "Send",
            id="send",
            variant="primary",
            tooltip=key("compose.send", every=True),
            action="screen.send",
        )
        yield Button(
            "Send test",
            id="send-test",
            tooltip=key("compose.send_test", every=True),
            action="screen.send_test",
        )
        yield Button(
            "New message",
            id="new-message",
            tooltip=key("compose.new", every=True),
            action="screen.new_message",
        )
        yield Button(
            "Glance…",
            id="open-glance",
            tooltip=key("compose.glance", every=True),
            action="screen.glance",
        )
        yield LoadingIndicator(id="send-spinner")
        yield FittedHint(id="actions-hint")

    def on_mount(self) -> None:
        self._draw()

    def show(self, *, sending: bool, emergency: bool) -> None:
        self._sending, self._emergency = sending, emergency
        self._draw()

    def set_compact(self, compact: bool) -> None:
        self._compact = compact
        self._draw()

    def _draw(self) -> None:
        for button in self.query(Button).results(Button):
            button.disabled = self._sending
            button.compact = self._compact
            if button.id == "send":
                button.label = "Send emergency" if self._emergency else "Send"
        if self._sending:
            hints = ("Sending… the buttons come back when Pushover answers.", "Sending…")
        elif self._emergency:
            hints = ("Repeats until acknowledged.",)  # the emergency box says it too
        else:
            hints = ()
        for hint in self.query(FittedHint).results(FittedHint):
            hint.show(hints)


class FittedHint(Static):
    """The first of its wordings that fits its width whole; none when none does (a cut
    sentence says less than no sentence)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self._wordings: tuple[str, ...] = ()

    def show(self, wordings: tuple[str, ...]) -> None:
        self._wordings = wordings
        self._fit()

    def on_resize(self, event: events.Resize) -> None:
        self._fit()

    def _fit(self) -> None:
        width = self.content_region.width
        self.update(next((text for text in self._wordings if cell_len(text) <= width), ""))
