"""Commands that talk to Pushover or read the history: send, validate, sounds, limits, receipt,
cancel, history."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pushover_tui.api.checks import is_key
from pushover_tui.api.errors import FieldProblemsError
from pushover_tui.api.secret import Secret
from pushover_tui.cli.base import (
    EXIT_INTERRUPTED,
    EXIT_NOT_ACKNOWLEDGED,
    EXIT_OK,
    CommandMaker,
    Context,
    Handler,
    Output,
    UsageError,
    int_arg,
    read_text,
    when,
)
from pushover_tui.safe_text import escape_controls
from pushover_tui.store.history import RowKind, Status

if TYPE_CHECKING:
    from pushover_tui.api.models import Message
    from pushover_tui.store.config import Profile
    from pushover_tui.store.history import HistoryRow


def register(command: CommandMaker) -> dict[str, Handler]:
    send = command("send", "send a message (reads it from stdin when MESSAGE is - or omitted)")
    send.add_argument("message", nargs="?", metavar="MESSAGE", help="the text, or - for stdin")
    send.add_argument("--title", default="", help="title (250 characters at most)")
    send.add_argument(
        "--priority",
        type=int_arg("priority", -2, 2),
        help="-2 lowest, -1 low, 0 normal, 1 high, 2 emergency (default: the profile's)",
    )
    send.add_argument("--retry", type=int_arg("retry"), help="emergency: seconds between repeats")
    send.add_argument(
        "--expire", type=int_arg("expire"), help="emergency: seconds to keep repeating"
    )
    send.add_argument(
        "--tag", action="append", default=[], help="emergency: tag for cancel-by-tag (repeatable)"
    )
    send.add_argument("--callback", default="", help="emergency: URL Pushover calls on acknowledge")
    send.add_argument("--sound", default="", help="sound name (default: the profile's)")
    send.add_argument("--device", default="", help="device name(s), comma-separated")
    send.add_argument(
        "--to",
        metavar="GROUP",
        help="a group key or name instead of the profile's recipient (its `to`, else its user)",
    )
    send.add_argument("--url", default="", help="supplementary URL")
    send.add_argument("--url-title", default="", help="title of the URL")
    style = send.add_mutually_exclusive_group()
    style.add_argument("--html", action="store_true", help="message is HTML")
    style.add_argument("--monospace", action="store_true", help="show the message in monospace")
    send.add_argument("--ttl", type=int_arg("ttl"), help="seconds before devices delete it")
    send.add_argument("--timestamp", type=int_arg("timestamp"), help="Unix time to show")
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

    history = command("history", "list sent messages and glances, newest first")
    history.add_argument("--limit", type=int_arg("limit", 1, 100_000), default=20)
    history.add_argument("--status", choices=[status.value for status in Status])
    history.add_argument(
        "--kind", choices=[kind.value for kind in RowKind], help="only messages, or only glances"
    )
    history.add_argument("--search", default="", help="text in the title or message")
    history.add_argument(
        "--to", metavar="KEY|NAME", help="only messages sent to this user or group key, or group"
    )
    history.add_argument("--json", action="store_true", help="print a JSON list")

    return {
        "send": lambda ctx: asyncio.run(cmd_send(ctx)),
        "validate": lambda ctx: asyncio.run(cmd_validate(ctx)),
        "sounds": lambda ctx: asyncio.run(cmd_sounds(ctx)),
        "limits": lambda ctx: asyncio.run(cmd_limits(ctx)),
        "receipt": lambda ctx: asyncio.run(cmd_receipt(ctx)),
        "cancel": lambda ctx: asyncio.run(cmd_cancel(ctx)),
        "history": cmd_history,
    }


def _receipt_rows(fields: Mapping[str, Any]) -> list[tuple[str, str]]:
    rows = [("receipt", str(fields.get("receipt", "")))]
    if fields.get("acknowledged"):
        who = fields.get("acknowledged_by_device") or "a device"
        rows.append(("acknowledged", f"{when(fields.get('acknowledged_at'))} on {who}"))
    elif fields.get("expired"):
        rows.append(("expired", when(fields.get("expires_at"))))
    else:
        rows.append(("expires", when(fields.get("expires_at"))))
    rows.append(("last delivered", when(fields.get("last_delivered_at"))))
    if fields.get("called_back"):
        rows.append(("called back", when(fields.get("called_back_at"))))
    return rows


def _read_message(ctx: Context) -> str:
    args = ctx.args
    if args.message == "-" or (args.message is None and not ctx.stdin.isatty()):
        text = read_text(ctx.stdin, "message")
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


async def cmd_send(ctx: Context) -> int:
    from pushover_tui.api.models import ReceiptState

    args, out = ctx.args, ctx.out
    if args.test and args.message is not None:
        raise UsageError("--test sends the labelled test message: leave out MESSAGE.")
    if args.to is not None and not args.to.strip():  # e.g. `--to "$GROUP"` with GROUP unset
        raise UsageError(
            "--to is blank: give a group key or name, or leave --to out to send to the "
            "profile's recipient. Nothing was sent."
        )
    text = "" if args.test else _read_message(ctx)
    async with ctx.outbox() as outbox:
        message = _message_from_args(args, outbox.active.profile, text)
        if args.wait and not message.is_emergency:
            out.error("warning: --wait follows emergencies (priority 2) only; not waiting.")
        sent = await outbox.send(message, to=Secret(args.to) if args.to else None)
        for warning in sent.warnings:
            out.error(f"warning: {warning}")
        row = outbox.history.get(sent.row_id)
        if row is None:  # deleted meanwhile (e.g. "clear history" in the dashboard)
            if args.json:
                out.json({"status": "sent", "request": sent.result.request})
            else:
                out.line(f"Sent (request {escape_controls(sent.result.request)})")
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
            device = escape_controls(info.acknowledged_by_device) or "a device"
            detail = f" by {device} at {when(info.acknowledged_at)}"
        elif info.last_delivered_at:
            detail = f", last delivered {when(info.last_delivered_at)}"
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
                ("resets", when(quota.reset)),
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
        ctx.out.line(ctx.out.good(escape_controls(text)))
    return EXIT_OK


async def _masked_recipient(ctx: Context, to: str) -> str:
    """`--to` as the history stores it: a key masked (no request, no keys needed); a group's
    name looked up first, like GROUP everywhere."""
    if is_key(to):
        return Secret(to).masked()
    async with ctx.outbox() as outbox:
        return (await outbox.recipient(Secret(to))).masked()


def cmd_history(ctx: Context) -> int:
    from pushover_tui.store.base import open_store
    from pushover_tui.store.config import data_dir
    from pushover_tui.store.history import HistoryFilter

    args = ctx.args
    filters = HistoryFilter(
        status=Status(args.status) if args.status else None,
        kind=RowKind(args.kind) if args.kind else None,
        search=args.search,
        recipient=asyncio.run(_masked_recipient(ctx, args.to)) if args.to else None,
    )
    with open_store(data_dir(ctx.env), ctx.store_url()) as history:
        history.mark_interrupted()  # a killed sender's row shows as interrupted, not sending
        rows = history.page(filters, limit=args.limit)
    if args.json:
        ctx.out.json([row.to_json() for row in rows])
        return EXIT_OK
    if not rows:
        filtered = args.status or args.kind or args.search or args.to
        ctx.out.line("No match." if filtered else "No messages yet.")
        return EXIT_OK
    line = "{:>6}  {:<19}  {:<11}  {:>3}  {:<12}  {}"
    ctx.out.line(line.format("#", "sent at", "status", "pri", "receipt", "message"))
    for row in rows:
        text = f"{row.title}: {row.message}" if row.title else row.message
        if row.kind is RowKind.GLANCE:
            text = f"[glance] {text}"
        preview = escape_controls(" ".join(text.split()))  # stored text: no terminal sequences
        state = row.receipt_state.value if row.receipt_state else ""
        sent_at, status = when(row.created_at), row.status.value
        ctx.out.line(line.format(row.id, sent_at, status, row.priority, state, preview[:60]))
    return EXIT_OK
