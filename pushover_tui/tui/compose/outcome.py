"""What Compose says about a send and about each field: the outcome panel, and pure functions that
word the outcome and place each problem on the field it concerns."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.timer import Timer
from textual.widgets import Static

from pushover_tui.api.checks import Problem, errors
from pushover_tui.api.errors import APIError, PushoverError, QuotaExceededError, TemporaryError
from pushover_tui.api.models import ReceiptState, SendProgress
from pushover_tui.outbox import Sent
from pushover_tui.store.config import ActiveProfile
from pushover_tui.store.history import HistoryRow
from pushover_tui.tui.base import dashboard
from pushover_tui.tui.compose.component import field_hint
from pushover_tui.tui.compose.draft import Draft
from pushover_tui.tui.wording import clock_time, quota_reset

# Every field with a note line under it.
NOTE_FIELDS = (
    "message",
    "title",
    "url",
    "url_title",
    "attachment",
    "priority",
    "retry",
    "expire",
    "tags",
    "callback",
    "sound",
    "device",
    "format",
    "ttl",
    "timestamp",
)
# Problem and API field names shown on another note ("keys": the banner above the form).
FIELD_TARGETS: Mapping[str, str] = {
    "html": "format",
    "monospace": "format",
    "attachment_base64": "attachment",
    "attachment_type": "attachment",
    "token": "keys",
    "user": "keys",
}
KEY_NAMES = {"token": "application token", "user": "user key"}
TITLES = {"sending": "Sending…", "ok": "Sent", "failed": "Not sent"}
# A note: (text, severity) with severity "hint", "warning" or "error".
Note = tuple[str, str]
# The key that does a binding now, by binding id (PushoverApp.key_label): every hint uses it.
KeyLabel = Callable[[str], str]


def note_target(field: str) -> str:
    """The note a problem about `field` shows on (the priority's when nowhere better)."""
    target = FIELD_TARGETS.get(field, field)
    return target if target in NOTE_FIELDS or target == "keys" else "priority"


def field_notes(
    draft: Draft,
    problems: list[Problem],
    *,
    shown: set[str] | frozenset[str],
    server: Mapping[str, str],
) -> dict[str, Note]:
    """The note of every field: what Pushover said about it, else its problems once `shown`
    (edited, or after a send), else its hint."""
    by_field: dict[str, list[Problem]] = {}
    for problem in problems:
        by_field.setdefault(note_target(problem.field), []).append(problem)
    notes: dict[str, Note] = {}
    for field in NOTE_FIELDS:
        found = by_field.get(field, [])
        worst = errors(found) or found
        if field in server:
            notes[field] = (server[field], "error")
        elif field in shown and worst:
            notes[field] = (" ".join(p.text for p in worst), worst[0].severity)
        else:
            notes[field] = (field_hint(draft, field), "hint")
    return notes


def keys_note(
    problems: list[Problem], server: Mapping[str, str], active: ActiveProfile, key: KeyLabel
) -> str:
    """The banner about the token and user key ("" when they are fine)."""
    if "keys" in server:
        return server["keys"]
    keys = [p.text for p in problems if note_target(p.field) == "keys"]
    config = key("mode.config")
    if keys and not active.has_keys:
        return (
            f"Profile {active.profile.name!r} has no application token and user key yet: "
            f"press {config} to set them up in the Config screen."
        )
    if keys:
        keys.append(f"Press {config} to fix them in the Config screen.")
    return " ".join(keys)


def server_notes(error: APIError, key: KeyLabel) -> dict[str, str]:
    """What Pushover said about each field it rejected, keyed by note ("keys" for the keys).
    Nothing for a 429: its body may say "token": "invalid", which is not the problem."""
    notes: dict[str, str] = {}
    for field, value in error.fields.items() if error.show_fields else ():
        target = note_target(field)
        if target == "keys":
            notes["keys"] = (
                f"Pushover says the {KEY_NAMES.get(field, field)} is {value}. Press "
                f"{key('mode.config')} to check the keys in the Config screen."
            )
        elif target == FIELD_TARGETS.get(field, field):
            notes[target] = f"Pushover: {field.replace('_', ' ')} {value}."
    return notes


# -- the outcome ---------------------------------------------------------------------------


def idle_text(key: KeyLabel) -> Content:
    """One line: the outcome panel has nothing to say yet."""
    return Content.from_markup(
        "[b]$send[/b] sends, [b]$test[/b] a test message, [b]$glance[/b] a glance; problems "
        "show under each field.",
        send=key("compose.send"),
        test=key("compose.send_test"),
        glance=key("compose.glance"),
    )


def prefilled_text(key: KeyLabel) -> Content:
    return Content.from_markup(
        "Filled in from History. Check the fields, then [b]$send[/b] to send it again.",
        send=key("compose.send"),
    )


def sending_text(
    what: str, key: KeyLabel, progress: SendProgress | None = None, seconds_left: float = 0.0
) -> Content:
    """On its way: which attempt, and the countdown to a retry after a temporary failure."""
    lines = [Content(f"Sending {what} to Pushover…")]
    if progress is not None and progress.attempt > 1:
        lines[0] = Content(
            f"Sending {what} to Pushover: attempt {progress.attempt} of {progress.attempts}"
            + (f", in {max(0, round(seconds_left))} s…" if seconds_left > 0 else "…")
        )
        if progress.failure:
            lines.append(Content(f"The last attempt failed: {progress.failure}."))
    lines.append(
        Content.from_markup(
            "[dim][b]$stop[/b] stops sending (a message may already be on its way).[/dim]",
            stop=key("compose.stop"),
        )
    )
    return Content("\n").join(lines)


def stopped_text(key: KeyLabel) -> Content:
    return Content.from_markup(
        "[b $warning]Stopped by you.[/] It may have been delivered: History ($history) lists it "
        "as interrupted. Check your device before sending it again.",
        history=key("mode.history"),
    )


def unexpected_text(key: KeyLabel) -> Content:
    """A send stopped by an error that is none of the pipeline's (the app's notice names it)."""
    return Content.from_markup(
        "[b $error]✗ Not sent: something unexpected went wrong[/] (the notice says what). "
        "History ($history) shows whether it went out: check it before sending again.",
        history=key("mode.history"),
    )


def blocked_text(problems: list[Problem], key: KeyLabel) -> Content:
    """Nothing was sent: which fields to fix, or the keys to set up."""
    keys = [p for p in problems if note_target(p.field) == "keys"]
    fields = [p for p in problems if p not in keys]
    parts = []
    if fields:
        names = ", ".join(dict.fromkeys(p.field.replace("_", " ") for p in fields))
        count = len(fields)
        parts.append(
            f"fix {count} problem{'' if count == 1 else 's'} marked under the fields ({names})"
        )
    if keys:
        parts.append(f"set up the keys ({key('mode.config')}, Config screen)")
    return Content.from_markup(
        "[b $error]✗ Nothing sent:[/] $todo first.", todo="; and ".join(parts)
    )


def receipt_line(row: HistoryRow) -> Content | None:
    """How the emergency of `row` stands now, once its receipt has news."""
    info, state = row.receipt_info, row.receipt_state
    if state is ReceiptState.ACKNOWLEDGED and info is not None:
        when = f" at {clock_time(info.acknowledged_at)}" if info.acknowledged_at else ""
        device = info.acknowledged_by_device or "a device"
        return Content.from_markup(
            "[b $success]✓ Acknowledged[/] on $device$when.", device=device, when=when
        )
    if state is ReceiptState.EXPIRED:
        return Content.from_markup("[b $error]Expired[/] without acknowledgement.")
    if state is ReceiptState.CANCELLED:
        return Content.from_markup("[b $warning]Retries cancelled[/] before anyone acknowledged.")
    return None


def sent_text(
    sent: Sent, key: KeyLabel, *, test: bool, row: HistoryRow | None = None, to: str = ""
) -> Content:
    """What was sent, and (`row`: its history row now) how its receipt stands; `to`: the group
    it went to ("" for the profile's default recipient)."""
    result = sent.result
    lines = [
        Content.from_markup(
            "[b $success]✓ $what[/]  request [b]$request[/b]",
            what=("Test message sent" if test else "Sent")
            + (f" to {to}" if to else "")
            + (": emergency awaiting acknowledgement" if result.receipt else ""),
            request=result.request or "(none given)",
        )
    ]
    receipt_news = None if row is None else receipt_line(row)
    if receipt_news is not None:
        lines.append(receipt_news)
    elif result.receipt:
        lines.append(
            Content.from_markup(
                "Receipt [b]$receipt[/b]. History ($history) follows it live until someone "
                "acknowledges it or it expires.",
                receipt=result.receipt,
                history=key("mode.history"),
            )
        )
    quota = result.quota
    if quota.remaining is not None:
        of = f" of {quota.limit:,}" if quota.limit is not None else ""
        lines.append(Content(f"Account quota: {quota.remaining:,}{of} messages left this month."))
    for warning in sent.warnings:
        lines.append(Content.from_markup("[$warning]Note:[/] $text", text=warning.text))
    if not test:
        lines.append(
            Content.from_markup(
                "[dim]The draft is kept: edit and send again, or [b]$new[/b] for a new "
                "message.[/dim]",
                new=key("compose.new"),
            )
        )
    return Content("\n").join(lines)


def failure_text(error: PushoverError | str, key: KeyLabel, *, keys: bool = False) -> Content:
    """Not sent: the reason, where to fix the keys, and what else helps."""
    if isinstance(error, QuotaExceededError):
        text = f"the account's monthly message quota is used up. {quota_reset(error.reset)}"
        return Content.from_markup("[b $error]✗ Not sent:[/] $text", text=text)
    lines = [Content.from_markup("[b $error]✗ Not sent:[/] $text", text=str(error))]
    if keys:
        lines.append(
            Content(
                f"Press {key('mode.config')} to check the token and user key in the Config screen."
            )
        )
    if isinstance(error, TemporaryError):
        lines.append(
            Content("Nothing was lost: the draft is kept and History lists the attempt. Try again.")
        )
    return Content("\n").join(lines)


class OutcomePanel(Vertical):
    """The outcome of the last send: idle, sending, ok or failed (its border says which).
    While sending it tells the attempt, and counts down to a retry each second."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._sending_what = ""
        self._progress: SendProgress | None = None
        self._retry_at = 0.0  # monotonic time the next attempt starts
        self._countdown: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="outcome-text")

    def show_sending(self, what: str) -> None:
        """A send of `what` ("the message", "a test message") starts."""
        self._sending_what, self._progress = what, None
        self._show_sending()

    def show_progress(self, progress: SendProgress) -> None:
        """An attempt starts, or a wait before the next one (the send pipeline calls this)."""
        self._progress = progress
        self._retry_at = time.monotonic() + progress.starts_in
        if self._countdown is None:
            self._countdown = self.set_interval(1.0, self._show_sending)
        self._show_sending()

    def _show_sending(self) -> None:
        left = self._retry_at - time.monotonic()
        key = dashboard(self).key_label
        self.show("sending", sending_text(self._sending_what, key, self._progress, left))

    def show(self, state: str, content: Content) -> None:
        """`state`: "idle" (one quiet line, no box), "sending", "ok" or "failed"."""
        if state != "sending" and self._countdown is not None:
            self._countdown.stop()
            self._countdown = None
        for name in (*TITLES, "idle"):
            self.set_class(state == name, f"-{name}")
        self.border_title = TITLES.get(state, "")
        self.query_one("#outcome-text", Static).update(content)
