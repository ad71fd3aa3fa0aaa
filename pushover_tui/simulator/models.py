"""Plain data of the simulator: frozen records, the emergency-receipt lifecycle, quota periods."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Documented: Pushover stops repeating an emergency after 50 retries, whatever retry/expire say.
MAX_RETRIES = 50


@dataclass(frozen=True)
class RequestRecord:
    """One request as the simulator saw it. Never holds a token or user key value."""

    method: str
    path: str  # query string removed (the receipt GET carries the token there)
    fields: tuple[str, ...]  # names only, sorted
    time: float  # clock() when the request arrived
    connection_id: int
    status: int  # 0 = no response was sent ("drop" fault)

    def as_dict(self) -> dict[str, object]:
        return {
            "method": self.method,
            "path": self.path,
            "fields": list(self.fields),
            "time": self.time,
            "connection_id": self.connection_id,
            "status": self.status,
        }


@dataclass(frozen=True)
class UserInfo:
    key: str
    devices: tuple[str, ...]
    group: bool
    licenses: tuple[str, ...]


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart body (or a decoded attachment_base64)."""

    filename: str | None
    content_type: str | None
    data: bytes

    def info(self) -> dict[str, object]:
        return {
            "filename": self.filename,
            "content_type": self.content_type,
            "size": len(self.data),
            "sha256": hashlib.sha256(self.data).hexdigest(),
        }


@dataclass(frozen=True)
class ReceiptState:
    acknowledged: int
    acknowledged_at: int
    acknowledged_by: str
    acknowledged_by_device: str
    last_delivered_at: int
    expired: int
    expires_at: int
    called_back: int
    called_back_at: int

    def as_dict(self) -> dict[str, object]:
        return {
            "acknowledged": self.acknowledged,
            "acknowledged_at": self.acknowledged_at,
            "acknowledged_by": self.acknowledged_by,
            "acknowledged_by_device": self.acknowledged_by_device,
            "last_delivered_at": self.last_delivered_at,
            "expired": self.expired,
            "expires_at": self.expires_at,
            "called_back": self.called_back,
            "called_back_at": self.called_back_at,
        }

    @property
    def active(self) -> bool:
        return not self.acknowledged and not self.expired


@dataclass(frozen=True)
class Receipt:
    """An emergency message. Its state is computed from the clock on each read, never stored,
    so a fake clock can move it through awaiting -> acknowledged / expired without sleeping."""

    receipt: str
    token: str
    user: str  # the key reported in acknowledged_by
    sent_at: float
    retry: int
    expire: int
    callback: str | None
    tags: frozenset[str]
    auto_ack_at: float | None  # None: nobody acknowledges on their own (ack_after=0)
    auto_ack_device: str
    acked_at: float | None = None  # set by Simulator.ack / POST /_sim/ack
    acked_device: str | None = None
    acked_user: str | None = None  # who acknowledged through the Open Client API
    canceled_at: float | None = None

    def state(self, now: float) -> ReceiptState:
        deadline = self.sent_at + self.expire
        ack_at: float | None = None
        device = ""
        if self.acked_at is not None:
            ack_at, device = self.acked_at, self.acked_device or ""
        elif (
            self.auto_ack_at is not None
            and self.auto_ack_at <= now
            and self.auto_ack_at < deadline
            and (self.canceled_at is None or self.auto_ack_at < self.canceled_at)
        ):
            ack_at, device = self.auto_ack_at, self.auto_ack_device

        expires_at = deadline
        if ack_at is not None:
            end, expired = ack_at, 0
        elif self.canceled_at is not None:
            # A cancelled receipt reads as expired at the moment it was cancelled.
            end, expired, expires_at = self.canceled_at, 1, self.canceled_at
        elif now >= deadline:
            end, expired = deadline, 1
        else:
            end, expired = now, 0

        # Deliveries happen at sent_at + k*retry, strictly before the deadline, at most 50 retries.
        steps = min(
            MAX_RETRIES,
            math.floor(max(0.0, end - self.sent_at) / self.retry),
            math.ceil(self.expire / self.retry) - 1,
        )
        last = self.sent_at + max(0, steps) * self.retry
        acked = ack_at is not None
        called_back = acked and bool(self.callback)
        return ReceiptState(
            acknowledged=int(acked),
            acknowledged_at=int(ack_at) if ack_at is not None else 0,
            acknowledged_by=(self.acked_user or self.user) if acked else "",
            acknowledged_by_device=device if acked else "",
            last_delivered_at=int(last),
            expired=expired,
            expires_at=int(expires_at),
            called_back=int(called_back),
            called_back_at=int(ack_at) if called_back and ack_at is not None else 0,
        )


def _central_time() -> tzinfo:
    try:
        return ZoneInfo("America/Chicago")
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # No tz database on this machine: US Central standard time is close enough.
        return timezone(timedelta(hours=-6), "CST")


CENTRAL = _central_time()


def next_reset(now: float, tz: tzinfo = CENTRAL) -> int:
    """Unix time of the next 1st of the month, 00:00 US Central (the documented quota reset)."""
    local = datetime.fromtimestamp(now, tz)
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    return int(datetime(year, month, 1, tzinfo=tz).timestamp())
