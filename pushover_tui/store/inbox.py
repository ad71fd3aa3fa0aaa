"""Messages the inbox received: the `inbox` table of the history database (store/history.py
creates it), so they outlive Pushover's copy, which is deleted once downloaded.

A message is stored once per profile and device however often it is downloaded (Pushover keeps it
until a delete succeeds): `add` skips the ones already there and returns only the new rows, which
are all a listener ever hears about. A row also says whether it was shown (`printed_at`): what
was stored but never printed is printed by the next `inbox`, so a crash or a closed pipe
between storing and printing loses nothing. Imported on start-up: no Textual, no httpx here.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pushover_tui.api.inbox import ReceivedMessage
from pushover_tui.store.history import History

_COLUMNS = "id, profile, device, received_at, acknowledged_at, raw"
_NEWEST_FIRST = "ORDER BY received_at DESC, id DESC"


@dataclass(frozen=True)
class InboxRow:
    id: int
    profile: str
    device: str  # the receiving device's name
    received_at: float  # Unix time it was stored here
    message: ReceivedMessage
    acknowledged_at: float | None  # when it was acknowledged from this machine

    @property
    def acknowledged(self) -> bool:
        return self.message.acked or self.acknowledged_at is not None

    @property
    def awaits_ack(self) -> bool:
        """An emergency nobody acknowledged yet (as far as this machine knows)."""
        return self.message.awaits_ack and self.acknowledged_at is None

    def to_json(self) -> dict[str, Any]:
        """The message with the API's field names, plus where and when it was received."""
        return {
            **self.message.to_json(),
            "acked": int(self.acknowledged),
            "profile": self.profile,
            "device": self.device,
            "received_at": datetime.fromtimestamp(self.received_at, UTC).isoformat(),
        }


class InboxStore:
    """The inbox table, through the history database's connection and lock."""

    def __init__(self, history: History) -> None:
        self.history = history

    def add(
        self,
        profile: str,
        device: str,
        messages: Iterable[ReceivedMessage],
        *,
        now: float | None = None,
        printed: bool = False,
    ) -> list[InboxRow]:
        """Store the messages (one transaction); returns the ones not stored before, in order.
        `printed`: they count as shown already (the dashboard lists what is stored)."""
        received_at = time.time() if now is None else now
        new: list[InboxRow] = []
        with self.history.writing() as connection:
            for message in messages:
                cursor = connection.execute(
                    "INSERT INTO inbox (profile, device, message_id, umid, received_at, date,"
                    " priority, app, title, message, receipt, raw, printed_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (profile, device, message_id) DO NOTHING",
                    (
                        profile,
                        device,
                        str(message.id),
                        str(message.umid),
                        received_at,
                        message.date,
                        message.priority,
                        message.app,
                        message.title,
                        message.message,
                        message.receipt or None,
                        json.dumps(dict(message.raw), ensure_ascii=False, sort_keys=True),
                        received_at if printed else None,
                    ),
                )
                if cursor.rowcount == 1 and cursor.lastrowid is not None:
                    new.append(
                        InboxRow(cursor.lastrowid, profile, device, received_at, message, None)
                    )
        return new

    def acknowledged(
        self, profile: str, receipt: str, *, now: float | None = None
    ) -> list[InboxRow]:
        """Record that the emergency with `receipt` was acknowledged from here; returns its rows."""
        with self.history.writing() as connection:
            connection.execute(
                "UPDATE inbox SET acknowledged_at = ?"
                " WHERE profile = ? AND receipt = ? AND acknowledged_at IS NULL",
                (time.time() if now is None else now, profile, receipt),
            )
        return self._select("WHERE profile = ? AND receipt = ? ORDER BY id", (profile, receipt))

    def unprinted(self, profile: str) -> list[InboxRow]:
        """The profile's stored messages never shown, in the order they arrived."""
        return self._select("WHERE profile = ? AND printed_at IS NULL ORDER BY id", (profile,))

    def mark_printed(self, rows: Iterable[InboxRow], *, now: float | None = None) -> None:
        """Record that the rows were printed (one transaction)."""
        stamp = time.time() if now is None else now
        with self.history.writing() as connection:
            connection.executemany(
                "UPDATE inbox SET printed_at = ? WHERE id = ?", [(stamp, row.id) for row in rows]
            )

    def page(self, profile: str, *, offset: int = 0, limit: int = 100) -> list[InboxRow]:
        """The profile's received messages, newest first."""
        return self._select(
            f"WHERE profile = ? {_NEWEST_FIRST} LIMIT ? OFFSET ?", (profile, limit, offset)
        )

    def count(self, profile: str) -> int:
        with self.history.reading() as connection:
            found = connection.execute("SELECT count(*) FROM inbox WHERE profile = ?", (profile,))
            return int(found.fetchone()[0])

    def get(self, row_id: int) -> InboxRow | None:
        rows = self._select("WHERE id = ?", (row_id,))
        return rows[0] if rows else None

    def _select(self, sql: str, args: tuple[Any, ...]) -> list[InboxRow]:
        with self.history.reading() as connection:
            rows = connection.execute(f"SELECT {_COLUMNS} FROM inbox {sql}", args).fetchall()
        return [row for row in map(_row, rows) if row is not None]


def _row(row: sqlite3.Row) -> InboxRow | None:
    message = ReceivedMessage.from_api(json.loads(row["raw"]))
    if message is None:  # never stored without an id; only a hand-edited file gets here
        return None
    return InboxRow(
        id=row["id"],
        profile=row["profile"],
        device=row["device"],
        received_at=row["received_at"],
        message=message,
        acknowledged_at=row["acknowledged_at"],
    )
