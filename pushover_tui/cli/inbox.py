"""The inbox commands: this machine as a receiving Pushover device (the Open Client API).

    pushover-tui inbox login [--device-name NAME]   # prompts: email, password (no echo), 2FA code
    pushover-tui inbox [--keep] [--json]            # print pending messages, then delete upstream
    pushover-tui inbox --follow [--json]            # stream new messages (one JSON object a line)

Nothing printed is lost: a message is deleted upstream only once it was written to standard
output and flushed, and what was received but never printed (a follower killed, or cut off by a
closed pipe) is printed by the next `inbox` or `inbox --follow`. A closed pipe (`| head -n1`)
ends the follower with exit 0. `--keep` prints and deletes nothing: the next `inbox` prints the
same messages again.
    pushover-tui inbox ack RECEIPT
    pushover-tui inbox logout

Prompts read the terminal; without one they read one line each from standard input (email,
password, then the code if the account asks for one). The password is never stored or printed.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import os
import stat
from typing import TYPE_CHECKING, TextIO

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
    from pushover_tui.inbox import Inbox, InboxEvent, Show
    from pushover_tui.store.inbox import InboxRow


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
            answer = getpass.getpass(f"{label}: ")
            if _has_undecodable(answer):
                raise _not_utf8(label)
            return answer
        print(f"{label}: ", end="", file=ctx.out.stderr, flush=True)
    try:
        line = ctx.stdin.readline()
    except UnicodeDecodeError:  # a strict UTF-8 stdin decodes ahead: any line may be the bad one
        raise _not_utf8(None) from None
    if _has_undecodable(line):  # stdin decoded with surrogateescape (a C or POSIX locale)
        raise _not_utf8(label)
    if not line:
        raise UsageError(
            f"No {label.lower()} given: type it at the prompt, or give it on its own line of "
            "standard input (email, password, then the two-factor code if asked)."
        )
    return line.rstrip("\r\n")


def _has_undecodable(text: str) -> bool:
    """Whether `text` holds bytes that were not UTF-8 (kept as lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _not_utf8(label: str | None) -> FieldProblemsError:
    """The answer for `label` (None: some line, the stream could not be decoded) was not UTF-8."""
    from pushover_tui.api.checks import Problem

    field = label.lower() if label else "standard input"
    what = f"The {field} on standard input" if label else "Standard input"
    return FieldProblemsError(
        [Problem(field, f"{what} is not valid UTF-8 text: convert it, e.g. with iconv -t UTF-8.")]
    )


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
        # A JSON list is printed whole: a part of one would not parse.
        show = _show_json_list(out) if args.json else _show_lines(out, as_json=False)
        synced = await inbox.sync(keep=args.keep, show=show, whole=args.json)
    if not synced.shown:
        out.line("[]" if args.json else "No pending messages.")
    return EXIT_OK


def _show_json_list(out: Output) -> Show:
    def show(rows: list[InboxRow]) -> None:
        out.json([row.message.to_json() for row in rows])
        out.stdout.flush()

    return show


def _show_lines(out: Output, *, as_json: bool) -> Show:
    """Each message as it is printed, flushed at once: a reader at the other end of a pipe
    sees each when it comes, and a closed pipe raises here, before anything is marked."""

    def show(rows: list[InboxRow]) -> None:
        for row in rows:
            if as_json:
                out.line(json.dumps(row.message.to_json(), ensure_ascii=False))
            else:
                _print_message(out, row.message)
            out.stdout.flush()

    return show


async def _follow(ctx: Context, inbox: Inbox) -> int:
    from pushover_tui.inbox import InboxState, StatusChanged

    out, as_json = ctx.out, ctx.args.json
    greeted = False

    def tell(event: InboxEvent) -> None:
        nonlocal greeted
        if isinstance(event, StatusChanged) and event.text and not event.state.is_final:
            out.error(escape_controls(event.text))  # the final ones end the command with it
        elif isinstance(event, StatusChanged) and event.state is InboxState.CONNECTED:
            if not (as_json or greeted):
                out.error("Listening for new messages (Ctrl-C stops).")
            greeted = True

    inbox.add_listener(tell)
    following = asyncio.ensure_future(
        inbox.follow(keep=ctx.args.keep, show=_show_lines(out, as_json=as_json))
    )
    reader_left = _when_reader_leaves(out.stdout)
    try:
        await asyncio.wait({following, reader_left}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        reader_left.cancel()
        following.cancel()
    if following.done() and not following.cancelled():
        following.result()  # how following ended (a closed pipe: BrokenPipeError, exit 0)
    # The reader of the pipe left with nothing more to print: ended as `head` users expect.
    return EXIT_OK


def _when_reader_leaves(stdout: TextIO) -> asyncio.Future[None]:
    """A future done when standard output is a pipe whose reader closed it (`| head -n1`),
    so a follower with nothing to print does not wait forever; never done otherwise. The
    write end of a pipe polls as an error once its reader is gone (Linux epoll, BSD kqueue)."""
    loop = asyncio.get_running_loop()
    left: asyncio.Future[None] = loop.create_future()
    try:
        fd = stdout.fileno()
        is_pipe = stat.S_ISFIFO(os.fstat(fd).st_mode)
    except (AttributeError, OSError, ValueError):  # not a file (a test's StringIO)
        return left
    if not is_pipe:
        return left

    def gone() -> None:
        loop.remove_reader(fd)
        if not left.done():
            left.set_result(None)

    try:
        loop.add_reader(fd, gone)
    except (OSError, ValueError, NotImplementedError):
        return left
    left.add_done_callback(lambda _: loop.remove_reader(fd))
    return left


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
