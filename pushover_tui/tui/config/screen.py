"""The Config screen: keys, sending defaults, verification and profiles.

The form edits the active profile through a ProfileForm (config/form.py): loaded from the file's
values (`session.config`) and the effective ones (`session.active`: the environment, the command
line), saved through `session.save_config`, which never receives an environment value: a key set
by the environment is shown read-only and the file's own value is written back unchanged.

Screens hold no protocol: verification and sounds go through `session.verify` / `session.sounds`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Button, Input, Select, Static

from pushover_tui.api.checks import Problem, check_devices, check_token, check_users
from pushover_tui.api.errors import PushoverError
from pushover_tui.api.models import BUILTIN_SOUNDS, UserCheck
from pushover_tui.api.secret import Secret
from pushover_tui.store.config import Profile
from pushover_tui.tui.base import ModeScreen
from pushover_tui.tui.config.fields import DefaultsFields, KeyFields
from pushover_tui.tui.config.form import (
    FIELDS,
    KEYS,
    ProfileForm,
    from_environment,
    help_line,
    source_line,
)
from pushover_tui.tui.config.profile_bar import ProfileBar
from pushover_tui.tui.config.verify_panel import (
    VerifyPanel,
    failure_report,
    idle_report,
    loading_report,
    not_checked_report,
    stopped_report,
    success_report,
)
from pushover_tui.tui.keys import binding
from pushover_tui.tui.messages import VerifyKeys
from pushover_tui.tui.startup import Deferred
from pushover_tui.tui.widgets.choices import sound_options
from pushover_tui.tui.widgets.composed import composed
from pushover_tui.tui.widgets.dialogs import ChoiceDialog, device_picker
from pushover_tui.tui.widgets.field_row import FieldRow, set_compact
from pushover_tui.tui.widgets.footer import AppFooter
from pushover_tui.tui.widgets.screen_tabs import ScreenTabs
from pushover_tui.tui.widgets.status_bar import StatusBar


def welcome_text(key: Callable[[str], str]) -> Content:
    return Content.from_markup(
        "[b]Welcome to pushover-tui[/b]\n\n"
        "You need two keys from [b]pushover.net[/b]:\n\n"
        " 1. Your [b]user key[/b]: log in; it is at the top of your dashboard.\n"
        " 2. An [b]API token[/b]: choose 'Create an Application/API Token' and copy the "
        "token of the new application.\n\n"
        "Paste them in the key fields, press [b]Verify[/b] ($verify), then [b]Save[/b] "
        "($save).\n\n"
        "[dim]No account yet? Run[/dim] pushover-tui --demo [dim]to try everything on a "
        "built-in simulator.[/dim]",
        verify=key("config.verify"),
        save=key("config.save"),
    )


class ConfigScreen(ModeScreen):
    """Keys, defaults and profiles, with live checks and a Verify panel."""

    CSS_PATH = "config.tcss"
    NARROW_BELOW = 100
    SHORT_BELOW = 30
    BINDINGS: ClassVar[list[BindingType]] = [
        binding("config.save", "save"),
        # priority: an Input's own ctrl+v (paste from the app clipboard) would win otherwise.
        binding("config.verify", "verify"),
        binding("config.reveal", "reveal"),
    ]
    # No auto-focus ("*" would pick the scrolling form): the first key still to fill in gets
    # the focus on mount, else the profile selector once it is built.
    AUTO_FOCUS = ""

    def __init__(self) -> None:
        super().__init__()
        self.form = ProfileForm()
        self.loaded = ProfileForm()  # what the file holds: the form differs when edited
        self.report: tuple[str, Content] = ("idle", idle_report(None))
        self._profile_name = ""
        self._revealed = False
        self._devices: dict[str, tuple[str, ...]] = {}  # profile -> devices of the last check
        self._sounds: dict[str, dict[str, str]] = {}  # profile -> the app's sound list
        self._verified_keys: tuple[Secret, Secret, str] | None = None
        self._rejected_keys: tuple[Secret, Secret] | None = None  # Pushover refused them
        self._verify_serial = 0
        self._force_emergency_rows = False

    # -- layout and life cycle -----------------------------------------------------------------

    def compose(self) -> ComposeResult:
        # The first frame shows what a first run reads first: the welcome text.
        yield StatusBar()
        yield ScreenTabs("config", self.pushover.key_label)
        with Horizontal(id="profile-bar"):
            yield Deferred(lambda: ProfileBar(self.ask_to_leave, dirty=lambda: self.is_dirty))
        # One scroll: the form, with welcome and Verification beside it (under it when narrow).
        with VerticalScroll(id="config-body"):
            with Vertical(id="config-form"):
                yield Deferred(self._key_fields)
                yield Deferred(lambda: DefaultsFields(self.form, self._sound_list()))
            with Vertical(id="config-side"):
                welcome = Static(welcome_text(self.pushover.key_label), id="welcome")
                welcome.border_title = "Getting started"
                yield welcome
                yield Deferred(lambda: VerifyPanel(self.pushover.key_label, id="result"))
        yield Deferred(AppFooter)

    def _key_fields(self) -> KeyFields:
        active = self.session.active
        read_only = {key for key in KEYS if from_environment(active, key)}
        reveal_key = self.pushover.key_label("config.reveal")
        return KeyFields(
            self.form, revealed=self._revealed, read_only=read_only, reveal_key=reveal_key
        )

    def on_mount(self) -> None:
        self.pushover.profile_changed.subscribe(self, lambda _: self._load_form())
        # The app checks the keys in the background at start-up: say so once it knows.
        self.watch(self.app, "verified", self._app_verified, init=False)
        self._load_form()

    @on(Deferred.Built)
    def _component_built(self, event: Deferred.Built) -> None:
        self._refresh()
        widget = event.widget
        set_compact(widget, self.has_class("-short"))
        if isinstance(widget, VerifyPanel):
            widget.show(*self.report)
        if isinstance(widget, KeyFields):
            # The first key still to fill in; else the profile selector, once it is built.
            empty = [field for field in widget.query(Input).results(Input) if not field.value]
            if empty and not empty[0].disabled:
                empty[0].focus()
        if isinstance(widget, ProfileBar) and self.focused is None:
            widget.query_one("#profile").focus()

    # -- loading -----------------------------------------------------------------------------

    def on_resize(self) -> None:
        self.fit_to(self.size)
        set_compact(self, self.has_class("-short"))

    def on_screen_suspend(self) -> None:
        if self._revealed:
            self.action_reveal()  # the keys are masked again when the screen is left

    def _saved_profile(self) -> Profile:
        """The file's values for the profile being edited (blank if not in the file yet)."""
        return self.session.config.profile(self.session.active.profile.name)

    def _load_form(self) -> None:
        """Fill the form from the file (and the environment for what it overrides)."""
        active = self.session.active
        if active.profile.name != self._profile_name:
            self._profile_name = active.profile.name
            self._verify_serial += 1  # drop the answer of a check still running
            self._verified_keys = None
            self._show_report("idle", idle_report(self.session.verified))
        self.form = self.loaded = ProfileForm.load(self._saved_profile(), active)
        self._force_emergency_rows = False
        for bar in composed(self, ProfileBar):
            bar.show_profiles()
        self._show_form(self)

    def _show_form(self, root: Widget) -> None:
        """Put the form's values in the widgets under `root` (quietly), then refresh."""
        form = self.form
        with self.prevent(Input.Changed, Select.Changed):
            for field in root.query(Input).results(Input):
                if field.id in FIELDS:
                    field.value = getattr(form, field.id)
                    field.disabled = field.id in KEYS and from_environment(
                        self.session.active, field.id
                    )
            for select in root.query("#priority, #sound").results(Select):
                if select.id == "sound":
                    select.set_options(sound_options(self._sound_list(), form.sound))
                    select.value = form.sound or Select.NULL
                else:
                    select.value = form.priority
        devices = self._devices.get(self._profile_name, ())
        for device in root.query("#device").results(Input):
            device.suggester = SuggestFromList(devices, case_sensitive=False) if devices else None
        self._refresh()

    def _sound_list(self) -> Mapping[str, str]:
        """The app's sounds once a verification listed them, else the built-in ones."""
        return self._sounds.get(self._profile_name, BUILTIN_SOUNDS)

    @property
    def is_dirty(self) -> bool:
        """True when the form differs from what was loaded from the file."""
        return self.form != self.loaded

    # -- live checks -------------------------------------------------------------------------

    @on(Input.Changed)
    @on(Select.Changed, "#priority, #sound")
    def _edited(self, event: Input.Changed | Select.Changed) -> None:
        field = event.control.id
        if field not in FIELDS:
            return
        event.stop()
        if isinstance(event, Input.Changed):
            value: str | int = event.value
        else:
            value = event.value if isinstance(event.value, int | str) else ""
            if field == "priority":
                self._force_emergency_rows = False  # the priority decides again
        self.form = self.form.edit(field, value)
        self._refresh()

    def _refresh(self, extra: dict[str, Problem] | None = None) -> None:
        """Help lines, sources, problem marks, emergency rows and the unsaved marker."""
        form, active = self.form, self.session.active
        emergency = form.is_emergency or self._force_emergency_rows
        self.set_class(emergency, "-emergency")
        problems = {**form.problems(active, emergency_rows=emergency), **(extra or {})}
        devices = self._devices.get(self._profile_name)
        sounds = self._sounds.get(self._profile_name)
        for row in composed(self, FieldRow):
            field = row.field
            edited = getattr(form, field) != getattr(self.loaded, field)
            row.set_source(*source_line(field, active, edited=edited))
            if field in problems:
                row.set_note(problems[field].text, "error")
            else:
                row.set_note(*help_line(field, form, active, devices=devices, sounds=sounds))
        dirty = self.is_dirty
        for note in self.query("#dirty-note").results(Static):
            note.update("● Unsaved changes" if dirty else "All changes saved")
            note.set_class(dirty, "-dirty")
        for revert in self.query("#revert").results(Button):
            revert.disabled = not dirty
        self.query_one("#welcome").display = not active.has_keys
        edited_keys = (form.token, form.user) != (self.loaded.token, self.loaded.user)
        self.pushover.keys_edited = edited_keys
        for pick in self.query("#device-pick").results(Button):
            pick.display = bool(devices)
        checked = self._verified_keys or self._rejected_keys
        if checked is not None and form.keys()[: len(checked)] != checked:
            # What the panel says was about other keys: it says nothing until Verify again.
            self._verified_keys = self._rejected_keys = None
            self._show_report("idle", idle_report(None))

    @on(Button.Pressed, "#device-pick")
    def _pick_devices(self, event: Button.Pressed) -> None:
        event.stop()
        self._ask_devices()

    @work(exclusive=True, group="config-ask", exit_on_error=False)
    async def _ask_devices(self) -> None:
        devices = self._devices.get(self._profile_name, ())
        names = await self.ask(device_picker("Default devices", devices, self.form.device))
        if names is not None:
            self.query_one("#device", Input).value = ",".join(names)

    # -- reveal ------------------------------------------------------------------------------

    def action_reveal(self) -> None:
        self._revealed = not self._revealed
        for field in self.query("#token, #user").results(Input):
            field.password = not self._revealed
        for button in self.query("#reveal").results(Button):
            button.label = "Hide" if self._revealed else "Show"

    @on(Button.Pressed, "#reveal")
    def _reveal_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_reveal()

    # -- verify ------------------------------------------------------------------------------

    def on_verify_keys(self, event: VerifyKeys) -> None:
        event.stop()
        self.action_verify()

    @on(Button.Pressed, "#verify")
    def _verify_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_verify()

    def action_verify(self) -> None:
        form = self.form
        problems = check_token(form.token) + check_users(form.user) + check_devices(form.device)
        if problems:
            self._refresh({p.field: p for p in problems})
            self._show_report("failed", not_checked_report(problems))
            self._focus_field(problems[0].field)
            return
        token, user, device = form.keys()
        profile = replace(self._saved_profile(), name=self._profile_name, token=token, user=user)
        self._verify_serial += 1
        self._show_report("loading", loading_report())
        self._run_verify(profile, device, self._verify_serial)

    @work(exclusive=True, exit_on_error=False, group="config-verify")
    async def _run_verify(self, profile: Profile, device: str, serial: int) -> None:
        try:
            try:
                check = await self.session.verify(profile, device)
            except PushoverError as error:
                if serial == self._verify_serial:
                    report, field_problems = failure_report(error, device)
                    self._devices.pop(profile.name, None)  # never an old list after a failure
                    self._verified_keys = None
                    if {"token", "user"} & set(field_problems):
                        self._rejected_keys = (profile.token, profile.user)
                    self._show_report("failed", report)
                    self._refresh(field_problems)
                return
            sounds: dict[str, str] | None = None
            # When this fails the built-in list stays; the keys themselves are fine.
            with contextlib.suppress(PushoverError):
                sounds = await self.session.sounds(profile)
            if serial == self._verify_serial:
                self._verified(profile, device, check, sounds)
        finally:
            if serial == self._verify_serial and self.report[0] == "loading":
                # Only an unexpected error gets here: the app toasts it.
                self._show_report("failed", stopped_report())

    def _verified(
        self, profile: Profile, device: str, check: UserCheck, sounds: dict[str, str] | None
    ) -> None:
        self._devices[profile.name] = check.devices
        if sounds:
            self._sounds[profile.name] = sounds
        self._verified_keys = (profile.token, profile.user, device)
        self._rejected_keys = None
        self._show_report("ok", success_report(check, device, sounds))
        self._show_form(self)  # the new sounds and device suggestions

    def _app_verified(self, verified: bool | None) -> None:
        if self.report[0] == "idle":
            self._show_report("idle", idle_report(verified))

    def _show_report(self, state: str, report: Content) -> None:
        self.report = (state, report)
        for panel in composed(self, VerifyPanel):
            panel.show(state, report)

    # -- save --------------------------------------------------------------------------------

    def action_save(self) -> None:
        """Save the form, or show why it cannot be (problems marked on their fields); keys
        Pushover just rejected are saved only when the user says so."""
        profile = self._checked_profile()
        if profile is None:
            return
        if self._rejected(profile):
            self._save_if_wanted(profile)
        else:
            self._write(profile)

    async def save(self) -> bool:
        """`action_save`, awaited in a worker: whether it saved."""
        profile = self._checked_profile()
        if profile is None or (self._rejected(profile) and not await self._rejected_wanted()):
            return False
        return self._write(profile)

    @work(exclusive=True, group="config-ask", exit_on_error=False)
    async def _save_if_wanted(self, profile: Profile) -> None:
        if await self._rejected_wanted():
            self._write(profile)

    def _rejected(self, profile: Profile) -> bool:
        return self._rejected_keys == (profile.token, profile.user)

    async def _rejected_wanted(self) -> bool:
        dialog = ChoiceDialog(
            "Save keys Pushover rejected?",
            "Verify just said Pushover does not accept these keys: nothing sent with them "
            "would arrive.",
            [("cancel", "Keep editing", "primary"), ("save", "Save anyway", "error")],
        )
        return await self.ask(dialog) == "save"

    def _checked_profile(self) -> Profile | None:
        """The form as a profile; None with its problems shown on their fields."""
        profile, problems = self.form.to_profile(self._saved_profile(), self.session.active)
        if not problems:
            return profile
        if {p.field for p in problems} & {"retry", "expire"}:
            self._force_emergency_rows = True
        by_field: dict[str, Problem] = {}
        for problem in problems:
            by_field.setdefault(problem.field, problem)
        self._refresh(by_field)
        self._focus_field(problems[0].field)
        count = len(by_field)
        self.notify(
            f"Fix the {'field' if count == 1 else f'{count} fields'} marked in red, "
            "then save again.",
            title="Not saved",
            severity="error",
        )
        return None

    def _write(self, profile: Profile) -> bool:
        config = self.session.config
        new_config = config.with_profile(profile)
        if not config.profiles:
            new_config = replace(new_config, default_profile=profile.name)
        verified_before = self._verified_keys
        try:
            self.session.save_config(new_config)
        except PushoverError as error:
            self.show_error(error, title="Not saved")
            return False
        if verified_before is not None and (profile.token, profile.user) == verified_before[:2]:
            self.session.set("verified", True)
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

    async def may_leave(self, why: str) -> bool:
        """Leaving (or quitting, or switching profile) with unsaved edits asks Save / Discard /
        Cancel first (the app's one rule: PushoverApp.leave)."""
        question = {"quit": "Quit with unsaved settings?", "profile": "Switch profile?"}
        return await self.ask_to_leave(question.get(why, "Leave the settings?"))

    async def ask_to_leave(self, question: str) -> bool:
        """True at once without edits; else after Save (when it saved) or Discard."""
        if not self.is_dirty:
            return True
        dialog = ChoiceDialog(
            question,
            f"Profile {self._profile_name!r} has unsaved changes.",
            [
                ("save", "Save", "success"),
                ("discard", "Discard", "error"),
                ("cancel", "Cancel", "default"),
            ],
        )
        choice = await self.ask(dialog)
        if choice == "save":
            return await self.save()
        if choice == "discard":
            self._load_form()
            return True
        return False
