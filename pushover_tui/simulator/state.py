"""Seeded simulator state: `pushover-tui simulator --state FILE` and `Simulator(state=...)`.

The state is one table (a JSON object, or a TOML file when the name ends in `.toml`) of
sections. Each section has one small loader in `SECTIONS`, applied in that order (quota before
apps, so an app's `remaining` counts against the seeded limit) on top of the demo keys. An
unknown section or field, or a bad value, raises `StateError` naming the section and field
(`users[1].devices[0]: ...`); key values are never echoed in it.

```toml
[quota]
limit = 10000                 # messages a month

[[apps]]
token = "azGDORePK8gMaC0QOYAMyEEuzJnyUi"
account = "acme"              # optional: apps of one account share one monthly pool
remaining = 25                # optional: what is left of the account's pool this month

[[users]]
key = "uQiRzpo4DXghDmr9QzzfQu27cmVRsG"
devices = ["iphone", "pixel"] # [] = a user with no active devices
licenses = ["iOS", "Android"] # optional: guessed from the device names otherwise

[sounds]
ding = "Ding (custom)"        # added to the built-in sounds

[[groups]]                    # delivery groups
key = "gznej3rKEVAvPUxu9vvNnqpmZpokzF"
name = "ops"
owner = "azGDORePK8gMaC0QOYAMyEEuzJnyUi"   # optional: an app token of the owning account
members = [                   # device absent = all devices; memo at most 200 characters
  { user = "uQiRzpo4DXghDmr9QzzfQu27cmVRsG", device = "iphone", memo = "Alice", disabled = false },
]

[[accounts]]                  # Open Client logins (the inbox)
email = "alice@example.com"
password = "correct horse battery staple"
user = "uQiRzpo4DXghDmr9QzzfQu27cmVRsG"    # the user key this login is (listed under users)
twofa = "123456"              # optional: the code a login must carry (HTTP 412 without it)

[team]                        # the Teams API
token = "tDemoTeam7Kq2HcC9sW3xTy6Ekd5PA"   # its Team API token
name = "Acme"
account = "acme"              # optional: that account's pool is a team's (25,000 a month)

[[team.members]]              # user: the member's key, listed under users (or a demo)
email = "alice@example.com"
name = "Alice"
user = "uQiRzpo4DXghDmr9QzzfQu27cmVRsG"
admin = true                  # optional: a team administrator

[licenses]
credits = 10                  # license credits left

[[subscriptions]]
code = "MySubscriptionCode"
token = "azGDORePK8gMaC0QOYAMyEEuzJnyUi"   # optional: the app it belongs to (the first app)
```
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from pushover_tui.simulator.engine import Engine
from pushover_tui.simulator.groups import MAX_MEMO, Member
from pushover_tui.simulator.quota import TEAM_LIMIT
from pushover_tui.simulator.teams import EMAIL_RE, TEAM_DELIVERY_GROUP, TeamMember
from pushover_tui.simulator.validation import DEVICE_RE, is_key

# A path to a JSON or TOML file, or the parsed table itself.
StateSource = str | os.PathLike[str] | Mapping[str, object]

LICENSES = ("Android", "iOS", "Desktop")
MAX_STATE_BYTES = 64 * 1024 * 1024


class StateError(ValueError):
    """A state file that cannot be used; the text names the section and field."""


# ---- typed reads: each names where the value sits ------------------------------------------


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    names = {dict: "a table", list: "a list", str: "a string", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _table(where: str, value: object, fields: Sequence[str] | None = None) -> dict[str, object]:
    """A table; with `fields`, one with no other field than those."""
    if not isinstance(value, dict):
        raise StateError(f"{where}: must be a table, not {_kind(value)}")
    if fields is not None:
        for name in value:
            if name not in fields:
                raise StateError(f"{where}: unknown field {name!r}; known: {', '.join(fields)}")
    return value


def _list(where: str, value: object) -> list[object]:
    if not isinstance(value, list):
        raise StateError(f"{where}: must be a list, not {_kind(value)}")
    return value


def _required(where: str, table: Mapping[str, object], name: str) -> object:
    if name not in table:
        raise StateError(f"{where}: {name} is missing")
    return table[name]


def _key(where: str, value: object) -> str:
    if not isinstance(value, str) or not is_key(value):
        # Never echo the value: it may be a real key.
        raise StateError(f"{where}: must be 30 characters of A-Z, a-z, 0-9")
    return value


def _text(where: str, value: object) -> str:
    if not isinstance(value, str):
        raise StateError(f"{where}: must be a string, not {_kind(value)}")
    return value


def _whole(where: str, value: object, low: int, high: int | None = None) -> int:
    # bool is an int in Python; `limit = true` is a mistake, not 1.
    if not isinstance(value, int) or isinstance(value, bool):
        raise StateError(f"{where}: must be a whole number, not {_kind(value)}")
    if value < low or (high is not None and value > high):
        top = "" if high is None else f" and at most {high}"
        raise StateError(f"{where}: must be at least {low}{top}, not {value}")
    return value


def _entries(section: str, value: object, fields: Sequence[str]) -> list[tuple[str, dict]]:
    """A list of tables with known fields, each with its place (`users[2]`)."""
    return [
        (f"{section}[{i}]", _table(f"{section}[{i}]", entry, fields))
        for i, entry in enumerate(_list(section, value))
    ]


# ---- one loader per section -----------------------------------------------------------------


def _quota(engine: Engine, value: object) -> None:
    table = _table("quota", value, ("limit",))
    if "limit" in table:
        engine.limit = _whole("quota.limit", table["limit"], 0)


def _apps(engine: Engine, value: object) -> None:
    for where, table in _entries("apps", value, ("token", "account", "remaining")):
        token = _key(f"{where}.token", _required(where, table, "token"))
        account = _text(f"{where}.account", table["account"]) if "account" in table else None
        engine.add_app(token, account)
        if "remaining" in table:
            remaining = _whole(f"{where}.remaining", table["remaining"], 0, engine.limit)
            engine.set_remaining(token, remaining)


def _users(engine: Engine, value: object) -> None:
    for where, table in _entries("users", value, ("key", "devices", "licenses")):
        key = _key(f"{where}.key", _required(where, table, "key"))
        devices = _list(f"{where}.devices", _required(where, table, "devices"))
        for i, device in enumerate(devices):
            if not isinstance(device, str) or DEVICE_RE.fullmatch(device) is None:
                raise StateError(
                    f"{where}.devices[{i}]: {device!r} is not a device name "
                    "(1 to 25 characters of A-Z, a-z, 0-9, _ and -)"
                )
        licenses: list[str] | None = None  # None: guessed from the device names
        if "licenses" in table:
            licenses = []
            for i, platform in enumerate(_list(f"{where}.licenses", table["licenses"])):
                if platform not in LICENSES:
                    raise StateError(
                        f"{where}.licenses[{i}]: {platform!r} is not one of {', '.join(LICENSES)}"
                    )
                licenses.append(str(platform))
        engine.add_user(key, [str(device) for device in devices], False, licenses)


def _sounds(engine: Engine, value: object) -> None:
    for name, description in _table("sounds", value).items():
        if not name.strip():
            raise StateError("sounds: a sound needs a name")
        engine.sounds[name] = _text(f"sounds.{name}", description)


def _groups(engine: Engine, value: object) -> None:
    for where, table in _entries("groups", value, ("key", "name", "owner", "members")):
        key = _key(f"{where}.key", table["key"]) if "key" in table else None
        name = _text(f"{where}.name", _required(where, table, "name"))
        # The owning account's app token; by default the first app, the demo token.
        owner = (
            _key(f"{where}.owner", table["owner"]) if "owner" in table else next(iter(engine.apps))
        )
        members = []
        for place, member in _entries(
            f"{where}.members", table.get("members", []), ("user", "device", "memo", "disabled")
        ):
            user = _key(f"{place}.user", _required(place, member, "user"))
            if user not in engine.users or engine.users[user].group:
                raise StateError(f"{place}.user: not a user key listed under users (or a demo)")
            device = member.get("device")
            if device is not None and (
                not isinstance(device, str) or DEVICE_RE.fullmatch(device) is None
            ):
                raise StateError(f"{place}.device: {device!r} is not a device name")
            memo = _text(f"{place}.memo", member.get("memo", ""))
            if len(memo) > MAX_MEMO:
                raise StateError(f"{place}.memo: at most {MAX_MEMO} characters")
            disabled = member.get("disabled", False)
            if not isinstance(disabled, bool):
                raise StateError(f"{place}.disabled: must be true or false, not {_kind(disabled)}")
            members.append(Member(user, device, memo, disabled))
        engine.add_app(owner)
        engine.groups.add(name, owner, members, key=key)


def _accounts(engine: Engine, value: object) -> None:
    for where, table in _entries("accounts", value, ("email", "password", "user", "twofa")):
        email = _text(f"{where}.email", _required(where, table, "email"))
        password = _text(f"{where}.password", _required(where, table, "password"))
        user = _key(f"{where}.user", _required(where, table, "user"))
        twofa = _text(f"{where}.twofa", table["twofa"]) if "twofa" in table else None
        if "@" not in email:
            raise StateError(f"{where}.email: {email!r} is not an email address")
        if user in engine.groups.groups:
            raise StateError(f"{where}.user: is a group's key; an account logs in as a user")
        engine.open_clients.add_account(email, password, user, twofa)


def _team(engine: Engine, value: object) -> None:
    table = _table("team", value, ("token", "name", "account", "members"))
    token = _key("team.token", _required("team", table, "token"))
    name = _text("team.name", table.get("name", "Team"))
    members = []
    for place, member in _entries(
        "team.members", table.get("members", []), ("email", "name", "user", "admin", "group")
    ):
        email = _text(f"{place}.email", _required(place, member, "email"))
        if EMAIL_RE.fullmatch(email) is None:
            raise StateError(f"{place}.email: {email!r} is not an email address")
        user = _key(f"{place}.user", _required(place, member, "user"))
        if user not in engine.users or engine.users[user].group:
            raise StateError(f"{place}.user: not a user key listed under users (or a demo)")
        admin = member.get("admin", False)
        if not isinstance(admin, bool):
            raise StateError(f"{place}.admin: must be true or false, not {_kind(admin)}")
        group = _text(f"{place}.group", member.get("group", TEAM_DELIVERY_GROUP))
        label = _text(f"{place}.name", member.get("name", email.partition("@")[0]))
        members.append(TeamMember(email, label, user, admin, group))
    engine.teams.add(token, name, members)
    if "account" in table:  # a Teams organization's pool
        engine.quota.set_account_limit(_text("team.account", table["account"]), TEAM_LIMIT)


def _licenses(engine: Engine, value: object) -> None:
    table = _table("licenses", value, ("credits",))
    if "credits" in table:
        engine.extras.credits = _whole("licenses.credits", table["credits"], 0)


def _subscriptions(engine: Engine, value: object) -> None:
    for where, table in _entries("subscriptions", value, ("code", "token")):
        code = _text(f"{where}.code", _required(where, table, "code"))
        if not code.strip():
            raise StateError(f"{where}.code: cannot be blank")
        token = _key(f"{where}.token", table["token"]) if "token" in table else None
        if token is not None and token not in engine.apps:
            raise StateError(f"{where}.token: not an app token listed under apps (or the demo)")
        engine.extras.add_subscription(code, token or next(iter(engine.apps)))


SECTIONS: dict[str, Callable[[Engine, object], None]] = {
    "quota": _quota,
    "apps": _apps,
    "users": _users,
    "sounds": _sounds,
    "groups": _groups,  # after users: members must be known
    "accounts": _accounts,
    "team": _team,  # after users: members must be known
    "licenses": _licenses,
    "subscriptions": _subscriptions,  # after apps
}


# ---- reading and applying -------------------------------------------------------------------


def read_state_file(path: Path) -> dict[str, object]:
    """The table in a JSON file, or a TOML one when the name ends in .toml."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_STATE_BYTES + 1)  # /dev/zero must not fill the memory
    except OSError as error:
        raise StateError(f"cannot be read ({error.strerror or error})") from None
    if len(data) > MAX_STATE_BYTES:
        raise StateError(
            f"is larger than {MAX_STATE_BYTES >> 20} MiB, the most a state file may be"
        )
    try:
        if path.suffix.lower() == ".toml":
            return tomllib.loads(data.decode("utf-8"))
        parsed = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise StateError("is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise StateError(f"is not valid TOML: {error}") from None
    except json.JSONDecodeError as error:
        raise StateError(
            f"is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    except RecursionError:
        raise StateError("nests too deeply to be a state file") from None
    return _table("the file", parsed)


def _apply(engine: Engine, state: Mapping[str, object]) -> None:
    for name in state:
        if name not in SECTIONS:
            raise StateError(f"unknown section {name!r}; known: {', '.join(SECTIONS)}")
    with engine.lock:
        for name, load in SECTIONS.items():
            if name in state:
                load(engine, state[name])


def apply_state(engine: Engine, state: StateSource) -> None:
    """Seed the engine from a file or a parsed table; StateError says what is wrong and where."""
    if isinstance(state, Mapping):
        _apply(engine, state)
        return
    path = Path(state)
    try:
        _apply(engine, read_state_file(path))
    except StateError as error:
        raise StateError(f"state file {path}: {error}") from None
