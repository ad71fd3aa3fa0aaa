"""The history in PostgreSQL, shared by every host of a team (the `Store` of store/base.py).

- A small pool of connections per process (psycopg_pool, `POOL_SIZE`) for reads and writes,
  each call one short transaction on one of them. Losing the server closes the pool; the next
  call probes the server with a connection of its own and opens a new pool once it answers: a
  call while it is down raises StoreUnreachableError and changes nothing. One more connection
  LISTENs, started only by a subscriber (the dashboard).
- Numbered migrations (`MIGRATIONS`, add, never edit) run at start inside one transaction under
  an advisory lock, so two hosts starting at once migrate once; `pushover_schema` holds the
  version.
- A statement trigger on `messages` NOTIFYs `pushover_messages` on every change: every
  dashboard hears of a row another host wrote within a second, without polling the store.
- The URL's password never leaves `StoreURL`: every sentence shows the masked URL and scrubs
  the password from the server's text.

Imported only when a PostgreSQL URL is set (store/base.py `open_store`): psycopg is the
`postgres` extra.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import select
import socket
import threading
import time
import weakref
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolClosed, PoolTimeout

from pushover_tui.api.beyond_messages import Glance
from pushover_tui.api.models import Message, Quota, Receipt, ReceiptState, SendResult
from pushover_tui.api.secret import Secret, redact
from pushover_tui.safe_text import escape_controls
from pushover_tui.store.base import (
    HistoryError,
    OverviewCounts,
    Store,
    StoreUnreachableError,
    StoreURLError,
)
from pushover_tui.store.history import (
    _COLUMNS,
    _ORDER,
    INTERRUPTED_TEXT,
    STOPPED_TEXT,
    HistoryFilter,
    HistoryRow,
    Status,
    _dumps,
    _process_id,
    _quota_values,
    _receipt_fields,
    _row,
    _where,
    left_by_gone_processes,
    sending_values,
)
from pushover_tui.store.url import StoreURL

log = logging.getLogger(__name__)

CHANNEL = "pushover_messages"
_EVERYTHING = HistoryFilter()
CONNECT_TIMEOUT = 5  # seconds, unless the URL says otherwise
POOL_SIZE = 4  # connections per process at most: a process makes a few short calls at once
# The store says itself, in one masked sentence, when the server is unreachable; the pool's own
# warnings (a reconnect that failed, a thread stopped late) would only repeat it.
logging.getLogger("psycopg.pool").setLevel(logging.ERROR)
# pg_advisory_xact_lock key for migrations: any fixed number; this one spells "pushover".
MIGRATION_LOCK = 0x7075_7368_6F76_6572

# Each entry migrates from version N to N+1 inside one transaction; add, never edit.
_V1 = (
    """
    CREATE TABLE messages (
        id bigserial PRIMARY KEY,
        created_at double precision NOT NULL,
        updated_at double precision NOT NULL,
        status text NOT NULL,
        origin text NOT NULL,
        profile text NOT NULL,
        priority integer NOT NULL,
        title text NOT NULL DEFAULT '',
        message text NOT NULL,
        params text NOT NULL DEFAULT '{}',
        request_id text NOT NULL DEFAULT '',
        receipt text,
        receipt_state text,
        receipt_info text,
        quota_limit integer,
        quota_remaining integer,
        quota_reset bigint,
        error text NOT NULL DEFAULT '',
        meta text NOT NULL DEFAULT '{}',
        pid integer NOT NULL,
        host text NOT NULL,
        process text NOT NULL,
        recipient text NOT NULL DEFAULT '',
        polled_at double precision,
        -- host:process:id of the SQLite row `store import` copied (NULL for rows sent here)
        import_key text UNIQUE
    )
    """,
    "CREATE INDEX messages_created ON messages (created_at)",
    "CREATE INDEX messages_status ON messages (status, created_at)",
    "CREATE INDEX messages_priority ON messages (priority, created_at)",
    "CREATE INDEX messages_profile ON messages (profile, created_at)",
    "CREATE INDEX messages_origin ON messages (origin, created_at)",
    "CREATE INDEX messages_receipt_state ON messages (receipt_state, created_at)",
    "CREATE INDEX messages_receipt ON messages (receipt)",
    "CREATE INDEX messages_recipient ON messages (recipient, created_at)",
    f"""
    CREATE FUNCTION pushover_messages_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM pg_notify('{CHANNEL}', '');
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER messages_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON messages
    FOR EACH STATEMENT EXECUTE FUNCTION pushover_messages_changed()
    """,
)

# Version 2: the Sentry bridge's alert queue, shared by every bridge (store/postgres_queue.py).
# A bridge claims an alert with a lease (`lease_until`): while it holds one no other bridge sends
# the alert; a bridge killed mid-send loses its leases when they run out.
_V2 = (
    """
    CREATE TABLE alerts (
        id bigserial PRIMARY KEY,
        key text NOT NULL UNIQUE,
        kind text NOT NULL,
        tag text NOT NULL,
        resource text NOT NULL,
        action text NOT NULL,
        issue text NOT NULL,
        priority integer NOT NULL DEFAULT 0,
        params text NOT NULL DEFAULT '{}',
        meta text NOT NULL DEFAULT '{}',
        status text NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        not_before double precision NOT NULL DEFAULT 0,
        history_id bigint,
        error text NOT NULL DEFAULT '',
        created_at double precision NOT NULL,
        updated_at double precision NOT NULL,
        lease_until double precision NOT NULL DEFAULT 0,
        leased_by text NOT NULL DEFAULT ''
    )
    """,
    "CREATE INDEX alerts_status ON alerts (status, not_before, id)",
    "CREATE INDEX alerts_tag ON alerts (tag, status, id)",
)

# Version 3: what a row records, a message or a glance (issue 25). Rows from before are messages.
_V3_ROW_KIND = (
    "ALTER TABLE messages ADD COLUMN kind text NOT NULL DEFAULT 'message'",
    "CREATE INDEX messages_kind ON messages (kind, created_at)",
)

# Version 4: History's overview reads counts, not rows (store/overview.py), as in SQLite: three
# small tables that statement triggers keep equal to a recount of `messages`, whoever writes.
# A statement's changed rows (its transition tables) are summed first, then each count updated
# once, in key order: two writers lock the counts in the same order, never each other's.
# Days: rows count by the UTC quarter-hour they were created in (`QUARTER` s), which a reader
# turns into its own local days (every UTC offset is a whole number of quarter-hours).
QUARTER = 900


def _acknowledged_after(rows: str) -> str:
    """SQL: whole seconds from sending to acknowledgement of `rows`' row; NULL unless
    acknowledged."""
    at = f"({rows}.receipt_info::jsonb ->> 'acknowledged_at')::double precision"
    return (
        f"CASE WHEN {rows}.receipt_state = 'acknowledged' AND {at} > 0"
        f" THEN greatest(0, round({at} - {rows}.created_at))::integer END"
    )


def _count_changes(changes: str) -> str:
    """The body of a trigger function: add the rows of `changes` (columns of messages plus a
    `step`, 1 or -1) to the counts."""
    return f"""
    BEGIN
        INSERT INTO message_counts (kind, key, profile, n)
        SELECT kind, key, profile, sum(step) FROM (
            SELECT 'status' AS kind, status AS key, profile, step FROM ({changes}) AS c
            UNION ALL SELECT 'origin', origin, profile, step FROM ({changes}) AS c
        ) AS counted GROUP BY 1, 2, 3 HAVING sum(step) <> 0 ORDER BY 1, 2, 3
        ON CONFLICT (kind, key, profile) DO UPDATE SET n = message_counts.n + EXCLUDED.n;
        INSERT INTO message_quarters (quarter, profile, n)
        SELECT floor(created_at / {QUARTER})::bigint, profile, sum(step) FROM ({changes}) AS c
        GROUP BY 1, 2 HAVING sum(step) <> 0 ORDER BY 1, 2
        ON CONFLICT (quarter, profile) DO UPDATE SET n = message_quarters.n + EXCLUDED.n;
        INSERT INTO ack_seconds (seconds, profile, n)
        SELECT {_acknowledged_after("c")}, profile, sum(step) FROM ({changes}) AS c
        WHERE {_acknowledged_after("c")} IS NOT NULL
        GROUP BY 1, 2 HAVING sum(step) <> 0 ORDER BY 1, 2
        ON CONFLICT (seconds, profile) DO UPDATE SET n = ack_seconds.n + EXCLUDED.n;
        RETURN NULL;
    END
    """


_COUNTED = "status, origin, profile, created_at, receipt_state, receipt_info"
_V4_OVERVIEW_COUNTS = (
    """
    CREATE TABLE message_counts (
        kind text NOT NULL,
        key text NOT NULL,
        profile text NOT NULL,
        n bigint NOT NULL,
        PRIMARY KEY (kind, key, profile)
    )
    """,
    """
    CREATE TABLE message_quarters (
        quarter bigint NOT NULL,
        profile text NOT NULL,
        n bigint NOT NULL,
        PRIMARY KEY (quarter, profile)
    )
    """,
    """
    CREATE TABLE ack_seconds (
        seconds integer NOT NULL,
        profile text NOT NULL,
        n bigint NOT NULL,
        PRIMARY KEY (seconds, profile)
    )
    """,
    # Under the migration's transaction: rows written meanwhile wait, then are counted.
    "LOCK TABLE messages IN SHARE ROW EXCLUSIVE MODE",
    f"""
    CREATE FUNCTION pushover_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
    {_count_changes(f"SELECT {_COUNTED}, 1 AS step FROM new_rows")}
    $$
    """,
    f"""
    CREATE FUNCTION pushover_count_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
    {_count_changes(f"SELECT {_COUNTED}, -1 AS step FROM old_rows")}
    $$
    """,
    f"""
    CREATE FUNCTION pushover_count_updated() RETURNS trigger LANGUAGE plpgsql AS $$
    {
        _count_changes(
            f"SELECT {_COUNTED}, 1 AS step FROM new_rows"
            f" UNION ALL SELECT {_COUNTED}, -1 FROM old_rows"
        )
    }
    $$
    """,
    "CREATE TRIGGER messages_counted_insert AFTER INSERT ON messages REFERENCING NEW TABLE AS"
    " new_rows FOR EACH STATEMENT EXECUTE FUNCTION pushover_count_inserted()",
    "CREATE TRIGGER messages_counted_delete AFTER DELETE ON messages REFERENCING OLD TABLE AS"
    " old_rows FOR EACH STATEMENT EXECUTE FUNCTION pushover_count_deleted()",
    "CREATE TRIGGER messages_counted_update AFTER UPDATE ON messages REFERENCING OLD TABLE AS"
    " old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION"
    " pushover_count_updated()",
    # The rows already there: the same sums, once.
    f"""
    DO $$ {
        _count_changes(f"SELECT {_COUNTED}, 1 AS step FROM messages").replace("RETURN NULL;", "")
    } $$
    """,
)

MIGRATIONS: tuple[Sequence[str], ...] = (_V1, _V2, _V3_ROW_KIND, _V4_OVERVIEW_COUNTS)
SCHEMA_VERSION = len(MIGRATIONS)


class _Writers:
    """The backends of this process's pool connections (a notification they sent is this
    process's own change). Weak: a connection the pool closed drops out, so a server that
    reuses its pid for another host's backend is heard."""

    def __init__(self) -> None:
        self._by_pid: weakref.WeakValueDictionary[int, psycopg.Connection[Any]] = (
            weakref.WeakValueDictionary()
        )

    def add(self, connection: psycopg.Connection[Any]) -> None:
        self._by_pid[connection.info.backend_pid] = connection

    def wrote(self, pid: int) -> bool:
        connection = self._by_pid.get(pid)
        return connection is not None and not connection.closed


def _reason(error: BaseException, url: StoreURL) -> str:
    """The server's or libpq's own words, first line, last clause, without the password."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    reason = text.rsplit("failed: ", 1)[-1].strip().rstrip(".")
    return escape_controls(redact(reason, url.password() or None))


def _closed_by_server(connection: psycopg.Connection[Any]) -> bool:
    """Whether the server has spoken to this idle connection since its last transaction: it
    is idle and LISTENs to nothing, so that is the server closing it (a restart, a failover,
    an idle timeout), or, rarely, a notice; either way a new connection is the safe choice.
    libpq only finds out on the next query, which would fail."""
    try:
        readable, _, _ = select.select([connection.fileno()], [], [], 0)
    except (OSError, ValueError, psycopg.Error):
        return True
    return bool(readable)


class PostgresStore(Store):
    """The history on a PostgreSQL server. Thread-safe: a small pool of connections.
    Creating one connects to nothing: the first call connects (and migrates), so a dashboard
    can start while the server is down and say so."""

    kind = "postgresql"
    RETRY_SECONDS = 1.0  # the listener's wait before connecting again after losing the server

    def __init__(self, url: StoreURL) -> None:
        super().__init__()
        self.url = url
        self._host = socket.gethostname()
        self._lock = threading.Lock()  # guards the pool's creation and loss
        self._pool: ConnectionPool[psycopg.Connection[dict[str, Any]]] | None = None
        self._writers = _Writers()  # the pool's connections, whose notifications are ours
        self._closed = False
        self._version = 0  # counts other processes' changes heard (data_version)
        self._stop = threading.Event()
        self._listener: threading.Thread | None = None
        self._listener_lock = threading.Lock()
        self.listening = threading.Event()  # set while the listener is connected
        self._migrated = False  # by this process: on its first connection
        self._last_reason = ""  # libpq's words the last time the server did not answer

    # -- connection ------------------------------------------------------------------------------

    def location(self) -> str:
        return self.url.masked()

    def _options(self) -> dict[str, Any]:
        """psycopg's connect options besides the URL (what the URL does not say already)."""
        options: dict[str, Any] = {"autocommit": True, "row_factory": dict_row}
        try:
            given = set(conninfo_to_dict(self.url.reveal()))  # names only: no password held
        except psycopg.Error as error:
            raise StoreURLError(
                f"The store URL {self.location()} is not a valid PostgreSQL URL: "
                f"{_reason(error, self.url)}."
            ) from None
        if "connect_timeout" not in given:
            options["connect_timeout"] = CONNECT_TIMEOUT
        if "application_name" not in given:
            options["application_name"] = "pushover-tui"
        return options

    def _connect(self) -> psycopg.Connection[dict[str, Any]]:
        """A connection of its own (the listener's, a probe's, an advisory lock's)."""
        options = self._options()
        try:
            return psycopg.connect(self.url.reveal(), **options)
        except psycopg.Error as error:
            raise self._unreachable(error) from None

    def _unreachable(self, error: BaseException | None = None) -> StoreUnreachableError:
        """The sentence for a server that does not answer (`error`: libpq's words; None: the
        words of the last time)."""
        if error is not None:
            self._last_reason = _reason(error, self.url)
        return StoreUnreachableError(
            f"The shared store {self.location()} is unreachable ({self._last_reason}), "
            "so nothing was done: check that the server is up and try again, or unset "
            "PUSHOVER_TUI_STORE and store.url to use this machine's own history."
        )

    def _error(self, error: psycopg.Error, action: str) -> HistoryError:
        return HistoryError(
            f"The shared store {self.location()} could not {action}: {_reason(error, self.url)}."
        )

    @contextlib.contextmanager
    def _transaction(self, action: str) -> Iterator[psycopg.Connection[dict[str, Any]]]:
        """One transaction on a connection of the pool. A lost server drops the pool (the next
        call probes the server again) and is said as unreachable."""
        pool, connection = self._borrow()
        try:
            with connection.transaction():
                yield connection
        except psycopg.Error as error:
            if connection.broken or connection.closed:
                self._lose(pool)
                raise self._unreachable(error) from None
            raise self._error(error, action) from None
        finally:
            pool.putconn(connection)
        self._set_reachable(True)

    def _borrow(
        self,
    ) -> tuple[ConnectionPool[psycopg.Connection[dict[str, Any]]], psycopg.Connection[Any]]:
        """A connection of the pool, and the pool to give it back to. One the server closed
        while idle (a restart, a failover) means the pool's others went with it: the pool is
        dropped and the server probed again, so the call works if the server is back and says
        unreachable at once if it is not (the pool would wait for its own reconnects)."""
        while True:
            pool = self._ready_pool()
            try:
                connection = pool.getconn()
            except (PoolTimeout, PoolClosed) as error:
                # Every connection busy for CONNECT_TIMEOUT s, the pool could not reconnect,
                # or another thread dropped it as the server went away.
                self._lose(pool)
                raise self._unreachable(None if isinstance(error, PoolClosed) else error) from None
            if not _closed_by_server(connection):
                return pool, connection
            connection.close()
            pool.putconn(connection)
            self._drop_pool(pool)  # not unreachable: the probe finds out

    def _ready_pool(self) -> ConnectionPool[psycopg.Connection[dict[str, Any]]]:
        """The pool, after a probe when there is none yet (first call, or the server was lost):
        one connection of the caller's own, so a server still down answers at once in libpq's
        words (a pool would retry in the background until its timeout, and say nothing of
        why), and the first probe of this process migrates."""
        with self._lock:
            if self._closed:
                raise HistoryError(f"The shared store {self.location()} is closed.")
            if self._pool is not None:
                return self._pool
            if not self.reachable and self._listener_retrying():
                # The listener is retrying: answer at once rather than wait for another
                # connect timeout on the caller's thread.
                raise self._unreachable()
            try:
                with self._connect() as probe:
                    if not self._migrated:
                        self._migrate(probe)
                        self._migrated = True
            except StoreUnreachableError:
                self._set_reachable(False)
                raise
            # A pool, not one connection behind a lock: the bridge's webhooks, its worker and
            # a dashboard's reads each take a connection rather than wait for one another.
            # Synchronous (ConnectionPool, not AsyncConnectionPool): every store call is a
            # plain function that async callers run with asyncio.to_thread, as they do for
            # SQLite, so both backends are called one way.
            self._pool = ConnectionPool(
                self.url.reveal(),
                kwargs=self._options(),
                min_size=1,
                max_size=POOL_SIZE,
                timeout=CONNECT_TIMEOUT,
                configure=self._writers.add,
                name="pushover-store",
                num_workers=1,
                open=True,
            )
            return self._pool

    def _lose(self, pool: ConnectionPool[Any]) -> None:
        """The server went away: drop the pool, and say so to subscribers."""
        self._drop_pool(pool)
        self._set_reachable(False)

    def _drop_pool(self, pool: ConnectionPool[Any]) -> None:
        """Close the pool at once (its connections died with the server, and its background
        reconnects would back off for minutes); the next call probes."""
        with self._lock:
            if self._pool is pool:
                self._pool = None
        pool.close(timeout=0)  # its worker threads end by themselves

    def _set_reachable(self, reachable: bool) -> None:
        """Record whether the server answers; subscribers hear of each change."""
        if self.reachable != reachable:
            self.reachable = reachable
            self._changed()

    def close(self) -> None:
        self._stop.set()
        with self._listener_lock:
            self._closed = True  # no listener starts from now on
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()
        if self._listener is not None and self._listener is not threading.current_thread():
            self._listener.join(timeout=5)

    def _migrate(self, connection: psycopg.Connection[dict[str, Any]]) -> None:
        """Bring the schema to SCHEMA_VERSION: one transaction under an advisory lock, so of two
        hosts starting at once one migrates and the other then finds it done."""
        try:
            with connection.transaction():
                connection.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
                connection.execute(
                    "CREATE TABLE IF NOT EXISTS pushover_schema (version integer NOT NULL)"
                )
                found = connection.execute("SELECT version FROM pushover_schema").fetchone()
                version = 0 if found is None else int(found["version"])
                if version > SCHEMA_VERSION:
                    raise HistoryError(
                        f"The shared store {self.location()} was set up by a newer pushover-tui "
                        f"(schema {version}, this one knows {SCHEMA_VERSION}): upgrade "
                        "pushover-tui on this host."
                    )
                for step in MIGRATIONS[version:]:
                    for statement in step:
                        connection.execute(statement)
                if found is None:
                    connection.execute(
                        "INSERT INTO pushover_schema (version) VALUES (%s)", (SCHEMA_VERSION,)
                    )
                elif version != SCHEMA_VERSION:
                    connection.execute("UPDATE pushover_schema SET version = %s", (SCHEMA_VERSION,))
        except psycopg.Error as error:
            if connection.broken or connection.closed:
                raise self._unreachable(error) from None
            raise self._error(error, "set up its tables") from None

    def schema_version(self) -> int:
        with self._transaction("read its schema version") as connection:
            found = connection.execute("SELECT version FROM pushover_schema").fetchone()
        return 0 if found is None else int(found["version"])

    # -- changes by other processes --------------------------------------------------------------

    def data_version(self) -> int:
        """How many changes of other processes the listener heard: no query (the first call
        starts the listener)."""
        self._ensure_listener()
        return self._version

    def _start_watching(self) -> None:
        self._ensure_listener()

    def _ensure_listener(self) -> None:
        # Its own lock: never wait behind a transaction (data_version is called often).
        with self._listener_lock:
            if self._listener is None and not self._closed:
                self._listener = threading.Thread(
                    target=self._listen, name="store-listen", daemon=True
                )
                self._listener.start()

    def _listen(self) -> None:
        connected_before = False
        while not self._stop.is_set():
            try:
                with self._connect() as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    self._set_reachable(True)
                    if connected_before:  # rows may have changed while it was away
                        self._heard()
                    connected_before = True
                    while not self._stop.is_set():
                        for note in connection.notifies(timeout=0.5):
                            if not self._writers.wrote(note.pid):
                                self._heard()
            except (psycopg.Error, HistoryError) as error:
                self.listening.clear()
                self._set_reachable(False)
                log.warning("listening to the shared store: %s", mask_text(str(error), self))
                self._stop.wait(self.RETRY_SECONDS)
        self.listening.clear()

    def _listener_retrying(self) -> bool:
        """The listener runs and has lost the server (it tries again every RETRY_SECONDS)."""
        alive = self._listener is not None and self._listener.is_alive()
        return alive and not self.listening.is_set()

    def _heard(self) -> None:
        self._version += 1
        self._changed()

    # -- writes ----------------------------------------------------------------------------------

    def record_sending(
        self,
        message: Message | Glance,
        *,
        profile: str,
        origin: str,
        meta: Mapping[str, Any] | None = None,
        recipient: Secret | None = None,
    ) -> int:
        kind, priority, title, text, params, meta_text = sending_values(message, meta)
        now = time.time()
        with self._transaction("record the message") as connection:
            found = connection.execute(
                "INSERT INTO messages (created_at, updated_at, status, origin, profile, priority,"
                " title, message, params, meta, pid, host, process, recipient, kind)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " RETURNING id",
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
            ).fetchone()
        assert found is not None
        return int(found["id"])

    def record_sent(self, row_id: int, result: SendResult) -> None:
        with self._transaction("record the message") as connection:
            connection.execute(
                "UPDATE messages SET status = %s, updated_at = %s, request_id = %s, receipt = %s,"
                " receipt_state = %s, quota_limit = %s, quota_remaining = %s, quota_reset = %s,"
                " error = '' WHERE id = %s",
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
        with self._transaction("record the message") as connection:
            connection.execute(
                "UPDATE messages SET status = %s, updated_at = %s, error = %s, request_id = %s"
                " WHERE id = %s",
                (Status.FAILED.value, time.time(), error, request_id, row_id),
            )
            if quota is not None:
                connection.execute(
                    "UPDATE messages SET quota_limit = %s, quota_remaining = %s,"
                    " quota_reset = %s WHERE id = %s",
                    (*_quota_values(quota), row_id),
                )

    def record_receipt(
        self, row_id: int, receipt: Receipt, *, polled_at: float | None = None
    ) -> bool:
        new_info = _dumps(_receipt_fields(receipt))
        with self._transaction("record the receipt") as connection:
            if polled_at is not None:
                connection.execute(
                    "UPDATE messages SET polled_at = %s WHERE id = %s", (polled_at, row_id)
                )
            found = connection.execute(
                "SELECT receipt_state, receipt_info FROM messages WHERE id = %s FOR UPDATE",
                (row_id,),
            ).fetchone()
            if found is None:
                return False
            old_state, old_info = found["receipt_state"], found["receipt_info"]
            state = receipt.state.value
            # A poll answered just after a cancel still says "awaiting": keep "cancelled".
            if old_state == ReceiptState.CANCELLED.value and state == ReceiptState.AWAITING.value:
                state = old_state
            if old_state == state and old_info == new_info:
                return False
            connection.execute(
                "UPDATE messages SET receipt_state = %s, receipt_info = %s, updated_at = %s"
                " WHERE id = %s",
                (state, new_info, time.time(), row_id),
            )
            return True

    def claim_poll(self, row_id: int, *, now: float, interval: float, lease: float) -> bool:
        # One UPDATE: the row lock makes a second host's claim wait, then see the new polled_at.
        with self._transaction("claim a receipt poll") as connection:
            claimed = connection.execute(
                "UPDATE messages SET polled_at = %s WHERE id = %s AND receipt_state = %s"
                " AND (polled_at IS NULL OR polled_at <= %s)",
                (now + lease, row_id, ReceiptState.AWAITING.value, now - interval),
            ).rowcount
        return claimed == 1

    def end_poll(self, row_id: int, *, at: float) -> None:
        with self._transaction("record a receipt poll") as connection:
            connection.execute("UPDATE messages SET polled_at = %s WHERE id = %s", (at, row_id))

    def record_interrupted(self, row_id: int, error: str = STOPPED_TEXT) -> None:
        with self._transaction("record the message") as connection:
            connection.execute(
                "UPDATE messages SET status = %s, error = %s, updated_at = %s WHERE id = %s"
                " AND status = %s",
                (Status.INTERRUPTED.value, error, time.time(), row_id, Status.SENDING.value),
            )

    def record_cancelled(self, row_id: int) -> None:
        with self._transaction("record the cancel") as connection:
            connection.execute(
                "UPDATE messages SET receipt_state = %s, updated_at = %s"
                " WHERE id = %s AND receipt_state = %s",
                (ReceiptState.CANCELLED.value, time.time(), row_id, ReceiptState.AWAITING.value),
            )

    def mark_interrupted(self, *, stale_after: float = 600.0) -> int:
        now = time.time()
        with self._transaction("look for interrupted sends") as connection:
            candidates = connection.execute(
                "SELECT id, created_at, pid, host, process FROM messages WHERE status = %s"
                " FOR UPDATE",
                (Status.SENDING.value,),
            ).fetchall()
            gone = left_by_gone_processes(
                [tuple(row.values()) for row in candidates], self._host, now, stale_after
            )
            if gone:
                connection.execute(
                    "UPDATE messages SET status = %s, error = %s, updated_at = %s"
                    " WHERE id = ANY(%s) AND status = %s",
                    (Status.INTERRUPTED.value, INTERRUPTED_TEXT, now, gone, Status.SENDING.value),
                )
        return len(gone)

    def delete(self, row_id: int) -> bool:
        with self._transaction("delete the message") as connection:
            return connection.execute("DELETE FROM messages WHERE id = %s", (row_id,)).rowcount > 0

    def clear(self) -> int:
        with self._transaction("clear the history") as connection:
            return connection.execute("DELETE FROM messages").rowcount

    def import_rows(self, rows: Sequence[tuple[HistoryRow, str]]) -> int:
        """Copy rows of a SQLite history (`store import`), each with its import key, in one
        transaction; a row whose key is here already is skipped. Returns how many were copied.
        A copy keeps its times, outcome, receipt and quota."""
        copied = 0
        with self._transaction("import the history") as connection:
            for row, key in rows:
                info = row.receipt_info
                copied += connection.execute(
                    "INSERT INTO messages (created_at, updated_at, status, origin, profile,"
                    " priority, title, message, params, request_id, receipt, receipt_state,"
                    " receipt_info, quota_limit, quota_remaining, quota_reset, error, meta, pid,"
                    " host, process, recipient, import_key, kind) VALUES (%s, %s, %s, %s, %s, %s,"
                    " %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 0, %s, %s, %s, %s, %s)"
                    " ON CONFLICT (import_key) DO NOTHING",
                    (
                        row.created_at,
                        row.updated_at,
                        row.status.value,
                        row.origin,
                        row.profile,
                        row.priority,
                        row.title,
                        row.message,
                        _dumps(dict(row.params)),
                        row.request_id,
                        row.receipt,
                        None if row.receipt_state is None else row.receipt_state.value,
                        None if info is None else _dumps(info.fields()),  # masked already
                        *_quota_values(row.quota),
                        row.error,
                        _dumps(dict(row.meta)),
                        self._host,
                        "import",
                        row.recipient,
                        key,
                        row.kind.value,
                    ),
                ).rowcount
        return copied

    def queue_depth(self) -> int | None:
        """Alerts the bridges' shared queue (migration 2) holds pending."""
        with self._transaction("read the queue") as connection:
            depth = connection.execute(
                "SELECT count(*) AS n FROM alerts WHERE status = 'pending'"
            ).fetchone()
        return int(depth["n"])  # type: ignore[index]

    # -- reads -----------------------------------------------------------------------------------

    def get(self, row_id: int) -> HistoryRow | None:
        rows = self._select("WHERE id = %s", (row_id,))
        return rows[0] if rows else None

    def get_by_receipt(self, receipt: str) -> HistoryRow | None:
        rows = self._select("WHERE receipt = %s ORDER BY created_at DESC LIMIT 1", (receipt,))
        return rows[0] if rows else None

    def open_receipts(self, *, max_age: float = 7 * 86400) -> list[HistoryRow]:
        return self._select(
            "WHERE receipt_state = %s AND created_at >= %s ORDER BY created_at ASC, id ASC",
            (ReceiptState.AWAITING.value, time.time() - max_age),
        )

    def page(
        self,
        filters: HistoryFilter = _EVERYTHING,
        *,
        offset: int = 0,
        limit: int = 100,
        oldest_first: bool = False,
    ) -> list[HistoryRow]:
        where, args = _where(filters, mark="%s", like="ILIKE")
        return self._select(
            f"{where} ORDER BY {_ORDER[oldest_first]} LIMIT %s OFFSET %s", [*args, limit, offset]
        )

    def count(self, filters: HistoryFilter = _EVERYTHING) -> int:
        where, args = _where(filters, mark="%s", like="ILIKE")
        with self._transaction("read the history") as connection:
            found = connection.execute(f"SELECT count(*) AS n FROM messages {where}", args)
            return int(found.fetchone()["n"])  # type: ignore[index]

    def _select(self, sql: str, args: Sequence[Any]) -> list[HistoryRow]:
        with self._transaction("read the history") as connection:
            rows = connection.execute(f"SELECT {_COLUMNS} FROM messages {sql}", args).fetchall()
        return [_row(row) for row in rows]

    def latest_quota(self, profile: str) -> tuple[float, Quota] | None:
        with self._transaction("read the quota") as connection:
            row = connection.execute(
                "SELECT created_at, quota_limit, quota_remaining, quota_reset FROM messages"
                " WHERE (quota_remaining IS NOT NULL OR quota_limit IS NOT NULL)"
                " AND profile = %s ORDER BY created_at DESC LIMIT 1",
                (profile,),
            ).fetchone()
        if row is None:
            return None
        return float(row["created_at"]), Quota(
            row["quota_limit"], row["quota_remaining"], row["quota_reset"]
        )

    def overview_counts(self, profile: str | None, first_day: date, today: date) -> OverviewCounts:
        # The counts the triggers of migration 4 keep: the cost of 100 rows for 100,000.
        mine, args = ("AND profile = %s", [profile]) if profile is not None else ("", [])
        # This host's local day, by its current offset from UTC.
        offset = (datetime.now().astimezone().utcoffset() or timedelta()).total_seconds()
        start = datetime.combine(first_day, datetime.min.time()).timestamp() - 86400
        end = datetime.combine(today, datetime.min.time()).timestamp() + 2 * 86400
        with self._transaction("read the overview") as connection:
            counts = [
                (row["kind"], row["key"], int(row["n"]))
                for row in connection.execute(
                    "SELECT kind, key, sum(n) AS n FROM message_counts"
                    f" WHERE true {mine} GROUP BY kind, key",
                    args,
                )
            ]
            per_day = {
                row["day"].isoformat(): int(row["n"])
                for row in connection.execute(
                    "SELECT (to_timestamp(quarter * %s + %s) AT TIME ZONE 'UTC')::date AS day,"
                    " sum(n) AS n FROM message_quarters WHERE quarter BETWEEN %s AND %s"
                    f" {mine} GROUP BY 1",
                    [QUARTER, offset, int(start // QUARTER), int(end // QUARTER), *args],
                )
                if first_day <= row["day"] <= today
            }
            ack_seconds = [
                (int(row["seconds"]), int(row["n"]))
                for row in connection.execute(
                    f"SELECT seconds, sum(n) AS n FROM ack_seconds WHERE true {mine}"
                    " GROUP BY seconds HAVING sum(n) > 0 ORDER BY seconds",
                    args,
                )
            ]
            quota = connection.execute(
                "SELECT quota_limit, quota_remaining, quota_reset FROM messages"
                f" WHERE (quota_remaining IS NOT NULL OR quota_limit IS NOT NULL) {mine}"
                " ORDER BY created_at DESC LIMIT 1",
                args,
            ).fetchone()
        return (
            counts,
            per_day,
            ack_seconds,
            None if quota is None else Quota(*quota.values()),
        )


def mask_text(text: str, store: PostgresStore) -> str:
    """`text` without the store's password (a log line quoting the server)."""
    return escape_controls(redact(text, store.url.password() or None))


# -- on-call swaps: one at a time per group, across every host ----------------------------------


def _group_lock_key(group_key: Secret) -> int:
    """The advisory lock's number for a group: a hash of its key (the key itself is a secret),
    as a signed 64-bit integer, in a namespace of its own."""
    digest = hashlib.sha256(b"pushover-tui on-call\0" + group_key.reveal().encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextlib.asynccontextmanager
async def advisory_group_lock(
    url: StoreURL, group_key: Secret, *, wait: float, poll: float = 0.05
) -> AsyncIterator[None]:
    """Hold the group's on-call lock for the block on the shared store: a session advisory
    lock on a connection of its own, so a swap on any host waits for one on another (the
    server drops the lock if this process dies). GroupBusyError after `wait` seconds,
    StoreUnreachableError when the server does not answer."""
    from pushover_tui.store.locks import GroupBusyError

    store = PostgresStore(url)  # for its connecting and its sentences
    key = _group_lock_key(group_key)
    connection = await asyncio.to_thread(store._connect)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                row = await asyncio.to_thread(
                    lambda: connection.execute(
                        "SELECT pg_try_advisory_lock(%s) AS taken", (key,)
                    ).fetchone()
                )
            except psycopg.Error as error:
                raise store._unreachable(error) from None
            if row is not None and row["taken"]:
                break
            if time.monotonic() >= deadline:
                raise GroupBusyError(
                    f"Another on-call change of this group has been running for over {wait:g} s "
                    f"(on another host sharing {store.location()}): try again when it is done."
                )
            await asyncio.sleep(poll)
        yield
    finally:
        with contextlib.suppress(psycopg.Error):
            connection.close()  # ends the session: the server releases its advisory lock
