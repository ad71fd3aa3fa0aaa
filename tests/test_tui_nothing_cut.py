"""No cut words at 80 columns (and 120x40): a placeholder, a hint or a message is shown whole, in
a shorter wording, or not at all."""

from __future__ import annotations

import pytest
from rich.cells import cell_len
from textual.widgets import Input, Select, Static
from tui_helpers import screen_text, settle

from pushover_tui.api.models import Priority
from pushover_tui.tui.compose.actions import FittedHint
from pushover_tui.tui.compose.screen import ComposeScreen
from pushover_tui.tui.groups.screen import GroupsScreen

SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])


@SIZES
async def test_every_placeholder_fits_its_field(size, make_app, demo_config, simulator):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        for mode in ("config", "compose", "history", "groups", "inbox"):
            app.switch_mode(mode)
            await settle(pilot)
            if mode == "compose":
                app.screen.query_one("#priority", Select).value = Priority.EMERGENCY
                await pilot.pause()
            cut = [
                (mode, field.id, field.placeholder)
                for field in app.screen.query(Input)
                if field.placeholder
                and field.region.width  # shown
                and cell_len(field.placeholder) > field.content_region.width
            ]
            assert cut == []


async def test_the_action_bar_hint_is_whole_or_absent(make_app, demo_config, simulator):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ComposeScreen)
        hint = screen.query_one(FittedHint)
        for emergency, sending in ((True, False), (False, True), (True, True)):
            screen.query_one("#priority", Select).value = 2 if emergency else 0
            await pilot.pause()
            screen.sending = sending
            await pilot.pause()
            shown = str(hint.visual)
            assert shown in (
                "",
                "Sending…",
                "Sending… the buttons come back when Pushover answers.",
                "Repeats until acknowledged.",
            )
            assert cell_len(shown) <= hint.content_region.width
            if sending and hint.content_region.width >= cell_len("Sending…"):
                assert shown.startswith("Sending…")  # the short wording, when it fits
        screen.sending = False


async def test_a_long_groups_message_shows_whole_at_80x24(make_app, demo_config, simulator):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, GroupsScreen)
        # A long outcome on the activity line (errors go to the one error handler's toast,
        # tested in test_tui_groups.py): five lines at 80 columns.
        text = (
            "Bob is now the only one on call in the group ops for the night shift: Alice and "
            "Carol were disabled on every device they have, and the group read back from "
            "Pushover agrees with that. Their notifications stop at once; Bob's start with "
            "the next message sent to the group, whichever device or application sends it."
        )
        screen.say(text)
        await pilot.pause()
        activity = screen.query_one("#groups-activity-text", Static)
        assert activity.size.height >= 4
        assert " ".join(text.split()[-6:]) in " ".join(screen_text(pilot).split())
