"""The bridge's durable inbox: accepted webhooks in SQLite (`bridge.sqlite3` in the data folder).

A webhook is committed here (synchronous=FULL) before Sentry gets its 202, and only marked done
after the pipeline has sent it, so a crash in between is resumed at the next start. The unique
`key` makes a duplicate delivery of the same (issue, event) a no-op.

Delivery is at least once: a crash *during* a send may repeat that one alert at the next start
(a repeated alert beats a lost one).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pushover_tui.bridge.sentry import Job
from pushover_tui.store.files import open_sqlite

FILE_NAME = "bridge.sqlite3"
KEEP_DONE_FOR = 30 * 86400  # duplicates are recognised for 30 days

PENDING = "pending"
DONE = "done"
FAILED = "failed"

_SCHEMA = (
    """
    CREATE TABLE alerts (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        tag TEXT NOT NULL,
        resource TEXT NOT NULL,
        action TEXT NOT NULL,
        issue TEXT NOT NULL,
        params TEXT NOT NULL DEFAULT '{}',
        meta TEXT NOT NULL DEFAULT '{}',
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        not_before REAL NOT NULL DEFAULT 0,
        history_id INTEGER,
        error TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    )
    """,
    "CREATE INDEX alerts_status ON alerts (status, not_before, id)",
)
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class QueuedAlert:
    id: int
    key: str
    kind: str
    tag: str
    resource: str
    action: str
    issue: str
    params: Mapping[str, Any]
    meta: Mapping[str, Any]
    status: str
    attempts: int
    not_before: float
    history_id: int | None
    error: str


class AlertQueue:
    """Thread-safe: one connection behind a lock (writes are a few milliseconds)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        # synchronous=FULL: a 202 promises the alert is on disk.
        self._db = open_sqlite(self.path, synchronous="FULL")
        with self._write() as db:
            if db.execute("PRAGMA user_version").fetchone()[0] == 0:
                for statement in _SCHEMA:
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @classmethod
    def open(cls, folder: Path) -> AlertQueue:
        return cls(Path(folder) / FILE_NAME)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> AlertQueue:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def add(self, job: Job, params: Mapping[str, Any]) -> int | None:
        """Commit the job; its row id, or None when the key was already accepted (duplicate)."""
        now = time.time()
        with self._write() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO alerts (key, kind, tag, resource, action, issue, params,"
                " meta, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    job.key,
                    job.kind,
                    job.tag,
                    job.resource,
                    job.action,
                    job.issue,
                    json.dumps(dict(params), sort_keys=True),
                    json.dumps(dict(job.meta), sort_keys=True),
                    PENDING,
                    now,
                    now,
                ),
            )
            return cursor.lastrowid if cursor.rowcount else None

    def next_due(self, now: float) -> tuple[QueuedAlert | None, float | None]:
        """The oldest pending alert that is due, else None and when the next one will be."""
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM alerts WHERE status = ? ORDER BY id LIMIT 1", (PENDING,)
            ).fetchone()
        if row is None:
            return None, None
        # Strictly in order: a resolve must never overtake the alert it cancels.
        if row["not_before"] > now:
            return None, row["not_before"]
        return _alert(row), None

    def done(self, alert_id: int, *, history_id: int | None = None) -> None:
        self._update(alert_id, status=DONE, history_id=history_id, error="")

    def failed(self, alert_id: int, error: str, *, history_id: int | None = None) -> None:
        self._update(alert_id, status=FAILED, history_id=history_id, error=error)

    def retry_later(self, alert_id: int, error: str, delay: float) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE alerts SET attempts = attempts + 1, not_before = ?, error = ?,"
                " updated_at = ? WHERE id = ?",
                (time.time() + delay, error, time.time(), alert_id),
            )

    def _update(self, alert_id: int, **values: Any) -> None:
        values["updated_at"] = time.time()
        columns = ", ".join(f"{name} = ?" for name in values)
        with self._write() as db:
            db.execute(
                f"UPDATE alerts SET {columns}, attempts = attempts + 1 WHERE id = ?",
                (*values.values(), alert_id),
            )

    def get(self, alert_id: int) -> QueuedAlert | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM alerts WHERE id = ?", (alert_id,)).fetchone()
        return None if row is None else _alert(row)

    def all(self) -> list[QueuedAlert]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM alerts ORDER BY id").fetchall()
        return [_alert(row) for row in rows]

    def pending(self) -> int:
        with self._lock:
            return int(
                self._db.execute(
                    "SELECT count(*) FROM alerts WHERE status = ?", (PENDING,)
                ).fetchone()[0]
            )

    def prune(self, older_than: float = KEEP_DONE_FOR) -> int:
        """Forget finished alerts older than `older_than` seconds; pending ones are kept."""
        with self._write() as db:
            return db.execute(
                "DELETE FROM alerts WHERE status != ? AND updated_at < ?",
                (PENDING, time.time() - older_than),
            ).rowcount


def _alert(row: sqlite3.Row) -> QueuedAlert:
    return QueuedAlert(
        id=row["id"],
        key=row["key"],
        kind=row["kind"],
        tag=row["tag"],
        resource=row["resource"],
        action=row["action"],
        issue=row["issue"],
        params=json.loads(row["params"]),
        meta=json.loads(row["meta"]),
        status=row["status"],
        attempts=row["attempts"],
        not_before=row["not_before"],
        history_id=row["history_id"],
        error=row["error"],
    )
