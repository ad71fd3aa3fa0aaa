"""Putting one member of a delivery group on call, for every face (command line, dashboard).

`plan_oncall` computes, from the group as `show_group` gave it, who is on call before, who will
be after, and the steps; `make_oncall` makes them all or nothing; `put_on_call` does the three
under the group's lock and checks the result. Invariants:
- Enabling comes first, so someone is on call at every moment.
- One swap of a group at a time (the store's group lock): the group is read, planned, changed
  and read again inside the lock, so two swaps at once cannot leave nobody or two on call.
- A swap is reported done only when the group, read again, has exactly the chosen memberships
  enabled (OnCallNotVerifiedError otherwise: someone changed it elsewhere meanwhile).
- When a step fails, or the caller is interrupted, the steps already made are undone, newest
  first, and then the failed step unless Pushover refused it (4xx): any other failure may have
  reached Pushover (even after we stopped waiting: hence last), and enable and disable are
  harmless to repeat.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pushover_tui.api.errors import APIError, PushoverError
from pushover_tui.api.models import Group, GroupMember

if TYPE_CHECKING:
    from pushover_tui.api.client import PushoverClient
    from pushover_tui.api.secret import Secret


@dataclass(frozen=True)
class Step:
    """Enable or disable one membership."""

    enable: bool
    member: GroupMember

    async def run(self, client: PushoverClient, group: Group, *, undo: bool = False) -> None:
        call = client.enable_group_user if self.enable != undo else client.disable_group_user
        await call(group.key, self.member.user, device=self.member.device)

    def describe(self, *, undo: bool = False) -> str:
        """For people, e.g. "disable Bob (all devices)"; the memo may hold control characters."""
        return f"{'enable' if self.enable != undo else 'disable'} {self.member.label}"

    def fields(self) -> dict[str, Any]:
        """JSON-ready: the action and the membership, its user key masked."""
        member = self.member.fields()
        del member["disabled"]  # the state before the step; the action says what it becomes
        return {"action": "enable" if self.enable else "disable", **member}


@dataclass(frozen=True)
class OnCallPlan:
    group: Group
    steps: tuple[Step, ...]
    before: tuple[GroupMember, ...]  # enabled memberships now
    now: tuple[GroupMember, ...]  # enabled memberships once the steps are made


def plan_oncall(group: Group, user: Secret, device: str = "") -> OnCallPlan:
    """`user` (only its membership bound to `device`, if given) on call, everyone else off.

    A device-less disable of another membership of the same user may reach all their devices
    (the API does not say), so the chosen ones are enabled again after it. A user who is not a
    member (as far as `group` knows) gets one enable step, which Pushover will refuse."""
    chosen = [m for m in group.members if m.user == user and device in ("", m.device)]
    before = tuple(m for m in group.members if not m.disabled)
    if not chosen:
        newcomer = GroupMember(user, device)
        return OnCallPlan(group, (Step(True, newcomer),), before, (newcomer,))
    steps = [Step(True, m) for m in chosen if m.disabled]
    others = [m for m in group.members if m not in chosen and not m.disabled]
    steps += [Step(False, m) for m in others]
    if any(m.user == user and not m.device for m in others):
        steps += [Step(True, m) for m in chosen]
    now = tuple(GroupMember(m.user, m.device, m.memo) for m in chosen)
    return OnCallPlan(group, tuple(steps), before, now)


@dataclass(frozen=True)
class Undo:
    """What undoing the made steps did."""

    undone: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()  # each with the reason

    def text(self) -> str:
        if not self.undone and not self.failed:
            return "nothing had been changed."
        text = f"undone: {', '.join(self.undone)}." if self.undone else ""
        if self.failed:
            text += (
                f" Could not undo: {'; '.join(self.failed)}. Check the group with "
                "`pushover-tui group show`."
            )
        return text.strip()


class OnCallError(PushoverError):
    """A step failed (`cause`); the steps made before it were undone as `undo` says."""

    def __init__(self, cause: PushoverError, *, step: int, steps: int, undo: Undo) -> None:
        self.cause = cause
        self.step = step
        self.undo = undo
        super().__init__(f"on call not changed: step {step} of {steps} failed; {undo.text()}")


async def make_oncall(client: PushoverClient, plan: OnCallPlan) -> None:
    """Make the plan's steps in order, all or nothing. Raises OnCallError after undoing; an
    interruption (CancelledError, KeyboardInterrupt) is re-raised after undoing, with a note
    saying what was undone."""
    done: list[Step] = []
    try:
        for step in plan.steps:
            await step.run(client, plan.group)
            done.append(step)
    except (PushoverError, asyncio.CancelledError, KeyboardInterrupt) as error:
        unsure = [] if isinstance(error, APIError) else [plan.steps[len(done)]]
        # The step in flight is undone last: Pushover may still make it after we stopped
        # waiting, and undone first, that late change could land after its undo.
        undo = await _undo(client, plan.group, [*unsure, *done])
        if isinstance(error, PushoverError):
            raise OnCallError(error, step=len(done) + 1, steps=len(plan.steps), undo=undo) from None
        error.add_note(f"oncall interrupted; {undo.text()}")
        raise


async def _undo(client: PushoverClient, group: Group, steps: Sequence[Step]) -> Undo:
    undone: list[str] = []
    failed: list[str] = []
    for step in reversed(steps):
        try:
            await step.run(client, group, undo=True)
            undone.append(step.describe(undo=True))
        except PushoverError as error:
            failed.append(f"{step.describe(undo=True)} ({error})")
    return Undo(tuple(undone), tuple(failed))


class OnCallNotVerifiedError(PushoverError):
    """The steps were made, but the group read again does not have exactly the chosen
    memberships enabled: something else changed it meanwhile."""

    def __init__(self, plan: OnCallPlan, enabled: Sequence[GroupMember]) -> None:
        self.plan = plan
        self.enabled = tuple(enabled)
        wanted = ", ".join(m.label for m in plan.now)
        found = ", ".join(m.label for m in enabled) or "nobody"
        super().__init__(
            f"on call is not as asked: {found} enabled, not {wanted} alone. Something else "
            "changed the group meanwhile (pushover.net, another host): check it with "
            "`pushover-tui group show` and try again."
        )


def _key(member: GroupMember) -> tuple[str, str]:
    return member.user.reveal(), member.device


async def put_on_call(
    client: PushoverClient,
    lock: AbstractAsyncContextManager[Any],
    group_key: Secret,
    choose: Callable[[Group], Secret],
    device: str = "",
) -> OnCallPlan:
    """Under `lock` (the store's group_lock): read the group, plan with the user `choose`
    picks from it (a key, or the one whose memo was given), make the plan all or nothing, and
    read the group again: OnCallNotVerifiedError unless exactly the chosen memberships are
    enabled. Returns the plan made."""
    async with lock:
        try:
            group = await client.show_group(group_key)
        except (asyncio.CancelledError, KeyboardInterrupt) as error:
            error.add_note("oncall interrupted; nothing had been changed.")
            raise
        plan = plan_oncall(group, choose(group), device)
        await make_oncall(client, plan)
        try:
            after = await client.show_group(group_key)
        except (asyncio.CancelledError, KeyboardInterrupt) as error:
            error.add_note("oncall interrupted after the change was made, before it was checked.")
            raise
    enabled = [m for m in after.members if not m.disabled]
    if {_key(m) for m in enabled} != {_key(m) for m in plan.now}:
        raise OnCallNotVerifiedError(plan, enabled)
    return plan
