"""The Compose screen's components (built after the first frame; what every component is, and
the wording the screen needs before, is in compose/component.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from textual.app import ComposeResult
from textual.widgets import Button, Input, Label, RadioSet, Select, Static

from pushover_tui.api.checks import EXPIRE_MAX, RETRY_MIN
from pushover_tui.store.config import Profile
from pushover_tui.tui.compose.component import QUIET_CHANGES, DraftComponent
from pushover_tui.tui.compose.draft import Draft
from pushover_tui.tui.widgets.choices import emergency_summary, priority_options, sound_options
from pushover_tui.tui.widgets.field_row import FieldRow
from pushover_tui.tui.widgets.toggles import MarkedRadioButton

FORMAT_LABELS = (("plain", "Plain"), ("html", "HTML"), ("monospace", "Monospace"))
# The options' programmatic changes: the format's radio set posts too.
OPTION_CHANGES = (*QUIET_CHANGES, RadioSet.Changed)


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
        with self.prevent(*OPTION_CHANGES):
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
        with self.prevent(*OPTION_CHANGES):
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
