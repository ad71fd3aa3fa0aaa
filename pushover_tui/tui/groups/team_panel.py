"""The team panel of the Groups screen: the team's members and administrators, read with the
profile's Team API token; add a member or remove one, each after a question.

The status line under the table says what is being done and what came of it; a failure goes to
the app's one error handler (a toast titled with what failed), as on every screen."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Label, Static

from pushover_tui.api.beyond_messages import Team, check_email
from pushover_tui.api.errors import PushoverError
from pushover_tui.tui.base import ask, confirmed, dashboard
from pushover_tui.tui.keys import binding
from pushover_tui.tui.widgets.dialogs import ChoiceDialog, TextDialog

LISTED = "Members and administrators, as Pushover has them."


class TeamPanel(ModalScreen[None]):
    DEFAULT_CSS = """
    TeamPanel {
        align: center middle;
        background: $background 60%;
        & > #team {
            width: 100; max-width: 100%; height: auto; max-height: 100%; padding: 0 2;
            border: thick $primary 80%; background: $surface;
        }
        & #team-title { text-style: bold; width: 100%; }
        & #team-table { height: auto; max-height: 12; margin-top: 1; }
        & #team-status { height: auto; margin-top: 1; color: $text-muted; }
        & #team-status.-warning { color: $warning; }
        & #team-buttons { height: auto; align-horizontal: right; margin-top: 1; }
        & #team-buttons Button { margin-left: 2; min-width: 10; }
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        binding("team.add", "add"),
        binding("team.remove", "remove"),
        binding("dialog.cancel", "close"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.team: Team | None = None

    def compose(self) -> ComposeResult:
        key = dashboard(self).key_label
        with Vertical(id="team"):
            yield Label("Your team", id="team-title", markup=False)
            table: DataTable[str] = DataTable(id="team-table", cursor_type="row")
            table.add_columns("role", "name", "email", "devices")
            yield table
            yield Static("", id="team-status", markup=False)
            with Horizontal(id="team-buttons"):
                yield Button(f"Add… ({key('team.add')})", id="team-add", compact=True)
                yield Button(f"Remove… ({key('team.remove')})", id="team-remove", compact=True)
                yield Button("Close", id="team-close", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self._load()

    def say(self, text: str, *, warning: bool = False) -> None:
        """The status line: progress, an outcome, or why there is nothing to act on."""
        status = self.query_one("#team-status", Static)
        status.update(text)
        status.set_class(warning, "-warning")

    def _failed(self, doing: str, error: PushoverError) -> None:
        dashboard(self).report(error, title=f"Could not {doing}")

    @work(exclusive=True, group="team", exit_on_error=False)
    async def _load(self, said: str = "") -> None:
        session = dashboard(self).session
        if not session.team.configured:
            from pushover_tui.tui.session.team import HOW_TO_SET

            # No request failed: the panel's content is how to set the token.
            self.say(HOW_TO_SET, warning=True)
            return
        self.say("Loading the team…")
        try:
            team = await session.team.show()
        except PushoverError as error:
            self._failed("load the team", error)
            key = dashboard(self).key_label
            self.say(
                f"Not loaded: {key('dialog.cancel')} closes the panel, {key('groups.team')} "
                "opens it again.",
                warning=True,
            )
            return
        self.team = team
        count, admins = len(team.members), len(team.administrators)
        title = (
            f"{team.name or 'Your team'}: {count} member{'s' if count != 1 else ''}, "
            f"{admins} administrator{'s' if admins != 1 else ''}"
        )
        self.query_one("#team-title", Label).update(title)
        table = self.query_one(DataTable)
        table.clear()
        for member in team.members:
            role = "admin" if member.administrator else "member"
            table.add_row(role, member.name, member.email, ", ".join(member.devices) or "-")
        self.say(said or LISTED)

    @on(Button.Pressed, "#team-close")
    def action_close(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#team-add")
    def action_add(self) -> None:
        if self.team is not None:
            self._add()

    @on(Button.Pressed, "#team-remove")
    def action_remove(self) -> None:
        table = self.query_one(DataTable)
        if self.team is None or not self.team.members:
            self.say("Nobody to remove.", warning=True)  # the key does nothing: say why
            return
        self._remove(self.team.members[table.cursor_row].email)

    @work(exclusive=True, group="team-change", exit_on_error=False)
    async def _add(self) -> None:
        def problem(value: str) -> str | None:
            found = check_email(value)
            return found[0].text if found else None

        email = await ask(
            self,
            TextDialog(
                "Add a team member",
                "Their e-mail address: Pushover makes them an account if they have none and "
                "e-mails them a password.",
                placeholder="name@example.com",
                problem=problem,
            ),
        )
        if not email:
            return
        choice = await ask(
            self,
            ChoiceDialog(
                f"Add {email} to the team?",
                "A member receives the Team Delivery Group's messages; an administrator also "
                "manages the team on pushover.net.",
                [
                    ("member", "Add as member", "primary"),
                    ("admin", "Add as administrator", "warning"),
                    ("cancel", "Cancel", "default"),
                ],
            ),
        )
        if choice not in ("member", "admin"):
            return
        await self._change(
            f"add {email}",
            dashboard(self).session.team.add(email, admin=choice == "admin"),
            f"Added {email} to the team.",
        )

    @work(exclusive=True, group="team-change", exit_on_error=False)
    async def _remove(self, email: str) -> None:
        if not await confirmed(
            self,
            f"Remove {email} from the team?",
            "They leave the team and its delivery group at once; adding them back sends them "
            "a new invitation.",
            "Remove",
        ):
            return
        await self._change(
            f"remove {email}",
            dashboard(self).session.team.remove(email),
            f"Removed {email} from the team.",
        )

    async def _change(self, doing: str, change: Awaitable[None], done: str) -> None:
        """`doing` on the status line while `change` runs, then the team read again."""
        self.say(doing[:1].upper() + doing[1:] + "…")
        try:
            await change
        except PushoverError as error:
            self._failed(doing, error)
            self.say(LISTED)  # the table as it was: nothing changed
            return
        self._load(done)
