"""The receipt tracker: follows open emergency receipts until acknowledged, expired or cancelled.

Each receipt is polled by its own small task, the next poll scheduled `interval` seconds after the
previous one *finished*, so two requests for one receipt are never closer than the interval and
never overlap. All polls share the outbox's client (at most 2 connections).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from pushover_tui.api.errors import PushoverError, RejectedError
from pushover_tui.api.models import ReceiptState

if TYPE_CHECKING:
    from pushover_tui.api.client import PushoverClient
    from pushover_tui.store.history import History, HistoryRow

log = logging.getLogger(__name__)

POLL_INTERVAL = 5.0  # Pushover: a receipt may be polled at most every 5 seconds
TEMPORARY_FAILURE_BACKOFF = 30.0

Listener = Callable[["HistoryRow"], None]
Sleep = Callable[[float], Awaitable[None]]


class ReceiptTracker:
    def __init__(
        self,
        client: Callable[[], Awaitable[PushoverClient]],
        history: History,
        *,
        interval: float = POLL_INTERVAL,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._client = client
        self._history = history
        self.interval = max(interval, POLL_INTERVAL)
        self._sleep = sleep
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._closed: dict[int, asyncio.Event] = {}
        self._listeners: list[Listener] = []

    def add_listener(self, listener: Listener) -> None:
        """Called with the updated row after every change to a sent message (the outbox's
        `sending` and outcome records, and every receipt change)."""
        self._listeners.append(listener)

    @property
    def tracked(self) -> int:
        return len(self._tasks)

    def track(self, row_id: int, receipt: str, *, poll_now: bool = False) -> None:
        """Follow `receipt` (of history row `row_id`) until it closes. Idempotent."""
        if row_id in self._tasks:
            return
        self._closed.setdefault(row_id, asyncio.Event())
        task = asyncio.create_task(
            self._follow(row_id, receipt, poll_now), name=f"receipt-{row_id}"
        )
        self._tasks[row_id] = task
        task.add_done_callback(lambda _: self._tasks.pop(row_id, None))

    def resume(self, profile: str) -> int:
        """Pick up the open receipts a previous run recorded for `profile` (they live a week)."""
        rows = [row for row in self._history.open_receipts() if row.profile == profile]
        for row in rows:
            if row.receipt:
                self.track(row.id, row.receipt, poll_now=True)
        return len(rows)

    async def wait(self, row_id: int) -> HistoryRow | None:
        """Wait until the row's receipt is acknowledged, expired or cancelled."""
        await self._closed.setdefault(row_id, asyncio.Event()).wait()
        return self._history.get(row_id)

    async def cancel(self, receipt: str) -> HistoryRow | None:
        """Stop an emergency's retries on Pushover, then record its row (if any) as cancelled."""
        client = await self._client()
        await client.cancel_receipt(receipt)
        row = self._history.get_by_receipt(receipt)
        if row is None:
            return None
        self._history.record_cancelled(row.id)
        return self._closed_row(row.id)

    async def cancel_by_tag(self, tag: str) -> int:
        """Cancel every active emergency with `tag`; returns Pushover's count."""
        client = await self._client()
        cancelled = await client.cancel_by_tag(tag)
        for row in self._history.open_receipts_with_tag(tag):
            self._history.record_cancelled(row.id)
            self._closed_row(row.id)
        return cancelled

    async def aclose(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _follow(self, row_id: int, receipt: str, poll_now: bool) -> None:
        try:
            await self._poll_until_closed(row_id, receipt, poll_now)
        except asyncio.CancelledError:
            raise
        except Exception:  # a store or listener failure must not leave a waiter hanging
            log.exception("following receipt of row %s failed", row_id)
        finally:
            self._closed.setdefault(row_id, asyncio.Event()).set()

    async def _poll_until_closed(self, row_id: int, receipt: str, poll_now: bool) -> None:
        delay = 0.0 if poll_now else self.interval
        while True:
            await self._sleep(delay)
            delay = self.interval
            try:
                client = await self._client()
                info = await client.receipt(receipt)
            except RejectedError as error:
                # Unknown or older than a week: nothing more to learn from Pushover.
                log.warning("receipt %s is no longer known: %s", row_id, error)
                return
            except PushoverError as error:  # temporary: try again later
                log.warning("receipt poll failed, retrying later: %s", error)
                delay = TEMPORARY_FAILURE_BACKOFF
                continue
            current = self._history.get(row_id)
            if current is None or current.receipt_state is not ReceiptState.AWAITING:
                return  # deleted, or cancelled meanwhile (by this process or another one)
            if self._history.record_receipt(row_id, info):
                self.notify(row_id)
            if info.state is not ReceiptState.AWAITING:
                return

    def _closed_row(self, row_id: int) -> HistoryRow | None:
        """Stop following a row closed here (cancelled), wake its waiters, tell listeners."""
        task = self._tasks.pop(row_id, None)
        if task is not None:
            task.cancel()
        self._closed.setdefault(row_id, asyncio.Event()).set()
        return self.notify(row_id)

    def notify(self, row_id: int) -> HistoryRow | None:
        row = self._history.get(row_id)
        if row is not None:
            for listener in self._listeners:
                try:
                    listener(row)
                except Exception:  # one broken listener must not stop the others or the send
                    log.exception("history listener failed")
        return row
