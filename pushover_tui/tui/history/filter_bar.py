"""History's filter bar: text search, kind (message or glance), status, origin, recipient and
"awaiting acknowledgement"."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Checkbox, Input, Select

from pushover_tui.api.models import ReceiptState
from pushover_tui.store.history import HistoryFilter, RowKind, Status
from pushover_tui.tui.base import dashboard
from pushover_tui.tui.widgets.toggles import MarkedCheckbox
from pushover_tui.tui.wording import masked_key

ORIGIN_OPTIONS = [
    ("Dashboard", "tui"),
    ("Command line", "cli"),
    ("Sentry bridge", "sentry"),
]
STATUS_OPTIONS = [
    ("Sending", Status.SENDING.value),
    ("Sent", Status.SENT.value),
    ("Failed", Status.FAILED.value),
    ("Interrupted", Status.INTERRUPTED.value),
]
KIND_OPTIONS = [("Messages", RowKind.MESSAGE.value), ("Glances", RowKind.GLANCE.value)]
FILTER_CHANGES = (Input.Changed, Select.Changed, Checkbox.Changed)


class FilterBar(Horizontal):
    """Posts `FilterBar.Changed` with the filters its widgets describe (typing: after a pause).
    On a narrow screen the search takes a line of its own (history.tcss)."""

    SEARCH_DELAY = 0.3  # typing pause before the search runs

    class Changed(Message):
        def __init__(self, filters: HistoryFilter, *, submitted: bool = False) -> None:
            super().__init__()
            self.filters = filters
            self.submitted = submitted  # Enter in the search field: back to the list

    def __init__(self) -> None:
        super().__init__(id="history-filters")
        self._search_timer: Timer | None = None
        self._recipients: list[tuple[str, str]] = []

    def compose(self) -> ComposeResult:
        # One line of compact controls: the list keeps the rows of a short terminal.
        search_key = dashboard(self).key_label("history.search")
        yield Input(
            placeholder=f"Search ({search_key}): text, request id…",
            id="history-search",
            compact=True,
        )
        yield Select(KIND_OPTIONS, prompt="Any kind", id="history-kind", compact=True)
        yield Select(STATUS_OPTIONS, prompt="Any status", id="history-status", compact=True)
        yield Select(ORIGIN_OPTIONS, prompt="Any origin", id="history-origin", compact=True)
        # Options (masked recipients the app can name) come from the screen: set_recipients.
        yield Select[str]([], prompt="Any recipient", id="history-recipient", compact=True)
        yield MarkedCheckbox("Awaiting ack", id="history-awaiting", compact=True)

    def filters(self) -> HistoryFilter:
        status = self.query_one("#history-status", Select)
        kind = self.query_one("#history-kind", Select)
        origin = self.query_one("#history-origin", Select)
        recipient = self.query_one("#history-recipient", Select)
        awaiting = self.query_one("#history-awaiting", Checkbox).value
        return HistoryFilter(
            status=None if status.is_blank() else Status(str(status.value)),
            kind=None if kind.is_blank() else RowKind(str(kind.value)),
            search=self.query_one("#history-search", Input).value,
            origin=None if origin.is_blank() else str(origin.value),
            receipt_state=ReceiptState.AWAITING if awaiting else None,
            recipient=None if recipient.is_blank() else str(recipient.value),
        )

    def set_recipients(self, options: list[tuple[str, str]], current: str | None = None) -> None:
        """The recipients to choose from: (label, masked key as History stores it). `current`
        (else the choice now) stays chosen, even when it is not among them."""
        self._recipients = options
        select = self.query_one("#history-recipient", Select)
        if current is None and not select.is_blank():
            current = str(select.value)
        if current is not None and current not in [value for _, value in options]:
            options = [*options, (masked_key(current), current)]
        with self.prevent(*FILTER_CHANGES):
            select.set_options(options)
            if current is not None:
                select.value = current

    def show(self, filters: HistoryFilter) -> None:
        """Set the widgets to `filters` without posting anything."""
        with self.prevent(*FILTER_CHANGES):
            self.query_one("#history-search", Input).value = filters.search
            self.set_recipients(self._recipients, filters.recipient)
            for select_id, value in (
                ("#history-status", filters.status),
                ("#history-kind", filters.kind),
                ("#history-origin", filters.origin),
                ("#history-recipient", filters.recipient),
            ):
                select = self.query_one(select_id, Select)
                if value is None:
                    select.clear()
                else:
                    select.value = str(value)
            awaiting = filters.receipt_state is ReceiptState.AWAITING
            self.query_one("#history-awaiting", Checkbox).value = awaiting

    @on(Input.Changed, "#history-search")
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(self.SEARCH_DELAY, self._post)

    @on(Input.Submitted, "#history-search")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._post(submitted=True)

    @on(Select.Changed)
    @on(Checkbox.Changed)
    def _chosen(self, event: Select.Changed | Checkbox.Changed) -> None:
        event.stop()
        self._post()

    def _post(self, *, submitted: bool = False) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
            self._search_timer = None
        self.post_message(self.Changed(self.filters(), submitted=submitted))
