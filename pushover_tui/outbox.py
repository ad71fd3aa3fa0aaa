"""The one send pipeline, shared by every face (TUI, command line, Sentry bridge).

check fields -> record the row as `sending` (committed) -> send with the retry policy -> record the
outcome -> hand a receipt to the tracker. Neither face re-implements any of these steps.

The history's reads and writes run off the event loop (a thread each), so a history file another
program holds locked never freezes a dashboard or the bridge's webhooks. When the history cannot
be written, `send` raises one typed error, SendFailed, which says whether a row exists and whether
the request left: the caller never has to guess from a chain of exceptions.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pushover_tui.api.checks import (
    Problem,
    check_key,
    check_message,
    check_token,
    check_users,
    errors,
)
from pushover_tui.api.closing import AsyncClosing
from pushover_tui.api.errors import (
    APIError,
    FieldProblemsError,
    NoCredentialsError,
    PushoverError,
    QuotaExceededError,
)
from pushover_tui.api.models import Message, Quota, SendResult
from pushover_tui.store.base import HistoryError, Store, StoreUnreachableError, open_store
from pushover_tui.store.history import STOPPED_TEXT
from pushover_tui.tracker import ReceiptTracker

if TYPE_CHECKING:
    from pushover_tui.api.beyond_messages import Glance
    from pushover_tui.api.client import Progress, PushoverClient, Sleep
    from pushover_tui.api.secret import Secret
    from pushover_tui.store.config import ActiveProfile, Profile
    from pushover_tui.store.url import StoreURL

log = logging.getLogger(__name__)


class SendFailed(PushoverError):
    """The history could not record the send. `row_id`: the `sending` row, if it was written
    (None: nothing was recorded, and then nothing was sent). `request_sent`: the request left,
    so Pushover may have the message. `error`: the request's own failure (None: Pushover took
    it and only recording `sent` failed). The sentence names both failures."""

    def __init__(
        self,
        history_error: HistoryError,
        *,
        row_id: int | None,
        request_sent: bool,
        error: PushoverError | None = None,
    ) -> None:
        text = str(history_error) if error is None else f"{error} (and {history_error})"
        super().__init__(text)
        self.row_id = row_id
        self.request_sent = request_sent
        self.error = error
        self.history_error = history_error


@dataclass(frozen=True)
class Sent:
    row_id: int
    result: SendResult
    warnings: tuple[Problem, ...] = ()


def build_test_message(
    profile: Profile, *, now: datetime | None = None, host: str | None = None
) -> Message:
    """A clearly labelled test message with the profile's defaults."""
    now = now or datetime.now()
    text = f"Test from pushover-tui at {now:%H:%M} on {host or socket.gethostname()}"
    message = Message(message=text, title="pushover-tui test", priority=profile.priority)
    return apply_defaults(message, profile)


def apply_defaults(message: Message, profile: Profile) -> Message:
    """Fill what the message leaves blank (sound, device, retry, expire) from the profile."""
    return replace(
        message,
        sound=message.sound or profile.sound,
        device=message.device or profile.device,
        retry=profile.retry if message.retry is None else message.retry,
        expire=profile.expire if message.expire is None else message.expire,
    )


def credential_problems(active: ActiveProfile) -> list[Problem]:
    return check_token(active.profile.token.reveal()) + check_users(active.profile.user.reveal())


def check_outgoing(active: ActiveProfile, message: Message) -> list[Problem]:
    """Every problem with the message and the profile's keys (errors and warnings)."""
    return credential_problems(active) + check_message(message)


class Outbox(AsyncClosing):
    """Sends through one shared client, records every message, follows emergency receipts."""

    def __init__(
        self,
        active: ActiveProfile,
        history: Store,
        *,
        origin: str,
        retries: int | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.time,
        timeout: float | None = None,
        stopped_text: str = STOPPED_TEXT,
    ) -> None:
        self.active = active
        self.history = history
        self.origin = origin
        self.stopped_text = stopped_text  # the history's error for a send stopped half-way
        self._client_options: dict[str, Any] = {"sleep": sleep}
        if retries is not None:
            self._client_options["retries"] = retries
        timeout = active.timeout if timeout is None else timeout  # PUSHOVER_TUI_TIMEOUT
        if timeout is not None:
            self._client_options["timeout"] = timeout
        self._client_instance: PushoverClient | None = None
        self._default_recipient: Secret | None = None
        self.tracker = ReceiptTracker(self.client, history, sleep=sleep, clock=clock)

    @classmethod
    def open(
        cls,
        active: ActiveProfile,
        data_folder: Path,
        *,
        origin: str,
        store_url: StoreURL | None = None,
        unreachable_ok: bool = False,
        **options: Any,
    ) -> Outbox:
        """Open the store (`store_url`'s PostgreSQL, else the history in `data_folder`); rows a
        dead process left `sending` are interrupted. A store that does not answer raises
        StoreUnreachableError, unless `unreachable_ok` (the dashboard says so and goes on)."""
        history = open_store(data_folder, store_url)
        try:
            history.mark_interrupted()
        except StoreUnreachableError:
            if not unreachable_ok:
                history.close()
                raise
        except BaseException:
            history.close()
            raise
        return cls(active, history, origin=origin, **options)

    async def client(self) -> PushoverClient:
        """The shared client, created on first use (httpx stays off the start-up path)."""
        if self._client_instance is None:
            if not self.active.has_keys:
                raise NoCredentialsError(
                    f"Profile {self.active.profile.name!r} has no application token and user key "
                    "yet: set them in the config screen, with `pushover-tui config set token ...` "
                    "and `... set user ...`, or with PUSHOVER_TOKEN and PUSHOVER_USER; or try "
                    "`pushover-tui --demo`."
                )
            self._client_instance = self.client_for(self.active.profile.token)
        return self._client_instance

    def client_for(self, token: Secret) -> PushoverClient:
        """A new client with this outbox's options for another token (e.g. keys being edited);
        the caller closes it."""
        from pushover_tui.api.client import PushoverClient

        return PushoverClient(token, base_url=self.active.api_url, **self._client_options)

    async def aclose(self) -> None:
        await self.tracker.aclose()
        if self._client_instance is not None:
            await self._client_instance.aclose()
            self._client_instance = None

    async def recipient(self, to: Secret | None = None) -> Secret:
        """The key a message goes to: `to` (a user or group key, or a group's name), else the
        profile's `to`, else its user. A name is looked up among the account's groups once per
        outbox; GroupNameError when none or several match."""
        if to:
            return (await (await self.client()).find_group(to)).key
        if self._default_recipient is None:
            profile = self.active.profile
            self._default_recipient = (
                (await (await self.client()).find_group(profile.to)).key
                if profile.to
                else profile.user
            )
        return self._default_recipient

    def check(self, message: Message) -> list[Problem]:
        return check_outgoing(self.active, message)

    async def send(
        self,
        message: Message,
        *,
        meta: Mapping[str, Any] | None = None,
        to: Secret | None = None,
        progress: Progress | None = None,
    ) -> Sent:
        """Send one message through the pipeline, to `recipient(to)`. Raises FieldProblemsError
        or GroupNameError (nothing sent or recorded), the client's error after recording the
        row as failed, or SendFailed when the history cannot record the send. `progress` hears
        each attempt and each wait before a retry.

        Cancelling the task (Esc in the dashboard, Ctrl-C) once the row is recorded makes it
        `interrupted` (the request may have been delivered), then the cancellation goes on."""
        client = await self.client()
        problems = self.check(message)
        if blocking := errors(problems):
            raise FieldProblemsError(blocking)
        recipient = await self.recipient(to)
        return await self._recorded(
            message,
            recipient,
            lambda: client.send(recipient, message, progress=progress),
            meta=meta,
            warned=problems,
        )

    async def send_glance(self, glance: Glance, *, to: Secret | None = None) -> Sent:
        """Send a glance through the same pipeline, to `to` (a user key) or the profile's user,
        recorded as a `glance` row. FieldProblemsError before anything is recorded or sent."""
        client = await self.client()
        recipient = to or self.active.profile.user
        problems = (
            credential_problems(self.active)
            if to is None
            else check_token(self.active.profile.token.reveal())
            + check_key("user", recipient.reveal(), "user key")
        )
        if blocking := errors(problems + glance.problems()):
            raise FieldProblemsError(blocking)

        async def request() -> SendResult:
            return SendResult(await client.send_glance(recipient, glance))

        return await self._recorded(glance, recipient, request)

    async def _recorded(
        self,
        item: Message | Glance,
        recipient: Secret,
        request: Callable[[], Awaitable[SendResult]],
        *,
        meta: Mapping[str, Any] | None = None,
        warned: list[Problem] | None = None,
    ) -> Sent:
        """Record `item` as `sending`, make the `request`, record its outcome, track a receipt."""
        try:
            row_id = await asyncio.to_thread(
                self.history.record_sending,
                item,
                profile=self.active.profile.name,
                origin=self.origin,
                meta=meta,
                recipient=recipient,
            )
        except HistoryError as error:
            raise SendFailed(error, row_id=None, request_sent=False) from None
        await self.tracker.changed(row_id)
        try:
            result = await request()
        except asyncio.CancelledError:
            self._stopped(row_id)
            raise
        except PushoverError as error:
            await self._record_failed(row_id, error)
            raise
        else:
            try:
                await asyncio.to_thread(self.history.record_sent, row_id, result)
            except HistoryError as failure:
                raise SendFailed(failure, row_id=row_id, request_sent=True) from None
        finally:
            await self.tracker.changed(row_id)
        if result.receipt:
            self.tracker.track(row_id, result.receipt)
        warnings = tuple(problem for problem in warned or () if not problem.is_error)
        return Sent(row_id, result, warnings)

    async def send_test(self, *, progress: Progress | None = None) -> Sent:
        return await self.send(build_test_message(self.active.profile), progress=progress)

    async def _record_failed(self, row_id: int, error: PushoverError) -> None:
        """Record the request's failure; SendFailed (carrying it) if that cannot be done."""
        quota = (
            Quota(remaining=0, reset=error.reset) if isinstance(error, QuotaExceededError) else None
        )
        request_id = error.request_id if isinstance(error, APIError) else ""
        try:
            await asyncio.to_thread(
                self.history.record_failed, row_id, str(error), request_id=request_id, quota=quota
            )
        except HistoryError as failure:
            raise SendFailed(failure, row_id=row_id, request_sent=True, error=error) from None

    def _stopped(self, row_id: int) -> None:
        try:
            self.history.record_interrupted(row_id, self.stopped_text)
        except HistoryError as error:  # the cancellation must go on; the next start marks it
            log.warning("could not record the stopped send: %s", error)
