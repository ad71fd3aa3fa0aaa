"""Field checks: pure functions, no I/O except an attachment's size and first bytes.

Each problem names its field and says what to do in one plain sentence. Lengths are counted in
Unicode code points, as Pushover counts them (Python's `len` on `str`).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from pushover_tui.api.images import HEAD_SIZE, IMAGE_NAMES, describe_content, image_type
from pushover_tui.api.models import UNIX_TIME_MAX, Attachment, Message, Priority

MESSAGE_MAX = 1024
TITLE_MAX = 250
URL_MAX = 512
URL_TITLE_MAX = 100
ATTACHMENT_MAX = 5_242_880
MAX_USERS = 50
DEVICE_MAX = 25
RETRY_MIN = 30
EXPIRE_MAX = 10_800
# A retry longer than the longest expire could never repeat: that number is a mistake.
RETRY_MAX = EXPIRE_MAX
# The docs give ttl no maximum and timestamps no bound: both stay within 32-bit Unix time.
TTL_MAX = UNIX_TIME_MAX
TIMESTAMP_MAX = UNIX_TIME_MAX
MAX_REPEATS = 50  # Pushover stops an emergency after 50 repeats, whatever retry/expire say
MEMO_MAX = 200  # a group member's memo (pushover-groups.md, two libraries agree)
# A group name's limit is not documented (pushover-groups.md section 4). 250, the title's limit,
# is a generous bound: it catches a pasted paragraph, never a name Pushover would take.
GROUP_NAME_MAX = 250

_KEY = re.compile(r"[A-Za-z0-9]{30}")
_DEVICE = re.compile(r"[A-Za-z0-9_-]{1,25}")
_TAG = re.compile(r"[^,\s]+")


@dataclass(frozen=True)
class Problem:
    field: str
    text: str
    severity: Literal["error", "warning"] = "error"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def __str__(self) -> str:
        return f"{self.field}: {self.text}"


def errors(problems: list[Problem]) -> list[Problem]:
    return [problem for problem in problems if problem.is_error]


def is_key(value: str) -> bool:
    """30 letters and digits: a token, user or group key, or a receipt. Where a group may be
    given by key or by name, this is what tells them apart."""
    return _KEY.fullmatch(value) is not None


def check_key(field: str, value: str, what: str) -> list[Problem]:
    """A token, user or group key: exactly 30 letters and digits."""
    if not value:
        return [Problem(field, f"The {what} is missing: paste it from your Pushover dashboard.")]
    if is_key(value):
        return []
    if value != value.strip() or " " in value:
        hint = "remove the spaces"
    else:
        hint = f"it has {len(value)}" if len(value) != 30 else "it has other characters"
    return [Problem(field, f"The {what} must be 30 letters and digits ({hint}).")]


def check_token(token: str) -> list[Problem]:
    return check_key("token", token, "application token")


def check_users(users: str) -> list[Problem]:
    """One user or group key, or up to 50 separated by commas."""
    keys = users.split(",") if users else []
    if len(keys) > MAX_USERS:
        return [Problem("user", f"At most {MAX_USERS} user keys per message ({len(keys)} given).")]
    if len(keys) <= 1:
        return check_key("user", users, "user or group key")
    for position, key in enumerate(keys, 1):
        if problems := check_key("user", key, f"user key number {position}"):
            return problems
    return []


def check_group_key(key: str) -> list[Problem]:
    return check_key("group", key, "group key")


def check_group_name(name: str) -> list[Problem]:
    """A delivery group's name: not blank, at most GROUP_NAME_MAX characters."""
    if not _is_utf8(name):
        return [Problem("name", "The name holds bytes that are not valid UTF-8 text: re-type it.")]
    if not name.strip():
        return [Problem("name", "The group name is blank: give the group a name.")]
    return check_length("name", name, GROUP_NAME_MAX, "The group name")


def check_memo(memo: str) -> list[Problem]:
    """A member's memo (who this is): at most MEMO_MAX characters; blank is fine."""
    if not _is_utf8(memo):
        return [Problem("memo", "The memo holds bytes that are not valid UTF-8 text: re-type it.")]
    return check_length("memo", memo, MEMO_MAX, "The memo")


def check_group_device(device: str) -> list[Problem]:
    """One device of a group member (blank = all the member's devices); no comma lists here."""
    return _device_name_problems("device", [device] if device else [], " (one device)")


def check_devices(device: str) -> list[Problem]:
    names = device.split(",") if device else []
    return _device_name_problems("device", names, " (separate several with commas)")


def _device_name_problems(field: str, names: list[str], advice: str = "") -> list[Problem]:
    """The first of `names` that is not a device name Pushover allows, worded for `field`."""
    for name in names:
        if not _DEVICE.fullmatch(name):
            rule = f"must be 1 to {DEVICE_MAX} letters, digits, '_' or '-'"
            return [Problem(field, f"Device name {name[:30]!r} {rule}{advice}.")]
    return []


def check_length(field: str, value: str, limit: int, label: str) -> list[Problem]:
    if len(value) > limit:
        return [
            Problem(field, f"{label} is {len(value)} characters; shorten it to {limit} at most.")
        ]
    return []


def check_url(field: str, value: str, label: str) -> list[Problem]:
    if not value:
        return []
    try:
        parts = urlsplit(value)
        valid = parts.scheme in ("http", "https") and bool(parts.netloc)
    except ValueError:
        valid = False
    if not valid:
        return [Problem(field, f"{label} must start with http:// or https:// and name a host.")]
    return []


def check_priority(priority: int) -> list[Problem]:
    if priority not in tuple(Priority):
        return [Problem("priority", "Priority must be -2, -1, 0, 1 or 2.")]
    return []


def check_emergency(retry: int | None, expire: int | None) -> list[Problem]:
    """Priority 2 needs retry >= 30 and expire <= 10800, both present; an expire shorter than
    retry is a warning (the alert would not repeat)."""
    problems = []
    if retry is None:
        problems.append(
            Problem("retry", "Emergency messages need retry: seconds between repeats (30 or more).")
        )
    elif retry < RETRY_MIN:
        problems.append(
            Problem("retry", f"Retry must be at least {RETRY_MIN} seconds ({retry} given).")
        )
    elif retry > RETRY_MAX:
        problems.append(
            Problem(
                "retry",
                f"Retry must be {RETRY_MIN} to {RETRY_MAX} seconds, the longest expire "
                f"({_shown_number(retry)} given).",
            )
        )
    if expire is None:
        problems.append(
            Problem(
                "expire",
                f"Emergency messages need expire: seconds to keep repeating (1 to {EXPIRE_MAX}).",
            )
        )
    elif not 0 < expire <= EXPIRE_MAX:
        problems.append(
            Problem(
                "expire",
                f"Expire must be 1 to {EXPIRE_MAX} seconds, 3 hours "
                f"({_shown_number(expire)} given).",
            )
        )
    elif not problems and retry is not None and expire < retry:
        # Pushover accepts it (the alert comes once, then expires): a warning, not a refusal.
        problems.append(
            Problem(
                "expire",
                f"Expire ({expire} s) is shorter than retry ({retry} s): the alert will not "
                f"repeat. Make expire at least {retry} s, or retry shorter.",
                severity="warning",
            )
        )
    return problems


def _shown_number(value: int) -> str:
    """A number for a problem's sentence: a 400-digit one is cut, not printed whole."""
    text = str(value)
    return text if len(text) <= 12 else f"{text[:12]}… ({len(text.lstrip('-'))} digits)"


def emergency_repeats(retry: int, expire: int) -> int:
    """How many times an emergency repeats at most after its first delivery."""
    return min(MAX_REPEATS, expire // retry) if retry > 0 else 0


def check_attachment(message: Message) -> list[Problem]:
    attachment = message.attachment
    if attachment is None:
        return []
    try:
        if attachment.path is not None:
            if not attachment.path.exists():
                return [Problem("attachment", f"No file at {attachment.path}: check the path.")]
            if not attachment.path.is_file():
                text = f"{attachment.path} is not a file: choose an image file."
                return [Problem("attachment", text)]
        head = attachment.head()  # readable now, not only at send time
        size = attachment.size()
    except OSError as error:
        return [Problem("attachment", f"Cannot read the attachment: {error.strerror or error}.")]
    return check_attachment_size(size) or check_image(attachment.filename, head)


def check_attachment_size(size: int) -> list[Problem]:
    if size <= ATTACHMENT_MAX:
        return []
    text = f"The attachment is {size:,} bytes; Pushover takes at most {ATTACHMENT_MAX:,} (5 MiB)."
    return [Problem("attachment", text)]


def check_image(filename: str, head: bytes) -> list[Problem]:
    """The file's first bytes must be an image Pushover shows, whatever its name says."""
    if image_type(head[:HEAD_SIZE]) is not None:
        return []
    return [
        Problem(
            "attachment",
            f"Pushover shows only images ({IMAGE_NAMES}); {filename!r} is "
            f"{describe_content(head[:HEAD_SIZE])}.",
        )
    ]


_TEXT_FIELDS = ("message", "title", "url", "url_title", "sound", "device", "callback")
_FREE_TEXT_FIELDS = ("message", "title", "url", "url_title", "callback")  # no format of their own
_INT_FIELDS = ("timestamp", "ttl", "retry", "expire")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_types(message: Message) -> list[Problem]:
    """Fields of the wrong type (a library caller's mistake) or text that is not valid Unicode
    (undecodable bytes from a terminal or a pipe arrive as lone surrogates): one clear problem
    each, instead of an exception deeper down."""
    problems: list[Problem] = []
    for name in _TEXT_FIELDS:
        value = getattr(message, name)
        label = name.replace("_", " ").capitalize()
        if not isinstance(value, str):
            problems.append(Problem(name, f"{label} must be text, not {type(value).__name__}."))
        elif not _is_utf8(value):
            problems.append(
                Problem(name, f"{label} holds bytes that are not valid UTF-8 text: re-type it.")
            )
    if not _is_int(message.priority):
        problems.append(Problem("priority", "Priority must be -2, -1, 0, 1 or 2."))
    for name in _INT_FIELDS:
        value = getattr(message, name)
        if value is not None and not _is_int(value):
            problems.append(
                Problem(name, f"{name.capitalize()} must be a whole number of seconds.")
            )
    for name in ("html", "monospace"):
        if not isinstance(getattr(message, name), bool | int):
            problems.append(Problem(name, f"{name.capitalize()} must be on or off."))
    tags = message.tags
    if not isinstance(tags, tuple | list) or not all(isinstance(tag, str) for tag in tags):
        problems.append(Problem("tags", "Tags must be a list of words."))
    elif not all(_is_utf8(tag) for tag in tags):
        problems.append(Problem("tags", "A tag holds bytes that are not valid UTF-8 text."))
    if message.attachment is not None and not isinstance(message.attachment, Attachment):
        problems.append(Problem("attachment", "The attachment must be an image file."))
    return problems


# C0 and C1 control characters: a terminal escape, a BEL or a NUL (which ends a string in many
# programs on the way to a device). The message keeps newline and tab; other fields keep none.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_MESSAGE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def check_controls(message: Message) -> list[Problem]:
    """Never send a control character but newline and tab (in the message): the dashboard
    strips them as they are pasted; a script that sends one is told which field and which."""
    problems = []
    for name in _FREE_TEXT_FIELDS:
        pattern = _CONTROL_IN_MESSAGE if name == "message" else _CONTROL
        if found := pattern.search(getattr(message, name)):
            label = name.replace("_", " ").capitalize()
            problems.append(Problem(name, f"{label} {_holds_control(found.group())}"))
    for tag in message.tags:
        if found := _CONTROL.search(tag):
            problems.append(Problem("tags", f"A tag {_holds_control(found.group())}"))
            break
    return problems


def _holds_control(character: str) -> str:
    name = "a NUL character" if character == "\x00" else "a control character"
    return f"holds {name} (\\x{ord(character):02x}): remove it."


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_message(message: Message) -> list[Problem]:
    """Every documented rule for one message. Errors block sending; warnings only inform."""
    if problems := check_types(message):
        return problems  # the rules below assume the right types
    problems = check_controls(message)
    if not message.message.strip():
        problems.append(Problem("message", "The message is empty: write something to send."))
    problems += check_length("message", message.message, MESSAGE_MAX, "The message")
    problems += check_length("title", message.title, TITLE_MAX, "The title")
    problems += check_length("url", message.url, URL_MAX, "The URL")
    problems += check_url("url", message.url, "The URL")
    problems += check_length("url_title", message.url_title, URL_TITLE_MAX, "The URL title")
    if message.url_title and not message.url:
        problems.append(Problem("url_title", "A URL title needs a URL to go with it.", "warning"))
    problems += check_priority(message.priority)
    problems += check_devices(message.device)
    if message.sound and not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", message.sound):
        problems.append(Problem("sound", "A sound name is letters, digits, '_' or '-' only."))
    if message.html and message.monospace:
        problems.append(Problem("monospace", "Choose HTML or monospace, not both."))
    if message.ttl is not None:
        if not 0 < message.ttl <= TTL_MAX:
            problems.append(
                Problem(
                    "ttl",
                    f"TTL must be 1 to {TTL_MAX:,} seconds ({_shown_number(message.ttl)} given).",
                )
            )
        elif message.is_emergency:
            problems.append(
                Problem(
                    "ttl", "TTL is ignored for emergency messages; it will not be sent.", "warning"
                )
            )
    if message.timestamp is not None and not 0 <= message.timestamp <= TIMESTAMP_MAX:
        problems.append(
            Problem(
                "timestamp",
                f"The timestamp must be a Unix time from 0 to {TIMESTAMP_MAX} (2038-01-19), "
                f"in seconds since 1970 ({_shown_number(message.timestamp)} given).",
            )
        )
    if message.is_emergency:
        problems += check_emergency(message.retry, message.expire)
        problems += check_url("callback", message.callback, "The callback URL")
        for tag in message.tags:
            if not _TAG.fullmatch(tag):
                problems.append(
                    Problem("tags", f"Tag {tag[:30]!r} may not contain commas or spaces.")
                )
    elif message.callback or message.tags:
        problems.append(
            Problem(
                "priority", "Callback and tags are only sent with Emergency priority.", "warning"
            )
        )
    problems += check_attachment(message)
    return problems


def check_api_url(url: str) -> list[Problem]:
    """An API base URL: https://, or plain http:// only to a loopback host (the simulator); no
    query string or fragment. Blank means the real API."""
    if not url:
        return []
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return [Problem("api_url", "The API URL is not a valid URL: check its host.")]
    if parts.query or parts.fragment:
        return [Problem("api_url", "The API URL must not have a query string or fragment.")]
    if parts.scheme == "https" and host:
        return []
    if parts.scheme == "http" and is_loopback(host):
        return []
    if parts.scheme == "http":
        return [
            Problem(
                "api_url",
                f"Refusing plain http:// to {host or 'an empty host'}: use https:// "
                "(plain http is allowed only for loopback addresses such as 127.0.0.1).",
            )
        ]
    return [Problem("api_url", "The API URL must start with https://.")]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_device_name(name: str) -> list[Problem]:
    """A name for a new receiving device (the inbox): one name, as Pushover allows them."""
    return _device_name_problems("device_name", [name])
