"""The simulated Pushover service: state and the documented endpoints, without any HTTP."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from urllib.parse import unquote

from pushover_tui.simulator.glances_licenses import AppExtras
from pushover_tui.simulator.groups import Answer, Endpoint, Groups, masked
from pushover_tui.simulator.models import Receipt, UserInfo
from pushover_tui.simulator.parsing import Fields
from pushover_tui.simulator.quota import Pools
from pushover_tui.simulator.teams import Teams
from pushover_tui.simulator.validation import (
    TOKEN_INVALID,
    FieldError,
    MessageCheck,
    check_message,
    check_token,
    check_validate,
    is_key,
    random_text,
)

if TYPE_CHECKING:
    from pushover_tui.simulator.open_client import OpenClients

JSON_TYPE = "application/json; charset=utf-8"

# Built-in sounds with the descriptions the real sounds.json gives them.
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

QUOTA_SENTENCE = (
    "application has exceeded its monthly message limit; "
    "upgrade the plan or wait for the limit to reset at the start of next month"
)
RECEIPT_NOT_FOUND = FieldError(
    "receipt", "not found", "receipt not found; may be invalid or expired"
)


@dataclass(frozen=True)
class Reply:
    status: int
    body: object  # JSON-serialisable; bytes are sent as they are
    headers: tuple[tuple[str, str], ...] = ()
    content_type: str = JSON_TYPE


def request_id() -> str:
    return str(uuid.uuid4())


def new_key() -> str:
    return random_text(30)


def error_reply(errors: Sequence[FieldError], status: int = 400, headers=()) -> Reply:
    """The documented error shape: one key per bad field, then errors, status, request."""
    body: dict[str, object] = {}
    for error in errors:
        if error.field is not None:
            body.setdefault(error.field, error.problem)
    body["errors"] = [error.sentence for error in errors]
    body["status"] = 0
    body["request"] = request_id()
    return Reply(status, body, tuple(headers))


def ok(**fields: object) -> Reply:
    return Reply(200, {"status": 1, **fields, "request": request_id()})


def guess_licenses(devices: Sequence[str]) -> tuple[str, ...]:
    """Platforms for validate.json, guessed from device names (iphone -> iOS, pixel -> Android)."""
    found: list[str] = []
    for name in devices:
        low = name.lower()
        if any(word in low for word in ("iphone", "ipad", "ios", "watch", "mac")):
            platform = "iOS"
        elif any(word in low for word in ("desktop", "browser", "chrome", "firefox", "laptop")):
            platform = "Desktop"
        else:
            platform = "Android"
        if platform not in found:
            found.append(platform)
    return tuple(found)


_ROUTES: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"/1/messages\.json"), "POST", "messages"),
    (re.compile(r"/1/users/validate\.json"), "POST", "validate"),
    (re.compile(r"/1/sounds\.json"), "GET", "sounds"),
    (re.compile(r"/1/apps/limits\.json"), "GET", "limits"),
    (re.compile(r"/1/receipts/cancel_by_tag/([^/]+)\.json"), "POST", "cancel_by_tag"),
    (re.compile(r"/1/receipts/([^/]+)/cancel\.json"), "POST", "cancel_one"),
    (re.compile(r"/1/receipts/([^/]+)\.json"), "GET", "receipt"),
    # The Open Client API (simulator/open_client.py).
    (re.compile(r"/1/messages\.json"), "GET", "download"),
    (re.compile(r"/1/users/login\.json"), "POST", "login"),
    (re.compile(r"/1/devices\.json"), "POST", "register"),
    (re.compile(r"/1/devices/([^/]+)/update_highest_message\.json"), "POST", "delete_up_to"),
    (re.compile(r"/1/receipts/([^/]+)/acknowledge\.json"), "POST", "acknowledge"),
)


class Engine:
    """All mutable state, behind one re-entrant lock shared with the HTTP layer."""

    def __init__(self, *, ack_after: float, monthly_limit: int, clock: Callable[[], float]) -> None:
        self.lock = threading.RLock()
        self.ack_after = ack_after
        self.clock = clock
        self.quota = Pools(monthly_limit, clock)
        self.apps = self.quota.account_of  # every known app token, with its account
        self.users: dict[str, UserInfo] = {}
        self.sounds: dict[str, str] = dict(BUILTIN_SOUNDS)
        self.receipts: dict[str, Receipt] = {}
        self.messages: list[dict[str, object]] = []
        self.groups = Groups(self.apps, self.users)
        self.extras = AppExtras(self.apps, self.users, self.sounds, clock)
        # Imported here: open_client builds its replies with this module's helpers.
        from pushover_tui.simulator.open_client import OpenClients

        self.open_clients: OpenClients = OpenClients(
            lock=self.lock,
            users=self.users,
            receipt_acked=lambda receipt, now: bool(self.receipts[receipt].state(now).acknowledged),
            ack=lambda receipt, device, user, now: self.ack(receipt, device, now, user=user),
        )
        self.teams = Teams(self.users, self._user_for_email)
        self._routes = tuple(
            (pattern, method, getattr(self, f"_{name}")) for pattern, method, name in _ROUTES
        ) + tuple(
            (pattern, method, _replying(endpoint))
            for pattern, method, endpoint in (
                *self.groups.routes(),
                *self.extras.routes(),
                *self.teams.routes(),
            )
        )

    # ---- configuration -------------------------------------------------------------------
    def _user_for_email(self, email: str) -> str | None:
        """The user key of an Open Client login with this e-mail address, if there is one."""
        account = self.open_clients.accounts.get(email)
        return account.user if account is not None else None

    @property
    def limit(self) -> int:
        """The monthly limit of an account's pool unless its own is set (a team's)."""
        return self.quota.default_limit

    @limit.setter
    def limit(self, limit: int) -> None:
        self.quota.default_limit = limit

    def add_app(self, token: str, account: str | None = None) -> None:
        """An app token; apps of the same `account` share one quota pool."""
        if not is_key(token):
            raise ValueError("an app token is 30 characters of [A-Za-z0-9]")
        with self.lock:
            self.quota.add_app(token, account)

    def add_user(
        self,
        user: str,
        devices: Sequence[str],
        group: bool,
        licenses: Sequence[str] | None = None,
    ) -> None:
        if not is_key(user):
            raise ValueError("a user or group key is 30 characters of [A-Za-z0-9]")
        devices = tuple(devices)
        lic = tuple(licenses) if licenses is not None else guess_licenses(devices)
        with self.lock:
            self.users[user] = UserInfo(user, devices, group, lic)

    def set_remaining(self, token: str, remaining: int) -> None:
        """What is left this month of the pool of `token`'s account."""
        with self.lock:
            self.quota.set_remaining(token, remaining, self.clock())

    def _limit_headers(self, token: str, now: float) -> tuple[tuple[str, str], ...]:
        # The pooled numbers under the old names (README: where the simulator is lenient).
        limit, remaining, reset = self.quota.numbers(token, now)
        return (
            ("X-Limit-App-Limit", str(limit)),
            ("X-Limit-App-Remaining", str(remaining)),
            ("X-Limit-App-Reset", str(reset)),
        )

    def quota_exceeded_reply(self, token: str | None, now: float) -> Reply:
        headers: tuple[tuple[str, str], ...] = ()
        if token is not None and token in self.apps:
            headers = self._limit_headers(token, now)
        # The fact sheet warns that real 429 bodies may blame the token; keep that trap.
        return error_reply([replace(TOKEN_INVALID, sentence=QUOTA_SENTENCE)], 429, headers)

    # ---- receipts --------------------------------------------------------------------------
    def ack(self, receipt: str, device: str, now: float, *, user: str | None = None) -> bool:
        """Acknowledge now (by `user`, else the first recipient); False if the receipt was no
        longer awaiting acknowledgement."""
        with self.lock:
            found = self.receipts[receipt]
            if not found.state(now).active:
                return False
            self.receipts[receipt] = replace(
                found, acked_at=now, acked_device=device, acked_user=user
            )
            return True

    def _cancel(self, receipt: Receipt, now: float) -> bool:
        if not receipt.state(now).active:
            return False
        self.receipts[receipt.receipt] = replace(receipt, canceled_at=now)
        return True

    # ---- dispatch ---------------------------------------------------------------------------
    def handle(self, method: str, path: str, fields: Fields, now: float) -> Reply:
        allowed: list[str] = []  # methods of the routes whose path matches
        for pattern, route_method, endpoint in self._routes:
            match = pattern.fullmatch(path)
            if match is None:
                continue
            if method != route_method:
                allowed.append(route_method)
                continue
            with self.lock:
                return endpoint(fields, now, *match.groups())
        if allowed:
            sentence = f"method {method} is not allowed here, use {' or '.join(allowed)}"
            reply = error_reply([FieldError(None, "", sentence)], 405)
            return replace(reply, headers=(("Allow", ", ".join(allowed)),))
        return error_reply([FieldError(None, "", f"no such endpoint: {path}")], 404)

    def _messages(self, fields: Fields, now: float) -> Reply:
        values = fields.values
        token = values.get("token", "").strip()
        known = is_key(token) and token in self.apps
        if known and self.quota.numbers(token, now)[1] <= 0:
            return self.quota_exceeded_reply(token, now)
        check = check_message(
            values, fields.uploads, apps=self.apps, users=self.users, sounds=self.sounds
        )
        # Unknown tokens get no X-Limit headers: there is no app to count against.
        if check.errors:
            headers = self._limit_headers(token, now) if known else ()
            return error_reply(check.errors, 400, headers)

        to = self.groups.recipients(values["user"])
        # One per user reached: a group costs its enabled members; the pool must cover them all.
        cost = len({user for user, _ in to})
        if cost > self.quota.numbers(token, now)[1]:
            return self.quota_exceeded_reply(token, now)
        self.quota.spend(token, cost, now)
        record = {k: v for k, v in fields.raw.items() if k not in ("token", "user")}
        if check.attachment is not None:
            record["attachment"] = check.attachment.info()
        if any(key in self.groups.groups for key in check.users):  # whom a group reached
            record["to"] = [{"user": masked(user), "device": device} for user, device in to]
        self.messages.append(record)
        extra: dict[str, object] = {}
        if check.priority == 2:
            assert check.retry is not None and check.expire is not None
            receipt = new_key()
            # The first recipient acknowledges; nobody does when a group has no one enabled.
            user, device = to[0] if to else (check.users[0], None)
            self.receipts[receipt] = Receipt(
                receipt=receipt,
                token=token,
                user=user,
                sent_at=now,
                retry=check.retry,
                expire=check.expire,
                callback=check.callback,
                tags=check.tags,
                auto_ack_at=now + self.ack_after if self.ack_after > 0 and to else None,
                auto_ack_device=device or self._ack_device(user, check.devices),
            )
            extra["receipt"] = receipt
        self.open_clients.deliver(
            self.recipients(to, check),
            values,
            token=token,
            priority=check.priority,
            receipt=str(extra["receipt"]) if "receipt" in extra else None,
            now=now,
        )
        reply = ok(**extra)
        return replace(reply, headers=self._limit_headers(token, now))

    @staticmethod
    def recipients(
        to: list[tuple[str, str | None]], check: MessageCheck
    ) -> list[tuple[str, str | None]]:
        """Whose devices receive a message: (user key, device name or None for all of them).
        `to` is what `Groups.recipients` resolved: a group member bound to a device gets it
        there; anyone else on the message's own `device` list (or everywhere)."""
        return [
            (user, device)
            for user, bound in to
            for device in ((bound,) if bound else (check.devices or (None,)))
        ]

    def _ack_device(self, user: str, targeted: Sequence[str]) -> str:
        # The first targeted device the user really has, else the user's first device.
        devices = self.users[user].devices
        for name in targeted:
            if name in devices:
                return name
        return devices[0] if devices else "iphone"

    def _validate(self, fields: Fields, now: float) -> Reply:
        errors, info = check_validate(fields.values, apps=self.apps, users=self.users)
        if errors or info is None:
            return error_reply(errors)
        return ok(group=int(info.group), devices=list(info.devices), licenses=list(info.licenses))

    def _sounds(self, fields: Fields, now: float) -> Reply:
        if (error := check_token(fields.values, self.apps)) is not None:
            return error_reply([error])
        return ok(sounds=dict(self.sounds))

    def _limits(self, fields: Fields, now: float) -> Reply:
        if (error := check_token(fields.values, self.apps)) is not None:
            return error_reply([error])
        limit, remaining, reset = self.quota.numbers(fields.values["token"].strip(), now)
        return ok(limit=limit, remaining=remaining, reset=reset)

    def _owned_receipt(self, fields: Fields, receipt_id: str) -> Receipt | FieldError:
        if (error := check_token(fields.values, self.apps)) is not None:
            return error
        receipt = self.receipts.get(receipt_id)
        # Another app's receipt is as unknown as a made-up one.
        if receipt is None or receipt.token != fields.values["token"].strip():
            return RECEIPT_NOT_FOUND
        return receipt

    def _receipt(self, fields: Fields, now: float, receipt_id: str) -> Reply:
        found = self._owned_receipt(fields, receipt_id)
        if isinstance(found, FieldError):
            return error_reply([found])
        state = found.state(now).as_dict()
        return Reply(200, {"status": 1, **state, "request": request_id()})

    def _cancel_one(self, fields: Fields, now: float, receipt_id: str) -> Reply:
        found = self._owned_receipt(fields, receipt_id)
        if isinstance(found, FieldError):
            return error_reply([found])
        self._cancel(found, now)
        return ok()

    # ---- the Open Client API (simulator/open_client.py) --------------------------------------
    def _download(self, fields: Fields, now: float) -> Reply:
        return self.open_clients.download(fields, now)

    def _login(self, fields: Fields, now: float) -> Reply:
        return self.open_clients.login(fields, now)

    def _register(self, fields: Fields, now: float) -> Reply:
        return self.open_clients.register(fields, now)

    def _delete_up_to(self, fields: Fields, now: float, device_id: str) -> Reply:
        return self.open_clients.delete_up_to(fields, now, unquote(device_id))

    def _acknowledge(self, fields: Fields, now: float, receipt: str) -> Reply:
        return self.open_clients.acknowledge(fields, now, unquote(receipt))

    def _cancel_by_tag(self, fields: Fields, now: float, tag: str) -> Reply:
        if (error := check_token(fields.values, self.apps)) is not None:
            return error_reply([error])
        token = fields.values["token"].strip()
        tag = unquote(tag)
        count = 0
        for receipt in list(self.receipts.values()):
            if receipt.token == token and tag in receipt.tags and self._cancel(receipt, now):
                count += 1
        return ok(canceled=count)


def _replying(endpoint: Endpoint) -> Callable[..., Reply]:
    """A groups endpoint as the engine calls it: (fields, now, *path parts) -> Reply."""

    def handle(fields: Fields, now: float, *parts: str) -> Reply:
        answer: Answer = endpoint(fields.values, *parts)
        return error_reply(answer) if isinstance(answer, list) else ok(**answer)

    return handle
