"""Every screen names itself: the five screens as tabs under the status line, the current one
marked, each with the key that opens it after the keymap; a click on a tab opens its screen."""

from __future__ import annotations

from dataclasses import replace

import pytest
from tui_helpers import screen_text

from pushover_tui.store.config import save_config
from pushover_tui.tui.widgets.screen_tabs import SCREENS, ScreenTabs


def tab_line(pilot) -> str:
    return next(line for line in screen_text(pilot).splitlines() if "Config" in line)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_each_screen_is_named_and_marked_with_the_keys_after_the_keymap(
    size, make_app, demo_config, simulator
):
    save_config(replace(demo_config, keymap={"mode.groups": "f9", "mode.history": "ctrl+h"}))
    app = make_app()
    keys = {"config": "f2", "compose": "f3", "history": "^h", "groups": "f9", "inbox": "f6"}
    async with app.run_test(size=size) as pilot:
        for mode in SCREENS:
            app.switch_mode(mode)
            await pilot.pause()
            line = tab_line(pilot)
            expected = [
                f"● {name.capitalize()}" if name == mode else f"{name.capitalize()} {keys[name]}"
                for name in SCREENS
            ]
            assert line.split("  ") == [" " + expected[0], *expected[1:]], line


async def test_a_click_on_a_tab_opens_its_screen(make_app, demo_config, simulator):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for mode in ("history", "groups", "inbox", "config", "compose"):
            start, _ = app.screen.query_one(ScreenTabs).columns[mode]
            await pilot.click(ScreenTabs, offset=(start + 1, 0))
            await pilot.pause()
            assert app.current_mode == mode
