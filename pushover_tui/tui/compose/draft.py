"""The message being written, as the fields hold it: a Textual-free model.

Every component of the Compose screen loads from a Draft and writes its fields back to one, so a
value set before a component exists (the profile's defaults, a resend from History) is never
lost: the component shows it when it mounts. Numbers stay text until `to_message` parses them,
so what the user typed is kept exactly, mistakes included.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import datetime

from pushover_tui.api.checks import Problem
from pushover_tui.api.models import Attachment, Message, Priority
from pushover_tui.api.secret import Secret
from pushover_tui.outbox import apply_defaults, check_outgoing
from pushover_tui.store.config import ActiveProfile, Profile
from pushover_tui.tui.widgets.choices import known_priority, parse_seconds, split_devices

EMERGENCY_FIELDS = ("retry", "expire", "tags", "callback")


@dataclass(frozen=True)
class Draft:
    message: str = ""
    title: str = ""
    url: str = ""
    url_title: str = ""
    attachment: str = ""  # a path, as typed
    priority: int = int(Priority.NORMAL)
    sound: str = ""  # "" = the default sound
    device: str = ""
    format: str = "plain"  # "plain", "html" or "monospace" (compose/fields.py FORMAT_LABELS)
    ttl: str = ""
    timestamp: str = ""  # Unix time or a local date and time
    retry: str = ""
    expire: str = ""
    tags: str = ""  # comma-separated
    callback: str = ""
    # Who it goes to: a group's key, or blank for the profile's default (its `to`, else its
    # user). A Secret: the key is never shown in full, nor held bare where a traceback looks.
    to: Secret = field(default_factory=Secret)

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(field.name for field in fields(cls))

    @classmethod
    def for_profile(cls, profile: Profile) -> Draft:
        """A new message: blank, with the profile's priority, retry and expire."""
        return cls().with_profile_defaults(profile)

    def with_profile_defaults(
        self, profile: Profile, *, keep: frozenset[str] = frozenset()
    ) -> Draft:
        """The profile's priority, retry and expire, except in the fields named in `keep`."""
        defaults = {
            "priority": known_priority(profile.priority),
            "retry": str(profile.retry),
            "expire": str(profile.expire),
        }
        return replace(
            self, **{name: value for name, value in defaults.items() if name not in keep}
        )

    @classmethod
    def from_message(cls, message: Message, profile: Profile) -> Draft:
        """Every field of `message` (History's Resend); retry and expire default to the
        profile's."""
        attachment = message.attachment
        return cls(
            message=message.message,
            title=message.title,
            url=message.url,
            url_title=message.url_title,
            attachment=str(attachment.path) if attachment and attachment.path else "",
            priority=known_priority(message.priority),
            sound=message.sound,
            device=message.device,
            format="html" if message.html else "monospace" if message.monospace else "plain",
            ttl="" if message.ttl is None else str(message.ttl),
            timestamp="" if message.timestamp is None else str(message.timestamp),
            retry=str(profile.retry if message.retry is None else message.retry),
            expire=str(profile.expire if message.expire is None else message.expire),
            tags=",".join(message.tags),
            callback=message.callback,
        )

    @property
    def is_emergency(self) -> bool:
        return self.priority == Priority.EMERGENCY

    @property
    def has_text(self) -> bool:
        """Something worth asking about before it is thrown away."""
        return bool(self.message.strip()) or any(
            (self.title, self.url, self.url_title, self.attachment)
        )

    def seconds(self, field: str) -> int | None:
        """retry, expire or ttl as a number (None when blank or not a number)."""
        return parse_seconds(field, getattr(self, field), field)[0]

    def to_message(self, profile: Profile) -> tuple[Message, list[Problem]]:
        """The message as it would be sent (the profile's defaults applied), and the problems of
        the fields themselves (numbers that are not numbers)."""
        problems: list[Problem] = []
        retry = expire = None
        if self.is_emergency:
            retry, found = parse_seconds("retry", self.retry, "Retry")
            problems += found
            expire, found = parse_seconds("expire", self.expire, "Expire")
            problems += found
        ttl, found = parse_seconds("ttl", self.ttl, "TTL")
        problems += found
        timestamp, found = parse_timestamp(self.timestamp)
        problems += found
        path = self.attachment.strip()
        tags = tuple(tag.strip() for tag in self.tags.split(",") if tag.strip())
        message = Message(
            message=self.message,
            title=self.title,
            url=self.url.strip(),
            url_title=self.url_title,
            priority=self.priority,
            sound=self.sound,
            device=self.device.strip().replace(" ", ""),
            timestamp=timestamp,
            ttl=ttl,
            html=self.format == "html",
            monospace=self.format == "monospace",
            attachment=Attachment.from_path(path) if path else None,
            retry=retry,
            expire=expire,
            callback=self.callback.strip() if self.is_emergency else "",
            tags=tags if self.is_emergency else (),
        )
        return apply_defaults(message, profile), problems

    def problems(
        self, active: ActiveProfile, devices: tuple[str, ...] | None = None
    ) -> list[Problem]:
        """Every problem now: the fields' own, then the pipeline's checks (keys included), and
        a warning for a device the user does not have, when a verification listed `devices`."""
        message, problems = self.to_message(active.profile)
        problems += check_outgoing(active, message)
        unknown = [name for name in split_devices(message.device) if name not in (devices or ())]
        if devices and unknown:
            problems.append(
                Problem(
                    "device",
                    f"{', '.join(unknown)}: not among this user's devices ({', '.join(devices)});"
                    " Pushover then sends to all of them.",
                    severity="warning",
                )
            )
        return problems


def parse_timestamp(text: str) -> tuple[int | None, list[Problem]]:
    """A Unix time, or a local date and time such as 2026-05-01 14:30."""
    text = text.strip()
    if not text:
        return None, []
    if text.lstrip("-").isdigit():
        return int(text), []
    try:
        return int(datetime.fromisoformat(text).timestamp()), []
    except (ValueError, OverflowError, OSError):
        return None, [
            Problem("timestamp", "Give a Unix time or a local date like 2026-05-01 14:30.")
        ]
