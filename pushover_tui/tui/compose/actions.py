"""Compose's action bar: Send, Send test and New message (each runs the screen's action, as its
key does), a spinner while sending and a one-line hint."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, LoadingIndicator, Static

from pushover_tui.tui.base import dashboard


class ActionBar(Horizontal):
    def compose(self) -> ComposeResult:
        key = dashboard(self).key_label
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

    def show(self, *, sending: bool, emergency: bool) -> None:
        for button in self.query(Button).results(Button):
            button.disabled = sending
        self.query_one("#send", Button).label = "Send emergency" if emergency else "Send"
        if sending:
            hint = "Sending… the buttons are back when Pushover has answered."
        elif emergency:
            hint = "Repeats until acknowledged."
        else:
            hint = ""
        self.query_one("#actions-hint", Static).update(hint)

    def set_compact(self, compact: bool) -> None:
        for button in self.query(Button).results(Button):
            button.compact = compact
