"""A wrapper that keeps tokens and user keys out of reprs, logs and tracebacks."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit


class Secret:
    """A string whose `repr` and `str` never show it; `reveal()` only where a request is built."""

    __slots__ = ("_value",)

    def __init__(self, value: str | Secret = "") -> None:
        self._value = value.reveal() if isinstance(value, Secret) else str(value)

    def reveal(self) -> str:
        return self._value

    def masked(self) -> str:
        """A short hint for humans: the first 4 characters, the rest as dots."""
        if not self._value:
            return "(not set)"
        if len(self._value) <= 8:
            return "•" * len(self._value)
        return self._value[:4] + "•" * (len(self._value) - 4)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            return self._value == other._value
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return f"Secret({self.masked()!r})"

    __str__ = __repr__

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret cannot be pickled")


# The Open Client's download GET carries the session secret and device id in its query string.
_SECRET_QUERY_KEYS = {"token", "user", "secret", "device_id"}
_SECRET_PATTERNS = (
    (re.compile(r"((?:token|user|secret|device_id)=)[^&\s\"']+"), r"\1***"),
    # The Open Client's delete URL names the device id; its websocket login frame holds both.
    (re.compile(r"(/devices/)[^/\s\"']+"), r"\1***"),
    # A Groups API path names the group key.
    (re.compile(r"(/groups/)[A-Za-z0-9]+(?=[/.])"), r"\1***"),
    (re.compile(r"(login:)[^\s\"']+"), r"\1***"),
)


def redact_url(url: str) -> str:
    """Mask secret values in a URL's query string (receipt and sounds GETs carry the token)."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    query = [
        (key, "***" if key in _SECRET_QUERY_KEYS else value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urlunsplit(parts._replace(query=urlencode(query, safe="*")))


def redact(text: str, *secrets: Secret | str | None) -> str:
    """Remove every given secret value from `text`, and mask secrets where the API puts them
    (token/user/secret/device_id parameters, a device id or group key in a path, a websocket
    login frame)."""
    for secret in secrets:
        value = secret.reveal() if isinstance(secret, Secret) else secret
        if value:
            text = text.replace(value, "***")
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text
