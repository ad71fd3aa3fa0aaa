"""Beyond messages: `glance`, `team show|add|remove`, `license credits|assign` and
`subscription migrate`.

Field problems exit 2 before any request. The team commands take the profile's Team API token
(`team_token`, or PUSHOVER_TEAM_TOKEN), never the application token; without one they say how to
set it and exit 6. A team member's password is never an argument: `--password` asks for it
without echo in a terminal, or reads the first line of standard input. What cannot be undone
(removing a member, spending a license credit) asks first in a terminal; `--yes` skips that.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
from typing import TYPE_CHECKING

from pushover_tui.api.errors import FieldProblemsError, NoCredentialsError
from pushover_tui.api.secret import Secret
from pushover_tui.cli.base import (
    EXIT_OK,
    EXIT_USAGE,
    CommandMaker,
    Context,
    Handler,
    UsageError,
    global_options,
    int_arg,
)
from pushover_tui.safe_text import escape_controls

if TYPE_CHECKING:
    from pushover_tui.api.client import PushoverClient

NO_TEAM_TOKEN = (
    "No Team API token for profile {name!r}: set it with `pushover-tui config set team_token -` "
    "(it reads the token from standard input) or with PUSHOVER_TEAM_TOKEN; an administrator "
    "finds it in the team's settings on pushover.net."
)


def register(command: CommandMaker) -> dict[str, Handler]:
    glance = command("glance", "update a watch complication: title, text, subtext, count, percent")
    glance.add_argument("--title", default="", help="what the data is (100 characters at most)")
    glance.add_argument("--text", default="", help="the main line (100 characters at most)")
    glance.add_argument("--subtext", default="", help="a second line (100 characters at most)")
    glance.add_argument("--count", type=int_arg("--count"), help="a whole number, may be negative")
    glance.add_argument("--percent", type=int_arg("--percent"), help="0 to 100: a progress ring")
    glance.add_argument("--device", default="", help="only this device (default: all)")
    glance.add_argument("--user", metavar="KEY", help="a user key (default: the profile's user)")
    _json(glance)

    team = command("team", "your Pushover team (needs a Team API token: team_token)")
    team_actions = team.add_subparsers(dest="team_command", metavar="ACTION", required=True)

    def team_action(name: str, help_text: str) -> argparse.ArgumentParser:
        parser = team_actions.add_parser(name, help=help_text, description=help_text)
        global_options(parser, suppress=True)
        _json(parser)
        return parser

    team_action("show", "the team's members and administrators")
    add = team_action("add", "add a member (Pushover e-mails them unless --password is given)")
    add.add_argument("email", metavar="EMAIL", help="the member's e-mail address")
    add.add_argument("--name", default="", help="the member's name")
    add.add_argument("--admin", action="store_true", help="make them a team administrator")
    add.add_argument("--group", default="", help="a delivery group to join (created if missing)")
    add.add_argument(
        "--instant", action="store_true", help="e-mail a 7-day Instant Login link to set up"
    )
    add.add_argument(
        "--password",
        nargs="?",
        const="",
        default=None,
        metavar="",
        help="set their password: asked without echo in a terminal, else the first line of "
        "standard input (never on the command line)",
    )
    remove = team_action("remove", "remove a member (asks first in a terminal)")
    remove.add_argument("email", metavar="EMAIL", help="the member's e-mail address")
    _yes(remove)

    license_ = command("license", "license credits: see them, assign one to a user")
    license_actions = license_.add_subparsers(
        dest="license_command", metavar="ACTION", required=True
    )
    credits = license_actions.add_parser("credits", help="license credits left")
    assign = license_actions.add_parser(
        "assign", help="assign a license (asks first in a terminal: a credit is not refunded)"
    )
    for parser in (credits, assign):
        global_options(parser, suppress=True)
        _json(parser)
    who = assign.add_mutually_exclusive_group(required=True)
    who.add_argument("--user", metavar="KEY", help="an existing user's key")
    who.add_argument("--email", metavar="ADDR", help="a new user's e-mail address")
    assign.add_argument(
        "--os",
        choices=("Android", "iOS", "Desktop"),
        default="",
        help="one platform (default: any)",
    )
    _yes(assign)

    subscription = command("subscription", "subscriptions: move a user to your subscription")
    sub_actions = subscription.add_subparsers(dest="sub_command", metavar="ACTION", required=True)
    migrate = sub_actions.add_parser(
        "migrate", help="subscribe a user key and print the subscribed user key to use instead"
    )
    global_options(migrate, suppress=True)
    migrate.add_argument("--code", required=True, help="the subscription code")
    migrate.add_argument("--user", metavar="KEY", required=True, help="the user's key")
    migrate.add_argument("--device", default="", metavar="NAME", help="only this device")
    migrate.add_argument("--sound", default="", metavar="NAME", help="the sound for it")
    _json(migrate)
    return {
        "glance": lambda ctx: asyncio.run(cmd_glance(ctx)),
        "team": cmd_team,
        "license": lambda ctx: asyncio.run(cmd_license(ctx)),
        "subscription": lambda ctx: asyncio.run(cmd_subscription(ctx)),
    }


def _json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def _yes(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--yes", action="store_true", help="do not ask first (scripts)")


# -- glance ---------------------------------------------------------------------------------


async def cmd_glance(ctx: Context) -> int:
    from pushover_tui.api.beyond_messages import Glance
    from pushover_tui.api.checks import check_key

    args = ctx.args
    glance = Glance(
        title=args.title,
        text=args.text,
        subtext=args.subtext,
        count=args.count,
        percent=args.percent,
        device=args.device,
    )
    problems = glance.problems()
    if args.user is not None:
        problems += check_key("user", args.user, "user key")
    if problems:
        raise FieldProblemsError(problems)  # before any request, and before any key is needed
    async with ctx.outbox() as outbox:
        user = Secret(args.user) if args.user is not None else outbox.active.profile.user
        request = (await outbox.send_glance(glance, to=user)).result.request
    shown = glance.form()
    if args.json:
        ctx.out.json({"status": 1, "user": user.masked(), **shown, "request": request})
        return EXIT_OK
    fields = ", ".join(f"{name} {escape_controls(value)!s}" for name, value in shown.items())
    ctx.out.line(f"Glance sent to {user.masked()}: {fields}.")
    ctx.out.line(f"  request {escape_controls(request)}")
    return EXIT_OK


# -- team -----------------------------------------------------------------------------------


def _team_client(ctx: Context) -> PushoverClient:
    from pushover_tui.api.client import PushoverClient

    active = ctx.active()
    token = active.profile.team_token
    if not token:
        raise NoCredentialsError(NO_TEAM_TOKEN.format(name=active.profile.name))
    options = {} if active.timeout is None else {"timeout": active.timeout}
    return PushoverClient(token, base_url=active.api_url, **options)


def cmd_team(ctx: Context) -> int:
    from pushover_tui.api.beyond_messages import check_email

    args = ctx.args
    if args.team_command in ("add", "remove") and (problems := check_email(args.email)):
        raise FieldProblemsError(problems)
    client = _team_client(ctx)  # no token: exit 6 before anything is asked or sent
    password: Secret | None = None
    if args.team_command == "add" and args.password is not None:
        if args.password:
            raise UsageError(
                "--password takes no value here (a password on the command line stays in the "
                "shell's history): give --password alone, then type it, or pipe it in."
            )
        password = Secret(_read_password(ctx))
    if args.team_command == "remove" and not _confirmed(
        ctx, f"Remove {escape_controls(args.email)} from the team?", refuse_without_terminal=True
    ):
        return EXIT_USAGE
    return asyncio.run(_team(ctx, client, password))


async def _team(ctx: Context, client: PushoverClient, password: Secret | None) -> int:
    args = ctx.args
    async with client:
        if args.team_command == "show":
            team = await client.team()
        elif args.team_command == "add":
            request = await client.add_team_member(
                args.email,
                name=args.name,
                password=password,
                admin=args.admin,
                group=args.group,
                instant=args.instant,
            )
        else:
            request = await client.remove_team_member(args.email)
    if args.team_command == "show":
        return _print_team(ctx, team)
    if args.json:
        ctx.out.json({"status": 1, "email": args.email, "request": request})
        return EXIT_OK
    email = escape_controls(args.email)
    role = " as an administrator" if args.team_command == "add" and args.admin else ""
    done = f"Added {email} to the team{role}." if args.team_command == "add" else ""
    ctx.out.line(done or f"Removed {email} from the team.")
    ctx.out.line(f"  request {escape_controls(request)}")
    return EXIT_OK


def _print_team(ctx: Context, team: object) -> int:
    from pushover_tui.api.beyond_messages import Team

    assert isinstance(team, Team)
    if ctx.args.json:
        users = [
            {
                "name": m.name,
                "email": m.email,
                "administrator": m.administrator,
                "devices": list(m.devices),
            }
            for m in team.members
        ]
        ctx.out.json({"status": 1, "name": team.name, "users": users})
        return EXIT_OK
    count, admins = len(team.members), len(team.administrators)
    ctx.out.line(
        f"{escape_controls(team.name) or 'Your team'}: {count} member{'s' if count != 1 else ''}, "
        f"{admins} administrator{'s' if admins != 1 else ''}"
    )
    row = "  {:<6}  {:<20}  {:<30}  {}"
    if team.members:
        ctx.out.line(row.format("role", "name", "email", "devices"))
    for member in team.members:
        role = "admin" if member.administrator else "member"
        devices = escape_controls(", ".join(member.devices)) or "-"
        name, email = escape_controls(member.name), escape_controls(member.email)
        ctx.out.line(row.format(role, name, email, devices))
    return EXIT_OK


# -- licenses and subscriptions ---------------------------------------------------------------


async def cmd_license(ctx: Context) -> int:
    from pushover_tui.api.beyond_messages import check_email

    args = ctx.args
    if args.license_command == "credits":
        async with ctx.outbox() as outbox:
            credits = await (await outbox.client()).license_credits()
        if args.json:
            ctx.out.json({"status": 1, "credits": credits})
        else:
            ctx.out.line(f"{credits:,} license credit{'s' if credits != 1 else ''} left.")
        return EXIT_OK
    from pushover_tui.api.checks import check_key

    user = Secret(args.user) if args.user is not None else None
    problems = check_key("user", args.user, "user key") if user else check_email(args.email)
    if problems:
        raise FieldProblemsError(problems)
    whom = user.masked() if user else escape_controls(args.email)
    platform = f" for {args.os}" if args.os else ""
    question = f"Spend a license credit on {whom}{platform}? A credit cannot be refunded."
    if not _confirmed(ctx, question, refuse_without_terminal=False):
        return EXIT_USAGE
    async with ctx.outbox() as outbox:
        left = await (await outbox.client()).assign_license(
            user=user, email=args.email or "", os_name=args.os
        )
    if args.json:
        target = {"user": user.masked()} if user else {"email": args.email}
        ctx.out.json({"status": 1, **target, "os": args.os or None, "credits": left})
        return EXIT_OK
    after = "" if left is None else f"; {left:,} credit{'s' if left != 1 else ''} left"
    ctx.out.line(f"Assigned a license to {whom}{platform}{after}.")
    return EXIT_OK


async def cmd_subscription(ctx: Context) -> int:
    args = ctx.args
    async with ctx.outbox() as outbox:
        subscribed = await (await outbox.client()).migrate_subscription(
            args.code, Secret(args.user), device=args.device, sound=args.sound
        )
    if args.json:
        ctx.out.json({"status": 1, "subscribed_user_key": subscribed.reveal()})
    else:
        # The one thing printed: `KEY=$(pushover-tui subscription migrate ...)` works.
        ctx.out.line(escape_controls(subscribed.reveal()))
    return EXIT_OK


# -- asking ------------------------------------------------------------------------------------


def _confirmed(ctx: Context, question: str, *, refuse_without_terminal: bool) -> bool:
    """True with --yes, or when the person at the terminal says yes. Without a terminal: what
    cannot be undone by mistake in a script (`refuse_without_terminal`) needs --yes."""
    if ctx.args.yes:
        return True
    if not ctx.stdin.isatty():
        if refuse_without_terminal:
            ctx.out.error("Nothing was changed: add --yes to do this without a question.")
            return False
        return True
    print(f"{question} [y/N] ", end="", file=ctx.out.stderr, flush=True)
    if ctx.stdin.readline().strip().lower() in ("y", "yes"):
        return True
    ctx.out.error("Nothing was changed.")
    return False


def _read_password(ctx: Context) -> str:
    if ctx.stdin.isatty():
        password = getpass.getpass("Password for the new member: ")
    else:
        password = ctx.stdin.readline().rstrip("\r\n")
    if not password:
        raise UsageError(
            "No password given: type one, or leave --password out to have Pushover e-mail one."
        )
    return password
