"""The Config screen: keys, sending defaults, verification and profiles.

The form edits the active profile. It reads the file's values from `app.config` and the
effective ones (environment, command line) from `app.active`; it saves through
`app.save_config`, which never receives an environment value: a field set by the environment is
shown read-only and the file's own value is written back unchanged.

Screens hold no protocol: verification and sounds go through `app.verify` / `app.sounds`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Collection, Iterable
from dataclasses import replace
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Button, Input, Label, LoadingIndicator, Select, Static

from pushover_tui.api.checks import (
    EXPIRE_MAX,
    MAX_REPEATS,
    RETRY_MIN,
    Problem,
    check_devices,
    check_emergency,
    check_token,
    check_users,
    emergency_repeats,
)
from pushover_tui.api.errors import (
    APIError,
    FieldProblemsError,
    PushoverError,
    QuotaExceededError,
    TemporaryError,
    UnexpectedResponseError,
)
from pushover_tui.api.models import BUILTIN_SOUNDS, Priority, UserCheck
from pushover_tui.api.secret import Secret
from pushover_tui.store.config import ActiveProfile, Profile, Source, check_profile
from pushover_tui.tui.app import FooterStandIn, StatusBar, mount_footer
from pushover_tui.tui.formatting import duration
from pushover_tui.tui.messages import ActionRequested

DEVICE_DEFAULT_SOUND = "Device default (the user's choice)"

WELCOME_TEXT = (
    "[b]Welcome to pushover-tui[/b]\n\n"
    "You need two keys from [b]pushover.net[/b]:\n\n"
    " 1. Your [b]user key[/b]: log in; it is at the top of your dashboard.\n"
    " 2. An [b]API token[/b]: choose 'Create an Application/API Token' and copy the "
    "token of the new application.\n\n"
    "Paste them on the left, press [b]Verify[/b] (ctrl+v), then [b]Save[/b] (ctrl+s).\n\n"
    "[dim]No account yet? Run[/dim] pushover-tui --demo [dim]to try everything on a built-in "
    "simulator.[/dim]"
)

_SOURCE_TEXT = {
    Source.FILE: "from file",
    Source.ENVIRONMENT: "from environment",
    Source.OPTION: "from command line",
    Source.DEFAULT: "default",
}
_ENV_VARIABLES = {"token": "PUSHOVER_TOKEN", "user": "PUSHOVER_USER"}
_FIELDS = ("token", "user", "priority", "retry", "expire", "sound", "device")


class ChoiceScreen(ModalScreen[str]):
    """A small question with a row of buttons; dismisses with the chosen button's id."""

    DEFAULT_CSS = """
    ChoiceScreen { align: center middle; background: $background 60%; }
    ChoiceScreen > #dialog {
        width: 64; height: auto; padding: 1 2;
        border: thick $primary; background: $surface;
    }
    ChoiceScreen #dialog-title { text-style: bold; margin-bottom: 1; }
    ChoiceScreen #dialog-text { margin-bottom: 1; }
    ChoiceScreen #dialog-buttons { height: auto; align-horizontal: right; }
    ChoiceScreen #dialog-buttons Button { margin-left: 1; min-width: 10; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "choose('cancel')", "Cancel", id="config.dialog.cancel"),
    ]

    def __init__(
        self,
        title: str,
        text: str,
        choices: list[tuple[str, str, str]],
    ) -> None:
        """`choices`: (id, label, variant) per button; the first one gets the focus."""
        super().__init__()
        self._title = title
        self._text = text
        self._choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self._title, id="dialog-title", markup=False)
            yield Static(self._text, id="dialog-text", markup=False)
            with Horizontal(id="dialog-buttons"):
                for choice, label, variant in self._choices:
                    yield Button(label, id=f"choice-{choice}", variant=variant)  # type: ignore[arg-type]

    def on_mount(self) -> None:
        self.query_one(f"#choice-{self._choices[0][0]}", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss((event.button.id or "choice-cancel").removeprefix("choice-"))

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)


class ProfileNameScreen(ModalScreen[str | None]):
    """Asks for a profile name; refuses blank names and names already taken."""

    DEFAULT_CSS = """
    ProfileNameScreen { align: center middle; background: $background 60%; }
    ProfileNameScreen > #dialog {
        width: 56; height: auto; padding: 1 2;
        border: thick $primary; background: $surface;
    }
    ProfileNameScreen #dialog-title { text-style: bold; margin-bottom: 1; }
    ProfileNameScreen #name-problem { height: auto; min-height: 1; }
    ProfileNameScreen #dialog-buttons { height: auto; align-horizontal: right; margin-top: 1; }
    ProfileNameScreen #dialog-buttons Button { margin-left: 1; min-width: 10; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="config.dialog.cancel"),
    ]

    def __init__(self, title: str, taken: Collection[str], initial: str = "") -> None:
        super().__init__()
        self._title = title
        self._taken = set(taken)
        self._initial = initial

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self._title, id="dialog-title", markup=False)
            yield Input(
                value=self._initial, placeholder="e.g. work, alerts, family", id="profile-name"
            )
            yield Static("Letters, digits, spaces, '_' or '-'.", id="name-problem", classes="hint")
            with Horizontal(id="dialog-buttons"):
                yield Button("OK", id="name-ok", variant="primary")
                yield Button("Cancel", id="name-cancel")

    def on_mount(self) -> None:
        name_input = self.query_one("#profile-name", Input)
        if self.app.is_headless:
            name_input.cursor_blink = False
        name_input.focus()

    def _problem(self, name: str) -> str | None:
        if not name:
            return "A profile name cannot be blank."
        if name in self._taken and name != self._initial:
            return f"A profile named {name!r} already exists: choose another name."
        if len(name) > 40:
            return "Keep the name to 40 characters or fewer."
        if not all(ch.isalnum() or ch in " _-." for ch in name):
            return "Use letters, digits, spaces, '_', '-' or '.' only."
        return None

    def _submit(self) -> None:
        name = self.query_one("#profile-name", Input).value.strip()
        problem = self._problem(name)
        note = self.query_one("#name-problem", Static)
        if problem is not None:
            note.update(problem)
            note.set_classes("problem")
            self.query_one("#profile-name", Input).focus()
            return
        self.dismiss(name)

    @on(Input.Submitted, "#profile-name")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    @on(Button.Pressed, "#name-ok")
    def _ok(self, event: Button.Pressed) -> None:
        event.stop()
        self._submit()

    @on(Button.Pressed, "#name-cancel")
    def _cancel(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfigScreen(Screen[None]):
    """Keys, defaults and profiles, with live checks and a Verify panel."""

    DEFAULT_CSS = """
    ConfigScreen #profile-bar {
        height: 3; padding: 0 1; background: $boost;
    }
    ConfigScreen #profile-bar > Label { padding: 1 1 0 0; width: auto; text-style: bold; }
    ConfigScreen #profile { width: 34; }
    ConfigScreen #profile-bar Button { min-width: 9; margin-left: 1; }

    ConfigScreen #config-body { height: 1fr; }
    ConfigScreen #config-form { width: 1fr; padding: 0 1 0 1; }
    ConfigScreen #config-side { width: 40; padding: 0 1 0 0; }

    ConfigScreen .row { height: auto; }
    ConfigScreen #row-token { margin-top: 1; }
    ConfigScreen .label-col { width: 18; height: auto; }
    ConfigScreen .field-label { padding: 1 0 0 0; text-style: bold; }
    ConfigScreen .source { color: $text-muted; text-style: italic; }
    ConfigScreen .source.-env { color: $warning; }
    ConfigScreen .source.-edited { color: $accent; }
    ConfigScreen .field-col { width: 1fr; height: auto; }
    ConfigScreen .field-line { height: auto; }
    ConfigScreen .field-line > Input { width: 1fr; }
    ConfigScreen .field-line > Select { width: 1fr; }
    ConfigScreen #retry, ConfigScreen #expire { width: 16; }
    ConfigScreen .unit { padding: 1 1 0 1; color: $text-muted; width: auto; }
    ConfigScreen #reveal { min-width: 8; width: 10; margin-left: 1; }
    /* The first frame's stand-in for the Show button (Button's CSS is parsed after it). */
    ConfigScreen #reveal-placeholder {
        width: 10; height: 3; margin-left: 1;
        text-style: bold; color: $button-foreground; background: $surface;
        border-top: tall $surface-lighten-1; border-bottom: tall $surface-darken-1;
        content-align: center middle;
    }
    ConfigScreen .help { color: $text-muted; padding: 0 1; height: auto; }
    ConfigScreen .help.-problem { color: $error; }
    ConfigScreen .help.-ok { color: $success; }
    ConfigScreen .help.-env { color: $warning; }
    ConfigScreen Input.-invalid { border: tall $error 60%; }
    ConfigScreen Input.-invalid:focus { border: tall $error; }

    ConfigScreen #row-retry, ConfigScreen #row-expire { display: none; }
    ConfigScreen.-emergency #row-retry, ConfigScreen.-emergency #row-expire { display: block; }

    ConfigScreen #actions { height: auto; margin: 1 0 1 18; }
    ConfigScreen #actions Button { margin-right: 1; min-width: 10; }
    ConfigScreen #dirty-note { padding: 1 1 0 1; width: 1fr; color: $text-muted; }
    ConfigScreen #dirty-note.-dirty { color: $warning; text-style: bold; }

    ConfigScreen #welcome {
        height: auto; margin-top: 1; padding: 0 1;
        border: round $accent; border-title-color: $accent;
    }
    ConfigScreen #result {
        height: auto; margin-top: 1; padding: 0 1;
        border: round $panel-lighten-2; border-title-color: $text;
    }
    ConfigScreen #result.-ok { border: round $success; border-title-color: $success; }
    ConfigScreen #result.-failed { border: round $error; border-title-color: $error; }
    ConfigScreen #result.-stale { border: round $warning; }
    ConfigScreen #result-spinner { height: 1; display: none; }
    ConfigScreen #result.-loading #result-spinner { display: block; }
    ConfigScreen #result-text { height: auto; }
    ConfigScreen #verify { margin-top: 1; width: 100%; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="config.save"),
        # priority: an Input's own ctrl+v (paste from the app clipboard) would win otherwise.
        Binding("ctrl+v", "verify", "Verify", id="config.verify", priority=True),
        Binding("ctrl+r", "reveal", "Show/hide keys", id="config.reveal"),
        # Same keys and ids as the app's mode bindings, so a keymap moves both; these ask
        # about unsaved changes before leaving.
        Binding("f3", "leave('compose')", "Compose", id="mode.compose"),
        Binding("f4", "leave('history')", "History", id="mode.history"),
    ]

    # No auto-focus ("*" would pick the scrolling form): the first key still to fill in gets
    # the focus on mount, else the profile selector once it is built.
    AUTO_FOCUS = ""

    def __init__(self) -> None:
        super().__init__()
        self._loaded: dict[str, object] = {}
        self._revealed = False
        self._devices: dict[str, tuple[str, ...]] = {}  # profile -> devices of the last check
        self._sounds: dict[str, dict[str, str]] = {}  # profile -> the app's sound list
        self._profile_name = ""
        self._verified_keys: tuple[Secret, Secret, str] | None = None
        self._verify_serial = 0
        self._force_emergency_rows = False
        self._building = False
        self._built = False
        self._after_build: list[Callable[[], object]] = []

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        # The first frame shows what a first run needs: the two keys and the welcome text.
        # The profile bar's contents, the other rows and the Verification panel are built
        # just after it (see _build_rest).
        yield StatusBar()
        yield Horizontal(id="profile-bar")
        with Horizontal(id="config-body"):
            with VerticalScroll(id="config-form"):
                yield self._row(
                    "token",
                    "App token",
                    Input(password=True, id="token", placeholder="30 letters and digits"),
                    # The button is built just after the first frame (see _build_rest).
                    Static("Show", id="reveal-placeholder", markup=False),
                )
                yield self._row(
                    "user",
                    "User/group key",
                    Input(password=True, id="user", placeholder="30 letters and digits"),
                )
            with Vertical(id="config-side"):
                welcome = Static(WELCOME_TEXT, id="welcome")
                welcome.border_title = "Getting started"
                welcome.display = not self._active.has_keys
                yield welcome
        yield FooterStandIn()  # the Footer is built just after the first frame

    def _profile_bar(self) -> list[Widget]:
        return [
            Label("Profile"),
            Select[str]([], id="profile", allow_blank=True, prompt="(none)"),
            Button("New…", id="profile-new"),
            Button("Rename…", id="profile-rename"),
            Button("Delete…", id="profile-delete"),
            Button("Make default", id="profile-default"),
        ]

    def _other_rows(self) -> list[Widget]:
        return [
            self._row(
                "priority",
                "Priority",
                Select[int](
                    [(f"{p.label} ({p.value})", p.value) for p in Priority],
                    id="priority",
                    allow_blank=False,
                    value=int(Priority.NORMAL),
                ),
            ),
            self._row(
                "retry",
                "Retry",
                Input(id="retry", restrict=r"[0-9]*", max_length=6, placeholder="60"),
                Label("seconds between repeats", classes="unit"),
            ),
            self._row(
                "expire",
                "Expire",
                Input(id="expire", restrict=r"[0-9]*", max_length=6, placeholder="3600"),
                Label("seconds of repeating", classes="unit"),
            ),
            self._row(
                "sound",
                "Sound",
                Select[str](self._sound_options({}), id="sound", allow_blank=False, value=""),
            ),
            self._row("device", "Device", Input(id="device", placeholder="blank = all devices")),
            Horizontal(
                Button("Save", id="save", variant="success"),
                Button("Revert", id="revert", tooltip="Discard unsaved changes"),
                Static("", id="dirty-note"),
                id="actions",
            ),
        ]

    def _result_panel(self) -> Widget:
        result = Vertical(
            LoadingIndicator(id="result-spinner"),
            Static("", id="result-text"),
            Button("Verify  ctrl+v", id="verify", variant="primary"),
            id="result",
        )
        result.border_title = "Verification"
        return result

    @staticmethod
    def _row(name: str, label: str, field: Widget, extra: Widget | None = None) -> Widget:
        line = [field] if extra is None else [field, extra]
        return Horizontal(
            Vertical(
                Label(label, classes="field-label"),
                Label("", id=f"{name}-source", classes="source"),
                classes="label-col",
            ),
            Vertical(
                Horizontal(*line, classes="field-line"),
                Static("", id=f"{name}-help", classes="help", markup=False),
                classes="field-col",
            ),
            id=f"row-{name}",
            classes="row",
        )

    async def _build_rest(self) -> None:
        """Mount what the first frame does not show, then load the whole form."""
        if self._building or not self.is_attached:
            return
        self._building = True
        await mount_footer(self)
        bar = self.query_one("#profile-bar").mount_all(self._profile_bar())
        form = self.query_one("#config-form").mount_all(self._other_rows())
        side = self.query_one("#config-side").mount(self._result_panel())
        stand_in = self.query_one("#reveal-placeholder", Static)
        reveal_button = Button("Show", id="reveal", tooltip="Show or hide the keys (ctrl+r)")
        assert stand_in.parent is not None
        reveal = stand_in.parent.mount(reveal_button, before=stand_in)
        await bar
        await form
        await side
        await reveal
        reveal_button.label = "Hide" if self._revealed else "Show"  # ctrl+r meanwhile
        await stand_in.remove()
        if self.app.is_headless:
            for field in self.query(Input):
                field.cursor_blink = False
        self._built = True
        self._load_rest()
        if self.focused is None:  # keys filled in: the profile, as Textual's auto-focus did
            self._select("profile").focus()
        for callback in self._after_build:
            callback()
        self._after_build.clear()

    def _when_built(self, callback: Callable[[], object]) -> bool:
        """Run `callback` now if the whole form is built (True), or once it is (False)."""
        if self._built:
            return True
        self._after_build.append(callback)
        return False

    def on_mount(self) -> None:
        if self.app.is_headless:  # steady cursors make snapshots deterministic
            for field in self.query(Input):
                field.cursor_blink = False
        self.app.profile_changed.subscribe(self, self._on_profile_changed)
        # The app checks the keys in the background at start-up: say so once it knows.
        self.watch(self.app, "verified", self._on_app_verified, init=False)
        self._load_form()
        first = self._first_key_field()
        if first is not None:
            first.focus()
        self.app.call_after_start(self, self._build_rest)  # type: ignore[attr-defined]

    # -- shortcuts to widgets ----------------------------------------------------------------

    def _input(self, name: str) -> Input:
        return self.query_one(f"#{name}", Input)

    def _select(self, name: str) -> Select:
        return self.query_one(f"#{name}", Select)

    def _first_key_field(self) -> Input | None:
        """The first key field still to fill in, if any."""
        for name in ("token", "user"):
            field = self._input(name)
            if not field.disabled and not field.value:
                return field
        return None

    # -- loading -----------------------------------------------------------------------------

    @property
    def _active(self) -> ActiveProfile:
        return self.app.active  # type: ignore[attr-defined]

    def _saved_profile(self) -> Profile:
        """The file's values for the profile being edited (blank if not in the file yet)."""
        return self.app.config.profile(self._active.profile.name)  # type: ignore[attr-defined]

    def _on_profile_changed(self, _: ActiveProfile) -> None:
        self._load_form()

    def _load_form(self) -> None:
        """Fill the form from the file (and the environment for what it overrides)."""
        active = self._active
        saved = self._saved_profile()
        for key in ("token", "user"):
            field = self._input(key)
            from_env = active.sources.get(key) is Source.ENVIRONMENT
            field.value = getattr(active.profile if from_env else saved, key).reveal()
            field.disabled = from_env
        self._loaded = self._key_values()
        if self._built:
            self._load_rest()
        else:
            self._refresh_all()

    def _load_rest(self) -> None:
        """Fill all but the keys (loaded first: they are on the first frame)."""
        saved = self._saved_profile()
        name = self._active.profile.name
        if name != self._profile_name:
            self._verify_serial += 1  # drop the answer of a check still running
            self._verified_keys = None
            self._show_idle()
        self._profile_name = name
        self._force_emergency_rows = False
        self._select("priority").value = (
            saved.priority if saved.priority in tuple(Priority) else int(Priority.NORMAL)
        )
        self._input("retry").value = str(saved.retry)
        self._input("expire").value = str(saved.expire)
        self._set_sound_options(saved.sound)
        self._input("device").value = saved.device
        self._refresh_device_suggestions()
        keys = {key: self._loaded.get(key) for key in ("token", "user")}
        self._loaded = {**self._form_values(), **keys}
        self._refresh_profiles()
        self._refresh_all()

    def _key_values(self) -> dict[str, object]:
        return {
            "token": Secret(self._input("token").value.strip()),
            "user": Secret(self._input("user").value.strip()),
        }

    def _form_values(self) -> dict[str, object]:
        """The raw form, keys wrapped: compared with what was loaded to know about edits."""
        if not self._built:
            return self._key_values()
        return {
            **self._key_values(),
            "priority": self._select("priority").value,
            "retry": self._input("retry").value.strip(),
            "expire": self._input("expire").value.strip(),
            "sound": self._select("sound").value,
            "device": self._input("device").value.strip(),
        }

    @property
    def is_dirty(self) -> bool:
        """True when the form differs from what was loaded from the file."""
        return bool(self._loaded) and self._form_values() != self._loaded

    def _is_emergency(self) -> bool:
        return self._select("priority").value == Priority.EMERGENCY

    # -- profiles bar ------------------------------------------------------------------------

    def _refresh_profiles(self) -> None:
        config = self.app.config  # type: ignore[attr-defined]
        name = self._profile_name
        options = []
        for profile_name in config.profile_names:
            marker = "  (default)" if profile_name == config.default_profile else ""
            options.append((f"{profile_name}{marker}", profile_name))
        in_file = config.has_profile(name)
        if not in_file:
            options.append((f"{name}  (unsaved)", name))
        select = self._select("profile")
        with select.prevent(Select.Changed):
            select.set_options(options)
            select.value = name
        self.query_one("#profile-rename", Button).disabled = not in_file
        self.query_one("#profile-delete", Button).disabled = not in_file
        self.query_one("#profile-default", Button).disabled = (
            not in_file or config.default_profile == name
        )

    @on(Select.Changed, "#profile")
    def _profile_picked(self, event: Select.Changed) -> None:
        event.stop()
        wanted = event.value
        if not isinstance(wanted, str) or wanted == self._profile_name:
            return
        self.confirm_leave(
            lambda: self.app.switch_profile(wanted),  # type: ignore[attr-defined]
            on_cancel=self._refresh_profiles,
            question=f"Switch to profile {wanted!r}?",
        )

    @on(Button.Pressed, "#profile-new")
    def _new_profile(self, event: Button.Pressed) -> None:
        event.stop()
        self.confirm_leave(self._ask_new_profile, question="Add a new profile?")

    def _ask_new_profile(self) -> None:
        config = self.app.config  # type: ignore[attr-defined]

        def create(name: str | None) -> None:
            if name is None:
                return
            new_config = config.with_profile(Profile(name))
            if not config.profiles:
                new_config = replace(new_config, default_profile=name)
            if self._write(new_config):
                self.app.switch_profile(name)  # type: ignore[attr-defined]
                self.notify(f"Profile {name!r} added: enter its keys, verify and save.")

        self.app.push_screen(ProfileNameScreen("New profile", config.profile_names), create)

    @on(Button.Pressed, "#profile-rename")
    def _rename_profile(self, event: Button.Pressed) -> None:
        event.stop()
        self.confirm_leave(self._ask_rename, question="Rename this profile?")

    def _ask_rename(self) -> None:
        config = self.app.config  # type: ignore[attr-defined]
        old = self._profile_name

        def rename(new: str | None) -> None:
            if new is None or new == old:
                return
            try:
                new_config = config.renamed_profile(old, new)
            except FieldProblemsError as error:
                self.notify(str(error.problems[0].text), severity="error", markup=False)
                return
            if self._write(new_config):
                self.app.switch_profile(new)  # type: ignore[attr-defined]
                self.notify(f"Profile {old!r} is now {new!r}.", markup=False)

        self.app.push_screen(
            ProfileNameScreen(f"Rename profile {old!r}", config.profile_names, initial=old),
            rename,
        )

    @on(Button.Pressed, "#profile-delete")
    def _delete_profile(self, event: Button.Pressed) -> None:
        event.stop()
        config = self.app.config  # type: ignore[attr-defined]
        name = self._profile_name
        if not config.has_profile(name):
            return
        if len(config.profiles) == 1:
            self.notify(
                f"{name!r} is the only profile. To remove its keys, clear the fields and save.",
                title="Cannot delete",
                severity="warning",
                markup=False,
            )
            return
        remaining = config.without_profile(name)
        text = f"Its keys and defaults are removed from {config.path.name}."
        if config.default_profile == name:
            text += f" {remaining.default_profile!r} becomes the default profile."
        if self.is_dirty:
            text += " Unsaved changes to it are lost."

        def answered(choice: str | None) -> None:
            if choice != "delete":
                return
            if self._write(remaining):
                self._loaded = {}
                self.app.switch_profile(remaining.default_profile)  # type: ignore[attr-defined]
                self.notify(f"Profile {name!r} deleted.", markup=False)

        self.app.push_screen(
            ChoiceScreen(
                f"Delete profile {name!r}?",
                text,
                [("cancel", "Cancel", "default"), ("delete", "Delete", "error")],
            ),
            answered,
        )

    @on(Button.Pressed, "#profile-default")
    def _make_default(self, event: Button.Pressed) -> None:
        event.stop()
        config = self.app.config  # type: ignore[attr-defined]
        name = self._profile_name
        if self._write(replace(config, default_profile=name)):
            self.notify(f"{name!r} is now the profile used at start-up.", markup=False)

    def _write(self, config: object) -> bool:
        """Save a config through the app; a toast (never a traceback) when that fails."""
        try:
            self.app.save_config(config)  # type: ignore[attr-defined]
        except PushoverError as error:
            self.notify(str(error), title="Not saved", severity="error", markup=False)
            return False
        return True

    # -- live checks -------------------------------------------------------------------------

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        if event.input.id in _FIELDS:
            event.stop()
            self._refresh_all()

    @on(Select.Changed, "#priority")
    @on(Select.Changed, "#sound")
    def _select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.select.id == "priority":
            self._force_emergency_rows = False  # the priority decides again
        self._refresh_all()

    def _field_problems(self) -> dict[str, Problem]:
        """Live problems of each field as typed (first problem per field)."""
        problems: list[Problem] = []
        token = self._input("token")
        if token.value and not token.disabled:
            problems += check_token(token.value.strip())
        user = self._input("user")
        if user.value and not user.disabled:
            problems += check_users(user.value.strip())
        if not self._built:
            return {problem.field: problem for problem in reversed(problems)}
        if self._is_emergency() or self._force_emergency_rows:
            retry = self._seconds("retry")
            expire = self._seconds("expire")
            problems += check_emergency(retry, expire)
        problems += check_devices(self._input("device").value.strip())
        found: dict[str, Problem] = {}
        for problem in problems:
            found.setdefault(problem.field, problem)
        return found

    def _seconds(self, name: str) -> int | None:
        text = self._input(name).value.strip()
        return int(text) if text.isdigit() else None

    def _refresh_all(self, extra: dict[str, Problem] | None = None) -> None:
        """Help lines, sources, problem marks, emergency rows and the unsaved marker."""
        problems = self._field_problems()
        for field, problem in (extra or {}).items():
            problems.setdefault(field, problem)
        current = self._form_values()
        if not self._built:  # the keys only (see _build_rest)
            self._refresh_fields(("token", "user"), problems, current)
            return
        self.set_class(self._is_emergency() or self._force_emergency_rows, "-emergency")
        self._refresh_fields(_FIELDS, problems, current)
        dirty = self.is_dirty
        note = self.query_one("#dirty-note", Static)
        note.update("● Unsaved changes" if dirty else "All changes saved")
        note.set_class(dirty, "-dirty")
        self.query_one("#revert", Button).disabled = not dirty
        has_keys = self._active.has_keys
        self.query_one("#welcome").display = not has_keys
        self._mark_stale()

    def _refresh_fields(
        self, names: Iterable[str], problems: dict[str, Problem], current: dict[str, object]
    ) -> None:
        for name in names:
            self._refresh_source(name, current.get(name) != self._loaded.get(name))
            help_line = self.query_one(f"#{name}-help", Static)
            problem = problems.get(name)
            if problem is not None:
                help_line.update(problem.text)
                help_line.set_classes("help -problem")
            else:
                text, style = self._help_text(name)
                help_line.update(text)
                help_line.set_classes(f"help {style}".strip())
            widget = self.query_one(f"#{name}")
            if isinstance(widget, Input):
                widget.set_class(problem is not None, "-invalid")

    def _refresh_source(self, name: str, edited: bool) -> None:
        label = self.query_one(f"#{name}-source", Label)
        source = self._active.sources.get(name, Source.DEFAULT)
        if edited:
            label.update("edited, not saved")
            label.set_classes("source -edited")
        else:
            label.update(_SOURCE_TEXT[source])
            label.set_classes("source -env" if source is Source.ENVIRONMENT else "source")

    def _help_text(self, name: str) -> tuple[str, str]:
        if name in _ENV_VARIABLES and self._input(name).disabled:
            return (
                f"Set by {_ENV_VARIABLES[name]} in the environment (read-only here). "
                "Saving never writes environment values to the file.",
                "-env",
            )
        if name == "token":
            if self._input("token").value:
                return "✓ 30 letters and digits", "-ok"
            return "The API token of your Pushover application.", ""
        if name == "user":
            if self._input("user").value:
                return "✓ 30 letters and digits", "-ok"
            return "Your user key (dashboard) or a group key.", ""
        if name == "priority":
            value = self._select("priority").value
            priority = Priority(value) if value in tuple(Priority) else Priority.NORMAL
            return f"{priority.meaning[0].upper()}{priority.meaning[1:]}.", ""
        if name == "retry":
            return f"How often the alert repeats until acknowledged: at least {RETRY_MIN} s.", ""
        if name == "expire":
            retry, expire = self._seconds("retry"), self._seconds("expire")
            text = f"At most {EXPIRE_MAX} s (3 h); Pushover stops after {MAX_REPEATS} repeats."
            if retry and expire and retry >= RETRY_MIN:
                repeats = emergency_repeats(retry, expire)
                text += f" Now: every {duration(retry)} for {duration(expire)}, {repeats} repeats."
            return text, ""
        if name == "sound":
            if self._profile_name in self._sounds:
                count = len(self._sounds[self._profile_name])
                return f"{count} sounds of this app, custom ones included.", ""
            return "Built-in sounds; verify to load your app's own.", ""
        if name == "device":
            devices = self._devices.get(self._profile_name)
            if devices:
                return f"Blank = all. This user has: {', '.join(devices)}.", ""
            return "Blank = all devices. Verify to list them.", ""
        return "", ""

    # -- sounds and devices ------------------------------------------------------------------

    @staticmethod
    def _sound_options(sounds: dict[str, str], current: str = "") -> list[tuple[str, str]]:
        names = sounds or BUILTIN_SOUNDS
        options = [(DEVICE_DEFAULT_SOUND, "")]
        options += [(description or name, name) for name, description in names.items()]
        if current and current not in names:
            options.append((f"{current} (not in this application's list)", current))
        return options

    def _set_sound_options(self, current: str) -> None:
        select = self._select("sound")
        with select.prevent(Select.Changed):
            known = self._sounds.get(self._profile_name, {})
            select.set_options(self._sound_options(known, current))
            select.value = current

    def _refresh_device_suggestions(self) -> None:
        devices = self._devices.get(self._profile_name, ())
        self._input("device").suggester = (
            SuggestFromList(devices, case_sensitive=False) if devices else None
        )

    # -- reveal ------------------------------------------------------------------------------

    def action_reveal(self) -> None:
        self._revealed = not self._revealed
        for name in ("token", "user"):
            self._input(name).password = not self._revealed
        label = "Hide" if self._revealed else "Show"
        if self._built:
            self.query_one("#reveal", Button).label = label
        else:  # the stand-in until the button is built
            self.query_one("#reveal-placeholder", Static).update(label)

    @on(Button.Pressed, "#reveal")
    def _reveal_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_reveal()

    # -- verify ------------------------------------------------------------------------------

    def on_action_requested(self, event: ActionRequested) -> None:
        if event.action == "verify":
            event.stop()
            if self._when_built(self.action_verify):
                self.action_verify()

    @on(Button.Pressed, "#verify")
    def _verify_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_verify()

    def _effective_profile(self) -> Profile:
        """The profile as the form shows it (environment values included): what is verified."""
        saved = self._saved_profile()
        return replace(
            saved,
            name=self._profile_name,
            token=Secret(self._input("token").value.strip()),
            user=Secret(self._input("user").value.strip()),
        )

    def action_verify(self) -> None:
        if not self._when_built(self.action_verify):
            return
        profile = self._effective_profile()
        device = self._input("device").value.strip()
        problems = check_token(profile.token.reveal()) + check_users(profile.user.reveal())
        problems += check_devices(device)
        if problems:
            self._refresh_all({p.field: p for p in problems})
            self._show_result(
                "failed",
                "[b red]✗ Not checked[/]\n\nFix the highlighted fields first: "
                + " ".join(Text(p.text).markup for p in problems),
            )
            self._focus_field(problems[0].field)
            return
        self._verify_serial += 1
        self._show_result("loading", "Checking the keys with Pushover…")
        self._run_verify(profile, device, self._verify_serial)

    @work(exclusive=True, exit_on_error=False, group="config-verify")
    async def _run_verify(self, profile: Profile, device: str, serial: int) -> None:
        app = self.app
        try:
            try:
                check = await app.verify(profile, device)  # type: ignore[attr-defined]
            except PushoverError as error:
                if serial == self._verify_serial:
                    self._show_failure(error, device)
                return
            sounds: dict[str, str] | None = None
            # When this fails the built-in list stays; the keys themselves are fine.
            with contextlib.suppress(PushoverError):
                sounds = await app.sounds(profile)  # type: ignore[attr-defined]
            if serial == self._verify_serial:
                self._show_success(profile, device, check, sounds)
        finally:
            if serial == self._verify_serial and self.query_one("#result").has_class("-loading"):
                # Only an unexpected error gets here: the app toasts it.
                self._show_result("failed", "[b red]✗ The check stopped unexpectedly.[/]")

    def _show_success(
        self, profile: Profile, device: str, check: UserCheck, sounds: dict[str, str] | None
    ) -> None:
        name = profile.name
        self._devices[name] = check.devices
        if sounds:
            self._sounds[name] = sounds
            self._set_sound_options(self._select("sound").value or "")
        self._refresh_device_suggestions()
        self._verified_keys = (profile.token, profile.user, device)
        kind = "Group key" if check.group else "User key"
        devices = ", ".join(check.devices) or "none listed"
        licenses = ", ".join(check.licenses) or "none listed"
        lines = [
            "[b green]✓ The keys work[/]",
            "",
            f"[b]{kind}[/] accepted with this app token.",
            f"[b]Devices[/]  {Text(devices).markup}",
            f"[b]Licenses[/] {Text(licenses).markup}",
        ]
        if device:
            lines.append(f"[b]Device[/]   {Text(device).markup} is valid")
        if sounds:
            lines.append(f"[b]Sounds[/]   {len(sounds)} available")
        self._show_result("ok", "\n".join(lines))
        self._refresh_all()

    def _show_failure(self, error: PushoverError, device: str) -> None:
        self._verified_keys = None
        field_problems: dict[str, Problem] = {}
        if isinstance(error, APIError):
            reason = "; ".join(error.errors) or str(error)
            said = f"Pushover says: [i]{Text(reason).markup}[/i]"
            lowered = " ".join(error.errors).lower()
            parts: list[str] = []
            if isinstance(error, QuotaExceededError):
                parts.append(
                    "[b red]✗ Monthly quota used up[/]\n\n"
                    f"{said}\n\nThe quota resets on the 1st of the month; wait or upgrade."
                )
            else:
                if "no active devices" in lowered:
                    parts.append(
                        "[b red]✗ No active devices[/]\n\nThe user key is valid, but no device is "
                        "logged in to Pushover. Install the Pushover app on a phone or desktop, "
                        "log in, then verify again."
                    )
                elif "user" in error.fields and "invalid" in error.fields["user"]:
                    parts.append(
                        "[b red]✗ User key rejected[/]\n\nCopy your user key from the top of your "
                        "pushover.net dashboard (or use a group key). It is not the app token."
                    )
                    field_problems["user"] = Problem("user", "Pushover does not know this key.")
                if "token" in error.fields:
                    parts.insert(
                        0,
                        "[b red]✗ App token rejected[/]\n\nCopy the API token from your "
                        "application's page on pushover.net (Your Applications), not your user "
                        "key.",
                    )
                    field_problems["token"] = Problem(
                        "token", "Pushover does not know this application token."
                    )
                if "device" in error.fields:
                    parts.append(
                        f"[b red]✗ Unknown device[/]\n\nThis user has no device called "
                        f"{Text(repr(device)).markup}. Leave the device blank to reach all "
                        "devices, or use one of the names listed after a check without it."
                    )
                    field_problems["device"] = Problem(
                        "device", "Not a device of this user: leave it blank or fix the name."
                    )
                if not parts:
                    parts.append("[b red]✗ Keys refused[/]")
                parts.append(said)
            text = "\n\n".join(parts)
        elif isinstance(error, TemporaryError | UnexpectedResponseError):
            text = (
                "[b red]✗ Could not reach Pushover, try again.[/]\n\n"
                f"[dim]{Text(str(error)).markup}[/dim]\n\n"
                "Your keys were not checked. Check the network connection and press Verify "
                "again in a moment."
            )
        elif isinstance(error, FieldProblemsError):
            field_problems = {p.field: p for p in error.problems}
            text = "[b red]✗ Not checked[/]\n\n" + " ".join(
                Text(p.text).markup for p in error.problems
            )
        else:
            text = f"[b red]✗ Not checked[/]\n\n{Text(str(error)).markup}"
        self._show_result("failed", text)
        self._refresh_all(field_problems)

    def _on_app_verified(self, _: bool | None) -> None:
        if not self._built:
            return  # the panel says so when it is built
        if self.query_one("#result").has_class("-idle"):
            self._show_idle()

    def _show_idle(self) -> None:
        verified = getattr(self.app, "verified", None)
        if verified:
            text = "[green]✓ Keys verified at start-up.[/]\nPress Verify to list the devices."
        else:
            text = "Not checked yet.\nPress Verify to check the keys with Pushover."
        self._show_result("idle", text)

    def _show_result(self, state: str, text: str) -> None:
        panel = self.query_one("#result")
        panel.set_classes(f"-{state}")
        self.query_one("#result-text", Static).update(text)
        button = self.query_one("#verify", Button)
        button.disabled = state == "loading"

    def _mark_stale(self) -> None:
        """Dim a success once the keys it was for have been edited."""
        if self._verified_keys is None:
            return
        panel = self.query_one("#result")
        current = (
            Secret(self._input("token").value.strip()),
            Secret(self._input("user").value.strip()),
            self._input("device").value.strip(),
        )
        stale = current != self._verified_keys
        panel.set_class(stale, "-stale")
        panel.border_subtitle = "keys edited since: verify again" if stale else ""

    # -- save --------------------------------------------------------------------------------

    def _profile_to_save(self) -> tuple[Profile, list[Problem]]:
        """The profile as the file should hold it, and what blocks saving it."""
        active = self._active
        saved = self._saved_profile()
        problems: list[Problem] = []
        values: dict[str, object] = {}
        for key in ("token", "user"):
            if active.sources.get(key) is Source.ENVIRONMENT:
                values[key] = getattr(saved, key)  # never an environment value
            else:
                values[key] = Secret(self._input(key).value.strip())
        emergency = self._is_emergency()
        for key in ("retry", "expire"):
            seconds = self._seconds(key)
            if seconds is None:
                if emergency:
                    retry_or_none = seconds if key == "retry" else self._seconds("retry")
                    expire_or_none = seconds if key == "expire" else self._seconds("expire")
                    problems += [
                        p for p in check_emergency(retry_or_none, expire_or_none) if p.field == key
                    ]
                seconds = getattr(saved, key)
            values[key] = seconds
        sound = self._select("sound").value
        profile = replace(
            saved,
            name=self._profile_name,
            priority=int(self._select("priority").value),
            sound=sound if isinstance(sound, str) else "",
            device=self._input("device").value.strip(),
            **values,  # type: ignore[arg-type]
        )
        seen = {p.field for p in problems}
        problems += [p for p in check_profile(profile) if p.is_error and p.field not in seen]
        return profile, problems

    def action_save(self) -> bool:
        """Save the form; False (and the problems shown on their fields) when it cannot."""
        if not self._when_built(self.action_save):
            return False  # saved in a moment, once the form is built
        profile, problems = self._profile_to_save()
        if problems:
            if {p.field for p in problems} & {"retry", "expire"}:
                self._force_emergency_rows = True
            by_field: dict[str, Problem] = {}
            for problem in problems:
                by_field.setdefault(problem.field, problem)
            self._refresh_all(by_field)
            self._focus_field(problems[0].field)
            count = len(by_field)
            self.notify(
                f"Fix the {'field' if count == 1 else f'{count} fields'} marked in red, "
                "then save again.",
                title="Not saved",
                severity="error",
            )
            return False
        config = self.app.config  # type: ignore[attr-defined]
        new_config = config.with_profile(profile)
        if not config.profiles:
            new_config = replace(new_config, default_profile=profile.name)
        verified_before = self._verified_keys
        if not self._write(new_config):
            return False
        if verified_before is not None and (profile.token, profile.user) == verified_before[:2]:
            self.app.verified = True  # type: ignore[attr-defined]
        self.notify(f"Profile {profile.name!r} saved to {config.path}.", markup=False)
        return True

    @on(Button.Pressed, "#save")
    def _save_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_save()

    @on(Button.Pressed, "#revert")
    def _revert_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self._load_form()
        self.notify("Changes discarded.")

    def _focus_field(self, field: str) -> None:
        widgets = self.query(f"#{field}")
        if widgets and widgets.first().focusable:
            widgets.first().focus()

    # -- leaving -----------------------------------------------------------------------------

    def action_leave(self, mode: str) -> None:
        self.confirm_leave(lambda: self.app.switch_mode(mode), question="Leave the settings?")

    def confirm_leave(
        self,
        proceed: Callable[[], object],
        *,
        on_cancel: Callable[[], object] | None = None,
        question: str = "Quit pushover-tui?",
    ) -> None:
        """Run `proceed` now, or after asking Save / Discard / Cancel when there are edits.

        The app calls this before quitting (see PushoverApp.action_quit).
        """
        if not self.is_dirty:
            proceed()
            return

        def answered(choice: str | None) -> None:
            if choice == "save":
                if self.action_save():
                    proceed()
                elif on_cancel is not None:
                    on_cancel()
            elif choice == "discard":
                self._load_form()
                proceed()
            elif on_cancel is not None:
                on_cancel()

        self.app.push_screen(
            ChoiceScreen(
                question,
                f"Profile {self._profile_name!r} has unsaved changes.",
                [
                    ("save", "Save", "success"),
                    ("discard", "Discard", "error"),
                    ("cancel", "Cancel", "default"),
                ],
            ),
            answered,
        )
