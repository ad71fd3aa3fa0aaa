"""The Groups mode (F5): the account's delivery groups and the selected group's members.

Every change goes to Pushover and the group is then read back from it, so what the table shows
is what Pushover has (cron jobs and the command line change groups too; ctrl+r reloads). One
request runs at a time: while it does, the activity line says what it is doing and the actions
wait (greyed in the footer); then it says the outcome, or the keys again. A failure goes to the
app's one error handler like every screen's: a toast titled with what failed ("Could not add
Dave (ipad)"), then the cause and what to do. "On call" shows who is on call before and after
and asks first; it is all or nothing (oncall.make_oncall), and a failure says what was undone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widgets import DataTable, LoadingIndicator, Static

from pushover_tui.api.checks import check_group_name
from pushover_tui.api.errors import PushoverError
from pushover_tui.api.models import Group, GroupMember
from pushover_tui.oncall import plan_oncall
from pushover_tui.safe_text import escape_controls
from pushover_tui.tui.base import ModeScreen
from pushover_tui.tui.groups import wording
from pushover_tui.tui.groups.member_dialog import MemberDialog
from pushover_tui.tui.groups.tables import GroupTable, MemberTable
from pushover_tui.tui.keys import KEYS, binding
from pushover_tui.tui.widgets.dialogs import TextDialog
from pushover_tui.tui.widgets.footer import AppFooter
from pushover_tui.tui.widgets.screen_tabs import ScreenTabs
from pushover_tui.tui.widgets.status_bar import StatusBar

# Each list's own keys: with both lists' keys, the member list's footer ran past 80 columns.
MEMBER_ACTIONS = frozenset({"oncall", "enable", "disable", "remove"})  # the member list's
GROUP_ACTIONS = frozenset({"add", "rename"})  # the group list's, for the selected group


class GroupsScreen(ModeScreen):
    """Delivery groups and on-call; F5."""

    CSS_PATH = "groups.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        # Letters act while the list they concern has focus (the footer shows those that apply).
        binding("groups.oncall", "oncall"),
        binding("groups.enable", "enable"),
        binding("groups.disable", "disable"),
        binding("groups.add", "add"),
        binding("groups.remove", "remove"),
        binding("groups.rename", "rename"),
        binding("groups.create", "create"),
        binding("groups.reload", "reload"),
        binding("groups.reveal", "reveal_key"),
        binding("groups.team", "team"),
    ]

    busy: reactive[str] = reactive("", init=False)  # what is being done now ("" = nothing)

    def __init__(self) -> None:
        super().__init__()
        # The selected group as last read (members included once Pushover has answered).
        self.group: Group | None = None
        self._activities: dict[object, str] = {}  # requests in progress, oldest first
        self._covered = False  # under a dialog (not left for another mode)
        self._key_shown = False  # the selected group's key in full (groups.reveal)
        self._bindings_state: tuple[object, ...] = ()

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield ScreenTabs("groups", self.pushover.key_label)
        with Horizontal(id="groups-body"):
            yield GroupTable(id="group-table")
            with Vertical(id="groups-main"):
                yield Static("", id="group-header")
                yield MemberTable(id="member-table")
        with Horizontal(id="groups-activity"):
            yield LoadingIndicator(id="groups-spinner")
            yield Static("", id="groups-activity-text")
        yield AppFooter()

    def on_mount(self) -> None:
        self.pushover.profile_changed.subscribe(self, lambda _: self._load(None))
        self.query_one(GroupTable).focus()

    def on_screen_suspend(self) -> None:
        self._covered = isinstance(self.app.screen, ModalScreen)  # a dialog, or another mode
        if not self._covered and self._key_shown:
            self.action_reveal_key()  # masked again when the screen is left

    def on_screen_resume(self) -> None:
        # Opened, or back from another mode: groups may have changed elsewhere meanwhile.
        # (Back from a dialog, the change it asked for reads the group again itself.)
        if not self._covered:
            self.action_reload()
        self._covered = False

    @property
    def groups_table(self) -> GroupTable:
        return self.query_one(GroupTable)

    @property
    def members_table(self) -> MemberTable:
        return self.query_one(MemberTable)

    # -- what the screen says ----------------------------------------------------------------

    def key(self, binding_id: str) -> str:
        return self.pushover.key_label(binding_id)

    def say(self, text: str, style: str = "") -> None:
        """The activity line: progress, the outcome of the last change, or a hint (failures go
        to `_failed`)."""
        content = Content.styled(text, style) if style else Content(text)
        self.query_one("#groups-activity-text", Static).update(content)

    def hint(self) -> None:
        k = self.key
        if self.group is None:
            text = f"{k('groups.create')} creates a group; {k('groups.reload')} reloads."
        elif self.group.members:
            text = (
                f"Tab moves between the lists. {k('groups.oncall')} puts the selected member "
                f"on call; {k('help')} lists every key."
            )
        else:
            text = f"{k('groups.add')} adds a member to {wording.group_name(self.group)}."
        if self.session.team.configured:
            text += f" {k('groups.team')} shows your team."
        self.say(text, "$foreground-muted")

    def _show_header(self) -> None:
        header = self.query_one("#group-header", Static)
        group = self.group
        if group is None:
            if self.groups_table.groups:
                header.update("")
            else:
                header.update(
                    Content.assemble(
                        ("No groups yet. ", "bold"),
                        f"Press {self.key('groups.create')} to create one: a group has one key "
                        "that reaches every enabled member.",
                    )
                )
            return
        shown = self._key_shown
        header.update(
            Content.assemble(
                (wording.group_name(group), "bold"),
                ("  ·  " + wording.summary(group), "$foreground-muted"),
                "\n",
                ("key ", "$foreground-muted"),
                wording.group_key(group, full=shown),
                (
                    f"  ({self.key('groups.reveal')} {'hides' if shown else 'shows'} it)",
                    "$foreground-muted",
                ),
            )
        )

    def action_team(self) -> None:
        """The team's members and administrators (with a Team API token; else how to set it)."""
        from pushover_tui.tui.groups.team_panel import TeamPanel

        self.app.push_screen(TeamPanel())

    def action_reveal_key(self) -> None:
        """The selected group's key in full, or masked again."""
        self._key_shown = not self._key_shown
        self._show_header()

    @contextmanager
    def _doing(self, text: str) -> Iterator[None]:
        """`text` on the activity line, and the actions waiting, while a request runs."""
        token = object()
        self._activities[token] = text
        self.busy = text
        try:
            yield
        finally:
            del self._activities[token]
            self.busy = next(reversed(self._activities.values()), "")

    def _failed(self, doing: str, error: PushoverError) -> None:
        """`doing` failed: the app's one error handler says so, in Groups' words for the cause
        and what to do next. Whoever calls this says something else on the activity line
        afterwards, or it would go on saying the request is in progress."""
        text = wording.failure_text(error, self.key)
        self.show_error(error, title=f"Could not {doing}", text=text)

    def watch_busy(self, busy: str) -> None:
        self.set_class(bool(busy), "-busy")
        if busy:
            self.say(busy + "…")
        self._update_bindings()

    # -- loading -----------------------------------------------------------------------------

    def action_reload(self) -> None:
        if not self.busy:
            self._load(self.groups_table.selected)

    @work(exclusive=True, group="groups-load", exit_on_error=False)
    async def _load(self, select: Group | None, done: str = "") -> None:
        """Read the groups, and the selected one's members, from Pushover. `done` (the outcome
        of the change that led here) is shown afterwards, even when this read fails: the change
        was made all the same."""
        keep = self.members_table.selected
        try:
            with self._doing("Loading your groups"):
                groups = await self.session.groups.load()
                self.groups_table.show(groups, select=select)
                # Set before the table's Highlighted arrives, so that it loads nothing more.
                self.group = self.groups_table.selected
                self._show_header()
                if self.group is not None:
                    self.group = await self.session.groups.show(self.group.key)
        except PushoverError as error:
            self._failed("load your groups", error)
            if done:
                self.say(done, "$success")
            else:
                self._say_not_loaded()
            return
        self._show_group(keep=keep)
        if done:
            self.say(done, "$success")
        else:
            self.hint()

    def _say_not_loaded(self) -> None:
        """After a failed read: not the error again (its toast says it), what the lists are."""
        self.say(f"Not loaded: {self.key('groups.reload')} tries again.", "$warning")

    @on(DataTable.RowHighlighted, "#group-table")
    def _group_highlighted(self) -> None:
        chosen = self.groups_table.selected
        if chosen is not None and (self.group is None or chosen.key != self.group.key):
            self._load_members(chosen)
        self._update_bindings()

    @work(exclusive=True, group="groups-members", exit_on_error=False)
    async def _load_members(self, chosen: Group) -> None:
        self.group = chosen  # its name at once; its members when Pushover answers
        self._show_group()
        try:
            with self._doing(f"Loading the members of {wording.group_name(chosen)}"):
                group = await self.session.groups.show(chosen.key)
        except PushoverError as error:
            self._failed(f"load the members of {wording.group_name(chosen)}", error)
            self._say_not_loaded()
            return
        if self.group is not None and self.group.key == chosen.key:
            self.group = group
            self._show_group()
            self.hint()

    def _show_group(self, keep: GroupMember | None = None) -> None:
        self.members_table.show(self.group.members if self.group else (), keep=keep)
        self._show_header()
        self._update_bindings()

    @on(DataTable.RowSelected, "#group-table")
    def _group_chosen(self) -> None:
        if self.members_table.members:
            self.members_table.focus()

    # -- actions -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action not in MEMBER_ACTIONS | GROUP_ACTIONS | {"create", "reload"}:
            return True
        member = self.members_table.selected
        where = self.members_table if action in MEMBER_ACTIONS else self.groups_table
        if action != "reload" and self.focused is not where:
            return False  # the footer shows only what acts where the focus is
        if action == "enable" and member is not None and not member.disabled:
            return False  # the member's state says which of the two is shown
        if action == "disable" and member is not None and member.disabled:
            return False
        if self.busy:
            return None  # greyed out until the request in progress has ended
        if action in MEMBER_ACTIONS and member is None:
            return None
        if action in GROUP_ACTIONS and self.group is None:
            return None
        return True

    def _update_bindings(self) -> None:
        """Refresh the footer only when what check_action answers may have changed."""
        member = self.members_table.selected
        state = (
            self.focused,
            bool(self.busy),
            self.group is not None,
            member is not None and member.disabled,
            member is None,
        )
        if state != self._bindings_state:
            self._bindings_state = state
            self.refresh_bindings()

    def on_descendant_focus(self) -> None:
        self._update_bindings()

    def on_key(self, event: events.Key) -> None:
        """A list's key pressed in the other list says where it acts: the footer shows only the
        focused list's keys, and the key would otherwise do nothing without a word."""
        for action in sorted(MEMBER_ACTIONS | GROUP_ACTIONS | {"create"}):
            binding_id = f"groups.{action}"
            if event.key not in self.pushover.keys_of(binding_id):
                continue
            members = action in MEMBER_ACTIONS
            if self.focused is (self.groups_table if members else self.members_table):
                self.notify(
                    f"{self.key(binding_id)}: {KEYS[binding_id].help}, from the "
                    f"{'member' if members else 'group'} list (tab moves there).",
                    title="Not in this list",
                )
            elif action != "create" and not self.busy and (why := self._nothing_selected(members)):
                self.say(why, "$warning")  # the key would do nothing without a word
            return

    def _nothing_selected(self, member_action: bool) -> str:
        """Why a list's key does nothing now ("" when it acts)."""
        if self.group is None:
            return f"No group selected: {self.key('groups.create')} creates one."
        if member_action and self.members_table.selected is None:
            name = wording.group_name(self.group)
            return f"No member selected: {name} has none yet; {self.key('groups.add')} adds one."
        return ""

    @on(DataTable.RowHighlighted, "#member-table")
    def _member_highlighted(self) -> None:
        self._update_bindings()

    @work(group="groups-change", exit_on_error=False)
    async def _change(self, doing: str, call: Callable[[], Awaitable[object]], done: str) -> None:
        """Make a change (`doing` on the activity line while `call()` runs), then read the
        groups back from Pushover and say `done`; a failure goes to `_failed`, and the groups
        are read back all the same."""
        try:
            with self._doing(doing[0].upper() + doing[1:]):
                await call()
        except PushoverError as error:
            self._failed(doing, error)
            self._load(self.group)  # the group as it is now; then the keys again
            return
        self._load(self.group, done)

    def _selected_member(self) -> tuple[Group, GroupMember] | None:
        member = self.members_table.selected
        if self.group is None or member is None or self.busy:
            return None
        return self.group, member

    def action_enable(self) -> None:
        self._set_enabled(True)

    def action_disable(self) -> None:
        self._set_enabled(False)

    def _set_enabled(self, enable: bool) -> None:
        if (found := self._selected_member()) is None:
            return
        group, member = found
        verb = "enable" if enable else "disable"
        self._change(
            f"{verb} {wording.who(member)}",
            lambda: self.session.groups.enable_member(group.key, member, enable),
            f"{verb.title()}d {wording.who(member)} in {wording.group_name(group)}.",
        )

    def action_remove(self) -> None:
        if (found := self._selected_member()) is not None:
            self._remove(*found)

    @work(exclusive=True, group="groups-ask", exit_on_error=False)
    async def _remove(self, group: Group, member: GroupMember) -> None:
        who, name = wording.who(member), wording.group_name(group)
        text = "They stop receiving the group's messages at once. Adding them back takes "
        if await self.confirm(f"Remove {who} from {name}?", text + "their user key.", "Remove"):
            self._change(
                f"remove {who}",
                lambda: self.session.groups.remove_member(group.key, member),
                f"Removed {who} from {name}.",
            )

    def action_add(self) -> None:
        if self.group is not None and not self.busy:
            self._add(self.group)

    @work(exclusive=True, group="groups-ask", exit_on_error=False)
    async def _add(self, group: Group) -> None:
        member = await self.ask(MemberDialog(wording.group_name(group), group.members))
        if member is None:
            return
        if not member.memo:  # another device of someone in the group keeps their memo
            known = next((m for m in group.members if m.user == member.user), None)
            member = GroupMember(member.user, member.device, known.memo if known else "")
        self._change(
            f"add {wording.who(member)}",
            lambda: self.session.groups.add_member(group.key, member),
            f"Added {wording.who(member)} to {wording.group_name(group)}.",
        )

    def action_rename(self) -> None:
        if self.group is not None and not self.busy:
            self._rename(self.group)

    @work(exclusive=True, group="groups-ask", exit_on_error=False)
    async def _rename(self, group: Group) -> None:
        old = wording.group_name(group)
        dialog = TextDialog(
            f"Rename {old}",
            "The key stays the same: whatever sends to it keeps working.",
            value=group.name,
            placeholder="the group's name",
            ok=("Rename", "primary"),
            problem=_name_problem,
        )
        name = await self.ask(dialog)
        if name and name != group.name:
            self._change(
                f"rename {old}",
                lambda: self.session.groups.rename(group.key, name),
                f"Renamed {old} to {escape_controls(name)}; its key stays the same.",
            )

    def action_create(self) -> None:
        if not self.busy:
            self._create()

    @work(exclusive=True, group="groups-ask", exit_on_error=False)
    async def _create(self) -> None:
        dialog = TextDialog(
            "New delivery group",
            "A group has one key that reaches every enabled member. Pushover makes the key; "
            "add the members next.",
            placeholder="e.g. ops",
            ok=("Create", "primary"),
            problem=_name_problem,
        )
        if name := await self.ask(dialog):
            self._create_group(name)

    @work(group="groups-change", exit_on_error=False)
    async def _create_group(self, name: str) -> None:
        try:
            with self._doing(f"Creating {escape_controls(name)}"):
                group = await self.session.groups.create(name)
        except PushoverError as error:
            self._failed(f"create {escape_controls(name)}", error)
            self.hint()
            return
        # Masked like every key here (`group create` prints it in full); the header shows it.
        done = (
            f"Created {wording.group_name(group)}: key {wording.group_key(group)}; "
            f"{self.key('groups.reveal')} shows it in full."
        )
        self._load(group, done)
        self.groups_table.focus()

    # -- on call -----------------------------------------------------------------------------

    def action_oncall(self) -> None:
        if (found := self._selected_member()) is not None:
            self._plan_oncall(*found)

    @work(group="groups-change", exit_on_error=False)
    async def _plan_oncall(self, group: Group, member: GroupMember) -> None:
        """Read the group afresh (who is on call now), then ask with the before and after."""
        try:
            with self._doing(f"Checking who is on call in {wording.group_name(group)}"):
                group = await self.session.groups.show(group.key)
        except PushoverError as error:
            self._failed(f"check who is on call in {wording.group_name(group)}", error)
            self.hint()
            return
        self.hint()
        plan = plan_oncall(group, member.user, member.device)
        who, name = wording.who(member), wording.group_name(group)
        if not plan.steps:
            # Not a failure: nothing needs changing, which the line says like any outcome.
            self.say(f"{who} is already the only one on call in {name}.", "$success")
            return

        question = f"Put {who} on call in {name}?"
        if await self.confirm(question, wording.oncall_text(plan), "On call"):
            self._change(
                f"put {who} on call",
                lambda: self.session.groups.make_oncall(plan),
                f"On call in {name}: {wording.people(plan.now)} "
                f"(before: {wording.people(plan.before)}).",
            )


def _name_problem(name: str) -> str | None:
    problems = check_group_name(name)
    return problems[0].text if problems else None
