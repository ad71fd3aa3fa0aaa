"""The five screens by name, the current one marked, on every screen under the status line
(like Textual's `Tabs`, in one line so that 80x24 keeps its rows). Each tab names the key that
opens it after the user's keymap; a click on a tab opens its screen as the key does (asking
first when work would be lost)."""

from __future__ import annotations

from collections.abc import Callable

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

SCREENS = ("config", "compose", "history", "groups", "inbox")  # the F-keys' order


def tab_label(mode: str, key: str, *, current: bool) -> str:
    """ "History f4"; the current screen "● Compose" (its key does nothing there)."""
    name = mode.capitalize()
    return f"● {name}" if current else f"{name} {key}"


class ScreenTab(Static):
    def __init__(self, mode: str, label: str, *, current: bool) -> None:
        super().__init__(
            label, id=f"tab-{mode}", markup=False, classes="-current" if current else ""
        )
        self.mode = mode

    async def on_click(self, event: events.Click) -> None:
        event.stop()
        await self.app.run_action(f"app.switch_mode({self.mode!r})")


class ScreenTabs(Horizontal):
    DEFAULT_CSS = """
    ScreenTabs {
        height: 1; background: $panel-darken-1;
        ScreenTab {
            width: auto; padding: 0 1; color: $text-muted;
            &:hover { background: $boost; color: $text; }
            &.-current { color: $text; background: $primary 40%; text-style: bold; }
        }
    }
    """

    def __init__(self, current: str, key_label: Callable[[str], str]) -> None:
        super().__init__()
        self.current = current
        self.key_label = key_label

    def compose(self) -> ComposeResult:
        for mode in SCREENS:
            current = mode == self.current
            label = tab_label(mode, self.key_label(f"mode.{mode}"), current=current)
            yield ScreenTab(mode, label, current=current)
