"""Typed messages the app sends a screen (from the command palette, or another screen)."""

from __future__ import annotations

from textual.message import Message

from pushover_tui.api.models import Message as PushoverMessage
from pushover_tui.api.secret import Secret
from pushover_tui.store.history import HistoryFilter


class PrefillDraft(Message):
    """Compose: replace the draft with this message (History's Resend), to `to` (a group
    key; None: the profile's default recipient)."""

    def __init__(self, message: PushoverMessage, to: Secret | None = None) -> None:
        super().__init__()
        self.message = message
        self.to = to


class SendTest(Message):
    """Compose: send the labelled test message."""


class VerifyKeys(Message):
    """Config: check the keys in the form against the API."""


class FilterHistory(Message):
    """History: show exactly these rows (every other filter reset)."""

    def __init__(self, filters: HistoryFilter) -> None:
        super().__init__()
        self.filters = filters
