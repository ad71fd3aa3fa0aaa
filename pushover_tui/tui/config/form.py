"""The profile being edited, as the Config form holds it: a Textual-free model, with the live
checks and help line of each field, and what Save would write.

Values are kept as typed (stripped), numbers as text, so the form can tell edits from what was
loaded and never loses a value whose row is not built yet.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, replace

from pushover_tui.api.checks import (
    EXPIRE_MAX,
    MAX_REPEATS,
    RETRY_MIN,
    Problem,
    check_devices,
    check_emergency,
    check_token,
    check_users,
)
from pushover_tui.api.models import Priority
from pushover_tui.api.secret import Secret
from pushover_tui.store.config import ActiveProfile, Profile, Source, check_profile
from pushover_tui.store.schema import PROFILE_SETTINGS, setting
from pushover_tui.tui.widgets.choices import (
    emergency_summary,
    known_priority,
    parse_seconds,
    priority_hint,
)

# The settings table's profile rows this form lays out: `to` is chosen on the Groups screen,
# and the Team API token, an administrator's key, is set with `config set team_token -`.
FIELDS = tuple(row.key for row in PROFILE_SETTINGS if row.key not in ("to", "team_token"))
KEYS = tuple(key for key in FIELDS if setting(key).secret)
ENV_VARIABLES = {row.key: row.env for row in PROFILE_SETTINGS if row.env and row.key in FIELDS}
SOURCE_TEXT = {
    Source.FILE: "from file",
    Source.ENVIRONMENT: "from environment",
    Source.OPTION: "from command line",
    Source.DEFAULT: "default",
}


@dataclass(frozen=True)
class ProfileForm:
    # The keys as typed, in clear (the fields show them); never in a repr, so a traceback or a
    # log line that prints the form shows no key.
    token: str = dataclasses.field(default="", repr=False)
    user: str = dataclasses.field(default="", repr=False)
    priority: int = int(Priority.NORMAL)
    retry: str = ""
    expire: str = ""
    sound: str = ""
    device: str = ""

    @classmethod
    def load(cls, saved: Profile, active: ActiveProfile) -> ProfileForm:
        """The file's values; a key the environment sets shows the environment's (read-only)."""
        keys = {
            key: getattr(active.profile if from_environment(active, key) else saved, key).reveal()
            for key in KEYS
        }
        return cls(
            **keys,
            priority=known_priority(saved.priority),
            retry=str(saved.retry),
            expire=str(saved.expire),
            sound=saved.sound,
            device=saved.device,
        )

    def edit(self, field: str, value: str | int) -> ProfileForm:
        return replace(self, **{field: value.strip() if isinstance(value, str) else value})

    @property
    def is_emergency(self) -> bool:
        return self.priority == Priority.EMERGENCY

    def seconds(self, field: str) -> int | None:
        """retry or expire when it is a whole number of seconds, else None."""
        return parse_seconds(field, getattr(self, field), field)[0]

    def keys(self) -> tuple[Secret, Secret, str]:
        """Token, user key and device: what a verification is for."""
        return Secret(self.token), Secret(self.user), self.device

    def problems(self, active: ActiveProfile, *, emergency_rows: bool) -> dict[str, Problem]:
        """The first live problem of each field as typed (keys the environment sets excepted)."""
        problems: list[Problem] = []
        if self.token and not from_environment(active, "token"):
            problems += check_token(self.token)
        if self.user and not from_environment(active, "user"):
            problems += check_users(self.user)
        if emergency_rows:
            problems += check_emergency(self.seconds("retry"), self.seconds("expire"))
        problems += check_devices(self.device)
        found: dict[str, Problem] = {}
        for problem in problems:
            found.setdefault(problem.field, problem)
        return found

    def to_profile(self, saved: Profile, active: ActiveProfile) -> tuple[Profile, list[Problem]]:
        """The profile as the file should hold it (never an environment value), and what blocks
        saving it. A blank retry or expire keeps the saved value, unless it is needed now."""
        token, user = (
            getattr(saved, key) if from_environment(active, key) else Secret(getattr(self, key))
            for key in KEYS
        )
        retry, expire = self.seconds("retry"), self.seconds("expire")
        blank = {field for field, value in (("retry", retry), ("expire", expire)) if value is None}
        problems: list[Problem] = []
        if self.is_emergency:
            problems += [p for p in check_emergency(retry, expire) if p.field in blank]
        profile = replace(
            saved,
            name=active.profile.name,
            token=token,
            user=user,
            priority=self.priority,
            retry=saved.retry if retry is None else retry,
            expire=saved.expire if expire is None else expire,
            sound=self.sound,
            device=self.device,
        )
        seen = {p.field for p in problems}
        problems += [p for p in check_profile(profile) if p.is_error and p.field not in seen]
        return profile, problems


def from_environment(active: ActiveProfile, key: str) -> bool:
    return active.sources.get(key) is Source.ENVIRONMENT


def help_line(
    field: str,
    form: ProfileForm,
    active: ActiveProfile,
    *,
    devices: tuple[str, ...] | None,
    sounds: Mapping[str, str] | None,
) -> tuple[str, str]:
    """The line under a field with nothing wrong, and its severity ("hint", "ok", "warning")."""
    if field in ENV_VARIABLES and from_environment(active, field):
        return (
            f"Set by {ENV_VARIABLES[field]} in the environment (read-only here). "
            "Saving never writes environment values to the file.",
            "warning",
        )
    if field == "token":
        if form.token:
            return "✓ 30 letters and digits", "ok"
        return setting("token").help, "hint"
    if field == "user":
        if form.user:
            return "✓ 30 letters and digits", "ok"
        return setting("user").help, "hint"
    if field == "priority":
        return priority_hint(form.priority), "hint"
    if field == "retry":
        return f"How often the alert repeats until acknowledged: at least {RETRY_MIN} s.", "hint"
    if field == "expire":
        retry, expire = form.seconds("retry"), form.seconds("expire")
        if retry and expire and retry >= RETRY_MIN:
            return emergency_summary(retry, expire), "hint"
        return f"At most {EXPIRE_MAX} s (3 h); Pushover stops after {MAX_REPEATS} repeats.", "hint"
    if field == "sound":
        if sounds is not None:
            return f"{len(sounds)} sounds of this app, custom ones included.", "hint"
        return "Built-in sounds; verify to load your app's own.", "hint"
    if field == "device":
        if devices:
            return f"Blank = all. This user has: {', '.join(devices)}.", "hint"
        return "Blank = all devices. Verify to list them.", "hint"
    return "", "hint"


def source_line(field: str, active: ActiveProfile, *, edited: bool) -> tuple[str, str]:
    """Where a value comes from, and its kind ("edited", "environment" or "")."""
    if edited:
        return "edited, not saved", "edited"
    source = active.sources.get(field, Source.DEFAULT)
    return SOURCE_TEXT[source], "environment" if source is Source.ENVIRONMENT else ""
