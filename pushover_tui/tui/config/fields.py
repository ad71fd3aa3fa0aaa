"""The Config screen's components: the key fields and the sending defaults. Each is built
showing the screen's ProfileForm (the Changed events its controls post as they mount then
change nothing); the screen takes edits back into the form."""

from __future__ import annotations

from collections.abc import Mapping

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select, Static

from pushover_tui.tui.config.form import ProfileForm
from pushover_tui.tui.widgets.choices import DEFAULT_SOUND, priority_options, sound_options
from pushover_tui.tui.widgets.field_row import FieldRow


class KeyFields(Vertical):
    """The app token (with the Show/Hide button) and the user or group key."""

    DEFAULT_CSS = "KeyFields { height: auto; }"

    def __init__(
        self, form: ProfileForm, *, revealed: bool, read_only: set[str], reveal_key: str
    ) -> None:
        super().__init__()
        self.form = form
        self.revealed = revealed
        self.read_only = read_only
        self.reveal_key = reveal_key

    def compose(self) -> ComposeResult:
        reveal = Button(
            "Hide" if self.revealed else "Show",
            id="reveal",
            tooltip=f"Show or hide the keys ({self.reveal_key})",
        )
        for field, label in (("token", "App token"), ("user", "User/group key")):
            control = Input(
                getattr(self.form, field),
                password=not self.revealed,
                id=field,
                placeholder="30 letters and digits",
                disabled=field in self.read_only,
            )
            beside = (reveal,) if field == "token" else ()
            yield FieldRow(field, label, control, *beside, source=True)


class DefaultsFields(Vertical):
    """Priority, retry, expire, sound and device, then Save and Revert. Built showing `form`
    (the Changed events its controls post as they mount then change nothing)."""

    def __init__(self, form: ProfileForm, sounds: Mapping[str, str]) -> None:
        super().__init__()
        self.form = form
        self.sounds = sounds

    def compose(self) -> ComposeResult:
        form = self.form
        priority = Select[int](
            priority_options(), value=form.priority, id="priority", allow_blank=False
        )
        yield FieldRow("priority", "Priority", priority, source=True)
        for field, label, unit, placeholder in (
            ("retry", "Retry", "seconds between repeats", "60"),
            ("expire", "Expire", "seconds of repeating", "3600"),
        ):
            control = Input(
                getattr(form, field),
                id=field,
                restrict=r"[0-9]*",
                max_length=6,
                placeholder=placeholder,
            )
            yield FieldRow(field, label, control, Label(unit, classes="unit"), source=True)
        sound = Select[str](
            sound_options(self.sounds, form.sound),
            value=form.sound or Select.NULL,
            id="sound",
            prompt=DEFAULT_SOUND,
        )
        yield FieldRow("sound", "Sound", sound, source=True)
        device = Input(form.device, id="device", placeholder="blank = all devices")
        # "Pick…" offers the devices a verification listed (the screen shows it then).
        pick = Button("Pick…", id="device-pick", tooltip="choose verified devices")
        pick.display = False
        yield FieldRow("device", "Device", device, pick, source=True)
        with Horizontal(id="actions"):
            yield Button("Save", id="save", variant="success")
            yield Button("Revert", id="revert", tooltip="Discard unsaved changes")
            yield Static("", id="dirty-note")
