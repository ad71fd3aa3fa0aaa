"""Injected faults: a queue the HTTP front takes one from per API request, and their replies."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from pushover_tui.simulator.engine import Engine, Reply, error_reply
from pushover_tui.simulator.validation import FieldError

FAULT_KINDS = frozenset({"500", "502", "503", "hang", "drop", "html", "redirect", "429"})
DEFAULT_HANG = 60.0

_HTML_PAGES = {
    "502": b"<html><head><title>502 Bad Gateway</title></head>"
    b"<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>",
    "503": b"<html><head><title>503 Service Temporarily Unavailable</title></head>"
    b"<body><center><h1>503 Service Temporarily Unavailable</h1></center></body></html>",
    "html": b"<!DOCTYPE html><html><head><title>Pushover</title></head>"
    b"<body><h1>Pushover is down for maintenance</h1><p>Please try again later.</p></body></html>",
}
_HTML_TYPE = "text/html; charset=utf-8"


@dataclass(frozen=True)
class Fault:
    kind: str
    seconds: float  # how long a "hang" holds the response


class Faults:
    """Pending faults, in order, and the event that lets held ("hang") requests go."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._pending: list[Fault] = []
        self._release = threading.Event()
        self.stopping = False  # set by stop(): no fault is taken any more

    def inject(self, kind: str, count: int, seconds: float | None) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {sorted(FAULT_KINDS)}")
        if count < 0:
            raise ValueError("count must be >= 0")
        hold = DEFAULT_HANG if seconds is None else float(seconds)
        with self._lock:
            self._pending.extend(Fault(kind, hold) for _ in range(count))

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def take(self) -> tuple[Fault | None, threading.Event]:
        # The release event is taken with the fault, so a release() racing in cannot be missed.
        with self._lock:
            if self.stopping or not self._pending:
                return None, self._release
            return self._pending.pop(0), self._release

    def release(self) -> None:
        with self._lock:
            event, self._release = self._release, threading.Event()
        event.set()


def fault_reply(fault: Fault, path: str, engine: Engine, clock: Callable[[], float]) -> Reply:
    if fault.kind == "500":
        return error_reply([FieldError(None, "", "internal server error")], 500)
    if fault.kind in ("502", "503"):
        return Reply(int(fault.kind), _HTML_PAGES[fault.kind], content_type=_HTML_TYPE)
    if fault.kind == "html":
        return Reply(200, _HTML_PAGES["html"], content_type=_HTML_TYPE)
    if fault.kind == "redirect":
        # Another host: a client that follows it would hand the token to a stranger.
        return Reply(
            302,
            b'<html><body>Moved to <a href="https://evil.example/">here</a></body></html>',
            headers=(("Location", f"https://evil.example{path}"),),
            content_type=_HTML_TYPE,
        )
    with engine.lock:  # "429"
        return engine.quota_exceeded_reply(None, clock())
