"""The Teams API in the simulator: a team, its members, and the calls a Team API token makes.

Written from shared/pushover-glances-teams-licensing.md. A team is reached only with its own
Team API token: an application token (or any other) gets 400 "team token is invalid", as
documented. What teams.json answers follows a third-party SDK (unverified); error wordings for
an unknown e-mail address and a member added twice are chosen here (unverified)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, replace

from pushover_tui.simulator.groups import Answer, Endpoint
from pushover_tui.simulator.models import UserInfo
from pushover_tui.simulator.validation import FieldError, is_key, optional, parse_flag, random_text

TEAM_TOKEN_INVALID = FieldError("token", "invalid", "team token is invalid")
EMAIL_INVALID = FieldError("email", "invalid", "email address is invalid")
ALREADY_IN_TEAM = FieldError("email", "taken", "user is already a member of this team")
NOT_IN_TEAM = FieldError("email", "not found", "user is not a member of this team")
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MAX_TEXT = 100  # name, group: a limit chosen here (unverified)
TEAM_DELIVERY_GROUP = "Team Delivery Group"


@dataclass(frozen=True)
class TeamMember:
    email: str
    name: str
    user: str  # the member's user key (a new one for a new user)
    administrator: bool = False
    group: str = TEAM_DELIVERY_GROUP  # the delivery group they joined

    def as_dict(self, devices: Sequence[str]) -> dict[str, object]:
        return {
            "name": self.name,
            "email": self.email,
            "administrator": self.administrator,
            "group": self.group,
            "devices": list(devices),
        }


@dataclass(frozen=True)
class Team:
    token: str
    name: str
    members: tuple[TeamMember, ...] = ()


class Teams:
    """Every team by its Team API token. Callers hold the engine's lock."""

    def __init__(
        self, users: MutableMapping[str, UserInfo], user_for_email: Callable[[str], str | None]
    ) -> None:
        self.users = users
        self._user_for_email = user_for_email  # an Open Client login's user key, if any
        self.teams: dict[str, Team] = {}

    def add(self, token: str, name: str, members: Sequence[TeamMember] = ()) -> None:
        if not is_key(token):
            raise ValueError("a team token is 30 characters of [A-Za-z0-9]")
        self.teams[token] = Team(token, name, tuple(members))

    def add_member(self, token: str, member: TeamMember) -> None:
        team = self.teams[token]
        self.teams[token] = replace(team, members=(*team.members, member))

    def routes(self) -> tuple[tuple[re.Pattern[str], str, Endpoint], ...]:
        return (
            (re.compile(r"/1/teams\.json"), "GET", self._show),
            (re.compile(r"/1/teams/add_user\.json"), "POST", self._add_user),
            (re.compile(r"/1/teams/remove_user\.json"), "POST", self._remove_user),
        )

    def _team(self, values: Mapping[str, str]) -> Team | list[FieldError]:
        team = self.teams.get(values.get("token", "").strip())
        return [TEAM_TOKEN_INVALID] if team is None else team

    def _show(self, values: dict[str, str]) -> Answer:
        team = self._team(values)
        if isinstance(team, list):
            return team
        users = [m.as_dict(self._devices(m.user)) for m in team.members]
        return {"name": team.name, "users": users}

    def _devices(self, user: str) -> tuple[str, ...]:
        info = self.users.get(user)
        return info.devices if info is not None else ()

    def _add_user(self, values: dict[str, str]) -> Answer:
        team = self._team(values)
        if isinstance(team, list):
            return team
        errors: list[FieldError] = []
        email = values.get("email", "").strip()
        if EMAIL_RE.fullmatch(email) is None:
            errors.append(EMAIL_INVALID)
        name = (optional(values, "name") or email.partition("@")[0]).strip()
        group = (optional(values, "group") or TEAM_DELIVERY_GROUP).strip()
        for field, text in (("name", name), ("group", group)):
            if len(text) > MAX_TEXT:
                errors.append(FieldError(field, "is too long", f"{field} is too long"))
        flags: dict[str, bool] = {}
        for flag in ("admin", "instant"):
            raw = optional(values, flag)
            parsed = 0 if raw is None else parse_flag(raw)
            if parsed is None:
                errors.append(FieldError(flag, "invalid", f"{flag} must be true or false"))
            flags[flag] = bool(parsed)
        if errors:
            return errors
        if any(m.email.lower() == email.lower() for m in team.members):
            return [ALREADY_IN_TEAM]
        user = self._user_for_email(email)
        if user is None:  # a new Pushover user: a new key, no device until they install the app
            user = random_text(30)
            self.users[user] = UserInfo(user, (), False, ())
        self.add_member(team.token, TeamMember(email, name, user, flags["admin"], group))
        return {}

    def _remove_user(self, values: dict[str, str]) -> Answer:
        team = self._team(values)
        if isinstance(team, list):
            return team
        email = values.get("email", "").strip().lower()
        kept = tuple(m for m in team.members if m.email.lower() != email)
        if len(kept) == len(team.members):
            return [NOT_IN_TEAM]
        self.teams[team.token] = replace(team, members=kept)
        return {}
