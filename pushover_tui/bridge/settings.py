"""The bridge's settings: the config's `[bridge]` table, secrets overridden by the environment.

```toml
[bridge]
client_secret = "..."   # Internal Integration's client secret (or SENTRY_CLIENT_SECRET)
shared_secret = "..."   # legacy WebHooks plugin: ?secret=... (or PUSHOVER_BRIDGE_SECRET)
priority = 0            # as the old plugin; retry/expire/sound/device default to the profile's
retry = 60
expire = 3600
sound = ""
device = ""
notify_resolved = false # true: "Resolved: <title>" at priority -1 after cancelling emergencies

[bridge.levels]         # per Sentry level (metric alerts: "critical" / "warning")
fatal = 2

[bridge.projects]       # project id -> name, for event alerts (which carry only the id)
"4505" = "Bar"
```

No Starlette here: the settings are checked before the optional extra is imported.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pushover_tui.api.checks import Problem, check_devices, check_emergency, check_priority
from pushover_tui.api.errors import ConfigurationError
from pushover_tui.api.secret import Secret
from pushover_tui.store.schema import Kind, TableReader, read_text_of, section, setting

# The secrets' rows (and their environment variables) are in the settings table, store/schema.py.
CLIENT_SECRET_ENV = setting("bridge.client_secret").env
SHARED_SECRET_ENV = setting("bridge.shared_secret").env
_EMPTY: Mapping[str, Any] = MappingProxyType({})


class BridgeConfigError(ConfigurationError):
    """The `[bridge]` table is unusable; the sentence names the key."""


@dataclass(frozen=True)
class BridgeSettings:
    client_secret: Secret = field(default_factory=Secret)
    shared_secret: Secret = field(default_factory=Secret)
    priority: int = 0
    retry: int | None = None  # None: the active profile's
    expire: int | None = None
    sound: str = ""
    device: str = ""
    # Sentry level (or metric alert action) -> priority
    levels: Mapping[str, int] = field(default_factory=lambda: _EMPTY)
    # Sentry project id -> name
    projects: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    notify_resolved: bool = False

    def priority_for(self, level: str) -> int:
        return self.levels.get(level.lower(), self.priority) if level else self.priority

    @classmethod
    def from_config(
        cls,
        table: Mapping[str, Any],
        env: Mapping[str, str] = os.environ,
        path: Path | None = None,
    ) -> BridgeSettings:
        """Read the raw `[bridge]` table of the config file at `path`; BridgeConfigError names
        the first bad key (and, with `path`, the file and line)."""
        text = read_text_of(path) if path is not None else ""

        def error_for(sentence: str, line: int | None) -> BridgeConfigError:
            where = "" if path is None else f"{path}{'' if line is None else f', line {line}'}: "
            return BridgeConfigError(f"{where}{sentence}.")

        reader = TableReader(text, error_for)
        rows = {row.name: row for row in section("bridge")}

        def value(name: str, kind: Kind = Kind.TEXT, default: Any = "") -> Any:
            key = ("bridge", name)
            if name in rows:
                return reader.value(table, key, rows[name])
            return reader.typed(table, key, kind, default)

        levels_table = reader.table(table, ("bridge", "levels"))
        levels = {
            str(name).lower(): reader.typed(levels_table, ("bridge", "levels", name), Kind.INT, 0)
            for name in levels_table
        }
        projects_table = reader.table(table, ("bridge", "projects"))
        projects = {
            str(project_id).strip(): reader.typed(
                projects_table, ("bridge", "projects", project_id), Kind.TEXT, ""
            )
            for project_id in projects_table
        }
        secrets = {
            name: row.from_environment(env.get(row.env, "")) or value(name)
            for name, row in rows.items()
            if row.secret
        }
        return cls(
            client_secret=secrets["client_secret"],
            shared_secret=secrets["shared_secret"],
            priority=value("priority", Kind.INT, 0),
            retry=value("retry", Kind.INT, None),
            expire=value("expire", Kind.INT, None),
            sound=value("sound").strip(),
            device=value("device").strip(),
            levels=MappingProxyType(levels),
            projects=MappingProxyType(projects),
            notify_resolved=value("notify_resolved", Kind.BOOL, False),
        )

    def problems(self, retry: int, expire: int) -> list[Problem]:
        """Problems with the settings, given the profile's retry/expire as fallbacks."""
        problems = [
            Problem(f"[bridge] {p.field}", p.text) for p in check_priority(self.priority)
        ] + check_devices(self.device)
        for level, priority in self.levels.items():
            problems += [
                Problem(f"[bridge.levels] {level}", p.text) for p in check_priority(priority)
            ]
        if 2 in (self.priority, *self.levels.values()):
            retry = retry if self.retry is None else self.retry
            expire = expire if self.expire is None else self.expire
            problems += [
                Problem(f"[bridge] {p.field}", p.text) for p in check_emergency(retry, expire)
            ]
        if not self.client_secret and not self.shared_secret:
            problems.append(
                Problem(
                    "[bridge] client_secret",
                    f"Set client_secret (or {CLIENT_SECRET_ENV}) to the Internal Integration's "
                    f"client secret, or shared_secret (or {SHARED_SECRET_ENV}) for the legacy "
                    "WebHooks plugin: without either every webhook would be refused.",
                )
            )
        return problems
