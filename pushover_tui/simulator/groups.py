"""Delivery groups in the simulator: state and the Groups API endpoints, without any HTTP.

Written from shared/pushover-groups.md. Invariants:
- A group is seen and changed only with the app token that owns it (each simulated app is its own
  account); an unknown group and another account's group get the same not-found error.
- A group key is a recipient like a user key (it is registered among the users with `group`
  set), so any app may send to it and validate it.
- `Groups.recipients` is the one place that says who receives a message sent to a `user` field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, MutableMapping, Sequence
from dataclasses import dataclass, replace

from pushover_tui.simulator.models import UserInfo
from pushover_tui.simulator.validation import (
    DEVICE_RE,
    FieldError,
    check_token,
    is_key,
    optional,
    random_text,
    split_list,
)

MAX_MEMO = 200  # documented by two libraries; a group name's limit is not documented at all

GROUP_NOT_FOUND = FieldError(
    "group", "not found", "group not found or you are not authorized to edit it"
)
USER_INVALID = FieldError("user", "invalid", "user key is invalid")
NOT_A_MEMBER = FieldError("user", "not a member", "user is not a member of this group")
ALREADY_A_MEMBER = FieldError("user", "already a member", "user is already a member of this group")
NAME_BLANK = FieldError("name", "cannot be blank", "name cannot be blank")
DEVICE_INVALID = FieldError("device", "is invalid", "device name is invalid")
MEMO_TOO_LONG = FieldError(
    "memo", f"is too long, must be {MAX_MEMO} characters or fewer", "memo is too long"
)


# An endpoint's answer: the success fields, or what was wrong.
Answer = dict[str, object] | list[FieldError]
Endpoint = Callable[..., Answer]  # (request values, *path parts) -> Answer


@dataclass(frozen=True)
class Member:
    """One membership: a user bound to one device (or to all, None)."""

    user: str
    device: str | None = None
    memo: str = ""
    disabled: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "user": self.user,
            "device": self.device,
            "memo": self.memo,
            "disabled": self.disabled,
        }


@dataclass(frozen=True)
class Group:
    key: str
    owner: str  # the app token of the owning account
    name: str
    members: tuple[Member, ...] = ()


def masked(key: str) -> str:
    """A key as the message log shows it: its first 4 characters, then dots."""
    return key[:4] + "•" * (len(key) - 4)


class Groups:
    """Every group, keyed by group key. Callers hold the engine's lock."""

    def __init__(self, apps: Container[str], users: MutableMapping[str, UserInfo]) -> None:
        self.apps = apps
        self.users = users  # shared with the engine: members must be users; groups join them
        self.groups: dict[str, Group] = {}

    # ---- configuration and delivery ------------------------------------------------------
    def add(
        self, name: str, owner: str, members: Sequence[Member] = (), *, key: str | None = None
    ) -> str:
        """A new group (for demos and tests); returns its key."""
        if key is not None and not is_key(key):
            raise ValueError("a group key is 30 characters of [A-Za-z0-9]")
        for member in members:
            if member.user not in self.users or self.users[member.user].group:
                raise ValueError("every member must be a known user key")
        key = key or self._new_key()
        self.groups[key] = Group(key, owner, name, tuple(members))
        self.users[key] = UserInfo(key, (), True, ())
        return key

    def recipients(self, field: str) -> list[tuple[str, str | None]]:
        """Who receives a message whose `user` field is `field`: (user key, device or None).

        A user key is its own recipient (None: the message's own `device` field applies); a
        group key gives its enabled members, each with its device binding. A user reached on
        all devices is not listed again for one of them; no pair appears twice."""
        pairs: list[tuple[str, str | None]] = []
        for key in split_list(field):
            group = self.groups.get(key)
            if group is None:
                pairs.append((key, None))
            else:
                pairs += [(m.user, m.device) for m in group.members if not m.disabled]
        everywhere = {user for user, device in pairs if device is None}
        found: list[tuple[str, str | None]] = []
        for user, device in pairs:
            if (user, device) not in found and (device is None or user not in everywhere):
                found.append((user, device))
        return found

    def routes(self) -> tuple[tuple[re.Pattern[str], str, Endpoint], ...]:
        member = r"/1/groups/([^/]+)/({})\.json"
        return (
            (re.compile(r"/1/groups\.json"), "GET", self._list),
            (re.compile(r"/1/groups\.json"), "POST", self._create),
            (re.compile(r"/1/groups/([^/]+)\.json"), "GET", self._show),
            # remove_user.json is the current name; older clients call delete_user.json.
            (re.compile(member.format("add_user")), "POST", self._add_user),
            (re.compile(member.format("remove_user|delete_user")), "POST", self._remove_user),
            (re.compile(member.format("disable_user|enable_user")), "POST", self._set_disabled),
            (re.compile(r"/1/groups/([^/]+)/rename\.json"), "POST", self._rename),
        )

    # ---- endpoints -------------------------------------------------------------------------
    def _list(self, values: dict[str, str]) -> Answer:
        if (error := check_token(values, self.apps)) is not None:
            return [error]
        token = values["token"].strip()
        owned = [g for g in self.groups.values() if g.owner == token]
        return {"groups": [{"group": g.key, "name": g.name} for g in owned]}

    def _create(self, values: dict[str, str]) -> Answer:
        if (error := check_token(values, self.apps)) is not None:
            return [error]
        name = optional(values, "name")
        if name is None:
            return [NAME_BLANK]
        return {"group": self.add(name.strip(), values["token"].strip())}

    def _show(self, values: dict[str, str], key: str) -> Answer:
        group = self._owned(values, key)
        if isinstance(group, list):
            return group
        return {"name": group.name, "users": [member.as_dict() for member in group.members]}

    def _add_user(self, values: dict[str, str], key: str, _action: str) -> Answer:
        group = self._owned(values, key)
        if isinstance(group, list):
            return group
        errors: list[FieldError] = []
        user = values.get("user", "").strip()
        if not is_key(user) or user not in self.users or self.users[user].group:
            errors.append(USER_INVALID)
        device = optional(values, "device")
        if device is not None and DEVICE_RE.fullmatch(device.strip()) is None:
            errors.append(DEVICE_INVALID)
        memo = values.get("memo") or ""
        if len(memo) > MAX_MEMO:
            errors.append(MEMO_TOO_LONG)
        if errors:
            return errors
        device = device.strip() if device is not None else None
        if any(m.user == user and m.device == device for m in group.members):
            return [ALREADY_A_MEMBER]  # not a no-op: the same binding twice is refused
        self._store(group, (*group.members, Member(user, device, memo)))
        return {}

    def _remove_user(self, values: dict[str, str], key: str, _action: str) -> Answer:
        found = self._bindings(values, key)
        if isinstance(found, list):
            return found
        group, chosen = found
        self._store(group, tuple(m for m in group.members if m not in chosen))
        return {}

    def _set_disabled(self, values: dict[str, str], key: str, action: str) -> Answer:
        found = self._bindings(values, key)
        if isinstance(found, list):
            return found
        group, chosen = found
        disabled = action == "disable_user"
        members = tuple(replace(m, disabled=disabled) if m in chosen else m for m in group.members)
        self._store(group, members)
        return {}

    def _rename(self, values: dict[str, str], key: str) -> Answer:
        group = self._owned(values, key)
        if isinstance(group, list):
            return group
        name = optional(values, "name")
        if name is None:
            return [NAME_BLANK]
        self.groups[group.key] = replace(group, name=name.strip())
        return {}

    # ---- helpers ---------------------------------------------------------------------------
    def _owned(self, values: dict[str, str], key: str) -> Group | list[FieldError]:
        if (error := check_token(values, self.apps)) is not None:
            return [error]
        group = self.groups.get(key)
        if group is None or group.owner != values["token"].strip():
            return [GROUP_NOT_FOUND]  # another account's group is as unknown as a made-up one
        return group

    def _bindings(
        self, values: dict[str, str], key: str
    ) -> tuple[Group, tuple[Member, ...]] | list[FieldError]:
        """The memberships a remove/disable/enable acts on: the user's binding to `device`,
        or every binding of the user when no device is given."""
        group = self._owned(values, key)
        if isinstance(group, list):
            return group
        user = values.get("user", "").strip()
        if not is_key(user):
            return [USER_INVALID]
        device = optional(values, "device")
        chosen = tuple(
            m
            for m in group.members
            if m.user == user and (device is None or m.device == device.strip())
        )
        return (group, chosen) if chosen else [NOT_A_MEMBER]

    def _store(self, group: Group, members: tuple[Member, ...]) -> None:
        self.groups[group.key] = replace(group, members=members)

    def _new_key(self) -> str:
        while True:
            # Documented example group keys start with "g" (a habit, not a rule).
            key = "g" + random_text(29)
            if key not in self.users and key not in self.apps:
                return key
