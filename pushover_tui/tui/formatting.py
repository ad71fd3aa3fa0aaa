"""Wording shared by the screens."""

from __future__ import annotations


def duration(seconds: int) -> str:
    """60 -> '1 min', 3600 -> '1 h', 5400 -> '1 h 30 min', 45 -> '45 s'."""
    hours, rest = divmod(max(0, seconds), 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours} h" if hours else "", f"{minutes} min" if minutes else ""]
    parts.append(f"{secs} s" if secs or not (hours or minutes) else "")
    return " ".join(part for part in parts if part)
