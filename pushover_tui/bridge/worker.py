"""The bridge's sending side: queued alerts out through the one pipeline, as a task on the
server's event loop.

- One loop: the worker is a task beside the HTTP handlers. Whatever it waits for in a store (the
  history file locked by another program, a full disk) runs off the loop (`asyncio.to_thread`),
  so it never holds up a webhook reply or `/health`; a slow Pushover is an await like any other.
- Supervised: no exception ends it. A failure is logged when it happens and kept for `/health`;
  the loop starts again after a backoff (1 s doubling to 30 s).
- Each alert has its own retry schedule (`Schedule`), so a failing alert never delays another;
  emergencies go first; at most `MAX_SENDING` sends at once over the outbox's one client. One
  issue's alerts keep Sentry's order (the queue's `due`): a resolve never overtakes its alert.
- An outcome that cannot be written yet (a full disk) is kept in memory and written when the
  queue takes writes again; until then its alert is not sent again.
- After any failed queue write (a webhook refused, an outcome kept), the worker tries the queue's
  write lock every `Schedule.recheck_queue` seconds, so `/health` turns healthy again once the
  queue takes writes, whether or not another webhook arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pushover_tui.api.errors import PushoverError, TemporaryError
from pushover_tui.api.models import Message
from pushover_tui.backoff import Backoff
from pushover_tui.bridge.sentry import resolved_notice
from pushover_tui.outbox import SendFailed, apply_defaults
from pushover_tui.store.alert_queue import DONE, FAILED, AlertQueueError
from pushover_tui.store.history import HistoryError

if TYPE_CHECKING:
    from pushover_tui.bridge.settings import BridgeSettings
    from pushover_tui.outbox import Outbox
    from pushover_tui.store.alert_queue import AlertQueue, QueuedAlert
    from pushover_tui.store.config import Profile
    from pushover_tui.store.postgres_queue import PostgresAlertQueue

log = logging.getLogger("pushover_tui.bridge")

ORIGIN = "sentry"
# The history's error for a send the bridge's shutdown cut off (not the dashboard's "Stopped by
# you"): the alert stays pending, so the next start sends it again.
STOPPED_TEXT = (
    "The Sentry bridge stopped during the send; it may have been delivered. The alert stays "
    "queued and is sent again when the bridge starts."
)
MAX_SENDING = 2  # the client's connection limit: more would only queue inside httpx
RETRY = "retry"
STALE_AFTER = 300.0  # /health: a pending alert older than this means alerts are not getting out
STATS_EVERY = 1.0  # seconds between reads of the queue's depth while alerts are being sent


@dataclass(frozen=True)
class Schedule:
    """When a failing alert is tried again: after each delay in turn, then every last delay,
    until `give_up_after` seconds from its acceptance; then it is failed and logged. Every
    delay is at least 5 s, as Pushover asks of retries."""

    retry_delays: tuple[float, ...] = (5.0, 30.0, 120.0, 600.0)
    give_up_after: float = 24 * 3600.0
    backoff_first: float = 1.0  # the worker after an error, or an alert held by a local fault
    backoff_max: float = 30.0
    recheck_queue: float = 5.0  # while the queue cannot be written: how often to try again
    # A shared queue (PostgreSQL): how often to look for alerts other bridges accepted and
    # left (killed before sending them) and to renew the leases of the alerts being sent.
    shared_poll: float = 2.0

    def delay(self, attempts: int) -> float:
        """The wait after the `attempts`-th failed attempt (1 = the first)."""
        return self.retry_delays[min(attempts, len(self.retry_delays)) - 1]

    @property
    def backoff(self) -> Backoff:
        return Backoff(self.backoff_first, self.backoff_max, jitter=False)


DEFAULT_SCHEDULE = Schedule()


@dataclass(frozen=True)
class _Outcome:
    status: str  # DONE, FAILED or RETRY
    error: str = ""
    history_id: int | None = None
    delay: float = 0.0
    attempt: bool = True  # False: nothing left this process (a local fault); not counted
    follow_up: dict[str, Any] | None = None  # an alert to queue with this one's outcome


@dataclass(frozen=True)
class Health:
    """What `/health` and `bridge --check` report; nothing secret, nothing received."""

    worker_alive: bool
    worker_state: str  # "running", "restarting" (after an error), "stopped"
    queue_depth: int
    oldest_pending_at: float | None
    queue_writable: bool
    last_error: str
    last_error_at: float | None
    problems: tuple[str, ...] = field(default=())

    @property
    def healthy(self) -> bool:
        return not self.problems

    def to_json(self, now: float) -> dict[str, Any]:
        age = None if self.oldest_pending_at is None else round(now - self.oldest_pending_at, 1)
        return {
            "status": "ok" if self.healthy else "unhealthy",
            "worker_alive": self.worker_alive,
            "worker": self.worker_state,
            "queue_depth": self.queue_depth,
            "oldest_pending_age": age,
            "queue_writable": self.queue_writable,
            "last_error": self.last_error or None,
            "last_error_at": None
            if self.last_error_at is None
            else datetime.fromtimestamp(self.last_error_at, UTC).isoformat(),
            "problems": list(self.problems),
        }


class HealthBoard:
    """The bridge's state for `/health`; reads never touch a store, so `/health` answers while
    the queue is locked or unreachable."""

    def __init__(self) -> None:
        self._state = "stopped"
        self._alive = False
        self._depth = 0
        self._oldest: float | None = None
        self.writable = True
        self._error = ""
        self._error_at: float | None = None

    def worker(self, state: str, *, alive: bool = True) -> None:
        self._state, self._alive = state, alive

    def queue(self, depth: int, oldest: float | None) -> None:
        self._depth, self._oldest = depth, oldest

    def stored(self) -> None:
        self.writable = True

    def error(self, text: str, *, store: bool = False) -> None:
        """A failure, as logged; `store=True`: the queue could not be written."""
        self._error, self._error_at = text, time.time()
        if store:
            self.writable = False

    def error_age(self) -> float:
        """Seconds since the last failure (infinite: none yet)."""
        return float("inf") if self._error_at is None else time.time() - self._error_at

    def snapshot(self, now: float) -> Health:
        problems = []
        if not self._alive:
            problems.append("the sending worker is not running")
        elif self._state != "running":
            problems.append(f"the sending worker is restarting after an error: {self._error}")
        if not self.writable:
            problems.append(f"the queue cannot be written: {self._error}")
        if self._oldest is not None and now - self._oldest > STALE_AFTER:
            problems.append(
                f"the oldest pending alert has waited {now - self._oldest:.0f} s "
                "(see the log for why it is not sent)"
            )
        return Health(
            worker_alive=self._alive,
            worker_state=self._state,
            queue_depth=self._depth,
            oldest_pending_at=self._oldest,
            queue_writable=self.writable,
            last_error=self._error,
            last_error_at=self._error_at,
            problems=tuple(problems),
        )


class Worker:
    """Sends what the queue holds: `start()` makes it a task on the running loop."""

    def __init__(
        self,
        *,
        queue: AlertQueue | PostgresAlertQueue,
        outbox: Outbox,
        settings: BridgeSettings,
        profile: Profile,
        board: HealthBoard,
        schedule: Schedule = DEFAULT_SCHEDULE,
        stop_grace: float = 3.0,
    ) -> None:
        self.queue = queue
        self.outbox = outbox
        self.settings = settings
        self.profile = profile
        self.board = board
        self.schedule = schedule
        self.stop_grace = stop_grace
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._sending: dict[int, asyncio.Task[None]] = {}
        self._unwritten: dict[int, _Outcome] = {}
        self._holds = 0  # local faults in a row: their wait doubles, a good send resets it
        self._renewed_at = 0.0  # when the leases of the alerts being sent were last renewed
        self._counted_at = 0.0  # when the queue's depth was last read (monotonic)
        self._progress = False  # the serving loop went round once since the last restart

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        # The client now (httpx's import, its TLS context: a second under load), before the
        # first webhook, not in the middle of the first send on the loop that answers them.
        await self.outbox.client()
        self.board.worker("running")
        await self._resume_receipts()
        self._task = asyncio.create_task(self._supervise(), name="bridge-worker")

    def wake(self) -> None:
        """Look at the queue now (thread-safe: tests call it from outside the loop)."""
        if self._loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has just closed
                self._loop.call_soon_threadsafe(self._wake.set)

    async def stop(self) -> None:
        """Stop sending: sends under way get `stop_grace` seconds to finish; an alert cut off
        stays pending and is sent at the next start."""
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        try:
            if self._sending:
                await asyncio.wait(list(self._sending.values()), timeout=self.stop_grace)
            cut_off = list(self._sending)
            for task in self._sending.values():
                task.cancel()
            await asyncio.gather(*self._sending.values(), return_exceptions=True)
            with contextlib.suppress(AlertQueueError):
                await self._write_outcomes()
                await asyncio.to_thread(self.queue.release, cut_off)  # others may send them
        finally:
            self._loop = None
            self.board.worker("stopped", alive=False)
            await self.outbox.aclose()

    @property
    def busy(self) -> int:
        """Alerts being sent or with an outcome not yet written."""
        return len(self._sending) + len(self._unwritten)

    async def _resume_receipts(self) -> None:
        """Follow the emergencies this bridge sent before (the TUI and CLI follow their own)."""
        try:
            rows = await asyncio.to_thread(self.outbox.history.open_receipts)
        except HistoryError as error:
            self._failure(f"cannot resume following receipts: {error}")
            return
        for row in rows:
            if row.origin == ORIGIN and row.profile == self.profile.name and row.receipt:
                self.outbox.tracker.track(row.id, row.receipt, poll_now=True)

    async def _supervise(self) -> None:
        failures = 0
        while True:
            self._progress = False
            try:
                await self._serve()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # nothing ends the worker: log, wait, start again
                if self._progress:  # it ran fine for a while: a new fault, not the same one
                    failures = 0
                delay = self.schedule.backoff.delay(failures)
                failures += 1
                text = _describe(error)
                self.board.error(text, store=isinstance(error, AlertQueueError))
                self.board.worker("restarting")
                log.error("sending worker: %s Starting again in %g s.", text, delay)
                await asyncio.sleep(delay)
                self.board.worker("running")

    async def _serve(self) -> None:
        while True:
            self._wake.clear()
            await self._write_outcomes()
            await self._recheck_queue()
            await self._renew_leases()
            next_at = await self._start_due()
            await self._count_queue()
            self._progress = True
            timeout = None if next_at is None else max(0.0, next_at - time.time())
            if not self.board.writable:  # come back to try the queue again
                recheck = self.schedule.recheck_queue
                timeout = recheck if timeout is None else min(timeout, recheck)
            if self.queue.shared:  # other bridges' leftovers, and our leases
                poll = self.schedule.shared_poll
                timeout = poll if timeout is None else min(timeout, poll)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    async def _count_queue(self) -> None:
        """The queue's depth for /health: at most once a second while alerts are being sent
        (a burst wakes the worker per alert), at once when it goes quiet."""
        quiet = not self._sending and not self._unwritten
        if quiet or time.monotonic() - self._counted_at >= STATS_EVERY:
            stats = await asyncio.to_thread(self.queue.stats)
            self.board.queue(stats.pending, stats.oldest_pending_at)
            self._counted_at = time.monotonic()

    async def _start_due(self) -> float | None:
        free = MAX_SENDING - len(self._sending)
        if free <= 0:  # a finished send wakes the worker: nothing to claim or time until then
            return None
        busy = set(self._sending) | set(self._unwritten)
        alerts, next_at = await asyncio.to_thread(
            self.queue.due, time.time(), limit=max(free, 0), busy=busy
        )
        for alert in alerts:
            task = asyncio.create_task(self._attempt(alert), name=f"bridge-alert-{alert.id}")
            self._sending[alert.id] = task
        return next_at

    async def _attempt(self, alert: QueuedAlert) -> None:
        try:
            outcome = await self.deliver(alert)
        except Exception as error:  # one alert's bug must not stop the others: its schedule
            outcome = self._retry(alert, f"unexpected error ({type(error).__name__})")
        self._unwritten[alert.id] = outcome
        del self._sending[alert.id]
        self._wake.set()

    async def _write_outcomes(self) -> None:
        """Write the outcomes kept in memory; AlertQueueError leaves the rest for the next try."""
        # A written outcome (an UPDATE) does not clear /health's flag: on a full disk it can
        # succeed while new alerts (INSERTs) cannot; a stored alert or `_recheck_queue` does.
        for alert_id, outcome in list(self._unwritten.items()):
            await asyncio.to_thread(self._write_outcome, alert_id, outcome)
            del self._unwritten[alert_id]

    def _write_outcome(self, alert_id: int, outcome: _Outcome) -> None:
        if outcome.follow_up is not None:
            self.queue.add(**outcome.follow_up)
        if outcome.status == DONE:
            self.queue.done(alert_id, history_id=outcome.history_id)
        elif outcome.status == FAILED:
            self.queue.failed(alert_id, outcome.error, history_id=outcome.history_id)
        else:
            self.queue.retry_later(alert_id, outcome.error, outcome.delay, attempt=outcome.attempt)

    async def _renew_leases(self) -> None:
        """Keep the claims on the alerts being sent (or with an outcome not yet written) while
        the sends go on: a shared queue's lease runs out only when this bridge is gone."""
        held = set(self._sending) | set(self._unwritten)
        due = time.time() - self._renewed_at >= self.schedule.shared_poll
        if self.queue.shared and held and due:
            await asyncio.to_thread(self.queue.renew, held)
            self._renewed_at = time.time()

    async def _recheck_queue(self) -> None:
        """After a failed write, whoever made it: clear /health's flag once the queue takes the
        write lock again (a webhook refused while another program held it may be the last).
        Only `recheck_queue` seconds after the failure: taking the lock needs no free space, so
        a recheck at every wake would call a full disk healthy right after a refusal."""
        if not self.board.writable and self.board.error_age() >= self.schedule.recheck_queue:
            with contextlib.suppress(AlertQueueError):
                await asyncio.to_thread(self.queue.check_writable)
                self.board.stored()

    def _failure(self, text: str, *, store: bool = False) -> None:
        log.error("%s", text)
        self.board.error(text, store=store)

    # -- one alert -------------------------------------------------------------------------

    async def deliver(self, alert: QueuedAlert) -> _Outcome:
        """Send (or cancel) one queued alert; what to write in the queue about it."""
        if alert.kind == "cancel":
            return await self._cancel(alert)
        label = f"alert #{alert.id} (issue {alert.issue})"
        message = apply_defaults(Message.from_params(dict(alert.params)), self.profile)
        try:
            sent = await self.outbox.send(message, meta={**alert.meta, "bridge_alert": alert.id})
        except SendFailed as failed:  # the history could not record it
            if not failed.request_sent:
                return self._held(f"{label} not sent yet: {failed.history_error}")
            if isinstance(failed.error, TemporaryError):
                return self._retry(alert, str(failed))
            if failed.error is not None:
                self._failure(f"{label} not sent: {failed}")
                return _Outcome(FAILED, str(failed.error))
            self._failure(f"{label} sent, but its history row stays incomplete: {failed}")
            return _Outcome(DONE)
        except TemporaryError as error:
            return self._retry(alert, str(error))
        except PushoverError as error:  # refused, field problems, quota: sending again won't do
            self._failure(f"{label} not sent: {error}")
            return _Outcome(FAILED, str(error))
        self._holds = 0
        receipt = f", receipt {sent.result.receipt}" if sent.result.receipt else ""
        log.info("%s sent: history #%d%s", label, sent.row_id, receipt)
        return _Outcome(DONE, history_id=sent.row_id)

    async def _cancel(self, alert: QueuedAlert) -> _Outcome:
        label = f"alert #{alert.id} ({alert.action} {alert.tag})"
        try:
            rows = await asyncio.to_thread(self.outbox.history.open_receipts_with_tag, alert.tag)
            titles = [row.title for row in rows]
            count = await self.outbox.tracker.cancel_by_tag(alert.tag)
        except TemporaryError as error:
            return self._retry(alert, str(error))
        except HistoryError as error:  # cancelling again is harmless
            return self._held(f"{label} not finished: {error}")
        except PushoverError as error:
            self._failure(f"{label} not cancelled: {error}")
            return _Outcome(FAILED, str(error))
        cancelled = max(count, len(titles))
        log.info("%s: cancelled %d emergenc%s", label, cancelled, "y" if cancelled == 1 else "ies")
        follow_up = None
        if self.settings.notify_resolved and cancelled:
            notice = resolved_notice(
                resource=alert.resource,
                action=alert.action,
                title=titles[0] if titles else str(alert.meta.get("title", "")),
                cancelled=cancelled,
                link=str(alert.meta.get("link", "")),
                settings=self.settings,
            )
            follow_up = {
                "key": f"notice:{alert.key}",
                "kind": "send",
                "tag": alert.tag,
                "resource": alert.resource,
                "action": alert.action,
                "issue": alert.issue,
                "priority": notice.priority,
                "params": notice.params(),
                "meta": {key: value for key, value in alert.meta.items() if key != "title"},
            }
        return _Outcome(DONE, follow_up=follow_up)

    def _retry(self, alert: QueuedAlert, error: str) -> _Outcome:
        """A temporary failure: its next attempt by the schedule, or give up after a day."""
        label = f"alert #{alert.id} (issue {alert.issue})"
        attempts = alert.attempts + 1
        delay = self.schedule.delay(attempts)
        if time.time() + delay - alert.created_at > self.schedule.give_up_after:
            self._failure(f"{label} given up after {attempts} attempts: {error}")
            return _Outcome(FAILED, error)
        log.warning("%s: attempt %d failed, next in %g s: %s", label, attempts, delay, error)
        self.board.error(f"{label}: {error}")
        return _Outcome(RETRY, error, delay=delay)

    def _held(self, text: str) -> _Outcome:
        """A local fault (the history cannot be written): nothing left, so no attempt counted;
        tried again after the worker's backoff, which a successful send resets."""
        delay = self.schedule.backoff.delay(self._holds)
        self._holds += 1
        self._failure(f"{text} Trying again in {delay:g} s.")
        return _Outcome(RETRY, text, delay=delay, attempt=False)


def _describe(error: Exception) -> str:
    if isinstance(error, PushoverError):
        return str(error)
    return f"unexpected error ({type(error).__name__}: {error})."
