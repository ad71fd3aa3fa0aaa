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


_SECRET_QUERY_KEYS = {"token", "user"}


def redact_url(url: str) -> str:
    """Mask token/user values in a URL's query string (receipt and sounds GETs carry the token)."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    query = [
        (key, "***" if key in _SECRET_QUERY_KEYS else value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urlunsplit(parts._replace(query=urlencode(query, safe="*")))


def redact(text: str, *secrets: Secret | str | None) -> str:
    """Remove every given secret value from `text`, and mask token/user query parameters and
    the group key in a Groups API path (`/groups/<key>`)."""
    for secret in secrets:
        value = secret.reveal() if isinstance(secret, Secret) else secret
        if value:
            text = text.replace(value, "***")
    text = re.sub(r"(/groups/)[A-Za-z0-9]+(?=[/.])", r"\1***", text)
    return re.sub(r"((?:token|user)=)[^&\s\"']+", r"\1***", text)
