"""Compose's action bar: Send, Send test and New message (each runs the screen's action, as its
key does), a spinner while sending and a one-line hint."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, LoadingIndicator, Static

from pushover_tui.tui.app import pushover_app


class ActionBar(Horizontal):
    _state: tuple[bool, bool] = (False, False)  # sending, emergency

    def compose(self) -> ComposeResult:
        key = pushover_app(self).key_label
        yield Button(
            "Send",
            id="send",
            variant="primary",
            tooltip=key("compose.send"),
            action="screen.send",
        )
        yield Button(
            "Send test", id="send-test", tooltip=key("compose.send_test"), action="screen.send_test"
        )
        yield Button(
            "New message", id="new-message", tooltip=key("compose.new"), action="screen.new_message"
        )
        yield LoadingIndicator(id="send-spinner")
        yield Static("", id="actions-hint")

    def on_mount(self) -> None:
        self._apply()

    def show(self, *, sending: bool, emergency: bool) -> None:
        # May come before the buttons exist (in a browser the driver's first resize can arrive
        # between this bar's mounting and its children's): kept, and applied once they are.
        self._state = (sending, emergency)
        self._apply()

    def _apply(self) -> None:
        sending, emergency = self._state
        for button in self.query(Button).results(Button):
            button.disabled = sending
        for send in self.query("#send").results(Button):
            send.label = "Send emergency" if emergency else "Send"
        if sending:
            hint = "Sending… the buttons are back when Pushover has answered."
        elif emergency:
            hint = "Repeats until acknowledged."
        else:
            hint = ""
        for shown in self.query("#actions-hint").results(Static):
            shown.update(hint)

    def set_compact(self, compact: bool) -> None:
        for button in self.query(Button).results(Button):
            button.compact = compact
