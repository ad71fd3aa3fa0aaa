"""The bridge's engine, free of HTTP: take the data folder, accept alerts durably, hand them to the
sending worker (`worker.py`), report health.

- With the SQLite files (no store URL), one bridge per data folder: `open()` takes an OS lock on
  `bridge.lock` there for the process's life; a second bridge is refused with one sentence naming
  the folder and the holder. With a shared PostgreSQL store, any number of bridges (each with its
  own data folder) share one queue, claiming alerts with leases (store/postgres_queue.py).
- The store unreachable (or locked, or full): webhooks get 503, never 202; `/health` says why;
  the worker tries the store again every few seconds and the bridge accepts again by itself.
- One event loop, the server's: the HTTP handlers and the sending worker (a task) share it;
  every store call runs off it (`asyncio.to_thread`).
- Accepting never blocks the event loop, and an alert that cannot be stored within
  `store_within` seconds (Sentry waits 1 s) is refused with AlertQueueError, which the HTTP face
  answers with 503. Never a 202 for an unstored alert.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pushover_tui.bridge import BridgeDownError
from pushover_tui.bridge.sentry import Job
from pushover_tui.bridge.settings import BridgeSettings
from pushover_tui.bridge.worker import (
    DEFAULT_SCHEDULE,
    ORIGIN,
    STOPPED_TEXT,
    Health,
    HealthBoard,
    Schedule,
    Worker,
    log,
)
from pushover_tui.outbox import Outbox
from pushover_tui.safe_text import escape_controls
from pushover_tui.store.alert_queue import AlertQueue, AlertQueueError, open_alert_queue
from pushover_tui.store.files import HeldLock, LockHeldError, hold_lock
from pushover_tui.store.history import HistoryError

if TYPE_CHECKING:
    from pushover_tui.store.config import ActiveProfile
    from pushover_tui.store.postgres_queue import PostgresAlertQueue
    from pushover_tui.store.url import StoreURL

LOCK_FILE = "bridge.lock"
STORE_WITHIN = 0.8  # seconds to commit an accepted alert: Sentry gives up after 1 s

__all__ = ["ORIGIN", "BridgeService", "Schedule"]


class BridgeService:
    def __init__(
        self,
        settings: BridgeSettings,
        active: ActiveProfile,
        data_folder: Path,
        *,
        store_url: StoreURL | None = None,
        outbox_options: Mapping[str, Any] | None = None,
        schedule: Schedule = DEFAULT_SCHEDULE,
        store_within: float = STORE_WITHIN,
        stop_grace: float = 3.0,
    ) -> None:
        self.settings = settings
        self.active = active
        self.data_folder = Path(data_folder)
        self.store_url = store_url
        # The worker's schedule does the retrying: one request per attempt, so a failing alert
        # holds a sending slot for one request, not for the client's 10 s of polite retries.
        self._outbox_options = {"retries": 0, **(outbox_options or {})}
        self.schedule = schedule
        self.store_within = store_within
        self.stop_grace = stop_grace
        self.board = HealthBoard()
        self.queue: AlertQueue | PostgresAlertQueue | None = None  # the accepting side's
        self.worker: Worker | None = None
        self._lock: HeldLock | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.queue is not None

    def open(self, listening: str = "") -> None:
        """Take the data folder and open the queue and the history; BridgeDownError (one
        sentence) if any of them cannot be had. Safe to call before the server starts, so
        start-up failures are told before a port is served."""
        if self.is_open:
            return
        if self.store_url is None:
            self._take_folder(listening)
        self._open_stores()

    def _take_folder(self, listening: str) -> None:
        folder = self.data_folder
        holder = f"pid {os.getpid()} on {socket.gethostname()}"
        if listening:
            holder += f", listening on {listening}"
        try:
            self._lock = hold_lock(folder / LOCK_FILE, holder)
        except LockHeldError as error:
            holder = escape_controls(error.holder) or "another process"  # read from a file
            raise BridgeDownError(
                f"Another Sentry bridge ({holder}) is using the data "
                f"folder {folder}: run one bridge per folder (a second one needs its own "
                "PUSHOVER_TUI_DATA)."
            ) from None
        except OSError as error:
            raise BridgeDownError(
                f"Cannot use the data folder {folder}: {error.strerror or error} (check its "
                "permissions, or set PUSHOVER_TUI_DATA to another folder)."
            ) from None

    def _open_stores(self) -> None:
        folder, url = self.data_folder, self.store_url
        try:
            self.queue = open_alert_queue(folder, url)
            worker_queue = open_alert_queue(folder, url)
            try:
                outbox = Outbox.open(
                    self.active,
                    folder,
                    origin=ORIGIN,
                    store_url=url,
                    unreachable_ok=True,  # a shared store down: 503 and /health until it is back
                    stopped_text=STOPPED_TEXT,
                    **self._outbox_options,
                )
            except BaseException:
                worker_queue.close()  # not the worker's yet, so close() would miss it
                raise
        except (AlertQueueError, HistoryError) as error:
            self.close()
            raise BridgeDownError(str(error)) from None
        self.worker = Worker(
            queue=worker_queue,
            outbox=outbox,
            settings=self.settings,
            profile=self.active.profile,
            board=self.board,
            schedule=self.schedule,
            stop_grace=self.stop_grace,
        )
        said = ""  # the sentence logged already: the store down is said once, not per step
        try:
            worker_queue.prune()
            self.queue.check_writable()  # connected now, not by the first webhook
        except AlertQueueError as error:  # housekeeping only: start anyway, /health tells
            self.board.error(str(error), store=True)
            log.warning("%s", error)
            said = str(error)
        try:
            pending = worker_queue.pending()
        except AlertQueueError as error:
            if not worker_queue.shared:  # this folder's queue unreadable: a start-up failure
                self.close()
                raise BridgeDownError(str(error)) from None
            pending = 0  # the shared store is down: serve 503s until it is back
            self.board.error(str(error), store=True)
            if str(error) != said:
                log.warning("%s", error)
        if pending:
            log.info("resuming %d accepted alert(s) not sent before the last stop", pending)

    async def start(self) -> None:
        await asyncio.to_thread(self.open)
        assert self.worker is not None
        await self.worker.start()

    async def stop(self) -> None:
        if self.worker is not None:
            await self.worker.stop()
        self.close()

    def close(self) -> None:
        """Release everything `open()` took (the worker must be stopped)."""
        if self.worker is not None:
            self.worker.outbox.history.close()
            self.worker.queue.close()
            self.worker = None
        if self.queue is not None:
            self.queue.close()
            self.queue = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    # -- accepting -----------------------------------------------------------------------------

    async def accept(self, job: Job) -> int | None:
        """Commit the job to disk; its queue id, or None for a duplicate. Wakes the worker.
        AlertQueueError when it could not be stored within `store_within` seconds."""
        assert self.queue is not None and self.worker is not None
        queue = self.queue
        # The message as Sentry's webhook made it: the worker fills in the profile's defaults
        # when it sends (for resolved notices too), so they are applied once.
        params: dict[str, Any] = {} if job.message is None else job.message.params()
        deadline = time.monotonic() + self.store_within

        def add() -> int | None:
            if time.monotonic() > deadline:  # waited its turn too long: Sentry has its 503
                raise AlertQueueError("the queue did not take the alert in time")
            return queue.add(
                key=job.key,
                kind=job.kind,
                tag=job.tag,
                resource=job.resource,
                action=job.action,
                issue=job.issue,
                priority=job.priority,
                params=params,
                meta=job.meta,
            )

        try:
            alert_id = await asyncio.wait_for(asyncio.to_thread(add), self.store_within)
        except TimeoutError:
            # A write already under way may still commit: then the alert is sent (never lost).
            error = AlertQueueError(
                f"The bridge's queue {queue.path} did not take the alert within "
                f"{self.store_within:g} s (another program holds it locked?)."
            )
            self._refused(error)
            raise error from None
        except AlertQueueError as error:
            self._refused(error)
            raise
        self.board.stored()
        if alert_id is not None:
            self.worker.wake()
        return alert_id

    def _refused(self, error: AlertQueueError) -> None:
        """/health says so until the queue takes writes again, which the worker, woken to
        watch for it, finds out even if no other webhook comes."""
        assert self.worker is not None
        self.board.error(str(error), store=True)
        self.worker.wake()

    # -- watching ------------------------------------------------------------------------------

    def health(self) -> Health:
        return self.board.snapshot(time.time())

    async def idle(self, timeout: float = 10.0) -> None:
        """Wait until nothing due is left to send (for tests and orderly shutdowns)."""
        assert self.queue is not None and self.worker is not None
        queue, worker = self.queue, self.worker
        deadline = time.monotonic() + timeout
        while True:
            due = await asyncio.to_thread(queue.count_due, time.time())
            if not due and not worker.busy:
                return
            if time.monotonic() > deadline:
                raise TimeoutError("the bridge still has alerts to send")
            await asyncio.sleep(0.02)
