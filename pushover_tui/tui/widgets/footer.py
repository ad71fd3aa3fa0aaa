"""The footer every screen shows: Textual's, compact (less space between keys) when narrow, so
the keys fit an 80-column terminal."""

from __future__ import annotations

from textual import events
from textual.widgets import Footer

COMPACT_BELOW = 110  # columns


class AppFooter(Footer):
    def on_resize(self, event: events.Resize) -> None:
        self.compact = event.size.width < COMPACT_BELOW
