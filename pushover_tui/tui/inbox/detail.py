"""The inbox's detail panel: the selected message in full, with what can be done about it.

`detail_content(row, width, ack_key)` words a row as Content with theme colours, in History's
label and value columns (history/detail.py's grid).
"""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from pushover_tui.safe_text import escape_controls
from pushover_tui.store.inbox import InboxRow
from pushover_tui.tui import wording as fmt
from pushover_tui.tui.widgets.detail_grid import Row, grid, section


def detail_content(row: InboxRow | None, width: int, *, ack_key: str) -> Content:
    if row is None:
        return Content.styled("Select a message to read it in full.", "italic $foreground-muted")
    message = row.message
    parts: list[Content] = [Content.styled(escape_controls(message.shown_title) or "—", "bold")]
    if message.is_emergency:
        parts.append(_emergency_line(row))
    parts += [Content(""), Content(escape_controls(message.message, keep_lines=True))]
    if message.url:
        link = escape_controls(message.url)
        title = escape_controls(message.url_title)
        parts += [Content(""), Content.styled(f"{title}: {link}" if title else link, "$accent")]
    rows: list[Row] = [
        ("App", escape_controls(message.app) or "—"),
        ("Priority", f"{fmt.priority_label(message.priority)} ({message.priority})"),
        ("Sent", fmt.full_time(message.date) if message.date else "—"),
        ("Received", fmt.full_time(row.received_at)),
        ("Device", escape_controls(row.device)),
    ]
    if message.receipt:
        rows.append(("Receipt", escape_controls(message.receipt)))
    if message.sound:
        rows.append(("Sound", escape_controls(message.sound)))
    if message.html:
        rows.append(("Format", "HTML (shown as sent)"))
    parts += [section("Details"), grid(rows, width)]
    if row.awaits_ack:
        hint = f"{ack_key} acknowledges it: its repeats stop and the sender's receipt names "
        hint += f"device {escape_controls(row.device)}."
        parts += [Content(""), Content.styled(hint, "$foreground-muted")]
    return Content("\n").join(parts)


def _emergency_line(row: InboxRow) -> Content:
    if row.acknowledged_at is not None:
        when = fmt.clock_time(row.acknowledged_at)
        return Content.styled(f"EMERGENCY · acknowledged from here at {when}", "bold $success")
    if row.acknowledged:
        return Content.styled("EMERGENCY · acknowledged", "bold $success")
    return Content.styled("EMERGENCY · not acknowledged yet", "bold $error")


class InboxDetail(VerticalScroll, can_focus=True):
    """Shows one received message; scrolls when it is long."""

    DEFAULT_CSS = """
    InboxDetail {
        padding: 0 1;
        background: $surface;
        & > #inbox-detail-body { width: 1fr; }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.row: InboxRow | None = None
        self.ack_key = "a"

    def compose(self) -> ComposeResult:
        yield Static(id="inbox-detail-body")

    def show(self, row: InboxRow | None, *, ack_key: str) -> None:
        same = row is not None and self.row is not None and row.id == self.row.id
        self.row, self.ack_key = row, ack_key
        self._render_row()
        if not same:
            self.scroll_home(animate=False)

    def on_resize(self, event: events.Resize) -> None:
        self._render_row()

    def _render_row(self) -> None:
        width = self.scrollable_content_region.width or 40
        content = detail_content(self.row, width, ack_key=self.ack_key)
        self.query_one("#inbox-detail-body", Static).update(content)
