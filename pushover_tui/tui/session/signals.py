"""Change signals without Textual: a list of callbacks. The app turns them into reactives and
Textual signals for the screens; the Session's unit tests listen to them directly."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

Value = TypeVar("Value")


class Listeners(Generic[Value]):
    """Callbacks that hear each value published, in the order they subscribed."""

    def __init__(self) -> None:
        self._callbacks: list[Callable[[Value], object]] = []

    def subscribe(self, callback: Callable[[Value], object]) -> None:
        self._callbacks.append(callback)

    def publish(self, value: Value) -> None:
        for callback in list(self._callbacks):
            try:
                callback(value)
            except Exception:  # one broken listener must not stop the others or the work
                log.exception("session listener failed")
