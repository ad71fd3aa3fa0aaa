"""Small modal dialogs of the history screen: confirm, and ask for a tag."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label

MODAL_CSS = """
    {name} {{ align: center middle; background: $background 60%; }}
    {name} > Vertical {{
        width: 64; height: auto; padding: 1 2;
        border: thick $primary 80%; background: $surface;
    }}
    {name} .history-modal-title {{ text-style: bold; margin-bottom: 1; }}
    {name} .history-modal-text {{ margin-bottom: 1; }}
    {name} Horizontal {{ height: auto; align-horizontal: right; margin-top: 1; }}
    {name} Button {{ margin-left: 2; }}
"""


class ConfirmModal(ModalScreen[bool]):
    """Yes/no; dismisses with True only when the (dangerous) button is pressed."""

    DEFAULT_CSS = MODAL_CSS.format(name="ConfirmModal")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="history.modal.cancel"),
    ]

    def __init__(self, title: str, text: str, confirm: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.title_text = title
        self.text = text
        self.confirm = confirm

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="history-modal-title", markup=False)
            yield Label(self.text, classes="history-modal-text", markup=False)
            with Horizontal():
                yield Button("Cancel", id="history-modal-cancel")
                yield Button(self.confirm, variant="error", id="history-modal-confirm")

    def on_mount(self) -> None:
        self.query_one("#history-modal-cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "history-modal-confirm")

    def action_cancel(self) -> None:
        self.dismiss(False)


class TagModal(ModalScreen[str | None]):
    """Asks which tag's emergencies to cancel; dismisses with the tag or None."""

    DEFAULT_CSS = MODAL_CSS.format(name="TagModal")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="history.modal.cancel"),
    ]

    def __init__(self, tag: str = "", tags: tuple[str, ...] = (), *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.tag = tag
        self.tags = tags

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Cancel emergencies by tag", classes="history-modal-title")
            hint = "Stops the retries of every emergency sent with this tag."
            if len(self.tags) > 1:
                hint += " This message has: " + ", ".join(self.tags) + "."
            yield Label(hint, classes="history-modal-text", markup=False)
            yield Input(self.tag, placeholder="tag", id="history-tag-input")
            with Horizontal():
                yield Button("Keep them", id="history-modal-cancel")
                yield Button("Cancel by tag", variant="error", id="history-modal-confirm")

    def on_mount(self) -> None:
        tag_input = self.query_one(Input)
        if self.app.is_headless:
            tag_input.cursor_blink = False
        tag_input.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "history-modal-confirm":
            self._submit()
        else:
            self.dismiss(None)

    def _submit(self) -> None:
        tag = self.query_one(Input).value.strip()
        if not tag:
            self.notify("Type the tag to cancel.", severity="warning")
            return
        self.dismiss(tag)

    def action_cancel(self) -> None:
        self.dismiss(None)
