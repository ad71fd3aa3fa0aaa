"""Every setting, declared once: its key, type, default, range, whether it is secret, where it may
come from (file, environment, command-line option) and its help.

The table drives reading the file (typed, errors naming the file and line), checking, writing,
`config set` (a secret is read from standard input with `-`), `config show` (secrets masked),
`resolve()` (file < environment < option), the Config screen's form and the bridge's settings.

Adding a setting is one row in SETTINGS, plus the typed attribute that holds its value: on
`Profile` for a per-profile row, on `Config` for a file-wide row (`attr` names it when the key
has a table part, e.g. "store.url" -> `store_url`). A row whose table holds other things kept
raw (the `[bridge]` table) has no attribute: its face reads it with `TableReader`.

Imported on start-up by every face: no Textual, no httpx, no tomlkit here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from pushover_tui.api.checks import (
    Problem,
    check_api_url,
    check_devices,
    check_group_name,
    check_key,
    check_priority,
    check_token,
    check_users,
    is_key,
)
from pushover_tui.api.errors import ConfigurationError, FieldProblemsError
from pushover_tui.api.secret import Secret
from pushover_tui.store.url import STORE_ENV, mask_store_urls, parse_store_url


class Kind(StrEnum):
    TEXT = "text"
    SECRET = "secret"  # text held in a Secret: masked wherever it is shown
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"


class Scope(StrEnum):
    FILE = "file"  # one per file: top level, or the table the key names ("store.url")
    PROFILE = "profile"  # one per profile, in [profiles.NAME]


# What a TOML value must be, as the error sentence says it.
_EXPECTED = {
    Kind.TEXT: "a string in quotes",
    Kind.SECRET: "a string in quotes",
    Kind.INT: "a whole number",
    Kind.FLOAT: "a number",
    Kind.BOOL: "true or false",
}


@dataclass(frozen=True)
class Setting:
    key: str  # as `config set` and `config show` name it: "priority", "bridge.client_secret"
    kind: Kind
    default: Any
    help: str
    scope: Scope = Scope.FILE
    env: str = ""  # the environment variable that overrides the file ("" = none)
    option: str = ""  # the command-line option that overrides both ("" = none)
    in_file: bool = True  # False: only the environment (or an option) sets it
    settable: bool = True  # `config set KEY` may change it
    listed: bool = False  # a file-wide row `config show` lists (every profile row is listed)
    low: float | None = None  # the range of a number, both ends included...
    high: float | None = None
    low_open: bool = False  # ...unless this says the low end is excluded
    check: Callable[[Any], list[Problem]] | None = None  # problems beyond type and range
    shown: Callable[[Any], str] | None = None  # how people see it (default: secrets masked)
    attr: str = ""  # the Config / Profile attribute holding it ("" = the key's last part)
    written_blank: bool = False  # a new table spells it out even when it has its default
    tidy: Callable[[str], str] = str  # what a typed-in text becomes (e.g. no trailing "/")

    @property
    def path(self) -> tuple[str, ...]:
        """Where the value sits in the file, below the profile's table for a profile row."""
        return tuple(self.key.split("."))

    @property
    def name(self) -> str:
        return self.path[-1]

    @property
    def attribute(self) -> str:
        return self.attr or self.name

    @property
    def secret(self) -> bool:
        return self.kind is Kind.SECRET

    @property
    def sources(self) -> tuple[str, ...]:
        """Where a value may come from, weakest first (for help and documentation)."""
        found = ["file"] if self.in_file else []
        if self.env:
            found.append(f"environment {self.env}")
        if self.option:
            found.append(f"option {self.option}")
        return tuple(found)

    # -- values -------------------------------------------------------------------------------

    def from_toml(self, value: Any) -> Any:
        """The value as the attribute holds it; TypeError(expected) when TOML gave another type."""
        if self.kind in (Kind.TEXT, Kind.SECRET):
            if not isinstance(value, str):
                raise TypeError(_EXPECTED[self.kind])
            return Secret(value) if self.secret else value
        if self.kind is Kind.BOOL:
            if not isinstance(value, bool):
                raise TypeError(_EXPECTED[self.kind])
            return value
        # bool is an int subclass in Python, but `priority = true` is a mistake.
        allowed = int if self.kind is Kind.INT else (int, float)
        if not isinstance(value, allowed) or isinstance(value, bool):
            raise TypeError(_EXPECTED[self.kind])
        return value

    def to_toml(self, value: Any) -> Any:
        """What the file holds: the one place a secret is revealed outside a request."""
        if isinstance(value, Secret):
            return value.reveal()
        if self.kind is Kind.INT and value is not None:
            return int(value)
        return value

    def from_text(self, text: str) -> Any:
        """A value typed by a person (`config set`), tidied; FieldProblemsError with one sentence
        naming the key when it is not one of this row's type."""
        text = text.strip()
        label = self.key
        if self.kind in (Kind.TEXT, Kind.SECRET):
            return Secret(text) if self.secret else self.tidy(text)
        if self.kind is Kind.BOOL:
            if text.lower() not in ("true", "false"):
                raise self._problem(f"{label} must be true or false ({text[:30]!r} given).")
            return text.lower() == "true"
        try:
            return int(text) if self.kind is Kind.INT else float(text)
        except ValueError:
            raise self._problem(f"{label} must be {self._unit} ({text[:30]!r} given).") from None

    def from_environment(self, text: str) -> Any:
        """The value an environment variable gives (blank: None, i.e. unset); a number out of
        range or not a number is a ConfigurationError naming the variable."""
        text = text.strip()
        if not text:
            return None
        if self.kind in (Kind.TEXT, Kind.SECRET):
            return Secret(text) if self.secret else text
        try:
            value = self.from_text(text)
        except FieldProblemsError:
            value = None
        if value is None or not self._in_range(value):
            raise ConfigurationError(f"{self.env} must be {self._range(text)}.")
        return value

    def problems(self, value: Any) -> list[Problem]:
        """The value's problems: out of range, or what the row's own check says."""
        if value is None or isinstance(value, bool):
            return []
        if isinstance(value, int | float) and not self._in_range(value):
            return [Problem(self.name, f"{self.key} must be {self._range(str(value))}.")]
        if self.check is None:
            return []
        return self.check(value.reveal() if isinstance(value, Secret) else value)

    def show(self, value: Any) -> Any:
        """The value as `config show` prints it: a secret masked, never revealed."""
        if self.shown is not None:
            return self.shown(value)
        if isinstance(value, Secret):
            return value.masked()
        return value

    def _in_range(self, value: float) -> bool:
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return self.high is None or value <= self.high

    def _range(self, given: str) -> str:
        low = "0" if self.low is None else f"{self.low:g}"
        return f"{self._unit} from {low} to {self.high:g}, not {given!r}"

    @property
    def _unit(self) -> str:
        return "seconds" if self.kind is Kind.FLOAT else "a whole number"

    def _problem(self, text: str) -> FieldProblemsError:
        return FieldProblemsError([Problem(self.name, text)])


# -- the rows' own checks ----------------------------------------------------------------------

_SOUND = re.compile(r"[A-Za-z0-9_-]{1,64}")


def check_sound(sound: str) -> list[Problem]:
    if sound and not _SOUND.fullmatch(sound):
        return [Problem("sound", "A sound name is letters, digits, '_' or '-' only.")]
    return []


def check_recipient(to: str) -> list[Problem]:
    """A profile's `to`: 30 letters and digits are a key; anything else is a group's name."""
    if not to or is_key(to):
        return []
    return [replace(problem, field="to") for problem in check_group_name(to)]


def shown_recipient(to: Secret) -> str:
    """A profile's `to` for people: a key masked, a group's name as it is."""
    return to.masked() if is_key(to.reveal()) else to.reveal()


def check_store_url(url: str) -> list[Problem]:
    try:
        parse_store_url(url, source="store.url")
    except ConfigurationError as error:
        return [Problem("url", str(error))]
    return []


def shown_store_url(url: Secret) -> str:
    """The URL with its password masked ("" when not set)."""
    return mask_store_urls(url.reveal())


def _not_blank(key: str) -> Callable[[str], list[Problem]]:
    def check(value: str) -> list[Problem]:
        return [] if value.strip() else [Problem(key, f"{key} cannot be blank.")]

    return check


def _when_set(check: Callable[[str], list[Problem]]) -> Callable[[str], list[Problem]]:
    """Keys are checked only when set: a blank one means "not configured"."""
    return lambda value: check(value) if value else []


# -- the table ---------------------------------------------------------------------------------

SETTINGS: tuple[Setting, ...] = (
    # File-wide
    Setting(
        "default_profile",
        Kind.TEXT,
        "default",
        "The profile used when none is named.",
        check=_not_blank("default_profile"),
        written_blank=True,
    ),
    Setting(
        "theme",
        Kind.TEXT,
        "textual-dark",
        "The dashboard's Textual theme.",
        check=_not_blank("theme"),
        written_blank=True,
    ),
    Setting(
        "api_url",
        Kind.TEXT,
        "",
        "The Pushover API's base URL (blank: the real API).",
        env="PUSHOVER_API_URL",
        option="--api-url",
        listed=True,
        check=check_api_url,
        tidy=lambda url: url.rstrip("/"),
    ),
    Setting(
        "bell",
        Kind.BOOL,
        False,
        "Ring the terminal bell on news: a new inbox message, a receipt change.",
    ),
    Setting(
        "timeout",
        Kind.FLOAT,
        None,
        "Seconds to wait for Pushover's answer (blank: 10 s).",
        env="PUSHOVER_TUI_TIMEOUT",
        in_file=False,
        settable=False,
        low=0,
        high=600,
        low_open=True,
    ),
    # Per profile: [profiles.NAME]
    Setting(
        "token",
        Kind.SECRET,
        Secret(),
        "The API token of your Pushover application.",
        scope=Scope.PROFILE,
        env="PUSHOVER_TOKEN",
        check=_when_set(check_token),
        written_blank=True,
    ),
    Setting(
        "user",
        Kind.SECRET,
        Secret(),
        "Your user key (dashboard) or a group key.",
        scope=Scope.PROFILE,
        env="PUSHOVER_USER",
        check=_when_set(check_users),
        written_blank=True,
    ),
    Setting(
        "priority",
        Kind.INT,
        0,
        "-2 lowest, -1 low, 0 normal, 1 high, 2 emergency.",
        scope=Scope.PROFILE,
        check=check_priority,
        written_blank=True,
    ),
    # retry and expire are checked together (check_profile): each bounds the other.
    Setting(
        "retry",
        Kind.INT,
        60,
        "Seconds between an emergency's repeats (30 or more).",
        scope=Scope.PROFILE,
        written_blank=True,
    ),
    Setting(
        "expire",
        Kind.INT,
        3600,
        "Seconds an emergency keeps repeating (at most 10800).",
        scope=Scope.PROFILE,
        written_blank=True,
    ),
    Setting(
        "sound",
        Kind.TEXT,
        "",
        "The sound (blank: the user's default sound).",
        scope=Scope.PROFILE,
        check=check_sound,
        written_blank=True,
    ),
    Setting(
        "device",
        Kind.TEXT,
        "",
        "Device names, comma-separated (blank: all devices).",
        scope=Scope.PROFILE,
        check=check_devices,
        written_blank=True,
    ),
    Setting(
        "to",
        Kind.SECRET,
        Secret(),
        "The default recipient instead of user: a group (or user) key, or a group's name.",
        scope=Scope.PROFILE,
        check=check_recipient,
        shown=shown_recipient,
    ),
    Setting(
        "team_token",
        Kind.SECRET,
        Secret(),
        "A Team API token (pushover.net, your team's settings), for `team`; not an app token.",
        scope=Scope.PROFILE,
        env="PUSHOVER_TEAM_TOKEN",
        check=_when_set(lambda token: check_key("team_token", token, "Team API token")),
    ),
    # [store] url: a team's shared PostgreSQL; its password is a secret like the token.
    Setting(
        "store.url",
        Kind.SECRET,
        Secret(),
        "A PostgreSQL URL every host of a team shares, postgresql://USER:PASSWORD@HOST/DB "
        "(blank: this machine's SQLite files).",
        env=STORE_ENV,
        listed=True,
        check=check_store_url,
        shown=shown_store_url,
        attr="store_url",
    ),
    # The Sentry bridge's secrets, in the raw [bridge] table (bridge/settings.py reads the rest)
    Setting(
        "bridge.client_secret",
        Kind.SECRET,
        Secret(),
        "The Sentry Internal Integration's client secret.",
        env="SENTRY_CLIENT_SECRET",
    ),
    Setting(
        "bridge.shared_secret",
        Kind.SECRET,
        Secret(),
        "The legacy WebHooks plugin's ?secret=... value.",
        env="PUSHOVER_BRIDGE_SECRET",
    ),
)

_BY_KEY = {setting.key: setting for setting in SETTINGS}
PROFILE_SETTINGS = tuple(s for s in SETTINGS if s.scope is Scope.PROFILE)
# File-wide rows held by a Config attribute (not those of a table kept raw, such as [bridge]).
RAW_TABLES = ("bridge",)
FILE_SETTINGS = tuple(
    s for s in SETTINGS if s.scope is Scope.FILE and s.in_file and s.path[0] not in RAW_TABLES
)
SETTABLE_KEYS = tuple(s.key for s in SETTINGS if s.settable)


def setting(key: str) -> Setting:
    """The row of `key`; FieldProblemsError naming the keys there are when there is none."""
    try:
        return _BY_KEY[key]
    except KeyError:
        raise FieldProblemsError(
            [Problem(key, f"Unknown setting {key!r}: use one of {', '.join(SETTABLE_KEYS)}.")]
        ) from None


def section(name: str) -> tuple[Setting, ...]:
    """The rows of one raw table, e.g. section("bridge")."""
    return tuple(s for s in SETTINGS if s.path[0] == name and len(s.path) > 1)


# -- reading typed values out of a parsed TOML file ------------------------------------------


class TableReader:
    """Typed values out of a parsed TOML table. A wrong type raises the error `error_for` makes
    from a sentence and the line in the file's text where the key is (None when not found)."""

    def __init__(
        self,
        text: str,
        error_for: Callable[[str, int | None], Exception],
        prefix: tuple[str, ...] = (),
    ) -> None:
        self.text = text
        self.error_for = error_for
        self.prefix = prefix  # where the table read sits in the file, e.g. ("bridge",)

    def fail(self, key: tuple[str, ...], expected: str) -> Exception:
        full = (*self.prefix, *key)
        dotted = ".".join(toml_key(part) for part in full)
        return self.error_for(f"{dotted} must be {expected}", find_line(self.text, full))

    def value(self, table: Mapping[str, Any], key: tuple[str, ...], row: Setting) -> Any:
        """The row's value in `table` (its default when missing), typed as the row says."""
        if key[-1] not in table:
            return row.default
        try:
            return row.from_toml(table[key[-1]])
        except TypeError as error:
            raise self.fail(key, str(error)) from None

    def table(self, parent: Mapping[str, Any], key: tuple[str, ...]) -> dict[str, Any]:
        value = parent.get(key[-1], {})
        if not isinstance(value, dict):
            raise self.fail(key, "a table")
        return value

    def typed(
        self, table: Mapping[str, Any], key: tuple[str, ...], kind: Kind, default: Any
    ) -> Any:
        """A value with no row of its own (a map's entry, the inbox session's fields)."""
        return self.value(table, key, Setting(key[-1], kind, default, ""))


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def toml_key(part: str) -> str:
    # JSON string escapes are valid TOML basic-string escapes.
    return part if _BARE_KEY.fullmatch(part) else json.dumps(part, ensure_ascii=False)


def find_line(text: str, key: tuple[str, ...]) -> int | None:
    """Best effort: the line where `key` is set (or its table starts), for the error message."""
    lines = text.splitlines()
    *tables, leaf = key

    def header(parts: tuple[str, ...] | list[str]) -> re.Pattern[str]:
        return re.compile(r"^\s*\[\s*" + _dotted_pattern(parts) + r"\s*\]")

    def first(pattern: re.Pattern[str], start: int = 0, stop: int | None = None) -> int | None:
        for number in range(start, len(lines) if stop is None else stop):
            if pattern.match(lines[number]):
                return number
        return None

    any_header = re.compile(r"^\s*\[")
    assignment = re.compile(r"^\s*" + _key_pattern(leaf) + r"\s*[=.]")
    if tables:
        table_line = first(header(tables))
        if table_line is not None:
            next_header = first(any_header, table_line + 1)
            found = first(assignment, table_line + 1, next_header)
            return (found if found is not None else table_line) + 1
        own_table = first(header(key))
        if own_table is not None:
            return own_table + 1
        dotted = first(re.compile(r"^\s*" + _dotted_pattern(key) + r"\s*="))
        return None if dotted is None else dotted + 1
    found = first(assignment, 0, first(any_header))
    return None if found is None else found + 1


def _dotted_pattern(parts: tuple[str, ...] | list[str]) -> str:
    return r"\s*\.\s*".join(_key_pattern(part) for part in parts)


def _key_pattern(part: str) -> str:
    quoted = re.escape(part)
    return f"(?:{quoted}|\"{quoted}\"|'{quoted}')"


def read_text_of(path: Path) -> str:
    """The file's text for locating a line in an error (best effort: "" when unreadable)."""
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
