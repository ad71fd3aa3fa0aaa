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
import signal
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pushover_tui.api.checks import is_key
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

_POSITIONALS = {
    "GROUP": "a group key, or a group's name",
    "USER": "a user key, or the memo of someone in the group",
    "NAME": "the group's name",
}
_USER_ACTIONS = {
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
    for name, help_text in _USER_ACTIONS.items():
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
            text = f"Renamed {_label(found)} to {_quoted(args.name)}."
            return _done(ctx, text, request, found, name=args.name)
        return await _member_command(ctx, client, found)


async def _member_command(ctx: Context, client: PushoverClient, found: Group) -> int:
    args = ctx.args
    action = args.group_command
    user, memo = Secret(args.user), ""
    if not is_key(args.user):  # a memo: the group's members say whose
        found = await client.show_group(found.key)
        user, memo = _memo_member(found, args.user)
    if action == "add":
        memo = args.memo or memo  # another device of a member keeps their memo by default
        request = await client.add_group_user(found.key, user, device=args.device, memo=memo)
    else:
        call = getattr(client, f"{action}_group_user")
        request = await call(found.key, user, device=args.device)
    label = GroupMember(user, args.device, memo).label
    if memo and action != "add":
        # A memo shared by several memberships of one user acts on each: say which.
        acted_on = [m for m in found.members if m.user == user and args.device in ("", m.device)]
        label = ", ".join(m.label for m in acted_on) or label
    past = {"add": "Added", "remove": "Removed", "disable": "Disabled", "enable": "Enabled"}
    where = "to" if action == "add" else "in"
    text = f"{past[action]} {escape_controls(label)} {where} {_label(found)}."
    extra = {"memo": memo} if action == "add" else {}
    fields = {"user": user.masked(), "device": args.device or None, **extra}
    return _done(ctx, text, request, found, **fields)


# -- on call -------------------------------------------------------------------------------------


async def _oncall(ctx: Context, client: PushoverClient) -> int:
    from pushover_tui.oncall import OnCallError, put_on_call
    from pushover_tui.store.config import data_dir
    from pushover_tui.store.locks import oncall_lock

    args = ctx.args
    found = await client.find_group(args.group)

    def choose(group: Group) -> Secret:
        return Secret(args.user) if is_key(args.user) else _memo_member(group, args.user)[0]

    lock = oncall_lock(data_dir(ctx.env), ctx.store_url(), found.key)
    with _StopSignals() as stopped:
        try:
            plan = await put_on_call(client, lock, found.key, choose, args.device)
        except OnCallError as error:
            ctx.out.error(describe(error.cause))
            ctx.out.error(escape_controls(str(error)))
            return exit_code(error.cause)
        except (asyncio.CancelledError, KeyboardInterrupt) as error:
            for note in getattr(error, "__notes__", ()):
                ctx.out.error(escape_controls(note))
            if stopped.signal is None:
                raise  # Ctrl-C: "interrupted.", exit 130
            ctx.out.error(f"stopped by {stopped.signal.name}.")
            return 128 + stopped.signal
    group = plan.group
    if args.json:
        ctx.out.json(
            {
                "status": 1,
                "group": group.key.masked(),
                "name": group.name,
                "before": [m.fields() for m in plan.before],
                "now": [m.fields() for m in plan.now],
                "changes": [step.fields() for step in plan.steps],
            }
        )
        return EXIT_OK
    count = len(plan.steps)
    changes = f"{count} change{'s' if count != 1 else ''}" if count else "no change"
    ctx.out.line(f"On call in {_label(group)} ({changes}):")
    ctx.out.table([("  before", _labels(plan.before)), ("  now", _labels(plan.now))])
    return EXIT_OK


class _StopSignals:
    """SIGTERM (systemd stop, `timeout`) and SIGHUP (a closed terminal) cancel the command as
    Ctrl-C does, so a swap half made is undone; `signal` says which came. Where the loop cannot
    take signal handlers (not the main thread), they keep their default."""

    def __init__(self) -> None:
        self.signal: signal.Signals | None = None
        self._installed: list[signal.Signals] = []

    def __enter__(self) -> _StopSignals:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        for number in (signal.SIGTERM, signal.SIGHUP):

            def stop(number: signal.Signals = number) -> None:
                if self.signal is None and task is not None:
                    self.signal = number
                    task.cancel()

            try:
                loop.add_signal_handler(number, stop)
            except (ValueError, RuntimeError, NotImplementedError):
                continue
            self._installed.append(number)
        return self

    def __exit__(self, *exc_info: object) -> None:
        loop = asyncio.get_running_loop()
        for number in self._installed:
            loop.remove_signal_handler(number)


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
            key = escape_controls(group.key.reveal())  # received, like the name
            ctx.out.line(f"{key}  {escape_controls(group.name)}")
    return EXIT_OK


def _print_created(ctx: Context, group: Group) -> int:
    if ctx.args.json:
        ctx.out.json({"status": 1, "group": group.key.reveal(), "name": group.name})
    else:
        ctx.out.line(f"Created group {_quoted(group.name)}: {group.key.reveal()}")
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
    count = f"{len(group.members)} member{'s' if len(group.members) != 1 else ''}"
    name = escape_controls(group.name)
    ctx.out.line(f"{name} ({group.key.masked()}): {count}, {enabled} enabled")
    row = "  {:<8}  {:<30}  {:<11}  {}"
    if group.members:
        ctx.out.line(row.format("state", "user", "device", "memo"))
    for member in group.members:
        state = "disabled" if member.disabled else "enabled"
        device = escape_controls(member.device) or "(all)"
        ctx.out.line(row.format(state, member.user.masked(), device, escape_controls(member.memo)))
    return EXIT_OK


def _done(ctx: Context, text: str, request: str, group: Group, **fields: Any) -> int:
    """A change made: one sentence and the request id, or one JSON object."""
    if ctx.args.json:
        ctx.out.json({"status": 1, "group": group.key.masked(), **fields, "request": request})
    else:
        ctx.out.line(text)
        ctx.out.line(f"  request {escape_controls(request)}")
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
                f"{len(users)} members of {_label(group)} have the memo {_quoted(memo)} "
                f"({keys}): give the user key instead."
            )
    memos = ", ".join(_quoted(m.memo) for m in group.members if m.memo) or "none"
    raise UsageError(
        f"{_quoted(memo)} is not a user key (30 letters and digits) nor the memo of a member "
        f"of {_label(group)} (memos: {memos})."
    )


def _label(group: Group) -> str:
    """A group for people: its name when known, else its masked key."""
    return _quoted(group.name) if group.name else group.key.masked()


def _labels(members: Sequence[GroupMember]) -> str:
    return ", ".join(escape_controls(member.label) for member in members) or "nobody"


def _quoted(value: str) -> str:
    """Received or typed text in quotes, its control characters escaped (not repr: that would
    escape the escapes again)."""
    return f"'{escape_controls(value)}'"
