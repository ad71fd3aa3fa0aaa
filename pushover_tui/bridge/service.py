"""The bridge's engine, free of HTTP: accept jobs durably, deliver them through the one pipeline.

One worker task sends the queued jobs strictly in order (a resolve never overtakes the alert it
cancels), over the outbox's one shared client, with the pipeline's retry rules. A send that still
fails with a temporary error (after the client's own retries) is tried again later, a few times.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pushover_tui.api.errors import FieldProblemsError, PushoverError, TemporaryError
from pushover_tui.api.models import Message
from pushover_tui.bridge.queue import AlertQueue, QueuedAlert
from pushover_tui.bridge.sentry import Job
from pushover_tui.bridge.settings import BridgeSettings
from pushover_tui.outbox import Outbox, apply_defaults

if TYPE_CHECKING:
    from pushover_tui.store.config import ActiveProfile

log = logging.getLogger("pushover_tui.bridge")

ORIGIN = "sentry"
MAX_ATTEMPTS = 4  # each attempt is itself up to 3 requests (the client's polite retries)
RETRY_DELAYS = (60.0, 300.0, 900.0)


class BridgeService:
    def __init__(
        self,
        settings: BridgeSettings,
        active: ActiveProfile,
        data_folder: Path,
        *,
        outbox_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.settings = settings
        self.active = active
        self.data_folder = Path(data_folder)
        self._outbox_options = dict(outbox_options or {})
        self.outbox: Outbox | None = None
        self.queue: AlertQueue | None = None
        self._wake = asyncio.Event()
        self._worker: asyncio.Task[None] | None = None

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        self.outbox = Outbox.open(
            self.active, self.data_folder, origin=ORIGIN, **self._outbox_options
        )
        self.queue = AlertQueue.open(self.data_folder)
        self.queue.prune()
        pending = self.queue.pending()
        if pending:
            log.info("resuming %d accepted alert(s) not sent before the last stop", pending)
        self._resume_receipts()
        self._wake = asyncio.Event()
        self._wake.set()
        self._worker = asyncio.create_task(self._run(), name="sentry-bridge-worker")

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
        if self.outbox is not None:
            await self.outbox.aclose()
            self.outbox.history.close()
            self.outbox = None
        if self.queue is not None:
            self.queue.close()
            self.queue = None

    def _resume_receipts(self) -> None:
        """Follow the emergencies this bridge sent before (the TUI and CLI follow their own)."""
        assert self.outbox is not None
        name = self.active.profile.name
        for row in self.outbox.history.open_receipts():
            if row.origin == ORIGIN and row.profile == name and row.receipt:
                self.outbox.tracker.track(row.id, row.receipt, poll_now=True)

    # -- accepting -----------------------------------------------------------------------------

    def accept(self, job: Job) -> int | None:
        """Commit the job to disk; its queue id, or None for a duplicate. Wakes the worker."""
        assert self.queue is not None, "the bridge is not started"
        params: dict[str, Any] = {}
        if job.message is not None:
            params = apply_defaults(job.message, self.active.profile).params()
        alert_id = self.queue.add(job, params)
        if alert_id is not None:
            self._wake.set()
        return alert_id

    # -- delivering ----------------------------------------------------------------------------

    async def _run(self) -> None:
        assert self.queue is not None
        while True:
            alert, next_at = self.queue.next_due(time.time())
            if alert is None:
                self._wake.clear()
                timeout = None if next_at is None else max(0.0, next_at - time.time())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout)
                continue
            try:
                await self.deliver(alert)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # never let one alert stop the worker
                log.error(
                    "alert #%d (issue %s) failed unexpectedly: %s",
                    alert.id,
                    alert.issue,
                    type(error).__name__,
                )
                self.queue.failed(alert.id, f"unexpected error ({type(error).__name__})")

    async def deliver(self, alert: QueuedAlert) -> None:
        """Send (or cancel) one queued alert and record the outcome in the queue."""
        assert self.outbox is not None and self.queue is not None
        try:
            if alert.kind == "cancel":
                count = await self.outbox.tracker.cancel_by_tag(alert.tag)
                self.queue.done(alert.id)
                log.info(
                    "alert #%d: cancelled %d emergenc%s tagged %s",
                    alert.id,
                    count,
                    "y" if count == 1 else "ies",
                    alert.tag,
                )
                return
            message = apply_defaults(Message.from_params(dict(alert.params)), self.active.profile)
            sent = await self.outbox.send(message, meta=alert.meta)
        except TemporaryError as error:
            if alert.attempts + 1 < MAX_ATTEMPTS:
                delay = RETRY_DELAYS[min(alert.attempts, len(RETRY_DELAYS) - 1)]
                self.queue.retry_later(alert.id, str(error), delay)
                log.warning(
                    "alert #%d (issue %s): %s; trying again in %d s",
                    alert.id,
                    alert.issue,
                    error,
                    delay,
                )
            else:
                self.queue.failed(alert.id, str(error))
                log.error("alert #%d (issue %s) given up: %s", alert.id, alert.issue, error)
            return
        except (FieldProblemsError, PushoverError) as error:
            self.queue.failed(alert.id, str(error))
            log.error("alert #%d (issue %s) not sent: %s", alert.id, alert.issue, error)
            return
        self.queue.done(alert.id, history_id=sent.row_id)
        receipt = f", receipt {sent.result.receipt}" if sent.result.receipt else ""
        log.info(
            "alert #%d (issue %s) sent: history #%d%s", alert.id, alert.issue, sent.row_id, receipt
        )

    async def idle(self, timeout: float = 10.0) -> None:
        """Wait until nothing due is left in the queue (for tests and orderly shutdowns)."""
        assert self.queue is not None
        deadline = time.monotonic() + timeout
        while True:
            alert, _ = self.queue.next_due(time.time())
            if alert is None:
                return
            if time.monotonic() > deadline:
                raise TimeoutError("the bridge still has alerts to send")
            await asyncio.sleep(0.02)
