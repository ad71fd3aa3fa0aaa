"""What Compose says about a send and about each field: the outcome panel, and pure functions that
word the outcome and place each problem on the field it concerns."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static

from pushover_tui.api.checks import Problem, errors
from pushover_tui.api.errors import APIError, PushoverError, QuotaExceededError, TemporaryError
from pushover_tui.outbox import Sent
from pushover_tui.store.config import ActiveProfile
from pushover_tui.tui.compose.draft import Draft
from pushover_tui.tui.compose.fields import field_hint

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


def keys_note(problems: list[Problem], server: Mapping[str, str], active: ActiveProfile) -> str:
    """The banner about the token and user key ("" when they are fine)."""
    if "keys" in server:
        return server["keys"]
    keys = [p.text for p in problems if note_target(p.field) == "keys"]
    if keys and not active.has_keys:
        return (
            f"Profile {active.profile.name!r} has no application token and user key yet: "
            "press F2 to set them up in the Config screen."
        )
    if keys:
        keys.append("Press F2 to fix them in the Config screen.")
    return " ".join(keys)


def server_notes(error: APIError) -> dict[str, str]:
    """What Pushover said about each field it rejected, keyed by note ("keys" for the keys)."""
    notes: dict[str, str] = {}
    for key, value in error.fields.items():
        target = note_target(key)
        if target == "keys":
            notes["keys"] = (
                f"Pushover says the {KEY_NAMES.get(key, key)} is {value}. Press F2 to check the "
                "keys in the Config screen."
            )
        elif target == FIELD_TARGETS.get(key, key):
            notes[target] = f"Pushover: {key.replace('_', ' ')} {value}."
    return notes


# -- the outcome ---------------------------------------------------------------------------


def idle_text() -> Content:
    return Content.from_markup(
        "Nothing sent yet. [b]ctrl+s[/b] sends the message, [b]ctrl+t[/b] sends a test "
        "message to check the keys. Problems show under each field as you type."
    )


def prefilled_text() -> Content:
    return Content.from_markup(
        "Filled in from History. Check the fields, then [b]ctrl+s[/b] to send it again."
    )


def blocked_text(problems: list[Problem]) -> Content:
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
        parts.append("set up the keys (F2, Config screen)")
    return Content.from_markup(
        "[b $error]✗ Nothing sent:[/] $todo first.", todo="; and ".join(parts)
    )


def sent_text(sent: Sent, *, test: bool, to: str = "") -> Content:
    """`to`: the group it went to ("" for the profile's default recipient)."""
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
    if result.receipt:
        lines.append(
            Content.from_markup(
                "Receipt [b]$receipt[/b]. History (F4) follows it live until someone "
                "acknowledges it or it expires.",
                receipt=result.receipt,
            )
        )
    quota = result.quota
    if quota.remaining is not None:
        of = f" of {quota.limit:,}" if quota.limit is not None else ""
        lines.append(Content(f"Quota: {quota.remaining:,}{of} messages left this month."))
    for warning in sent.warnings:
        lines.append(Content.from_markup("[$warning]Note:[/] $text", text=warning.text))
    if not test:
        lines.append(
            Content.from_markup(
                "[dim]The draft is kept: edit and send again, or [b]ctrl+n[/b] for a new "
                "message.[/dim]"
            )
        )
    return Content("\n").join(lines)


def failure_text(error: PushoverError | str, *, keys: bool = False) -> Content:
    """Not sent: the reason, where to fix the keys, and what else helps."""
    lines = [Content.from_markup("[b $error]✗ Not sent:[/] $text", text=str(error))]
    if keys:
        lines.append(Content("Press F2 to check the token and user key in the Config screen."))
    if isinstance(error, QuotaExceededError) and error.reset:
        reset = datetime.fromtimestamp(error.reset)
        lines.append(Content(f"The quota resets on {reset:%Y-%m-%d at %H:%M}."))
    elif isinstance(error, TemporaryError):
        lines.append(
            Content("Nothing was lost: the draft is kept and History lists the attempt. Try again.")
        )
    return Content("\n").join(lines)


class OutcomePanel(Vertical):
    """The outcome of the last send: idle, sending, ok or failed (its border says which)."""

    def compose(self) -> ComposeResult:
        self.border_title = "Outcome"
        yield Static(idle_text(), id="outcome-text")

    def show(self, state: str, content: Content) -> None:
        for name in TITLES:
            self.set_class(state == name, f"-{name}")
        self.border_title = TITLES.get(state, "Outcome")
        self.query_one("#outcome-text", Static).update(content)
