"""Delivery groups and on-call: `group list|show|create|add|remove|disable|enable|rename|oncall`.

GROUP is a key (30 letters and digits, used as it is) or a name (looked up among the account's
groups; none or several matches are a usage error listing the candidates). USER is a user key
or, for someone already in the group, their memo. Keys are shown in full only by `group list`
and `group create` (finding a key is what they are for); everywhere else they are masked, member
keys included. `oncall` is all-or-nothing: when a step fails, the steps already made are undone
and the command says what it undid.
"""

from __future__ import annotations

import argparse
import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pushover_tui.api.errors import APIError, PushoverError
from pushover_tui.api.models import Group, GroupMember
from pushover_tui.api.secret import Secret
from pushover_tui.cli.base import (
    EXIT_OK,
    CommandMaker,
    Context,
    Handler,
    UsageError,
    describe,
    exit_code,
    global_options,
)
from pushover_tui.safe_text import escape_controls

if TYPE_CHECKING:
    from pushover_tui.api.client import PushoverClient

_KEY = re.compile(r"[A-Za-z0-9]{30}")
_POSITIONALS = {
    "GROUP": "a group key, or a group's name",
    "USER": "a user key, or the memo of someone in the group",
    "NAME": "the group's name",
}
_MEMBER_ACTIONS = {
    "remove": "remove a member (with --device: only that device's membership)",
    "disable": "stop group messages to a member, who stays listed",
    "enable": "resume group messages to a member",
    "oncall": "put USER on call: enable them and disable every other member; all or nothing "
    "(a failed step undoes the steps before it)",
}


def register(command: CommandMaker) -> dict[str, Handler]:
    group = command("group", "delivery groups and on-call (GROUP is a key or a name)")
    actions = group.add_subparsers(dest="group_command", metavar="ACTION", required=True)

    def action(name: str, help_text: str, *positionals: str) -> argparse.ArgumentParser:
        parser = actions.add_parser(name, help=help_text, description=help_text)
        global_options(parser, suppress=True)
        for metavar in positionals:
            parser.add_argument(metavar.lower(), metavar=metavar, help=_POSITIONALS[metavar])
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        return parser

    action("list", "list your groups with their keys")
    action("show", "show a group's members: device, memo, enabled or disabled", "GROUP")
    action("create", "create a group and print its key", "NAME")
    add = action("add", "add a user to a group", "GROUP", "USER")
    add.add_argument("--device", default="", help="only this device of the user (default: all)")
    add.add_argument("--memo", default="", help="who this is (200 characters at most)")
    for name, help_text in _MEMBER_ACTIONS.items():
        parser = action(name, help_text, "GROUP", "USER")
        parser.add_argument("--device", default="", help="only this device's membership")
    action("rename", "rename a group (its key stays the same)", "GROUP", "NAME")
    return {"group": lambda ctx: asyncio.run(cmd_group(ctx))}


async def cmd_group(ctx: Context) -> int:
    args = ctx.args
    async with ctx.outbox() as outbox:
        client = await outbox.client()
        if args.group_command == "list":
            return _print_list(ctx, await client.list_groups())
        if args.group_command == "create":
            return _print_created(ctx, await client.create_group(args.name))
        if args.group_command == "oncall":
            return await _oncall(ctx, client)
        found = await client.find_group(args.group)
        if args.group_command == "show":
            return _print_group(ctx, await client.show_group(found.key))
        if args.group_command == "rename":
            request = await client.rename_group(found.key, args.name)
            text = f"Renamed {_label(found)} to {_text(args.name)!r}."
            return _done(ctx, text, request, found, name=args.name)
        return await _member_command(ctx, client, found)


async def _member_command(ctx: Context, client: PushoverClient, found: Group) -> int:
    args = ctx.args
    action = args.group_command
    user, memo = Secret(args.user), ""
    if not _KEY.fullmatch(args.user):  # a memo: the group's members say whose
        found = await client.show_group(found.key)
        user, memo = _memo_member(found, args.user)
    if action == "add":
        memo = args.memo or memo  # another device of a member keeps their memo by default
        request = await client.add_group_user(found.key, user, device=args.device, memo=memo)
    else:
        call = getattr(client, f"{action}_group_user")
        request = await call(found.key, user, device=args.device)
    label = GroupMember(user, args.device, memo).label
    past = {"add": "Added", "remove": "Removed", "disable": "Disabled", "enable": "Enabled"}
    where = "to" if action == "add" else "in"
    text = f"{past[action]} {_text(label)} {where} {_label(found)}."
    extra = {"memo": memo} if action == "add" else {}
    fields = {"user": user.masked(), "device": args.device or None, **extra}
    return _done(ctx, text, request, found, **fields)


# -- on call -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Step:
    enable: bool
    member: GroupMember

    async def run(self, client: PushoverClient, group: Group, *, undo: bool = False) -> None:
        call = client.enable_group_user if self.enable != undo else client.disable_group_user
        await call(group.key, self.member.user, device=self.member.device)

    def describe(self, *, undo: bool = False) -> str:
        verb = "enable" if self.enable != undo else "disable"
        return f"{verb} {_text(self.member.label)}"

    def fields(self) -> dict[str, Any]:
        member = self.member.fields()
        del member["disabled"]  # the state before the step; the action says what it became
        return {"action": "enable" if self.enable else "disable", **member}


def _oncall_steps(group: Group, user: Secret, device: str) -> list[_Step]:
    """Enable the chosen memberships first (someone is on call at every moment), then disable
    every other enabled one. A device-less disable of the chosen user's other membership may
    reach all their devices, so the chosen ones are enabled again after it."""
    chosen = [m for m in group.members if m.user == user and device in ("", m.device)]
    if not chosen:  # not a member (as far as `show` knew): Pushover's answer says so
        return [_Step(True, GroupMember(user, device))]
    steps = [_Step(True, m) for m in chosen if m.disabled]
    others = [m for m in group.members if m not in chosen and not m.disabled]
    steps += [_Step(False, m) for m in others]
    if any(m.user == user and not m.device for m in others):
        steps += [_Step(True, m) for m in chosen]
    return steps


async def _oncall(ctx: Context, client: PushoverClient) -> int:
    args = ctx.args
    group = await client.show_group((await client.find_group(args.group)).key)
    user = Secret(args.user) if _KEY.fullmatch(args.user) else _memo_member(group, args.user)[0]
    steps = _oncall_steps(group, user, args.device)
    done: list[_Step] = []
    try:
        for step in steps:
            await step.run(client, group)
            done.append(step)
    except (PushoverError, asyncio.CancelledError, KeyboardInterrupt) as error:
        # A refusal (4xx) changed nothing; after any other failure the step may have reached
        # Pushover, so it is undone too (enable and disable are harmless to repeat).
        unsure = [] if isinstance(error, APIError) else [steps[len(done)]]
        report = await _undo(client, group, [*done, *unsure])
        if not isinstance(error, PushoverError):
            ctx.out.error(f"oncall interrupted; {report}")
            raise
        ctx.out.error(describe(error))
        ctx.out.error(f"on call not changed: step {len(done) + 1} of {len(steps)} failed; {report}")
        return exit_code(error)
    before = [m for m in group.members if not m.disabled]
    now = [m for m in group.members if m.user == user and args.device in ("", m.device)]
    now = [GroupMember(m.user, m.device, m.memo) for m in now] or [GroupMember(user, args.device)]
    if args.json:
        ctx.out.json(
            {
                "status": 1,
                "group": group.key.masked(),
                "name": group.name,
                "before": [m.fields() for m in before],
                "now": [m.fields() for m in now],
                "changes": [step.fields() for step in steps],
            }
        )
        return EXIT_OK
    changes = f"{len(steps)} change{'s' if len(steps) != 1 else ''}" if steps else "no change"
    ctx.out.line(f"On call in {_label(group)} ({changes}):")
    ctx.out.table([("  before", _labels(before)), ("  now", _labels(now))])
    return EXIT_OK


async def _undo(client: PushoverClient, group: Group, done: Sequence[_Step]) -> str:
    """Undo `done`, newest first; one sentence saying what was undone and what could not be."""
    undone: list[str] = []
    failed: list[str] = []
    for step in reversed(done):
        try:
            await step.run(client, group, undo=True)
            undone.append(step.describe(undo=True))
        except PushoverError as error:
            failed.append(f"{step.describe(undo=True)} ({error})")
    if not done:
        return "nothing had been changed."
    text = f"undone: {', '.join(undone)}." if undone else ""
    if failed:
        text += (
            f" Could not undo: {'; '.join(failed)}. Check the group with `pushover-tui group show`."
        )
    return text.strip()


# -- output -------------------------------------------------------------------------------------


def _print_list(ctx: Context, groups: Sequence[Group]) -> int:
    if ctx.args.json:
        listed = [{"group": g.key.reveal(), "name": g.name} for g in groups]
        ctx.out.json({"status": 1, "groups": listed})
    elif not groups:
        ctx.out.line("No groups yet: `pushover-tui group create NAME` makes one.")
    else:
        ctx.out.line(f"{'key':<30}  name")
        for group in groups:
            ctx.out.line(f"{group.key.reveal()}  {_text(group.name)}")
    return EXIT_OK


def _print_created(ctx: Context, group: Group) -> int:
    if ctx.args.json:
        ctx.out.json({"status": 1, "group": group.key.reveal(), "name": group.name})
    else:
        ctx.out.line(f"Created group {_text(group.name)!r}: {group.key.reveal()}")
    return EXIT_OK


def _print_group(ctx: Context, group: Group) -> int:
    if ctx.args.json:
        ctx.out.json(
            {
                "status": 1,
                "group": group.key.masked(),
                "name": group.name,
                "users": [member.fields() for member in group.members],
            }
        )
        return EXIT_OK
    enabled = sum(not member.disabled for member in group.members)
    count = len(group.members)
    ctx.out.line(
        f"{_text(group.name)} ({group.key.masked()}): {count} member{'s' if count != 1 else ''}, "
        f"{enabled} enabled"
    )
    row = "  {:<8}  {:<30}  {:<11}  {}"
    if group.members:
        ctx.out.line(row.format("state", "user", "device", "memo"))
    for member in group.members:
        state = "disabled" if member.disabled else "enabled"
        device = _text(member.device) or "(all)"
        ctx.out.line(row.format(state, member.user.masked(), device, _text(member.memo)))
    return EXIT_OK


def _done(ctx: Context, text: str, request: str, group: Group, **fields: Any) -> int:
    """A change made: one sentence and the request id, or one JSON object."""
    if ctx.args.json:
        ctx.out.json({"status": 1, "group": group.key.masked(), **fields, "request": request})
    else:
        ctx.out.line(text)
        ctx.out.line(f"  request {request}")
    return EXIT_OK


# -- helpers ------------------------------------------------------------------------------------


def _memo_member(group: Group, memo: str) -> tuple[Secret, str]:
    """The user key (and memo) of the one member whose memo is `memo` (exactly, else ignoring
    case); a usage error listing the members otherwise."""
    for matches in (
        [m for m in group.members if m.memo == memo],
        [m for m in group.members if m.memo.casefold() == memo.casefold()],
    ):
        users = list(dict.fromkeys(m.user for m in matches))
        if len(users) == 1:
            return users[0], matches[0].memo
        if users:
            keys = ", ".join(user.masked() for user in users)
            raise UsageError(
                f"{len(users)} members of {_label(group)} have the memo {_text(memo)!r} "
                f"({keys}): give the user key instead."
            )
    memos = ", ".join(repr(_text(m.memo)) for m in group.members if m.memo) or "none"
    raise UsageError(
        f"{_text(memo)!r} is not a user key (30 letters and digits) nor the memo of a member "
        f"of {_label(group)} (memos: {memos})."
    )


def _label(group: Group) -> str:
    """A group for people: its name when known, else its masked key."""
    return repr(_text(group.name)) if group.name else group.key.masked()


def _labels(members: Sequence[GroupMember]) -> str:
    return ", ".join(_text(member.label) for member in members) or "nobody"


def _text(value: str) -> str:
    return escape_controls(value)


def shown_recipient(to: Secret) -> str:
    """A profile's `to` for people: a key masked, a group's name as it is."""
    return to.masked() if _KEY.fullmatch(to.reveal()) else to.reveal()
