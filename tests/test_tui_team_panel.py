"""Groups' team panel against the simulator: the team's members and administrators with the
profile's Team API token, add and remove after a question, and what it says without a token."""

from __future__ import annotations

from dataclasses import replace

import pytest
from textual.widgets import DataTable, Input, Static
from tui_helpers import settle

from pushover_tui.api.client import PushoverClient
from pushover_tui.api.errors import RejectedError
from pushover_tui.api.secret import Secret
from pushover_tui.simulator import DEMO_TEAM_TOKEN
from pushover_tui.store.config import save_config
from pushover_tui.tui.app import PushoverApp
from pushover_tui.tui.groups.team_panel import TeamPanel


async def open_panel(pilot) -> TeamPanel:
    await settle(pilot)
    await pilot.press("f5")
    await settle(pilot)
    await pilot.press("t")
    await settle(pilot)
    panel = pilot.app.screen
    assert isinstance(panel, TeamPanel)
    return panel


def status(panel: TeamPanel) -> str:
    return str(panel.query_one("#team-status", Static).visual)


def rows(panel: TeamPanel) -> list[tuple[str, ...]]:
    table = panel.query_one(DataTable)
    return [tuple(str(cell) for cell in table.get_row_at(i)) for i in range(table.row_count)]


@pytest.fixture
def team_app(demo_config, make_app, simulator) -> PushoverApp:
    profile = demo_config.profiles[0]
    config = replace(demo_config, profiles=(replace(profile, team_token=Secret(DEMO_TEAM_TOKEN)),))
    save_config(config)
    return make_app(api_url=simulator.base_url)


async def test_the_panel_lists_members_and_administrators(team_app):
    async with team_app.run_test(size=(100, 30)) as pilot:
        panel = await open_panel(pilot)
        assert rows(panel) == [
            ("admin", "Alice", "demo@example.com", "iphone, pixel"),
            ("member", "Bob", "bob@example.com", "pixel"),
        ]
        assert "2 members, 1 administrator" in str(panel.query_one("#team-title").render())


async def test_add_asks_then_adds_an_administrator(team_app, simulator):
    async with team_app.run_test(size=(100, 30)) as pilot:
        panel = await open_panel(pilot)
        await pilot.press("a")
        await pilot.pause()
        pilot.app.screen.query_one("#dialog-input", Input).value = "dave@example.com"
        await pilot.press("enter")
        await pilot.pause()
        await pilot.click("#choice-admin")
        await settle(pilot)
        assert simulator.team(DEMO_TEAM_TOKEN).members[-1].email == "dave@example.com"
        assert simulator.team(DEMO_TEAM_TOKEN).members[-1].administrator
        assert ("admin", "dave", "dave@example.com", "-") in rows(panel)
        assert status(panel) == "Added dave@example.com to the team."


async def test_remove_asks_first_and_cancel_changes_nothing(team_app, simulator):
    async with team_app.run_test(size=(100, 30)) as pilot:
        panel = await open_panel(pilot)
        panel.query_one(DataTable).move_cursor(row=1)
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("escape")  # the question: cancelled
        await settle(pilot)
        assert len(simulator.team(DEMO_TEAM_TOKEN).members) == 2
        await pilot.press("x")
        await pilot.pause()
        await pilot.click("#choice-confirm")
        await settle(pilot)
        assert [m.name for m in simulator.team(DEMO_TEAM_TOKEN).members] == ["Alice"]
        assert status(panel) == "Removed bob@example.com from the team."


async def test_a_failure_goes_to_the_one_error_handler(team_app, simulator, monkeypatch):
    """A toast titled with what failed, the API's sentence; the status says what is true."""

    async def refused(client, email):
        raise RejectedError("Pushover rejected the request", status_code=400, errors=("no",))

    monkeypatch.setattr(PushoverClient, "remove_team_member", refused)
    async with team_app.run_test(size=(80, 24)) as pilot:
        panel = await open_panel(pilot)
        panel.query_one(DataTable).move_cursor(row=1)
        await pilot.press("x")
        await pilot.pause()
        await pilot.click("#choice-confirm")
        await settle(pilot)
        errors = [(str(n.title), str(n.message)) for n in team_app._notifications]
        assert errors == [("Could not remove bob@example.com", "Pushover rejected the request: no")]
        assert status(panel) == "Members and administrators, as Pushover has them."
        assert len(simulator.team(DEMO_TEAM_TOKEN).members) == 2


async def test_a_team_that_cannot_be_read_says_so_and_how_to_try_again(team_app, monkeypatch):
    async def refused(client):
        raise RejectedError("Pushover rejected the request", status_code=400, errors=("no",))

    monkeypatch.setattr(PushoverClient, "team", refused)
    async with team_app.run_test(size=(100, 30)) as pilot:
        panel = await open_panel(pilot)
        errors = [(str(n.title), str(n.message)) for n in team_app._notifications]
        assert errors == [("Could not load the team", "Pushover rejected the request: no")]
        assert status(panel) == "Not loaded: esc closes the panel, t opens it again."


async def test_without_a_team_token_it_says_how_to_set_it_and_asks_nothing(
    demo_config, make_app, simulator
):
    app = make_app(api_url=simulator.base_url)
    async with app.run_test(size=(100, 30)) as pilot:
        panel = await open_panel(pilot)
        assert "config set team_token -" in status(panel)
        assert not any("teams" in record.path for record in simulator.requests)
        await pilot.click("#team-close")
        await pilot.pause()
        assert not isinstance(app.screen, TeamPanel)
