"""Data of the Open Client API (the inbox): a receiving device's session and its messages.

No httpx here: the store and the dashboard import it on start-up. Message ids exceed 2**53, so
they are read from `id_str` when the API gives it and kept as exact Python ints.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from pushover_tui.api.models import Priority, int_or_none
from pushover_tui.api.secret import Secret


@dataclass(frozen=True)
class InboxSession:
    """What `inbox login` keeps in a profile. The password is never kept."""

    secret: Secret  # the session secret users/login.json returned
    device_id: Secret  # the id devices.json returned
    device_name: str  # shown in receipts as the device that acknowledged

    def __post_init__(self) -> None:
        for name in ("secret", "device_id"):
            if not isinstance(getattr(self, name), Secret):
                object.__setattr__(self, name, Secret(getattr(self, name)))


def _id(data: Mapping[str, Any], name: str) -> int | None:
    """`name_str` first: JSON readers other than Python's may have rounded the number."""
    exact = int_or_none(data.get(f"{name}_str"))
    return exact if exact is not None else int_or_none(data.get(name))


def _text(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    return value if isinstance(value, str) else ""


@dataclass(frozen=True)
class ReceivedMessage:
    """One message as messages.json delivers it; `raw` is the object exactly as received."""

    id: int  # per device, increasing: what update_highest_message deletes up to
    umid: int  # the same on every device of the user
    title: str
    message: str
    app: str
    date: int  # Unix time
    priority: int = Priority.NORMAL
    aid: int | None = None
    icon: str = ""
    sound: str = ""
    url: str = ""
    url_title: str = ""
    html: bool = False
    receipt: str = ""  # emergencies only
    acked: bool = False
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> ReceivedMessage | None:
        """None for an object without a usable id (it could never be deleted upstream)."""
        message_id = _id(data, "id")
        if message_id is None:
            return None
        umid = _id(data, "umid")
        return cls(
            id=message_id,
            umid=message_id if umid is None else umid,
            title=_text(data, "title"),
            message=_text(data, "message"),
            app=_text(data, "app"),
            date=int_or_none(data.get("date")) or 0,
            priority=int_or_none(data.get("priority")) or 0,
            aid=_id(data, "aid"),
            icon=_text(data, "icon"),
            sound=_text(data, "sound"),
            url=_text(data, "url"),
            url_title=_text(data, "url_title"),
            html=bool(int_or_none(data.get("html"))),
            receipt=_text(data, "receipt"),
            acked=bool(int_or_none(data.get("acked"))),
            raw=MappingProxyType(dict(data)),
        )

    @property
    def shown_title(self) -> str:
        """The title, or the app's name when the sender gave none (as Pushover's clients do)."""
        return self.title or self.app

    @property
    def is_emergency(self) -> bool:
        return self.priority == Priority.EMERGENCY

    @property
    def awaits_ack(self) -> bool:
        return self.is_emergency and bool(self.receipt) and not self.acked

    def to_json(self) -> dict[str, Any]:
        """The API's own field names, every documented one present (fields the API added later
        come along unchanged)."""
        return {
            **self.raw,
            "id": self.id,
            "id_str": str(self.id),
            "umid": self.umid,
            "umid_str": str(self.umid),
            "title": self.title,
            "message": self.message,
            "app": self.app,
            "aid": self.aid,
            "aid_str": None if self.aid is None else str(self.aid),
            "icon": self.icon,
            "date": self.date,
            "priority": self.priority,
            "sound": self.sound,
            "url": self.url,
            "url_title": self.url_title,
            "html": int(self.html),
            "receipt": self.receipt or None,
            "acked": int(self.acked),
        }
