"""The simulator's Open Client API, written from shared/pushover-open-client.md (never from the
client in pushover_tui/api/).

State: accounts (email, password, an optional two-factor code), sessions (a new secret for every
login), receiving devices (name unique per account, os "O"), one queue per device. `deliver` copies
a message into every enabled device of each recipient, with a new per-device id and one umid
shared by the copies, then `notify` tells the device's websocket `!`. Downloading removes nothing;
update_highest_message removes every id up to the one given.

Chosen here where the fact sheet says unverified: a bad email or password is HTTP 400, a bad
secret on the message calls 403 (as one client's tests assume), a missing or wrong two-factor code
412 again; an acknowledgement names the device the session last registered, downloaded to or
logged in on the websocket with.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from pushover_tui.simulator.engine import RECEIPT_NOT_FOUND, Reply, error_reply, ok, request_id
from pushover_tui.simulator.models import UserInfo
from pushover_tui.simulator.parsing import Fields
from pushover_tui.simulator.validation import DEVICE_RE, FieldError, parse_int, random_text

# Demo accounts, one without and one with two-factor authentication (documentation-style values).
DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-password"
DEMO_2FA_EMAIL = "twofa@example.com"
DEMO_2FA_PASSWORD = "demo-password"
DEMO_2FA_CODE = "123456"
DEMO_2FA_USER = "jceJMqnzLnScNTMZTBvJsmj79zxS3O"

FIRST_MESSAGE_ID = 380698801670733826  # the fact sheet's example: real ids exceed 2**53
FIRST_APP_ID = 380698715771387905
APP_NAME = "Pushover Simulator"
APP_ICON = "pushover"
SECRET_LENGTH = 60  # as in the documentation's example
DEVICE_ID_LENGTH = 40  # as in the clients' examples (not guaranteed by Pushover)
_DIGITS = re.compile(r"[0-9]{1,40}")  # int() refuses over 4,300 digits
_OPTIONAL_TEXT = ("sound", "url", "url_title")

BAD_LOGIN = FieldError(None, "", "invalid email and/or password")
BAD_SECRET = FieldError("secret", "invalid", "secret is invalid")
BAD_DEVICE = FieldError("device_id", "invalid", "device_id is invalid")
DISABLED_DEVICE = FieldError("device_id", "disabled", "device is disabled")
BAD_MESSAGE_ID = FieldError("message", "invalid", "message is invalid")

Notify = Callable[[str, str], None]  # (device id, frame)


@dataclass(frozen=True)
class Account:
    email: str  # case-sensitive, as the password
    password: str
    user: str
    twofa: str | None = None


@dataclass(frozen=True)
class Device:
    id: str
    user: str
    name: str
    enabled: bool = True


@dataclass(frozen=True)
class Queued:
    id: int
    umid: int
    body: Mapping[str, object]  # the message object, ids and `acked` aside
    receipt: str | None


def _field_errors(errors: Mapping[str, list[str]]) -> Reply:
    """Device registration's own error shape: `errors` maps each field to its sentences."""
    return Reply(400, {"errors": dict(errors), "status": 0, "request": request_id()})


class OpenClients:
    """Accounts, sessions, devices and queues. Endpoints run under the engine's lock."""

    def __init__(
        self,
        *,
        lock: threading.RLock,
        users: dict[str, UserInfo],
        receipt_acked: Callable[[str, float], bool],
        ack: Callable[[str, str, str, float], bool],
    ) -> None:
        self.lock = lock
        self.users = users  # the engine's: a registered device becomes one of the user's devices
        self._receipt_acked = receipt_acked
        self._ack = ack  # (receipt, device name, user key, now) -> acknowledged now
        self.notify: Notify = lambda device_id, frame: None  # the websocket hub, once serving
        self.accounts: dict[str, Account] = {}
        self.sessions: dict[str, str] = {}  # secret -> user key
        self.session_device: dict[str, str] = {}  # secret -> the device id it last used
        self.devices: dict[str, Device] = {}
        self.queues: dict[str, list[Queued]] = {}
        self.receipt_users: dict[str, set[str]] = {}  # whose devices an emergency reached
        self._app_ids: dict[str, int] = {}
        self._next_id = FIRST_MESSAGE_ID

    # ---- configuration -----------------------------------------------------------------------
    def add_account(self, email: str, password: str, user: str, twofa: str | None = None) -> None:
        with self.lock:
            self.accounts[email] = Account(email, password, user, twofa)
            self.users.setdefault(user, UserInfo(user, (), False, ()))

    def disable_device(self, name: str) -> int:
        """Disable every device with this name; its socket hears `E`. Returns how many."""
        with self.lock:
            found = [d for d in self.devices.values() if d.name == name and d.enabled]
            for device in found:
                self.devices[device.id] = replace(device, enabled=False)
                self.notify(device.id, "E")
            return len(found)

    def queued(self, name: str) -> int:
        """Messages waiting for the devices with this name."""
        with self.lock:
            return sum(len(self.queues[d.id]) for d in self.devices.values() if d.name == name)

    # ---- delivery ----------------------------------------------------------------------------
    def deliver(
        self,
        recipients: Sequence[tuple[str, str | None]],
        values: Mapping[str, str],
        *,
        token: str,
        priority: int,
        receipt: str | None,
        now: float,
    ) -> None:
        """Queue a sent message for every enabled device of each (user key, device name or None
        for all of the user's devices), once per device, and signal each device's socket."""
        reached: dict[str, Device] = {}
        for user, name in recipients:
            for device in self.devices.values():
                if device.user == user and device.enabled and name in (None, device.name):
                    reached[device.id] = device
        if not reached:
            return
        body = self._message_body(values, token, priority, receipt, now)
        umid = self._take_id()
        for device in reached.values():
            self.queues[device.id].append(Queued(self._take_id(), umid, body, receipt))
            if receipt:
                self.receipt_users.setdefault(receipt, set()).add(device.user)
        for device_id in reached:
            self.notify(device_id, "!")

    def _message_body(
        self,
        values: Mapping[str, str],
        token: str,
        priority: int,
        receipt: str | None,
        now: float,
    ) -> dict[str, object]:
        aid = self._app_ids.setdefault(token, FIRST_APP_ID + len(self._app_ids))
        timestamp = parse_int(values.get("timestamp", ""))
        body: dict[str, object] = {
            "title": values.get("title", ""),
            "message": values.get("message", ""),
            "app": APP_NAME,
            "aid": aid,
            "aid_str": str(aid),
            "icon": APP_ICON,
            "date": timestamp if timestamp is not None else int(now),
            "priority": priority,
        }
        body.update((name, values[name]) for name in _OPTIONAL_TEXT if values.get(name))
        if parse_int(values.get("html", "")) == 1:
            body["html"] = 1
        if receipt:
            body["receipt"] = receipt
        return body

    def _take_id(self) -> int:
        self._next_id += 1
        return self._next_id

    # ---- websocket ---------------------------------------------------------------------------
    def socket_login(self, text: str) -> str | None:
        """The device id a `login:<device id>:<secret>` frame logs in (newline optional), or
        None when the frame, the session or the device is not valid."""
        parts = text.removesuffix("\n").split(":")
        if len(parts) != 3 or parts[0] != "login":
            return None
        _, device_id, secret = parts
        with self.lock:
            user = self.sessions.get(secret)
            device = self.devices.get(device_id)
            if user is None or device is None or device.user != user or not device.enabled:
                return None
            self.session_device[secret] = device_id
            return device_id

    # ---- endpoints (under the engine's lock) ---------------------------------------------------
    def login(self, fields: Fields, now: float) -> Reply:
        values = fields.values
        account = self.accounts.get(values.get("email", ""))
        if account is None or account.password != values.get("password", ""):
            return error_reply([BAD_LOGIN])
        if account.twofa is not None:
            code = values.get("twofa", "").strip()
            if code != account.twofa:
                sentence = (
                    "two-factor authentication code is invalid"
                    if code
                    else "two-factor authentication code required"
                )
                return error_reply([FieldError(None, "", sentence)], 412)
        secret = random_text(SECRET_LENGTH)
        self.sessions[secret] = account.user
        return ok(id=account.user, secret=secret)

    def register(self, fields: Fields, now: float) -> Reply:
        values = fields.values
        secret = values.get("secret", "").strip()
        user = self.sessions.get(secret)
        if user is None:
            return _field_errors({"secret": ["is invalid"]})
        errors: dict[str, list[str]] = {}
        name = values.get("name", "").strip()
        if DEVICE_RE.fullmatch(name) is None:
            errors["name"] = ["is invalid"]
        elif name in self.users[user].devices:
            errors["name"] = ["has already been taken"]
        if values.get("os", "").strip() != "O":
            errors["os"] = ["is invalid"]
        if errors:
            return _field_errors(errors)
        device = Device(random_text(DEVICE_ID_LENGTH), user, name)
        self.devices[device.id] = device
        self.queues[device.id] = []
        info = self.users[user]
        self.users[user] = replace(info, devices=(*info.devices, name))
        self.session_device[secret] = device.id
        return ok(id=device.id)

    def download(self, fields: Fields, now: float) -> Reply:
        found = self._session_device(fields.values, fields.values.get("device_id", ""))
        if isinstance(found, Reply):
            return found
        messages = [self._message(queued, now) for queued in self.queues[found.id]]
        licensed = {"is_android_licensed": False, "is_ios_licensed": False}
        return ok(
            messages=messages,
            user={"quiet_hours": False, **licensed, "is_desktop_licensed": False},
        )

    def delete_up_to(self, fields: Fields, now: float, device_id: str) -> Reply:
        found = self._session_device(fields.values, device_id)
        if isinstance(found, Reply):
            return found
        raw = fields.values.get("message", "").strip()
        if _DIGITS.fullmatch(raw) is None:
            return error_reply([BAD_MESSAGE_ID])
        highest = int(raw)  # any size: the ids exceed 2**53
        self.queues[found.id] = [q for q in self.queues[found.id] if q.id > highest]
        return ok()

    def acknowledge(self, fields: Fields, now: float, receipt: str) -> Reply:
        secret = fields.values.get("secret", "").strip()
        user = self.sessions.get(secret)
        if user is None:
            return error_reply([BAD_SECRET], 403)
        if user not in self.receipt_users.get(receipt, ()):
            return error_reply([RECEIPT_NOT_FOUND])
        self._ack(receipt, self._device_name(secret, user), user, now)
        return ok()

    # ---- helpers -------------------------------------------------------------------------------
    def _session_device(self, values: Mapping[str, str], device_id: str) -> Device | Reply:
        secret = values.get("secret", "").strip()
        user = self.sessions.get(secret)
        if user is None:
            return error_reply([BAD_SECRET], 403)
        device = self.devices.get(device_id.strip())
        if device is None or device.user != user:
            return error_reply([BAD_DEVICE])
        if not device.enabled:
            return error_reply([DISABLED_DEVICE])
        self.session_device[secret] = device.id
        return device

    def _device_name(self, secret: str, user: str) -> str:
        device = self.devices.get(self.session_device.get(secret, ""))
        if device is None:
            device = next((d for d in self.devices.values() if d.user == user), None)
        return device.name if device is not None else "open-client"

    def _message(self, queued: Queued, now: float) -> dict[str, object]:
        acked = queued.receipt is not None and self._receipt_acked(queued.receipt, now)
        return {
            "id": queued.id,
            "id_str": str(queued.id),
            "umid": queued.umid,
            "umid_str": str(queued.umid),
            **queued.body,
            "acked": int(acked),
        }
