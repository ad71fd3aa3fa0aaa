"""Compose's recipient: the profile's default (its `to`, else its user key) or one of the
account's delivery groups.

The groups come from the app (`known_groups`, loaded in the background after start-up); until
they arrive the choice offers the default and the draft's own choice, and stays usable. The draft
holds the choice as a Secret (a group key, or blank for the default): it is never shown in full.
"""

from __future__ import annotations

from dataclasses import replace

from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Select

from pushover_tui.api.models import Group
from pushover_tui.api.secret import Secret
from pushover_tui.safe_text import escape_controls
from pushover_tui.tui.base import dashboard
from pushover_tui.tui.compose.component import QUIET_CHANGES, DraftComponent
from pushover_tui.tui.compose.draft import Draft
from pushover_tui.tui.session.groups import GROUPS_LOADING
from pushover_tui.tui.widgets.field_row import FieldRow
from pushover_tui.tui.wording import masked_key


def group_label(key: Secret, groups: tuple[Group, ...] | None) -> str:
    """A group key for people: the group's name when known, else the key masked."""
    found = next((group for group in groups or () if group.key == key and group.name), None)
    return escape_controls(found.name) if found else masked_key(key.masked())


def recipient_options(
    default: str, groups: tuple[Group, ...] | None, current: Secret
) -> list[tuple[Content, Secret]]:
    """(label, value) per choice: the default (blank Secret), each group by name, and the
    current choice even when the groups do not list it (not loaded yet, or gone)."""
    keys = [group.key for group in groups or ()]
    if current and current not in keys:
        keys.append(current)
    options = [(Content(f"default: {escape_controls(default)}"), Secret())]
    return options + [(Content(f"group: {group_label(key, groups)}"), key) for key in keys]


class RecipientField(DraftComponent):
    """The "To" row. Its note says why the groups could not be loaded, or that they are still
    loading once that takes LOADING_NOTE_DELAY (a quick load, the usual, moves nothing)."""

    LOADING_NOTE_DELAY = 0.5

    def compose(self) -> ComposeResult:
        select = Select[Secret](
            self._options(self.initial.to),
            value=self.initial.to,
            allow_blank=False,
            id="to",
            compact=True,
        )
        yield FieldRow("to", "To", select, classes="-gap")

    def on_mount(self) -> None:
        self.watch(self.app, "known_groups", lambda _: self._show_choices(), init=False)
        self.watch(self.app, "groups_note", lambda _: self._show_choices())

    def _options(self, current: Secret) -> list[tuple[Content, Secret]]:
        session = dashboard(self).session
        return recipient_options(session.groups.default_recipient(), session.known_groups, current)

    def _show_choices(self) -> None:
        """The app's groups (and default) now, the current choice kept."""
        select = self.query_one("#to", Select)
        current = select.value if isinstance(select.value, Secret) else Secret()
        with self.prevent(*QUIET_CHANGES):
            select.set_options(self._options(current))
            select.value = current
        session = dashboard(self).session
        if session.known_groups is None and session.groups_note == GROUPS_LOADING:
            self.set_timer(self.LOADING_NOTE_DELAY, self._show_note)
        else:
            self._show_note()

    def _show_note(self) -> None:
        session = dashboard(self).session
        note = session.groups_note if session.known_groups is None else ""
        self.query_one(FieldRow).set_note(note, "hint" if note == GROUPS_LOADING else "warning")

    def load(self, draft: Draft) -> None:
        select = self.query_one("#to", Select)
        with self.prevent(*QUIET_CHANGES):
            select.set_options(self._options(draft.to))
            select.value = draft.to

    def to_draft(self, draft: Draft) -> Draft:
        value = self.query_one("#to", Select).value
        return replace(draft, to=value if isinstance(value, Secret) else Secret())
