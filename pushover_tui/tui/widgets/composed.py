"""Widgets a screen may talk to now.

A widget is in the DOM (a query finds it) from the moment it is mounted, but its children exist
only once its compose has run, and a resize, a toast or a signal can reach the screen in between
(the order of a driver's first events differs between terminals and textual-serve). Screens
address their components through `composed()`; a component found too early loads its state when
it finishes mounting, so nothing is lost by skipping it.
"""

from __future__ import annotations

from typing import TypeVar

from textual.widget import Widget

W = TypeVar("W", bound=Widget)


def composed(root: Widget, kind: type[W], selector: str = "") -> list[W]:
    """The `kind` widgets under `root` (matching `selector`, if given) whose compose and mount
    have run."""
    query = root.query(selector or kind)
    return [widget for widget in query.results(kind) if widget.is_mounted]
