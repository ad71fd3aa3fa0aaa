"""The command line: `pushover-tui` opens the dashboard, `pushover-tui send ...` and friends are
headless for scripts and cron jobs. This module never imports Textual (start-up time)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from pushover_tui import __version__
from pushover_tui.api.errors import (
    ConfigurationError,
    FieldProblemsError,
    NoCredentialsError,
    PushoverError,
    QuotaExceededError,
    RejectedError,
    TemporaryError,
)
from pushover_tui.store.history import Status

if TYPE_CHECKING:
    from pushover_tui.api.models import Message
    from pushover_tui.outbox import Outbox
    from pushover_tui.store.config import ActiveProfile, Config, Profile
    from pushover_tui.store.history import HistoryRow

EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_USAGE = 2
EXIT_REJECTED = 3
EXIT_QUOTA = 4
EXIT_TEMPORARY = 5
EXIT_NO_CREDENTIALS = 6
EXIT_NOT_ACKNOWLEDGED = 7
EXIT_INTERRUPTED = 130

EXIT_CODES_HELP = """\
exit codes:
  0  success (with --wait: the emergency was acknowledged)
  1  anything unexpected
  2  usage error or field problems (nothing sent)
  3  rejected by the Pushover API (bad key, field, device...)
  4  monthly quota exceeded (HTTP 429)
  5  temporary failure after retries (server error, timeout, no connection, redirect)
  6  no credentials configured (token and user key)
  7  with --wait: the emergency expired or was cancelled unacknowledged
  130  interrupted (Ctrl-C); with --wait the alert goes on
"""


class UsageError(Exception):
    """Bad command-line input: exit 2 with this sentence."""


# -- argument parsing ------------------------------------------------------------------------


def _global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """--profile/--api-url/--config, accepted before or after the command name."""
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("--profile", metavar="NAME", default=default, help="profile to use")
    parser.add_argument(
        "--api-url", metavar="URL", default=default, help="Pushover API base URL (e.g. simulator)"
    )
    parser.add_argument(
        "--config", metavar="PATH", type=Path, default=default, help="config file to use"
    )


def _int_arg(name: str, low: int | None = None, high: int | None = None) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{name} must be a whole number, not {text!r}"
            ) from None
        if (low is not None and value < low) or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{name} must be between {low} and {high}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pushover-tui",
        description="Send, verify and follow Pushover notifications. "
        "Without a command, opens the terminal dashboard.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"pushover-tui {__version__}")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="open the dashboard on the embedded simulator, example keys, throwaway history",
    )
    _global_options(parser, suppress=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=EXIT_CODES_HELP,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        _global_options(sub, suppress=True)
        return sub

    send = command("send", "send a message (reads it from stdin when MESSAGE is - or omitted)")
    send.add_argument("message", nargs="?", metavar="MESSAGE", help="the text, or - for stdin")
    send.add_argument("--title", default="", help="title (250 characters at most)")
    send.add_argument(
        "--priority",
        type=_int_arg("priority", -2, 2),
        help="-2 lowest, -1 low, 0 normal, 1 high, 2 emergency (default: the profile's)",
    )
    send.add_argument("--retry", type=_int_arg("retry"), help="emergency: seconds between repeats")
    send.add_argument(
        "--expire", type=_int_arg("expire"), help="emergency: seconds to keep repeating"
    )
    send.add_argument(
        "--tag", action="append", default=[], help="emergency: tag for cancel-by-tag (repeatable)"
    )
    send.add_argument("--callback", default="", help="emergency: URL Pushover calls on acknowledge")
    send.add_argument("--sound", default="", help="sound name (default: the profile's)")
    send.add_argument("--device", default="", help="device name(s), comma-separated")
    send.add_argument("--url", default="", help="supplementary URL")
    send.add_argument("--url-title", default="", help="title of the URL")
    style = send.add_mutually_exclusive_group()
    style.add_argument("--html", action="store_true", help="message is HTML")
    style.add_argument("--monospace", action="store_true", help="show the message in monospace")
    send.add_argument("--ttl", type=_int_arg("ttl"), help="seconds before devices delete it")
    send.add_argument("--timestamp", type=_int_arg("timestamp"), help="Unix time to show")
    send.add_argument("--attach", type=Path, metavar="FILE", help="attach an image")
    send.add_argument("--test", action="store_true", help="send the labelled test message")
    send.add_argument(
        "--wait",
        action="store_true",
        help="emergency: follow the receipt until acknowledged, expired or cancelled "
        "(Ctrl-C stops waiting, not the alert)",
    )
    send.add_argument("--json", action="store_true", help="print one JSON object")

    validate = command("validate", "check the user key (and device) against the API")
    validate.add_argument("--device", default="", help="also check this device name")
    validate.add_argument("--json", action="store_true", help="print one JSON object")

    command("sounds", "list the sounds the app may use").add_argument(
        "--json", action="store_true", help="print one JSON object"
    )
    command("limits", "show the monthly message quota").add_argument(
        "--json", action="store_true", help="print one JSON object"
    )

    receipt = command("receipt", "show an emergency's delivery receipt")
    receipt.add_argument("receipt", metavar="RECEIPT")
    receipt.add_argument("--json", action="store_true", help="print one JSON object")

    cancel = command("cancel", "stop an emergency's retries (by receipt or by --tag)")
    cancel.add_argument("receipt", nargs="?", metavar="RECEIPT")
    cancel.add_argument("--tag", help="cancel every active emergency with this tag")
    cancel.add_argument("--json", action="store_true", help="print one JSON object")

    history = command("history", "list sent messages, newest first")
    history.add_argument("--limit", type=_int_arg("limit", 1, 100_000), default=20)
    history.add_argument("--status", choices=[status.value for status in Status])
    history.add_argument("--search", default="", help="text in the title or message")
    history.add_argument("--json", action="store_true", help="print a JSON list")

    config = command("config", "show or change the configuration")
    config_commands = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    show = config_commands.add_parser("show", help="print the settings (secrets masked)")
    _global_options(show, suppress=True)
    show.add_argument("--json", action="store_true", help="print one JSON object")
    set_ = config_commands.add_parser(
        "set",
        help="set KEY to VALUE: token, user, priority, retry, expire, sound, device "
        "(in the profile) or theme, api_url, default_profile",
    )
    _global_options(set_, suppress=True)
    set_.add_argument("key", metavar="KEY")
    set_.add_argument("value", metavar="VALUE")

    locate = command("locate", "print where the config file or the data folder is")
    locate.add_argument("what", choices=("config", "data"))

    simulator = command("simulator", "run the local Pushover simulator")
    simulator.add_argument("--host", default="127.0.0.1")
    simulator.add_argument("--port", type=_int_arg("port", 0, 65535), default=8765)
    simulator.add_argument(
        "--ack-after",
        type=float,
        default=20.0,
        metavar="SECONDS",
        help="acknowledge emergencies after this many seconds (0 = never)",
    )

    bridge = command(
        "bridge",
        "receive Sentry webhooks on POST /sentry and send them as notifications "
        "(needs pip install 'pushover-tui[bridge]')",
    )
    bridge.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (put a reverse proxy in front)"
    )
    bridge.add_argument("--port", type=_int_arg("port", 0, 65535), default=8686)
    return parser


# -- output ----------------------------------------------------------------------------------


class Output:
    """Human or JSON output; colour only on a terminal and when NO_COLOR is unset."""

    def __init__(self, stdout: TextIO, stderr: TextIO, env: Mapping[str, str]) -> None:
        self.stdout = stdout
        self.stderr = stderr
        self.colour = stdout.isatty() and not env.get("NO_COLOR")

    def line(self, text: str = "") -> None:
        print(text, file=self.stdout)

    def json(self, value: Any) -> None:
        print(json.dumps(value, ensure_ascii=False, indent=2), file=self.stdout)

    def table(self, rows: Sequence[tuple[str, str]]) -> None:
        width = max((len(label) for label, _ in rows), default=0)
        for label, value in rows:
            self.line(f"{label:<{width}}  {value}")

    def good(self, text: str) -> str:
        return f"\033[32m{text}\033[0m" if self.colour else text

    def error(self, text: str) -> None:
        print(f"pushover-tui: {text}", file=self.stderr)


def _when(timestamp: float | int | None) -> str:
    if not timestamp:
        return "-"
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M:%S")


def _receipt_rows(fields: Mapping[str, Any]) -> list[tuple[str, str]]:
    rows = [("receipt", str(fields.get("receipt", "")))]
    if fields.get("acknowledged"):
        who = fields.get("acknowledged_by_device") or "a device"
        rows.append(("acknowledged", f"{_when(fields.get('acknowledged_at'))} on {who}"))
    elif fields.get("expired"):
        rows.append(("expired", _when(fields.get("expires_at"))))
    else:
        rows.append(("expires", _when(fields.get("expires_at"))))
    rows.append(("last delivered", _when(fields.get("last_delivered_at"))))
    if fields.get("called_back"):
        rows.append(("called back", _when(fields.get("called_back_at"))))
    return rows


# -- commands --------------------------------------------------------------------------------


class Context:
    """What every command needs: parsed options, environment, output and the config."""

    def __init__(self, args: argparse.Namespace, env: Mapping[str, str], out: Output) -> None:
        self.args = args
        self.env = env
        self.out = out
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            from pushover_tui.store.config import load_config

            self._config = load_config(self.args.config, env=self.env)
        return self._config

    def active(self) -> ActiveProfile:
        from pushover_tui.store.config import resolve

        name = self.args.profile
        if name and self.config.profiles and not self.config.has_profile(name):
            known = ", ".join(self.config.profile_names)
            raise UsageError(
                f"No profile named {name!r} in {self.config.path} (profiles: {known})."
            )
        return resolve(self.config, name, api_url=self.args.api_url, env=self.env)

    def outbox(self) -> Outbox:
        from pushover_tui.outbox import Outbox, timeout_from_env
        from pushover_tui.store.config import data_dir

        timeout = timeout_from_env(self.env)
        return Outbox.open(self.active(), data_dir(self.env), origin="cli", timeout=timeout)


def _read_message(ctx: Context, stdin: TextIO) -> str:
    args = ctx.args
    if args.message == "-" or (args.message is None and not stdin.isatty()):
        text = stdin.read()
        return text.removesuffix("\n").removesuffix("\r")
    if args.message is None:
        raise UsageError("give the MESSAGE to send, pipe it on standard input, or use --test.")
    return args.message


def _message_from_args(args: argparse.Namespace, profile: Profile, text: str) -> Message:
    """The message the options describe, the profile's defaults filling what they leave out."""
    from pushover_tui.api.models import Attachment, Message
    from pushover_tui.outbox import apply_defaults, build_test_message

    title = args.title
    if args.test:  # the labelled test text; every other option still applies
        test = build_test_message(profile)
        text, title = test.message, title or test.title
    message = Message(
        message=text,
        title=title,
        url=args.url,
        url_title=args.url_title,
        priority=profile.priority if args.priority is None else args.priority,
        sound=args.sound,
        device=args.device,
        timestamp=args.timestamp,
        ttl=args.ttl,
        html=args.html,
        monospace=args.monospace,
        attachment=Attachment.from_path(args.attach) if args.attach else None,
        retry=args.retry,
        expire=args.expire,
        callback=args.callback,
        tags=tuple(args.tag),
    )
    return apply_defaults(message, profile)


async def cmd_send(ctx: Context, stdin: TextIO) -> int:
    from pushover_tui.api.models import ReceiptState

    args, out = ctx.args, ctx.out
    if args.test and args.message is not None:
        raise UsageError("--test sends the labelled test message: leave out MESSAGE.")
    text = "" if args.test else _read_message(ctx, stdin)
    async with ctx.outbox() as outbox:
        message = _message_from_args(args, outbox.active.profile, text)
        if args.wait and not message.is_emergency:
            out.error("warning: --wait follows emergencies (priority 2) only; not waiting.")
        sent = await outbox.send(message)
        for warning in sent.warnings:
            out.error(f"warning: {warning}")
        row = outbox.history.get(sent.row_id)
        if row is None:  # deleted meanwhile (e.g. "clear history" in the dashboard)
            if args.json:
                out.json({"status": "sent", "request": sent.result.request})
            else:
                out.line(f"Sent (request {sent.result.request})")
            return EXIT_OK
        if not args.json:
            _print_sent(out, row)
        if not (args.wait and sent.result.receipt):
            if args.json:
                out.json(row.to_json())
            return EXIT_OK
        if not args.json:
            outbox.tracker.add_listener(lambda changed: _print_receipt_change(out, changed))
            out.line("Waiting for acknowledgement (Ctrl-C stops waiting, not the alert)...")
        try:
            final = await outbox.tracker.wait(sent.row_id) or row
        except asyncio.CancelledError:
            out.error("stopped waiting; the emergency keeps repeating until acknowledged.")
            if args.json:  # the receipt and row id, to cancel it later
                out.json((outbox.history.get(sent.row_id) or row).to_json())
            return EXIT_INTERRUPTED
        if args.json:
            out.json(final.to_json())
        acknowledged = final.receipt_state is ReceiptState.ACKNOWLEDGED
        return EXIT_OK if acknowledged else EXIT_NOT_ACKNOWLEDGED


def _print_sent(out: Output, row: HistoryRow) -> None:
    rows = [("request", row.request_id)]
    if row.receipt:
        rows.append(("receipt", row.receipt))
    if row.quota.remaining is not None:
        limit = f" of {row.quota.limit:,}" if row.quota.limit is not None else ""
        rows.append(("quota", f"{row.quota.remaining:,}{limit} messages left this month"))
    out.line(out.good("Sent") + f" (history #{row.id})")
    out.table([(f"  {label}", value) for label, value in rows])


def _print_receipt_change(out: Output, row: HistoryRow) -> None:
    state = row.receipt_state.value if row.receipt_state else "unknown"
    detail = ""
    if row.receipt_info is not None:
        info = row.receipt_info
        if info.acknowledged:
            detail = (
                f" by {info.acknowledged_by_device or 'a device'} at {_when(info.acknowledged_at)}"
            )
        elif info.last_delivered_at:
            detail = f", last delivered {_when(info.last_delivered_at)}"
    out.line(f"{datetime.now():%H:%M:%S}  {state}{detail}")


async def cmd_validate(ctx: Context) -> int:
    from pushover_tui.api.checks import check_devices

    if problems := check_devices(ctx.args.device):
        raise FieldProblemsError(problems)
    async with ctx.outbox() as outbox:
        client = await outbox.client()
        check = await client.validate_user(outbox.active.profile.user, ctx.args.device)
    if ctx.args.json:
        ctx.out.json(
            {
                "status": 1,
                "group": int(check.group),
                "devices": list(check.devices),
                "licenses": list(check.licenses),
                "request": check.request,
            }
        )
        return EXIT_OK
    kind = "group key" if check.group else "user key"
    ctx.out.line(ctx.out.good("Valid") + f" {kind}")
    ctx.out.table(
        [
            ("  devices", ", ".join(check.devices) or "-"),
            ("  licenses", ", ".join(check.licenses) or "-"),
            ("  request", check.request),
        ]
    )
    return EXIT_OK


async def cmd_sounds(ctx: Context) -> int:
    async with ctx.outbox() as outbox:
        sounds = await (await outbox.client()).sounds()
    if ctx.args.json:
        ctx.out.json({"sounds": sounds, "status": 1})
    else:
        ctx.out.table(sorted(sounds.items()))
    return EXIT_OK


async def cmd_limits(ctx: Context) -> int:
    async with ctx.outbox() as outbox:
        quota = await (await outbox.client()).limits()
    if ctx.args.json:
        ctx.out.json(
            {"limit": quota.limit, "remaining": quota.remaining, "reset": quota.reset, "status": 1}
        )
    else:
        ctx.out.table(
            [
                ("limit", "unknown" if quota.limit is None else f"{quota.limit:,}"),
                ("remaining", "unknown" if quota.remaining is None else f"{quota.remaining:,}"),
                ("resets", _when(quota.reset)),
            ]
        )
    return EXIT_OK


async def cmd_receipt(ctx: Context) -> int:
    async with ctx.outbox() as outbox:
        receipt = await (await outbox.client()).receipt(ctx.args.receipt)
        row = outbox.history.get_by_receipt(ctx.args.receipt)
        if row is not None and row.receipt_state is not None and row.receipt_state.is_open:
            outbox.history.record_receipt(row.id, receipt)
    fields = {**receipt.fields(), "state": receipt.state.value, "status": 1}
    if ctx.args.json:
        ctx.out.json(fields)
    else:
        ctx.out.line(f"{receipt.state.value}")
        ctx.out.table([(f"  {label}", value) for label, value in _receipt_rows(fields)])
    return EXIT_OK


async def cmd_cancel(ctx: Context) -> int:
    args = ctx.args
    if bool(args.receipt) == bool(args.tag):
        raise UsageError("give either a RECEIPT or --tag TAG to cancel.")
    async with ctx.outbox() as outbox:
        if args.tag:
            count = await outbox.tracker.cancel_by_tag(args.tag)
            result: dict[str, Any] = {"status": 1, "tag": args.tag, "canceled": count}
            text = f"Cancelled {count} emergenc{'y' if count == 1 else 'ies'} tagged {args.tag!r}"
        else:
            await outbox.tracker.cancel(args.receipt)
            result = {"status": 1, "receipt": args.receipt, "state": "cancelled"}
            text = f"Cancelled the retries of {args.receipt}"
    if args.json:
        ctx.out.json(result)
    else:
        ctx.out.line(ctx.out.good(text))
    return EXIT_OK


def cmd_history(ctx: Context) -> int:
    from pushover_tui.store.config import data_dir
    from pushover_tui.store.history import History, HistoryFilter, Status

    args = ctx.args
    filters = HistoryFilter(status=Status(args.status) if args.status else None, search=args.search)
    with History.open(data_dir(ctx.env)) as history:
        history.mark_interrupted()  # a killed sender's row shows as interrupted, not sending
        rows = history.page(filters, limit=args.limit)
    if args.json:
        ctx.out.json([row.to_json() for row in rows])
        return EXIT_OK
    if not rows:
        ctx.out.line("No messages yet." if not (args.status or args.search) else "No match.")
        return EXIT_OK
    line = "{:>6}  {:<19}  {:<11}  {:>3}  {:<12}  {}"
    ctx.out.line(line.format("#", "sent at", "status", "pri", "receipt", "message"))
    for row in rows:
        preview = " ".join((f"{row.title}: {row.message}" if row.title else row.message).split())
        state = row.receipt_state.value if row.receipt_state else ""
        when, status = _when(row.created_at), row.status.value
        ctx.out.line(line.format(row.id, when, status, row.priority, state, preview[:60]))
    return EXIT_OK


def cmd_config(ctx: Context) -> int:
    from pushover_tui.store.config import TOP_LEVEL_KEYS, save_config, set_value

    args = ctx.args
    if args.config_command == "set":
        profile = args.profile or ctx.config.default_profile
        config = set_value(ctx.config, profile, args.key, args.value)
        save_config(config)
        shown = "(hidden)" if args.key in ("token", "user") else repr(args.value)
        where = "" if args.key in TOP_LEVEL_KEYS else f" for profile {profile!r}"
        ctx.out.line(f"Set {args.key} = {shown}{where} in {config.path}")
        return EXIT_OK
    active = ctx.active()
    profile = active.profile
    values: dict[str, Any] = {
        "token": profile.token.masked(),
        "user": profile.user.masked(),
        "priority": profile.priority,
        "retry": profile.retry,
        "expire": profile.expire,
        "sound": profile.sound,
        "device": profile.device,
        "api_url": active.api_url,
    }
    if args.json:
        ctx.out.json(
            {
                "path": str(ctx.config.path),
                "profile": profile.name,
                "profiles": [p.name for p in ctx.config.profiles],
                "theme": ctx.config.theme,
                "settings": values,
                "sources": {key: str(source) for key, source in active.sources.items()},
            }
        )
        return EXIT_OK
    ctx.out.line(f"config   {ctx.config.path}")
    ctx.out.line(
        f"profile  {profile.name} (of {', '.join(p.name for p in ctx.config.profiles) or '-'})"
    )
    ctx.out.table(
        [
            (f"  {key}", f"{value if value != '' else '(blank)'}  [{active.sources.get(key, '')}]")
            for key, value in values.items()
        ]
    )
    return EXIT_OK


def cmd_locate(ctx: Context) -> int:
    from pushover_tui.store.config import config_path, data_dir

    if ctx.args.what == "config":
        ctx.out.line(str(ctx.args.config or config_path(ctx.env)))
    else:
        ctx.out.line(str(data_dir(ctx.env)))
    return EXIT_OK


def cmd_simulator(ctx: Context) -> int:
    from pushover_tui.simulator import run_standalone

    args = ctx.args
    return run_standalone(host=args.host, port=args.port, ack_after=args.ack_after)


def cmd_bridge(ctx: Context) -> int:
    from pushover_tui.bridge import run_bridge
    from pushover_tui.outbox import timeout_from_env
    from pushover_tui.store.config import data_dir

    args = ctx.args
    return run_bridge(
        ctx.config,
        ctx.active(),
        data_dir(ctx.env),
        host=args.host,
        port=args.port,
        env=ctx.env,
        timeout=timeout_from_env(ctx.env),
        show=ctx.out.line,
    )


def cmd_tui(ctx: Context, stdin: TextIO) -> int:
    from pushover_tui.store.config import ConfigFileError, move_aside
    from pushover_tui.tui.app import run

    args = ctx.args

    def launch() -> int:
        return run(
            config_path=args.config, profile=args.profile, api_url=args.api_url, demo=args.demo
        )

    try:
        return launch()
    except ConfigFileError as error:
        if not stdin.isatty():
            raise
        # A broken file is never overwritten: offer to move it aside and start afresh.
        ctx.out.error(str(error))
        print("Move it aside and start with a fresh config? [y/N] ", end="", file=ctx.out.stdout)
        ctx.out.stdout.flush()
        if stdin.readline().strip().lower() not in ("y", "yes"):
            return EXIT_USAGE
        ctx.out.line(f"Moved it to {move_aside(error.path)}")
        return launch()


# -- entry point -----------------------------------------------------------------------------


def _exit_code(error: BaseException) -> int:
    """The documented exit code for an error."""
    from pushover_tui.store.config import ConfigFileError

    if isinstance(error, NoCredentialsError):
        return EXIT_NO_CREDENTIALS
    if isinstance(error, UsageError | FieldProblemsError | ConfigurationError | ConfigFileError):
        return EXIT_USAGE
    if isinstance(error, QuotaExceededError):
        return EXIT_QUOTA
    if isinstance(error, RejectedError):
        return EXIT_REJECTED
    if isinstance(error, TemporaryError):
        return EXIT_TEMPORARY
    return EXIT_UNEXPECTED


def _describe(error: BaseException) -> str:
    if isinstance(error, FieldProblemsError):
        count = len(error.problems)
        lines = [f"{count} problem{'s' if count > 1 else ''}; nothing was sent or saved:"]
        lines += [f"  {problem.field}: {problem.text}" for problem in error.problems]
        return "\n".join(lines)
    if isinstance(error, QuotaExceededError) and error.reset:
        return f"{error} Quota resets {_when(error.reset)}."
    if isinstance(error, PushoverError | UsageError):
        return str(error)
    # Unexpected: a short sentence, no traceback (it could hold a secret in its locals).
    return f"unexpected error ({type(error).__name__}); please report it."


def main(
    argv: Sequence[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    env = os.environ if env is None else env
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    out = Output(stdout, stderr, env)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    ctx = Context(args, env, out)
    handlers: dict[str | None, Callable[[], Any]] = {
        None: lambda: cmd_tui(ctx, stdin),
        "send": lambda: asyncio.run(cmd_send(ctx, stdin)),
        "validate": lambda: asyncio.run(cmd_validate(ctx)),
        "sounds": lambda: asyncio.run(cmd_sounds(ctx)),
        "limits": lambda: asyncio.run(cmd_limits(ctx)),
        "receipt": lambda: asyncio.run(cmd_receipt(ctx)),
        "cancel": lambda: asyncio.run(cmd_cancel(ctx)),
        "history": lambda: cmd_history(ctx),
        "config": lambda: cmd_config(ctx),
        "locate": lambda: cmd_locate(ctx),
        "simulator": lambda: cmd_simulator(ctx),
        "bridge": lambda: cmd_bridge(ctx),
    }
    try:
        return int(handlers[args.command]())
    except KeyboardInterrupt:
        out.error("interrupted.")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): the command itself was done; stay quiet.
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as error:  # every failure becomes one sentence and a documented code
        out.error(_describe(error))
        return _exit_code(error)


if __name__ == "__main__":
    raise SystemExit(main())
