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
from types import MappingProxyType
from typing import Any

from pushover_tui.api.checks import Problem, check_devices, check_emergency, check_priority
from pushover_tui.api.errors import ConfigurationError
from pushover_tui.api.secret import Secret

CLIENT_SECRET_ENV = "SENTRY_CLIENT_SECRET"
SHARED_SECRET_ENV = "PUSHOVER_BRIDGE_SECRET"
# The table's secrets: `pushover-tui config set bridge.NAME -` reads them from standard input.
SECRET_KEYS = ("client_secret", "shared_secret")
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
        cls, table: Mapping[str, Any], env: Mapping[str, str] = os.environ
    ) -> BridgeSettings:
        """Read the raw `[bridge]` table; BridgeConfigError names the first bad key."""

        def fail(key: str, expected: str) -> BridgeConfigError:
            return BridgeConfigError(f"[bridge] {key} must be {expected}.")

        def string(key: str) -> str:
            value = table.get(key, "")
            if not isinstance(value, str):
                raise fail(key, "a string in quotes")
            return value.strip()

        def integer(key: str, value: Any) -> int:
            if not isinstance(value, int) or isinstance(value, bool):
                raise fail(key, "a whole number")
            return value

        def boolean(key: str) -> bool:
            value = table.get(key, False)
            if not isinstance(value, bool):
                raise fail(key, "true or false")
            return value

        def optional_int(key: str) -> int | None:
            return None if key not in table else integer(key, table[key])

        def subtable(key: str) -> Mapping[str, Any]:
            value = table.get(key, {})
            if not isinstance(value, Mapping):
                raise fail(key, "a table")
            return value

        levels = {
            str(name).lower(): integer(f"levels.{name}", value)
            for name, value in subtable("levels").items()
        }
        projects = {}
        for project_id, name in subtable("projects").items():
            if not isinstance(name, str):
                raise fail(f'projects."{project_id}"', "a project name in quotes")
            projects[str(project_id).strip()] = name

        client = env.get(CLIENT_SECRET_ENV, "").strip() or string("client_secret")
        shared = env.get(SHARED_SECRET_ENV, "").strip() or string("shared_secret")
        settings = cls(
            client_secret=Secret(client),
            shared_secret=Secret(shared),
            priority=optional_int("priority") or 0,
            retry=optional_int("retry"),
            expire=optional_int("expire"),
            sound=string("sound"),
            device=string("device"),
            levels=MappingProxyType(levels),
            projects=MappingProxyType(projects),
            notify_resolved=boolean("notify_resolved"),
        )
        return settings

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
