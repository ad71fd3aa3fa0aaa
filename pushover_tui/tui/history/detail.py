"""The detail panel: everything about the selected history row, with its live receipt.

`detail_content(row, width)` words a row as Content with theme colours (the same as the table's):
label and value columns, long values wrapped under their own column.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from textual import events
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from pushover_tui.api.models import ReceiptState
from pushover_tui.safe_text import escape_controls
from pushover_tui.store.history import HistoryRow, RowKind, Status
from pushover_tui.tui import wording as fmt
from pushover_tui.tui.widgets.detail_grid import Row, grid, section

# Parameters in the order a person reads them; anything else follows alphabetically.
PARAM_ORDER = (
    "title",
    "message",
    "priority",
    "sound",
    "device",
    "url",
    "url_title",
    "timestamp",
    "ttl",
    "html",
    "monospace",
    "retry",
    "expire",
    "callback",
    "tags",
    "attachment",
)
STATUS_STYLES: Mapping[Status, str] = {
    Status.SENDING: "bold $warning",
    Status.SENT: "bold $success",
    Status.FAILED: "bold $error",
    Status.INTERRUPTED: "bold $accent",
}
RECEIPT_STYLES: Mapping[ReceiptState, str] = {
    ReceiptState.AWAITING: "bold $warning",
    ReceiptState.ACKNOWLEDGED: "bold $success",
    ReceiptState.EXPIRED: "$error",
    ReceiptState.CANCELLED: "$foreground-muted",
}


def recipient_text(recipient: str, names: Mapping[str, str]) -> str:
    """Who a row was sent to: a name the app knows for the masked key ("ops", "you"),
    and the key's short mask."""
    short = fmt.masked_key(recipient)
    name = names.get(recipient)
    return f"{escape_controls(name)} ({short})" if name else short


def detail_content(
    row: HistoryRow | None,
    width: int,
    key: Callable[[str], str] = lambda binding: binding,
    names: Mapping[str, str] | None = None,
) -> Content:
    """`row` in `width` cells; `key(binding id)` names the key that does an action now;
    `names`: what to call a masked recipient (see `recipient_text`)."""
    if row is None:
        return Content.styled("Select a message to see its details.", "italic $foreground-muted")
    parts: list[Content] = [
        Content.assemble(
            (f"{'Glance' if row.kind is RowKind.GLANCE else 'Message'} #{row.id}", "bold"),
            "  ",
            (fmt.STATUS_LABELS[row.status], STATUS_STYLES[row.status]),
        )
    ]
    general: list[Row] = [("Created", fmt.full_time(row.created_at))]
    if row.kind is RowKind.MESSAGE:  # a glance has none
        general.insert(0, ("Priority", fmt.priority_label(row.priority) + f" ({row.priority})"))
    if row.updated_at != row.created_at:
        general.append(("Updated", fmt.full_time(row.updated_at)))
    general.append(("Origin", f"{row.origin} · profile {row.profile}"))
    if row.recipient:  # blank in rows recorded before recipients were
        general.append(("To", recipient_text(row.recipient, names or {})))
    general.append(("Request", row.request_id or "—"))
    if row.quota.remaining is not None:
        general.append(("Quota", f"{row.quota.remaining:,} left after it"))
    general += [(str(key), _value(value)) for key, value in sorted(row.meta.items())]
    parts.append(grid(general, width))
    if row.error:
        parts += [section("Error"), Content.styled(row.error, "$error")]
    if row.receipt:
        parts += [section("Receipt"), grid(_receipt_rows(row), width)]
        if row.receipt_state is ReceiptState.AWAITING:
            parts.append(
                Content.styled(
                    f"{key('history.cancel')} cancels its retries; {key('history.cancel_tag')} "
                    "cancels every emergency with a tag.",
                    "$foreground-muted",
                )
            )
    keys = [k for k in PARAM_ORDER if k in row.params]
    keys += sorted(k for k in row.params if k not in PARAM_ORDER)
    parts += [section("Parameters"), grid([(k, _value(row.params[k])) for k in keys], width)]
    hint = (
        f"{key('history.delete')} delete · {key('history.clear')} clear all · "
        f"{key('history.cancel_tag')} cancel by tag · {key('history.search')} search · "
        f"{key('history.focus_list')} back to the list"
    )
    parts += [Content(""), Content.styled(hint, "$foreground-muted")]
    return Content("\n").join(parts)


def _receipt_rows(row: HistoryRow) -> list[Row]:
    rows: list[Row] = [("Receipt", row.receipt or "")]
    state = row.receipt_state
    if state is not None:
        rows.append(("State", Content.styled(fmt.RECEIPT_LABELS[state], RECEIPT_STYLES[state])))
    info = row.receipt_info
    if info is not None and info.acknowledged:
        by = fmt.masked_key(info.acknowledged_by) or "someone"
        device = info.acknowledged_by_device
        rows.append(("Acked by", f"{by} on {device}" if device else by))
        if info.acknowledged_at:
            rows.append(("Acked at", fmt.clock_time(info.acknowledged_at)))
    if info is not None and info.last_delivered_at:
        rows.append(("Delivered", fmt.clock_time(info.last_delivered_at) + " (last)"))
    expires = fmt.expires_at(row)
    if state is ReceiptState.AWAITING and expires is not None:
        left = expires - fmt.now()
        if left > 0:
            guess = "" if info is not None and info.expires_at else "~"
            text = f"in {guess}{fmt.countdown(left)}"
            rows.append(("Expires", Content.styled(text, "bold $warning")))
        else:
            rows.append(("Expires", Content.styled("due now", "$warning")))
    elif state is ReceiptState.EXPIRED and expires is not None:
        rows.append(("Expired", Content.styled(fmt.clock_time(expires), "$error")))
    elif state is ReceiptState.CANCELLED:
        rows.append(("Retries", Content.styled("cancelled", "$foreground-muted")))
    if info is not None:
        if info.called_back:
            rows.append(
                (
                    "Called back",
                    fmt.clock_time(info.called_back_at) if info.called_back_at else "yes",
                )
            )
        elif row.params.get("callback"):
            rows.append(("Called back", "not yet"))
    if info is None and state is ReceiptState.AWAITING:
        waiting = "waiting for the first receipt poll…"
        rows.append(("", Content.styled(waiting, "italic $foreground-muted")))
    return rows


def _value(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


class HistoryDetail(VerticalScroll, can_focus=True):
    """Shows one row; `tick()` (every second) keeps an open receipt's countdown moving."""

    DEFAULT_CSS = """
    HistoryDetail {
        border-left: vkey $panel-lighten-1;
        padding: 0 1;
        background: $surface;
        & > #history-detail-body { width: 1fr; }
    }
    """

    def __init__(self, key_label: Callable[[str], str], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.row: HistoryRow | None = None
        self.key_label = key_label
        self.names: Mapping[str, str] = {}  # masked recipient -> name (see recipient_text)

    def compose(self) -> ComposeResult:
        yield Static(id="history-detail-body")

    def show(self, row: HistoryRow | None) -> None:
        changed_row = (row is None) != (self.row is None) or (
            row is not None and self.row is not None and row.id != self.row.id
        )
        self.row = row
        self._render_row()
        if changed_row:
            self.scroll_home(animate=False)

    def set_names(self, names: Mapping[str, str]) -> None:
        self.names = names
        self._render_row()

    def tick(self) -> None:
        """Redraw only when something in the panel depends on the clock."""
        row = self.row
        if row is not None and row.receipt_state is ReceiptState.AWAITING:
            self._render_row()

    def on_resize(self, event: events.Resize) -> None:
        self._render_row()

    def _render_row(self) -> None:
        width = self.scrollable_content_region.width or 40
        content = detail_content(self.row, width, self.key_label, self.names)
        self.query_one("#history-detail-body", Static).update(content)
