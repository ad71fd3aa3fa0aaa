"""The detail panel: everything about the selected history row, with its live receipt."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from pushover_tui.api.models import ReceiptState
from pushover_tui.store.history import HistoryRow, Status
from pushover_tui.tui import history_format as fmt

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

STATUS_STYLES = {
    Status.SENDING: "bold yellow",
    Status.SENT: "bold green",
    Status.FAILED: "bold red",
    Status.INTERRUPTED: "bold magenta",
}
RECEIPT_STYLES = {
    ReceiptState.AWAITING: "bold yellow",
    ReceiptState.ACKNOWLEDGED: "bold green",
    ReceiptState.EXPIRED: "red",
    ReceiptState.CANCELLED: "dim",
}


class HistoryDetail(VerticalScroll, can_focus=True):
    """Shows one row; `tick()` (every second) keeps an open receipt's countdown moving."""

    DEFAULT_CSS = """
    HistoryDetail {
        border-left: vkey $panel-lighten-1;
        padding: 0 1;
        background: $surface;
    }
    HistoryDetail > #history-detail-body { width: 1fr; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.row: HistoryRow | None = None
        self._shown: RenderableType | None = None

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static(id="history-detail-body")

    def show(self, row: HistoryRow | None) -> None:
        changed_row = (row is None) != (self.row is None) or (
            row is not None and self.row is not None and row.id != self.row.id
        )
        self.row = row
        self._render_row()
        if changed_row:
            self.scroll_home(animate=False)

    def tick(self) -> None:
        """Redraw only when something in the panel depends on the clock."""
        row = self.row
        if row is not None and row.receipt_state is ReceiptState.AWAITING:
            self._render_row()

    def _render_row(self) -> None:
        body = self.query_one("#history-detail-body", Static)
        body.update(detail_renderable(self.row))


def detail_renderable(row: HistoryRow | None) -> RenderableType:
    if row is None:
        return Text("Select a message to see its details.", style="dim italic")
    parts: list[RenderableType] = []
    heading = Text()
    heading.append(f"Message #{row.id}", style="bold")
    heading.append("  ")
    heading.append(fmt.STATUS_LABELS[row.status], style=STATUS_STYLES[row.status])
    parts.append(heading)

    general = _grid()
    _add(general, "Priority", fmt.priority_label(row.priority) + f" ({row.priority})")
    _add(general, "Created", fmt.full_time(row.created_at))
    if row.updated_at != row.created_at:
        _add(general, "Updated", fmt.full_time(row.updated_at))
    _add(general, "Origin", f"{row.origin} · profile {row.profile}")
    _add(general, "Request", row.request_id or "—")
    if row.quota.remaining is not None:
        _add(general, "Quota", f"{row.quota.remaining:,} left after it")
    for key, value in sorted(row.meta.items()):
        _add(general, str(key), _value(value))
    parts.append(general)

    if row.error:
        parts.append(_section("Error"))
        parts.append(Text(row.error, style="red"))

    if row.receipt:
        parts.append(_section("Receipt"))
        parts.append(_receipt_grid(row))
        if row.receipt_state is ReceiptState.AWAITING:
            parts.append(
                Text("c cancels its retries; t cancels every emergency with a tag.", style="dim")
            )

    parts.append(_section("Parameters"))
    params = _grid()
    keys = [k for k in PARAM_ORDER if k in row.params]
    keys += sorted(k for k in row.params if k not in PARAM_ORDER)
    for key in keys:
        _add(params, key, _value(row.params[key]))
    parts.append(params)
    parts.append(Text())
    parts.append(Text(KEYS_HINT, style="dim"))
    return Group(*parts)


KEYS_HINT = "t cancel by tag · ctrl+f search · esc back to the list"


def _receipt_grid(row: HistoryRow) -> Table:
    grid = _grid()
    state = row.receipt_state
    _add(grid, "Receipt", row.receipt or "")
    if state is not None:
        _add(grid, "State", Text(fmt.RECEIPT_LABELS[state], style=RECEIPT_STYLES[state]))
    info = row.receipt_info
    if info is not None and info.acknowledged:
        by = fmt.masked_key(info.acknowledged_by) or "someone"
        device = info.acknowledged_by_device
        _add(grid, "Acked by", f"{by} on {device}" if device else by)
        if info.acknowledged_at:
            _add(grid, "Acked at", fmt.clock_time(info.acknowledged_at))
    if info is not None and info.last_delivered_at:
        _add(grid, "Delivered", fmt.clock_time(info.last_delivered_at) + " (last)")
    expires = fmt.expires_at(row)
    if state is ReceiptState.AWAITING and expires is not None:
        left = expires - fmt.now()
        if left > 0:
            guess = "" if info is not None and info.expires_at else "~"
            _add(grid, "Expires", Text(f"in {guess}{fmt.duration(left)}", style="bold yellow"))
        else:
            _add(grid, "Expires", Text("due now", style="yellow"))
    elif state is ReceiptState.EXPIRED and expires is not None:
        _add(grid, "Expired", Text(fmt.clock_time(expires), style="red"))
    elif state is ReceiptState.CANCELLED:
        _add(grid, "Retries", Text("cancelled", style="dim"))
    if info is not None:
        if info.called_back:
            when = fmt.clock_time(info.called_back_at) if info.called_back_at else "yes"
            _add(grid, "Called back", when)
        elif row.params.get("callback"):
            _add(grid, "Called back", "not yet")
    if info is None and state is ReceiptState.AWAITING:
        _add(grid, "", Text("waiting for the first receipt poll…", style="dim italic"))
    return grid


def _grid() -> Table:
    grid = Table.grid(padding=(0, 1), expand=True)
    grid.add_column(style="dim", no_wrap=True, min_width=10)
    grid.add_column(ratio=1, overflow="fold")
    return grid


def _add(grid: Table, label: str, value: str | Text) -> None:
    grid.add_row(label, value if isinstance(value, Text) else Text(value))


def _section(title: str) -> Text:
    return Text(f"\n{title}", style="bold underline")


def _value(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)
