"""The inbox commands: this machine as a receiving Pushover device (the Open Client API).

    pushover-tui inbox login [--device-name NAME]   # prompts: email, password (no echo), 2FA code
    pushover-tui inbox [--keep] [--json]            # print pending messages, then delete upstream
    pushover-tui inbox --follow [--json]            # stream new messages (one JSON object a line)
    pushover-tui inbox ack RECEIPT
    pushover-tui inbox logout

Prompts read the terminal; without one they read one line each from standard input (email,
password, then the code if the account asks for one). The password is never stored or printed.
"""

from __future__ import annotations

import asyncio
import getpass
import json
from typing import TYPE_CHECKING

from pushover_tui.api.errors import (
    FieldProblemsError,
    SessionClosedElsewhereError,
    SessionInvalidError,
    TwoFactorRequiredError,
)
from pushover_tui.api.models import Priority
from pushover_tui.cli.base import (
    EXIT_OK,
    EXIT_REJECTED,
    CommandMaker,
    Context,
    Handler,
    Output,
    UsageError,
    global_options,
    when,
)
from pushover_tui.safe_text import escape_controls

if TYPE_CHECKING:
    from pushover_tui.api.inbox import ReceivedMessage
    from pushover_tui.inbox import Inbox, InboxEvent


def register(command: CommandMaker) -> dict[str, Handler]:
    inbox = command(
        "inbox",
        "receive notifications here: print pending messages, then delete them upstream "
        "(after `inbox login`)",
    )
    inbox.add_argument(
        "--keep", action="store_true", help="leave them on Pushover (they come again next time)"
    )
    inbox.add_argument(
        "--follow", action="store_true", help="stream new messages as they arrive (Ctrl-C stops)"
    )
    inbox.add_argument(
        "--json", action="store_true", help="print a JSON list (--follow: one JSON object a line)"
    )
    actions = inbox.add_subparsers(dest="inbox_command", metavar="ACTION")
    login = actions.add_parser(
        "login",
        help="log in and register this machine as a device (prompts for email, password and "
        "the two-factor code)",
    )
    global_options(login, suppress=True)
    login.add_argument(
        "--device-name",
        metavar="NAME",
        help="up to 25 letters, digits, '_' or '-' (default: tui-HOSTNAME, or the device kept)",
    )
    ack = actions.add_parser("ack", help="acknowledge an emergency as this device")
    global_options(ack, suppress=True)
    ack.add_argument("receipt", metavar="RECEIPT")
    logout = actions.add_parser("logout", help="forget the inbox session of the profile")
    global_options(logout, suppress=True)
    return {"inbox": cmd_inbox}


def cmd_inbox(ctx: Context) -> int:
    args = ctx.args
    if args.inbox_command and (args.keep or args.follow or args.json):
        raise UsageError(
            f"--keep, --follow and --json go with `inbox` alone, not `inbox {args.inbox_command}`."
        )
    try:
        if args.inbox_command == "login":
            return _login(ctx)
        if args.inbox_command == "logout":
            return _logout(ctx)
        if args.inbox_command == "ack":
            return asyncio.run(_acknowledge(ctx))
        return asyncio.run(_receive(ctx))
    except (SessionInvalidError, SessionClosedElsewhereError) as error:
        ctx.out.error(f"{error}. To receive here again: pushover-tui inbox login")
        return EXIT_REJECTED


def _open(ctx: Context) -> Inbox:
    from pushover_tui.inbox import Inbox, websocket_url_from_env
    from pushover_tui.store.config import data_dir

    return Inbox.open(
        ctx.active(), data_dir(ctx.env), websocket_url=websocket_url_from_env(ctx.env)
    )


# -- login and logout ------------------------------------------------------------------------


def _prompt(ctx: Context, label: str, *, hidden: bool = False) -> str:
    """One answer: typed at the terminal (a password without echo), else a line of stdin."""
    if ctx.stdin.isatty():
        if hidden:
            return getpass.getpass(f"{label}: ")
        print(f"{label}: ", end="", file=ctx.out.stderr, flush=True)
    line = ctx.stdin.readline()
    if not line:
        raise UsageError(
            f"No {label.lower()} given: type it at the prompt, or give it on its own line of "
            "standard input (email, password, then the two-factor code if asked)."
        )
    return line.rstrip("\r\n")


def _login(ctx: Context) -> int:
    from pushover_tui.api.checks import check_device_name
    from pushover_tui.api.secret import Secret
    from pushover_tui.inbox import LICENSE_NOTE, log_in, remember
    from pushover_tui.store.config import save_config

    active = ctx.active()
    name = ctx.args.device_name
    if name is not None and (problems := check_device_name(name)):
        raise FieldProblemsError(problems)  # before anything is asked
    email = _prompt(ctx, "Email").strip()
    password = Secret(_prompt(ctx, "Password", hidden=True))
    try:
        session = asyncio.run(log_in(active, email, password, device_name=name))
    except TwoFactorRequiredError:
        code = _prompt(ctx, "Two-factor code").strip()
        session = asyncio.run(log_in(active, email, password, twofa=code, device_name=name))
    save_config(remember(ctx.config, active.profile.name, session))
    previous = active.profile.inbox
    kept = previous is not None and previous.device_id == session.device_id
    ctx.out.line(
        ctx.out.good("Logged in")
        + f": profile {active.profile.name!r} receives as device {session.device_name!r}"
        + (" (kept)." if kept else ".")
    )
    if not kept:
        ctx.out.line(LICENSE_NOTE)
    return EXIT_OK


def _logout(ctx: Context) -> int:
    from pushover_tui.inbox import remember
    from pushover_tui.store.config import save_config

    name = ctx.active().profile.name
    session = ctx.config.profile(name).inbox
    if session is None:
        ctx.out.line(f"Profile {name!r} was not logged in to the inbox.")
        return EXIT_OK
    save_config(remember(ctx.config, name, None))
    ctx.out.line(
        f"Logged out: profile {name!r} no longer holds an inbox session. The device "
        f"{session.device_name!r} stays on your Pushover account (remove it there if unused)."
    )
    return EXIT_OK


# -- receiving -------------------------------------------------------------------------------


async def _receive(ctx: Context) -> int:
    args, out = ctx.args, ctx.out
    async with _open(ctx) as inbox:
        if args.follow:
            return await _follow(ctx, inbox)
        synced = await inbox.sync(keep=args.keep)
    if args.json:
        out.json([message.to_json() for message in synced.downloaded])
    elif synced.downloaded:
        for message in synced.downloaded:
            _print_message(out, message)
    else:
        out.line("No pending messages.")
    return EXIT_OK


async def _follow(ctx: Context, inbox: Inbox) -> int:
    from pushover_tui.inbox import Arrived, InboxState, StatusChanged

    out, as_json = ctx.out, ctx.args.json
    greeted = False

    def show(event: InboxEvent) -> None:
        nonlocal greeted
        if isinstance(event, Arrived):
            if as_json:
                out.line(json.dumps(event.row.message.to_json(), ensure_ascii=False))
            else:
                _print_message(out, event.row.message)
            out.stdout.flush()  # a reader at the other end of a pipe sees each at once
        elif isinstance(event, StatusChanged) and event.text and not event.state.is_final:
            out.error(escape_controls(event.text))  # the final ones end the command with it
        elif isinstance(event, StatusChanged) and event.state is InboxState.CONNECTED:
            if not (as_json or greeted):
                out.error("Listening for new messages (Ctrl-C stops).")
            greeted = True

    inbox.add_listener(show)
    await inbox.follow(keep=ctx.args.keep)


def _print_message(out: Output, message: ReceivedMessage) -> None:
    head = f"{when(message.date)}  {escape_controls(message.app or '-')}"
    if message.title:
        head += f": {escape_controls(message.title)}"
    if message.priority != Priority.NORMAL:
        try:
            head += f"  [{Priority(message.priority).label}]"
        except ValueError:
            head += f"  [priority {message.priority}]"
    out.line(head)
    body = escape_controls(message.message, keep_lines=True).splitlines() or [""]
    out.line("\n".join(f"    {line}" for line in body))
    if message.url:
        out.line(
            f"    {escape_controls(message.url_title or 'link')}: {escape_controls(message.url)}"
        )
    if message.awaits_ack:
        receipt = escape_controls(message.receipt)
        out.line(f"    not acknowledged yet: pushover-tui inbox ack {receipt}")
    out.line()


async def _acknowledge(ctx: Context) -> int:
    async with _open(ctx) as inbox:
        await inbox.acknowledge(ctx.args.receipt)
        device = inbox.session.device_name if inbox.session else ""
    ctx.out.line(ctx.out.good(f"Acknowledged {ctx.args.receipt}") + f" as device {device!r}")
    return EXIT_OK
