"""Field checks written from the Pushover documentation (shared/pushover-api.md).

Deliberately independent of ``pushover_tui.api``: if the client and the simulator shared these
checks, a wrong limit in one place would pass every test.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import string
from collections.abc import Container, Mapping
from dataclasses import dataclass

from pushover_tui.simulator.models import Upload, UserInfo

_ALPHANUMERIC = string.ascii_letters + string.digits


def random_text(length: int) -> str:
    """Letters and digits, for new keys, secrets and device ids."""
    return "".join(secrets.choice(_ALPHANUMERIC) for _ in range(length))


# Documented limits.
KEY_RE = re.compile(r"[A-Za-z0-9]{30}")
DEVICE_RE = re.compile(r"[A-Za-z0-9_-]{1,25}")
# Explicit ASCII digits (str.isdigit accepts "²"), and few enough for int() (it refuses over 4,300).
INT_RE = re.compile(r"[+-]?[0-9]{1,40}")
MAX_USERS = 50
MAX_MESSAGE = 1024  # Unicode code points, not bytes
MAX_TITLE = 250
MAX_URL = 512
MAX_URL_TITLE = 100
MAX_ATTACHMENT = 5_242_880
MIN_RETRY = 30
MAX_EXPIRE = 10_800


@dataclass(frozen=True)
class FieldError:
    field: str | None  # top-level key of the error body; None for whole-request problems
    problem: str  # value of that key, e.g. "invalid"
    sentence: str  # entry of the "errors" list


@dataclass(frozen=True)
class MessageCheck:
    errors: tuple[FieldError, ...]
    users: tuple[str, ...] = ()
    devices: tuple[str, ...] = ()
    priority: int = 0
    retry: int | None = None
    expire: int | None = None
    callback: str | None = None
    tags: frozenset[str] = frozenset()
    attachment: Upload | None = None


TOKEN_INVALID = FieldError("token", "invalid", "application token is invalid")


def is_key(value: str | None) -> bool:
    return value is not None and KEY_RE.fullmatch(value) is not None


def parse_int(value: str) -> int | None:
    text = value.strip()
    return int(text) if INT_RE.fullmatch(text) else None


# Flag spellings real clients send and the real API accepts (README, "Where the simulator is
# lenient"): pushover-complete sends html=False on every message;
# other languages' form encoders write booleans as true/false.
_FLAG_WORDS = {"true": 1, "false": 0}


def parse_flag(value: str) -> int | None:
    """html/monospace: the documented 0 or 1, or true/false in any letter case; None otherwise."""
    text = value.strip().lower()
    parsed = _FLAG_WORDS[text] if text in _FLAG_WORDS else parse_int(text)
    return parsed if parsed in (0, 1) else None


def optional(values: Mapping[str, str], name: str) -> str | None:
    """A blank optional field counts as absent, as HTML forms send every input."""
    value = values.get(name)
    if value is None or value.strip() == "":
        return None
    return value


def check_token(values: Mapping[str, str], apps: Container[str]) -> FieldError | None:
    token = values.get("token", "").strip()
    return None if is_key(token) and token in apps else TOKEN_INVALID


def split_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _too_long(name: str, value: str | None, limit: int) -> FieldError | None:
    if value is not None and len(value) > limit:
        return FieldError(
            name, f"is too long, must be {limit} characters or fewer", f"{name} is too long"
        )
    return None


def _check_users(
    raw: str | None, users: Mapping[str, UserInfo]
) -> tuple[list[FieldError], tuple[str, ...]]:
    keys = list(dict.fromkeys(split_list(raw or "")))
    if not keys:
        return [FieldError("user", "invalid", "user identifier is invalid")], ()
    if len(keys) > MAX_USERS:
        return [
            FieldError(
                "user", "invalid", f"user identifier list is too long, at most {MAX_USERS} keys"
            )
        ], ()
    if any(not is_key(k) or k not in users for k in keys):
        return [FieldError("user", "invalid", "user identifier is invalid")], ()
    if len(keys) == 1 and not users[keys[0]].group and not users[keys[0]].devices:
        return [FieldError("user", "invalid", "user is valid but has no active devices")], ()
    return [], tuple(keys)


def _check_attachment(
    values: Mapping[str, str], uploads: Mapping[str, Upload]
) -> tuple[list[FieldError], Upload | None]:
    upload = uploads.get("attachment")
    encoded = optional(values, "attachment_base64")
    if "attachment" in values and upload is None:
        # A text field named "attachment" (form or JSON body) carries no file.
        return [
            FieldError(
                "attachment",
                "must be a multipart file part",
                "attachment must be sent as multipart/form-data",
            )
        ], None
    if upload is not None and encoded is not None:
        return [
            FieldError("attachment", "only one attachment per message", "attachment is invalid")
        ], None
    errors: list[FieldError] = []
    if encoded is not None:
        try:
            data = base64.b64decode("".join(encoded.split()), validate=True)
        except (binascii.Error, ValueError):
            return [
                FieldError(
                    "attachment_base64", "is not valid base64", "attachment_base64 is invalid"
                )
            ], None
        kind = optional(values, "attachment_type")
        if kind is None:
            errors.append(
                FieldError(
                    "attachment_type",
                    "must be supplied with attachment_base64",
                    "attachment_type must be supplied with attachment_base64",
                )
            )
        upload = Upload(filename=None, content_type=kind, data=data)
    if upload is not None and len(upload.data) > MAX_ATTACHMENT:
        errors.append(
            FieldError(
                "attachment",
                f"is too large, must be {MAX_ATTACHMENT} bytes or fewer",
                "attachment is too large",
            )
        )
    return errors, upload


def _check_emergency(values: Mapping[str, str]) -> tuple[list[FieldError], int | None, int | None]:
    errors: list[FieldError] = []
    retry_raw, expire_raw = optional(values, "retry"), optional(values, "expire")
    retry = parse_int(retry_raw) if retry_raw is not None else None
    expire = parse_int(expire_raw) if expire_raw is not None else None
    if retry_raw is None:
        errors.append(
            FieldError(
                "retry",
                "must be supplied with priority=2",
                "retry must be supplied with priority=2",
            )
        )
    elif retry is None:
        errors.append(FieldError("retry", "is not an integer", "retry is invalid"))
    elif retry < MIN_RETRY:
        errors.append(
            FieldError(
                "retry", f"is too small, must be at least {MIN_RETRY} seconds", "retry is invalid"
            )
        )
    if expire_raw is None:
        errors.append(
            FieldError(
                "expire",
                "must be supplied with priority=2",
                "expire must be supplied with priority=2",
            )
        )
    elif expire is None:
        errors.append(FieldError("expire", "is not an integer", "expire is invalid"))
    elif expire > MAX_EXPIRE:
        errors.append(
            FieldError(
                "expire", f"is too large, must be at most {MAX_EXPIRE} seconds", "expire is invalid"
            )
        )
    elif expire < 1:
        errors.append(
            FieldError("expire", "is too small, must be at least 1 second", "expire is invalid")
        )
    return errors, retry, expire


def check_message(
    values: Mapping[str, str],
    uploads: Mapping[str, Upload],
    *,
    apps: Container[str],
    users: Mapping[str, UserInfo],
    sounds: Container[str],
) -> MessageCheck:
    """Every documented check of POST /1/messages.json; all problems are reported at once."""
    errors: list[FieldError] = []
    if (token_error := check_token(values, apps)) is not None:
        errors.append(token_error)
    user_errors, keys = _check_users(values.get("user"), users)
    errors += user_errors

    message = values.get("message")
    if message is None or message.strip() == "":
        errors.append(FieldError("message", "cannot be blank", "message cannot be blank"))
    elif (err := _too_long("message", message, MAX_MESSAGE)) is not None:
        errors.append(err)
    for name, limit in (("title", MAX_TITLE), ("url", MAX_URL), ("url_title", MAX_URL_TITLE)):
        if (err := _too_long(name, values.get(name), limit)) is not None:
            errors.append(err)

    priority = 0
    if (raw := optional(values, "priority")) is not None:
        parsed = parse_int(raw)
        if parsed is None or not -2 <= parsed <= 2:
            errors.append(
                FieldError(
                    "priority", "is invalid, must be an integer from -2 to 2", "priority is invalid"
                )
            )
        else:
            priority = parsed

    if (sound := optional(values, "sound")) is not None and sound.strip() not in sounds:
        errors.append(FieldError("sound", "is invalid", "sound is not a valid sound name"))

    devices: tuple[str, ...] = ()
    if (raw := optional(values, "device")) is not None:
        names = split_list(raw)
        if any(DEVICE_RE.fullmatch(n) is None for n in names):
            errors.append(FieldError("device", "is invalid", "device name is invalid"))
        else:
            devices = tuple(names)

    flags: dict[str, int] = {}
    for name in ("html", "monospace"):
        if (raw := optional(values, name)) is not None:
            parsed = parse_flag(raw)
            if parsed is None:
                errors.append(FieldError(name, "must be 0 or 1", f"{name} is invalid"))
            else:
                flags[name] = parsed
    if flags.get("html") == 1 and flags.get("monospace") == 1:
        errors.append(
            FieldError(
                "monospace", "cannot be used with html", "html and monospace cannot both be set"
            )
        )

    if (raw := optional(values, "ttl")) is not None:
        parsed = parse_int(raw)
        if parsed is None or parsed < 1:
            errors.append(FieldError("ttl", "must be a positive integer", "ttl is invalid"))
    if (raw := optional(values, "timestamp")) is not None:
        parsed = parse_int(raw)
        if parsed is None or parsed < 0:
            errors.append(
                FieldError("timestamp", "must be a Unix timestamp", "timestamp is invalid")
            )

    attachment_errors, upload = _check_attachment(values, uploads)
    errors += attachment_errors

    retry = expire = None
    if priority == 2:
        emergency_errors, retry, expire = _check_emergency(values)
        errors += emergency_errors

    return MessageCheck(
        errors=tuple(errors),
        users=keys,
        devices=devices,
        priority=priority,
        retry=retry,
        expire=expire,
        callback=optional(values, "callback"),
        tags=frozenset(split_list(values.get("tags", ""))),
        attachment=upload,
    )


def check_validate(
    values: Mapping[str, str], *, apps: Container[str], users: Mapping[str, UserInfo]
) -> tuple[list[FieldError], UserInfo | None]:
    """POST /1/users/validate.json: token, one user or group key, optional device."""
    errors: list[FieldError] = []
    if (token_error := check_token(values, apps)) is not None:
        errors.append(token_error)
    key = values.get("user", "").strip()
    info = users.get(key) if is_key(key) else None
    if info is None:
        errors.append(FieldError("user", "invalid", "user key is invalid"))
        return errors, None
    if info.group:
        return errors, info  # a group has no devices of its own (validate answers group: 1)
    if not info.devices:
        errors.append(FieldError("user", "invalid", "user is valid but has no active devices"))
        return errors, info
    device = optional(values, "device")
    if device is not None and device.strip() not in info.devices:
        errors.append(
            FieldError("device", "invalid for this user", "device name is not valid for user")
        )
    return errors, info
