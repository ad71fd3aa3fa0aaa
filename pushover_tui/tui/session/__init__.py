"""The dashboard's state and work, without Textual: the active profile and switching it, the
outbox (client and tracker), the quota, the account's groups, the inbox, config writes, and what
the status line tells (verified, reachable, devices, awaiting, a Send test's arrival).

Screens never reach the send pipeline or the stores another way. The app (tui/app.py) builds
one Session and turns its change signals into reactives and Textual signals; background work
runs through the `run` hook it passes (Textual workers, so tests can wait for them).

`read_only=True` (for `serve --read-only`): every action that sends, edits, deletes,
acknowledges, changes groups or saves config raises ReadOnlyError, one sentence saying so.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from contextlib import suppress
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pushover_tui.api.errors import (
    APIError,
    PushoverError,
    QuotaExceededError,
    TemporaryError,
    UnexpectedResponseError,
)
from pushover_tui.api.models import Quota
from pushover_tui.outbox import Outbox, Sent
from pushover_tui.store.config import ActiveProfile, Config, Profile, resolve, save_config
from pushover_tui.store.history import History
from pushover_tui.store.overview import latest_quota
from pushover_tui.store.url import store_url
from pushover_tui.tui.session.groups import GroupsAccount
from pushover_tui.tui.session.signals import Listeners

if TYPE_CHECKING:
    from pushover_tui.api.client import Progress
    from pushover_tui.api.inbox import InboxSession
    from pushover_tui.api.models import Group, Message, UserCheck
    from pushover_tui.api.secret import Secret
    from pushover_tui.store.base import Store
    from pushover_tui.store.history import HistoryRow
    from pushover_tui.tui.session.glances import Glances
    from pushover_tui.tui.session.inbox import InboxLink
    from pushover_tui.tui.session.team import TeamAccount

# Runs background work named `group`; `exclusive`: a new one cancels the group's running one.
# The app passes Textual workers (tests wait for them as for the app's own).
Runner = Callable[[Coroutine[Any, Any, Any], str, bool], object]


class ReadOnlyError(PushoverError):
    """The dashboard was started read-only: nothing may change."""

    def __init__(self, action: str) -> None:
        super().__init__(f"This dashboard is read-only: it cannot {action}.")


class Session:
    """One per dashboard. State the status line and the screens show is published on `changed`
    (the attribute's name) whenever it changes."""

    STATE = (
        "verified",  # the active profile's keys, as in use (None: not checked yet)
        "reachable",  # did the last request get an answer?
        "devices",  # the in-use keys' devices
        "quota",  # the newest quota any process saw for this profile (or the start-up read)
        "awaiting",  # emergencies of this profile awaiting acknowledgement
        "test_arrival",  # seconds from the last Send test to its arrival in this inbox
        "known_groups",  # the account's delivery groups, None until loaded
        "groups_note",  # why they are not (loading, or the failure)
        "store_reachable",  # False while the shared PostgreSQL does not answer
    )

    def __init__(
        self,
        *,
        config: Config,
        profile: str | None = None,
        api_url: str | None = None,
        data_folder: Path,
        env: Mapping[str, str] = os.environ,
        demo: bool = False,
        read_only: bool = False,
        run: Runner | None = None,
    ) -> None:
        self.config = config
        self.env = env
        self.demo = demo
        self.read_only = read_only
        self.data_folder = data_folder
        self._api_url_option = api_url
        self._run = run or _run_task
        self.active = resolve(config, profile, api_url=api_url, env=env)
        # The demo's history is its own throwaway folder, never a team's store.
        shared = None if demo else store_url(env, config.store_url.reveal())
        self.store_url = shared  # where on-call swaps take their lock too
        self.outbox = Outbox.open(
            self.active,
            data_folder,
            origin="tui",
            store_url=shared,
            unreachable_ok=True,  # the status line says so, and it retries by itself
        )
        self._local_history: History | None = None  # the inbox's, when the store is shared
        self.store_reachable = self.outbox.history.reachable
        self.verified: bool | None = None
        self.reachable: bool | None = None
        self.devices: tuple[str, ...] | None = None
        self.quota: Quota | None = None
        self.awaiting = 0
        self.test_arrival: float | None = None
        self.known_groups: tuple[Group, ...] | None = None
        self.groups_note = ""
        self._quota_read: tuple[float, Quota] | None = None  # this process's limits() answer
        self._seen_version: int | None = None
        self._started = False
        self._inbox: InboxLink | None = None
        self.changed: Listeners[str] = Listeners()
        self.history_changed: Listeners[HistoryRow | None] = Listeners()
        self.profile_changed: Listeners[ActiveProfile] = Listeners()
        self.receipt_closed: Listeners[HistoryRow] = Listeners()
        self.groups = GroupsAccount(self)
        self._follow(self.outbox)

    # -- what is read ----------------------------------------------------------------------

    @property
    def history(self) -> Store:
        """Every message sent: this machine's files, or the team's PostgreSQL."""
        return self.outbox.history

    @property
    def inbox_history(self) -> History:
        """The history database the inbox keeps its messages in: always this machine's (the
        inbox belongs to this machine's device), even when the sent messages are shared."""
        if isinstance(self.history, History):
            return self.history
        if self._local_history is None:
            self._local_history = History.open(self.data_folder)
        return self._local_history

    @property
    def inbox(self) -> InboxLink:
        """The active profile's inbox, followed from `start()` (just after the first frame)."""
        if self._inbox is None:
            from pushover_tui.tui.session.inbox import InboxLink

            self._inbox = InboxLink(self)
        return self._inbox

    @cached_property
    def glances(self) -> Glances:
        """What the Glance panel sent, and the pace advice (imported when first used: not
        on the way to the first frame)."""
        from pushover_tui.tui.session.glances import Glances

        return Glances(self)

    @cached_property
    def team(self) -> TeamAccount:
        """The Teams API, with the profile's team_token (imported when first used)."""
        from pushover_tui.tui.session.team import TeamAccount

        return TeamAccount(self)

    def set(self, name: str, value: object) -> None:
        """Change one of STATE and tell `changed` (only when it did change)."""
        if getattr(self, name) != value:
            setattr(self, name, value)
            self.changed.publish(name)

    def run(self, work: Coroutine[Any, Any, Any], group: str, *, exclusive: bool = True) -> object:
        return self._run(work, group, exclusive)

    def refuse_if_read_only(self, action: str) -> None:
        """ReadOnlyError ("…cannot `action`.") when the dashboard is read-only."""
        if self.read_only:
            raise ReadOnlyError(action)

    # -- life cycle ------------------------------------------------------------------------

    def start(self) -> None:
        """After the app's first frame: resume receipts, check the keys, load the groups,
        follow the inbox (receiving imports httpx and websockets: never before that frame)."""
        if not self._started:
            self._started = True
            self.refresh()
            if self.active.has_keys:
                self.run(self.outbox.tracker.resume(self.active.profile.name), "resume")
                self._check_in_background()
        self.inbox.start()

    def _check_in_background(self) -> None:
        self.run(self.check_keys(), "startup-check")
        self.run(self.load_groups(), "groups-list")

    async def check_keys(self) -> None:
        """Verify the active keys and read the quota; the status line tells the outcome."""
        with suppress(PushoverError):  # the status line says which; Config says why when asked
            await self.verify(self.active.profile)
            client = await self.outbox.client()
            quota = await client.limits()
            self._quota_read = (time.time(), quota)
            self._show_quota()

    async def load_groups(self) -> None:
        with suppress(PushoverError):  # `groups_note` says why; Compose keeps the default
            await self.groups.load()

    def refresh(self) -> None:
        """Follow rows other processes wrote (the app calls this when the store hears of a change,
        as its lists reload): the quota and the count of emergencies awaiting acknowledgement."""
        with suppress(PushoverError):  # closing, or the file is gone: the lists say so
            version = self.history.data_version()
            if version != self._seen_version:
                self._seen_version = version
                self._history_moved()
        # The shared store's listener keeps trying to reconnect while the server is down.
        self.set("store_reachable", self.history.reachable)

    async def aclose(self) -> None:
        if self._inbox is not None:
            await self._inbox.aclose()  # before the history it writes to closes
        await self.outbox.aclose()
        self.history.close()
        if self._local_history is not None:
            self._local_history.close()

    # -- sending ---------------------------------------------------------------------------

    async def send_message(
        self, message: Message, to: Secret | None = None, progress: Progress | None = None
    ) -> Sent:
        """Send through the shared pipeline, to `to` (a group key) or the profile's recipient;
        raises the pipeline's errors for the screen. `progress` hears each attempt and the wait
        before a retry."""
        self.refuse_if_read_only("send messages")
        return await self._sending(self.outbox.send(message, to=to or None, progress=progress))

    async def send_test(self, progress: Progress | None = None) -> Sent:
        self.refuse_if_read_only("send messages")
        sent = await self._sending(self.outbox.send_test(progress=progress))
        if self._inbox is not None:
            self._inbox.time_arrival(sent)
        return sent

    async def _sending(self, send: Awaitable[Sent]) -> Sent:
        try:
            sent = await send
        except (TemporaryError, UnexpectedResponseError, APIError) as error:
            self._answered(error)
            if isinstance(error, QuotaExceededError):
                limit = self.quota.limit if self.quota is not None else None
                self._quota_read = (time.time(), Quota(limit, remaining=0, reset=error.reset))
            self._show_quota()
            raise
        self._answered()
        self._show_quota()
        return sent

    def _answered(self, error: PushoverError | None = None) -> None:
        """Record whether the API answered a request (any answer counts, a refusal too)."""
        self.set("reachable", error is None or error.answered)

    async def cancel_receipt(self, receipt: str) -> None:
        self.refuse_if_read_only("cancel emergencies")
        await self.outbox.tracker.cancel(receipt)

    async def cancel_by_tag(self, tag: str) -> int:
        self.refuse_if_read_only("cancel emergencies")
        return await self.outbox.tracker.cancel_by_tag(tag)

    def delete_message(self, row_id: int) -> bool:
        self.refuse_if_read_only("delete messages")
        return self.history.delete(row_id)

    def clear_history(self) -> int:
        self.refuse_if_read_only("clear the history")
        return self.history.clear()

    # -- the account -----------------------------------------------------------------------

    async def verify(self, profile: Profile, device: str = "") -> UserCheck:
        """Check `profile`'s keys (saved or not) against users/validate.json. The verdict
        changes only for the keys in use, never for keys being edited."""
        in_use = (profile.token, profile.user) == (
            self.active.profile.token,
            self.active.profile.user,
        )
        async with self.outbox.client_for(profile.token) as client:
            try:
                check = await client.validate_user(profile.user, device)
            except PushoverError as error:
                self._answered(error)
                if in_use and isinstance(error, APIError):
                    self.set("verified", False)
                raise
        self._answered()
        if in_use:
            self.set("verified", True)
            self.set("devices", check.devices)
        return check

    async def sounds(self, profile: Profile) -> dict[str, str]:
        async with self.outbox.client_for(profile.token) as client:
            return await client.sounds()

    # -- the config file -------------------------------------------------------------------

    def save_config(self, config: Config) -> None:
        """Write the config file (never environment values) and re-resolve the active profile."""
        self.write_config(config)
        self.switch_profile(self.active.profile.name if config.profiles else None)

    def write_config(self, config: Config) -> None:
        """Write the config file when what changed is not the profile in use (which profile is
        the default, an inbox session): its keys, outbox and verification stay as they are."""
        self.refuse_if_read_only("save the config")
        self.config = save_config(config)

    def write_theme(self, theme: str) -> None:
        """Keep the theme chosen in the palette (a read-only or demo dashboard keeps none)."""
        if theme != self.config.theme and not self.demo and not self.read_only:
            self.config = save_config(replace(self.config, theme=theme))

    def remember_inbox(self, session: InboxSession | None) -> None:
        """Save the active profile's inbox session (None: forget it) in the config file. Only
        that changes: the keys, their verification and the outbox stay as they are."""
        from pushover_tui.inbox import remember

        name = self.active.profile.name
        # Not refused when read-only: only a login (refused itself, but for the demo's own
        # device, which is how the demo's inbox works) keeps a session.
        self.config = save_config(remember(self.config, name, session))
        self.active = replace(self.active, profile=replace(self.active.profile, inbox=session))

    def switch_profile(self, name: str | None) -> None:
        """Make `name` active: a new outbox (client and tracker) for its keys."""
        old = self.outbox
        self.active = resolve(self.config, name, api_url=self._api_url_option, env=self.env)
        self.outbox = Outbox(self.active, old.history, origin="tui")
        self._follow(self.outbox)
        # Stop the old profile's polls and close its client (the history stays shared).
        self.run(old.aclose(), "closing", exclusive=False)
        for name_ in ("verified", "reachable", "devices", "test_arrival"):
            self.set(name_, None)
        self._quota_read = None
        self._show_quota()
        self.groups.forget()
        if self.active.has_keys:
            self.run(self.outbox.tracker.resume(self.active.profile.name), "resume")
            if self._started:  # else start() will
                self._check_in_background()
        self._count_awaiting()
        self.profile_changed.publish(self.active)

    # -- following the history -------------------------------------------------------------

    def _follow(self, outbox: Outbox) -> None:
        outbox.tracker.add_listener(self._row_changed)
        outbox.tracker.add_closed_listener(self.receipt_closed.publish)

    def _row_changed(self, row: HistoryRow | None) -> None:
        """Every change the pipeline or the tracker records: screens refresh, counts follow."""
        self.history_changed.publish(row)
        self._count_awaiting()

    def _history_moved(self) -> None:
        self._count_awaiting()
        self._show_quota()

    def history_edited(self) -> None:
        """Many rows changed here (deleted, cleared): screens and counts follow."""
        self._row_changed(None)

    def _count_awaiting(self) -> None:
        name = self.active.profile.name
        with suppress(PushoverError):  # the shared store is down: the status line says so
            rows = self.history.open_receipts()
            self.set("awaiting", sum(1 for row in rows if row.profile == name))

    def _show_quota(self) -> None:
        """The newest quota seen: the newest row's (any process) or this process's own read."""
        with suppress(PushoverError):
            stored = latest_quota(self.history, self.active.profile.name)
            read = self._quota_read
            if read is not None and (stored is None or stored[0] <= read[0]):
                self.set("quota", read[1])
            else:
                self.set("quota", stored[1] if stored is not None else None)


def _run_task(work: Coroutine[Any, Any, Any], group: str, exclusive: bool) -> asyncio.Task[Any]:
    """Without an app (unit tests): a task, kept until it ends."""
    task = asyncio.ensure_future(work)
    _TASKS.add(task)
    task.add_done_callback(_TASKS.discard)
    return task


_TASKS: set[asyncio.Task[Any]] = set()
