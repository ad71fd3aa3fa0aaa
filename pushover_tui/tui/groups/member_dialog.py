"""The add-member form: user key (masked, with Show), optional device, optional memo.

A dialog like TextDialog, with three fields: each is checked with the client's own field checks
(api/checks.py) when Add is pressed, and a problem shows under its field; nothing is sent until
all three pass. The user key is someone's secret: typed masked, returned as a Secret.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.widgets import Button, Input

from pushover_tui.api.checks import MEMO_MAX
from pushover_tui.api.models import GroupMember
from pushover_tui.api.secret import Secret
from pushover_tui.tui.groups.wording import member_problems
from pushover_tui.tui.widgets.dialogs import Choice, Dialog
from pushover_tui.tui.widgets.field_row import FieldRow

FIELDS = ("user", "device", "memo")


class MemberDialog(Dialog[GroupMember | None]):
    """Dismisses with the new membership, or None (Cancel, Escape)."""

    DEFAULT_CSS = """
    MemberDialog {
        & #dialog { width: 66; }
        & FieldRow { margin-bottom: 1; }
        & FieldRow > .label-col { width: 10; }
        & FieldRow Input { background: $boost; }
        & #show-key { min-width: 8; margin-left: 1; }
    }
    """

    def __init__(self, group_name: str, members: Sequence[GroupMember]) -> None:
        choices: list[Choice] = [("ok", "Add", "primary"), ("cancel", "Cancel", "default")]
        super().__init__(
            f"Add a member to {group_name}",
            "Their user key is on their pushover.net dashboard. The memo says who they are "
            "wherever keys are masked.",
            choices,
            focus="user",
        )
        self.members = tuple(members)

    def body(self) -> ComposeResult:
        user = Input(placeholder="30 letters and digits", password=True, id="user", compact=True)
        show = Button("Show", id="show-key", compact=True)
        yield FieldRow("user", "User key", user, show)
        device = Input(placeholder="blank = all their devices", id="device", compact=True)
        yield FieldRow("device", "Device", device)
        memo = Input(placeholder=f"e.g. Alice (≤ {MEMO_MAX} characters)", id="memo", compact=True)
        yield FieldRow("memo", "Memo", memo)

    def _value(self, field: str) -> str:
        return self.query_one(f"#{field}", Input).value.strip()

    @on(Button.Pressed, "#show-key")
    def _toggle_key(self, event: Button.Pressed) -> None:
        event.stop()
        event.prevent_default()  # not a choice: the Dialog base would close on it
        field = self.query_one("#user", Input)
        field.password = not field.password
        event.button.label = "Show" if field.password else "Hide"

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_choose("ok")

    def action_choose(self, choice: str) -> None:
        if choice == "ok":
            problems = member_problems(
                self._value("user"), self._value("device"), self._value("memo"), self.members
            )
            for row in self.query(FieldRow).results(FieldRow):
                found = [p.text for p in problems if p.field == row.field]
                row.set_note(" ".join(found), "error" if found else "hint")
            if problems:
                self.query_one(f"#{problems[0].field}", Input).focus()
                return
        super().action_choose(choice)

    def result(self, choice: str) -> GroupMember | None:
        if choice != "ok":
            return None
        return GroupMember(Secret(self._value("user")), self._value("device"), self._value("memo"))
