"""How the dashboard words and times things (rows, keys, quota resets, receipt news, inbox
toasts): pure functions, no widgets, shared by every screen.

`clock` is read on every call so tests (and snapshots) can freeze what "now" is.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pushover_tui.api.models import Priority, ReceiptState
from pushover_tui.safe_text import escape_controls
from pushover_tui.store.history import HistoryRow, Status

if TYPE_CHECKING:
    from pushover_tui.store.inbox import InboxRow

clock: Callable[[], float] = time.time

STATUS_LABELS = {
    Status.SENDING: "sending…",
    Status.SENT: "sent",
    Status.FAILED: "failed",
    Status.INTERRUPTED: "interrupted",
}
RECEIPT_LABELS = {
    ReceiptState.AWAITING: "awaiting",
    ReceiptState.ACKNOWLEDGED: "acknowledged",
    ReceiptState.EXPIRED: "expired",
    ReceiptState.CANCELLED: "cancelled",
}
_KEY_RE = re.compile(r"^[A-Za-z0-9]{30}$")


def now() -> float:
    return clock()


def local_time(timestamp: float) -> datetime | None:
    """`timestamp` as local time; None for one no calendar can show (a receipt or a stored row
    from elsewhere may hold any number)."""
    try:
        return datetime.fromtimestamp(timestamp)
    except (OverflowError, OSError, ValueError):
        return None


def quota_reset(reset: int | None) -> str:
    """When a used-up monthly quota comes back, in one sentence: the time Pushover gave (a 429's
    reset), else the rule (Compose, Config's Verify and Groups all say it this way)."""
    when = local_time(reset) if reset else None
    if when is None:
        return "It resets on the 1st of the month (00:00 US Central time)."
    return f"It resets on {when:%Y-%m-%d at %H:%M}."


def short_time(timestamp: float, *, reference: float | None = None) -> str:
    """Compact for a table cell: 14:03:22 today, 01-05 14:03 this year, else 2024-01-05."""
    when = local_time(timestamp)
    if when is None:
        return "?"
    today = datetime.fromtimestamp(now() if reference is None else reference)
    if when.date() == today.date():
        return when.strftime("%H:%M:%S")
    if when.year == today.year:
        return when.strftime("%m-%d %H:%M")
    return when.strftime("%Y-%m-%d")


def full_time(timestamp: float) -> str:
    when = local_time(timestamp)
    return "?" if when is None else when.strftime("%Y-%m-%d %H:%M:%S")


def clock_time(timestamp: float) -> str:
    """A receipt moment: just the time when it is today, else date and time."""
    when = local_time(timestamp)
    if when is not None and when.date() == datetime.fromtimestamp(now()).date():
        return when.strftime("%H:%M:%S")
    return full_time(timestamp)


def countdown(seconds: float) -> str:
    """mm:ss, or h:mm:ss past an hour."""
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def priority_label(priority: int) -> str:
    try:
        return Priority(priority).label
    except ValueError:
        return str(priority)


def preview(row: HistoryRow) -> str:
    """Title and message on one line."""
    text = f"{row.title} — {row.message}" if row.title else row.message
    return " ".join(text.split())


def masked_key(value: str) -> str:
    """A user key as a short hint; the store already masks it, this never trusts that."""
    if not value:
        return ""
    if _KEY_RE.match(value) or "•" in value:
        return value[:4] + "••••"
    return value


def expires_at(row: HistoryRow) -> float | None:
    """When an emergency stops retrying: the receipt's word, else sent time + expire."""
    if row.receipt_info is not None and row.receipt_info.expires_at:
        return float(row.receipt_info.expires_at)
    expire = row.params.get("expire")
    if row.receipt and expire not in (None, ""):
        return row.created_at + int(expire)
    return None


def nothing_to_cancel(row: HistoryRow) -> str:
    """Why the selected message has no retries to cancel."""
    state, info = row.receipt_state, row.receipt_info
    if row.receipt is None:
        return f"Message #{row.id} is not an emergency: it does not repeat."
    if state is ReceiptState.ACKNOWLEDGED:
        device = (
            f" on {info.acknowledged_by_device}" if info and info.acknowledged_by_device else ""
        )
        when = f" at {clock_time(info.acknowledged_at)}" if info and info.acknowledged_at else ""
        return f"Message #{row.id} was acknowledged{device}{when}: it no longer repeats."
    if state is ReceiptState.EXPIRED:
        return f"Message #{row.id} expired: Pushover stopped repeating it."
    return f"Message #{row.id}'s retries were already cancelled."


def receipt_news(row: HistoryRow) -> str:
    """A closed emergency in one sentence, named by its title (or message)."""
    name = escape_controls(" ".join((row.title or row.message).split()))[:60]
    info = row.receipt_info
    if row.receipt_state is ReceiptState.ACKNOWLEDGED:
        device = info.acknowledged_by_device if info is not None else ""
        return f"“{name}” was acknowledged" + (f" on {device}." if device else ".")
    if row.receipt_state is ReceiptState.EXPIRED:
        return f"“{name}” expired without acknowledgement."
    return f"“{name}”: retries cancelled."


TOASTS_ONE_BY_ONE = 3  # more inbox messages at once make a single toast
Severity = Literal["information", "warning", "error"]
Toast = tuple[str, str, Severity, float | None]  # text, title, severity, timeout


def receipt_toasts(row: HistoryRow) -> list[Toast]:
    """The toast for an emergency that closed (acknowledged, expired, cancelled)."""
    return [(receipt_news(row), "Emergency", "information", 10)]


def arrival_toasts(
    rows: list[InboxRow], inbox_key: str
) -> list[tuple[str, str, Severity, float | None]]:
    """(text, title, severity, timeout) of the toasts for inbox messages that arrived together:
    one each for a few, one for many; an emergency says where to acknowledge it."""
    if len(rows) <= TOASTS_ONE_BY_ONE:
        return [
            (
                arrival_preview(row),
                f"Emergency: acknowledge it in Inbox ({inbox_key})"
                if row.awaits_ack
                else f"New message (Inbox: {inbox_key})",
                "warning" if row.awaits_ack else "information",
                10 if row.awaits_ack else 5,
            )
            for row in rows
        ]
    newest = "\n".join(arrival_preview(row, 60) for row in reversed(rows[-TOASTS_ONE_BY_ONE:]))
    return [
        (
            f"{newest}\n…and {len(rows) - TOASTS_ONE_BY_ONE} more (Inbox lists them all).",
            f"{len(rows)} new messages (Inbox: {inbox_key})",
            "warning" if any(row.awaits_ack for row in rows) else "information",
            None,
        )
    ]


def arrival_preview(row: InboxRow, width: int = 200) -> str:
    """The message named (its title, else the app) with the start of its text, one line each."""
    message = row.message
    text = " ".join(escape_controls(message.message).split())
    if len(text) > width:
        text = text[: width - 1] + "…"
    return f"{escape_controls(message.shown_title)}\n{text}" if message.shown_title else text
