"""The Sentry bridge's alert queue in PostgreSQL, shared by any number of bridges.

The same calls as the SQLite queue (store/alert_queue.py), with what sharing needs:
- `due` claims: `SELECT … FOR UPDATE SKIP LOCKED` picks alerts no other bridge holds, and an
  UPDATE gives them a lease (`LEASE` seconds, renewed while the send goes on). A bridge killed
  mid-send loses nothing: its leases run out and another bridge sends those alerts (at least
  once: only the alerts in flight at the kill can be sent twice).
- Emergencies first, one issue's alerts in Sentry's order, each alert its own schedule: as in
  SQLite. The unique `key` makes a duplicate delivery to any bridge a no-op.
- The server down: every call raises AlertQueueError with the sentence of the store (URL
  masked), and the next call connects again.

The table is the store's migration 2 (store/postgres.py), set up under its advisory lock.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from collections.abc import Collection, Iterator, Mapping
from typing import Any

import psycopg

from pushover_tui.store.alert_queue import (
    KEEP_DONE_FOR,
    LEASE,
    PENDING,
    AlertQueueError,
    QueuedAlert,
    QueueStats,
)
from pushover_tui.store.base import HistoryError
from pushover_tui.store.postgres import PostgresStore
from pushover_tui.store.url import StoreURL

_COLUMNS = (
    "id, key, kind, tag, resource, action, issue, priority, params, meta, status, attempts,"
    " not_before, history_id, error, created_at"
)


class PostgresAlertQueue:
    """Thread-safe: the store's connection pool, each call one transaction."""

    shared = True

    def __init__(self, url: StoreURL) -> None:
        self._store = PostgresStore(url)
        self.path = url.masked()  # where it is, for sentences: never the password
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"

    def close(self) -> None:
        self._store.close()

    def __enter__(self) -> PostgresAlertQueue:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _transaction(self, action: str) -> Iterator[psycopg.Connection[dict[str, Any]]]:
        try:
            with self._store._transaction(action) as connection:
                yield connection
        except HistoryError as error:  # unreachable, or the server refused: its sentence
            raise AlertQueueError(str(error)) from None

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
        now = time.time()
        with self._transaction("store the alert") as db:
            found = db.execute(
                "INSERT INTO alerts (key, kind, tag, resource, action, issue, priority, params,"
                " meta, status, created_at, updated_at)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (key) DO NOTHING RETURNING id",
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
            ).fetchone()
        return None if found is None else int(found["id"])

    def done(self, alert_id: int, *, history_id: int | None = None) -> None:
        self._finish(alert_id, "done", "", history_id)

    def failed(self, alert_id: int, error: str, *, history_id: int | None = None) -> None:
        self._finish(alert_id, "failed", error, history_id)

    def _finish(self, alert_id: int, status: str, error: str, history_id: int | None) -> None:
        with self._transaction("write the alert's outcome") as db:
            db.execute(
                "UPDATE alerts SET status = %s, error = %s, history_id = %s,"
                " attempts = attempts + 1, updated_at = %s, lease_until = 0, leased_by = ''"
                " WHERE id = %s",
                (status, error, history_id, time.time(), alert_id),
            )

    def retry_later(self, alert_id: int, error: str, delay: float, *, attempt: bool = True) -> None:
        now = time.time()
        with self._transaction("write the alert's outcome") as db:
            db.execute(
                "UPDATE alerts SET attempts = attempts + %s, not_before = %s, error = %s,"
                " updated_at = %s, lease_until = 0, leased_by = '' WHERE id = %s",
                (int(attempt), now + delay, error, now, alert_id),
            )

    def renew(self, alert_ids: Collection[int]) -> None:
        """Extend this bridge's leases on the alerts it is still sending."""
        if alert_ids:
            with self._transaction("renew its leases") as db:
                db.execute(
                    "UPDATE alerts SET lease_until = %s WHERE id = ANY(%s) AND leased_by = %s",
                    (time.time() + LEASE, list(alert_ids), self.owner),
                )

    def release(self, alert_ids: Collection[int]) -> None:
        """Give up the leases (a stop cut the sends off): any bridge may send them now."""
        if alert_ids:
            with self._transaction("release its leases") as db:
                db.execute(
                    "UPDATE alerts SET lease_until = 0, leased_by = ''"
                    " WHERE id = ANY(%s) AND leased_by = %s",
                    (list(alert_ids), self.owner),
                )

    def check_writable(self) -> None:
        with self._transaction("be reached") as db:
            db.execute("SELECT 1")

    def prune(self, older_than: float = KEEP_DONE_FOR) -> int:
        with self._transaction("forget old alerts") as db:
            cursor = db.execute(
                "DELETE FROM alerts WHERE status != %s AND updated_at < %s",
                (PENDING, time.time() - older_than),
            )
            return cursor.rowcount

    # -- reads (and claims) --------------------------------------------------------------------

    def due(
        self, now: float, *, limit: int, busy: Collection[int] = ()
    ) -> tuple[list[QueuedAlert], float | None]:
        """Claim up to `limit` pending alerts due at `now` that no bridge holds, emergencies
        first, then oldest first; and when the next one not yet due (or leased by another
        bridge) will be. As in SQLite, an alert waits while an older alert of its issue is
        pending, wherever it is being sent."""
        with self._transaction("read the queue") as db:
            rows = db.execute(
                "UPDATE alerts SET lease_until = %s, leased_by = %s WHERE id IN ("
                " SELECT a.id FROM alerts AS a WHERE a.status = %s AND a.not_before <= %s"
                "  AND a.lease_until <= %s AND NOT (a.id = ANY(%s))"
                "  AND NOT EXISTS (SELECT 1 FROM alerts AS b"
                "   WHERE b.tag = a.tag AND b.status = %s AND b.id < a.id)"
                "  ORDER BY a.priority DESC, a.id LIMIT %s FOR UPDATE SKIP LOCKED)"
                f" RETURNING {_COLUMNS}",
                (now + LEASE, self.owner, PENDING, now, now, list(busy), PENDING, limit),
            ).fetchall()
            found = db.execute(
                "SELECT min(greatest(not_before, lease_until)) AS next_at FROM alerts"
                " WHERE status = %s AND greatest(not_before, lease_until) > %s",
                (PENDING, now),
            ).fetchone()
        alerts = sorted((_alert(row) for row in rows), key=lambda a: (-a.priority, a.id))
        return alerts, None if found is None else found["next_at"]

    def count_due(self, now: float) -> int:
        """How many alerts are due at `now`, whichever bridge holds them (claims none)."""
        with self._transaction("read the queue") as db:
            found = db.execute(
                "SELECT count(*) AS n FROM alerts AS a WHERE a.status = %s AND a.not_before <= %s"
                " AND NOT EXISTS (SELECT 1 FROM alerts AS b"
                "  WHERE b.tag = a.tag AND b.status = %s AND b.id < a.id)",
                (PENDING, now, PENDING),
            ).fetchone()
        assert found is not None
        return int(found["n"])

    def stats(self) -> QueueStats:
        with self._transaction("read the queue") as db:
            found = db.execute(
                "SELECT count(*) AS n, min(created_at) AS oldest FROM alerts WHERE status = %s",
                (PENDING,),
            ).fetchone()
        assert found is not None
        return QueueStats(int(found["n"]), found["oldest"])

    def pending(self) -> int:
        return self.stats().pending

    def get(self, alert_id: int) -> QueuedAlert | None:
        with self._transaction("read the queue") as db:
            row = db.execute(f"SELECT {_COLUMNS} FROM alerts WHERE id = %s", (alert_id,)).fetchone()
        return None if row is None else _alert(row)

    def all(self) -> list[QueuedAlert]:
        with self._transaction("read the queue") as db:
            rows = db.execute(f"SELECT {_COLUMNS} FROM alerts ORDER BY id").fetchall()
        return [_alert(row) for row in rows]


def _alert(row: Mapping[str, Any]) -> QueuedAlert:
    return QueuedAlert(
        id=int(row["id"]),
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
        history_id=None if row["history_id"] is None else int(row["history_id"]),
        error=row["error"],
        created_at=row["created_at"],
    )
