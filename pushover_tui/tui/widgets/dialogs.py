"""Every modal of the dashboard: one `Dialog` base (title, wrapped text, buttons, Escape to
cancel) and the three kinds the screens ask: choose, confirm, type a value."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar, Generic, Literal, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static
from textual.worker import Worker

from pushover_tui.tui.keys import binding
from pushover_tui.tui.widgets.choices import split_devices

Result = TypeVar("Result")
Variant = Literal["default", "primary", "success", "warning", "error"]
# (id, label, variant) of a button; the id is what a ChoiceDialog dismisses with.
Choice = tuple[str, str, Variant]


class Dialog(ModalScreen[Result], Generic[Result]):
    """A centred box. Subclasses say what a button (or Escape: "cancel") dismisses with."""

    DEFAULT_CSS = """
    Dialog {
        align: center middle;
        background: $background 60%;
        & > #dialog {
            width: 64; max-width: 100%; height: auto; max-height: 100%; padding: 1 2;
            border: thick $primary 80%; background: $surface;
        }
        & #dialog-title { text-style: bold; margin-bottom: 1; width: 100%; }
        & #dialog-text { margin-bottom: 1; width: 100%; }
        & #dialog-problem { height: auto; min-height: 1; }
        & #dialog-problem.-error { color: $error; }
        & #dialog-buttons { height: auto; align-horizontal: right; margin-top: 1; }
        & #dialog-buttons Button { margin-left: 2; min-width: 10; }
        & #dialog-list { height: auto; max-height: 12; }
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        binding("dialog.cancel", "choose('cancel')"),
    ]

    def __init__(self, title: str, text: str, choices: Sequence[Choice], *, focus: str) -> None:
        """`focus`: the id of the button (or "input") that has the focus at first."""
        super().__init__()
        self.title_text = title
        self.text = text
        self.choices = choices
        self.first_focus = focus
        # The worker awaiting the answer (tui.base.ask), if one does.
        self.asker: Worker[object] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self.title_text, id="dialog-title", markup=False)
            if self.text:
                yield Static(self.text, id="dialog-text", markup=False)
            yield from self.body()
            with Horizontal(id="dialog-buttons"):
                for choice, label, variant in self.choices:
                    yield Button(label, id=f"choice-{choice}", variant=variant)

    def body(self) -> ComposeResult:
        """Widgets between the text and the buttons."""
        yield from ()

    def on_mount(self) -> None:
        self.query_one(f"#{self.first_focus}").focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_choose((event.button.id or "choice-cancel").removeprefix("choice-"))

    def action_choose(self, choice: str) -> None:
        self.dismiss(self.result(choice))

    def result(self, choice: str) -> Result:
        raise NotImplementedError


class ChoiceDialog(Dialog[str]):
    """Dismisses with the id of the button pressed ("cancel" for Escape)."""

    def __init__(self, title: str, text: str, choices: Sequence[Choice]) -> None:
        super().__init__(title, text, choices, focus=f"choice-{choices[0][0]}")

    def result(self, choice: str) -> str:
        return choice


class ConfirmDialog(Dialog[bool]):
    """Cancel (focused) or a dangerous action; True only when the action is pressed."""

    def __init__(self, title: str, text: str, confirm: str) -> None:
        choices: list[Choice] = [("cancel", "Cancel", "default"), ("confirm", confirm, "error")]
        super().__init__(title, text, choices, focus="choice-cancel")

    def result(self, choice: str) -> bool:
        return choice == "confirm"


class TextDialog(Dialog[str | None]):
    """Asks for one value; `problem(value)` says why it cannot be taken (None: it can)."""

    def __init__(
        self,
        title: str,
        text: str,
        *,
        value: str = "",
        placeholder: str = "",
        hint: str = "",
        ok: tuple[str, Variant] = ("OK", "primary"),
        cancel: str = "Cancel",
        problem: Callable[[str], str | None] = lambda value: None,
    ) -> None:
        choices: list[Choice] = [("ok", *ok), ("cancel", cancel, "default")]
        super().__init__(title, text, choices, focus="dialog-input")
        self.value = value
        self.placeholder = placeholder
        self.hint = hint
        self.problem = problem

    def body(self) -> ComposeResult:
        yield Input(self.value, placeholder=self.placeholder, id="dialog-input")
        yield Static(self.hint, id="dialog-problem", markup=False)

    @on(Input.Submitted, "#dialog-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_choose("ok")

    def action_choose(self, choice: str) -> None:
        if choice == "ok":
            value = self.query_one("#dialog-input", Input).value.strip()
            problem = self.problem(value)
            if problem is not None:
                note = self.query_one("#dialog-problem", Static)
                note.update(problem)
                note.add_class("-error")
                self.query_one("#dialog-input", Input).focus()
                return
        super().action_choose(choice)

    def result(self, choice: str) -> str | None:
        return self.query_one("#dialog-input", Input).value.strip() if choice == "ok" else None


class ChecklistDialog(Dialog[list[str] | None]):
    """Tick any of `items`; dismisses with the ticked ones (an empty list: none), None on cancel."""

    def __init__(
        self, title: str, text: str, items: Sequence[str], ticked: Sequence[str] = ()
    ) -> None:
        choices: list[Choice] = [("ok", "Use these", "primary"), ("cancel", "Cancel", "default")]
        super().__init__(title, text, choices, focus="dialog-list")
        self.items = items
        self.ticked = set(ticked)

    def body(self) -> ComposeResult:
        from textual.widgets import SelectionList  # only when a checklist opens: ~5 ms at start

        yield SelectionList[str](
            *((item, item, item in self.ticked) for item in self.items), id="dialog-list"
        )

    def result(self, choice: str) -> list[str] | None:
        if choice != "ok":
            return None
        from textual.widgets import SelectionList

        return list(self.query_one("#dialog-list", SelectionList).selected)


def device_picker(title: str, devices: Sequence[str], current: str) -> ChecklistDialog:
    """Compose's and Config's device choice: the devices the keys' verification listed, those in
    `current` (the field as typed) ticked; none ticked means all the user's devices."""
    text = "None ticked: all of the user's devices."
    return ChecklistDialog(title, text, devices, split_devices(current))
