"""The help screen (F1 or ?): how to use the dashboard in three lines, then every key binding of
every screen with its id (for the config's [keymap]) and the key that does it now."""

from __future__ import annotations

from typing import ClassVar, Protocol

from textual import events
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
    "groups": "Groups (letters act while the list they concern has focus)",
    "inbox": "Inbox (letters act while the list has focus)",
    "team": "Team panel (t in Groups)",
    "dialog": "Dialogs",
}


class KeyLabel(Protocol):
    def __call__(self, binding_id: str, *, every: bool = False) -> str: ...


def help_text(key: KeyLabel, width: int = 86) -> Content:
    """The how-to and the table of keys, each as `key(binding id)` shows it now, the help text
    wrapped under its own column in `width` cells."""
    how_to = [
        Content.from_markup(
            "[b]Keys:[/b] $keys switch screens; ctrl+p opens the command palette.",
            keys=" ".join(key(id_) for id_ in KEYS if id_.startswith("mode.")),
        ),
        Content.from_markup(
            "[b]Compose:[/b] write, then $send to send or $test for a test; problems show under "
            "each field.",
            send=key("compose.send"),
            test=key("compose.send_test"),
        ),
        Content.from_markup(
            "[b]Follow a receipt:[/b] emergencies sent from anywhere appear in History ($history), "
            "live; $cancel there cancels their retries.",
            history=key("mode.history"),
            cancel=key("history.cancel"),
        ),
    ]
    labels = {binding_id: key(binding_id, every=True) for binding_id in KEYS}
    key_width = max(len(label) for label in labels.values()) + 2
    id_width = max(len(binding_id) for binding_id in KEYS) + 2
    indent = " " * (key_width + id_width)
    lines = [*how_to, Content("")]
    for scope, title in SCOPES.items():
        lines.append(Content.styled(title, "bold underline"))
        for binding_id, spec in KEYS.items():
            if spec.scope != scope:
                continue
            wrapped = Content(spec.help).wrap(max(16, width - len(indent)))
            lines.append(
                Content.assemble(
                    (labels[binding_id].ljust(key_width), "bold $accent"),
                    (binding_id.ljust(id_width), "$foreground-muted"),
                    wrapped[0],
                )
            )
            lines += [indent + line for line in wrapped[1:]]
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
            width: 92; max-width: 100%; height: auto; max-height: 100%;
            padding: 0 1; border: thick $primary 80%; background: $surface;
        }
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [binding("dialog.cancel", "dismiss")]

    def __init__(self, key_label: KeyLabel) -> None:
        super().__init__()
        self.key_label = key_label

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = "Help"
            scroll.border_subtitle = f"{self.key_label('dialog.cancel')} closes"
            yield Static(id="help-text")

    def on_resize(self, event: events.Resize) -> None:
        width = self.query_one(VerticalScroll).scrollable_content_region.width or 86
        self.query_one("#help-text", Static).update(help_text(self.key_label, width))

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss()
