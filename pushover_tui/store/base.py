"""The store behind the history (rows, receipts, quota, receipt poll claims): one interface,
two backends.

- `History` (store/history.py): SQLite files in the data folder, the default (one machine).
- `PostgresStore` (store/postgres.py): a PostgreSQL server every host of a team shares.

`open_store` picks one by the configured URL (store/url.py). psycopg is imported only when a
PostgreSQL URL is set: the SQLite path and the `send` process import nothing new. One contract
suite (tests/test_store_contract.py) runs against both: whatever SQLite passes, PostgreSQL passes.

Imported on start-up by every face: stdlib only.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from types import ModuleType, TracebackType
from typing import TYPE_CHECKING, Any, Self

from pushover_tui.api.errors import ConfigurationError, PushoverError

if TYPE_CHECKING:
    from pushover_tui.api.beyond_messages import Glance
    from pushover_tui.api.models import Message, Quota, Receipt, SendResult
    from pushover_tui.api.secret import Secret
    from pushover_tui.store.history import HistoryFilter, HistoryRow
    from pushover_tui.store.postgres import PostgresStore
    from pushover_tui.store.url import StoreURL


class HistoryError(PushoverError):
    """The history cannot be opened or written; the sentence names the file or the server."""


class StoreURLError(HistoryError, ConfigurationError):
    """The store URL is one libpq cannot read: a setting to fix (a usage error), raised where
    any history error may be."""


class StoreUnreachableError(HistoryError):
    """The shared PostgreSQL store does not answer (down, refused, timed out). Nothing that
    needed it happened; the next call tries to connect again."""


Unsubscribe = Callable[[], None]
OverviewCounts = tuple[
    "list[tuple[str, str, int]]", "dict[str, int]", "list[tuple[int, int]]", "Quota | None"
]


class Store(ABC):
    """The history of sent messages, shared by every face and every process that uses it.

    Rows are written as `sending` (committed) before a request leaves, then updated. Every
    method is one short transaction and is safe from any thread. Errors are HistoryError
    (StoreUnreachableError when the server is down), worded for the person reading them."""

    kind: str  # "sqlite" | "postgresql"
    # False from a call that found the server down until it answers again (subscribers are told
    # of both changes); always True for the SQLite files.
    reachable: bool = True

    def __init__(self) -> None:
        self._subscribers: list[Callable[[], None]] = []
        self._subscribers_lock = threading.Lock()

    # -- life ------------------------------------------------------------------------------------

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @abstractmethod
    def location(self) -> str:
        """Where the rows live, safe to print: a file path, or the URL with its password
        masked."""

    @abstractmethod
    def schema_version(self) -> int: ...

    # -- writes ----------------------------------------------------------------------------------

    @abstractmethod
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

    @abstractmethod
    def record_sent(self, row_id: int, result: SendResult) -> None: ...

    @abstractmethod
    def record_failed(
        self, row_id: int, error: str, *, request_id: str = "", quota: Quota | None = None
    ) -> None: ...

    @abstractmethod
    def record_receipt(
        self, row_id: int, receipt: Receipt, *, polled_at: float | None = None
    ) -> bool:
        """Store a polled receipt, and with `polled_at` when that poll ended (see `claim_poll`);
        True if the receipt changed (so callers refresh only then)."""

    @abstractmethod
    def claim_poll(self, row_id: int, *, now: float, interval: float, lease: float) -> bool:
        """Claim the next poll of the row's open receipt: True for exactly one caller (of every
        process, of every host sharing the store) per `interval` since the last poll ended, and
        only while it is awaiting. The winner's request counts as ending `now + lease` until it
        reports when it ended (`record_receipt(polled_at=...)` or `end_poll`)."""

    @abstractmethod
    def end_poll(self, row_id: int, *, at: float) -> None:
        """A claimed poll ended at `at` without a receipt to record (it failed or was stopped)."""

    @abstractmethod
    def record_interrupted(self, row_id: int, error: str = ...) -> None:
        """A send this process stopped while the request may have left: `sending` becomes
        `interrupted` with `error` (any other outcome already recorded stays)."""

    @abstractmethod
    def record_cancelled(self, row_id: int) -> None:
        """An open emergency was cancelled; one already acknowledged or expired keeps its state."""

    @abstractmethod
    def mark_interrupted(self, *, stale_after: float = 600.0) -> int:
        """Rows left `sending` by a process that is gone become `interrupted`; returns how many.
        Same host: the pid is dead (or reused), or the row is older than `stale_after`. Another
        host: only by age. Never this process's rows."""

    @abstractmethod
    def delete(self, row_id: int) -> bool: ...

    @abstractmethod
    def clear(self) -> int: ...

    # -- reads -----------------------------------------------------------------------------------

    @abstractmethod
    def get(self, row_id: int) -> HistoryRow | None: ...

    @abstractmethod
    def get_by_receipt(self, receipt: str) -> HistoryRow | None: ...

    @abstractmethod
    def open_receipts(self, *, max_age: float = 7 * 86400) -> list[HistoryRow]:
        """Receipts still awaiting, oldest first; Pushover keeps receipts for a week."""

    def open_receipts_with_tag(self, tag: str) -> list[HistoryRow]:
        """Open receipts sent with `tag` (what a cancel-by-tag stops)."""
        return [
            row for row in self.open_receipts() if tag in str(row.params.get("tags", "")).split(",")
        ]

    @abstractmethod
    def page(
        self,
        filters: HistoryFilter = ...,
        *,
        offset: int = 0,
        limit: int = 100,
        oldest_first: bool = False,
    ) -> list[HistoryRow]: ...

    @abstractmethod
    def count(self, filters: HistoryFilter = ...) -> int: ...

    @abstractmethod
    def overview_counts(self, profile: str | None, first_day: date, today: date) -> OverviewCounts:
        """What History's overview (store/overview.py) is made of: (kind, key, n) by status and
        by origin, {local ISO day: n} from `first_day` to `today`, sorted (seconds from sending
        to acknowledgement, n), and the newest quota seen (None: none)."""

    @abstractmethod
    def latest_quota(self, profile: str) -> tuple[float, Quota] | None:
        """The newest quota any process recorded for `profile`, with its row's created_at
        (None: no row carries one)."""

    @abstractmethod
    def queue_depth(self) -> int | None:
        """How many alerts the Sentry bridge's queue holds pending (None: no bridge queue)."""

    # -- changes by other processes --------------------------------------------------------------

    @abstractmethod
    def data_version(self) -> int:
        """A number that changes when another process (another host, for PostgreSQL) commits a
        change: cheap to call often (no query for PostgreSQL: it counts notifications)."""

    def subscribe(self, callback: Callable[[], None]) -> Unsubscribe:
        """Call `callback` (from a thread of the store's own) soon after another process commits
        a change, or `reachable` changes: SQLite looks at `data_version` twice a second,
        PostgreSQL is told by LISTEN/NOTIFY (and keeps trying to reconnect while the server is
        down). Returns the function that ends the subscription."""
        with self._subscribers_lock:
            self._subscribers.append(callback)
            first = len(self._subscribers) == 1
        if first:
            self._start_watching()

        def unsubscribe() -> None:
            with self._subscribers_lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def _changed(self) -> None:
        """Tell every subscriber (called by the backend's watching thread)."""
        with self._subscribers_lock:
            callbacks = list(self._subscribers)
        for callback in callbacks:
            callback()

    @abstractmethod
    def _start_watching(self) -> None:
        """Start the thread that calls `_changed()` (once per store)."""


def open_store(data_folder: Path, url: StoreURL | None = None) -> Store:
    """The PostgreSQL store at `url`, or without one the SQLite history in `data_folder`.
    HistoryError (StoreUnreachableError) when it cannot be opened."""
    if url is None:
        from pushover_tui.store.history import History

        return History.open(data_folder)
    return open_shared_store(url)


def open_shared_store(url: StoreURL) -> PostgresStore:
    """The PostgreSQL store at `url` (connected on its first call); ConfigurationError when
    the postgres extra is not installed."""
    return shared_store_module().PostgresStore(url)


def shared_store_module() -> ModuleType:
    """store/postgres.py, imported now (psycopg: only for a PostgreSQL URL); ConfigurationError
    when the postgres extra is not installed."""
    try:
        from pushover_tui.store import postgres
    except ImportError:
        raise ConfigurationError(
            "The store is a PostgreSQL URL, but psycopg is not installed: run "
            "pip install 'pushover-tui[postgres]' (or unset PUSHOVER_TUI_STORE and store.url)."
        ) from None
    return postgres
