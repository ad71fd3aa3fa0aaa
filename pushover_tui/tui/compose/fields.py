"""The Compose screen's components. Each shows some fields of the Draft: `load(draft)` puts the
draft's values in its widgets (quietly: no Changed events, so nothing counts as an edit) and
`to_draft(draft)` returns the draft with its widgets' values. The screen owns the Draft.

Also the quiet line each field shows when nothing is wrong (`field_hint`): pure wording.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Button, Input, Label, RadioSet, Select, Static

from pushover_tui.api.checks import (
    EXPIRE_MAX,
    MESSAGE_MAX,
    RETRY_MIN,
    TITLE_MAX,
    URL_MAX,
    URL_TITLE_MAX,
)
from pushover_tui.api.models import Attachment
from pushover_tui.store.config import Profile
from pushover_tui.tui.compose.draft import Draft, parse_timestamp
from pushover_tui.tui.widgets.choices import (
    emergency_summary,
    priority_hint,
    priority_options,
    sound_options,
)
from pushover_tui.tui.widgets.field_row import FieldRow
from pushover_tui.tui.widgets.toggles import MarkedRadioButton

# Character limits with a live counter: field -> limit.
LIMITS: Mapping[str, int] = {
    "message": MESSAGE_MAX,
    "title": TITLE_MAX,
    "url": URL_MAX,
    "url_title": URL_TITLE_MAX,
}
FORMAT_LABELS = (("plain", "Plain"), ("html", "HTML"), ("monospace", "Monospace"))
# What a component's programmatic changes post; the message box adds TextArea.Changed.
QUIET_CHANGES = (Input.Changed, Select.Changed, RadioSet.Changed)


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


class DetailFields(DraftComponent):
    """Title, URL, URL title and the image attachment."""

    FIELDS = ("title", "url", "url_title", "attachment")

    def compose(self) -> ComposeResult:
        for field, label, placeholder in (
            ("title", "Title", "app name if blank"),
            ("url", "URL", "https://… opened from the message"),
            ("url_title", "URL title", "text shown for the URL"),
        ):
            yield FieldRow(
                field, label, self.text_input(field, placeholder), counter=True, classes="-gap"
            )
        yield FieldRow(
            "attachment",
            "Image",
            self.text_input("attachment", "path to an image file, ≤ 5 MiB"),
            classes="-gap",
        )


class EmergencyBox(DraftComponent):
    """Retry, expire, tags and callback, and what they add up to: shown at priority 2 only."""

    FIELDS = ("retry", "expire", "tags", "callback")

    def compose(self) -> ComposeResult:
        self.border_title = "Emergency"
        yield FieldRow(
            "retry",
            "Retry",
            self.text_input("retry", "profile default"),
            Label(f"s (≥ {RETRY_MIN})", classes="unit"),
        )
        yield FieldRow(
            "expire",
            "Expire",
            self.text_input("expire", "profile default"),
            Label(f"s (≤ {EXPIRE_MAX:,})", classes="unit"),
        )
        yield FieldRow(
            "tags", "Tags", self.text_input("tags", "comma-separated, for cancel by tag")
        )
        yield FieldRow(
            "callback", "Callback", self.text_input("callback", "URL called on acknowledgement")
        )
        yield Static("", id="emergency-summary", markup=False)

    def show_summary(self, draft: Draft, profile: Profile) -> None:
        retry, expire = draft.seconds("retry"), draft.seconds("expire")
        summary = emergency_summary(
            profile.retry if retry is None else retry, profile.expire if expire is None else expire
        )
        self.query_one("#emergency-summary", Static).update(summary)


class OptionFields(DraftComponent):
    """Priority (with the Emergency box under it), sound, device, format, TTL and time."""

    FIELDS = ("device", "ttl", "timestamp")

    def __init__(self, draft: Draft, *, sounds: Mapping[str, str], profile: Profile) -> None:
        super().__init__(draft)
        self.sounds = sounds
        self.profile = profile

    def compose(self) -> ComposeResult:
        draft = self.initial
        priority = Select(
            priority_options(), value=draft.priority, id="priority", allow_blank=False, compact=True
        )
        yield FieldRow("priority", "Priority", priority, classes="-gap")
        yield EmergencyBox(draft, id="emergency")
        options = sound_options(self.sounds, draft.sound)
        sound = Select[str](options, value=draft.sound or Select.NULL, id="sound", compact=True)
        yield FieldRow("sound", "Sound", sound, classes="-gap")
        # "Pick…" offers the devices the keys' verification listed (see set_devices).
        pick = Button("Pick…", id="device-pick", compact=True, tooltip="choose verified devices")
        pick.display = False
        yield FieldRow("device", "Device", self.text_input("device", ""), pick, classes="-gap")
        buttons = [
            MarkedRadioButton(label, value=name == draft.format, id=f"format-{name}")
            for name, label in FORMAT_LABELS
        ]
        yield FieldRow("format", "Format", RadioSet(*buttons, id="format"), classes="-gap")
        yield FieldRow(
            "ttl",
            "TTL",
            self.text_input("ttl", "seconds until deleted"),
            Label("s", classes="unit"),
            classes="-gap",
        )
        yield FieldRow(
            "timestamp", "Time", self.text_input("timestamp", "Unix time or 2026-05-01 14:30")
        )

    def on_mount(self) -> None:
        self.set_profile(self.profile)

    def load(self, draft: Draft) -> None:
        super().load(draft)
        with self.prevent(*QUIET_CHANGES):
            self.query_one("#priority", Select).value = draft.priority
            self._select_sound(draft.sound)
            self.query_one(f"#format-{draft.format}", MarkedRadioButton).value = True

    def to_draft(self, draft: Draft) -> Draft:
        draft = super().to_draft(draft)
        priority = self.query_one("#priority", Select).value
        sound = self.query_one("#sound", Select)
        pressed = self.query_one("#format", RadioSet).pressed_button
        return replace(
            draft,
            priority=priority if isinstance(priority, int) else draft.priority,
            sound="" if sound.is_blank() else str(sound.value),
            format=(pressed.id or "format-plain").removeprefix("format-") if pressed else "plain",
        )

    def set_sounds(self, sounds: Mapping[str, str], current: str) -> None:
        """The app's sound list; the current choice stays chosen (even one not listed)."""
        with self.prevent(*QUIET_CHANGES):
            self.query_one("#sound", Select).set_options(sound_options(sounds, current))
            self._select_sound(current)

    def _select_sound(self, sound: str) -> None:
        select = self.query_one("#sound", Select)
        if sound:
            select.value = sound
        else:
            select.clear()

    def set_devices(self, devices: tuple[str, ...] | None) -> None:
        """The user's devices, once a verification listed them: "Pick…" offers them."""
        self.query_one("#device-pick", Button).display = bool(devices)

    def set_profile(self, profile: Profile) -> None:
        """What a blank sound or device means with this profile."""
        self.query_one("#sound", Select).prompt = (
            f"Profile default ({profile.sound})" if profile.sound else "Device default"
        )
        # Short enough for the narrowest column (120x40 shows two): a placeholder is cut, not
        # wrapped.
        self.query_one("#device", Input).placeholder = (
            f"default: {profile.device}" if profile.device else "blank = all devices"
        )


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
