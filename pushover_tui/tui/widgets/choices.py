"""The choices and wording Compose and Config share: priority and sound options, the priority
hint, the emergency summary and seconds parsing. Pure functions, no widgets."""

from __future__ import annotations

from collections.abc import Mapping

from textual.content import Content

from pushover_tui.api.checks import EXPIRE_MAX, MAX_REPEATS, RETRY_MIN, Problem, emergency_repeats
from pushover_tui.api.models import Priority
from pushover_tui.safe_text import escape_controls

DEFAULT_SOUND = "Device default (the user's choice)"


def priority_options() -> list[tuple[str, int]]:
    return [(f"{priority.label} ({int(priority)})", int(priority)) for priority in Priority]


def known_priority(value: object) -> int:
    """`value` when it is a priority the API knows, else normal (0)."""
    if isinstance(value, int) and value in tuple(Priority):
        return int(value)
    return int(Priority.NORMAL)


def priority_hint(priority: int) -> str:
    meaning = Priority(known_priority(priority)).meaning
    return f"{meaning[0].upper()}{meaning[1:]}."


def sound_label(name: str, description: str) -> str:
    """The name (what the config and the command line take) with the description when it says
    more: "pushover — Pushover (default)", "cashregister — Cash Register", "bike"."""
    if not description or description.lower() == name.lower():
        return name
    return f"{name} — {description}"


def sound_options(sounds: Mapping[str, str], current: str = "") -> list[tuple[Content, str]]:
    """(label, name) per sound, and the current choice even when the list lacks it. The blank
    choice (the user's default sound) is the Select's prompt. Labels are Content, not strings a
    Select would parse as markup: an app's own sounds are named by whoever uploaded them."""
    labels = [(sound_label(name, description), name) for name, description in sounds.items()]
    if current and current not in sounds:
        labels.append((f"{current} (not in the app's list)", current))
    return [(Content(escape_controls(label)), name) for label, name in labels]


def split_devices(text: str) -> list[str]:
    """The device names of a device field as typed ("iphone, pixel"): commas, no blanks."""
    return [name for name in text.replace(" ", "").split(",") if name]


def parse_seconds(field: str, text: str, label: str) -> tuple[int | None, list[Problem]]:
    """A whole number of seconds typed into `field`; None when blank."""
    text = text.strip()
    if not text:
        return None, []
    try:
        return int(text), []
    except ValueError:
        return None, [Problem(field, f"{label} must be a whole number of seconds.")]


def duration(seconds: int) -> str:
    """60 -> '1 min', 3600 -> '1 h', 5400 -> '1 h 30 min', 45 -> '45 s'."""
    hours, rest = divmod(max(0, seconds), 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours} h" if hours else "", f"{minutes} min" if minutes else ""]
    parts.append(f"{secs} s" if secs or not (hours or minutes) else "")
    return " ".join(part for part in parts if part)


def emergency_summary(retry: int | None, expire: int | None) -> str:
    """What an emergency with these settings does, or what the two settings mean."""
    if retry is not None and expire is not None and retry >= RETRY_MIN and 0 < expire <= EXPIRE_MAX:
        repeats = emergency_repeats(retry, expire)
        if repeats == 0:
            return f"Sent once, no repeat: expire ({duration(expire)}) ends before the first retry."
        return (
            f"Repeats every {duration(retry)} for up to {duration(expire)} until "
            f"acknowledged: {repeats} time{'s' if repeats != 1 else ''} at most "
            f"(Pushover stops after {MAX_REPEATS})."
        )
    return (
        f"Retry: seconds between repeats, at least {RETRY_MIN}. Expire: how long to "
        f"keep repeating, at most {EXPIRE_MAX:,} s (3 h)."
    )
