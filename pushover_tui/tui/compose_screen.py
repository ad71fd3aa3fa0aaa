"""The Compose screen: write a notification with every option of messages.json and send it.

The form checks itself as you type with the same field checks the send pipeline uses, counts
characters against each limit, and shows the outcome of a send (request id, receipt, quota) or
the reason it failed right under the field concerned. The draft lives as long as the screen
(the mode keeps it alive), so switching screens never loses it.
"""

from __future__ import annotations

import time
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.css.query import NoMatches
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import (
    Button,
    Input,
    Label,
    LoadingIndicator,
    Select,
    Static,
)

from pushover_tui.api.checks import (
    EXPIRE_MAX,
    MAX_REPEATS,
    MESSAGE_MAX,
    RETRY_MIN,
    TITLE_MAX,
    URL_MAX,
    URL_TITLE_MAX,
    Problem,
    emergency_repeats,
    errors,
)
from pushover_tui.api.errors import (
    APIError,
    FieldProblemsError,
    NoCredentialsError,
    PushoverError,
    QuotaExceededError,
    TemporaryError,
)
from pushover_tui.api.models import BUILTIN_SOUNDS, Attachment, Message, Priority
from pushover_tui.outbox import apply_defaults
from pushover_tui.tui.app import FooterStandIn, StatusBar, mount_footer
from pushover_tui.tui.formatting import duration
from pushover_tui.tui.messages import ActionRequested

if TYPE_CHECKING:
    from textual.widgets import RadioSet, TextArea

    from pushover_tui.outbox import Sent
    from pushover_tui.tui.app import PushoverApp


CHECK_DELAY = 0.2  # seconds of quiet typing before the field checks run
NEW_CONFIRM_SECONDS = 4.0
MESSAGE_HINT = "What should the notification say? (required)"

# Character limits with a live counter: field -> limit.
LIMITS: dict[str, int] = {
    "message": MESSAGE_MAX,
    "title": TITLE_MAX,
    "url": URL_MAX,
    "url_title": URL_TITLE_MAX,
}

# Every field that has a note line under it (problems, warnings or a hint).
FIELDS = (
    "message",
    "title",
    "url",
    "url_title",
    "attachment",
    "priority",
    "retry",
    "expire",
    "tags",
    "callback",
    "sound",
    "device",
    "format",
    "ttl",
    "timestamp",
)
# Problem / API field names that land on another note.
FIELD_TARGETS = {
    "html": "format",
    "monospace": "format",
    "attachment_base64": "attachment",
    "attachment_type": "attachment",
    "token": "keys",
    "user": "keys",
}
# The first frame shows the message box, the buttons and the footer: the user can type at
# once. The other fields are built just after it (see ComposeScreen._build_form); until
# then their values live in ComposeScreen._pending.
DEFERRED_FIELDS = (
    "title",
    "url",
    "url_title",
    "attachment",
    "priority",
    "sound",
    "device",
    "format",
    "ttl",
    "timestamp",
)
# Fields inside the Emergency box: it is only shown at priority 2, so it is built last.
EMERGENCY_FIELDS = ("retry", "expire", "tags", "callback")
# Fields followed by a blank line (a margin under the field, or under its note when shown).
GAP_AFTER = frozenset(FIELDS) - {"retry", "expire", "tags", "callback", "timestamp"}
FORMATS = ("plain", "html", "monospace")
KEY_NAMES = {"token": "application token", "user": "user key"}


def _parse_seconds(field: str, text: str, label: str) -> tuple[int | None, list[Problem]]:
    text = text.strip()
    if not text:
        return None, []
    try:
        return int(text), []
    except ValueError:
        return None, [Problem(field, f"{label} must be a whole number of seconds.")]


def parse_timestamp(text: str) -> tuple[int | None, list[Problem]]:
    """A Unix time, or a local date and time such as 2026-05-01 14:30."""
    text = text.strip()
    if not text:
        return None, []
    if text.lstrip("-").isdigit():
        return int(text), []
    try:
        return int(datetime.fromisoformat(text).timestamp()), []
    except (ValueError, OverflowError, OSError):
        return None, [
            Problem("timestamp", "Give a Unix time or a local date like 2026-05-01 14:30.")
        ]


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / 1024 / 1024:.2f} MiB"


class ComposeScreen(Screen[None]):
    """Write and send a notification; F3."""

    DEFAULT_CSS = """
    ComposeScreen {
        layout: vertical;
    }
    ComposeScreen #compose-body {
        height: 1fr;
        layout: horizontal;
        padding: 1 1 0 1;
        scrollbar-size-vertical: 1;
    }
    ComposeScreen.-narrow #compose-body {
        layout: vertical;
    }
    ComposeScreen .column {
        width: 1fr;
        height: auto;
    }
    /* Until the fields are built (just after the first frame): their future height. */
    ComposeScreen #compose-left.-pending { min-height: 20; }
    ComposeScreen.-short #compose-left.-pending { min-height: 16; }
    ComposeScreen #compose-right.-pending { min-height: 12; }
    ComposeScreen #compose-left {
        margin-right: 2;
    }
    ComposeScreen.-narrow .column {
        width: 100%;
        margin-right: 0;
    }
    ComposeScreen .row {
        height: 1;
        width: 100%;
    }
    ComposeScreen .field-label {
        width: 10;
        color: $text-muted;
    }
    ComposeScreen .row Input, ComposeScreen .row Select {
        width: 1fr;
    }
    ComposeScreen .suffix {
        width: auto;
        min-width: 3;
        padding-left: 1;
        color: $text-muted;
    }
    ComposeScreen .counter {
        width: auto;
        min-width: 11;
        padding-left: 1;
        text-align: right;
        color: $text-muted;
    }
    ComposeScreen .counter.-near { color: $warning; }
    ComposeScreen .counter.-over { color: $error; text-style: bold; }
    ComposeScreen .note {
        width: 100%;
        height: auto;
        padding-left: 10;
        color: $text-muted;
        display: none;
    }
    ComposeScreen .note.-shown { display: block; }
    ComposeScreen .-gap { margin-bottom: 1; }
    ComposeScreen .-gap.-noted { margin-bottom: 0; }
    ComposeScreen .note.-error { color: $error; }
    ComposeScreen .note.-warning { color: $warning; }
    ComposeScreen #message-note { padding-left: 0; }
    ComposeScreen Input.-problem {
        background-tint: $error 25%;
    }
    ComposeScreen #message-head {
        height: 1;
    }
    ComposeScreen #message-head Label.title {
        width: 1fr;
        color: $text-muted;
    }
    ComposeScreen #message {
        height: 10;
        min-height: 5;
        border: tall $border-blurred;
        padding: 0 1;
    }
    ComposeScreen.-short #message { height: 6; }
    ComposeScreen #message:focus { border: tall $border; }
    /* The first frame's stand-in for the message box (see _message_fields). */
    ComposeScreen #message-placeholder {
        width: 1fr;
        height: 10;
        min-height: 5;
        border: tall $border;
        padding: 0 1;
        color: $foreground;
        background: $surface;
    }
    ComposeScreen.-short #message-placeholder { height: 6; }
    ComposeScreen #message-placeholder.-hint { color: $text 40%; }
    ComposeScreen #message.-problem { border: tall $error 60%; }
    ComposeScreen #emergency {
        height: auto;
        border: round $error 70%;
        border-title-color: $error;
        border-title-style: bold;
        padding: 0 1;
        margin-bottom: 1;
        display: none;
    }
    ComposeScreen.-emergency #emergency { display: block; }
    ComposeScreen #emergency .note { padding-left: 9; }
    ComposeScreen #emergency .field-label { width: 9; }
    ComposeScreen #emergency .suffix { width: 13; }
    ComposeScreen #emergency-summary { color: $text-muted; height: auto; }
    ComposeScreen #format {
        height: 1;
        width: 1fr;
        layout: horizontal;
        border: none;
        padding: 0;
        background: transparent;
    }
    ComposeScreen #format RadioButton {
        width: auto;
        padding: 0 2 0 0;
        background: transparent;
    }
    ComposeScreen #format-row { height: 1; }
    ComposeScreen #keys-note {
        margin: 0 1;
        padding: 0 1;
        background: $error 15%;
        color: $text;
        height: auto;
        display: none;
    }
    ComposeScreen #keys-note.-shown { display: block; }
    ComposeScreen #compose-actions {
        height: 3;
        padding: 0 1;
    }
    ComposeScreen #compose-actions Button { margin-right: 1; }
    /* The first frame's stand-ins for the buttons (Button's CSS is parsed after it). */
    ComposeScreen #compose-actions .button-placeholder {
        width: 16; height: 3; margin-right: 1;
        text-style: bold; color: $button-foreground; background: $surface;
        border-top: tall $surface-lighten-1; border-bottom: tall $surface-darken-1;
        content-align: center middle;
    }
    ComposeScreen #compose-actions .button-placeholder.-primary {
        color: $button-color-foreground; background: $primary;
        border-top: tall $primary-lighten-3; border-bottom: tall $primary-darken-3;
    }
    ComposeScreen.-short #compose-actions .button-placeholder {
        height: 1; border: none; margin-right: 2;
    }
    ComposeScreen.-short #compose-actions { height: 1; margin-bottom: 1; }
    ComposeScreen.-short #compose-actions Button { margin-right: 2; }
    ComposeScreen.-short #send-spinner, ComposeScreen.-short #actions-hint { height: 1; }
    ComposeScreen #send-spinner {
        width: 8;
        height: 3;
        display: none;
        background: transparent;
    }
    ComposeScreen.-sending #send-spinner { display: block; }
    ComposeScreen #actions-hint {
        width: 1fr;
        height: 3;
        content-align: right middle;
        color: $text-muted;
    }
    ComposeScreen #outcome {
        height: auto;
        max-height: 9;
        margin: 0 1;
        padding: 0 1;
        border: round $border-blurred;
        border-title-color: $text-muted;
    }
    ComposeScreen #outcome.-sending { border: round $primary; border-title-color: $primary; }
    ComposeScreen #outcome.-ok { border: round $success; border-title-color: $success; }
    ComposeScreen #outcome.-failed { border: round $error; border-title-color: $error; }
    ComposeScreen #outcome-text { height: auto; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "send", "Send", id="compose.send", priority=True),
        Binding("ctrl+t", "send_test", "Send test", id="compose.send_test", priority=True),
        Binding("ctrl+n", "new_message", "New message", id="compose.new", priority=True),
    ]

    # Focus the message at once: the default ("*") would focus the scrolling body first, and
    # each focus change there restyles every field in it (about 50 ms per change at start-up).
    AUTO_FOCUS = "#message"

    sending: reactive[bool] = reactive(False, init=False)

    def __init__(self) -> None:
        super().__init__()
        self._touched: set[str] = set()
        self._show_all = False
        self._server_problems: dict[str, str] = {}
        self._check_timer: Timer | None = None
        self._sounds: dict[str, str] = dict(BUILTIN_SOUNDS)
        self._sounds_profile: str | None = None
        self._dirty = False  # edited since the last send or new message
        self._confirm_new_until = 0.0
        # Notes under fields are created the first time they have something to say.
        self._notes: dict[str, Static] = {}
        # Values of the fields not built yet (text, or the priority as an int).
        self._pending: dict[str, str | int] = {}
        self._form_building = False
        self._form_built = False
        self._emergency_building = False
        self._emergency_built = False
        self._message_built = False
        self._buttons_built = False

    @property
    def pushover(self) -> PushoverApp:
        return self.app  # type: ignore[return-value]

    # -- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield Static("", id="keys-note", markup=False)
        with VerticalScroll(id="compose-body"):
            with Vertical(id="compose-left", classes="column -pending"):
                yield from self._message_fields()
            # Built just after the first frame (see _build_form).
            yield Vertical(id="compose-right", classes="column -pending")
        with Vertical(id="outcome") as outcome:
            outcome.border_title = "Outcome"
            yield Static(self._idle_text(), id="outcome-text")
        with Horizontal(id="compose-actions"):
            # The buttons are built just after the first frame (see _build_buttons).
            yield Static("Send", id="send-placeholder", classes="button-placeholder -primary")
            yield Static("Send test", classes="button-placeholder")
            yield Static("New message", classes="button-placeholder")
            # The send spinner goes here once built (see _build_form).
            yield Static("", id="actions-hint")
        yield FooterStandIn()  # the Footer is built just after the first frame

    def _message_fields(self) -> ComposeResult:
        with Horizontal(id="message-head"):
            yield Label("Message", classes="title")
            yield Label("", id="message-counter", classes="counter")
        # A stand-in of the same size and look: the TextArea (its import, CSS and document)
        # is built just after the first frame (see _build_message).
        yield Static(MESSAGE_HINT, id="message-placeholder", classes="-gap -hint", markup=False)

    def _update_message_placeholder(self) -> None:
        """Show the draft's text, or the hint, in the stand-in until the box is built."""
        if self._message_built:
            return
        text = str(self._pending.get("message", ""))
        placeholder = self.query_one("#message-placeholder", Static)
        placeholder.update(text or MESSAGE_HINT)
        placeholder.set_class(not text, "-hint")

    async def _build_message(self) -> None:
        """Swap the stand-in for the real message box, with any text set meanwhile."""
        from textual.widgets import TextArea

        area = TextArea(
            str(self._pending.pop("message", "")),
            id="message",
            soft_wrap=True,
            tab_behavior="focus",
            classes="-gap",
        )
        area.placeholder = MESSAGE_HINT
        if self.app.is_headless:
            area.cursor_blink = False  # deterministic screenshots
        placeholder = self.query_one("#message-placeholder", Static)
        with self._quiet():
            await self.query_one("#compose-left").mount(area, before=placeholder)
        await placeholder.remove()
        self._message_built = True
        if self.focused is None:
            area.focus()

    async def _build_buttons(self) -> None:
        """Swap the stand-ins for the real buttons, in the state they should have now."""
        short = self.size.height < 30
        buttons = [
            Button(self._send_label(), id="send", variant="primary", tooltip="ctrl+s"),
            Button("Send test", id="send-test", tooltip="ctrl+t"),
            Button("New message", id="new-message", tooltip="ctrl+n"),
        ]
        for button in buttons:
            button.compact = short
            button.disabled = self.sending
        actions = self.query_one("#compose-actions")
        stand_ins = list(actions.query(".button-placeholder"))
        await actions.mount_all(buttons, before=stand_ins[0])
        await actions.remove_children(stand_ins)
        self._buttons_built = True

    def _send_label(self) -> str:
        return "Send emergency" if self._priority() == Priority.EMERGENCY else "Send"

    def _message_area(self) -> TextArea | None:
        if not self._message_built:
            return None
        from textual.widgets import TextArea

        return self.query_one("#message", TextArea)

    def _message_text(self) -> str:
        area = self._message_area()
        return str(self._pending.get("message", "")) if area is None else area.text

    def _set_message(self, text: str) -> None:
        area = self._message_area()
        if area is None:
            self._pending["message"] = text
            self._update_message_placeholder()
        else:
            area.load_text(text)

    def _focus_message(self) -> None:
        area = self._message_area()
        if area is not None:
            area.focus()

    def _secondary_rows(self) -> list[Widget]:
        """The rest of the left column: built just after the first frame."""
        return [
            self._input_row("title", "Title", "app name if blank", counter=True),
            self._input_row("url", "URL", "https://… opened from the message", counter=True),
            self._input_row("url_title", "URL title", "text shown for the URL", counter=True),
            self._input_row("attachment", "Image", "path to an image file, ≤ 5 MiB"),
        ]

    def _option_rows(self) -> list[Widget]:
        """The right column: built just after the first frame."""
        from textual.widgets import RadioButton, RadioSet

        priority = Select(
            [(f"{p.label} ({int(p)})", int(p)) for p in Priority],
            id="priority",
            allow_blank=False,
            value=self._priority(),
            compact=True,
        )
        sound = Select(
            self._sound_options(), id="sound", prompt=self._sound_prompt_text(), compact=True
        )
        format_ = self._format()
        buttons = [
            RadioButton(label, value=format_ == name, id=f"format-{name}")
            for name, label in (("plain", "Plain"), ("html", "HTML"), ("monospace", "Monospace"))
        ]
        return [
            self._row("priority", "Priority", priority),
            # The Emergency box goes here once built (see _build_emergency).
            self._row("sound", "Sound", sound),
            self._input_row("device", "Device", self._device_placeholder()),
            self._row("format", "Format", RadioSet(*buttons, id="format")),
            self._input_row("ttl", "TTL", "seconds until deleted", suffix="s"),
            self._input_row("timestamp", "Time", "Unix time or 2026-05-01 14:30"),
        ]

    @staticmethod
    def _row(field: str, label: str, widget: Widget) -> Horizontal:
        return Horizontal(
            Label(label, classes="field-label"), widget, classes="row -gap", id=f"{field}-row"
        )

    async def _build_form(self) -> None:
        """Mount every field but the message just after the first frame, then the
        Emergency box; values set meanwhile (profile defaults, History) were kept."""
        if self._form_building or not self.is_attached:
            return
        self._form_building = True
        await self._build_message()
        await mount_footer(self)  # after the message's focus, which changes the bindings
        await self._build_buttons()
        with self._quiet():
            left = self.query_one("#compose-left").mount_all(self._secondary_rows())
            right = self.query_one("#compose-right").mount_all(self._option_rows())
            spinner = self.query_one("#compose-actions").mount(
                LoadingIndicator(id="send-spinner"), before="#actions-hint"
            )
        await left
        await right
        await spinner
        with self._quiet():  # anything set while they were mounting
            self._form_built = True
            for field in DEFERRED_FIELDS:
                if field in self._pending:
                    self._set_field(field, self._pending.pop(field))
        for column in self.query(".column.-pending"):
            column.remove_class("-pending")
        self._refresh_all()
        await self._build_emergency()

    def _emergency_box(self) -> Vertical:
        """Retry, expire, tags and callback: shown at priority 2 only."""
        with self._quiet():  # values carried over are not edits
            box = Vertical(
                self._input_row("retry", "Retry", "profile default", suffix=f"s (≥ {RETRY_MIN})"),
                self._input_row(
                    "expire", "Expire", "profile default", suffix=f"s (≤ {EXPIRE_MAX:,})"
                ),
                self._input_row("tags", "Tags", "comma-separated, for cancel by tag"),
                self._input_row("callback", "Callback", "URL called on acknowledgement"),
                Static("", id="emergency-summary"),
                id="emergency",
            )
        box.border_title = "Emergency"
        return box

    async def _build_emergency(self) -> None:
        """Mount the Emergency box after the other fields (it is hidden below priority 2)."""
        if self._emergency_building or not self._form_built or not self.is_attached:
            return
        self._emergency_building = True
        await self.query_one("#compose-right").mount(self._emergency_box(), before="#sound-row")
        with self._quiet():  # anything set while it was mounting
            self._emergency_built = True
            for field in EMERGENCY_FIELDS:
                if field in self._pending:
                    self._set_field(field, self._pending.pop(field))
        self._update_emergency_summary()
        self._show_problems(self.current_problems())

    def _input_row(
        self,
        field: str,
        label: str,
        placeholder: str,
        *,
        counter: bool = False,
        suffix: str = "",
    ) -> Horizontal:
        """A labelled one-line field; its note is added under it when it has one."""
        field_input = Input(
            str(self._pending.get(field, "")), placeholder=placeholder, id=field, compact=True
        )
        if self.app.is_headless:
            field_input.cursor_blink = False  # deterministic screenshots
        children: list[Widget] = [Label(label, classes="field-label"), field_input]
        if suffix:
            children.append(Label(suffix, classes="suffix"))
        if counter:
            children.append(Label("", id=f"{field}-counter", classes="counter"))
        classes = "row -gap" if field in GAP_AFTER else "row"
        return Horizontal(*children, classes=classes, id=f"{field}-row")

    # -- life cycle ------------------------------------------------------------------------

    def on_mount(self) -> None:
        self._load_profile_defaults()
        self._refresh_all()
        self.pushover.profile_changed.subscribe(self, self._profile_changed)
        self.pushover.call_after_start(self, self._build_form)
        # The app's own sound list once the keys are known to work: the start-up key check
        # (after the first frame) says so, or it already has when this screen opens later.
        self.watch(self.pushover, "verified", self._verified_changed, init=False)
        if self.pushover.verified:
            self.call_after_refresh(self._fetch_sounds_once)

    def _verified_changed(self, verified: bool | None) -> None:
        if verified:
            self._fetch_sounds_once()

    def on_resize(self) -> None:
        self.set_class(self.size.width < 90, "-narrow")
        short = self.size.height < 30
        self.set_class(short, "-short")
        for button in self.query("#compose-actions Button").results(Button):
            button.compact = short

    def _profile_changed(self, _active: object) -> None:
        self._load_profile_defaults(keep_touched=True)
        self._refresh_all()
        self._fetch_sounds_once()

    def _load_profile_defaults(self, *, keep_touched: bool = False) -> None:
        """Prefill priority, retry and expire from the active profile (unless edited)."""
        profile = self.pushover.active.profile
        with self._quiet():
            if not (keep_touched and "priority" in self._touched):
                priority = profile.priority if profile.priority in tuple(Priority) else 0
                self._set_field("priority", int(priority))
            for field in ("retry", "expire"):
                if not (keep_touched and field in self._touched):
                    self._set_value(field, str(getattr(profile, field)))
        if self._form_built:
            self.query_one("#sound", Select).prompt = self._sound_prompt_text()
            self.query_one("#device", Input).placeholder = self._device_placeholder()

    def _device_placeholder(self) -> str:
        device = self.pushover.active.profile.device
        return f"profile default: {device}" if device else "all devices (names, comma-separated)"

    def _quiet(self) -> AbstractContextManager[None]:
        """Programmatic changes: no Changed events (so no field is marked as edited)."""
        if not self._form_building:  # no message box or format buttons yet: no import
            return self.prevent(Input.Changed, Select.Changed)
        from textual.widgets import RadioSet, TextArea

        return self.prevent(Input.Changed, TextArea.Changed, Select.Changed, RadioSet.Changed)

    # -- sounds ----------------------------------------------------------------------------

    def _sound_options(self) -> list[tuple[str, str]]:
        return [(description or name, name) for name, description in self._sounds.items()]

    def _sound_prompt_text(self) -> str:
        default = self.pushover.active.profile.sound
        return f"Profile default ({default})" if default else "Device default"

    def _fetch_sounds_once(self) -> None:
        active = self.pushover.active
        if active.has_keys and self._sounds_profile != active.profile.name:
            self._sounds_profile = active.profile.name
            self._load_sounds()

    @work(exclusive=True, group="compose-sounds", exit_on_error=False)
    async def _load_sounds(self) -> None:
        try:
            sounds = await self.pushover.sounds(self.pushover.active.profile)
        except PushoverError:
            return  # the built-in list stays; sending will say what is wrong with the keys
        if sounds:
            self._set_sounds(sounds)

    def _set_sounds(self, sounds: dict[str, str], keep: str = "") -> None:
        """Replace the sound list, keeping the current choice (even a name not listed)."""
        current = keep or self._sound()
        self._sounds = dict(sounds)
        if current and current not in self._sounds:
            self._sounds[current] = f"{current} (not in the app's list)"
        if not self._form_built:
            self._pending["sound"] = current  # the list is built from self._sounds
            return
        select = self.query_one("#sound", Select)
        with self._quiet():
            select.set_options(self._sound_options())
            if current:
                select.value = current

    # -- reading the form ------------------------------------------------------------------

    def _value(self, field: str) -> str:
        """A text field's value, built or not."""
        if not self._mounted(field):
            return str(self._pending.get(field, ""))
        return self.query_one(f"#{field}", Input).value

    def _set_value(self, field: str, value: str) -> None:
        """Set a text field (quietly: callers wrap this in _quiet when it is not an edit)."""
        self._set_field(field, value)

    def _set_field(self, field: str, value: str | int) -> None:
        """Set any field built or not: text, priority (int), sound ("" = default), format."""
        if not self._mounted(field):
            self._pending[field] = value
        elif field == "priority":
            self.query_one("#priority", Select).value = int(value)
        elif field == "sound":
            sound = self.query_one("#sound", Select)
            if value:
                sound.value = str(value)
            else:
                sound.clear()
        elif field == "format":
            from textual.widgets import RadioButton

            self.query_one(f"#format-{value}", RadioButton).value = True
        else:
            self.query_one(f"#{field}", Input).value = str(value)

    def _mounted(self, field: str) -> bool:
        """True once `field` is built (until then its value is in self._pending)."""
        if field in EMERGENCY_FIELDS:
            return self._emergency_built
        if field in DEFERRED_FIELDS:
            return self._form_built
        if field == "message":
            return self._message_built
        return True

    def _priority(self) -> int:
        if not self._mounted("priority"):
            return int(self._pending.get("priority", int(Priority.NORMAL)))
        value = self.query_one("#priority", Select).value
        return int(value) if isinstance(value, int) else 0  # type: ignore[arg-type]

    def _sound(self) -> str:
        """The chosen sound ("" = the default)."""
        if not self._mounted("sound"):
            return str(self._pending.get("sound", ""))
        select = self.query_one("#sound", Select)
        return "" if select.is_blank() else str(select.value)

    def _format(self) -> str:
        if not self._mounted("format"):
            return str(self._pending.get("format", "plain"))
        from textual.widgets import RadioSet

        pressed = self.query_one("#format", RadioSet).pressed_button
        return (pressed.id or "format-plain").removeprefix("format-") if pressed else "plain"

    def read_form(self) -> tuple[Message, list[Problem]]:
        """The message as it would be sent (profile defaults applied) and the form's own
        problems (numbers that are not numbers)."""
        problems: list[Problem] = []
        priority = self._priority()
        emergency = priority == Priority.EMERGENCY
        retry = expire = None
        if emergency:
            retry, found = _parse_seconds("retry", self._value("retry"), "Retry")
            problems += found
            expire, found = _parse_seconds("expire", self._value("expire"), "Expire")
            problems += found
        ttl, found = _parse_seconds("ttl", self._value("ttl"), "TTL")
        problems += found
        timestamp, found = parse_timestamp(self._value("timestamp"))
        problems += found
        path = self._value("attachment").strip()
        tags = tuple(tag.strip() for tag in self._value("tags").split(",") if tag.strip())
        format_ = self._format()
        message = Message(
            message=self._message_text(),
            title=self._value("title"),
            url=self._value("url").strip(),
            url_title=self._value("url_title"),
            priority=priority,
            sound=self._sound(),
            device=self._value("device").strip().replace(" ", ""),
            timestamp=timestamp,
            ttl=ttl,
            html=format_ == "html",
            monospace=format_ == "monospace",
            attachment=Attachment.from_path(path) if path else None,
            retry=retry,
            expire=expire,
            callback=self._value("callback").strip() if emergency else "",
            tags=tags if emergency else (),
        )
        return apply_defaults(message, self.pushover.active.profile), problems

    def current_problems(self) -> list[Problem]:
        """Every problem the form has now: the form's own and the pipeline's checks."""
        message, problems = self.read_form()
        return problems + self.pushover.outbox.check(message)

    # -- live feedback ---------------------------------------------------------------------

    def _field_of(self, widget: Widget | None) -> str | None:
        while widget is not None and widget is not self:
            if widget.id in FIELDS:
                return widget.id
            widget = widget.parent  # type: ignore[assignment]
        return None

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self._field_changed(event)

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        self._field_changed(event)

    @on(Input.Changed)
    @on(Select.Changed)
    def _field_changed(
        self, event: Input.Changed | TextArea.Changed | Select.Changed | RadioSet.Changed
    ) -> None:
        field = self._field_of(event.control)
        if field is None:
            return
        self._touched.add(field)
        self._server_problems.pop(field, None)
        if field in ("retry", "expire", "tags", "callback"):
            self._server_problems.pop("priority", None)
        self._dirty = True
        self._confirm_new_until = 0.0
        self._update_counters()
        if field == "priority":
            self._update_priority()
        elif field in ("retry", "expire"):
            self._update_emergency_summary()
        self._schedule_check()

    def _schedule_check(self) -> None:
        if self._check_timer is not None:
            self._check_timer.stop()
        self._check_timer = self.set_timer(CHECK_DELAY, self._run_checks)

    def _run_checks(self) -> None:
        self._check_timer = None
        self._show_problems(self.current_problems())

    def _refresh_all(self) -> None:
        self._update_counters()
        self._update_priority()
        self._update_emergency_summary()
        self._show_problems(self.current_problems())

    def _update_counters(self) -> None:
        values = {
            "message": self._message_text(),
            **{field: self._value(field) for field in ("title", "url", "url_title")},
        }
        for field, limit in LIMITS.items():
            if field != "message" and not self._mounted(field):
                continue  # its counter is built with it (the message's is always there)
            count = len(values[field])  # code points, as Pushover counts them
            counter = self.query_one(f"#{field}-counter", Label)
            counter.update(f"{count:,} / {limit:,}")
            counter.set_class(count > limit, "-over")
            counter.set_class(limit * 0.9 <= count <= limit, "-near")

    def _update_priority(self) -> None:
        priority = Priority(self._priority())
        emergency = priority == Priority.EMERGENCY
        self.set_class(emergency, "-emergency")
        if self._buttons_built:
            self.query_one("#send", Button).label = self._send_label()
        else:
            self.query_one("#send-placeholder", Static).update(self._send_label())
        self._update_actions_hint()

    def _update_emergency_summary(self) -> None:
        profile = self.pushover.active.profile
        retry, _ = _parse_seconds("retry", self._value("retry"), "Retry")
        expire, _ = _parse_seconds("expire", self._value("expire"), "Expire")
        retry = profile.retry if retry is None else retry
        expire = profile.expire if expire is None else expire
        try:
            summary = self.query_one("#emergency-summary", Static)
        except NoMatches:
            return  # the box is not built yet: it fills this in when it is
        if retry >= RETRY_MIN and 0 < expire <= EXPIRE_MAX:
            repeats = emergency_repeats(retry, expire)
            text = (
                f"Repeats every {duration(retry)} for up to {duration(expire)} until "
                f"acknowledged: {repeats} time{'s' if repeats != 1 else ''} at most "
                f"(Pushover stops after {MAX_REPEATS})."
            )
        else:
            text = (
                f"Retry: seconds between repeats, at least {RETRY_MIN}. Expire: how long to "
                f"keep repeating, at most {EXPIRE_MAX:,} s (3 h)."
            )
        summary.update(text)

    def _show_problems(self, problems: list[Problem]) -> None:
        by_field: dict[str, list[Problem]] = {}
        for problem in problems:
            target = FIELD_TARGETS.get(problem.field, problem.field)
            if target not in FIELDS and target != "keys":
                target = "priority"  # nowhere better: next to the priority
            by_field.setdefault(target, []).append(problem)
        for field in FIELDS:
            shown = self._show_all or field in self._touched
            found = by_field.get(field, [])
            note_problems = errors(found) or found
            if field in self._server_problems:
                self._set_note(field, self._server_problems[field], "error")
            elif shown and note_problems:
                severity = "error" if note_problems[0].is_error else "warning"
                self._set_note(field, " ".join(p.text for p in note_problems), severity)
            else:
                self._set_note(field, self._hint(field), "hint")
        keys = [p.text for p in by_field.get("keys", [])]
        if "keys" in self._server_problems:
            keys = [self._server_problems["keys"]]
        elif keys and not self.pushover.active.has_keys:
            keys = [
                f"Profile {self.pushover.active.profile.name!r} has no application token and "
                "user key yet: press F2 to set them up in the Config screen."
            ]
        elif keys:
            keys.append("Press F2 to fix them in the Config screen.")
        self._set_keys_note(" ".join(keys))

    def _set_note(self, field: str, text: str, severity: str) -> None:
        """Show `text` under `field` (nothing when blank); the note is made on first use."""
        anchor = self._note_anchor(field)
        if anchor is None:
            return  # in the Emergency box, not built yet: it shows its notes once it is
        note = self._notes.get(field)
        if note is None:
            if not text:
                anchor.remove_class("-noted")
                self._mark_problem(field, False)
                return
            note = Static("", id=f"{field}-note", classes="note", markup=False)
            note.set_class(field in GAP_AFTER, "-gap")
            self._notes[field] = note
            assert anchor.parent is not None
            anchor.parent.mount(note, after=anchor)
        note.update(text)
        note.set_class(bool(text), "-shown")
        note.set_class(severity == "error", "-error")
        note.set_class(severity == "warning", "-warning")
        anchor.set_class(bool(text), "-noted")  # the note takes over the gap under the field
        self._mark_problem(field, severity == "error" and bool(text))

    def _note_anchor(self, field: str) -> Widget | None:
        """The widget a field's note goes under."""
        if not self._mounted(field):
            return None  # not built yet: its note is shown once it is
        try:
            return self.query_one("#message" if field == "message" else f"#{field}-row")
        except NoMatches:
            return None

    def _mark_problem(self, field: str, problem: bool) -> None:
        try:
            widget = self.query_one(f"#{field}")
        except NoMatches:
            return
        widget.set_class(problem, "-problem")

    def _set_keys_note(self, text: str) -> None:
        note = self.query_one("#keys-note", Static)
        note.update(text)
        note.set_class(bool(text), "-shown")

    def _hint(self, field: str) -> str:
        """A quiet line under a field that has nothing wrong."""
        if field == "attachment":
            path = self._value("attachment").strip()
            if path:
                attachment = Attachment.from_path(path)
                try:
                    size = attachment.size()
                except OSError:
                    return ""
                return f"{attachment.filename} · {attachment.content_type} · {_size(size)}"
        if field == "timestamp":
            timestamp, problems = parse_timestamp(self._value("timestamp"))
            if timestamp is not None and not problems:
                try:
                    shown = datetime.fromtimestamp(timestamp)
                except (OverflowError, OSError, ValueError):
                    return ""
                return f"Shown as sent at {shown:%Y-%m-%d %H:%M} (local time)."
        if field == "priority":
            return Priority(self._priority()).meaning.capitalize() + "."
        if field == "format":
            return {
                "plain": "",
                "html": 'HTML: <b> <i> <u> <font color="#rrggbb"> <a href="…">.',
                "monospace": "Monospace: shown in a fixed-width font.",
            }[self._format()]
        return ""

    def problem_text(self, field: str) -> str:
        """The note shown under `field` now (for tests and screen readers)."""
        note = self._notes.get(field)
        if note is None or not note.has_class("-shown"):
            return ""
        shown = note.has_class("-error") or note.has_class("-warning")
        return str(note.content) if shown else ""

    # -- sending ---------------------------------------------------------------------------

    def watch_sending(self, sending: bool) -> None:
        self.set_class(sending, "-sending")
        for button in self.query("#compose-actions Button").results(Button):
            button.disabled = sending
        self._update_actions_hint()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("send", "send_test", "new_message") and self.sending:
            return None  # shown greyed out in the footer, and the key does nothing
        return True

    def _update_actions_hint(self) -> None:
        hint = self.query_one("#actions-hint", Static)
        if self.sending:
            hint.update("Sending… the buttons are back when Pushover has answered.")
        elif self._priority() == Priority.EMERGENCY:
            hint.update("Emergency: repeats until acknowledged.")
        else:
            hint.update("")

    @on(Button.Pressed, "#send")
    def _send_pressed(self) -> None:
        self.action_send()

    @on(Button.Pressed, "#send-test")
    def _send_test_pressed(self) -> None:
        self.action_send_test()

    @on(Button.Pressed, "#new-message")
    def _new_pressed(self) -> None:
        self.action_new_message()

    def action_send(self) -> None:
        if self.sending:
            return
        if self._check_timer is not None:
            self._check_timer.stop()
            self._check_timer = None
        self._show_all = True
        self._server_problems.clear()
        message, problems = self.read_form()
        problems += self.pushover.outbox.check(message)
        self._show_problems(problems)
        if blocking := errors(problems):
            self._show_blocked(blocking)
            return
        self.sending = True
        what = "emergency" if message.is_emergency else "message"
        self._set_outcome("sending", Content(f"Sending the {what} to Pushover…"))
        self._send(message)

    def action_send_test(self) -> None:
        if self.sending:
            return
        self.sending = True
        self._set_outcome("sending", Content("Sending a test message to Pushover…"))
        self._send(None)

    @work(group="compose-send", exit_on_error=False)
    async def _send(self, message: Message | None) -> None:
        """Send `message` (None: the labelled test message). Never exclusive: cancelling a
        send in flight would leave the user wondering whether it went out."""
        try:
            if message is None:
                sent = await self.pushover.send_test()
            else:
                sent = await self.pushover.send_message(message)
        except FieldProblemsError as error:
            self._show_field_problems(error, test=message is None)
        except APIError as error:
            self._show_rejected(error)
        except PushoverError as error:
            self._show_failure(error)
        else:
            self._show_sent(sent, test=message is None)
        finally:
            self.sending = False

    # -- outcome ---------------------------------------------------------------------------

    def _idle_text(self) -> Content:
        return Content.from_markup(
            "Nothing sent yet. [b]ctrl+s[/b] sends the message, [b]ctrl+t[/b] sends a test "
            "message to check the keys. Problems show under each field as you type."
        )

    def _set_outcome(self, state: str, content: Content) -> None:
        outcome = self.query_one("#outcome", Vertical)
        for name in ("sending", "ok", "failed"):
            outcome.set_class(state == name, f"-{name}")
        outcome.border_title = {
            "sending": "Sending…",
            "ok": "Sent",
            "failed": "Not sent",
        }.get(state, "Outcome")
        self.query_one("#outcome-text", Static).update(content)

    def _show_blocked(self, problems: list[Problem]) -> None:
        keys = [p for p in problems if FIELD_TARGETS.get(p.field) == "keys"]
        fields = [p for p in problems if p not in keys]
        parts = []
        if fields:
            names = ", ".join(dict.fromkeys(p.field.replace("_", " ") for p in fields))
            count = len(fields)
            parts.append(
                f"fix {count} problem{'' if count == 1 else 's'} marked under the fields ({names})"
            )
        if keys:
            parts.append("set up the keys (F2, Config screen)")
        self._set_outcome(
            "failed",
            Content.from_markup(
                "[b $error]✗ Nothing sent:[/] $todo first.", todo="; and ".join(parts)
            ),
        )
        self._focus_field((fields or problems)[0].field)

    def _focus_field(self, field: str) -> None:
        target = FIELD_TARGETS.get(field, field)
        if target in EMERGENCY_FIELDS and not self._emergency_built:
            target = "priority"  # the box is about to be built: the nearest field
        if not self._mounted(target):
            target = "message"  # the fields are about to be built: the message, then
        if not self._mounted(target):
            return  # nothing built yet: the message box takes the focus once it is
        if target in FIELDS:
            widget = self.query_one(f"#{target}")
            if widget.focusable:
                widget.focus()

    def _show_sent(self, sent: Sent, *, test: bool) -> None:
        self._dirty = False
        result = sent.result
        lines = [
            Content.from_markup(
                "[b $success]✓ $what[/]  request [b]$request[/b]",
                what=("Test message sent" if test else "Sent")
                + (": emergency awaiting acknowledgement" if result.receipt else ""),
                request=result.request or "(none given)",
            )
        ]
        if result.receipt:
            lines.append(
                Content.from_markup(
                    "Receipt [b]$receipt[/b]. History (F4) follows it live until someone "
                    "acknowledges it or it expires.",
                    receipt=result.receipt,
                )
            )
        quota = result.quota
        if quota.remaining is not None:
            of = f" of {quota.limit:,}" if quota.limit is not None else ""
            lines.append(Content(f"Quota: {quota.remaining:,}{of} messages left this month."))
        for warning in sent.warnings:
            lines.append(Content.from_markup("[$warning]Note:[/] $text", text=warning.text))
        if not test:
            lines.append(
                Content.from_markup(
                    "[dim]The draft is kept: edit and send again, or [b]ctrl+n[/b] for a new "
                    "message.[/dim]"
                )
            )
        self._set_outcome("ok", Content("\n").join(lines))

    def _show_field_problems(self, error: FieldProblemsError, *, test: bool) -> None:
        if test:
            text = " ".join(problem.text for problem in error.problems)
            self._set_outcome("failed", self._failure_text(text, keys=True))
            return
        self._show_all = True
        self._show_problems(error.problems)
        self._show_blocked(error.problems)

    def _show_rejected(self, error: APIError) -> None:
        keys_problem = False
        for key, value in error.fields.items():
            target = FIELD_TARGETS.get(key, key)
            if target == "keys":
                keys_problem = True
                name = KEY_NAMES.get(key, key)
                self._server_problems["keys"] = (
                    f"Pushover says the {name} is {value}. Press F2 to check the keys in the "
                    "Config screen."
                )
            elif target in FIELDS:
                self._server_problems[target] = f"Pushover: {key.replace('_', ' ')} {value}."
        if error.fields:
            self._show_problems(self.current_problems())
        if isinstance(error, QuotaExceededError) and error.reset:
            reset = datetime.fromtimestamp(error.reset)
            extra = f"The quota resets on {reset:%Y-%m-%d at %H:%M}."
        else:
            extra = ""
        self._set_outcome("failed", self._failure_text(str(error), keys=keys_problem, extra=extra))
        fields = [FIELD_TARGETS.get(key, key) for key in error.fields]
        if fields:
            self._focus_field(fields[0])

    def _show_failure(self, error: PushoverError) -> None:
        if isinstance(error, TemporaryError):
            extra = "Nothing was lost: the draft is kept and History lists the attempt. Try again."
        else:
            extra = ""
        keys = isinstance(error, NoCredentialsError)
        self._set_outcome("failed", self._failure_text(str(error), keys=keys, extra=extra))

    def _failure_text(self, text: str, *, keys: bool = False, extra: str = "") -> Content:
        lines = [Content.from_markup("[b $error]✗ Not sent:[/] $text", text=text)]
        if keys:
            lines.append(Content("Press F2 to check the token and user key in the Config screen."))
        if extra:
            lines.append(Content(extra))
        return Content("\n").join(lines)

    # -- draft -----------------------------------------------------------------------------

    def action_new_message(self) -> None:
        if self.sending:
            return
        now = time.monotonic()
        if self._dirty and self._has_text() and now > self._confirm_new_until:
            self._confirm_new_until = now + NEW_CONFIRM_SECONDS
            self.notify(
                "The draft has not been sent. Press ctrl+n again to clear it.",
                title="New message",
                severity="warning",
                timeout=NEW_CONFIRM_SECONDS,
            )
            return
        self.clear_draft()

    def _has_text(self) -> bool:
        return bool(self._message_text().strip()) or any(
            self._value(field) for field in ("title", "url", "url_title", "attachment")
        )

    def clear_draft(self) -> None:
        """Start over: empty fields, the profile's defaults, nothing marked."""
        with self._quiet():
            for widget in self.query(Input):
                widget.value = ""
            self._pending.clear()
            self._set_message("")
            self._set_field("sound", "")
            self._set_field("format", "plain")
        self._touched.clear()
        self._server_problems.clear()
        self._show_all = False
        self._dirty = False
        self._confirm_new_until = 0.0
        self._load_profile_defaults()
        self._refresh_all()
        self._set_outcome("idle", self._idle_text())
        self._focus_message()

    def prefill(self, message: Message) -> None:
        """Fill every field from `message` (History's Resend)."""
        with self._quiet():
            self._set_message(message.message)
            values = {
                "title": message.title,
                "url": message.url,
                "url_title": message.url_title,
                "device": message.device,
                "ttl": "" if message.ttl is None else str(message.ttl),
                "timestamp": "" if message.timestamp is None else str(message.timestamp),
                "tags": ",".join(message.tags),
                "callback": message.callback,
                "attachment": str(message.attachment.path)
                if message.attachment is not None and message.attachment.path is not None
                else "",
            }
            for field, value in values.items():
                self._set_value(field, value)
            priority = message.priority if message.priority in tuple(Priority) else 0
            self._set_field("priority", int(priority))
            profile = self.pushover.active.profile
            retry = profile.retry if message.retry is None else message.retry
            expire = profile.expire if message.expire is None else message.expire
            self._set_value("retry", str(retry))
            self._set_value("expire", str(expire))
            if message.sound:
                self._set_sounds(self._sounds, keep=message.sound)
            else:
                self._set_field("sound", "")
            format_ = "html" if message.html else "monospace" if message.monospace else "plain"
            self._set_field("format", format_)
        self._touched.update(FIELDS)
        self._server_problems.clear()
        self._show_all = True
        self._dirty = True
        self._refresh_all()
        self._set_outcome(
            "idle",
            Content.from_markup(
                "Filled in from History. Check the fields, then [b]ctrl+s[/b] to send it again."
            ),
        )
        self._focus_message()

    def on_action_requested(self, event: ActionRequested) -> None:
        if event.action == "send_test":
            event.stop()
            self.action_send_test()
        elif event.action == "prefill":
            event.stop()
            message = event.arguments.get("message")
            if isinstance(message, Message):
                self.prefill(message)
