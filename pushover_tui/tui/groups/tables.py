"""The Groups mode's two lists: the account's groups, and the members of the one selected.

Both are DataTables of a few rows (an account has a handful of groups, a group a few dozen
members), redrawn whole when their data or width changes: columns are fitted to the width, so
the memo takes what the state, device and masked key leave, and nothing runs off the side.
Every cell is a `Text`, never a string: DataTable parses strings as markup, and a group named
`ops [/]` or a memo `[b]x` is the user's text, shown as typed.
"""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size
from rich.text import Text
from textual import events
from textual.widgets import DataTable

from pushover_tui.api.models import Group, GroupMember
from pushover_tui.tui.groups import wording

PADDING = 1  # DataTable's cell padding, each side


def fit(text: str, width: int) -> str:
    """`text` cut to `width` cells, with an ellipsis when cut."""
    if cell_len(text) <= width:
        return text
    return set_cell_size(text, max(0, width - 1)) + "…"


class _FittedTable(DataTable[Text]):
    """A row-cursor table whose `_fill()` lays out columns for the current width."""

    DEFAULT_CSS = "_FittedTable { height: 1fr; }"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)

    @property
    def inner_width(self) -> int:
        return self.scrollable_content_region.width or self.size.width or 40

    def on_resize(self, event: events.Resize) -> None:
        self._fill()

    def _fill(self) -> None:
        raise NotImplementedError

    def _refill(self, columns: list[tuple[str, int]], rows: list[tuple[str, ...]]) -> None:
        """Replace the columns and rows, keeping the cursor on the same row index."""
        cursor = self.cursor_row
        self.clear(columns=True)
        for label, width in columns:
            self.add_column(label, width=width)
        for index, cells in enumerate(rows):
            fitted = [
                Text(fit(cell, width), no_wrap=True, end="")
                for cell, (_, width) in zip(cells, columns, strict=True)
            ]
            self.add_row(*fitted, key=str(index))
        if rows:
            self.move_cursor(row=max(0, min(cursor, len(rows) - 1)), animate=False)


class GroupTable(_FittedTable):
    """The account's groups, by name."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.groups: tuple[Group, ...] = ()

    def show(self, groups: tuple[Group, ...], *, select: Group | None = None) -> None:
        """Show `groups`; the cursor goes to `select` (by key) when it is among them."""
        self.groups = groups
        self._fill()
        if select is not None:
            for index, group in enumerate(groups):
                if group.key == select.key:
                    self.move_cursor(row=index, animate=False)

    @property
    def selected(self) -> Group | None:
        index = self.cursor_row
        return self.groups[index] if self.groups and 0 <= index < len(self.groups) else None

    def _fill(self) -> None:
        width = max(6, self.inner_width - 2 * PADDING)
        self._refill([("Group", width)], [(wording.group_name(g),) for g in self.groups])


class MemberTable(_FittedTable):
    """The selected group's memberships: state, memo, device and masked user key."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.members: tuple[GroupMember, ...] = ()

    def show(self, members: tuple[GroupMember, ...], *, keep: GroupMember | None = None) -> None:
        """Show `members`; the cursor stays on `keep`'s membership (user and device) if any."""
        self.members = members
        self._fill()
        if keep is not None:
            for index, member in enumerate(members):
                if (member.user, member.device) == (keep.user, keep.device):
                    self.move_cursor(row=index, animate=False)

    @property
    def selected(self) -> GroupMember | None:
        index = self.cursor_row
        return self.members[index] if self.members and 0 <= index < len(self.members) else None

    def _fill(self) -> None:
        rows = [wording.member_cells(member) for member in self.members]
        state = len("disabled")
        user = len("uQiR••••")
        device = max([len("Device"), *(cell_len(row[2]) for row in rows)])
        device = min(device, len(wording.ALL_DEVICES) + 4)
        memo = self.inner_width - state - device - user - 8 * PADDING
        columns = [("State", state), ("Memo", max(6, memo)), ("Device", device), ("User", user)]
        self._refill(columns, rows)
