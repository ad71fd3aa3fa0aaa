"""Glances, the Teams API, licenses and subscriptions: data, checks and the client's calls.

From shared/pushover-glances-teams-licensing.md. Every field is checked before anything is sent
(FieldProblemsError, nothing sent). The Teams calls take a Team API token, not an application
token: make a `PushoverClient(team_token)` for them. A team member's user key and a subscribed
user key are secrets like any other key."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from pushover_tui.api.checks import (
    Problem,
    check_group_device,
    check_key,
    check_length,
)
from pushover_tui.api.errors import FieldProblemsError, UnexpectedResponseError
from pushover_tui.api.models import int_or_none
from pushover_tui.api.secret import Secret

GLANCE_TEXT_MAX = 100
GLANCE_TEXTS = ("title", "text", "subtext")
# Pushover's advice (not enforced by the API): the watch complication takes 50 updates a day,
# and one every 20 minutes is the recommended pace.
GLANCE_MIN_GAP = 20 * 60
GLANCE_DAILY = 50
LICENSE_OS = ("Android", "iOS", "Desktop")
TEAM_TEXT_MAX = 100
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True)
class Glance:
    """What a watch complication shows: at least one field."""

    title: str = ""
    text: str = ""
    subtext: str = ""
    count: int | None = None  # may be negative
    percent: int | None = None  # 0 to 100
    device: str = ""

    def problems(self) -> list[Problem]:
        found: list[Problem] = []
        for name in GLANCE_TEXTS:
            found += check_length(name, getattr(self, name), GLANCE_TEXT_MAX, f"The {name}")
        if self.percent is not None and not 0 <= self.percent <= 100:
            found.append(Problem("percent", f"The percent must be 0 to 100, not {self.percent}."))
        found += check_group_device(self.device)
        if self.is_empty:
            found.append(
                Problem("glance", "Give at least one of title, text, subtext, count or percent.")
            )
        return found

    @property
    def is_empty(self) -> bool:
        texts = (self.title, self.text, self.subtext)
        return not any(texts) and self.count is None and self.percent is None

    def params(self) -> dict[str, Any]:
        """The fields sent, by their API names (numbers as numbers), as History keeps them."""
        fields: dict[str, Any] = {name: getattr(self, name) for name in (*GLANCE_TEXTS, "device")}
        numbers = {"count": self.count, "percent": self.percent}
        return {
            **{name: value for name, value in fields.items() if value},
            **{name: value for name, value in numbers.items() if value is not None},
        }

    def summary(self, *, title: bool = True) -> str:
        """Its fields as one line: `title 'Sales', count 3` (`title=False`: all but the title)."""
        names = GLANCE_TEXTS if title else GLANCE_TEXTS[1:]
        texts = [f"{name} {getattr(self, name)!r}" for name in names if getattr(self, name)]
        numbers = {"count": self.count, "percent": self.percent}
        return ", ".join(
            texts + [f"{name} {value}" for name, value in numbers.items() if value is not None]
        )

    def form(self) -> dict[str, str]:
        return {name: str(value) for name, value in self.params().items()}


@dataclass(frozen=True)
class TeamMember:
    name: str
    email: str
    administrator: bool
    devices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Team:
    name: str
    members: tuple[TeamMember, ...]

    @property
    def administrators(self) -> tuple[TeamMember, ...]:
        return tuple(member for member in self.members if member.administrator)


def check_email(email: str) -> list[Problem]:
    if _EMAIL.fullmatch(email) is None:
        return [Problem("email", f"{email[:60]!r} is not an e-mail address (name@example.com).")]
    return []


def check_license_os(os_name: str) -> list[Problem]:
    if os_name and os_name not in LICENSE_OS:
        return [Problem("os", f"The platform must be one of {', '.join(LICENSE_OS)}.")]
    return []


def _checked(problems: list[Problem]) -> None:
    if problems:
        raise FieldProblemsError(problems)


class _Calls(Protocol):
    async def _call(
        self,
        method: str,
        path: str,
        *,
        form: dict[str, str] | None = None,
        user: Secret | None = None,
        secrets: Mapping[str, Secret] | None = None,
        retries: int | None = None,
    ) -> tuple[dict[str, Any], Any]: ...


class BeyondMessages:
    """PushoverClient's calls for glances, teams, licenses and subscriptions."""

    async def send_glance(self: _Calls, user: Secret | str, glance: Glance) -> str:
        """POST glances.json; returns the request id."""
        key = Secret(user)
        _checked(check_key("user", key.reveal(), "user key") + glance.problems())
        body, _ = await self._call("POST", "/glances.json", form=glance.form(), user=key)
        return str(body.get("request", ""))

    async def team(self: _Calls) -> Team:
        """GET teams.json (a Team API token): the team and its members."""
        body, _ = await self._call("GET", "/teams.json")
        users = body.get("users")
        if not isinstance(users, list):
            raise UnexpectedResponseError(
                "teams.json answered without a user list", status_code=200
            )
        members = tuple(
            TeamMember(
                name=str(item.get("name") or ""),
                email=str(item.get("email") or ""),
                administrator=bool(item.get("administrator")),
                devices=tuple(str(d) for d in item.get("devices") or () if d),
            )
            for item in users
            if isinstance(item, dict)
        )
        return Team(str(body.get("name") or ""), members)

    async def add_team_member(
        self: _Calls,
        email: str,
        *,
        name: str = "",
        password: Secret | str | None = None,
        admin: bool = False,
        group: str = "",
        instant: bool = False,
    ) -> str:
        """POST teams/add_user.json; returns the request id. Without a password Pushover
        e-mails one; `instant` sends a 7-day Instant Login link instead."""
        _checked(
            check_email(email)
            + check_length("name", name, TEAM_TEXT_MAX, "The name")
            + check_length("group", group, TEAM_TEXT_MAX, "The group name")
        )
        form = {"email": email, "name": name, "group": group}
        form = {key: value for key, value in form.items() if value}
        form.update({flag: "true" for flag, on in (("admin", admin), ("instant", instant)) if on})
        secrets = {"password": Secret(password)} if password else {}
        body, _ = await self._call("POST", "/teams/add_user.json", form=form, secrets=secrets)
        return str(body.get("request", ""))

    async def remove_team_member(self: _Calls, email: str) -> str:
        _checked(check_email(email))
        body, _ = await self._call("POST", "/teams/remove_user.json", form={"email": email})
        return str(body.get("request", ""))

    async def license_credits(self: _Calls) -> int:
        body, _ = await self._call("GET", "/licenses.json")
        credits = int_or_none(body.get("credits"))
        if credits is None:
            raise UnexpectedResponseError("licenses.json answered without credits", status_code=200)
        return credits

    async def assign_license(
        self: _Calls, *, user: Secret | str | None = None, email: str = "", os_name: str = ""
    ) -> int | None:
        """POST licenses/assign.json for an existing user (key) or a new one (e-mail address);
        a credit cannot be refunded. Returns the credits left, when the answer says."""
        if (user is None) == (not email):
            _checked([Problem("user", "Give a user key or an e-mail address, one of them.")])
        key = Secret(user) if user is not None else None
        problems = check_license_os(os_name)
        problems += check_key("user", key.reveal(), "user key") if key else check_email(email)
        _checked(problems)
        form = {name: value for name, value in (("email", email), ("os", os_name)) if value}
        # Never retried: a credit spent by an attempt whose answer was lost cannot be refunded.
        body, _ = await self._call("POST", "/licenses/assign.json", form=form, user=key, retries=0)
        return int_or_none(body.get("credits"))

    async def migrate_subscription(
        self: _Calls, code: str, user: Secret | str, *, device: str = "", sound: str = ""
    ) -> Secret:
        """POST subscriptions/migrate.json: the subscribed user key to use from then on."""
        key = Secret(user)
        problems = [] if code.strip() else [Problem("code", "The subscription code is blank.")]
        _checked(
            problems + check_key("user", key.reveal(), "user key") + check_group_device(device)
        )
        form = {"subscription": code.strip(), "device_name": device, "sound": sound}
        form = {name: value for name, value in form.items() if value}
        body, _ = await self._call("POST", "/subscriptions/migrate.json", form=form, user=key)
        subscribed = body.get("subscribed_user_key")
        if not isinstance(subscribed, str) or not subscribed:
            raise UnexpectedResponseError(
                "migrate.json answered without a subscribed key", status_code=200
            )
        return Secret(subscribed)
