"""The Sentry bridge's durable inbox: accepted alerts in SQLite (`bridge.sqlite3`, data folder).

An alert is committed here (synchronous=FULL) before Sentry gets its 202, and only marked done
after the pipeline has sent it, so a crash in between is resumed at the next start. The unique
`key` makes a duplicate delivery of the same (issue, event) a no-op.

Every call is one short transaction with a busy timeout shorter than Sentry's 1-second timeout:
while another program holds the file locked, a call fails (AlertQueueError) instead of waiting,
so the bridge can answer 503 in time. Callers run these calls off their event loop.

Delivery is at least once: a crash *during* a send may repeat that one alert at the next start
(a repeated alert beats a lost one). Plain values in and out: no bridge types here.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pushover_tui.api.errors import PushoverError
from pushover_tui.store.files import SQLiteStore, open_sqlite, sqlite_trouble

if TYPE_CHECKING:
    from pushover_tui.store.postgres_queue import PostgresAlertQueue
    from pushover_tui.store.url import StoreURL

FILE_NAME = "bridge.sqlite3"
BUSY_TIMEOUT = 0.5  # seconds: well inside Sentry's 1-second timeout
KEEP_DONE_FOR = 30 * 86400  # duplicates are recognised for 30 days
# A shared queue's claim on an alert being sent (store/postgres_queue.py), renewed while the
# send goes on: a bridge killed mid-send holds its alerts at most this long.
LEASE = 30.0

PENDING = "pending"
DONE = "done"
FAILED = "failed"

_V1 = (
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
# Version 2: each alert its own schedule, emergencies first, one issue's alerts in order.
_V2 = (
    "ALTER TABLE alerts ADD COLUMN priority INTEGER NOT NULL DEFAULT 0",
    "UPDATE alerts SET priority = coalesce(json_extract(params, '$.priority'), 0)",
    "CREATE INDEX alerts_tag ON alerts (tag, status, id)",
)
MIGRATIONS = (_V1, _V2)
SCHEMA_VERSION = len(MIGRATIONS)


class AlertQueueError(PushoverError):
    """The queue file cannot be opened or written; the sentence names the file and the cause."""


@dataclass(frozen=True)
class QueuedAlert:
    id: int
    key: str
    kind: str
    tag: str
    resource: str
    action: str
    issue: str
    priority: int
    params: Mapping[str, Any]
    meta: Mapping[str, Any]
    status: str
    attempts: int
    not_before: float
    history_id: int | None
    error: str
    created_at: float


@dataclass(frozen=True)
class QueueStats:
    pending: int
    oldest_pending_at: float | None  # Unix time the oldest pending alert was accepted


def open_alert_queue(folder: Path, url: StoreURL | None = None) -> AlertQueue | PostgresAlertQueue:
    """The queue shared by every bridge in the PostgreSQL store at `url`, or without one this
    data folder's own (one bridge per folder). AlertQueueError when it cannot be opened."""
    if url is None:
        return AlertQueue.open(folder)
    from pushover_tui.store.postgres_queue import PostgresAlertQueue  # psycopg: only for a URL

    return PostgresAlertQueue(url)


class AlertQueue(SQLiteStore):
    """Thread-safe: one connection behind a lock; each call is one short transaction."""

    shared = False  # one bridge per data folder: nothing to claim from another

    def __init__(self, path: Path, *, busy_timeout: float = BUSY_TIMEOUT) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        try:
            # synchronous=FULL: a 202 promises the alert is on disk.
            self._connection = open_sqlite(self.path, busy_timeout=busy_timeout, synchronous="FULL")
            self._migrate()
        except OSError as error:
            self.close()
            raise AlertQueueError(
                f"Cannot open the bridge's queue {self.path}: {error.strerror or error} (check "
                "the folder's permissions, or set PUSHOVER_TUI_DATA to another folder)."
            ) from None
        except sqlite3.Error as error:
            self.close()
            raise self._error(error, "open") from None
        except AlertQueueError:
            self.close()
            raise

    @classmethod
    def open(cls, folder: Path, **options: Any) -> AlertQueue:
        return cls(Path(folder) / FILE_NAME, **options)

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def __enter__(self) -> AlertQueue:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- plumbing ------------------------------------------------------------------------------

    def _error(self, error: sqlite3.Error, action: str) -> AlertQueueError:
        trouble = sqlite_trouble(error)
        if trouble == "damaged":
            return AlertQueueError(
                f"{self.path} is not a bridge queue (or it is damaged): move it away and start "
                "again (alerts it accepted and had not sent yet are in it)."
            )
        cause = {
            "full": "the disk is full; free some space",
            "locked": "another program holds it locked",
            "read-only": f"the folder {self.path.parent} is not writable",
        }.get(trouble, str(error))
        return AlertQueueError(f"Cannot {action} the bridge's queue {self.path}: {cause}.")

    def _closed(self) -> AlertQueueError:
        return AlertQueueError(f"The bridge's queue {self.path} is closed.")

    def _migrate(self) -> None:
        assert self._connection is not None
        if self._connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
            return
        with self._write() as db:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise AlertQueueError(
                    f"The bridge's queue {self.path} was written by a newer pushover-tui "
                    f"(schema {version}, this one knows {SCHEMA_VERSION}): upgrade pushover-tui."
                )
            for number in range(version, SCHEMA_VERSION):
                for statement in MIGRATIONS[number]:
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {number + 1}")

    # -- writes --------------------------------------------------------------------------------

    def add(
        self,
        *,
        key: str,
        kind: str,
        tag: str,
        resource: str,
        action: str,
        issue: str,
        priority: int = 0,
        params: Mapping[str, Any] | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> int | None:
        """Commit an alert; its row id, or None when the key was already accepted (duplicate)."""
        now = time.time()
        with self._write() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO alerts (key, kind, tag, resource, action, issue, priority,"
                " params, meta, status, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    key,
                    kind,
                    tag,
                    resource,
                    action,
                    issue,
                    priority,
                    json.dumps(dict(params or {}), sort_keys=True),
                    json.dumps(dict(meta or {}), sort_keys=True),
                    PENDING,
                    now,
                    now,
                ),
            )
            return cursor.lastrowid if cursor.rowcount else None

    def done(self, alert_id: int, *, history_id: int | None = None) -> None:
        self._finish(alert_id, DONE, "", history_id)

    def failed(self, alert_id: int, error: str, *, history_id: int | None = None) -> None:
        self._finish(alert_id, FAILED, error, history_id)

    def _finish(self, alert_id: int, status: str, error: str, history_id: int | None) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE alerts SET status = ?, error = ?, history_id = ?, attempts = attempts + 1,"
                " updated_at = ? WHERE id = ?",
                (status, error, history_id, time.time(), alert_id),
            )

    def retry_later(self, alert_id: int, error: str, delay: float, *, attempt: bool = True) -> None:
        """Due again in `delay` seconds; `attempt=False` when nothing was sent (a local fault)."""
        now = time.time()
        with self._write() as db:
            db.execute(
                "UPDATE alerts SET attempts = attempts + ?, not_before = ?, error = ?,"
                " updated_at = ? WHERE id = ?",
                (int(attempt), now + delay, error, now, alert_id),
            )

    def renew(self, alert_ids: Collection[int]) -> None:
        """Leases are for a shared queue: this folder has one bridge."""

    def release(self, alert_ids: Collection[int]) -> None:
        """Leases are for a shared queue: this folder has one bridge."""

    def check_writable(self) -> None:
        """Take the write lock and let it go (nothing written); AlertQueueError if it cannot
        be had: whether a write would succeed now."""
        with self._write():
            pass

    def prune(self, older_than: float = KEEP_DONE_FOR) -> int:
        """Forget finished alerts older than `older_than` seconds; pending ones are kept."""
        with self._write() as db:
            return db.execute(
                "DELETE FROM alerts WHERE status != ? AND updated_at < ?",
                (PENDING, time.time() - older_than),
            ).rowcount

    # -- reads ---------------------------------------------------------------------------------

    def due(
        self, now: float, *, limit: int, busy: Collection[int] = ()
    ) -> tuple[list[QueuedAlert], float | None]:
        """Up to `limit` pending alerts due at `now`, emergencies first, then oldest first, and
        when the next one not yet due will be (None: nothing waiting).

        `busy` ids (being sent, or their outcome not yet written) are left out. An alert waits
        while an older alert with its tag is pending: one issue's alerts go in the order Sentry
        sent them, so a resolve never overtakes the alert it cancels. Alerts of other issues
        never wait for each other."""
        skip = ",".join("?" * len(busy))
        with self._read() as db:
            rows = db.execute(
                "SELECT * FROM alerts AS a WHERE a.status = ? AND a.not_before <= ?"
                f" AND a.id NOT IN ({skip})"
                " AND NOT EXISTS (SELECT 1 FROM alerts AS b"
                "  WHERE b.tag = a.tag AND b.status = ? AND b.id < a.id)"
                " ORDER BY a.priority DESC, a.id LIMIT ?",
                (PENDING, now, *busy, PENDING, limit),
            ).fetchall()
            (next_at,) = db.execute(
                "SELECT min(not_before) FROM alerts WHERE status = ? AND not_before > ?",
                (PENDING, now),
            ).fetchone()
        return [_alert(row) for row in rows], next_at

    def count_due(self, now: float) -> int:
        """How many alerts `due` would give at `now` with no limit (without taking any)."""
        with self._read() as db:
            (count,) = db.execute(
                "SELECT count(*) FROM alerts AS a WHERE a.status = ? AND a.not_before <= ?"
                " AND NOT EXISTS (SELECT 1 FROM alerts AS b"
                "  WHERE b.tag = a.tag AND b.status = ? AND b.id < a.id)",
                (PENDING, now, PENDING),
            ).fetchone()
        return int(count)

    def stats(self) -> QueueStats:
        with self._read() as db:
            count, oldest = db.execute(
                "SELECT count(*), min(created_at) FROM alerts WHERE status = ?", (PENDING,)
            ).fetchone()
        return QueueStats(int(count), oldest)

    def pending(self) -> int:
        return self.stats().pending

    def get(self, alert_id: int) -> QueuedAlert | None:
        with self._read() as db:
            row = db.execute("SELECT * FROM alerts WHERE id = ?", (alert_id,)).fetchone()
        return None if row is None else _alert(row)

    def all(self) -> list[QueuedAlert]:
        with self._read() as db:
            rows = db.execute("SELECT * FROM alerts ORDER BY id").fetchall()
        return [_alert(row) for row in rows]


def _alert(row: sqlite3.Row) -> QueuedAlert:
    return QueuedAlert(
        id=row["id"],
        key=row["key"],
        kind=row["kind"],
        tag=row["tag"],
        resource=row["resource"],
        action=row["action"],
        issue=row["issue"],
        priority=row["priority"],
        params=json.loads(row["params"]),
        meta=json.loads(row["meta"]),
        status=row["status"],
        attempts=row["attempts"],
        not_before=row["not_before"],
        history_id=row["history_id"],
        error=row["error"],
        created_at=row["created_at"],
    )
