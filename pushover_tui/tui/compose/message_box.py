"""The message box: the message itself, with its counter. A module of its own because TextArea
and its document model cost ~7 ms to import: the screen builds it through startup.Deferred's
import path, just after the first frame."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import TextArea

from pushover_tui.tui.compose.component import QUIET_CHANGES, DraftComponent
from pushover_tui.tui.compose.draft import Draft
from pushover_tui.tui.widgets.field_row import FieldRow

MESSAGE_HINT = "What should the notification say? (required)"


class MessageArea(TextArea, inherit_bindings=False):
    """TextArea's keys but f6 (select line): f6 opens Inbox everywhere, and a key of the
    focused widget would also split the footer's group of screen keys."""

    BINDINGS: ClassVar[list[BindingType]] = [
        b for b in TextArea.BINDINGS if not (isinstance(b, Binding) and b.key == "f6")
    ]


class MessageBox(DraftComponent):
    """The message itself, with its counter."""

    def compose(self) -> ComposeResult:
        area = MessageArea(self.initial.message, id="message", soft_wrap=True, tab_behavior="focus")
        area.placeholder = MESSAGE_HINT
        yield FieldRow("message", "Message", area, counter=True, stacked=True, classes="-gap")

    def load(self, draft: Draft) -> None:
        area = self.query_one("#message", TextArea)
        if area.text != draft.message:
            with self.prevent(*QUIET_CHANGES, TextArea.Changed):
                area.load_text(draft.message)

    def to_draft(self, draft: Draft) -> Draft:
        return replace(draft, message=self.query_one("#message", TextArea).text)
