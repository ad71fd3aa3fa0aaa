"""Checkbox and radio button whose state reads without colour: Textual's draw the same mark on
and off and tell them apart by colour only, which NO_COLOR (or a monochrome terminal) loses."""

from __future__ import annotations

from textual.widgets import Checkbox, RadioButton


class MarkedCheckbox(Checkbox):
    MARK = "X"

    def on_mount(self) -> None:
        self.BUTTON_INNER = self.MARK if self.value else " "

    def watch_value(self) -> None:
        self.BUTTON_INNER = self.MARK if self.value else " "
        super().watch_value()


class MarkedRadioButton(RadioButton):
    MARK = "●"

    def on_mount(self) -> None:
        self.BUTTON_INNER = self.MARK if self.value else " "

    def watch_value(self) -> None:
        self.BUTTON_INNER = self.MARK if self.value else " "
        super().watch_value()
