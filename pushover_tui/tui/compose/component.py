"""What every Compose component is (`DraftComponent`), and the wording and limits the screen
needs before any component is built (the components themselves, compose/fields.py, are imported
with the first of them, after the first frame).

A component shows some fields of the Draft: `load(draft)` puts the draft's values in its widgets
(quietly: no Changed events, so nothing counts as an edit) and `to_draft(draft)` returns the draft
with its widgets' values. The screen owns the Draft. `field_hint` is the quiet line each field
shows when nothing is wrong: pure wording.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from textual.containers import Vertical
from textual.widgets import Input, Select

from pushover_tui.api.checks import MESSAGE_MAX, TITLE_MAX, URL_MAX, URL_TITLE_MAX
from pushover_tui.api.models import Attachment
from pushover_tui.store.config import Profile
from pushover_tui.tui.compose.draft import Draft, parse_timestamp
from pushover_tui.tui.widgets.choices import priority_hint

# Character limits with a live counter: field -> limit.
LIMITS: Mapping[str, int] = {
    "message": MESSAGE_MAX,
    "title": TITLE_MAX,
    "url": URL_MAX,
    "url_title": URL_TITLE_MAX,
}
# What a component's programmatic changes post; the message box adds TextArea.Changed, the
# options RadioSet.Changed.
QUIET_CHANGES = (Input.Changed, Select.Changed)


class DraftComponent(Vertical):
    """Some fields of the draft. Text inputs' ids are the draft's field names.

    Built showing `draft`: the Changed events its controls post when they mount then leave the
    draft as it is, and the screen takes no edit from them."""

    DEFAULT_CSS = "DraftComponent { height: auto; }"

    FIELDS: tuple[str, ...] = ()

    def __init__(self, draft: Draft, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.initial = draft

    def text_input(self, field: str, placeholder: str) -> Input:
        value = getattr(self.initial, field)
        return Input(value, placeholder=placeholder, id=field, compact=True)

    def load(self, draft: Draft) -> None:
        with self.prevent(*QUIET_CHANGES):
            for field in self.FIELDS:
                self.query_one(f"#{field}", Input).value = getattr(draft, field)

    def to_draft(self, draft: Draft) -> Draft:
        values = {field: self.query_one(f"#{field}", Input).value for field in self.FIELDS}
        return replace(draft, **values)

    # What some components show besides the draft's fields: the screen tells every component,
    # and those that show it override these.

    def set_profile(self, profile: Profile) -> None:
        """What a blank field means with this profile."""

    def set_sounds(self, sounds: Mapping[str, str], current: str) -> None:
        """The app's sound list; the current choice stays chosen (even one not listed)."""

    def set_devices(self, devices: tuple[str, ...] | None) -> None:
        """The user's devices, once a verification listed them."""

    def show_summary(self, draft: Draft, profile: Profile) -> None:
        """What the fields add up to."""


def field_hint(draft: Draft, field: str) -> str:
    """The quiet line under a field that has nothing wrong ("" for none)."""
    if field == "attachment" and draft.attachment.strip():
        attachment = Attachment.from_path(draft.attachment.strip())
        try:
            size = attachment.size()
        except OSError:
            return ""
        return f"{attachment.filename} · {attachment.content_type} · {_size(size)}"
    if field == "timestamp":
        timestamp, problems = parse_timestamp(draft.timestamp)
        if timestamp is not None and not problems:
            try:
                shown = datetime.fromtimestamp(timestamp)
            except (OverflowError, OSError, ValueError):
                return ""
            return f"Shown as sent at {shown:%Y-%m-%d %H:%M} (local time)."
    if field == "priority":
        return priority_hint(draft.priority)
    if field == "format":
        return {
            "plain": "",
            "html": 'HTML: <b> <i> <u> <font color="#rrggbb"> <a href="…">.',
            "monospace": "Monospace: shown in a fixed-width font.",
        }[draft.format]
    return ""


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / 1024 / 1024:.2f} MiB"
