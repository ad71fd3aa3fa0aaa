"""One reload of a list screen (History, Inbox) per burst of changes to the history file, whoever
made them: this process says so (`schedule()`), other processes (the command line, cron jobs,
the bridge) are seen by polling the file's `data_version()`."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import TYPE_CHECKING

from pushover_tui.api.errors import PushoverError

if TYPE_CHECKING:
    from textual.screen import Screen

    from pushover_tui.store.history import History


class Reloader:
    """Calls `reload` once after the current messages for any number of `schedule()` calls.
    The screen sets `seen_version` to the data_version it read its rows at."""

    POLL_SECONDS = 2.0  # how often rows written by other processes are looked for

    def __init__(
        self, screen: Screen, history: Callable[[], History], reload: Callable[[], None]
    ) -> None:
        self._screen = screen
        self._history = history
        self._reload = reload
        self._pending = False
        self.seen_version: int | None = None

    def start(self) -> None:
        self._screen.set_interval(self.POLL_SECONDS, self._poll)

    def schedule(self) -> None:
        if not self._pending:
            self._pending = True
            self._screen.call_later(self._run)

    def _run(self) -> None:
        self._pending = False
        self._reload()

    def _poll(self) -> None:
        with suppress(PushoverError):  # closing, or the file is gone: a reload would say so
            if self._history().data_version() != self.seen_version:
                self.schedule()
