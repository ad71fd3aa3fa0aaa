"""The help screen (F1 or ?): how to use the dashboard in three lines, then every key binding of
every screen with its id (for the config's [keymap]) and the key that does it now."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from pushover_tui.tui.keys import KEYS, binding

SCOPES = {
    "app": "Everywhere",
    "compose": "Compose",
    "config": "Config",
    "history": "History (letters act while the list has focus)",
    "groups": "Groups (letters act while a list has focus)",
    "dialog": "Dialogs",
}


def help_text(key_label: Callable[[str], str]) -> Content:
    """The how-to and the table of keys, each key as `key_label(binding id)` shows it now."""
    k = key_label
    how_to = [
        Content.from_markup(
            "[b]Keys:[/b] $keys switch screens; ctrl+p opens the command palette.",
            keys=" ".join(k(id_) for id_ in ("mode.config", "mode.compose", "mode.history")),
        ),
        Content.from_markup(
            "[b]Compose:[/b] write, then $send to send or $test for a test; problems show under "
            "each field.",
            send=k("compose.send"),
            test=k("compose.send_test"),
        ),
        Content.from_markup(
            "[b]Follow a receipt:[/b] emergencies sent from anywhere appear in History ($history), "
            "live; $cancel there cancels their retries.",
            history=k("mode.history"),
            cancel=k("history.cancel"),
        ),
    ]
    lines = [*how_to, Content("")]
    width = max(len(binding_id) for binding_id in KEYS)
    for scope, title in SCOPES.items():
        lines.append(Content.styled(title, "bold underline"))
        for binding_id, spec in KEYS.items():
            if spec.scope == scope:
                lines.append(
                    Content.assemble(
                        (f"  {k(binding_id):<12}", "bold $accent"),
                        (f"{binding_id:<{width}}  ", "$foreground-muted"),
                        spec.help,
                    )
                )
        lines.append(Content(""))
    lines.append(
        Content.styled(
            "Move any key in the config's [keymap] section by its id (README: Key bindings).",
            "$foreground-muted",
        )
    )
    return Content("\n").join(lines)


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
        background: $background 60%;
        & > VerticalScroll {
            width: 90; max-width: 100%; height: auto; max-height: 100%;
            padding: 0 1; border: thick $primary 80%; background: $surface;
        }
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [binding("dialog.cancel", "dismiss")]

    def __init__(self, key_label: Callable[[str], str]) -> None:
        super().__init__()
        self.key_label = key_label

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = "Help"
            scroll.border_subtitle = "Esc closes"
            yield Static(help_text(self.key_label), id="help-text")

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss()
