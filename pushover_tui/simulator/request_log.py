"""The simulator's request log: records for tests, one masked line per request for people."""

from __future__ import annotations

import re
import threading
import time
import traceback
from collections.abc import Callable

from pushover_tui.simulator.engine import Engine
from pushover_tui.simulator.models import RequestRecord
from pushover_tui.simulator.parsing import Fields

_WORD_RE = re.compile(r"[A-Za-z0-9]{30}")  # anything shaped like a token or user key
_DEVICE_IN_PATH = re.compile(r"(/devices/)[^/]+")  # an Open Client device id


class RequestLog:
    def __init__(self, engine: Engine, log: Callable[[str], None] | None) -> None:
        self._engine = engine
        self._lock: threading.RLock = engine.lock
        self._log = log
        self._records: list[RequestRecord] = []

    @property
    def records(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def record(
        self, method: str, path: str, fields: Fields, now: float, connection_id: int, status: int
    ) -> None:
        """An API request: kept for `Simulator.requests` and shown. Control calls only
        `show`, so tests can count the client's own requests."""
        record = RequestRecord(method, self.mask(path), fields.names, now, connection_id, status)
        with self._lock:
            self._records.append(record)
        self.show(method, path, fields, now, connection_id, status)

    def show(
        self, method: str, path: str, fields: Fields, now: float, connection_id: int, status: int
    ) -> None:
        if self._log is None:
            return
        try:
            stamp = time.strftime("%H:%M:%S", time.localtime(now))
        except (OverflowError, OSError, ValueError):
            stamp = "--:--:--"
        code = str(status) if status else "---"
        names = ",".join(fields.names)
        line = f"{stamp} {method} {self.mask(path)} {code} conn={connection_id} fields={names}"
        try:
            self._log(line)
        except Exception:
            traceback.print_exc()

    def mask(self, path: str) -> str:
        # A confused client may put a key in the path; never echo a known secret.
        def hide(match: re.Match[str]) -> str:
            word = match.group()
            engine = self._engine
            known = word in engine.apps or word in engine.users or word in engine.teams.teams
            return "***" if known else word

        with self._lock:
            return _WORD_RE.sub(hide, _DEVICE_IN_PATH.sub(r"\1***", path))
