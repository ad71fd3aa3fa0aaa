"""The inbox list: History's line-API table (widgets/row_table.py) over the inbox table, so it reads
only the windows on screen from SQLite however many messages were received.

An emergency stands out without colour too: its priority reads EMERGENCY and, until it is
acknowledged, its last column NEEDS ACK.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import ClassVar

from pushover_tui.safe_text import escape_controls
from pushover_tui.store.history import HistoryFilter
from pushover_tui.store.inbox import InboxRow, InboxStore
from pushover_tui.tui import wording as fmt
from pushover_tui.tui.widgets.row_table import HistoryTable, RowSource

COLUMNS: tuple[tuple[str, int], ...] = (
    ("Time", 11),
    ("Priority", 9),
    ("App", 14),
    ("Title — message", 0),
    ("Ack", 9),
)


class InboxSource(RowSource):
    """A profile's received messages by index (0 = newest), read in RowSource's windows."""

    def __init__(self, store: InboxStore, profile: str) -> None:
        # RowSource's windowing over another table: its history and filters are not used.
        self.store = store
        self.profile = profile
        self.filters = HistoryFilter()
        self._windows = OrderedDict()
        self.total = store.count(profile)

    def _fetch(self, start: int) -> list[InboxRow]:  # type: ignore[override]
        limit = min(self.WINDOW, self.total - start)
        return self.store.page(self.profile, offset=start, limit=limit)


def preview(row: InboxRow) -> str:
    """Title and text on one line, control characters escaped."""
    message = row.message
    text = f"{message.title} — {message.message}" if message.title else message.message
    return " ".join(escape_controls(text).split())


def ack_label(row: InboxRow) -> str:
    if not row.message.is_emergency:
        return ""
    return "acked" if row.acknowledged else "NEEDS ACK"


class InboxTable(HistoryTable):
    """Received messages, newest first: time, priority, app, title and text, acknowledgement."""

    COLUMNS: ClassVar[tuple[tuple[str, int], ...]] = COLUMNS

    @property
    def selected_message(self) -> InboxRow | None:
        row = self.selected
        return row if isinstance(row, InboxRow) else None

    def _cells(self, row: InboxRow) -> list[tuple[str, str | None]]:  # type: ignore[override]
        message = row.message
        if message.is_emergency:
            priority, priority_class = "EMERGENCY", "emergency"
        else:
            priority = fmt.priority_label(message.priority)
            priority_class = "high" if message.priority == 1 else "muted"
        return [
            (fmt.short_time(message.date or row.received_at), "muted"),
            (priority, priority_class),
            (escape_controls(message.app), None),
            (preview(row), "emergency" if row.awaits_ack else None),
            (ack_label(row), "awaiting" if row.awaits_ack else "acknowledged"),
        ]
