"""Data of the Pushover API as frozen dataclasses."""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import Any

from pushover_tui.api.errors import GroupNameError
from pushover_tui.api.images import HEAD_SIZE, image_type
from pushover_tui.api.secret import Secret

_KEY_LIKE = re.compile(r"[A-Za-z0-9]{20,}")  # a long run like a key's 30: a key, mistyped

# The last second of 32-bit Unix time (2038-01-19): the bound of every timestamp we send or
# accept from a server, so each one fits SQLite and every platform's datetime.
UNIX_TIME_MAX = 2**31 - 1
QUOTA_MAX = 2**31 - 1  # far above any plan's monthly messages


class Priority(IntEnum):
    LOWEST = -2
    LOW = -1
    NORMAL = 0
    HIGH = 1
    EMERGENCY = 2

    @property
    def label(self) -> str:
        return self.name.title()

    @property
    def meaning(self) -> str:
        return _PRIORITY_MEANINGS[self]


_PRIORITY_MEANINGS = {
    Priority.LOWEST: "no notification, only a badge",
    Priority.LOW: "quiet: no sound or vibration",
    Priority.NORMAL: "sound and vibration per the user's settings",
    Priority.HIGH: "bypasses the user's quiet hours",
    Priority.EMERGENCY: "repeats until acknowledged or expired",
}


# Pushover's built-in sounds with the descriptions sounds.json gives them (the fact sheet); an
# app's own list (custom sounds included) comes from PushoverClient.sounds().
BUILTIN_SOUNDS: dict[str, str] = {
    "pushover": "Pushover (default)",
    "bike": "Bike",
    "bugle": "Bugle",
    "cashregister": "Cash Register",
    "classical": "Classical",
    "cosmic": "Cosmic",
    "falling": "Falling",
    "gamelan": "Gamelan",
    "incoming": "Incoming",
    "intermission": "Intermission",
    "magic": "Magic",
    "mechanical": "Mechanical",
    "pianobar": "Piano Bar",
    "siren": "Siren",
    "spacealarm": "Space Alarm",
    "tugboat": "Tug Boat",
    "alien": "Alien Alarm (long)",
    "climb": "Climb (long)",
    "persistent": "Persistent (long)",
    "echo": "Pushover Echo (long)",
    "updown": "Up Down (long)",
    "vibrate": "Vibrate Only",
    "none": "None (silent)",
}


@dataclass(frozen=True)
class Attachment:
    """An image to attach: from a file (read when sending) or from bytes."""

    filename: str
    content_type: str
    path: Path | None = None
    data: bytes | None = field(default=None, repr=False)

    @classmethod
    def from_path(cls, path: str | Path, content_type: str | None = None) -> Attachment:
        """The type comes from the file's content when it is an image (its name may lie); the
        name's guess stands only for what the checks will refuse anyway."""
        path = Path(path).expanduser()
        guessed = content_type or _sniffed_type(path) or mimetypes.guess_type(path.name)[0]
        return cls(
            filename=path.name, content_type=guessed or "application/octet-stream", path=path
        )

    @classmethod
    def from_bytes(cls, data: bytes, filename: str, content_type: str) -> Attachment:
        return cls(filename=filename, content_type=content_type, data=data)

    def size(self) -> int:
        """Size in bytes; raises OSError when the file cannot be read."""
        if self.data is not None:
            return len(self.data)
        assert self.path is not None
        return self.path.stat().st_size

    def read(self) -> bytes:
        if self.data is not None:
            return self.data
        assert self.path is not None
        return self.path.read_bytes()

    def head(self) -> bytes:
        """The first bytes, enough to tell what the file is; raises OSError when unreadable."""
        if self.data is not None:
            return self.data[:HEAD_SIZE]
        assert self.path is not None
        with self.path.open("rb") as handle:
            return handle.read(HEAD_SIZE)


def _sniffed_type(path: Path) -> str | None:
    # Only a regular file: opening a FIFO or a device would block or never end.
    try:
        if not path.is_file():
            return None
        with path.open("rb") as handle:
            return image_type(handle.read(HEAD_SIZE))
    except OSError:
        return None  # the checks report it, naming the cause


@dataclass(frozen=True)
class Message:
    """One notification with every parameter of `messages.json` (token and user aside)."""

    message: str
    title: str = ""
    url: str = ""
    url_title: str = ""
    priority: int = Priority.NORMAL
    sound: str = ""
    device: str = ""
    timestamp: int | None = None
    ttl: int | None = None
    html: bool = False
    monospace: bool = False
    attachment: Attachment | None = None
    retry: int | None = None
    expire: int | None = None
    callback: str = ""
    tags: tuple[str, ...] = ()

    @property
    def is_emergency(self) -> bool:
        return self.priority == Priority.EMERGENCY

    def form(self) -> dict[str, str]:
        """Form fields to send: blanks left out; retry/expire/callback/tags only at priority 2."""
        fields: dict[str, Any] = {
            "message": self.message,
            "title": self.title,
            "url": self.url,
            "url_title": self.url_title,
            "sound": self.sound,
            "device": self.device,
        }
        if self.priority != Priority.NORMAL:
            fields["priority"] = int(self.priority)
        if self.timestamp is not None:
            fields["timestamp"] = self.timestamp
        if self.ttl is not None and not self.is_emergency:
            fields["ttl"] = self.ttl
        if self.html:
            fields["html"] = 1
        if self.monospace:
            fields["monospace"] = 1
        if self.is_emergency:
            fields["retry"] = self.retry
            fields["expire"] = self.expire
            fields["callback"] = self.callback
            fields["tags"] = ",".join(self.tags)
        return {key: str(value) for key, value in fields.items() if value not in ("", None)}

    def params(self) -> dict[str, Any]:
        """Everything sent, as JSON-ready values with the API's field names (for history)."""
        params: dict[str, Any] = {
            key: int(value) if key in _INT_FIELDS else value for key, value in self.form().items()
        }
        params["priority"] = int(self.priority)
        if self.attachment is not None:
            params["attachment"] = {
                "filename": self.attachment.filename,
                "content_type": self.attachment.content_type,
            }
        return params

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Message:
        """Rebuild a message from `params()` (to resend from history); attachments are not kept."""
        return cls(
            message=str(params.get("message", "")),
            title=str(params.get("title", "")),
            url=str(params.get("url", "")),
            url_title=str(params.get("url_title", "")),
            priority=int_or_none(params.get("priority")) or 0,
            sound=str(params.get("sound", "")),
            device=str(params.get("device", "")),
            timestamp=int_or_none(params.get("timestamp")),
            ttl=int_or_none(params.get("ttl")),
            html=bool(params.get("html")),
            monospace=bool(params.get("monospace")),
            retry=int_or_none(params.get("retry")),
            expire=int_or_none(params.get("expire")),
            callback=str(params.get("callback", "")),
            tags=tuple(t for t in str(params.get("tags", "")).split(",") if t),
        )


_INT_FIELDS = {"priority", "timestamp", "ttl", "html", "monospace", "retry", "expire"}


def int_or_none(value: Any) -> int | None:
    """A whole number from stored or received data; None for blanks and anything malformed."""
    try:
        return None if value is None or value == "" else int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: JSON's Infinity
        return None


def bounded_int(value: Any, low: int, high: int) -> int | None:
    """A whole number within [low, high] from received or stored data; None otherwise."""
    number = int_or_none(value)
    return number if number is not None and low <= number <= high else None


@dataclass(frozen=True)
class Quota:
    """The app's monthly message quota; None means unknown: the server did not say, or said
    something out of range (a count over QUOTA_MAX, a reset past 32-bit Unix time), which is
    ignored rather than trusted, stored or printed."""

    limit: int | None = None
    remaining: int | None = None
    reset: int | None = None  # Unix time

    def __post_init__(self) -> None:
        object.__setattr__(self, "limit", bounded_int(self.limit, 0, QUOTA_MAX))
        object.__setattr__(self, "remaining", bounded_int(self.remaining, 0, QUOTA_MAX))
        object.__setattr__(self, "reset", bounded_int(self.reset, 0, UNIX_TIME_MAX))

    @property
    def known(self) -> bool:
        return self.remaining is not None

    @property
    def reset_at(self) -> datetime | None:
        return None if self.reset is None else datetime.fromtimestamp(self.reset, UTC)


@dataclass(frozen=True)
class SendResult:
    request: str
    receipt: str | None = None
    quota: Quota = Quota()


@dataclass(frozen=True)
class SendProgress:
    """Where a request stands in the retry policy: attempt `attempt` of `attempts` starts in
    `starts_in` seconds (0: starting now); `failure` says why the previous attempt failed."""

    attempt: int
    attempts: int
    starts_in: float = 0.0
    failure: str = ""


class ReceiptState(StrEnum):
    AWAITING = "awaiting"
    ACKNOWLEDGED = "acknowledged"
    EXPIRED = "expired"
    CANCELLED = "cancelled"

    @property
    def is_open(self) -> bool:
        return self is ReceiptState.AWAITING


@dataclass(frozen=True)
class Receipt:
    """A priority-2 delivery receipt. Timestamps are Unix time, 0 when not set."""

    receipt: str
    acknowledged: bool = False
    acknowledged_at: int = 0
    acknowledged_by: str = ""
    acknowledged_by_device: str = ""
    last_delivered_at: int = 0
    expired: bool = False
    expires_at: int = 0
    called_back: bool = False
    called_back_at: int = 0

    @property
    def state(self) -> ReceiptState:
        if self.acknowledged:
            return ReceiptState.ACKNOWLEDGED
        if self.expired:
            return ReceiptState.EXPIRED
        return ReceiptState.AWAITING

    def fields(self) -> dict[str, Any]:
        """The API's own field names and values."""
        return {
            "receipt": self.receipt,
            "acknowledged": int(self.acknowledged),
            "acknowledged_at": self.acknowledged_at,
            "acknowledged_by": self.acknowledged_by,
            "acknowledged_by_device": self.acknowledged_by_device,
            "last_delivered_at": self.last_delivered_at,
            "expired": int(self.expired),
            "expires_at": self.expires_at,
            "called_back": int(self.called_back),
            "called_back_at": self.called_back_at,
        }


@dataclass(frozen=True)
class UserCheck:
    """The answer of `users/validate.json` for a valid key."""

    devices: tuple[str, ...] = ()
    licenses: tuple[str, ...] = ()
    group: bool = False
    request: str = ""


@dataclass(frozen=True)
class GroupMember:
    """One membership of a delivery group: a user key, bound to one device or to all of them."""

    user: Secret
    device: str = ""  # blank = all the user's devices
    memo: str = ""  # free text saying who this is (the key itself is never shown)
    disabled: bool = False

    def fields(self) -> dict[str, Any]:
        """The API's own field names, the user key masked (for output, never for a request)."""
        return {
            "user": self.user.masked(),
            "device": self.device or None,
            "memo": self.memo,
            "disabled": self.disabled,
        }

    @property
    def label(self) -> str:
        """For people: the memo (or the masked key), and the device it is bound to."""
        who = self.memo or self.user.masked()
        return f"{who} ({self.device or 'all devices'})"


@dataclass(frozen=True)
class Group:
    """A delivery group: its key works wherever a user key does. `members` is filled by
    `PushoverClient.show_group` only (the list endpoint gives keys and names)."""

    key: Secret
    name: str = ""
    members: tuple[GroupMember, ...] = ()


def find_group(groups: Sequence[Group], text: str) -> Group:
    """The one group named `text` (exactly, else ignoring case); GroupNameError listing the
    candidates when none or several match."""
    for matches in (
        [group for group in groups if group.name == text],
        [group for group in groups if group.name.casefold() == text.casefold()],
    ):
        if len(matches) == 1:
            return matches[0]
        if matches:
            keys = ", ".join(group.key.masked() for group in matches)
            raise GroupNameError(
                f"{len(matches)} groups are named {text!r} ({keys}): give the key instead "
                "(`pushover-tui group list` shows the keys).",
                candidates=tuple(matches),
            )
    names = ", ".join(repr(group.name) for group in groups) or "none yet"
    if any(_KEY_LIKE.fullmatch(part.strip()) for part in text.split(",")):
        # Most likely a mistyped key or a list of keys: never repeat it (it may be a secret).
        raise GroupNameError(
            f"No group has that name, and it is not one group key (30 letters and digits); "
            f"your groups: {names}.",
            candidates=tuple(groups),
        )
    raise GroupNameError(
        f"No group named {text!r}; your groups: {names}.", candidates=tuple(groups)
    )
