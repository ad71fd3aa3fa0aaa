"""History of sent messages in SQLite, shared by the TUI, the command line and cron jobs.

One row per message, written as `sending` (committed) before the request leaves, then updated.
Several processes write the same file: WAL, a 10 s busy timeout and `BEGIN IMMEDIATE` for every
write make them queue instead of failing with "database is locked".

Imported on start-up: no Textual, no httpx here.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from pushover_tui.api.models import Message, Quota, Receipt, ReceiptState, SendResult
from pushover_tui.api.secret import Secret
from pushover_tui.store.base import HistoryError, OverviewCounts, Store
from pushover_tui.store.files import SQLiteStore, open_sqlite, sqlite_trouble

if TYPE_CHECKING:
    from pushover_tui.api.beyond_messages import Glance

FILE_NAME = "history.sqlite3"
INTERRUPTED_TEXT = (
    "Outcome unknown: the sending process stopped before Pushover answered. "
    "Check your device before resending."
)
# A send this process stopped (Esc in the dashboard, Ctrl-C) while the request may have left.
STOPPED_TEXT = "Stopped by you; it may have been delivered. Check your device before resending."
_FORBIDDEN_KEYS = frozenset({"token", "user"})  # credentials never go into history


class RowKind(StrEnum):
    """What a row records: a message (messages.json) or a glance (glances.json)."""

    MESSAGE = "message"
    GLANCE = "glance"


class Status(StrEnum):
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class HistoryFilter:
    status: Status | None = None
    priority: int | None = None
    search: str = ""  # in title, message, request id, receipt and error (case-insensitive)
    profile: str | None = None
    origin: str | None = None
    receipt_state: ReceiptState | None = None
    recipient: str | None = None  # masked, as stored: Secret(key).masked()
    kind: RowKind | None = None


@dataclass(frozen=True)
class HistoryRow:
    id: int
    created_at: float  # Unix time
    updated_at: float
    status: Status
    origin: str  # "tui" | "cli" | "sentry"
    profile: str
    priority: int
    title: str
    message: str
    params: Mapping[str, Any]  # Message.params(): every parameter sent, API field names
    request_id: str
    receipt: str | None
    receipt_state: ReceiptState | None
    receipt_info: Receipt | None  # the last polled receipt; acknowledged_by is stored masked
    quota: Quota
    error: str
    meta: Mapping[str, Any]  # e.g. {"sentry_issue": "123", "link": "..."}
    recipient: str = ""  # the user or group key sent to, masked; blank in rows from before v2
    kind: RowKind = RowKind.MESSAGE  # a glance's params are its fields (title, text, count…)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready, with the API's field names; never a token or user key."""
        data: dict[str, Any] = {
            "id": self.id,
            "kind": str(self.kind),
            "status": str(self.status),
            "origin": self.origin,
            "profile": self.profile,
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
        }
        # Every field always present (blank when not sent), so scripts can index the object.
        data.update(_MESSAGE_FIELDS if self.kind is RowKind.MESSAGE else _GLANCE_FIELDS)
        data.update(self.params)
        data["priority"] = self.priority
        data["request"] = self.request_id
        data["receipt"] = self.receipt
        data["receipt_state"] = None if self.receipt_state is None else str(self.receipt_state)
        if self.receipt:
            data.update((self.receipt_info or Receipt(self.receipt)).fields())
            data["receipt"] = self.receipt
        data["error"] = self.error
        data["quota"] = {
            "limit": self.quota.limit,
            "remaining": self.quota.remaining,
            "reset": self.quota.reset,
        }
        data["meta"] = dict(self.meta)
        data["recipient"] = self.recipient
        return data


# The messages.json fields, as `to_json` shows them when a message did not set them.
_MESSAGE_FIELDS: Mapping[str, Any] = MappingProxyType(
    {
        "message": "",
        "title": "",
        "url": "",
        "url_title": "",
        "sound": "",
        "device": "",
        "timestamp": None,
        "ttl": None,
        "html": 0,
        "monospace": 0,
        "attachment": None,
        "retry": None,
        "expire": None,
        "callback": "",
        "tags": "",
    }
)


# The glances.json fields, likewise.
_GLANCE_FIELDS: Mapping[str, Any] = MappingProxyType(
    {"title": "", "text": "", "subtext": "", "count": None, "percent": None, "device": ""}
)


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat()


# ---------------------------------------------------------------------------------------------
# Schema. Each entry migrates from version N to N+1 inside one transaction; add, never edit.

_V1 = (
    """
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        status TEXT NOT NULL,
        origin TEXT NOT NULL,
        profile TEXT NOT NULL,
        priority INTEGER NOT NULL,
        title TEXT NOT NULL DEFAULT '',
        message TEXT NOT NULL DEFAULT '',
        params TEXT NOT NULL DEFAULT '{}',
        request_id TEXT NOT NULL DEFAULT '',
        receipt TEXT,
        receipt_state TEXT,
        receipt_info TEXT,
        quota_limit INTEGER,
        quota_remaining INTEGER,
        quota_reset INTEGER,
        error TEXT NOT NULL DEFAULT '',
        meta TEXT NOT NULL DEFAULT '{}',
        pid INTEGER NOT NULL,
        host TEXT NOT NULL,
        process TEXT NOT NULL
    )
    """,
    # (column, created_at) lets "newest first, filtered by column" read the index backwards and
    # stop after one page: no full scan and no temporary sort, whatever the table size.
    "CREATE INDEX messages_created ON messages (created_at)",
    "CREATE INDEX messages_status ON messages (status, created_at)",
    "CREATE INDEX messages_priority ON messages (priority, created_at)",
    "CREATE INDEX messages_profile ON messages (profile, created_at)",
    "CREATE INDEX messages_origin ON messages (origin, created_at)",
    "CREATE INDEX messages_receipt_state ON messages (receipt_state, created_at)",
    "CREATE INDEX messages_receipt ON messages (receipt)",
)

# Who a message went to (a user or group key, masked): shown and filtered on.
_RECIPIENT = (
    "ALTER TABLE messages ADD COLUMN recipient TEXT NOT NULL DEFAULT ''",
    "CREATE INDEX messages_recipient ON messages (recipient, created_at)",
)

# Messages received by the inbox (store/inbox.py): one row per profile, device and message id.
_INBOX = (
    """
    CREATE TABLE inbox (
        id INTEGER PRIMARY KEY,
        profile TEXT NOT NULL,
        device TEXT NOT NULL,
        message_id TEXT NOT NULL,
        umid TEXT NOT NULL,
        received_at REAL NOT NULL,
        date INTEGER NOT NULL,
        priority INTEGER NOT NULL,
        app TEXT NOT NULL DEFAULT '',
        title TEXT NOT NULL DEFAULT '',
        message TEXT NOT NULL DEFAULT '',
        receipt TEXT,
        acknowledged_at REAL,
        raw TEXT NOT NULL
    )
    """,
    # device: the receiving device's name (its id is a secret); message_id: the API's id_str,
    # exact beyond 2**53. The unique key is what makes storing a download idempotent.
    "CREATE UNIQUE INDEX inbox_message ON inbox (profile, device, message_id)",
    "CREATE INDEX inbox_received ON inbox (profile, received_at)",
    "CREATE INDEX inbox_receipt ON inbox (receipt)",
)

# When the last poll of a receipt ended (Unix time; while one is in flight, the latest it may
# end): the receipt tracker claims each poll with `claim_poll`, so that the processes of the
# machine together poll a receipt at most every 5 s.
_POLLED_AT = ("ALTER TABLE messages ADD COLUMN polled_at REAL",)


def _acknowledged_after(row: str) -> str:
    """SQL: whole seconds from sending `row` to its acknowledgement; NULL unless acknowledged."""
    acknowledged_at = f"json_extract({row}.receipt_info, '$.acknowledged_at')"
    return (
        f"(CASE WHEN {row}.receipt_state = 'acknowledged' AND json_valid({row}.receipt_info)"
        f" AND {acknowledged_at} > 0"
        f" THEN max(0, CAST(round({acknowledged_at} - {row}.created_at) AS INTEGER)) END)"
    )


def _local_day(row: str) -> str:
    return f"date({row}.created_at, 'unixepoch', 'localtime')"


def _count(kind: str, key: str, row: str, step: str) -> str:
    """SQL for a trigger: add `step` to the count of (`kind`, `key`) in `row`'s profile."""
    return (
        "INSERT INTO message_counts (kind, key, profile, n)"
        f" VALUES ('{kind}', {key}, {row}.profile, {step})"
        f" ON CONFLICT (kind, key, profile) DO UPDATE SET n = n + ({step});"
    )


def _count_ack(row: str, step: str) -> str:
    """SQL for a trigger: add `step` to the count of `row`'s acknowledgement time, if any."""
    seconds = _acknowledged_after(row)
    return (
        f"INSERT INTO ack_seconds (seconds, profile, n) SELECT {seconds}, {row}.profile, {step}"
        f" WHERE {seconds} IS NOT NULL"
        f" ON CONFLICT (seconds, profile) DO UPDATE SET n = n + ({step});"
    )


def _count_row(row: str, step: str) -> str:
    """SQL for a trigger: add `step` to every count `row` is in."""
    return " ".join(
        (
            _count("status", f"{row}.status", row, step),
            _count("origin", f"{row}.origin", row, step),
            _count("day", _local_day(row), row, step),
            _count_ack(row, step),
        )
    )


_UNCOUNT_TRIGGER = "messages_uncounted"  # History.clear() does its work in one go

# History's overview (store/overview.py) reads these counts instead of the rows: triggers keep
# them equal to a recount of `messages` whoever writes, so an overview costs the same for 100 rows
# as for 100,000. A day is the writing process's local date (SQLite's 'localtime').
_OVERVIEW = (
    """
    CREATE TABLE message_counts (
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        profile TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (kind, key, profile)
    ) WITHOUT ROWID
    """,
    """
    CREATE TABLE ack_seconds (
        seconds INTEGER NOT NULL,
        profile TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (seconds, profile)
    ) WITHOUT ROWID
    """,
    "INSERT INTO message_counts SELECT 'status', status, profile, count(*) FROM messages"
    " GROUP BY status, profile",
    "INSERT INTO message_counts SELECT 'origin', origin, profile, count(*) FROM messages"
    " GROUP BY origin, profile",
    f"INSERT INTO message_counts SELECT 'day', {_local_day('messages')}, profile, count(*)"
    " FROM messages GROUP BY 2, 3",
    f"INSERT INTO ack_seconds SELECT {_acknowledged_after('messages')}, profile, count(*)"
    f" FROM messages WHERE {_acknowledged_after('messages')} IS NOT NULL GROUP BY 1, 2",
    f"CREATE TRIGGER messages_counted AFTER INSERT ON messages BEGIN {_count_row('NEW', '1')} END",
    f"CREATE TRIGGER {_UNCOUNT_TRIGGER} AFTER DELETE ON messages"
    f" BEGIN {_count_row('OLD', '-1')} END",
    f"""
    CREATE TRIGGER messages_status_counted AFTER UPDATE OF status ON messages
    WHEN OLD.status IS NOT NEW.status BEGIN
        {_count("status", "OLD.status", "OLD", "-1")}
        {_count("status", "NEW.status", "NEW", "1")}
    END
    """,
    f"""
    CREATE TRIGGER messages_ack_counted AFTER UPDATE OF receipt_state, receipt_info ON messages
    WHEN {_acknowledged_after("OLD")} IS NOT {_acknowledged_after("NEW")} BEGIN
        {_count_ack("OLD", "-1")}
        {_count_ack("NEW", "1")}
    END
    """,
)

# When a received message was shown: printed (and flushed) by `inbox`, or stored by the
# dashboard, which lists every stored message. NULL: stored but never shown, so the next `inbox`
# prints it (a follower killed or cut off by a closed pipe). Rows from before count as shown.
_INBOX_PRINTED = (
    "ALTER TABLE inbox ADD COLUMN printed_at REAL",
    "UPDATE inbox SET printed_at = received_at",
    "CREATE INDEX inbox_unprinted ON inbox (profile, id) WHERE printed_at IS NULL",
)

# What a row records: a message, or a glance (issue 25). Rows from before are messages.
_KIND = (
    "ALTER TABLE messages ADD COLUMN kind TEXT NOT NULL DEFAULT 'message'",
    "CREATE INDEX messages_kind ON messages (kind, created_at)",
)

Migration = Sequence[str] | Callable[[sqlite3.Connection], None]
MIGRATIONS: tuple[Migration, ...] = (
    _V1,
    _RECIPIENT,
    _INBOX,
    _POLLED_AT,
    _OVERVIEW,
    _INBOX_PRINTED,
    _KIND,
)
SCHEMA_VERSION = len(MIGRATIONS)

_COLUMNS = (
    "id, created_at, updated_at, status, origin, profile, priority, title, message, params, "
    "request_id, receipt, receipt_state, receipt_info, quota_limit, quota_remaining, "
    "quota_reset, error, meta, recipient, kind"
)
_ORDER = {False: "created_at DESC, id DESC", True: "created_at ASC, id ASC"}


# ---------------------------------------------------------------------------------------------
# The process identity used to tell a live sender from a dead one.

_process: tuple[int, str] | None = None


def _process_id() -> str:
    """A random id for this process (renewed after fork): tells our rows from a reused pid's."""
    global _process
    if _process is None or _process[0] != os.getpid():
        _process = (os.getpid(), os.urandom(16).hex())  # not uuid4: its module costs ~1 ms
    return _process[1]


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if sys.platform == "win32":
        return True  # os.kill(pid, 0) would terminate it on Windows; rely on stale_after there
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by another user
    except OSError:
        return True
    return True


def left_by_gone_processes(
    candidates: Sequence[Sequence[Any]], my_host: str, now: float, stale_after: float
) -> list[int]:
    """Of (id, created_at, pid, host, process) rows still `sending`, the ids a gone process
    left: on this host, a dead pid (or ours under another process id: a reused pid); on any
    host, older than `stale_after`. Never this process's rows."""
    me = _process_id()
    gone = []
    for row_id, created_at, pid, host, process in candidates:
        if process == me and pid == os.getpid() and host == my_host:
            continue
        dead = host == my_host and (pid == os.getpid() or not _pid_alive(pid))
        if dead or now - created_at > stale_after:
            gone.append(row_id)
    return gone


# ---------------------------------------------------------------------------------------------


class History(SQLiteStore, Store):
    """The history database (the SQLite backend of `Store`). Thread-safe: one connection
    guarded by a lock."""

    kind = "sqlite"
    WATCH_SECONDS = 0.5  # how often `subscribe` looks at data_version

    def __init__(self, path: Path) -> None:
        Store.__init__(self)
        self.path = Path(path)
        self._watching = threading.Event()  # set: stop the subscribers' thread
        self._lock = threading.RLock()
        self._host = socket.gethostname()
        self._connection: sqlite3.Connection | None = None
        try:
            self._connection = open_sqlite(self.path)  # makes the folder too
        except OSError as error:
            if not self.path.parent.is_dir():
                raise HistoryError(
                    f"Cannot create the history folder {self.path.parent}: "
                    f"{error.strerror or error}."
                ) from None
            raise HistoryError(
                f"Cannot open the history file {self.path}: {error.strerror or error} "
                "(check the folder's permissions, or set PUSHOVER_TUI_DATA to another folder)."
            ) from None
        except sqlite3.Error as error:
            raise self._error(error, "open") from None
        try:
            self._migrate()
        except sqlite3.Error as error:
            self.close()
            raise self._error(error, "open") from None
        except HistoryError:
            self.close()
            raise

    @classmethod
    def open(cls, folder: Path) -> History:
        return cls(Path(folder) / FILE_NAME)

    def close(self) -> None:
        self._watching.set()
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def location(self) -> str:
        return str(self.path)

    def _start_watching(self) -> None:
        threading.Thread(target=self._watch, name="history-watch", daemon=True).start()

    def _watch(self) -> None:
        try:
            seen = self.data_version()
            while not self._watching.wait(self.WATCH_SECONDS):
                if (current := self.data_version()) != seen:
                    seen = current
                    self._changed()
        except HistoryError:
            return  # closed: nothing left to watch

    # -- plumbing ------------------------------------------------------------------------------

    def _error(self, error: sqlite3.Error, action: str) -> HistoryError:
        trouble = sqlite_trouble(error)
        if trouble == "read-only":
            folder = self.path.parent
            return HistoryError(
                f"Cannot {action} the history file {self.path}: the folder {folder} is not "
                "writable (check its permissions, or set PUSHOVER_TUI_DATA to another folder)."
            )
        if trouble == "full":
            return HistoryError(
                f"Cannot {action} the history file {self.path}: the disk is full. "
                "Free some space and try again."
            )
        if trouble == "damaged":
            return HistoryError(
                f"{self.path} is not a pushover-tui history database (or it is damaged): "
                "move it away and start again."
            )
        if trouble == "locked":
            return HistoryError(
                f"The history file {self.path} stayed locked by another program for 10 "
                "seconds: try again."
            )
        return HistoryError(f"Cannot {action} the history file {self.path}: {error}.")

    def _closed(self) -> HistoryError:
        return HistoryError(f"The history file {self.path} is closed.")

    # Other tables of this database (store/inbox.py) share the connection, lock and error texts.
    reading = SQLiteStore._read
    writing = SQLiteStore._write

    def _migrate(self) -> None:
        assert self._connection is not None
        version = self._connection.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            return
        if version > SCHEMA_VERSION:
            raise HistoryError(
                f"The history file {self.path} was written by a newer pushover-tui (schema "
                f"{version}, this one knows {SCHEMA_VERSION}): upgrade pushover-tui to use it."
            )
        with self._write() as connection:
            # Read again inside the lock: another process may have migrated meanwhile.
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            for number in range(version, SCHEMA_VERSION):
                step = MIGRATIONS[number]
                if callable(step):
                    step(connection)
                else:
                    for statement in step:
                        connection.execute(statement)
                connection.execute(f"PRAGMA user_version = {number + 1}")

    def schema_version(self) -> int:
        with self._read() as connection:
            return int(connection.execute("PRAGMA user_version").fetchone()[0])

    # -- writes --------------------------------------------------------------------------------

    def record_sending(
        self,
        message: Message | Glance,
        *,
        profile: str,
        origin: str,
        meta: Mapping[str, Any] | None = None,
        recipient: Secret | None = None,
    ) -> int:
        """Insert the row as `sending` and commit before returning its id. The recipient's key
        is stored masked only."""
        kind, priority, title, text, params, meta_text = sending_values(message, meta)
        now = time.time()
        with self._write() as connection:
            cursor = connection.execute(
                "INSERT INTO messages (created_at, updated_at, status, origin, profile, priority,"
                " title, message, params, meta, pid, host, process, recipient, kind)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    now,
                    now,
                    Status.SENDING.value,
                    origin,
                    profile,
                    priority,
                    title,
                    text,
                    params,
                    meta_text,
                    os.getpid(),
                    self._host,
                    _process_id(),
                    recipient.masked() if recipient else "",
                    kind,
                ),
            )
            row_id = cursor.lastrowid
        assert row_id is not None
        return row_id

    def record_sent(self, row_id: int, result: SendResult) -> None:
        with self._write() as connection:
            connection.execute(
                "UPDATE messages SET status = ?, updated_at = ?, request_id = ?, receipt = ?,"
                " receipt_state = ?, quota_limit = ?, quota_remaining = ?, quota_reset = ?,"
                " error = '' WHERE id = ?",
                (
                    Status.SENT.value,
                    time.time(),
                    result.request,
                    result.receipt,
                    ReceiptState.AWAITING.value if result.receipt else None,
                    *_quota_values(result.quota),
                    row_id,
                ),
            )

    def record_failed(
        self, row_id: int, error: str, *, request_id: str = "", quota: Quota | None = None
    ) -> None:
        with self._write() as connection:
            connection.execute(
                "UPDATE messages SET status = ?, updated_at = ?, error = ?, request_id = ?"
                " WHERE id = ?",
                (Status.FAILED.value, time.time(), error, request_id, row_id),
            )
            if quota is not None:
                connection.execute(
                    "UPDATE messages SET quota_limit = ?, quota_remaining = ?, quota_reset = ?"
                    " WHERE id = ?",
                    (*_quota_values(quota), row_id),
                )

    def record_receipt(
        self, row_id: int, receipt: Receipt, *, polled_at: float | None = None
    ) -> bool:
        """Store a polled receipt, and with `polled_at` when that poll ended (see `claim_poll`);
        True if the receipt changed (so callers refresh only then)."""
        info = _receipt_fields(receipt)
        with self._write() as connection:
            if polled_at is not None:
                connection.execute(
                    "UPDATE messages SET polled_at = ? WHERE id = ?", (polled_at, row_id)
                )
            found = connection.execute(
                "SELECT receipt_state, receipt_info FROM messages WHERE id = ?", (row_id,)
            ).fetchone()
            if found is None:
                return False
            old_state, old_info = found
            state = receipt.state.value
            # A poll answered just after a cancel still says "awaiting": keep "cancelled", or
            # the tracker would start polling the cancelled receipt again.
            if old_state == ReceiptState.CANCELLED.value and state == ReceiptState.AWAITING.value:
                state = old_state
            new_info = _dumps(info)
            if old_state == state and old_info == new_info:
                return False
            connection.execute(
                "UPDATE messages SET receipt_state = ?, receipt_info = ?, updated_at = ?"
                " WHERE id = ?",
                (state, new_info, time.time(), row_id),
            )
            return True

    def claim_poll(self, row_id: int, *, now: float, interval: float, lease: float) -> bool:
        """Claim the next poll of the row's open receipt: True for exactly one caller (of every
        process) per `interval` since the last poll ended, and only while it is awaiting.

        The winner's request is in flight for up to `lease` seconds: until it reports when it
        ended (`record_receipt(polled_at=...)` or `end_poll`), the claim counts as a poll ending
        then, so a request slow to leave never lands closer than `interval` to the next one; a
        winner that dies mid-poll holds the receipt `lease` seconds at most."""
        with self._write() as connection:
            claimed = connection.execute(
                "UPDATE messages SET polled_at = ? WHERE id = ? AND receipt_state = ?"
                " AND (polled_at IS NULL OR polled_at <= ?)",
                (now + lease, row_id, ReceiptState.AWAITING.value, now - interval),
            ).rowcount
        return claimed == 1

    def end_poll(self, row_id: int, *, at: float) -> None:
        """A claimed poll ended at `at` without a receipt to record (it failed or was stopped)."""
        with self._write() as connection:
            connection.execute("UPDATE messages SET polled_at = ? WHERE id = ?", (at, row_id))

    def record_interrupted(self, row_id: int, error: str = STOPPED_TEXT) -> None:
        """A send this process stopped while the request may have left: `sending` becomes
        `interrupted` with `error` (any other outcome already recorded stays)."""
        with self._write() as connection:
            connection.execute(
                "UPDATE messages SET status = ?, error = ?, updated_at = ? WHERE id = ?"
                " AND status = ?",
                (Status.INTERRUPTED.value, error, time.time(), row_id, Status.SENDING.value),
            )

    def record_cancelled(self, row_id: int) -> None:
        """An open emergency was cancelled; one already acknowledged or expired keeps its state."""
        with self._write() as connection:
            connection.execute(
                "UPDATE messages SET receipt_state = ?, updated_at = ? "
                "WHERE id = ? AND receipt_state = ?",
                (ReceiptState.CANCELLED.value, time.time(), row_id, ReceiptState.AWAITING.value),
            )

    def mark_interrupted(self, *, stale_after: float = 600.0) -> int:
        """Rows left `sending` by a process that is gone become `interrupted`; returns how many.

        Same host: the pid is dead, or it is alive but the row is older than `stale_after` (the
        pid was reused, or the sender hung). Another host: only by age. Never this process's rows.
        """
        now = time.time()
        with self._write() as connection:
            candidates = connection.execute(
                "SELECT id, created_at, pid, host, process FROM messages WHERE status = ?",
                (Status.SENDING.value,),
            ).fetchall()
            gone = left_by_gone_processes(candidates, self._host, now, stale_after)
            for row_id in gone:
                connection.execute(
                    "UPDATE messages SET status = ?, error = ?, updated_at = ?"
                    " WHERE id = ? AND status = ?",
                    (Status.INTERRUPTED.value, INTERRUPTED_TEXT, now, row_id, Status.SENDING.value),
                )
        return len(gone)

    def delete(self, row_id: int) -> bool:
        with self._write() as connection:
            return connection.execute("DELETE FROM messages WHERE id = ?", (row_id,)).rowcount > 0

    def clear(self) -> int:
        with self._write() as connection:
            # Every count goes with the rows: without the per-row trigger for the time of this
            # transaction, SQLite empties the table in one go (100,000 rows: 1.4 s -> 0.3 s).
            trigger = connection.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
                (_UNCOUNT_TRIGGER,),
            ).fetchone()
            if trigger is not None:
                connection.execute(f"DROP TRIGGER {_UNCOUNT_TRIGGER}")
            removed = connection.execute("DELETE FROM messages").rowcount
            if trigger is not None:
                connection.execute("DELETE FROM message_counts")
                connection.execute("DELETE FROM ack_seconds")
                connection.execute(trigger[0])
            return removed

    # -- reads ---------------------------------------------------------------------------------

    def get(self, row_id: int) -> HistoryRow | None:
        rows = self._select("WHERE id = ?", (row_id,))
        return rows[0] if rows else None

    def get_by_receipt(self, receipt: str) -> HistoryRow | None:
        rows = self._select("WHERE receipt = ? ORDER BY created_at DESC LIMIT 1", (receipt,))
        return rows[0] if rows else None

    def open_receipts(self, *, max_age: float = 7 * 86400) -> list[HistoryRow]:
        """Receipts still awaiting, oldest first; Pushover keeps receipts for a week."""
        return self._select(
            "WHERE receipt_state = ? AND created_at >= ? ORDER BY created_at ASC, id ASC",
            (ReceiptState.AWAITING.value, time.time() - max_age),
        )

    def page(
        self,
        filters: HistoryFilter = HistoryFilter(),
        *,
        offset: int = 0,
        limit: int = 100,
        oldest_first: bool = False,
    ) -> list[HistoryRow]:
        sql, args = self._page_sql(filters, offset=offset, limit=limit, oldest_first=oldest_first)
        return self._select(sql, args)

    def count(self, filters: HistoryFilter = HistoryFilter()) -> int:
        where, args = _where(filters)
        with self._read() as connection:
            return int(
                connection.execute(f"SELECT count(*) FROM messages {where}", args).fetchone()[0]
            )

    def overview_counts(self, profile: str | None, first_day: date, today: date) -> OverviewCounts:
        from pushover_tui.store.overview import sqlite_counts  # overview.py imports this module

        return sqlite_counts(self, profile, first_day, today)

    def latest_quota(self, profile: str) -> tuple[float, Quota] | None:
        from pushover_tui.store.overview import sqlite_latest_quota  # it imports this module

        return sqlite_latest_quota(self, profile)

    def queue_depth(self) -> int | None:
        """The pending alerts of the bridge whose data folder this is (None: no bridge here)."""
        from pushover_tui.store.alert_queue import FILE_NAME, AlertQueue

        path = self.path.parent / FILE_NAME
        if not path.exists():
            return None
        with AlertQueue(path) as queue:
            return queue.pending()

    def data_version(self) -> int:
        """Changes when another connection commits: lets the UI refresh only when needed."""
        with self._read() as connection:
            return int(connection.execute("PRAGMA data_version").fetchone()[0])

    def _page_sql(
        self, filters: HistoryFilter, *, offset: int, limit: int, oldest_first: bool
    ) -> tuple[str, list[Any]]:
        where, args = _where(filters)
        return f"{where} ORDER BY {_ORDER[oldest_first]} LIMIT ? OFFSET ?", [*args, limit, offset]

    def _query_plan(self, filters: HistoryFilter, *, oldest_first: bool = False) -> list[str]:
        """EXPLAIN QUERY PLAN of `page()`, for tests that keep the first page cheap."""
        sql, args = self._page_sql(filters, offset=0, limit=100, oldest_first=oldest_first)
        with self._read() as connection:
            rows = connection.execute(
                f"EXPLAIN QUERY PLAN SELECT {_COLUMNS} FROM messages {sql}", args
            ).fetchall()
        return [row[-1] for row in rows]

    def _select(self, sql: str, args: Sequence[Any]) -> list[HistoryRow]:
        with self._read() as connection:
            rows = connection.execute(f"SELECT {_COLUMNS} FROM messages {sql}", args).fetchall()
        return [_row(row) for row in rows]


# ---------------------------------------------------------------------------------------------
# Helpers


def _where(filters: HistoryFilter, *, mark: str = "?", like: str = "LIKE") -> tuple[str, list[Any]]:
    """The WHERE clause of `filters` with `mark` for each parameter (SQLite ?, psycopg %s) and
    `like` for the case-insensitive search (SQLite's LIKE is; PostgreSQL's ILIKE)."""
    clauses: list[str] = []
    args: list[Any] = []
    if filters.status is not None:
        clauses.append("status = " + mark)
        args.append(Status(filters.status).value)
    if filters.priority is not None:
        clauses.append("priority = " + mark)
        args.append(int(filters.priority))
    if filters.profile is not None:
        clauses.append("profile = " + mark)
        args.append(filters.profile)
    if filters.origin is not None:
        clauses.append("origin = " + mark)
        args.append(filters.origin)
    if filters.receipt_state is not None:
        clauses.append("receipt_state = " + mark)
        args.append(ReceiptState(filters.receipt_state).value)
    if filters.recipient is not None:
        clauses.append("recipient = " + mark)
        args.append(filters.recipient)
    if filters.kind is not None:
        clauses.append("kind = " + mark)
        args.append(RowKind(filters.kind).value)
    if search := filters.search.strip():
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        columns = ("title", "message", "request_id", "receipt", "error")
        clauses.append("(" + " OR ".join(f"{c} {like} {mark} ESCAPE '\\'" for c in columns) + ")")
        args += [pattern] * len(columns)
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", args


def sending_values(
    item: Message | Glance, meta: Mapping[str, Any] | None
) -> tuple[str, int, str, str, str, str]:
    """A new row's kind, priority, title, message, params and meta (JSON), for either store. A
    glance's message column is its other fields in one line (`text 'build green', count 12`):
    the list shows and searches it as a message's text."""
    if isinstance(item, Message):
        kind, priority, title, text = RowKind.MESSAGE, int(item.priority), item.title, item.message
    else:
        kind, priority, title, text = RowKind.GLANCE, 0, item.title, item.summary(title=False)
    params = item.params()
    meta = dict(meta or {})
    for name, mapping in (("params", params), ("meta", meta)):
        leaked = _FORBIDDEN_KEYS & set(mapping)
        if leaked:
            raise ValueError(f"history {name} may not contain {sorted(leaked)}")
    return kind.value, priority, title, text, _dumps(params), _dumps(meta)


def _dumps(value: Mapping[str, Any]) -> str:
    def refuse(item: object) -> Any:
        if isinstance(item, Secret):
            raise ValueError("a Secret may not be stored in history")
        raise TypeError(f"cannot store {type(item).__name__} in history")

    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=refuse)


def _quota_values(quota: Quota) -> tuple[int | None, int | None, int | None]:
    return quota.limit, quota.remaining, quota.reset


def _receipt_fields(receipt: Receipt) -> dict[str, Any]:
    fields = receipt.fields()
    # acknowledged_by is a user key: keep only a masked hint, as for our own keys.
    if fields["acknowledged_by"]:
        fields["acknowledged_by"] = Secret(fields["acknowledged_by"]).masked()
    return fields


def _row(row: Mapping[str, Any]) -> HistoryRow:
    info = row["receipt_info"]
    state = row["receipt_state"]
    return HistoryRow(
        id=row["id"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        status=Status(row["status"]),
        origin=row["origin"],
        profile=row["profile"],
        priority=row["priority"],
        title=row["title"],
        message=row["message"],
        params=MappingProxyType(json.loads(row["params"])),
        request_id=row["request_id"],
        receipt=row["receipt"],
        receipt_state=None if state is None else ReceiptState(state),
        receipt_info=_receipt_from(json.loads(info)) if info else None,
        quota=Quota(row["quota_limit"], row["quota_remaining"], row["quota_reset"]),
        error=row["error"],
        meta=MappingProxyType(json.loads(row["meta"])),
        recipient=row["recipient"],
        kind=RowKind(row["kind"]),
    )


def _receipt_from(info: Mapping[str, Any]) -> Receipt:
    return Receipt(
        receipt=str(info.get("receipt", "")),
        acknowledged=bool(info.get("acknowledged")),
        acknowledged_at=int(info.get("acknowledged_at") or 0),
        acknowledged_by=str(info.get("acknowledged_by", "")),
        acknowledged_by_device=str(info.get("acknowledged_by_device", "")),
        last_delivered_at=int(info.get("last_delivered_at") or 0),
        expired=bool(info.get("expired")),
        expires_at=int(info.get("expires_at") or 0),
        called_back=bool(info.get("called_back")),
        called_back_at=int(info.get("called_back_at") or 0),
    )
