"""Glances, licenses and subscriptions in the simulator: the application-token calls beyond
messages and groups, without any HTTP.

Written from shared/pushover-glances-teams-licensing.md. Chosen here where the docs are silent
(unverified; the README's leniency table lists them): a glance costs no quota and needs no
registered widget; the error wordings for no credits left, an unknown subscription code, and
a glance with nothing in it."""

from __future__ import annotations

import re
from collections.abc import Callable, Container, MutableMapping
from dataclasses import dataclass, replace

from pushover_tui.simulator.groups import Answer, Endpoint
from pushover_tui.simulator.models import UserInfo
from pushover_tui.simulator.teams import EMAIL_INVALID, EMAIL_RE
from pushover_tui.simulator.validation import (
    DEVICE_RE,
    FieldError,
    check_token,
    is_key,
    optional,
    parse_int,
    random_text,
)

MAX_GLANCE_TEXT = 100
GLANCE_TEXTS = ("title", "text", "subtext")
LICENSE_OS = ("Android", "iOS", "Desktop")
USER_INVALID = FieldError("user", "invalid", "user identifier is invalid")
DEVICE_INVALID = FieldError("device", "invalid", "device name is invalid")
NO_CREDITS = FieldError("credits", "none left", "no license credits remaining")
SUBSCRIPTION_INVALID = FieldError("subscription", "invalid", "subscription code is invalid")


@dataclass(frozen=True)
class Subscription:
    code: str
    token: str  # the app whose subscription this is
    migrated: tuple[tuple[str, str], ...] = ()  # (user key, subscribed user key)


class AppExtras:
    """Glances sent, license credits and subscription codes. Callers hold the engine's lock."""

    def __init__(
        self,
        apps: Container[str],
        users: MutableMapping[str, UserInfo],
        sounds: Container[str],
        clock: Callable[[], float],
    ) -> None:
        self.apps = apps
        self.users = users
        self.sounds = sounds
        self._clock = clock
        self.glances: list[dict[str, object]] = []
        self.credits = 0
        self.subscriptions: dict[str, Subscription] = {}

    def add_subscription(self, code: str, token: str) -> None:
        if not code.strip():
            raise ValueError("a subscription code cannot be blank")
        self.subscriptions[code] = Subscription(code, token)

    def routes(self) -> tuple[tuple[re.Pattern[str], str, Endpoint], ...]:
        return (
            (re.compile(r"/1/glances\.json"), "POST", self._glance),
            (re.compile(r"/1/licenses\.json"), "GET", self._credits),
            (re.compile(r"/1/licenses/assign\.json"), "POST", self._assign),
            (re.compile(r"/1/subscriptions/migrate\.json"), "POST", self._migrate),
        )

    # ---- glances ---------------------------------------------------------------------------
    def _glance(self, values: dict[str, str]) -> Answer:
        if (error := check_token(values, self.apps)) is not None:
            return [error]
        errors: list[FieldError] = []
        user = values.get("user", "").strip()
        if not is_key(user) or user not in self.users:
            errors.append(USER_INVALID)
        device = optional(values, "device")
        if device is not None and DEVICE_RE.fullmatch(device.strip()) is None:
            errors.append(DEVICE_INVALID)
        glance: dict[str, object] = {}
        for name in GLANCE_TEXTS:
            text = optional(values, name)
            if text is not None and len(text) > MAX_GLANCE_TEXT:
                sentence = f"{name} is too long, must be {MAX_GLANCE_TEXT} characters or fewer"
                errors.append(FieldError(name, "is too long", sentence))
            elif text is not None:
                glance[name] = text
        for name, low, high in (("count", None, None), ("percent", 0, 100)):
            text = optional(values, name)
            if text is None:
                continue
            number = parse_int(text)
            if number is None or (low is not None and not low <= number <= (high or 0)):
                rule = "an integer" if low is None else f"an integer from {low} to {high}"
                errors.append(FieldError(name, "invalid", f"{name} must be {rule}"))
            else:
                glance[name] = number
        if not errors and not glance:
            errors.append(
                FieldError(
                    None, "", "at least one of title, text, subtext, count or percent is required"
                )
            )
        if errors:
            return errors
        if device is not None:
            glance["device"] = device.strip()
        self.glances.append({**glance, "time": self._clock()})
        return {}

    # ---- licenses --------------------------------------------------------------------------
    def _credits(self, values: dict[str, str]) -> Answer:
        if (error := check_token(values, self.apps)) is not None:
            return [error]
        return {"credits": self.credits}

    def _assign(self, values: dict[str, str]) -> Answer:
        if (error := check_token(values, self.apps)) is not None:
            return [error]
        user, email = optional(values, "user"), optional(values, "email")
        platform = optional(values, "os")
        errors: list[FieldError] = []
        if (user is None) == (email is None):
            errors.append(FieldError("user", "invalid", "give a user key or an email, not both"))
        elif user is not None and (
            not is_key(user.strip()) or self.users.get(user.strip(), _GROUP).group
        ):
            errors.append(USER_INVALID)
        elif email is not None and EMAIL_RE.fullmatch(email.strip()) is None:
            errors.append(EMAIL_INVALID)
        if platform is not None and platform.strip() not in LICENSE_OS:
            errors.append(FieldError("os", "invalid", f"os must be one of {', '.join(LICENSE_OS)}"))
        if errors:
            return errors
        if self.credits <= 0:
            return [NO_CREDITS]
        self.credits -= 1
        if user is not None:
            info = self.users[user.strip()]
            granted = (platform.strip(),) if platform is not None else LICENSE_OS
            licenses = info.licenses + tuple(p for p in granted if p not in info.licenses)
            self.users[info.key] = replace(info, licenses=licenses)
        return {"credits": self.credits}

    # ---- subscriptions ---------------------------------------------------------------------
    def _migrate(self, values: dict[str, str]) -> Answer:
        if (error := check_token(values, self.apps)) is not None:
            return [error]
        errors: list[FieldError] = []
        found = self.subscriptions.get(values.get("subscription", "").strip())
        if found is None or found.token != values["token"].strip():
            errors.append(SUBSCRIPTION_INVALID)
        user = values.get("user", "").strip()
        info = self.users.get(user) if is_key(user) else None
        if info is None or info.group:
            errors.append(USER_INVALID)
        device = optional(values, "device_name")
        if device is not None and (info is None or device.strip() not in info.devices):
            errors.append(FieldError("device_name", "invalid", "device name is not valid for user"))
        sound = optional(values, "sound")
        if sound is not None and sound.strip() not in self.sounds:
            errors.append(FieldError("sound", "invalid", "sound is invalid"))
        if errors or found is None or info is None:
            return errors
        for migrated_user, key in found.migrated:
            if migrated_user == user:
                return {"subscribed_user_key": key}
        key = random_text(30)
        # The subscribed key reaches the user's devices (the one chosen, if any).
        devices = (device.strip(),) if device is not None else info.devices
        self.users[key] = UserInfo(key, devices, False, info.licenses)
        migrated = (*found.migrated, (user, key))
        self.subscriptions[found.code] = replace(found, migrated=migrated)
        return {"subscribed_user_key": key}


_GROUP = UserInfo("", (), True, ())  # what an unknown key reads as: not a user
