"""Where the history lives: today's SQLite files in the data folder (no URL, the default), or a
PostgreSQL server a team shares (`PUSHOVER_TUI_STORE=postgresql://…`, or `[store] url` in the
config; the environment wins).

The URL's password is a secret like the token: a `StoreURL` shows it masked in every repr, str and
sentence, and `mask_store_urls` takes passwords out of any text (an error, a log line) that might
carry a URL. Only the PostgreSQL backend unwraps it, to connect.

Imported on start-up by every face: stdlib only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import parse_qsl, urlsplit

from pushover_tui.api.errors import ConfigurationError

STORE_ENV = "PUSHOVER_TUI_STORE"
SCHEMES = ("postgresql", "postgres")  # what libpq accepts as a URL

# user:PASSWORD@ in the authority, and password=… in a query string or a key=value string.
_AUTHORITY_PASSWORD = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*://[^:@/\s?#'\"]*:)[^@\s'\"]*(@)")
_PARAMETER_PASSWORD = re.compile(r"(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^&\s'\"]+)")


def mask_store_urls(text: str) -> str:
    """`text` with the password of every URL (and every password=… parameter) in it replaced
    by ***: for errors and logs that may quote a URL."""
    text = _AUTHORITY_PASSWORD.sub(r"\1***\2", text)
    return _PARAMETER_PASSWORD.sub(r"\1***", text)


class StoreURL:
    """A libpq URL whose repr and str hide the password; `reveal()` only to connect."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def masked(self) -> str:
        return mask_store_urls(self._value)

    def password(self) -> str:
        """The password, wherever the URL holds it (blank if none): to scrub it from errors
        that quote it apart from the URL."""
        parts = urlsplit(self._value)
        query = dict(parse_qsl(parts.query))
        return parts.password or query.get("password", "")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StoreURL) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return f"StoreURL({self.masked()!r})"

    __str__ = __repr__

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a StoreURL cannot be pickled")


def parse_store_url(text: str, *, source: str = STORE_ENV) -> StoreURL | None:
    """The URL in `text` (None when blank: the SQLite files); ConfigurationError naming `source`
    when it is not a postgresql:// URL."""
    text = text.strip()
    if not text:
        return None
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    if scheme not in SCHEMES:
        given = f"a {scheme}:// URL" if scheme else "a URL"
        raise ConfigurationError(
            f"{source} must be a postgresql:// URL such as postgresql://USER:PASSWORD@HOST/DB "
            f"(or blank for this machine's SQLite files), not {given[:40]}."
        )
    try:
        urlsplit(text).port  # noqa: B018 - raises on a port that is not a number
    except ValueError as error:
        problem = (
            "a port that is not a number from 1 to 65535"
            if "port" in str(error).lower()
            else "unbalanced [brackets] around its host"  # urlsplit's "Invalid IPv6 URL"
        )
        raise ConfigurationError(
            f"{source} has {problem}: {mask_store_urls(text)[:60]!r}."
        ) from None
    return StoreURL(text)


def store_url(env: Mapping[str, str], configured: str = "") -> StoreURL | None:
    """PUSHOVER_TUI_STORE if set, else the config's `[store] url` (None: the SQLite files)."""
    if env.get(STORE_ENV, "").strip():
        return parse_store_url(env[STORE_ENV])
    return parse_store_url(configured, source="store.url")
