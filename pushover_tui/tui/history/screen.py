"""History: every message sent, newest first, with live emergency receipts.

The list pages from the store (SQLite or a team's PostgreSQL) through a line-API table
(widgets/row_table.py), so it opens and jumps to either end as fast with 100,000 rows as with 100.
It refreshes by itself: on the app's `history_changed` signal (sends, receipt polls, cancels) and,
for rows other processes or hosts write (the command line, cron jobs, a teammate), through the
store's change subscription (widgets/reloader.py).
"""

from __future__ import annotations

import asyncio
import json
from datetime import date
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Input, Static

from pushover_tui.api.errors import PushoverError
from pushover_tui.api.models import Message, ReceiptState
from pushover_tui.store.history import HistoryFilter, HistoryRow, RowKind
from pushover_tui.store.overview import overview
from pushover_tui.tui.base import ModeScreen
from pushover_tui.tui.history.detail import HistoryDetail
from pushover_tui.tui.history.filter_bar import FilterBar
from pushover_tui.tui.history.overview import OverviewPanel
from pushover_tui.tui.keys import binding
from pushover_tui.tui.messages import FilterHistory
from pushover_tui.tui.widgets.dialogs import TextDialog
from pushover_tui.tui.widgets.footer import AppFooter
from pushover_tui.tui.widgets.reloader import Reloader
from pushover_tui.tui.widgets.row_table import HistoryTable, RowSource
from pushover_tui.tui.widgets.screen_tabs import ScreenTabs
from pushover_tui.tui.widgets.status_bar import StatusBar
from pushover_tui.tui.wording import masked_key, nothing_to_cancel
from pushover_tui.tui.wording import now as history_clock

EMPTY_TEXT = "No messages yet — send one from Compose ({compose})."
EMPTY_HINT = (
    "Everything you send from here or from the command line shows up in this list, "
    "with live receipts for emergencies."
)


class HistoryScreen(ModeScreen):
    """The history mode (F4)."""

    COUNTDOWN_SECONDS = 1.0

    CSS_PATH = "history.tcss"
    NARROW_BELOW = 100
    SHORT_BELOW = 30

    BINDINGS: ClassVar[list[BindingType]] = [
        # The search field's placeholder and the detail panel name the keys the footer leaves out.
        binding("history.search", "focus_search"),
        binding("history.focus_list", "focus_list"),
        # Letters act only while the list has focus (they would be typed into the search).
        binding("history.resend", "resend"),
        binding("history.cancel", "cancel_retries"),
        binding("history.cancel_tag", "cancel_tag"),
        binding("history.copy", "copy_json"),
        binding("history.delete", "delete_row"),
        binding("history.clear", "clear_history"),
    ]
    _LIST_ACTIONS = frozenset(
        {"resend", "cancel_retries", "cancel_tag", "copy_json", "delete_row", "clear_history"}
    )

    def __init__(self) -> None:
        super().__init__()
        self.filters = HistoryFilter()
        self._reloader = Reloader(self, lambda: self.session.history, self._reload_if_shown)
        self._stale = False
        self._bindings_state: tuple[bool, ...] = ()

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        key = self.pushover.key_label
        yield StatusBar()
        yield ScreenTabs("history", self.pushover.key_label)
        yield FilterBar()
        yield OverviewPanel(id="history-overview")
        with Horizontal(id="history-body"):
            with Vertical(id="history-list"):
                yield HistoryTable(id="history-table")
                yield Static("", id="history-count", markup=False)
            yield HistoryDetail(key, id="history-detail")
        empty_text = EMPTY_TEXT.format(compose=key("mode.compose"))
        empty = Content.assemble((empty_text, "bold $text"), "\n\n", EMPTY_HINT)
        yield Static(empty, id="history-empty")
        yield AppFooter()

    def on_mount(self) -> None:
        self.pushover.history_changed.subscribe(self, self._history_changed)
        self._reloader.start()
        self.set_interval(self.COUNTDOWN_SECONDS, self._tick)
        # Recipients by name once the app knows the groups (loaded after start-up).
        self.watch(self.app, "known_groups", lambda _: self._show_recipients())
        self.pushover.profile_changed.subscribe(self, lambda _: self._show_recipients())
        self.apply_filter(self.filters)

    def _show_recipients(self) -> None:
        names = self.session.groups.recipient_names()
        self.query_one(HistoryDetail).set_names(names)
        options = [(f"{name} ({masked_key(masked)})", masked) for masked, name in names.items()]
        self.query_one(FilterBar).set_recipients(options)

    def on_resize(self) -> None:
        self.fit_to(self.size)
        self._show_overview()

    def _show_overview(self) -> None:
        try:
            today = date.fromtimestamp(history_clock())  # the clock tests freeze
            view = overview(self.session.history, today=today)
        except PushoverError:
            return  # the list's reload says what is wrong with the file
        self.query_one(OverviewPanel).show(view, compact=self.has_class("-short"))

    def on_screen_resume(self) -> None:
        if self._stale:
            self.reload()

    # -- loading -----------------------------------------------------------------------------

    def reload(self, *, keep: bool = True) -> None:
        """Count and show the rows matching the filters; only visible windows are read."""
        try:
            source, empty = self._read(self.filters)
        except PushoverError as error:
            self.show_error(error, title="History")
            return
        self._show(source, empty, keep=keep)

    def _read(self, filters: HistoryFilter) -> tuple[RowSource, bool]:
        """The rows to show and whether the history is empty (runs in a thread for searches)."""
        history = self.session.history
        version = history.data_version()
        source = RowSource(history, filters)
        empty = source.total == 0 and (not source.filtered or history.count() == 0)
        self._reloader.seen_version = version
        return source, empty

    def _show(self, source: RowSource, empty: bool, *, keep: bool) -> None:
        self._stale = False
        self._show_overview()
        self.set_class(empty, "-empty")
        table = self.query_one(HistoryTable)
        table.load(source, keep=keep)
        if not empty and self.focused is None:
            table.focus()  # the first rows just arrived on the empty page
        self._update_bindings()

    @work(exclusive=True, group="history-search", exit_on_error=False)
    async def _search_in_background(self) -> None:
        """A text search scans every row (LIKE): count it off the event loop, so typing in a
        100,000-row history never freezes the screen."""
        filters = self.filters
        self.query_one("#history-count", Static).update("searching…")
        try:
            source, empty = await asyncio.to_thread(self._read, filters)
        except PushoverError as error:
            self.show_error(error, title="History")
            return
        if filters == self.filters:  # else a newer one runs
            self._show(source, empty, keep=False)

    def _reload_if_shown(self) -> None:
        """A hidden History reloads when it is shown again (on_screen_resume)."""
        if self.is_current:
            self.reload()
        else:
            self._stale = True

    def _history_changed(self, _row: HistoryRow | None) -> None:
        self._reloader.schedule()

    def _tick(self) -> None:
        if self.is_current:
            self.query_one(HistoryDetail).tick()

    # -- table events ------------------------------------------------------------------------

    @on(HistoryTable.Highlighted)
    def _highlighted(self, event: HistoryTable.Highlighted) -> None:
        self.query_one(HistoryDetail).show(event.row)
        self._update_bindings()

    @on(HistoryTable.ViewChanged)
    def _view_changed(self, event: HistoryTable.ViewChanged) -> None:
        self.query_one("#history-count", Static).update(self._count_text(event.table))

    def _count_text(self, table: HistoryTable) -> str:
        total = table.total
        source = table.source
        if total == 0:
            text = "no rows"
        else:
            first, last = table.first_visible + 1, table.last_visible + 1
            text = f"rows {first:,}–{last:,} of {total:,}"
            text += f"  ·  selected {table.cursor + 1:,}"
        if source is not None and source.filtered:
            filters = self.filters
            parts = []
            if filters.status is not None:
                parts.append(f"status {filters.status}")
            if filters.kind is not None:
                parts.append(f"{filters.kind}s")
            if filters.origin is not None:
                parts.append(f"origin {filters.origin}")
            if filters.receipt_state is ReceiptState.AWAITING:
                parts.append("awaiting acknowledgement")
            elif filters.receipt_state is not None:
                parts.append(f"receipt {filters.receipt_state}")
            if filters.recipient is not None:
                name = self.session.groups.recipient_names().get(filters.recipient)
                parts.append(f"to {name or masked_key(filters.recipient)}")
            if filters.search.strip():
                parts.append(f"“{filters.search.strip()}”")
            text += "  ·  filtered: " + ", ".join(parts)
        else:
            text += "  ·  newest first"
        return text

    # -- filters -----------------------------------------------------------------------------

    @on(FilterBar.Changed)
    def _filters_changed(self, event: FilterBar.Changed) -> None:
        filters = event.filters
        if filters != self.filters:
            search_changed = filters.search != self.filters.search
            self.filters = filters
            if search_changed:
                self._search_in_background()
            else:
                self.reload(keep=False)
        if event.submitted:
            self.query_one(HistoryTable).focus()

    def on_filter_history(self, event: FilterHistory) -> None:
        event.stop()
        self.filters = event.filters
        if self.is_mounted:  # else on_mount shows them
            self.apply_filter(self.filters)

    def apply_filter(self, filters: HistoryFilter) -> None:
        """Show exactly these rows: the filter bar says so, the list is reloaded."""
        self.filters = filters
        self.query_one(FilterBar).show(filters)
        self.reload(keep=False)
        self.query_one(HistoryTable).focus()

    def action_focus_search(self) -> None:
        self.query_one("#history-search", Input).focus()

    def action_focus_list(self) -> None:
        self.query_one(HistoryTable).focus()

    # -- row actions -------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Row actions while the list has focus (else their letters are typed into the search);
        # one that does not apply to the row says why when pressed.
        if action in self._LIST_ACTIONS:
            return isinstance(self.focused, HistoryTable) and not self.has_class("-empty")
        return True

    def _update_bindings(self) -> None:
        """Refresh the footer only when what check_action answers changes: every refresh
        rebuilds the footer's widgets, far too slow to do on each cursor move."""
        state = (isinstance(self.focused, HistoryTable), self.has_class("-empty"))
        if state != self._bindings_state:
            self._bindings_state = state
            self.refresh_bindings()

    def on_descendant_focus(self) -> None:
        self._update_bindings()

    def on_descendant_blur(self) -> None:
        self._update_bindings()

    def _selected(self) -> HistoryRow | None:
        """The row under the cursor, or a warning that there is none."""
        row = self.query_one(HistoryTable).selected
        if row is None:
            self.notify("Select a message first.", severity="warning")
        return row

    def action_resend(self) -> None:
        row = self._selected()
        if row is None:
            return
        if row.kind is RowKind.GLANCE:
            keys = f"{self.pushover.key_label('mode.compose')}, then "
            keys += self.pushover.key_label("compose.glance")
            self.notify(
                f"A glance is not resent from History: send one from Compose's Glance panel "
                f"({keys}).",
                severity="warning",
            )
            return
        message = Message.from_params(dict(row.params))
        self.pushover.resend(message, self.session.groups.group_for(row.recipient))

    def action_copy_json(self) -> None:
        row = self._selected()
        if row is None:
            return
        self.app.copy_to_clipboard(json.dumps(row.to_json(), ensure_ascii=False, indent=2))
        self.notify(f"Copied message #{row.id} as JSON.", title="Copied")

    def action_cancel_retries(self) -> None:
        row = self._selected()
        if row is None:
            return
        if row.receipt is None or row.receipt_state is not ReceiptState.AWAITING:
            self.notify(nothing_to_cancel(row), title="Nothing to cancel", severity="warning")
            return
        self._cancel_receipt(row.receipt)

    @work(exclusive=True, group="history-cancel", exit_on_error=False)
    async def _cancel_receipt(self, receipt: str) -> None:
        try:
            await self.session.cancel_receipt(receipt)
        except PushoverError as error:
            self.show_error(error, title="Cancel failed")
            return
        self.notify("Retries cancelled: the emergency stops repeating.", title="Cancelled")
        self.reload()

    def action_cancel_tag(self) -> None:
        self._ask_tag()

    @work(exclusive=True, group="history-ask", exit_on_error=False)
    async def _ask_tag(self) -> None:
        row = self.query_one(HistoryTable).selected
        tags = tuple(t for t in str((row.params if row else {}).get("tags", "")).split(",") if t)
        hint = "Stops the retries of every emergency sent with this tag."
        if len(tags) > 1:
            hint += " This message has: " + ", ".join(tags) + "."
        dialog = TextDialog(
            "Cancel emergencies by tag",
            hint,
            value=tags[0] if tags else "",
            placeholder="tag",
            ok=("Cancel by tag", "error"),
            cancel="Keep them",
            problem=lambda tag: None if tag else "Type the tag to cancel.",
        )
        if tag := await self.ask(dialog):
            self._cancel_tag(tag)

    @work(exclusive=True, group="history-cancel", exit_on_error=False)
    async def _cancel_tag(self, tag: str) -> None:
        try:
            count = await self.session.cancel_by_tag(tag)
        except PushoverError as error:
            self.show_error(error, title="Cancel failed")
            return
        noun = "emergency" if count == 1 else "emergencies"
        self.notify(f"Cancelled {count} {noun} tagged {tag}.", title="Cancelled", markup=False)
        self.reload()

    def action_delete_row(self) -> None:
        row = self._selected()
        if row is not None:
            self._delete(row)

    @work(exclusive=True, group="history-ask", exit_on_error=False)
    async def _delete(self, row: HistoryRow) -> None:
        text = "It goes from this history only: a delivered notification stays on the devices."
        if row.receipt_state is ReceiptState.AWAITING:
            text += " Its emergency keeps repeating until acknowledged: cancel its retries first."
        try:
            self.session.refuse_if_read_only("delete messages")
            if not await self.confirm(f"Delete message #{row.id}?", text, "Delete"):
                return
            self.session.delete_message(row.id)
        except PushoverError as error:
            self.show_error(error, title="Delete failed")
            return
        self.notify(f"Deleted message #{row.id}.")
        self._after_write()

    def action_clear_history(self) -> None:
        self._clear()

    @work(exclusive=True, group="history-ask", exit_on_error=False)
    async def _clear(self) -> None:
        total = self.session.history.count()
        if total == 0:
            self.notify("History is already empty.")
            return
        noun = "message" if total == 1 else "messages"
        try:
            self.session.refuse_if_read_only("clear the history")
            text = (
                f"All {total:,} {noun} go, for every profile and for the command line too. "
                "This cannot be undone."
            )
            if not await self.confirm("Clear the whole history?", text, "Clear history"):
                return
            removed = self.session.clear_history()
        except PushoverError as error:
            self.show_error(error, title="Clear failed")
            return
        self.notify(f"History cleared ({removed:,} {'message' if removed == 1 else 'messages'}).")
        self._after_write()

    def _after_write(self) -> None:
        self.reload()
        self.session.history_edited()
