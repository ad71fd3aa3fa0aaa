"""The history list: a line-API ScrollView over the store, newest first.

Only what is on screen is ever rendered, and rows are fetched from SQLite in windows of
`RowSource.WINDOW` with a small LRU cache, so 100 rows and 100,000 rows cost the same to open,
scroll or jump to either end (windows past the middle are read from the oldest end).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from pushover_tui.store.history import History, HistoryFilter, HistoryRow, RowKind
from pushover_tui.tui import wording as fmt
from pushover_tui.tui.keys import binding


class RowSource:
    """Rows matching the filters, by index (0 = newest), fetched on demand in windows."""

    WINDOW = 100
    MAX_WINDOWS = 8

    def __init__(self, history: History, filters: HistoryFilter) -> None:
        self.history = history
        self.filters = filters
        self._windows: OrderedDict[int, list[HistoryRow]] = OrderedDict()
        # The count and the newest rows from one moment: a row written between the two (another
        # process, or a send finishing) would shift every index by one, and the selection kept
        # across a reload would land on its neighbour. Counted again until nothing came between.
        for _ in range(3):
            self.total = history.count(filters)
            newest = self._fetch(0) if self.total else []
            if history.count(filters) == self.total:
                break
        self._windows[0] = newest

    @property
    def filtered(self) -> bool:
        return self.filters != HistoryFilter()

    def row(self, index: int) -> HistoryRow | None:
        if not 0 <= index < self.total:
            return None
        start = index - index % self.WINDOW
        window = self._windows.get(start)
        if window is None:
            window = self._fetch(start)
            self._windows[start] = window
            while len(self._windows) > self.MAX_WINDOWS:
                self._windows.popitem(last=False)
        else:
            self._windows.move_to_end(start)
        offset = index - start
        return window[offset] if offset < len(window) else None

    def _fetch(self, start: int) -> list[HistoryRow]:
        limit = min(self.WINDOW, self.total - start)
        if start > self.total // 2:
            # Past the middle: read from the oldest end, so OFFSET stays small at either end.
            from_end = self.total - start - limit
            rows = self.history.page(self.filters, offset=from_end, limit=limit, oldest_first=True)
            return rows[::-1]
        return self.history.page(self.filters, offset=start, limit=limit)

    def cached(self) -> list[tuple[int, HistoryRow]]:
        """(index, row) of every row in memory; used to find a row again after a reload."""
        return [
            (start + offset, row)
            for start, rows in self._windows.items()
            for offset, row in enumerate(rows)
        ]


# (header, width; 0: the rest of the line)
COLUMNS: tuple[tuple[str, int], ...] = (
    ("Time", 11),
    ("Status", 11),
    ("Priority", 9),
    ("Message", 0),
    ("Receipt", 12),
)
GAP = 1
EDGE = 1


class HistoryTable(ScrollView, can_focus=True):
    """Newest first; line 0 is a fixed header, the cursor row is highlighted.

    A list of other rows (the Inbox) subclasses it with its own COLUMNS and `_cells`."""

    COLUMNS: ClassVar[tuple[tuple[str, int], ...]] = COLUMNS

    DEFAULT_CSS = """
    HistoryTable {
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-gutter: stable;
        background: $surface;
    }
    HistoryTable > .history-table--header { background: $panel; text-style: bold; color: $text; }
    HistoryTable > .history-table--cursor {
        background: $block-cursor-blurred-background;
        text-style: $block-cursor-blurred-text-style;
    }
    HistoryTable:focus > .history-table--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: $block-cursor-text-style;
    }
    HistoryTable > .history-table--placeholder { color: $text-muted; text-style: italic; }
    HistoryTable > .history-table--muted { color: $text-muted; }
    HistoryTable > .history-table--sending { color: $warning; }
    HistoryTable > .history-table--sent { color: $success; }
    HistoryTable > .history-table--failed { color: $error; text-style: bold; }
    HistoryTable > .history-table--interrupted { color: $accent; text-style: bold; }
    HistoryTable > .history-table--awaiting { color: $warning; text-style: bold; }
    HistoryTable > .history-table--acknowledged { color: $success; }
    HistoryTable > .history-table--expired { color: $error; }
    HistoryTable > .history-table--cancelled { color: $text-muted; }
    HistoryTable > .history-table--emergency { color: $error; text-style: bold; }
    HistoryTable > .history-table--high { color: $warning; }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "history-table--header",
        "history-table--cursor",
        "history-table--placeholder",
        "history-table--muted",
        "history-table--sending",
        "history-table--sent",
        "history-table--failed",
        "history-table--interrupted",
        "history-table--awaiting",
        "history-table--acknowledged",
        "history-table--expired",
        "history-table--cancelled",
        "history-table--emergency",
        "history-table--high",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        binding("history.cursor_up", "cursor_up"),
        binding("history.cursor_down", "cursor_down"),
        binding("history.page_up", "page_up"),
        binding("history.page_down", "page_down"),
        binding("history.newest", "first"),
        binding("history.oldest", "last"),
    ]

    class Highlighted(Message):
        """The row under the cursor changed (or its content did); None when there is none."""

        def __init__(self, table: HistoryTable, row: HistoryRow | None) -> None:
            super().__init__()
            self.table = table
            self.row = row

    class ViewChanged(Message):
        """What is visible changed: first and last visible index, and the total."""

        def __init__(self, table: HistoryTable) -> None:
            super().__init__()
            self.table = table

    def __init__(
        self,
        *,
        placeholder: str = "No messages match these filters.",
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.placeholder = placeholder
        self.source: RowSource | None = None
        self.cursor = 0
        self._last_highlighted: HistoryRow | None = None

    # -- data --------------------------------------------------------------------------------

    @property
    def total(self) -> int:
        return 0 if self.source is None else self.source.total

    @property
    def selected(self) -> HistoryRow | None:
        return None if self.source is None else self.source.row(self.cursor)

    @property
    def page_height(self) -> int:
        """Rows visible below the header."""
        return max(1, self.scrollable_content_region.height - 1)

    @property
    def first_visible(self) -> int:
        return int(self.scroll_y)

    @property
    def last_visible(self) -> int:
        return min(self.total, self.first_visible + self.page_height) - 1

    def load(self, source: RowSource, *, keep: bool = True) -> None:
        """Show `source`; with `keep`, the selected row stays selected (and in view) if it is
        still there, even when new rows arrived above it."""
        old = self.source
        old_selected = self.selected if keep else None
        old_cursor, old_scroll = self.cursor, int(self.scroll_y)
        self.source = source
        cursor = 0
        scroll = 0
        if old is not None and keep:
            cursor = old_cursor
            scroll = old_scroll
            if old_selected is not None:
                found = self._find(old_selected.id, around=old_cursor + source.total - old.total)
                if found is not None:
                    # Rows arrived (or left) above the selection: keep it where the eye is,
                    # unless we were at the very top, where the newest rows should show.
                    scroll = scroll if scroll == 0 else scroll + found - old_cursor
                    cursor = found
        self.cursor = max(0, min(cursor, self.total - 1))
        self._update_virtual_size()
        self.scroll_to(y=max(0, scroll), animate=False, immediate=True)
        self._scroll_cursor_into_view()
        self.refresh()
        self._announce()

    def _find(self, row_id: int, *, around: int) -> int | None:
        assert self.source is not None
        for index in (around, around - 1, around + 1, self.cursor):
            row = self.source.row(index)
            if row is not None and row.id == row_id:
                return index
        for index, row in self.source.cached():
            if row.id == row_id:
                return index
        return None

    def _update_virtual_size(self) -> None:
        width = self.scrollable_content_region.width or self.size.width
        self.virtual_size = Size(width, self.total + 1)

    def on_resize(self, event: events.Resize) -> None:
        self._update_virtual_size()
        self._scroll_cursor_into_view()
        self.post_message(self.ViewChanged(self))

    # -- cursor ------------------------------------------------------------------------------

    def move_to(self, index: int) -> None:
        if self.total == 0:
            return
        index = max(0, min(index, self.total - 1))
        if index == self.cursor:
            self._scroll_cursor_into_view()
            return
        self.cursor = index
        self._scroll_cursor_into_view()
        self.refresh()
        self._announce()

    def _scroll_cursor_into_view(self) -> None:
        top = int(self.scroll_y)
        height = self.page_height
        if self.cursor < top:
            target = self.cursor
        elif self.cursor >= top + height:
            target = self.cursor - height + 1
        else:
            return
        self.scroll_to(y=target, animate=False, immediate=True)

    def _announce(self) -> None:
        row = self.selected
        if row != self._last_highlighted or row is None:
            self._last_highlighted = row
            self.post_message(self.Highlighted(self, row))
        self.post_message(self.ViewChanged(self))

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if round(old_value) != round(new_value):
            self.post_message(self.ViewChanged(self))

    def action_cursor_up(self) -> None:
        self.move_to(self.cursor - 1)

    def action_cursor_down(self) -> None:
        self.move_to(self.cursor + 1)

    def action_page_up(self) -> None:
        self.move_to(self.cursor - self.page_height)

    def action_page_down(self) -> None:
        self.move_to(self.cursor + self.page_height)

    def action_first(self) -> None:
        self.move_to(0)

    def action_last(self) -> None:
        self.move_to(self.total - 1)

    def on_click(self, event: events.Click) -> None:
        if event.y >= 1:
            self.move_to(int(self.scroll_y) + event.y - 1)

    # -- rendering ---------------------------------------------------------------------------

    def _widths(self, width: int) -> list[int]:
        fixed = sum(w for _, w in self.COLUMNS) + GAP * (len(self.COLUMNS) - 1) + 2 * EDGE
        rest = max(8, width - fixed)
        return [w or rest for _, w in self.COLUMNS]

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width or self.size.width
        base = self.rich_style
        if y == 0:
            header = self.get_component_rich_style("history-table--header")
            cells = [(title, None) for title, _ in self.COLUMNS]
            return self._strip(cells, width, base + header)
        index = int(self.scroll_y) + y - 1
        if self.total == 0:
            if y == 2:
                style = self.get_component_rich_style("history-table--placeholder")
                text = set_cell_size(" " * 2 + self.placeholder, width)
                return Strip([Segment(text, base + style)], width)
            return Strip.blank(width, base)
        row = None if self.source is None else self.source.row(index)
        if row is None:
            return Strip.blank(width, base)
        if index == self.cursor:
            # One plain colour on the cursor: status colours on the cursor's background clash.
            style = base + self.get_component_rich_style("history-table--cursor")
            return self._strip([(text, None) for text, _ in self._cells(row)], width, style)
        return self._strip(self._cells(row), width, base)

    def _cells(self, row: HistoryRow) -> list[tuple[str, str | None]]:
        priority_class = {2: "emergency", 1: "high"}.get(row.priority, "muted")
        receipt = "" if row.receipt_state is None else str(row.receipt_state)
        return [
            (fmt.short_time(row.created_at), "muted"),
            (fmt.STATUS_LABELS[row.status], str(row.status)),
            # A glance has no priority: the column says what it is instead.
            (
                "Glance" if row.kind is RowKind.GLANCE else fmt.priority_label(row.priority),
                priority_class,
            ),
            (fmt.preview(row), None),
            (fmt.RECEIPT_LABELS[row.receipt_state] if row.receipt_state else "", receipt or None),
        ]

    def _strip(self, cells: list[tuple[str, str | None]], width: int, style: Style) -> Strip:
        segments = [Segment(" " * EDGE, style)]
        for position, ((text, component), cell_width) in enumerate(
            zip(cells, self._widths(width), strict=True)
        ):
            if position:
                segments.append(Segment(" " * GAP, style))
            if cell_len(text) > cell_width:
                text = set_cell_size(text, cell_width - 1) + "…"
            cell_style = style
            if component is not None:
                cell_style = style + self.get_component_rich_style(
                    f"history-table--{component}", partial=True
                )
            segments.append(Segment(set_cell_size(text, cell_width), cell_style))
        used = sum(cell_len(segment.text) for segment in segments)
        if used < width:
            segments.append(Segment(" " * (width - used), style))
        return Strip(segments).crop(0, width)
