"""The five screens by name, the current one marked, on every screen under the status line
(like Textual's `Tabs`, in one line so that 80x24 keeps its rows). Each tab names the key that
opens it after the user's keymap; a click on a tab opens its screen as the key does (asking
first when work would be lost)."""

from __future__ import annotations

from collections.abc import Callable

from textual.content import Content
from textual.widgets import Static

SCREENS = ("config", "compose", "history", "groups", "inbox")  # the F-keys' order


def tab_label(mode: str, key: str, *, current: bool) -> str:
    """ "History f4"; the current screen "● Compose" (its key does nothing there)."""
    name = mode.capitalize()
    return f"● {name}" if current else f"{name} {key}"


class ScreenTabs(Static):
    """One line of tabs, one widget: each tab a clickable span (a widget per tab made the first
    frame ~1% slower, figure 1)."""

    DEFAULT_CSS = """
    ScreenTabs {
        height: 1; background: $panel-darken-1; color: $text-muted;
        link-color: $text-muted; link-style: none;
        link-color-hover: $text; link-background-hover: $boost; link-style-hover: none;
    }
    """

    def __init__(self, current: str, key_label: Callable[[str], str]) -> None:
        # Each tab's columns (start, end) on the line, for whoever must point at one.
        self.columns: dict[str, tuple[int, int]] = {}
        tabs: list[tuple[str, str]] = []
        column = 0
        for mode in SCREENS:
            marked = mode == current
            text = f" {tab_label(mode, key_label(f'mode.{mode}'), current=marked)} "
            # A click on a tab opens its screen as its key does (asking first when work
            # would be lost).
            style = "bold $text on $primary 40%" if marked else f"@click=app.switch_mode({mode!r})"
            tabs.append((text, style))
            self.columns[mode] = (column, column + len(text))
            column += len(text)
        super().__init__(Content.assemble(*tabs))
