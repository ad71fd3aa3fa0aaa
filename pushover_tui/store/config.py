"""Configuration: a TOML file of profiles, overridden by the environment and the command line.

`Config` is exactly what the file says; `resolve()` layers the environment and command-line options
on top into an `ActiveProfile`. Keeping the two apart is what guarantees that an environment value
is never written back to the file.

Saving edits the file's own document in place (tomlkit): only the values that changed are
rewritten, so the user's comments, key order, unknown keys and tables survive every save.
"Changed" means changed since this process loaded the file (`Config.as_loaded`): a save writes
that difference onto the file as it is now, under a lock, so what another process saved meanwhile
(an `inbox login`, a `config set` in another terminal) survives.

Imported on start-up by every face: no Textual, no httpx here.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
import time
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from pushover_tui.api.checks import Problem, check_emergency
from pushover_tui.api.errors import FieldProblemsError, PushoverError
from pushover_tui.api.secret import Secret
from pushover_tui.store.files import (
    FILE_MODE,
    FOLDER_MODE,
    make_private_dirs,
    tighten,
    wait_for_lock,
)
from pushover_tui.store.schema import (
    FILE_SETTINGS,
    PROFILE_SETTINGS,
    SETTABLE_KEYS,
    SETTINGS,
    Kind,
    Scope,
    Setting,
    TableReader,
    find_line,
    setting,
)

if TYPE_CHECKING:  # tomlkit is imported when saving only: reading needs tomllib alone
    from tomlkit import TOMLDocument
    from tomlkit.container import Container
    from tomlkit.items import Table

    from pushover_tui.api.inbox import InboxSession

APP_NAME = "pushover-tui"
DEFAULT_API_URL = "https://api.pushover.net/1"  # same as api.client.DEFAULT_BASE_URL (no httpx)
FILE_NAME = "config.toml"

_EMPTY: Mapping[str, Any] = MappingProxyType({})


def _default(key: str) -> Any:
    """A setting's default, from its row (a Secret is immutable, so one shared default is safe)."""
    return setting(key).default


class Source(StrEnum):
    """Where an effective value came from (the UI shows it next to the value)."""

    FILE = "file"
    ENVIRONMENT = "environment"
    OPTION = "command line"
    DEFAULT = "default"


@dataclass(frozen=True)
class Profile:
    """One set of credentials and sending defaults."""

    name: str
    token: Secret = field(default=_default("token"))
    user: Secret = field(default=_default("user"))
    priority: int = _default("priority")
    retry: int = _default("retry")
    expire: int = _default("expire")
    sound: str = _default("sound")  # blank = the user's default sound
    device: str = _default("device")  # blank = all devices
    # The default recipient instead of `user`: a group (or user) key, or a group's name.
    to: Secret = field(default=_default("to"))
    team_token: Secret = field(default=_default("team_token"))  # the Teams API's, not an app's
    inbox: InboxSession | None = None  # [profiles.NAME.inbox], written by `inbox login`
    # The values the file spells out (even one equal to the default: `priority = 0` is the
    # file's, not "default"); not part of what a profile is.
    written: frozenset[str] = field(default=frozenset(), compare=False, repr=False)

    def __post_init__(self) -> None:
        # Accept plain strings from callers, but never keep one: a bare key in a frame would be
        # printed by Textual's crash traceback.
        for row in PROFILE_SETTINGS:
            value = getattr(self, row.attribute)
            if row.secret and not isinstance(value, Secret):
                object.__setattr__(self, row.attribute, Secret(value))

    @property
    def has_keys(self) -> bool:
        return bool(self.token) and bool(self.user)


_PROFILE_DEFAULTS = Profile("")
# The values `config set` and the environment may change (the inbox session only `inbox login`).
PROFILE_KEYS = tuple(row.key for row in PROFILE_SETTINGS)


def _frozen_mapping(value: Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(value, MappingProxyType):
        return value
    return MappingProxyType(dict(value))


@dataclass(frozen=True)
class Config:
    """Exactly what the file says (never environment or command-line values)."""

    path: Path
    default_profile: str = _default("default_profile")
    profiles: tuple[Profile, ...] = ()
    theme: str = _default("theme")
    api_url: str = _default("api_url")  # "" = the real API
    bell: bool = _default("bell")  # ring the terminal bell on news
    store_url: Secret = field(default=_default("store.url"))  # [store] url; blank: local files
    keymap: Mapping[str, str] = field(
        default_factory=lambda: _EMPTY
    )  # binding id -> keys, e.g. {"send": "ctrl+s"}
    # One sentence per [keymap] entry that could not be read (not a string): left out above.
    keymap_problems: tuple[str, ...] = field(default=(), compare=False)
    bridge: Mapping[str, Any] = field(
        default_factory=lambda: _EMPTY
    )  # the raw [bridge] table, written back untouched (but for what `with_bridge` sets)
    # The file as `load_config` read it (None: not loaded from a file): what a save diffs against.
    as_loaded: Config | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        # Read-only views, so a frozen Config cannot be changed through a shared dict.
        object.__setattr__(self, "keymap", _frozen_mapping(self.keymap))
        object.__setattr__(self, "bridge", _frozen_mapping(self.bridge))
        object.__setattr__(self, "profiles", tuple(self.profiles))

    @property
    def profile_names(self) -> tuple[str, ...]:
        return tuple(profile.name for profile in self.profiles)

    def profile(self, name: str | None = None) -> Profile:
        """The named (or default) profile; a blank one when the file has none by that name."""
        wanted = self.default_profile if name is None else name
        for profile in self.profiles:
            if profile.name == wanted:
                return profile
        return Profile(wanted)

    def has_profile(self, name: str) -> bool:
        return name in self.profile_names

    def with_profile(self, profile: Profile) -> Config:
        """Add the profile, or replace the one with the same name (keeping its position)."""
        if self.has_profile(profile.name):
            profiles = tuple(profile if p.name == profile.name else p for p in self.profiles)
        else:
            profiles = (*self.profiles, profile)
        return replace(self, profiles=profiles)

    def with_bridge(self, key: str, value: str) -> Config:
        """Set one value of the raw `[bridge]` table (the bridge's own settings say which)."""
        return replace(self, bridge={**self.bridge, key: value})

    def without_profile(self, name: str) -> Config:
        """Drop a profile. If it was the default, the first remaining profile becomes default."""
        profiles = tuple(p for p in self.profiles if p.name != name)
        default = self.default_profile
        if default == name and profiles:
            default = profiles[0].name
        return replace(self, profiles=profiles, default_profile=default)

    def renamed_profile(self, old: str, new: str) -> Config:
        """Rename a profile; the default follows it. Refuses to overwrite another profile."""
        if old == new:
            return self
        if not new.strip():
            raise FieldProblemsError([Problem("name", "A profile name cannot be blank.")])
        if not self.has_profile(old):
            raise FieldProblemsError([Problem("name", f"There is no profile named {old!r}.")])
        if self.has_profile(new):
            raise FieldProblemsError(
                [Problem("name", f"A profile named {new!r} already exists: choose another name.")]
            )
        profiles = tuple(replace(p, name=new) if p.name == old else p for p in self.profiles)
        default = new if self.default_profile == old else self.default_profile
        return replace(self, profiles=profiles, default_profile=default)


@dataclass(frozen=True)
class ActiveProfile:
    """What a send uses: file < environment < command-line options."""

    profile: Profile  # effective values
    api_url: str  # effective base URL, never blank
    sources: Mapping[str, Source]  # every setting's key but the raw tables' ("name" too)
    # Effective values of the file-wide settings, by key (timeout: None = the client's 10 s).
    values: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)

    def value(self, key: str) -> Any:
        """The effective value of any setting but the raw tables'."""
        row = setting(key)
        if row.scope is Scope.PROFILE:
            return getattr(self.profile, row.attribute)
        return self.values.get(key, row.default)

    @property
    def timeout(self) -> float | None:
        """Seconds to wait for Pushover's answer (PUSHOVER_TUI_TIMEOUT); None: the client's."""
        return self.value("timeout")

    @property
    def has_keys(self) -> bool:
        return self.profile.has_keys


class ConfigFileError(PushoverError):
    """The configuration file cannot be read or parsed. It is never overwritten."""

    def __init__(self, path: Path, problem: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.problem = problem
        where = f"{path}, line {line}" if line is not None else str(path)
        super().__init__(f"{where}: {problem.rstrip('.')}. The file was left untouched.")


# ---------------------------------------------------------------------------------------------
# Locations


def _platform_dir(kind: str, env: Mapping[str, str]) -> Path:
    """platformdirs' folder, honouring XDG_* from `env` (platformdirs reads os.environ only)."""
    import platformdirs  # only needed when no explicit path is given

    xdg = {"config": "XDG_CONFIG_HOME", "data": "XDG_DATA_HOME"}[kind]
    base = env.get(xdg, "").strip()
    is_unix = not sys.platform.startswith(("win", "darwin"))
    if is_unix and os.path.isabs(base):
        return Path(base) / APP_NAME
    getter = platformdirs.user_config_dir if kind == "config" else platformdirs.user_data_dir
    return Path(getter(APP_NAME, appauthor=False))


def config_path(env: Mapping[str, str] = os.environ) -> Path:
    """PUSHOVER_TUI_CONFIG, else config.toml in the platform's config folder."""
    if override := env.get("PUSHOVER_TUI_CONFIG", "").strip():
        return Path(override).expanduser()
    return _platform_dir("config", env) / FILE_NAME


def data_dir(env: Mapping[str, str] = os.environ) -> Path:
    """PUSHOVER_TUI_DATA, else the platform's data folder (history lives there)."""
    if override := env.get("PUSHOVER_TUI_DATA", "").strip():
        return Path(override).expanduser()
    return _platform_dir("data", env)


# ---------------------------------------------------------------------------------------------
# Reading


_TOML_POSITION = re.compile(r"\(at line (\d+), column \d+\)")


def load_config(path: Path | None = None, env: Mapping[str, str] = os.environ) -> Config:
    """Read the file. Missing: a default Config. Unreadable or invalid: ConfigFileError.
    A file (or its folder) that others can read is made private first, with a notice."""
    path = config_path(env) if path is None else Path(path)
    text = _read_text(path)
    if text is None:
        config = Config(path=path)
    else:
        _private_folder(path.parent, env)
        tighten(path, FILE_MODE)
        config = _parse(path, text, _load_toml(path, text))
    return replace(config, as_loaded=config)


def _private_folder(folder: Path, env: Mapping[str, str]) -> None:
    """A folder that holds only the config (the default folder, one we make, or one named with
    `--config` / PUSHOVER_TUI_CONFIG that holds nothing else) is ours: made 0700, or tightened to
    it. A named folder holding other things may be the user's documents: never changed, only a
    warning (with the chmod) when others can read it. The file itself is always tightened."""
    default = folder.name == APP_NAME and folder == _platform_dir("config", env)
    if default or _holds_only_config(folder):
        make_private_dirs(folder)
    else:
        tighten(folder, FOLDER_MODE, change=False)


def _holds_only_config(folder: Path) -> bool:
    """True for a missing folder, or one whose only files are a config and its lock and
    temporary files (`x.toml`, `.x.toml.lock`, `.x.toml.*.tmp`)."""
    try:
        names = [entry.name for entry in os.scandir(folder)]
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return all(name.endswith((".toml", ".lock", ".tmp")) for name in names)


def _read_text(path: Path) -> str | None:
    """The file's text; None when there is no file; ConfigFileError when it cannot be read."""
    try:
        raw = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):  # no such file (its "folder" is a file)
        return None
    except OSError as error:
        raise ConfigFileError(path, f"cannot read the file ({error.strerror or error})") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ConfigFileError(path, "the file is not UTF-8 text", line) from None


def _load_toml(path: Path, text: str) -> dict[str, Any]:
    """The parsed file, or ConfigFileError naming the line (the file is never overwritten)."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        match = _TOML_POSITION.search(message)
        line = int(match.group(1)) if match else None
        detail = _TOML_POSITION.sub("", message).strip() or "invalid TOML"
        raise ConfigFileError(path, f"invalid TOML: {detail}", line) from None
    except RecursionError:  # tomllib parses nested arrays and tables recursively
        raise ConfigFileError(path, "invalid TOML: arrays or tables nested too deeply") from None


def _parse(path: Path, text: str, data: dict[str, Any]) -> Config:
    reader = TableReader(text, lambda sentence, line: ConfigFileError(path, sentence, line))

    def value_at(table: Mapping[str, Any], key: tuple[str, ...], row: Setting) -> Any:
        """The row's value below `table`, whose own key is key[: -len(row.path)]."""
        start = len(key) - len(row.path)
        for depth in range(start, len(key) - 1):
            table = reader.table(table, key[: depth + 1])
        return reader.value(table, key, row)

    def inbox_session(parent: Mapping[str, Any], key: tuple[str, ...]) -> InboxSession | None:
        """None unless the table holds both the session secret and the device id."""
        body = reader.table(parent, key)
        secret = reader.typed(body, (*key, "secret"), Kind.SECRET, Secret())
        device_id = reader.typed(body, (*key, "device_id"), Kind.SECRET, Secret())
        if not (secret and device_id):
            return None
        from pushover_tui.api.inbox import InboxSession  # a profile logged in to its inbox only

        name = reader.typed(body, (*key, "device_name"), Kind.TEXT, "")
        return InboxSession(secret=secret, device_id=device_id, device_name=name)

    # File-wide values first: errors are reported roughly in file order.
    values = {row.attribute: value_at(data, row.path, row) for row in FILE_SETTINGS}
    profiles = []
    for name, body in reader.table(data, ("profiles",)).items():
        if not isinstance(body, dict):
            raise reader.fail(("profiles", name), "a table")
        key = ("profiles", name)
        profile_values = {
            row.attribute: value_at(body, (*key, *row.path), row) for row in PROFILE_SETTINGS
        }
        profiles.append(
            Profile(
                name=name,
                **profile_values,
                inbox=inbox_session(body, (*key, "inbox")),
                written=_written(body),
            )
        )
    # A keymap entry that is not a string costs only that entry: the dashboard says so
    # ("Key not moved") and the binding keeps its default key; the file is never rewritten.
    keymap: dict[str, str] = {}
    keymap_problems: list[str] = []
    for binding, keys in reader.table(data, ("keymap",)).items():
        if isinstance(keys, str):
            keymap[binding] = keys
        else:
            line = find_line(text, ("keymap", binding))
            where = f" (line {line})" if line else ""
            keymap_problems.append(
                f'[keymap] {binding!r}: {keys!r} is not a string of keys, such as "ctrl+s"{where}.'
            )
    return Config(
        path=path,
        profiles=tuple(profiles),
        keymap=keymap,
        keymap_problems=tuple(keymap_problems),
        bridge=reader.table(data, ("bridge",)),
        **values,
    )


# ---------------------------------------------------------------------------------------------
# Writing


def _document(path: Path) -> tuple[TOMLDocument, Config]:
    """The file as an editable document (a new one when there is no file) and as a Config. A
    file that does not parse is never overwritten: ConfigFileError, as when loading."""
    import tomlkit
    import tomlkit.exceptions

    text = _read_text(path)
    if text is None:
        return tomlkit.document(), Config(path=path)
    # The reference parser and the same checks as loading: same errors, same lines.
    on_disk = _parse(path, text, _load_toml(path, text))
    try:
        return tomlkit.parse(text), on_disk
    except (tomlkit.exceptions.TOMLKitError, RecursionError) as error:
        raise ConfigFileError(path, f"cannot edit the file ({type(error).__name__})") from None


def _update(document: TOMLDocument, config: Config, base: Config) -> None:
    """Write into `document` what changed from `base` to `config`, and nothing else: every other
    line, comment and table stays as the file has it now (another process may have changed it)."""
    import tomlkit

    fresh = not document  # a new file spells out some settings (the others once set)
    for row in FILE_SETTINGS:
        value = getattr(config, row.attribute)
        spelled_out = fresh and row.written_blank
        if spelled_out or value != getattr(base, row.attribute):
            holder: Container | Table = document
            for part in row.path[:-1]:  # a setting in a table of its own, e.g. [store] url
                if part not in holder:
                    holder[part] = tomlkit.table()
                holder = holder[part]
            _set(holder, row.name, row.to_toml(value), row.to_toml(row.default), spelled_out)
    if config.profiles and "profiles" not in document:
        document["profiles"] = tomlkit.table(is_super_table=True)
    if "profiles" in document:
        profiles = document["profiles"]
        for name in [name for name in profiles if base.has_profile(name)]:
            if not config.has_profile(name):  # deleted (or renamed) here
                del profiles[name]
        profile_defaults = _profile_values(_PROFILE_DEFAULTS)
        for profile in config.profiles:
            before = base.profile(profile.name)  # a blank profile when new here
            if profile == before and base.has_profile(profile.name):
                continue  # unchanged here: the file's version stands, even if deleted elsewhere
            values = _profile_values(profile)
            inbox = _inbox_values(profile)
            if profile.name not in profiles:
                table = tomlkit.table()
                # Later settings (`to`) only when set: a profile without them looks as it did.
                table.update(
                    {row.key: values[row.key] for row in PROFILE_SETTINGS if row.written_blank}
                )
                table.update(
                    {key: value for key, value in values.items() if value and key not in table}
                )
                table.add(tomlkit.nl())  # a blank line before whatever table follows
                if inbox:
                    table["inbox"] = inbox
                profiles[profile.name] = table
                continue
            table = profiles[profile.name]
            old_values = _profile_values(before)
            for key, value in values.items():
                if value != old_values[key]:
                    _set(table, key, value, profile_defaults[key], fresh=False)
            if inbox == _inbox_values(before):
                continue
            if inbox:
                _sync(table, "inbox", inbox, _inbox_values(before))
            elif "inbox" in table:  # `inbox logout`
                del table["inbox"]
    _sync(document, "keymap", config.keymap, base.keymap)
    _sync(document, "bridge", config.bridge, base.bridge)


def _profile_values(profile: Profile) -> dict[str, Any]:
    return {row.key: row.to_toml(getattr(profile, row.attribute)) for row in PROFILE_SETTINGS}


def _inbox_values(profile: Profile) -> dict[str, Any]:
    """The `[profiles.NAME.inbox]` table `inbox login` keeps; empty when logged out."""
    if profile.inbox is None:
        return {}
    return {
        "secret": profile.inbox.secret.reveal(),
        "device_id": profile.inbox.device_id.reveal(),
        "device_name": profile.inbox.device_name,
    }


def _set(table: Container | Table, key: str, value: Any, default: Any, fresh: bool) -> None:
    """Write `key` if its value changed; a missing key only when it differs from the default."""
    if key in table:
        if not _same(table[key], value):
            table[key] = value
    elif fresh or value != default:
        table[key] = value


def _sync(
    parent: Container | Table, key: str, wanted: Mapping[str, Any], base: Mapping[str, Any]
) -> None:
    """Make the table `parent[key]` say what `wanted` says where it differs from `base` (what
    the table held when loaded), editing only those keys."""
    changed = {
        name: value
        for name, value in wanted.items()
        if name not in base or not _same(base[name], value)
    }
    removed = [name for name in base if name not in wanted]
    if key not in parent or not isinstance(parent[key], Mapping):
        if changed:
            parent[key] = _plain(changed)
        return
    table = parent[key]
    for name in removed:
        if name in table:
            del table[name]
    for name, value in changed.items():
        old = base.get(name)
        if isinstance(value, Mapping) and isinstance(old, Mapping):
            _sync(table, name, value, old)
        elif name not in table or not _same(table[name], value):
            table[name] = _plain(value)


def _same(item: Any, value: Any) -> bool:
    plain, wanted = _plain(item), _plain(value)
    return type(plain) is type(wanted) and plain == wanted


def _plain(value: Any) -> Any:
    """Plain Python values from a tomlkit item or a read-only mapping (tomlkit writes both)."""
    if hasattr(value, "unwrap"):
        return value.unwrap()
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def save_config(config: Config, env: Mapping[str, str] = os.environ) -> Config:
    """Write what changed since `config` was loaded onto the file as it is now, atomically (temp
    file, fsync, rename) with mode 0600 in a 0700 folder, editing the file's own document in place
    (comments, order and unknown tables kept). A lock file beside the config makes the read,
    merge and write one step against every other process saving the same file.

    A Config not loaded from a file (`as_loaded` None) is written whole: the file then says
    exactly what it says. Returns `config` as saved: keep it (and make later Configs from it), so
    the next save writes only what changes after this one (a profile added and saved, then
    removed, is removed from the file). `env` says which folder is the default."""
    path = config.path
    try:
        _private_folder(path.parent, env)
        lock = wait_for_lock(path.with_name(f".{path.name}.lock"))
    except OSError as error:
        raise ConfigFileError(
            path, f"cannot write to {path.parent} ({error.strerror or error})"
        ) from None
    with lock:
        document, on_disk = _document(path)
        _update(document, config, on_disk if config.as_loaded is None else config.as_loaded)
        _write_atomically(path, document.as_string())
    profiles = document.get("profiles", {})
    config = replace(
        config,
        profiles=tuple(
            replace(profile, written=_written(profiles.get(profile.name, {})))
            for profile in config.profiles
        ),
    )
    return replace(config, as_loaded=replace(config, as_loaded=None))


def _written(body: Any) -> frozenset[str]:
    """The profile values a `[profiles.NAME]` table spells out."""
    if not isinstance(body, Mapping):
        return frozenset()
    return frozenset(row.attribute for row in PROFILE_SETTINGS if row.path[-1] in body)


def _write_atomically(path: Path, text: str) -> None:
    try:
        fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise ConfigFileError(
            path, f"cannot write to {path.parent} ({error.strerror or error})"
        ) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            os.fchmod(handle.fileno(), FILE_MODE)  # before any secret is written
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        if isinstance(error, OSError):
            raise ConfigFileError(
                path, f"cannot save the settings ({error.strerror or error})"
            ) from None
        raise
    _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable; not possible (nor needed) on every platform."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def move_aside(path: Path) -> Path:
    """Rename an unreadable file to `config.toml.broken-YYYYmmdd-HHMMSS`; return the new path."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.broken-{stamp}")
    counter = 1
    while target.exists():  # two moves within a second must not overwrite the first copy
        target = path.with_name(f"{path.name}.broken-{stamp}-{counter}")
        counter += 1
    os.rename(path, target)
    return target


# ---------------------------------------------------------------------------------------------
# Resolving


def resolve(
    config: Config,
    profile: str | None = None,
    *,
    api_url: str | None = None,
    env: Mapping[str, str] = os.environ,
) -> ActiveProfile:
    """Effective settings: the file, then the environment (PUSHOVER_TOKEN, PUSHOVER_USER,
    PUSHOVER_API_URL, PUSHOVER_TUI_TIMEOUT...: each row's `env`), then command-line options
    (`api_url`). An environment number out of range is a ConfigurationError naming it.

    Empty environment variables count as unset (`PUSHOVER_TOKEN= cmd` should not blank a key).
    """
    options = {} if api_url is None else {"api_url": api_url.strip()}
    base = config.profile(profile)
    sources: dict[str, Source] = {}
    if profile is not None:
        sources["name"] = Source.OPTION
    elif config.has_profile(base.name):
        sources["name"] = Source.FILE
    else:
        sources["name"] = Source.DEFAULT

    def layered(row: Setting, saved: Any) -> Any:
        # "default" only for a value the file leaves out (or one set since, equal to it).
        written = row.scope is Scope.PROFILE and row.attribute in base.written
        value, source = saved, Source.FILE if written or saved != row.default else Source.DEFAULT
        if row.env and (from_env := row.from_environment(env.get(row.env, ""))) is not None:
            value, source = from_env, Source.ENVIRONMENT
        if row.key in options:
            value, source = options[row.key], Source.OPTION
        if row.scope is Scope.PROFILE or row.listed:  # what `config show` lists
            sources[row.key] = source
        return value

    effective = replace(
        base,
        **{row.attribute: layered(row, getattr(base, row.attribute)) for row in PROFILE_SETTINGS},
    )
    values = {}
    for row in SETTINGS:
        if row.scope is Scope.FILE and (row in FILE_SETTINGS or not row.in_file):
            saved = getattr(config, row.attribute) if row.in_file else row.default
            values[row.key] = layered(row, saved.strip() if isinstance(saved, str) else saved)
    return ActiveProfile(
        profile=effective,
        api_url=values["api_url"].rstrip("/") or DEFAULT_API_URL,
        sources=MappingProxyType(sources),
        values=MappingProxyType(values),
    )


# ---------------------------------------------------------------------------------------------
# Checking and editing


def check_profile(profile: Profile) -> list[Problem]:
    """Problems with a profile's saved values. Keys are checked only when set."""
    problems: list[Problem] = []
    if not profile.name.strip():
        problems.append(Problem("name", "A profile name cannot be blank."))
    # retry/expire are the defaults of every emergency sent with this profile, so they must be
    # valid whatever the profile's own priority (and each bounds the other).
    emergency = check_emergency(profile.retry, profile.expire)
    for row in PROFILE_SETTINGS:  # in the table's order
        problems += row.problems(getattr(profile, row.attribute))
        problems += [problem for problem in emergency if problem.field == row.key]
    return problems


def set_value(config: Config, profile: str, key: str, value: str) -> Config:
    """`config set KEY VALUE`: a new Config with one value changed, or FieldProblemsError."""
    row = setting(key)
    if not row.settable:
        raise FieldProblemsError(
            [Problem(key, f"{key} is not kept in the file: use one of {', '.join(SETTABLE_KEYS)}.")]
        )
    new_value = row.from_text(value)
    if row.path[0] == "bridge":  # the raw [bridge] table (bridge/settings.py reads it)
        return config.with_bridge(row.name, row.to_toml(new_value))
    if row.scope is Scope.PROFILE:
        updated = replace(config.profile(profile), **{row.attribute: new_value})
        problems = [p for p in check_profile(updated) if p.is_error and p.field == row.name]
        if problems:
            raise FieldProblemsError(problems)
        return config.with_profile(updated)
    if problems := [p for p in row.problems(new_value) if p.is_error]:
        raise FieldProblemsError(problems)
    return replace(config, **{row.attribute: new_value})
