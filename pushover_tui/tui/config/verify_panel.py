"""The Verification panel of the Config screen, and the pure report it shows: the API's verdict on
the keys (devices and licenses), or why not (bad token, bad user key, no devices) and what to do."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Button, LoadingIndicator, Static

from pushover_tui.api.checks import Problem
from pushover_tui.api.errors import (
    APIError,
    FieldProblemsError,
    PushoverError,
    QuotaExceededError,
    TemporaryError,
    UnexpectedResponseError,
)
from pushover_tui.api.models import UserCheck
from pushover_tui.tui.wording import quota_reset


def idle_report(verified: bool | None) -> Content:
    if verified:
        return Content.from_markup(
            "[$success]✓ Keys verified at start-up.[/]\nPress Verify to list the devices."
        )
    return Content("Not checked yet.\nPress Verify to check the keys with Pushover.")


def loading_report() -> Content:
    return Content("Checking the keys with Pushover…")


def stopped_report() -> Content:
    return _part("The check stopped unexpectedly.")


def not_checked_report(problems: Sequence[Problem]) -> Content:
    texts = " ".join(p.text for p in problems)
    return _part("Not checked", f"Fix the highlighted fields first: {texts}")


def success_report(check: UserCheck, device: str, sounds: Mapping[str, str] | None) -> Content:
    lines = [
        Content.from_markup("[b $success]✓ The keys work[/]"),
        Content(""),
        Content.from_markup(
            "[b]$kind[/b] accepted with this app token.",
            kind="Group key" if check.group else "User key",
        ),
        Content.from_markup(
            "[b]Devices[/b]  $list", list=", ".join(check.devices) or "none listed"
        ),
        Content.from_markup(
            "[b]Licenses[/b] $list", list=", ".join(check.licenses) or "none listed"
        ),
    ]
    if device:
        lines.append(Content.from_markup("[b]Device[/b]   $device is valid", device=device))
    if sounds:
        lines.append(Content.from_markup("[b]Sounds[/b]   $count available", count=len(sounds)))
    return Content("\n").join(lines)


def _part(heading: str, text: str = "") -> Content:
    """A heading marked as a failure, and what to do under it."""
    title = Content.from_markup("[b $error]✗ $heading[/]", heading=heading)
    return Content("\n\n").join([title, Content(text)]) if text else title


def failure_report(error: PushoverError, device: str) -> tuple[Content, dict[str, Problem]]:
    """What went wrong and what to do, and the problem to show on each field it concerns."""
    field_problems: dict[str, Problem] = {}
    if isinstance(error, APIError):
        said = Content.from_markup(
            "Pushover says: [i]$reason[/i]", reason="; ".join(error.errors) or str(error)
        )
        parts: list[Content] = []
        if isinstance(error, QuotaExceededError):
            parts.append(_part("The account's monthly quota is used up"))
            parts.append(said)
            parts.append(Content(f"{quota_reset(error.reset)} Wait until then, or upgrade."))
            return Content("\n\n").join(parts), field_problems
        if "no active devices" in " ".join(error.errors).lower():
            parts.append(
                _part(
                    "No active devices",
                    "The user key is valid, but no device is logged in to Pushover. Install the "
                    "Pushover app on a phone or desktop, log in, then verify again.",
                )
            )
        elif "invalid" in error.fields.get("user", ""):
            parts.append(
                _part(
                    "User key rejected",
                    "Copy your user key from the top of your pushover.net dashboard (or use a "
                    "group key). It is not the app token.",
                )
            )
            field_problems["user"] = Problem("user", "Pushover does not know this key.")
        if "token" in error.fields:
            parts.insert(
                0,
                _part(
                    "App token rejected",
                    "Copy the API token from your application's page on pushover.net (Your "
                    "Applications), not your user key.",
                ),
            )
            field_problems["token"] = Problem(
                "token", "Pushover does not know this application token."
            )
        if "device" in error.fields:
            parts.append(
                _part(
                    "Unknown device",
                    f"This user has no device called {device!r}. Leave the device blank to "
                    "reach all devices, or use one of the names listed after a check without it.",
                )
            )
            field_problems["device"] = Problem(
                "device", "Not a device of this user: leave it blank or fix the name."
            )
        if not parts:
            parts.append(_part("Keys refused"))
        parts.append(said)
        return Content("\n\n").join(parts), field_problems
    if isinstance(error, TemporaryError | UnexpectedResponseError):
        detail = Content.from_markup("[dim]$error[/dim]", error=str(error))
        if error.answered:  # an error page (a 503 during maintenance): the network is fine
            title = "Pushover could not check the keys, try again."
            advice = Content(
                "Your keys were not checked: Pushover answered with an error. Press Verify "
                "again in a few minutes."
            )
        else:
            title = "Could not reach Pushover, try again."
            advice = Content(
                "Your keys were not checked. Check the network connection and press Verify "
                "again in a moment."
            )
        parts = [_part(title), detail, advice]
        return Content("\n\n").join(parts), field_problems
    if isinstance(error, FieldProblemsError):
        field_problems = {p.field: p for p in error.problems}
        text = " ".join(p.text for p in error.problems)
        return _part("Not checked", text), field_problems
    return _part("Not checked", str(error)), {}


class VerifyPanel(Vertical):
    """The verdict: idle, loading, ok or failed."""

    def __init__(self, key_label: Callable[[str], str], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.key_label = key_label

    def compose(self) -> ComposeResult:
        self.border_title = "Verification"
        yield LoadingIndicator(id="result-spinner")
        yield Static("", id="result-text")
        yield Button(f"Verify  {self.key_label('config.verify')}", id="verify", variant="primary")

    def show(self, state: str, report: Content) -> None:
        """`state`: "idle", "loading", "ok" or "failed" (the class the CSS styles)."""
        self.set_classes(f"-{state}")
        self.query_one("#result-text", Static).update(report)
        self.query_one("#verify", Button).disabled = state == "loading"
