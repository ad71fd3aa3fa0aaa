"""One reload of a list screen (History, Inbox) per burst of changes to its store, whoever
made them: this process says so (`schedule()`), other processes and hosts (the command line, cron
jobs, the bridge, a teammate's dashboard) through the store's `subscribe` (SQLite: its
data_version looked at twice a second; PostgreSQL: LISTEN/NOTIFY, no polling)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import suppress
from typing import TYPE_CHECKING

from pushover_tui.api.errors import PushoverError

if TYPE_CHECKING:
    from textual.screen import Screen

    from pushover_tui.store.base import Store


class Reloader:
    """Calls `reload` once after the current messages for any number of `schedule()` calls.
    The screen sets `seen_version` to the data_version it read its rows at."""

    def __init__(
        self, screen: Screen, history: Callable[[], Store], reload: Callable[[], None]
    ) -> None:
        self._screen = screen
        self._history = history
        self._reload = reload
        self._pending = False
        self.seen_version: int | None = None

    def start(self) -> None:
        loop = asyncio.get_running_loop()

        def heard() -> None:  # on the store's thread
            with suppress(RuntimeError):  # the app has ended
                loop.call_soon_threadsafe(self._heard)

        self._history().subscribe(heard)

    def schedule(self) -> None:
        if not self._pending:
            self._pending = True
            self._screen.call_later(self._run)

    def _run(self) -> None:
        self._pending = False
        self._reload()

    def _heard(self) -> None:
        with suppress(PushoverError):  # closing, or the store is gone: a reload would say so
            if self._history().data_version() != self.seen_version:
                self.schedule()
