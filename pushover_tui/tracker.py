"""The receipt tracker: follows open emergency receipts until acknowledged, expired or cancelled.

Invariants:
- A receipt is polled at most once every `interval` (5 s) by all the processes on the machine
  together: before each poll a follower claims it in the history store (`History.claim_poll`),
  which one caller wins per interval counted from when the last poll *ended*; the others read
  what the winner recorded. Polls never overlap, and a slow one never brings the next closer.
- All polls of a process share the outbox's client (at most 2 connections), one attempt each:
  the tracker schedules its own retries.
- A follower stops when its receipt is closed (whoever recorded it), unknown to Pushover,
  deleted, or the tracker closes. A store failure (a full disk) is logged and retried later;
  waiters still learn a closed state the store could not record.
- Every store call runs off the event loop (`asyncio.to_thread`, as the outbox's do): with a
  shared PostgreSQL store each one is a round trip, and a locked SQLite file must not freeze a
  dashboard.
- `resume(profile)` follows the profile's open receipts, then watches the store's data_version
  so that receipts other processes record later (the command line, the bridge) are followed
  too: the indexed open-receipts read runs only after another process wrote, never on a timer.
- Listeners hear every change to a followed row; closed listeners hear once per receipt when
  it became acknowledged, expired or cancelled (by this process or another one).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from pushover_tui.api.errors import PushoverError, RejectedError
from pushover_tui.api.models import Receipt, ReceiptState
from pushover_tui.store.history import HistoryError

if TYPE_CHECKING:
    from pushover_tui.api.client import PushoverClient
    from pushover_tui.store.base import Store
    from pushover_tui.store.history import HistoryRow

log = logging.getLogger(__name__)

POLL_INTERVAL = 5.0  # Pushover: a receipt may be polled at most every 5 seconds
TEMPORARY_FAILURE_BACKOFF = 30.0
STORE_FAILURE_BACKOFF = 30.0
# How long a claimed poll may take to leave (a queue for the 2 connections, a slow connect):
# until then no other process polls the receipt, unless the winner says its poll has ended.
POLL_LEASE = 30.0
WATCH_INTERVAL = 2.0  # seconds between data_version checks: a local read, in real time

Listener = Callable[["HistoryRow"], None]
Sleep = Callable[[float], Awaitable[None]]


class ReceiptTracker:
    def __init__(
        self,
        client: Callable[[], Awaitable[PushoverClient]],
        history: Store,
        *,
        interval: float = POLL_INTERVAL,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.time,
        watch_interval: float = WATCH_INTERVAL,
    ) -> None:
        self._client = client
        self._history = history
        self.interval = max(interval, POLL_INTERVAL)
        self._sleep = sleep
        self._clock = clock
        self.watch_interval = watch_interval
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._watchers: dict[str, asyncio.Task[None]] = {}
        self._closed: dict[int, asyncio.Event] = {}
        self._listeners: list[Listener] = []
        self._closed_listeners: list[Listener] = []
        self._followed: set[int] = set()  # every row followed here (the watcher skips them)
        self._seen: dict[int, float] = {}  # updated_at of each followed row as last seen
        self._announced: set[int] = set()  # rows whose closing closed listeners heard
        self._unrecorded: dict[int, Receipt] = {}  # closed receipts the store could not record
        self._closing = False  # aclose began: a resume still reading starts nothing
        self._cancelling: set[int] = set()  # rows a cancel of this process is stopping

    def add_listener(self, listener: Listener) -> None:
        """Called with the updated row after every change to a sent message (the outbox's
        `sending` and outcome records, every change to a followed receipt whoever recorded it,
        and a receipt another process sent when the watcher starts following it)."""
        self._listeners.append(listener)

    def add_closed_listener(self, listener: Listener) -> None:
        """Called once per receipt, with its row, when a followed receipt became acknowledged,
        expired or cancelled: by a poll of this process or another one, or by a cancel."""
        self._closed_listeners.append(listener)

    @property
    def tracked(self) -> int:
        return len(self._tasks)

    def track(self, row_id: int, receipt: str, *, poll_now: bool = False) -> None:
        """Follow `receipt` (of history row `row_id`) until it closes. Idempotent."""
        if row_id in self._tasks or self._closing:
            return
        self._followed.add(row_id)
        self._closed_event(row_id)
        task = asyncio.create_task(
            self._follow(row_id, receipt, poll_now), name=f"receipt-{row_id}"
        )
        self._tasks[row_id] = task
        task.add_done_callback(lambda _: self._tasks.pop(row_id, None))

    async def resume(self, profile: str) -> int:
        """Follow `profile`'s open receipts (they live a week): those recorded before, by a
        previous run or another process, and until `aclose` those other processes record later.
        Returns how many were open."""
        # Read first: a write after it is seen.
        version = await asyncio.to_thread(self._history.data_version)
        try:
            count = await self._follow_open(profile, tell=False)
        except HistoryError as error:  # the shared store is down: the watch looks again
            log.warning("looking for open receipts: %s", error)
            count, version = 0, -1
        if profile not in self._watchers and not self._closing:
            self._watchers[profile] = asyncio.create_task(
                self._watch(profile, version), name=f"receipts-of-{profile}"
            )
        return count

    async def wait(self, row_id: int) -> HistoryRow | None:
        """Wait until the row's receipt is acknowledged, expired or cancelled (or no longer
        followed). The row as recorded, or with the closed state a poll found when the store
        could not record it."""
        await self._closed_event(row_id).wait()
        row = await asyncio.to_thread(self._history.get, row_id)
        info = self._unrecorded.get(row_id)
        if row is not None and info is not None and row.receipt_state is ReceiptState.AWAITING:
            return replace(row, receipt_state=info.state, receipt_info=info)
        return row

    async def cancel(self, receipt: str) -> HistoryRow | None:
        """Stop an emergency's retries on Pushover, then record its row (if any) as cancelled."""
        client = await self._client()
        row = await asyncio.to_thread(self._history.get_by_receipt, receipt)
        with self._cancelling_rows([] if row is None else [row.id]):
            await client.cancel_receipt(receipt)
            if row is None:
                return None
            await asyncio.to_thread(self._history.record_cancelled, row.id)
            return await self._closed_row(row.id)

    async def cancel_by_tag(self, tag: str) -> int:
        """Cancel every active emergency with `tag`; returns Pushover's count."""
        client = await self._client()
        rows = await asyncio.to_thread(self._history.open_receipts_with_tag, tag)
        with self._cancelling_rows([row.id for row in rows]):
            cancelled = await client.cancel_by_tag(tag)
            for row in rows:
                await asyncio.to_thread(self._history.record_cancelled, row.id)
                await self._closed_row(row.id)
        return cancelled

    @contextlib.contextmanager
    def _cancelling_rows(self, row_ids: list[int]) -> Iterator[None]:
        """While a cancel is under way its rows' followers record no poll: Pushover may already
        say "expired" of a cancelled receipt, and the row must end up "cancelled"."""
        self._cancelling.update(row_ids)
        try:
            yield
        finally:
            self._cancelling.difference_update(row_ids)

    async def aclose(self) -> None:
        self._closing = True
        tasks = [*self._watchers.values(), *self._tasks.values()]
        self._watchers.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # -- following one receipt -------------------------------------------------------------

    async def _follow(self, row_id: int, receipt: str, poll_now: bool) -> None:
        delay: float | None = 0.0 if poll_now else self.interval
        try:
            while delay is not None:
                await self._sleep(delay)
                try:
                    delay = await self._step(row_id, receipt)
                except HistoryError as error:  # a full disk, a lock held too long: not the end
                    log.warning(
                        "Following the receipt of history row %s: %s Trying again in %g s.",
                        row_id,
                        error,
                        STORE_FAILURE_BACKOFF,
                    )
                    delay = STORE_FAILURE_BACKOFF
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug: log it, and never leave a waiter hanging
            log.exception("following receipt of row %s failed", row_id)
        finally:
            self._closed_event(row_id).set()

    async def _step(self, row_id: int, receipt: str) -> float | None:
        """Read the row, and poll Pushover if this process wins the claim. Returns the wait
        before the next step, or None when following ends."""
        row = await asyncio.to_thread(self._history.get, row_id)
        if row is None or not self._saw(row):
            return None  # deleted, or closed (here or by another process)
        if row_id in self._cancelling:
            return self.interval
        try:
            client = await self._client()
        except PushoverError as error:  # no keys any more: nothing to poll with for now
            log.warning("receipt poll postponed: %s", error)
            return TEMPORARY_FAILURE_BACKOFF
        now = self._clock()
        if not await asyncio.to_thread(
            self._history.claim_poll, row_id, now=now, interval=self.interval, lease=POLL_LEASE
        ):
            return self.interval  # another process polls it: read what it records next time
        try:
            info = await client.receipt(receipt, retries=0)
        except BaseException as error:
            await self._end_poll(row_id)
            if isinstance(error, RejectedError):
                # Unknown or older than a week: nothing more to learn from Pushover.
                log.warning("receipt %s is no longer known: %s", row_id, error)
                return None
            if isinstance(error, PushoverError):
                log.warning("receipt poll failed, retrying later: %s", error)
                return TEMPORARY_FAILURE_BACKOFF
            raise
        if row_id in self._cancelling:  # the cancel records the outcome, not this poll
            await self._end_poll(row_id)
            return self.interval
        try:
            # Kept "cancelled" when a cancel landed meanwhile (record_receipt sees to it).
            await asyncio.to_thread(
                self._history.record_receipt, row_id, info, polled_at=self._clock()
            )
        except HistoryError:
            await self._end_poll(row_id)
            if info.state is not ReceiptState.AWAITING:  # tell waiters what the store cannot
                self._unrecorded[row_id] = info
                self._closed_event(row_id).set()
            raise
        self._unrecorded.pop(row_id, None)
        row = await asyncio.to_thread(self._history.get, row_id)
        return self.interval if row is not None and self._saw(row) else None

    def _saw(self, row: HistoryRow) -> bool:
        """Tell listeners about a change since this tracker last saw the row (whoever recorded
        it), and closed listeners about a receipt that closed. True while it is awaiting."""
        if self._seen.get(row.id, row.updated_at) != row.updated_at:
            self._tell(row)
        self._seen[row.id] = row.updated_at
        if row.receipt_state is ReceiptState.AWAITING:
            return True
        self._announce_closed(row)
        return False

    async def _end_poll(self, row_id: int) -> None:
        try:
            await asyncio.to_thread(self._history.end_poll, row_id, at=self._clock())
        except HistoryError as error:  # the claim's lease runs out on its own
            log.warning("could not record the end of a receipt poll: %s", error)

    # -- receipts other processes record ---------------------------------------------------

    async def _watch(self, profile: str, version: int) -> None:
        while True:
            await asyncio.sleep(self.watch_interval)
            try:
                current = await asyncio.to_thread(self._history.data_version)
                if current != version:
                    version = current
                    await self._follow_open(profile, tell=True)
            except HistoryError as error:
                log.warning("looking for new receipts to follow: %s", error)

    async def _follow_open(self, profile: str, *, tell: bool) -> int:
        """Follow the profile's open receipts not followed yet; returns how many are open."""
        open_rows = await asyncio.to_thread(self._history.open_receipts)
        rows = [row for row in open_rows if row.profile == profile]
        for row in rows:
            if row.receipt and row.id not in self._followed:
                self.track(row.id, row.receipt, poll_now=True)
                if tell:
                    self._tell(row)
        return len(rows)

    # -- telling ---------------------------------------------------------------------------

    def _closed_event(self, row_id: int) -> asyncio.Event:
        return self._closed.setdefault(row_id, asyncio.Event())

    async def _closed_row(self, row_id: int) -> HistoryRow | None:
        """Stop following a row closed here (cancelled), wake its waiters, tell listeners."""
        task = self._tasks.pop(row_id, None)
        if task is not None:
            task.cancel()
        self._closed_event(row_id).set()
        row = await self.notify(row_id)
        if row is not None and row.receipt_state not in (None, ReceiptState.AWAITING):
            self._seen[row_id] = row.updated_at
            self._announce_closed(row)
        return row

    def _announce_closed(self, row: HistoryRow) -> None:
        self._closed_event(row.id).set()
        if row.id not in self._announced:
            self._announced.add(row.id)
            _call_each(self._closed_listeners, row)

    async def changed(self, row_id: int) -> None:
        """The outbox recorded a change to the row: tell the listeners. With none (the bridge)
        nothing is read (a shared store's read is a round trip)."""
        if self._listeners:
            await self.notify(row_id)

    async def notify(self, row_id: int) -> HistoryRow | None:
        row = await asyncio.to_thread(self._history.get, row_id)
        if row is not None:
            self._tell(row)
        return row

    def _tell(self, row: HistoryRow) -> None:
        _call_each(self._listeners, row)


def _call_each(listeners: list[Listener], row: HistoryRow) -> None:
    for listener in listeners:
        try:
            listener(row)
        except Exception:  # one broken listener must not stop the others or the send
            log.exception("history listener failed")
