"""The Config screen's profile bar: pick the profile to edit, add, rename, delete, make default.

Every change is written through the session (`Session.save_config`); leaving a profile with
unsaved edits asks first through the screen's `ask_to_leave`; each question is awaited in the
bar's own worker (`tui.base.ask`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from dataclasses import replace
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Label, Select

from pushover_tui.api.errors import FieldProblemsError, PushoverError
from pushover_tui.store.config import Config, Profile
from pushover_tui.tui.base import ask, dashboard, session_of
from pushover_tui.tui.widgets.dialogs import ChoiceDialog, TextDialog

if TYPE_CHECKING:
    from textual.worker import Worker

    from pushover_tui.tui.session import Session


def profile_name_problem(name: str, taken: Collection[str], current: str = "") -> str | None:
    """Why `name` cannot name a profile (None: it can)."""
    if not name:
        return "A profile name cannot be blank."
    if name in taken and name != current:
        return f"A profile named {name!r} already exists: choose another name."
    if len(name) > 40:
        return "Keep the name to 40 characters or fewer."
    if not all(ch.isalnum() or ch in " _-." for ch in name):
        return "Use letters, digits, spaces, '_', '-' or '.' only."
    return None


def profile_name_dialog(title: str, taken: Collection[str], current: str = "") -> TextDialog:
    return TextDialog(
        title,
        "",
        value=current,
        placeholder="e.g. work, alerts, family",
        hint="Letters, digits, spaces, '_', '-' or '.'.",
        problem=lambda name: profile_name_problem(name, taken, current),
    )


class ProfileBar(Horizontal):
    def __init__(
        self, ask_to_leave: Callable[[str], Awaitable[bool]], *, dirty: Callable[[], bool]
    ) -> None:
        """`ask_to_leave(question)`: True once unsaved edits are saved or discarded (at once
        without edits), False when the user keeps editing."""
        super().__init__(id="profile-switcher")
        self.ask_to_leave = ask_to_leave
        self.dirty = dirty

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        dashboard(self).on_worker_state_changed(event)  # it does not bubble to the screen

    @property
    def session(self) -> Session:
        return session_of(self)

    def compose(self) -> ComposeResult:
        yield Label("Profile")
        yield Select[str]([], id="profile", allow_blank=True, prompt="(none)")
        yield Button("New…", id="profile-new")
        yield Button("Rename…", id="profile-rename")
        yield Button("Delete…", id="profile-delete")
        yield Button("Make default", id="profile-default")

    def on_mount(self) -> None:
        self.show_profiles()

    @property
    def editing(self) -> str:
        return self.session.active.profile.name

    def show_profiles(self) -> None:
        """The profiles in the file (the default marked), and the one edited even if unsaved."""
        config = self.session.config
        name = self.editing
        options = [
            (f"{profile}{'  (default)' if profile == config.default_profile else ''}", profile)
            for profile in config.profile_names
        ]
        in_file = config.has_profile(name)
        if not in_file:
            options.append((f"{name}  (unsaved)", name))
        select = self.query_one("#profile", Select)
        with select.prevent(Select.Changed):
            select.set_options(options)
            select.value = name
        self.query_one("#profile-rename", Button).disabled = not in_file
        self.query_one("#profile-delete", Button).disabled = not in_file
        self.query_one("#profile-default", Button).disabled = (
            not in_file or config.default_profile == name
        )

    def write(self, config: Config, *, same_profile: bool = False) -> bool:
        """Save a config through the app; a toast (never a traceback) when that fails.
        `same_profile`: the profile in use is unchanged, and so is the form (its edits too)."""
        try:
            if same_profile:
                self.session.write_config(config)
            else:
                self.session.save_config(config)
        except PushoverError as error:
            dashboard(self).report(error, title="Not saved")
            return False
        return True

    @on(Select.Changed, "#profile")
    def _picked(self, event: Select.Changed) -> None:
        event.stop()
        wanted = event.value
        if isinstance(wanted, str) and wanted != self.editing:
            self._switch(wanted)

    @work(exclusive=True, group="profile-ask", exit_on_error=False)
    async def _switch(self, wanted: str) -> None:
        if await self.ask_to_leave(f"Switch to profile {wanted!r}?"):
            self.session.switch_profile(wanted)
        else:
            self.show_profiles()

    @on(Button.Pressed, "#profile-new")
    def _new(self, event: Button.Pressed) -> None:
        event.stop()
        self._add()

    @work(exclusive=True, group="profile-ask", exit_on_error=False)
    async def _add(self) -> None:
        if not await self.ask_to_leave("Add a new profile?"):
            return
        config = self.session.config
        name = await ask(self, profile_name_dialog("New profile", config.profile_names))
        if name is None:
            return
        new_config = config.with_profile(Profile(name))
        if not config.profiles:
            new_config = replace(new_config, default_profile=name)
        if self.write(new_config):
            self.session.switch_profile(name)
            self.notify(f"Profile {name!r} added: enter its keys, verify and save.")

    @on(Button.Pressed, "#profile-rename")
    def _rename(self, event: Button.Pressed) -> None:
        event.stop()
        self._ask_rename()

    @work(exclusive=True, group="profile-ask", exit_on_error=False)
    async def _ask_rename(self) -> None:
        if not await self.ask_to_leave("Rename this profile?"):
            return
        config = self.session.config
        old = self.editing
        new = await ask(
            self, profile_name_dialog(f"Rename profile {old!r}", config.profile_names, old)
        )
        if new is None or new == old:
            return
        try:
            new_config = config.renamed_profile(old, new)
        except FieldProblemsError as error:
            dashboard(self).report(error, title="Not renamed")
            return
        if self.write(new_config):
            self.session.switch_profile(new)
            self.notify(f"Profile {old!r} is now {new!r}.", markup=False)

    @on(Button.Pressed, "#profile-delete")
    def _delete(self, event: Button.Pressed) -> None:
        event.stop()
        config = self.session.config
        name = self.editing
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
        self._ask_delete(config, name)

    @work(exclusive=True, group="profile-ask", exit_on_error=False)
    async def _ask_delete(self, config: Config, name: str) -> None:
        remaining = config.without_profile(name)
        text = f"Its keys and defaults are removed from {config.path.name}."
        if config.default_profile == name:
            text += f" {remaining.default_profile!r} becomes the default profile."
        if self.dirty():
            text += " Unsaved changes to it are lost."
        dialog = ChoiceDialog(
            f"Delete profile {name!r}?",
            text,
            [("cancel", "Cancel", "default"), ("delete", "Delete", "error")],
        )
        if await ask(self, dialog) == "delete" and self.write(remaining):
            self.session.switch_profile(remaining.default_profile)
            self.notify(f"Profile {name!r} deleted.", markup=False)

    @on(Button.Pressed, "#profile-default")
    def _make_default(self, event: Button.Pressed) -> None:
        event.stop()
        name = self.editing
        # Only the default marker changes: unsaved edits of the form stay.
        if self.write(replace(self.session.config, default_profile=name), same_profile=True):
            self.show_profiles()
            self.notify(f"{name!r} is now the profile used at start-up.", markup=False)
