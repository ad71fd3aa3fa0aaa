"""What the dashboard may do with the account's delivery groups (`session.groups`): the Groups
mode's calls, and the names Compose and History give recipients. Screens hold no protocol: every
request goes through the session's outbox client here.

The groups themselves are the session's `known_groups` and `groups_note` (the app mirrors them
in reactives screens watch). Read-only: every change is refused (ReadOnlyError).
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
    from pushover_tui.tui.session import Session

GROUPS_LOADING = "Loading your groups…"


class GroupsAccount:
    def __init__(self, session: Session) -> None:
        self._session = session
        self._reading: asyncio.Task[tuple[Group, ...]] | None = None

    async def load(self) -> tuple[Group, ...]:
        """The account's groups (keys and names), kept in the session's `known_groups`. One
        read at a time: whoever asks while one is on its way gets its answer (after a profile
        switch the session and the Groups screen ask together). Cancelling a caller leaves the
        read to others."""
        if self._reading is None or self._reading.done():
            self._reading = asyncio.ensure_future(self._read())
        return await asyncio.shield(self._reading)

    def forget(self) -> None:
        """The profile changed: no groups, no note, and the old profile's read stopped."""
        if self._reading is not None:
            self._reading.cancel()
            self._reading = None
        self._session.set("known_groups", None)
        self._session.set("groups_note", "")

    async def _read(self) -> tuple[Group, ...]:
        session = self._session
        session.set("groups_note", GROUPS_LOADING)
        try:
            groups = await (await session.outbox.client()).list_groups()
        except PushoverError as error:
            session.set("groups_note", f"Your groups could not be loaded: {error}")
            raise
        session.set("known_groups", groups)
        session.set("groups_note", "")
        return groups

    # -- names for people ------------------------------------------------------------------

    def default_recipient(self) -> str:
        """Who a message goes to when no group is chosen, for people (keys masked): the
        profile's `to` (a group's name, or a key) or else its user key."""
        profile = self._session.active.profile
        if not profile.to:
            return f"you ({masked_key(profile.user.masked())})"
        group = next((g for g in self._session.known_groups or () if g.key == profile.to), None)
        if group is not None:
            return group.name
        to = profile.to.reveal()
        return masked_key(profile.to.masked()) if is_key(to) else to

    def recipient_names(self) -> dict[str, str]:
        """Names for the masked recipients History stores: the profile's user and each group."""
        names = {self._session.active.profile.user.masked(): "you"}
        names.update((group.key.masked(), group.name) for group in self._session.known_groups or ())
        return names

    def group_for(self, recipient: str) -> Secret | None:
        """The key of the one known group whose masked key is `recipient` (as History stores
        it); None when there is none, or several."""
        found = [g.key for g in self._session.known_groups or () if g.key.masked() == recipient]
        return found[0] if len(found) == 1 else None

    # -- the Groups API --------------------------------------------------------------------

    async def show(self, key: Secret) -> Group:
        return await (await self._session.outbox.client()).show_group(key)

    async def create(self, name: str) -> Group:
        self._session.refuse_if_read_only("create groups")
        return await (await self._session.outbox.client()).create_group(name)

    async def rename(self, key: Secret, name: str) -> None:
        self._session.refuse_if_read_only("rename groups")
        await (await self._session.outbox.client()).rename_group(key, name)

    async def add_member(self, key: Secret, member: GroupMember) -> None:
        self._session.refuse_if_read_only("change groups")
        client = await self._session.outbox.client()
        await client.add_group_user(key, member.user, device=member.device, memo=member.memo)

    async def remove_member(self, key: Secret, member: GroupMember) -> None:
        self._session.refuse_if_read_only("change groups")
        client = await self._session.outbox.client()
        await client.remove_group_user(key, member.user, device=member.device)

    async def enable_member(self, key: Secret, member: GroupMember, enable: bool) -> None:
        self._session.refuse_if_read_only("change groups")
        client = await self._session.outbox.client()
        call = client.enable_group_user if enable else client.disable_group_user
        await call(key, member.user, device=member.device)

    async def make_oncall(self, plan: OnCallPlan) -> None:
        """The plan's member on call, as `group oncall` does it (oncall.put_on_call): under the
        group's lock, planned again from the group as it is then (a cron job may have swapped
        it since), all or nothing (OnCallError says what was undone), and checked after
        (OnCallNotVerifiedError when something else changed it meanwhile)."""
        self._session.refuse_if_read_only("change groups")
        from pushover_tui.oncall import put_on_call
        from pushover_tui.store.locks import oncall_lock

        chosen = plan.now
        device = chosen[0].device if len(chosen) == 1 else ""  # several: all the user's
        await put_on_call(
            await self._session.outbox.client(),
            oncall_lock(self._session.data_folder, self._session.store_url, plan.group.key),
            plan.group.key,
            lambda group: chosen[0].user,
            device,
        )
