"""Compose's Glance panel against the simulator: live counters and checks, a send, the "last
sent" line, Pushover's pace advice (warned about, never blocking), and its looks."""

from __future__ import annotations

from datetime import datetime

import pytest
from textual.widgets import Input, Static
from tui_helpers import settle

from pushover_tui.api.beyond_messages import Glance
from pushover_tui.store.history import HistoryFilter, RowKind, Status
from pushover_tui.tui.app import PushoverApp
from pushover_tui.tui.compose.glance_panel import GlancePanel
from pushover_tui.tui.session.glances import SentGlance, pace_warnings

SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])


async def open_panel(pilot) -> GlancePanel:
    await settle(pilot)
    await pilot.press("ctrl+g")
    await pilot.pause()
    panel = pilot.app.screen
    assert isinstance(panel, GlancePanel)
    return panel


def text(panel: GlancePanel, selector: str) -> str:
    return str(panel.query_one(selector, Static).visual)


@pytest.fixture
def app(demo_config, make_app, simulator) -> PushoverApp:
    return make_app(api_url=simulator.base_url)


async def test_counters_and_checks_follow_the_typing(app):
    async with app.run_test(size=(100, 36)) as pilot:
        panel = await open_panel(pilot)
        panel.query_one("#title", Input).value = "Widgets"
        panel.query_one("#percent", Input).value = "140"
        await pilot.pause()
        assert text(panel, "#title-count") == "7/100"
        assert "percent: The percent must be 0 to 100" in text(panel, "#glance-problem")
        panel.query_one("#subtext", Input).value = "x" * 101
        panel.query_one("#percent", Input).value = "4x"
        await pilot.pause()
        assert text(panel, "#subtext-count") == "101/100"
        assert panel.query_one("#subtext-count").has_class("-over")
        problems = text(panel, "#glance-problem")
        assert "subtext: The subtext is 101 characters" in problems
        assert "percent: The percent must be a whole number" in problems


async def test_a_glance_is_sent_and_shown_as_last_sent(app, simulator):
    async with app.run_test(size=(100, 36)) as pilot:
        panel = await open_panel(pilot)
        assert "none yet" in text(panel, "#glance-last")
        assert "20 minutes" in text(panel, "#glance-advice") and "50 a day" in text(
            panel, "#glance-advice"
        )
        panel.query_one("#text", Input).value = "build green"
        panel.query_one("#count", Input).value = "-3"
        await pilot.press("ctrl+s")
        await settle(pilot)
        [glance] = simulator.glances
        assert (glance["text"], glance["count"]) == ("build green", -3)
        assert "text 'build green', count -3" in text(panel, "#glance-last")
        assert "1 today" in text(panel, "#glance-last")
        # A second one at once goes too, with the pace warning shown: warned, never blocked.
        assert "20 minutes" in text(panel, "#glance-warning")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert len(simulator.glances) == 2
        # Both recorded in History as glances, with their fields.
        rows = app.session.history.page(HistoryFilter(kind=RowKind.GLANCE))
        assert [(row.status, row.origin) for row in rows] == [(Status.SENT, "tui")] * 2
        assert dict(rows[0].params) == {"text": "build green", "count": -3}


async def test_an_empty_glance_is_refused_without_a_request(app, simulator):
    async with app.run_test(size=(100, 36)) as pilot:
        panel = await open_panel(pilot)
        assert text(panel, "#glance-problem") == ""  # not an error before sending
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "at least one of title" in text(panel, "#glance-problem")
        assert simulator.glances == []
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, GlancePanel)


def test_pace_warnings_for_the_gap_and_the_day():
    now = datetime(2026, 2, 2, 12).timestamp()  # local noon: the last hour is today
    glance = Glance(text="x")
    assert pace_warnings([], now) == []
    assert pace_warnings([SentGlance(glance, now - 21 * 60, "r")], now) == []
    [gap] = pace_warnings([SentGlance(glance, now - 5 * 60, "r")], now)
    assert gap.startswith("The last glance went 5 min ago")
    fifty = [SentGlance(glance, now - 60 * (60 - i) // 2, "r") for i in range(50)]
    assert any("50 sent today" in warning for warning in pace_warnings(fifty, now))


@SIZES
@pytest.mark.usefixtures("steady_api_host")
def test_snapshot_glance_panel(size, snap_compare, app):
    async def run_before(pilot) -> None:
        panel = await open_panel(pilot)
        panel.query_one("#title", Input).value = "Widgets sold"
        panel.query_one("#count", Input).value = "1234"
        panel.query_one("#percent", Input).value = "62"
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)
