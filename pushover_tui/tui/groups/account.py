"""What the dashboard may do with the account's delivery groups, for the screens (`app.groups`):
the Groups mode's calls, and the names Compose and History give recipients. Screens hold no
protocol: every request goes through the app's outbox client here.

The groups themselves live on the app (`known_groups`, `groups_note`: reactives screens watch).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from pushover_tui.api.checks import is_key
from pushover_tui.api.errors import PushoverError
from pushover_tui.api.models import Group, GroupMember
from pushover_tui.api.secret import Secret
from pushover_tui.tui.wording import masked_key

if TYPE_CHECKING:
    from pushover_tui.oncall import OnCallPlan
    from pushover_tui.tui.app import PushoverApp

GROUPS_LOADING = "Loading your groups…"


class GroupsAccount:
    def __init__(self, app: PushoverApp) -> None:
        self._app = app
        self._reading: asyncio.Task[tuple[Group, ...]] | None = None

    async def load(self) -> tuple[Group, ...]:
        """The account's groups (keys and names), kept in the app's `known_groups`. One read at
        a time: whoever asks while one is on its way gets its answer (after a profile switch the
        app and the Groups screen ask together). Cancelling a caller leaves the read to others."""
        if self._reading is None or self._reading.done():
            self._reading = asyncio.ensure_future(self._read())
        return await asyncio.shield(self._reading)

    def forget(self) -> None:
        """The profile changed: no groups, no note, and the old profile's read stopped."""
        if self._reading is not None:
            self._reading.cancel()
            self._reading = None
        self._app.known_groups = None
        self._app.groups_note = ""

    async def _read(self) -> tuple[Group, ...]:
        app = self._app
        app.groups_note = GROUPS_LOADING
        try:
            groups = await (await app.outbox.client()).list_groups()
        except PushoverError as error:
            app.groups_note = f"Your groups could not be loaded: {error}"
            raise
        app.known_groups = groups
        app.groups_note = ""
        return groups

    # -- names for people ------------------------------------------------------------------

    def default_recipient(self) -> str:
        """Who a message goes to when no group is chosen, for people (keys masked): the
        profile's `to` (a group's name, or a key) or else its user key."""
        profile = self._app.active.profile
        if not profile.to:
            return f"you ({masked_key(profile.user.masked())})"
        group = next((g for g in self._app.known_groups or () if g.key == profile.to), None)
        if group is not None:
            return group.name
        to = profile.to.reveal()
        return masked_key(profile.to.masked()) if is_key(to) else to

    def recipient_names(self) -> dict[str, str]:
        """Names for the masked recipients History stores: the profile's user and each group."""
        names = {self._app.active.profile.user.masked(): "you"}
        names.update((group.key.masked(), group.name) for group in self._app.known_groups or ())
        return names

    def group_for(self, recipient: str) -> Secret | None:
        """The key of the one known group whose masked key is `recipient` (as History stores
        it); None when there is none, or several."""
        found = [g.key for g in self._app.known_groups or () if g.key.masked() == recipient]
        return found[0] if len(found) == 1 else None

    # -- the Groups API --------------------------------------------------------------------

    async def show(self, key: Secret) -> Group:
        return await (await self._app.outbox.client()).show_group(key)

    async def create(self, name: str) -> Group:
        return await (await self._app.outbox.client()).create_group(name)

    async def rename(self, key: Secret, name: str) -> None:
        await (await self._app.outbox.client()).rename_group(key, name)

    async def add_member(self, key: Secret, member: GroupMember) -> None:
        client = await self._app.outbox.client()
        await client.add_group_user(key, member.user, device=member.device, memo=member.memo)

    async def remove_member(self, key: Secret, member: GroupMember) -> None:
        client = await self._app.outbox.client()
        await client.remove_group_user(key, member.user, device=member.device)

    async def enable_member(self, key: Secret, member: GroupMember, enable: bool) -> None:
        client = await self._app.outbox.client()
        call = client.enable_group_user if enable else client.disable_group_user
        await call(key, member.user, device=member.device)

    async def make_oncall(self, plan: OnCallPlan) -> None:
        """All or nothing (oncall.make_oncall): OnCallError says what was undone."""
        from pushover_tui.oncall import make_oncall

        await make_oncall(await self._app.outbox.client(), plan)
