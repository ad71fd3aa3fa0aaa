"""The dashboard for people (issue 13): usable at 80x24, discoverable, truthful and live.

Each test drives the app against the simulator as a person would and checks what they see."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest
from textual.widgets import Button, Input, Static, TextArea
from tui_helpers import settle

from pushover_tui.api.models import Message, Receipt, SendResult
from pushover_tui.simulator import DEMO_TOKEN
from pushover_tui.store.config import Profile, save_config
from pushover_tui.store.history import History
from pushover_tui.tui.app import PushoverApp
from pushover_tui.tui.compose.screen import ComposeScreen
from pushover_tui.tui.config.screen import ConfigScreen
from pushover_tui.tui.widgets.dialogs import ChecklistDialog, ChoiceDialog, ConfirmDialog
from pushover_tui.tui.widgets.row_table import HistoryTable
from pushover_tui.tui.widgets.status_bar import StatusBar

SMALL = (80, 24)
OTHER_TOKEN = "aUnknownToken".ljust(30, "X")


def status(app: PushoverApp) -> str:
    return str(app.screen.query_one(StatusBar).render())


async def no_wait(_seconds: float) -> None:
    return None


@pytest.fixture
def app(make_app, demo_config, simulator) -> PushoverApp:
    made = make_app(api_url=simulator.base_url)
    made.session.outbox._client_options["sleep"] = no_wait
    return made


def outcome(app: PushoverApp) -> str:
    return str(app.screen.query_one("#outcome-text", Static).visual)


# -- layout ----------------------------------------------------------------------------------


async def test_status_line_fits_80_columns_with_every_number(app, simulator):
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        text = status(app)
        assert len(text) <= 78
        assert "10,000 left" in text and "keys ✓" in text
        assert "127.0.0.1" in text  # not api.pushover.net: the host is named
    wide = status_text_at(app, 200)
    assert "account quota 10,000 left" in wide and "API 127.0.0.1" in wide


def status_text_at(app: PushoverApp, width: int) -> str:
    from pushover_tui.tui.widgets.status_bar import status_text

    return status_text(app.session, width, keys_edited=app.keys_edited)


def one_row(app: PushoverApp) -> None:
    with History.open(Path(app.session.data_folder)) as history:
        row = history.record_sending(
            Message("nightly backup done"), profile="personal", origin="cli"
        )
        history.record_sent(row, SendResult("r1"))


async def test_every_screen_at_80x24_shows_its_fields_uncut(app):
    one_row(app)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        # Compose: priority, sound and device above the fold, the outcome one line.
        for field in ("priority", "sound", "device"):
            region = app.screen.query_one(f"#{field}").region
            assert 0 < region.y < 21, field
        assert app.screen.query_one("#outcome").region.height == 1
        await pilot.press("f2")
        await settle(pilot)
        token = app.screen.query_one("#token", Input)
        assert token.region.width >= 32  # a 30-character key fits
        save = app.screen.query_one("#save", Button)
        assert save.region.y + save.region.height <= 23  # above the footer
        default = app.screen.query_one("#profile-default", Button)
        assert "Make default" in str(default.label) and default.region.width >= 14
        await pilot.press("f4")
        await settle(pilot)
        assert app.screen.query_one("#history-search", Input).region.width >= 20


async def test_history_detail_goes_under_the_list_when_narrow(app):
    one_row(app)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("f4")
        await settle(pilot)
        screen = app.screen
        assert screen.has_class("-narrow")
        table, detail = screen.query_one(HistoryTable), screen.query_one("#history-detail")
        assert detail.region.y > table.region.y and table.region.width >= 78


async def test_dialog_text_wraps_and_the_sentence_that_matters_shows(app, simulator):
    with History.open(Path(app.session.data_folder)) as history:
        row = history.record_sending(
            Message("db down", priority=2, retry=30, expire=600), profile="personal", origin="cli"
        )
        history.record_sent(row, SendResult("r1", receipt="r" * 30))
    app.session.outbox.tracker.track = lambda *args, **kwargs: None  # keep it awaiting
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        text = app.screen.query_one("#dialog-text", Static)
        assert text.region.height >= 3  # wrapped, not cut at the dialog's edge
        assert "cancel its retries first" in str(text.render())


# -- discoverable ----------------------------------------------------------------------------


async def test_a_row_action_that_does_not_apply_says_why(app, simulator):
    with History.open(Path(app.session.data_folder)) as history:
        row = history.record_sending(
            Message("db down", priority=2, retry=30, expire=600), profile="personal", origin="cli"
        )
        history.record_sent(row, SendResult("r1", receipt="a" * 30))
        history.record_receipt(
            row,
            Receipt("a" * 30, acknowledged=True, acknowledged_at=1, acknowledged_by_device="pixel"),
        )
    app.session.outbox.tracker.track = lambda *args, **kwargs: None
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("f4")
        await settle(pilot)
        app.clear_notifications()
        await pilot.press("c")
        await pilot.pause()
        messages = [str(n.message) for n in app._notifications]
        assert any("was acknowledged on pixel" in m for m in messages), messages


async def test_states_read_without_colour(make_app, demo_config, simulator, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(api_url=simulator.base_url)
    async with app.run_test(size=(110, 36)) as pilot:
        await settle(pilot)
        plain = app.screen.query_one("#format-plain")
        html = app.screen.query_one("#format-html")
        assert "●" in str(plain.render()) and "●" not in str(html.render())
        # The focused field: its label is reversed, which needs no colour.
        label = app.screen.query_one("#message-row .field-label")
        assert label.styles.text_style.reverse
        await pilot.press("f4")
        await settle(pilot)
        awaiting = app.screen.query_one("#history-awaiting")
        assert "X" not in str(awaiting.render())


# -- truthful ----------------------------------------------------------------------------------


async def test_quota_used_up_says_so_with_the_reset_and_never_blames_the_token(app, simulator):
    async with app.run_test(size=(110, 36)) as pilot:
        await settle(pilot)
        simulator.inject_fault("429")
        app.screen.query_one("#message", TextArea).load_text("hello")
        await pilot.press("ctrl+s")
        await settle(pilot)
        text = outcome(app)
        assert "monthly message quota is used up" in text and "resets on" in text
        assert "token" not in text
        assert not app.screen.query_one("#keys-note").has_class("-shown")
        assert "quota used up until" in status(app) or "0 left" in status(app)


async def test_a_banner_clears_when_its_condition_clears(app, simulator):
    async with app.run_test(size=(110, 36)) as pilot:
        await settle(pilot)
        simulator.inject_fault("drop", count=0)
        screen = app.screen
        assert isinstance(screen, ComposeScreen)
        screen._server["keys"] = "Pushover says the user key is invalid."
        screen._refresh()
        assert screen.query_one("#keys-note").has_class("-shown")
        await pilot.press("ctrl+t")  # a send test that works
        await settle(pilot)
        assert not screen.query_one("#keys-note").has_class("-shown")


async def test_cannot_reach_the_api_is_said_in_the_status_line(make_app, demo_config, simulator):
    simulator.inject_fault("drop", count=20)
    app = make_app(api_url=simulator.base_url)
    app.session.outbox._client_options["sleep"] = no_wait
    async with app.run_test(size=(110, 36)) as pilot:
        await settle(pilot)
        assert "cannot reach 127.0.0.1" in status(app)


async def test_verification_panel_is_cleared_on_edits_and_revert(app, simulator):
    async with app.run_test(size=(110, 36)) as pilot:
        await pilot.press("f2")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ConfigScreen)
        screen.query_one("#token", Input).value = OTHER_TOKEN
        await pilot.pause()
        await pilot.press("ctrl+v")
        await settle(pilot)
        assert screen.report[0] == "failed"
        screen.query_one("#token", Input).value = DEMO_TOKEN[:-1] + "Q"
        await pilot.pause()
        assert screen.report[0] == "idle"  # it was about other keys
        await pilot.click("#revert")
        await pilot.pause()
        assert screen.report[0] == "idle" and not app.keys_edited


async def test_saving_keys_verify_just_rejected_asks_first(app, simulator):
    async with app.run_test(size=(110, 36)) as pilot:
        await pilot.press("f2")
        await settle(pilot)
        screen = app.screen
        screen.query_one("#token", Input).value = OTHER_TOKEN
        await pilot.pause()
        await pilot.press("ctrl+v")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.click("#choice-cancel")
        await pilot.pause()
        assert app.session.config.profile("personal").token.reveal() == DEMO_TOKEN  # not saved


async def test_switching_profile_verifies_the_new_one(app, simulator, demo_config):
    other = Profile(
        "work", token=demo_config.profile("personal").token, user="uNobody".ljust(30, "X")
    )
    save_config(demo_config.with_profile(other))
    async with app.run_test(size=(110, 36)) as pilot:
        await settle(pilot)
        app.session.config = app.session.config.with_profile(other)
        app.session.switch_profile("work")
        await settle(pilot)
        assert app.verified is False and "keys invalid" in status(app)


async def test_keys_are_masked_again_when_leaving_config(app):
    async with app.run_test(size=(110, 36)) as pilot:
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("ctrl+r")
        assert app.screen.query_one("#token", Input).password is False
        await pilot.press("f4")
        await pilot.pause()
        await pilot.press("f2")
        await pilot.pause()
        assert app.screen.query_one("#token", Input).password is True


async def test_screenshot_goes_to_a_folder_that_exists_and_says_where(app, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("platformdirs.user_downloads_dir", lambda: str(tmp_path / "missing"))
    async with app.run_test(size=(110, 36)) as pilot:
        await settle(pilot)
        app.clear_notifications()
        saved = app.deliver_screenshot()
        await pilot.pause()
        assert saved is not None and Path(saved).parent == tmp_path and Path(saved).exists()
        assert any(str(tmp_path) in str(n.message) for n in app._notifications)


# -- live --------------------------------------------------------------------------------------


async def test_resend_asks_before_replacing_an_unsent_draft(app, simulator):
    with History.open(Path(app.session.data_folder)) as history:
        row = history.record_sending(Message("old news"), profile="personal", origin="cli")
        history.record_sent(row, SendResult("r1"))
    async with app.run_test(size=(110, 36)) as pilot:
        await settle(pilot)
        await pilot.press(*"my unsent draft")
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.click("#choice-cancel")
        await pilot.pause()
        assert app.screen.query_one("#message", TextArea).text == "my unsent draft"


async def test_quitting_while_a_send_is_on_its_way_asks_first(app, simulator):
    async with app.run_test(size=(110, 36)) as pilot:
        await settle(pilot)
        simulator.inject_fault("hang", seconds=5)
        app.screen.query_one("#message", TextArea).load_text("slow")
        await pilot.press("ctrl+s")
        await pilot.pause(0.2)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog) and app.is_running
        simulator.release()


async def test_verified_devices_are_offered_and_an_unknown_one_is_a_warning(app, simulator):
    async with app.run_test(size=(110, 36)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert app.devices == ("iphone", "pixel")
        await pilot.click("#device-pick")
        await pilot.pause()
        assert isinstance(app.screen, ChecklistDialog)
        app.screen.query_one("#dialog-list").select("pixel")  # type: ignore[attr-defined]
        await pilot.click("#choice-ok")
        await pilot.pause()
        assert screen.draft.device == "pixel"
        screen.query_one("#device", Input).value = "toaster"
        await pilot.pause(0.4)
        assert "toaster: not among this user's devices" in screen.problem_text("device")


async def test_help_names_remapped_keys(make_app, demo_config, simulator):
    save_config(replace(demo_config, keymap={"mode.history": "f9"}))
    app = make_app(api_url=simulator.base_url)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        text = str(app.screen.query_one("#help-text", Static).render())
        assert "f9" in text and "History (f9)" in text


def test_status_line_names_no_host_for_the_real_api() -> None:
    from pushover_tui.tui.widgets.status_bar import api_host

    assert api_host("https://api.pushover.net/1") == "api.pushover.net"


# -- live: receipts, progress, stopping ----------------------------------------------------


async def test_an_emergency_sent_elsewhere_is_followed_and_its_ack_is_a_toast(app, simulator):
    from pushover_tui.outbox import Outbox

    async with app.run_test(size=(110, 36)) as pilot:
        await settle(pilot)
        # Poll and watch quickly for the test; the product waits 5 s and 2 s.
        app.session.outbox.tracker.interval = app.session.outbox.tracker.watch_interval = 0.05
        # The command line, another process: its own outbox on the same history file.
        with History.open(Path(app.session.data_folder)) as other_history:
            other = Outbox(app.session.active, other_history, origin="cli")
            sent = await other.send(Message("db01 down", priority=2, retry=30, expire=600))
            await other.aclose()
        simulator.ack(sent.result.receipt, device="pixel")
        for _ in range(100):
            await pilot.pause(0.05)
            if any("acknowledged on pixel" in str(n.message) for n in app._notifications):
                break
        assert any(
            "“db01 down” was acknowledged on pixel" in str(n.message) for n in app._notifications
        )


async def test_sending_shows_the_attempt_and_the_countdown(make_app, demo_config, simulator):
    app = make_app(api_url=simulator.base_url)
    released = asyncio.Event()

    async def held_wait(_seconds: float) -> None:
        await released.wait()  # the retry waits until the test has seen the countdown

    app.session.outbox._client_options["sleep"] = held_wait
    async with app.run_test(size=(110, 36)) as pilot:
        await settle(pilot)
        simulator.inject_fault("503", count=1)
        app.screen.query_one("#message", TextArea).load_text("retry me")
        await pilot.press("ctrl+s")
        seen = ""
        for _ in range(100):
            await pilot.pause(0.05)
            seen = outcome(app)
            if "attempt 2 of 3" in seen:
                break
        released.set()
        assert "attempt 2 of 3, in" in seen and "503" in seen
        await settle(pilot)
        assert "✓ Sent" in outcome(app)


async def test_escape_stops_a_send_and_the_row_says_interrupted(app, simulator):
    async with app.run_test(size=(110, 36)) as pilot:
        await settle(pilot)
        simulator.inject_fault("hang", seconds=5)
        app.screen.query_one("#message", TextArea).load_text("slow one")
        await pilot.press("ctrl+s")
        await pilot.pause(0.3)
        assert app.screen.sending
        await pilot.press("escape")
        await settle(pilot)
        assert "Stopped by you" in outcome(app)
        row = app.session.history.page(limit=1)[0]
        assert row.status.value == "interrupted" and "Stopped by you" in row.error
        simulator.release()


async def test_history_overview_counts_what_was_sent(app, simulator):
    one_row(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f4")
        await settle(pilot)
        text = str(app.screen.query_one("#history-overview", Static).render())
        assert "1 in 30 days" in text and "1 sent" in text and "from 1 command line" in text
