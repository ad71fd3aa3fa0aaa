"""One labelled field: the label (and where its value comes from), the control with what goes
beside it (a unit, a counter), and a note line under the control for a hint, a warning or a
problem. Compose and Config lay out every field with it; their .tcss sizes the columns."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Static

SEVERITIES = ("hint", "ok", "warning", "error")


class FieldRow(Horizontal):
    """`#<field>-row`, holding `#<field>-note`, `#<field>-counter` and `#<field>-source`."""

    DEFAULT_CSS = """
    FieldRow {
        height: auto;
        width: 100%;
        & > .label-col { height: auto; }
        & > .field-col { width: 1fr; height: auto; }
        & .field-line { height: auto; }
        & .field-line > Input, & .field-line > Select { width: 1fr; }
        & .field-label { color: $text-muted; }
        & .source { color: $text-muted; text-style: italic; }
        & .source.-environment { color: $warning; }
        & .source.-edited { color: $accent; }
        & .unit { width: auto; padding-left: 1; color: $text-muted; }
        & .counter { width: auto; min-width: 11; padding-left: 1; text-align: right; }
        & .counter { color: $text-muted; }
        & .counter.-near { color: $warning; }
        & .counter.-over { color: $error; text-style: bold; }
        & .note { height: auto; color: $text-muted; }
        & .note.-empty { display: none; }
        & .note.-ok { color: $success; }
        & .note.-warning { color: $warning; }
        & .note.-error { color: $error; }
        /* The focused field's label is reversed: obvious with or without colour. */
        &.-focused .field-label { text-style: reverse; }
        &.-stacked { layout: vertical; }
        &.-stacked > .label-col { width: 100%; height: 1; }
        &.-stacked .field-label { width: 1fr; }
    }
    """

    def __init__(
        self,
        field: str,
        label: str,
        control: Widget,
        *beside: Widget,
        counter: bool = False,
        source: bool = False,
        stacked: bool = False,
        classes: str = "",
    ) -> None:
        """`stacked`: the label (and counter) on a line above the control, for a text box."""
        super().__init__(id=f"{field}-row", classes=f"{classes} -stacked" if stacked else classes)
        self.field = field
        self.label = label
        self.control = control
        self.beside = beside
        self.counter = counter
        self.source = source
        self.stacked = stacked

    def compose(self) -> ComposeResult:
        counter = Label("", id=f"{self.field}-counter", classes="counter") if self.counter else None
        with (Horizontal if self.stacked else Vertical)(classes="label-col"):
            yield Label(self.label, classes="field-label")
            if self.source:
                yield Label("", id=f"{self.field}-source", classes="source")
            if counter is not None and self.stacked:
                yield counter
        with Vertical(classes="field-col"):
            with Horizontal(classes="field-line"):
                yield self.control
                yield from self.beside
                if counter is not None and not self.stacked:
                    yield counter
            yield Static("", id=f"{self.field}-note", classes="note -empty", markup=False)

    # A class rather than :focus-within, which Textual does not re-apply to the label.
    def on_descendant_focus(self) -> None:
        self.add_class("-focused")

    def on_descendant_blur(self) -> None:
        self.remove_class("-focused")

    def set_note(self, text: str, severity: str = "hint") -> None:
        """Show `text` under the control (nothing when blank); an error marks the control."""
        note = self.query_one(f"#{self.field}-note", Static)
        note.update(text)
        note.set_class(not text, "-empty")
        for name in SEVERITIES[1:]:
            note.set_class(severity == name, f"-{name}")
        self.control.set_class(bool(text) and severity == "error", "-problem")

    @property
    def note(self) -> tuple[str, str]:
        """The note shown now and its severity ("" and "hint" when there is none)."""
        note = self.query_one(f"#{self.field}-note", Static)
        if note.has_class("-empty"):
            return "", "hint"
        severity = next((name for name in SEVERITIES[1:] if note.has_class(f"-{name}")), "hint")
        return str(note.content), severity

    def set_count(self, count: int, limit: int) -> None:
        counter = self.query_one(f"#{self.field}-counter", Label)
        counter.update(f"{count:,} / {limit:,}")
        counter.set_class(count > limit, "-over")
        counter.set_class(limit * 0.9 <= count <= limit, "-near")

    def set_source(self, text: str, kind: str = "") -> None:
        """Where the value comes from; `kind` ("environment", "edited") colours it."""
        source = self.query_one(f"#{self.field}-source", Label)
        source.update(text)
        for name in ("environment", "edited"):
            source.set_class(kind == name, f"-{name}")


def set_compact(root: Widget, compact: bool) -> None:
    """Inputs, selects and buttons under `root` one line high (no borders) when `compact`: how
    a form fits a short terminal."""
    for widget in root.query("Input, Select, Button"):
        if isinstance(widget, Input | Select | Button):
            widget.compact = compact
