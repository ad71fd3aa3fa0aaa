"""The Groups mode (F5) against the simulator: every action, progress, failures, masking; the
recipient in Compose and History; snapshots at 80x24 and 120x40."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from textual.widgets import Footer, Input, Select, Static, TextArea
from textual.widgets._toast import Toast
from tui_helpers import screen_text, settle

from pushover_tui.api.client import PushoverClient
from pushover_tui.api.errors import RejectedError
from pushover_tui.api.models import Message
from pushover_tui.api.secret import Secret
from pushover_tui.simulator import (
    DEMO_2FA_USER,
    DEMO_BOB,
    DEMO_CAROL,
    DEMO_GROUP,
    DEMO_TOKEN,
    DEMO_USER,
    Simulator,
)
from pushover_tui.store.config import Profile, save_config
from pushover_tui.store.history import HistoryFilter
from pushover_tui.tui.app import PushoverApp
from pushover_tui.tui.compose.screen import ComposeScreen
from pushover_tui.tui.groups.member_dialog import MemberDialog
from pushover_tui.tui.groups.screen import GroupsScreen
from pushover_tui.tui.groups.tables import GroupTable, MemberTable
from pushover_tui.tui.history.screen import HistoryScreen
from pushover_tui.tui.session.groups import GROUPS_LOADING
from pushover_tui.tui.widgets.dialogs import ConfirmDialog, TextDialog
from pushover_tui.tui.widgets.footer import AppFooter

SIZE = (110, 36)
# Every state pictured at the reference terminal (80x24) and a roomy one, the simulator's port
# shown steady (conftest.steady_api_host).
SNAPSHOT_SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
DEMO_STATE = [("Alice", "iphone", False), ("Bob", None, False), ("Carol", None, True)]


# -- helpers ------------------------------------------------------------------------------------


@pytest.fixture
def app_on_sim(demo_config, make_app, simulator):
    """The app on the simulator, the client's 5 s retry gaps made instant."""

    def make(**options) -> PushoverApp:
        app = make_app(api_url=simulator.base_url, **options)

        async def no_wait(_seconds: float) -> None:
            return None

        app.session.outbox._client_options["sleep"] = no_wait
        return app

    return make


def state(simulator: Simulator, key: str = DEMO_GROUP) -> list[tuple[str, str | None, bool]]:
    return [(m.memo, m.device, m.disabled) for m in simulator.groups[key].members]


async def open_groups(pilot) -> GroupsScreen:
    await settle(pilot)
    await pilot.press("f5")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, GroupsScreen)
    return screen


async def select_member(pilot, screen: GroupsScreen, memo: str) -> None:
    table = screen.query_one(MemberTable)
    table.focus()
    index = [m.memo for m in table.members].index(memo)
    table.move_cursor(row=index)
    await pilot.pause()


def activity(screen: GroupsScreen) -> str:
    return str(screen.query_one("#groups-activity-text", Static).visual)


@pytest.fixture
def reports(monkeypatch) -> list[tuple[str, str]]:
    """The toasts the app's one error handler (PushoverApp.report) showed: title and sentence."""
    shown: list[tuple[str, str]] = []
    reporting = False
    report, notify = PushoverApp.report, PushoverApp.notify

    def reporting_spy(app: PushoverApp, error: BaseException, **options: str) -> None:
        nonlocal reporting
        reporting = True
        try:
            report(app, error, **options)
        finally:
            reporting = False

    def notify_spy(app: PushoverApp, message: str, **options) -> None:
        if reporting:
            shown.append((options.get("title", ""), message))
        notify(app, message, **options)

    monkeypatch.setattr(PushoverApp, "report", reporting_spy)
    monkeypatch.setattr(PushoverApp, "notify", notify_spy)
    return shown


def toast_text(pilot) -> str:
    """The text of the toast on screen, as drawn (wrapped to its width)."""
    region = pilot.app.screen.query_one(Toast).region
    lines = screen_text(pilot).splitlines()[region.y : region.bottom]
    return "\n".join(line[region.x : region.right].replace("▌", "") for line in lines)


def no_member_key(text: str) -> bool:
    return not any(key in text for key in (DEMO_USER, DEMO_BOB, DEMO_CAROL, DEMO_TOKEN))


async def dialog_choose(pilot, choice: str) -> None:
    await pilot.pause()
    await pilot.click(f"#choice-{choice}")
    await pilot.pause()


# -- the lists ----------------------------------------------------------------------------------


async def test_groups_and_members_with_state_keys_masked(app_on_sim, simulator):
    app = app_on_sim()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_groups(pilot)
        groups = screen.query_one(GroupTable)
        assert [g.name for g in groups.groups] == ["ops"]
        assert screen.focused is groups
        members = screen.query_one(MemberTable)
        rows = [[str(cell) for cell in members.get_row_at(i)] for i in range(members.row_count)]
        assert rows == [
            ["enabled", "Alice", "iphone", "uQiR••••"],
            ["enabled", "Bob", "all devices", "uBob••••"],
            ["disabled", "Carol", "all devices", "uCar••••"],
        ]
        header = str(screen.query_one("#group-header", Static).visual)
        assert "ops  ·  3 members, 2 enabled" in header
        assert "key gzne••••  (k shows it)" in header and DEMO_GROUP not in header
        shot = app.export_screenshot()
        assert no_member_key(shot) and DEMO_GROUP not in shot
        # Compose and History learn the group's name from the same read.
        assert app.known_groups is not None and app.known_groups[0].name == "ops"


async def test_names_and_memos_are_shown_as_typed_never_as_markup(app_on_sim, simulator):
    """A name or memo with square brackets is text: no MarkupError, nothing styled or lost."""
    async with PushoverClient(DEMO_TOKEN, base_url=simulator.base_url) as client:
        await client.rename_group(Secret(DEMO_GROUP), "ops [/]")
        await client.remove_group_user(Secret(DEMO_GROUP), Secret(DEMO_BOB))
        await client.add_group_user(Secret(DEMO_GROUP), Secret(DEMO_BOB), memo="[b]x")
    app = app_on_sim()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_groups(pilot)
        groups = screen.query_one(GroupTable)
        assert [str(cell) for cell in groups.get_row_at(0)] == ["ops [/]"]
        members = screen.query_one(MemberTable)
        memos = [str(members.get_row_at(i)[1]) for i in range(members.row_count)]
        assert "[b]x" in memos
        drawn = "".join(segment.text for segment in groups.render_line(1))
        assert "ops [/]" in drawn


async def test_footer_fits_the_reference_terminal(app_on_sim):
    """The app's footer, compact at 80 columns: every key of the member list is on screen, help
    included, none under the palette's (the screens' keys are on the tab strip)."""
    app = app_on_sim()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_groups(pilot)
        await select_member(pilot, screen, "Bob")
        footer = screen.query_one(Footer)
        assert isinstance(footer, AppFooter) and footer.compact
        keys = {key.key: key.region for key in footer.query("FooterKey")}  # type: ignore[attr-defined]
        assert {"o", "d", "x", "f1"} <= set(keys)
        palette = keys.pop("ctrl+p")
        assert all(region.width and region.right <= palette.x for region in keys.values()), keys


async def test_a_profile_switch_reads_the_groups_once(app_on_sim, demo_config, simulator):
    """The app (for Compose and History) and the open Groups screen share one read."""
    profile = demo_config.profiles[0]
    save_config(replace(demo_config, profiles=(profile, replace(profile, name="work"))))
    app = app_on_sim()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_groups(pilot)
        before = len(simulator.requests)
        app.session.switch_profile("work")
        await settle(pilot)
        reads = [r for r in simulator.requests[before:] if r.path == "/1/groups.json"]
        assert len(reads) == 1
        assert [g.name for g in screen.query_one(GroupTable).groups] == ["ops"]
        assert app.known_groups is not None and app.groups_note == ""


async def test_a_profile_switch_drops_the_old_profiles_groups(app_on_sim, demo_config, simulator):
    """A read still on its way for the old profile is stopped: its groups and its "Loading"
    note never show for the new one."""
    save_config(replace(demo_config, profiles=(*demo_config.profiles, Profile(name="empty"))))
    app = app_on_sim()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        simulator.inject_fault("hang", seconds=10)
        app.session.run(app.session.load_groups(), "groups-list")
        await pilot.pause()
        assert app.groups_note == GROUPS_LOADING
        app.session.switch_profile("empty")
        simulator.release()
        await settle(pilot)
        assert app.groups_note == "" and app.known_groups is None


async def test_a_groups_key_in_full_only_when_asked(app_on_sim, simulator):
    """k shows the selected group's key in full on a line of its own (to copy), k again or
    leaving the screen masks it."""
    app = app_on_sim()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_groups(pilot)

        def key_line() -> str:
            return str(screen.query_one("#group-header", Static).visual).splitlines()[1]

        assert key_line() == "key gzne••••  (k shows it)"
        await pilot.press("k")
        assert key_line() == f"key {DEMO_GROUP}  (k hides it)"
        await pilot.press("k")
        assert DEMO_GROUP not in key_line()
        await pilot.press("k", "f3")
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        assert DEMO_GROUP not in key_line()


async def test_member_actions_only_while_the_member_list_has_focus(app_on_sim, simulator):
    app = app_on_sim()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_groups(pilot)
        assert screen.check_action("disable", ()) is False  # the group list has focus
        await pilot.press("d", "x", "o")
        await settle(pilot)
        assert len(app.screen_stack) == 1 and state(simulator) == DEMO_STATE
        assert screen.check_action("add", ()) is True
        await select_member(pilot, screen, "Carol")
        # The member's state says which of enable and disable the footer offers.
        assert screen.check_action("enable", ()) is True
        assert screen.check_action("disable", ()) is False
        keys = {key.key for key in screen.query("FooterKey")}  # type: ignore[attr-defined]
        assert "e" in keys and "d" not in keys and "o" in keys


async def test_enter_on_a_group_moves_to_its_members(app_on_sim, simulator):
    app = app_on_sim()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_groups(pilot)
        await pilot.press("enter")
        await pilot.pause()
        assert screen.focused is screen.query_one(MemberTable)


async def test_no_groups_yet_says_how_to_make_one(demo_config, make_app, simulator):
    other = "aOtherAppToken0000000000000000"
    simulator.add_app(other)  # another app: it owns no group
    save_config(replace(demo_config, profiles=(replace(demo_config.profiles[0], token=other),)))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_groups(pilot)
        header = str(screen.query_one("#group-header", Static).visual)
        assert header.startswith("No groups yet. Press n to create one")
        assert activity(screen) == "n creates a group; ^r reloads."
        assert screen.check_action("add", ()) is None and screen.check_action("create", ())


async def test_a_and_r_with_no_group_selected_say_why_nothing_happened(
    demo_config, make_app, simulator
):
    other = "aOtherAppToken0000000000000000"
    simulator.add_app(other)  # another app: it owns no group
    save_config(replace(demo_config, profiles=(replace(demo_config.profiles[0], token=other),)))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_groups(pilot)
        for key in ("a", "r"):
            screen.say("")
            await pilot.press(key)
            await pilot.pause()
            assert activity(screen) == "No group selected: n creates one."
            assert app.screen is screen  # no dialog opened


# -- changes ------------------------------------------------------------------------------------


async def test_disable_then_enable_a_member(app_on_sim, simulator):
    app = app_on_sim()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_groups(pilot)
        await select_member(pilot, screen, "Bob")
        await pilot.press("d")
        await settle(pilot)
        assert state(simulator)[1] == ("Bob", None, True)
        assert activity(screen) == "Disabled Bob (all devices) in ops."
        table = screen.query_one(MemberTable)
        assert str(table.get_row_at(1)[0]) == "disabled"
        assert table.selected is not None and table.selected.memo == "Bob"  # cursor stays
        await pilot.press("e")
        await settle(pilot)
        assert state(simulator) == DEMO_STATE
        assert activity(screen) == "Enabled Bob (all devices) in ops."


async def test_add_member_checks_the_fields_then_adds(app_on_sim, simulator):
    app = app_on_sim()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_groups(pilot)
        await pilot.press("a")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, MemberDialog)
        assert dialog.query_one("#user", Input).password  # someone's key: typed masked
        before = len(simulator.requests)
        dialog.query_one("#user", Input).value = "not-a-key"
        dialog.query_one("#device", Input).value = "two words"
        dialog.query_one("#memo", Input).value = "x" * 201
        await dialog_choose(pilot, "ok")
        notes = {
            f: str(dialog.query_one(f"#{f}-note", Static).visual)
            for f in ("user", "device", "memo")
        }
        assert "30 letters and digits" in notes["user"]
        assert "1 to 25 letters" in notes["device"]
        assert "200" in notes["memo"]
        assert app.screen is dialog and len(simulator.requests) == before  # nothing sent
        # Someone already in the group on the same device is refused here too.
        dialog.query_one("#user", Input).value = DEMO_BOB
        dialog.query_one("#device", Input).value = ""
        dialog.query_one("#memo", Input).value = ""
        await dialog_choose(pilot, "ok")
        assert "already in the group on all devices" in str(
            dialog.query_one("#user-note", Static).visual
        )
        dialog.query_one("#user", Input).value = DEMO_2FA_USER
        dialog.query_one("#device", Input).value = "ipad"
        dialog.query_one("#memo", Input).value = "Dave"
        await pilot.press("enter")  # from the memo field: Add
        await settle(pilot)
        assert app.screen is screen
        assert state(simulator)[-1] == ("Dave", "ipad", False)
        assert activity(screen) == "Added Dave (ipad) to ops."
        row = screen.query_one(MemberTable).get_row_at(3)
        assert [str(cell) for cell in row[:3]] == ["enabled", "Dave", "ipad"]


async def test_adding_another_device_keeps_the_memo(app_on_sim, simulator):
    app = app_on_sim()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_groups(pilot)
        await pilot.press("a")
        await pilot.pause()
        app.screen.query_one("#user", Input).value = DEMO_USER
        app.screen.query_one("#device", Input).value = "pixel"
        await pilot.press("enter")
        await settle(pilot)
        assert state(simulator)[-1] == ("Alice", "pixel", False)
        assert activity(screen) == "Added Alice (pixel) to ops."


async def test_remove_asks_first(app_on_sim, simulator):
    app = app_on_sim()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_groups(pilot)
        await select_member(pilot, screen, "Carol")
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        assert app.screen.title_text == "Remove Carol (all devices) from ops?"
        await dialog_choose(pilot, "cancel")
        assert state(simulator) == DEMO_STATE
        await pilot.press("delete")
        await dialog_choose(pilot, "confirm")
        await settle(pilot)
        assert state(simulator) == DEMO_STATE[:2]
        assert activity(screen) == "Removed Carol (all devices) from ops."


async def test_rename_and_create_groups(app_on_sim, simulator):
    app = app_on_sim()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_groups(pilot)
        await pilot.press("r")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, TextDialog)
        dialog.query_one(Input).value = "   "
        await pilot.press("enter")
        assert "blank" in str(dialog.query_one("#dialog-problem", Static).visual)
        dialog.query_one(Input).value = "platform"
        await pilot.press("enter")
        await settle(pilot)
        assert simulator.groups[DEMO_GROUP].name == "platform"
        assert activity(screen) == "Renamed ops to platform; its key stays the same."
        assert app.known_groups is not None and app.known_groups[0].name == "platform"

        await pilot.press("n")
        await pilot.pause()
        app.screen.query_one(Input).value = "night shift"
        await pilot.press("enter")
        await settle(pilot)
        created = next(k for k, g in simulator.groups.items() if g.name == "night shift")
        # Masked here too: only `group create` on the command line prints it in full.
        assert (
            activity(screen) == f"Created night shift: key {created[:4]}••••; k shows it in full."
        )
        table = screen.query_one(GroupTable)
        assert [g.name for g in table.groups] == ["platform", "night shift"]
        assert table.selected is not None and table.selected.name == "night shift"
        header = str(screen.query_one("#group-header", Static).visual)
        assert "night shift  ·  no members yet" in header
        assert screen.check_action("add", ()) is True


# -- on call ------------------------------------------------------------------------------------


async def test_oncall_shows_before_and_after_then_changes_all(app_on_sim, simulator):
    app = app_on_sim()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_groups(pilot)
        await select_member(pilot, screen, "Carol")
        await pilot.press("o")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog)
        assert dialog.title_text == "Put Carol (all devices) on call in ops?"
        assert dialog.text.splitlines() == [
            "On call now: Alice (iphone), Bob (all devices).",
            "After: Carol (all devices).",
            "Changes: enable Carol (all devices), disable Alice (iphone), "
            "disable Bob (all devices).",
            "All or nothing: if a change fails, the ones already made are undone.",
        ]
        await dialog_choose(pilot, "cancel")
        assert state(simulator) == DEMO_STATE
        await pilot.press("o")
        await settle(pilot)
        await dialog_choose(pilot, "confirm")
        await settle(pilot)
        assert state(simulator) == [
            ("Alice", "iphone", True),
            ("Bob", None, True),
            ("Carol", None, False),
        ]
        assert activity(screen) == (
            "On call in ops: Carol (all devices) (before: Alice (iphone), Bob (all devices))."
        )
        await pilot.press("o")  # again: nothing to change, nothing to ask
        await settle(pilot)
        assert app.screen is screen
        assert activity(screen) == "Carol (all devices) is already the only one on call in ops."


async def test_oncall_failure_undoes_and_says_what(app_on_sim, simulator, monkeypatch, reports):
    """The second change (disable Alice) is refused: the first (enable Carol) is undone. The
    toast says so whole at 80x24, the longest a Groups error gets."""
    calls = 0
    original = PushoverClient.disable_group_user

    async def disable(client, *args, **kwargs):
        nonlocal calls
        calls += 1
        if calls == 1:
            simulator.inject_fault("429")
        return await original(client, *args, **kwargs)

    monkeypatch.setattr(PushoverClient, "disable_group_user", disable)
    app = app_on_sim()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await open_groups(pilot)
        await select_member(pilot, screen, "Carol")
        await pilot.press("o")
        await settle(pilot)
        await dialog_choose(pilot, "confirm")
        await settle(pilot)
        assert state(simulator) == DEMO_STATE
        [(title, text)] = reports
        assert title == "Could not put Carol (all devices) on call"
        assert text.startswith("Monthly message quota")
        assert "undone: disable Carol (all devices)." in text
        assert "".join(f"{title}{text}".split()) in "".join(toast_text(pilot).split())
        assert str(screen.query_one(MemberTable).get_row_at(2)[0]) == "disabled"


# -- progress and errors ------------------------------------------------------------------------


async def test_progress_while_a_request_runs(app_on_sim, simulator):
    app = app_on_sim()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_groups(pilot)
        await select_member(pilot, screen, "Bob")
        simulator.inject_fault("hang", seconds=10)
        await pilot.press("d")
        for _ in range(100):
            if screen.busy:
                break
            await pilot.pause(0.02)
        assert activity(screen) == "Disable Bob (all devices)…"
        assert screen.has_class("-busy")  # the spinner shows
        assert screen.check_action("disable", ()) is None  # greyed while it runs
        assert screen.check_action("remove", ()) is None
        simulator.release()
        await settle(pilot)
        assert not screen.busy and state(simulator)[1] == ("Bob", None, True)


async def test_an_error_goes_to_the_one_handler_naming_the_cause_and_what_to_do(
    app_on_sim, simulator, reports
):
    """A toast like every screen's errors; the activity line goes back to the keys."""
    app = app_on_sim()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_groups(pilot)
        await select_member(pilot, screen, "Bob")
        async with PushoverClient(DEMO_TOKEN, base_url=simulator.base_url) as client:
            await client.remove_group_user(DEMO_GROUP, DEMO_BOB)  # behind the screen's back
        await pilot.press("d")
        await settle(pilot)
        assert reports == [
            (
                "Could not disable Bob (all devices)",
                "Pushover says user is not a member of this group. Press ^r to see the group as "
                "Pushover has it, then try again.",
            )
        ]
        assert activity(screen).startswith("Tab moves between the lists.")
        # The read that follows shows the group as it is now.
        assert [m.memo for m in screen.query_one(MemberTable).members] == ["Alice", "Carol"]


async def test_cannot_reach_pushover(app_on_sim, simulator, reports):
    app = app_on_sim()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_groups(pilot)
        simulator.inject_fault("503", 6)  # the change and the read after it, 3 attempts each
        await pilot.press("n")
        await pilot.pause()
        app.screen.query_one(Input).value = "later"
        await pilot.press("enter")
        await settle(pilot)
        [(title, text)] = reports
        assert title == "Could not create later"
        assert text.startswith("Pushover answered HTTP 503")
        assert text.endswith("Try again in a moment (^r reloads).")
        assert activity(screen).startswith("Tab moves between the lists.")  # not "Creating…"


async def test_a_change_made_then_a_failed_read_says_both(
    app_on_sim, simulator, reports, monkeypatch
):
    """The line keeps the change's outcome (it was made); the read's failure is a toast, and a
    failed read of its own leaves the line saying how to try again, not "Loading…"."""

    async def refused(client):
        raise RejectedError("Pushover rejected the request", status_code=400, errors=("later",))

    app = app_on_sim()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_groups(pilot)
        await select_member(pilot, screen, "Bob")
        monkeypatch.setattr(PushoverClient, "list_groups", refused)
        await pilot.press("d")
        await settle(pilot)
        assert state(simulator)[1] == ("Bob", None, True)
        assert activity(screen) == "Disabled Bob (all devices) in ops."
        said = "Pushover says later. Press ^r to see the group as Pushover has it, then try again."
        assert reports == [("Could not load your groups", said)]
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert activity(screen) == "Not loaded: ^r tries again."
        assert len(reports) == 2


async def test_remapped_keys_in_hints(app_on_sim, simulator, demo_config):
    save_config(replace(demo_config, keymap={"mode.groups": "f9", "groups.oncall": "O"}))
    app = app_on_sim()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, GroupsScreen)
        assert "O puts the selected member on call" in activity(screen)


async def test_back_from_another_mode_reads_the_groups_again(app_on_sim, simulator):
    app = app_on_sim()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_groups(pilot)
        async with PushoverClient(DEMO_TOKEN, base_url=simulator.base_url) as client:
            await client.enable_group_user(DEMO_GROUP, DEMO_CAROL)  # a cron job, say
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        assert str(screen.query_one(MemberTable).get_row_at(2)[0]) == "enabled"


# -- the recipient in Compose and History -------------------------------------------------------


def recipient_labels(screen: ComposeScreen) -> list[str]:
    return [str(label) for label, _ in screen.query_one("#to", Select)._options]


async def test_compose_sends_to_a_group(app_on_sim, simulator):
    app = app_on_sim()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ComposeScreen)
        assert recipient_labels(screen) == ["default: you (uQiR••••)", "group: ops"]
        screen.query_one("#to", Select).value = Secret(DEMO_GROUP)
        screen.query_one("#message", TextArea).load_text("db01 down")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        sent = simulator.messages[-1]
        assert sent["message"] == "db01 down"
        assert sent["to"] == [
            {"user": "uQiR" + "•" * 26, "device": "iphone"},
            {"user": "uBob" + "•" * 26, "device": None},
        ]
        assert "Sent to ops" in str(screen.query_one("#outcome-text", Static).visual)
        row = app.session.history.page(HistoryFilter(), offset=0, limit=1)[0]
        assert row.recipient == Secret(DEMO_GROUP).masked()
        # Back to the default: the profile's user.
        screen.query_one("#to", Select).value = Secret()
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "to" not in simulator.messages[-1]
        assert app.session.history.page(HistoryFilter(), offset=0, limit=1)[0].recipient == (
            Secret(DEMO_USER).masked()
        )


async def test_compose_recipient_is_usable_while_groups_load(app_on_sim, simulator, monkeypatch):
    arrived = asyncio.Event()
    original = PushoverClient.list_groups

    async def slow_list(client):
        await arrived.wait()
        return await original(client)

    monkeypatch.setattr(PushoverClient, "list_groups", slow_list)
    app = app_on_sim()
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(100):
            await pilot.pause(0.02)
            if app.screen.query("#to-note"):
                break
        screen = app.screen
        assert isinstance(screen, ComposeScreen)
        note = screen.query_one("#to-note", Static)
        for _ in range(100):  # shown only once the load has taken a moment
            await pilot.pause(0.02)
            if note.display:
                break
        assert recipient_labels(screen) == ["default: you (uQiR••••)"]
        assert str(note.visual) == "Loading your groups…"
        screen.query_one("#message", TextArea).load_text("still works")
        await pilot.press("ctrl+s")
        for _ in range(100):
            await pilot.pause(0.02)
            if simulator.messages:
                break
        assert simulator.messages[-1]["message"] == "still works"
        arrived.set()
        await settle(pilot)
        assert recipient_labels(screen) == ["default: you (uQiR••••)", "group: ops"]
        assert not screen.query_one("#to-note", Static).display


async def test_compose_says_why_groups_could_not_load(app_on_sim, simulator, monkeypatch):
    async def refused(client):
        raise RejectedError("Pushover rejected the request", status_code=400, errors=("nope",))

    monkeypatch.setattr(PushoverClient, "list_groups", refused)
    app = app_on_sim()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        note = app.screen.query_one("#to-note", Static)
        assert str(note.visual).startswith("Your groups could not be loaded: Pushover rejected")
        assert note.has_class("-warning")


async def test_history_shows_and_filters_by_recipient_and_resends_to_it(app_on_sim, simulator):
    app = app_on_sim()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await app.session.send_message(Message("to me"))
        await app.session.send_message(Message("to the group"), Secret(DEMO_GROUP))
        await pilot.press("f4")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, HistoryScreen)
        detail = str(screen.query_one("#history-detail-body", Static).visual)
        assert "To         ops (gzne••••)" in detail
        recipient = screen.query_one("#history-recipient", Select)
        assert [str(label) for label, _ in recipient._options[1:]] == [  # after "Any recipient"
            "you (uQiR••••)",
            "ops (gzne••••)",
        ]
        recipient.value = Secret(DEMO_GROUP).masked()
        await settle(pilot)
        assert screen.filters.recipient == Secret(DEMO_GROUP).masked()
        table = screen.query_one("#history-table")
        assert table.total == 1  # type: ignore[attr-defined]
        assert "to ops" in str(screen.query_one("#history-count", Static).visual)
        table.focus()
        await pilot.press("r")
        await settle(pilot)
        compose = app.screen
        assert isinstance(compose, ComposeScreen)
        assert compose.draft.to == Secret(DEMO_GROUP)
        assert compose.query_one("#to", Select).value == Secret(DEMO_GROUP)


# -- snapshots ----------------------------------------------------------------------------------


def _groups_snapshot(snap_compare, app_on_sim, size, extra=None) -> bool:
    async def run_before(pilot) -> None:
        screen = await open_groups(pilot)
        await select_member(pilot, screen, "Carol")
        if extra is not None:
            await extra(pilot, screen)

    return snap_compare(app_on_sim(), terminal_size=size, run_before=run_before)


@SNAPSHOT_SIZES
@pytest.mark.usefixtures("steady_api_host")
def test_snapshot_groups(snap_compare, app_on_sim, size):
    assert _groups_snapshot(snap_compare, app_on_sim, size)


@SNAPSHOT_SIZES
@pytest.mark.usefixtures("steady_api_host")
def test_snapshot_oncall_confirmation(snap_compare, app_on_sim, size):
    async def confirm(pilot, screen) -> None:
        await pilot.press("o")
        await settle(pilot)

    assert _groups_snapshot(snap_compare, app_on_sim, size, confirm)


@SNAPSHOT_SIZES
@pytest.mark.usefixtures("steady_api_host")
def test_snapshot_add_member_problems(snap_compare, app_on_sim, size):
    async def add(pilot, screen) -> None:
        screen.query_one(GroupTable).focus()  # a is the group list's key
        await pilot.press("a")
        await pilot.wait_for_scheduled_animations()
        await settle(pilot)
        pilot.app.screen.query_one("#user", Input).value = "uQiRzpo4DXghDmr9"
        pilot.app.screen.query_one("#device", Input).value = "my phone"
        await dialog_choose(pilot, "ok")
        await settle(pilot)

    assert _groups_snapshot(snap_compare, app_on_sim, size, add)


async def test_a_key_of_the_other_list_says_where_it_acts(app_on_sim):
    """Each list shows and runs only its own keys; the other list's key says where it acts,
    and tab gets there."""
    app = app_on_sim()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_groups(pilot)
        await select_member(pilot, screen, "Bob")
        await pilot.press("a")
        await pilot.pause()
        assert not isinstance(app.screen, MemberDialog)
        notes = [n.message for n in app._notifications]
        assert any(n.startswith("a: add a member to the group, from the group list") for n in notes)
        await pilot.press("shift+tab")
        await pilot.pause()
        assert screen.focused is screen.query_one(GroupTable)
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, MemberDialog)
