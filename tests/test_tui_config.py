"""The Config screen: keys, live checks, verification, saving, leaving and profiles.

The other modes are replaced by a stub screen, so these tests exercise only the Config screen
(and stay independent of the Compose and History screens' own start-up work).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Select, Static
from tui_helpers import settle

from pushover_tui.api.models import Priority
from pushover_tui.simulator import DEMO_TOKEN, DEMO_USER
from pushover_tui.store.config import load_config
from pushover_tui.tui.config.screen import ConfigScreen
from pushover_tui.tui.messages import VerifyKeys
from pushover_tui.tui.widgets.dialogs import ChoiceDialog, TextDialog
from pushover_tui.tui.widgets.help import HelpScreen
from pushover_tui.tui.widgets.status_bar import StatusBar

SIZE = (110, 36)
# Every screen is pictured at the reference terminal (80x24) and a roomy one.
SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])


def SNAPSHOT_SIZES(test):
    return pytest.mark.usefixtures("steady_api_host")(SIZES(test))


NO_DEVICES_USER = "uNoDevices".ljust(30, "X")
OTHER_TOKEN = "aUnknownToken".ljust(30, "X")
OTHER_USER = "uUnknownUser".ljust(30, "X")


class StubScreen(Screen):
    """Stands in for the Compose and History screens."""

    def compose(self):
        yield StatusBar()
        yield Static("another mode", id="stub")
        yield Footer()


@pytest.fixture(autouse=True)
def stub_other_modes(monkeypatch):
    """Compose and History are other screens' business: a stub stands in for both."""
    from pushover_tui.tui.app import PushoverApp

    modes = dict(PushoverApp.MODES, compose=StubScreen, history=StubScreen)
    monkeypatch.setattr(PushoverApp, "MODES", modes)


def config_app(make_app, **options):
    return make_app(**options)


async def open_config(app, pilot) -> ConfigScreen:
    await app.workers.wait_for_complete()  # the app's start-up key check
    await pilot.pause()
    if app.current_mode != "config":
        await pilot.press("f2")
        await pilot.pause()
    screen = app.screen
    assert isinstance(screen, ConfigScreen)
    return screen


async def verify(app, pilot) -> None:
    await pilot.press("ctrl+v")
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


def result_text(screen: ConfigScreen) -> str:
    return str(screen.query_one("#result-text", Static).render())


def help_text(screen: ConfigScreen, field: str) -> str:
    return str(screen.query_one(f"#{field}-note", Static).render())


async def set_value(pilot, screen: ConfigScreen, field: str, value: str) -> None:
    widget = screen.query_one(f"#{field}", Input)
    widget.value = value
    await pilot.pause()


# -- verification ---------------------------------------------------------------------------


async def test_verify_good_keys_shows_devices(demo_config, simulator, make_app):
    app = config_app(make_app, api_url=simulator.base_url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_config(app, pilot)
        # The command palette's "Verify keys" arrives as a VerifyKeys message.
        screen.post_message(VerifyKeys())
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = result_text(screen)
        assert "✓ The keys work" in text
        assert "iphone, pixel" in text
        assert screen.query_one("#result").has_class("-ok")
        assert "iphone, pixel" in help_text(screen, "device")
        assert app.verified is True
        # The sounds list now comes from the application.
        simulator_sounds = screen.query_one("#sound", Select)
        assert "pushover" in [value for _, value in simulator_sounds._options]
        # Pick… offers the devices just listed, those typed ticked (Compose's picker).
        await set_value(pilot, screen, "device", "pixel, ")
        await pilot.click("#device-pick")
        await pilot.pause()
        picker = app.screen.query_one("#dialog-list")
        assert picker.selected == ["pixel"]  # type: ignore[attr-defined]
        picker.select("iphone")  # type: ignore[attr-defined]
        await pilot.click("#choice-ok")
        await pilot.pause()
        assert screen.query_one("#device", Input).value == "pixel,iphone"


async def test_verify_failures_say_what_to_do(demo_config, simulator, make_app, monkeypatch):
    from pushover_tui.api import client

    monkeypatch.setattr(client, "RETRY_GAP", 0.0)
    simulator.add_user(NO_DEVICES_USER, devices=())
    app = config_app(make_app, api_url=simulator.base_url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_config(app, pilot)
        panel = screen.query_one("#result")

        # A token Pushover does not know.
        await set_value(pilot, screen, "token", OTHER_TOKEN)
        await verify(app, pilot)
        text = result_text(screen)
        assert "✗ App token rejected" in text and "application token is invalid" in text
        assert "User key rejected" not in text
        assert screen.query_one("#token", Input).has_class("-problem")
        assert panel.has_class("-failed")
        # Keys being edited are not the keys in use: the saved ones stay verified.
        assert app.verified is True and app.keys_edited is True
        assert "keys edited" in str(screen.query_one(StatusBar).render())

        # A user key Pushover does not know.
        await set_value(pilot, screen, "token", DEMO_TOKEN)
        await set_value(pilot, screen, "user", OTHER_USER)
        await verify(app, pilot)
        text = result_text(screen)
        assert "✗ User key rejected" in text and "user key is invalid" in text
        assert "App token rejected" not in text
        assert "Pushover does not know this key" in help_text(screen, "user")

        # A valid user with no active device (the API also flags "user": "invalid").
        await set_value(pilot, screen, "user", NO_DEVICES_USER)
        await verify(app, pilot)
        text = result_text(screen)
        assert "✗ No active devices" in text and "Install the Pushover app" in text
        assert "User key rejected" not in text

        # A device the user does not have.
        await set_value(pilot, screen, "user", DEMO_USER)
        await set_value(pilot, screen, "device", "toaster")
        await verify(app, pilot)
        assert "✗ Unknown device" in result_text(screen)
        assert "Not a device of this user" in help_text(screen, "device")

        # No answer at all: temporary, try again.
        await set_value(pilot, screen, "device", "")
        simulator.inject_fault("drop", count=10)
        await verify(app, pilot)
        assert "could not reach pushover, try again" in result_text(screen).lower()
        assert screen.query_one("#verify", Button).disabled is False


async def test_an_error_page_is_named_by_its_status_and_pushover_counts_as_reached(
    demo_config, simulator, make_app, monkeypatch
):
    from pushover_tui.api import client

    monkeypatch.setattr(client, "RETRY_GAP", 0.0)
    app = config_app(make_app, api_url=simulator.base_url)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_config(app, pilot)
        simulator.inject_fault("503", count=3)
        await verify(app, pilot)
        text = " ".join(result_text(screen).split())
        assert "HTTP 503 Service Unavailable with a web page" in text and "<" not in text
        assert "Press Verify again in a few minutes" in text
        assert "could not reach" not in text.lower()
        status = str(screen.query_one(StatusBar).visual)
        assert "unreachable" not in status and "cannot reach" not in status
        # Nothing answering at all: then, and only then, "cannot reach".
        simulator.inject_fault("drop", count=3)
        await verify(app, pilot)
        assert app.reachable is False
        assert "could not reach pushover" in result_text(screen).lower()
        await verify(app, pilot)
        assert app.reachable is True  # something answered: the status line clears


# -- live checks and the form ------------------------------------------------------------------


async def test_live_format_check_and_reveal(demo_config, simulator, make_app):
    app = config_app(make_app, api_url=simulator.base_url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_config(app, pilot)
        token = screen.query_one("#token", Input)
        token.focus()
        token.value = ""
        await pilot.press(*"abc")
        await pilot.pause()
        assert "30 letters and digits (it has 3)" in help_text(screen, "token")
        assert token.has_class("-problem")
        await set_value(pilot, screen, "token", DEMO_TOKEN)
        assert "✓" in help_text(screen, "token")
        assert not token.has_class("-problem")
        # Verification refuses badly formed keys without asking the API.
        await set_value(pilot, screen, "user", "short")
        requests_before = len(simulator.requests)
        await verify(app, pilot)
        assert "Fix the highlighted fields first" in result_text(screen)
        assert len(simulator.requests) == requests_before
        # Reveal and hide again, by key and by button.
        token, user = screen.query_one("#token", Input), screen.query_one("#user", Input)
        assert token.password and user.password
        await pilot.press("ctrl+r")
        assert not token.password and not user.password
        assert str(screen.query_one("#reveal", Button).label) == "Hide"
        await pilot.click("#reveal")
        await pilot.pause()
        assert token.password and user.password


async def test_retry_expire_only_for_emergency(demo_config, simulator, make_app):
    app = config_app(make_app, api_url=simulator.base_url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_config(app, pilot)
        retry_row = screen.query_one("#retry-row")
        assert not retry_row.display
        screen.query_one("#priority", Select).value = int(Priority.EMERGENCY)
        await pilot.pause()
        assert retry_row.display and screen.query_one("#expire-row").display
        assert "Pushover stops after 50" in help_text(screen, "expire")
        await set_value(pilot, screen, "retry", "10")
        assert "at least 30" in help_text(screen, "retry")
        await set_value(pilot, screen, "retry", "")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "need retry" in help_text(screen, "retry")
        assert load_config(demo_config.path).profile("personal").priority == 0  # not saved
        screen.query_one("#priority", Select).value = int(Priority.HIGH)
        await pilot.pause()
        assert not retry_row.display


async def test_save_writes_file(demo_config, simulator, make_app):
    app = config_app(make_app, api_url=simulator.base_url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_config(app, pilot)
        # A problem blocks saving and shows on its field.
        await set_value(pilot, screen, "device", "bad device!")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "Device name" in help_text(screen, "device")
        assert app.focused is screen.query_one("#device", Input)
        assert load_config(demo_config.path).profile("personal").device == ""
        screen.query_one("#priority", Select).value = int(Priority.EMERGENCY)
        await pilot.pause()
        await set_value(pilot, screen, "retry", "120")
        await set_value(pilot, screen, "expire", "7200")
        screen.query_one("#sound", Select).value = "siren"
        await set_value(pilot, screen, "device", "iphone")
        assert screen.is_dirty
        assert "edited" in str(screen.query_one("#retry-source").render())
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not screen.is_dirty
    saved = load_config(demo_config.path).profile("personal")
    assert (saved.priority, saved.retry, saved.expire) == (2, 120, 7200)
    assert (saved.sound, saved.device) == ("siren", "iphone")
    assert saved.token.reveal() == DEMO_TOKEN and saved.user.reveal() == DEMO_USER


async def test_environment_values_are_read_only_and_never_saved(
    demo_config, simulator, make_app, isolated_env
):
    env = dict(isolated_env, PUSHOVER_USER=OTHER_USER)
    app = config_app(make_app, api_url=simulator.base_url, env=env)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_config(app, pilot)
        user = screen.query_one("#user", Input)
        assert user.disabled
        assert user.value == OTHER_USER
        assert "from environment" in str(screen.query_one("#user-source").render())
        assert "never writes environment values" in help_text(screen, "user")
        await set_value(pilot, screen, "device", "pixel")
        await pilot.press("ctrl+s")
        await pilot.pause()
    saved = load_config(demo_config.path).profile("personal")
    assert saved.device == "pixel"
    assert saved.user.reveal() == DEMO_USER  # the file's own key, not the environment's


# -- leaving with unsaved changes --------------------------------------------------------------


async def test_leaving_with_changes_asks(demo_config, simulator, make_app):
    app = config_app(make_app, api_url=simulator.base_url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_config(app, pilot)
        # No changes: no question.
        await pilot.press("f3")
        await pilot.pause()
        assert app.current_mode == "compose"
        await pilot.press("f2")
        await pilot.pause()
        await set_value(pilot, screen, "device", "pixel")
        await pilot.press("f3")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.click("#choice-cancel")
        await pilot.pause()
        assert app.screen is screen and screen.is_dirty
        # Discard: back to the file's values, then on to Compose.
        await pilot.press("f4")
        await pilot.pause()
        await pilot.click("#choice-discard")
        await pilot.pause()
        assert app.current_mode == "history"
        assert screen.query_one("#device", Input).value == ""
        # Save on quitting writes the file, then quits.
        await pilot.press("f2")
        await pilot.pause()
        await set_value(pilot, screen, "device", "iphone")
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.click("#choice-save")
        await pilot.pause()
    assert load_config(demo_config.path).profile("personal").device == "iphone"


async def test_leaving_from_a_dialog_over_edits_asks_too(demo_config, simulator, make_app):
    """With help (or any dialog) open over the edited form, the keys that act there (priority:
    F6, ctrl+q) and the palette's Inbox still ask first."""
    app = config_app(make_app, api_url=simulator.base_url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_config(app, pilot)
        await set_value(pilot, screen, "device", "pixel")
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("f6")
        await pilot.pause()
        assert app.current_mode == "config" and isinstance(app.screen, ChoiceDialog)
        await pilot.click("#choice-cancel")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen) and screen.is_dirty
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.click("#choice-cancel")
        await pilot.pause()
        assert app.is_running and screen.is_dirty
        inbox = next(c for c in app.get_system_commands(app.screen) if c.title == "Inbox")
        inbox.callback()
        await pilot.pause()
        assert app.current_mode == "config" and isinstance(app.screen, ChoiceDialog)


# -- profiles ---------------------------------------------------------------------------------


async def answer_name(pilot, app, name: str) -> None:
    assert isinstance(app.screen, TextDialog)
    field = app.screen.query_one("#dialog-input", Input)
    field.value = name
    await pilot.press("enter")
    await pilot.pause()


async def test_add_rename_delete_profile(demo_config, simulator, make_app):
    app = config_app(make_app, api_url=simulator.base_url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_config(app, pilot)
        # Add: blank and duplicate names are refused in the dialog.
        await pilot.click("#profile-new")
        await pilot.pause()
        await answer_name(pilot, app, "  ")
        assert "cannot be blank" in str(app.screen.query_one("#dialog-problem").render())
        await answer_name(pilot, app, "personal")
        assert "already exists" in str(app.screen.query_one("#dialog-problem").render())
        await answer_name(pilot, app, "work")
        assert app.screen is screen
        assert app.session.active.profile.name == "work"
        assert screen.query_one("#token", Input).value == ""
        assert load_config(demo_config.path).profile_names == ("personal", "work")
        # Rename.
        await pilot.click("#profile-rename")
        await pilot.pause()
        await answer_name(pilot, app, "office")
        assert app.session.active.profile.name == "office"
        assert load_config(demo_config.path).profile_names == ("personal", "office")
        # Delete, after a confirmation.
        await pilot.click("#profile-delete")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.click("#choice-delete")
        await pilot.pause()
        assert load_config(demo_config.path).profile_names == ("personal",)
        assert app.session.active.profile.name == "personal"
        assert screen.query_one("#profile", Select).value == "personal"
        # The last profile cannot be deleted.
        await pilot.click("#profile-delete")
        await pilot.pause()
        assert app.screen is screen
        assert load_config(demo_config.path).profile_names == ("personal",)


async def test_switching_profile_with_changes_asks(demo_config, simulator, make_app):
    app = config_app(make_app, api_url=simulator.base_url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_config(app, pilot)
        await pilot.click("#profile-new")
        await pilot.pause()
        await answer_name(pilot, app, "work")
        await set_value(pilot, screen, "device", "pixel")
        screen.query_one("#profile", Select).value = "personal"
        await pilot.pause()
        assert isinstance(app.screen, ChoiceDialog)
        await pilot.click("#choice-cancel")
        await pilot.pause()
        assert app.session.active.profile.name == "work"
        assert screen.query_one("#profile", Select).value == "work"
        assert screen.query_one("#device", Input).value == "pixel"
        # Discard, switch, then delete the default profile: the other one becomes default.
        screen.query_one("#profile", Select).value = "personal"
        await pilot.pause()
        await pilot.click("#choice-discard")
        await pilot.pause()
        assert app.session.active.profile.name == "personal"
        await pilot.click("#profile-delete")
        await pilot.pause()
        assert "becomes the default" in str(app.screen.query_one("#dialog-text").render())
        await pilot.click("#choice-delete")
        await pilot.pause()
        config = load_config(demo_config.path)
        assert config.profile_names == ("work",)
        assert config.default_profile == "work"
        assert app.session.active.profile.name == "work"
        assert config.profile("work").device == ""  # the discarded edit


async def test_make_default_keeps_unsaved_edits(demo_config, simulator, make_app):
    app = config_app(make_app, api_url=simulator.base_url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_config(app, pilot)
        await pilot.click("#profile-new")
        await pilot.pause()
        await answer_name(pilot, app, "work")
        await set_value(pilot, screen, "device", "pixel")
        await pilot.click("#profile-default")
        await pilot.pause()
        assert app.screen is screen
        assert load_config(demo_config.path).default_profile == "work"
        assert screen.query_one("#device", Input).value == "pixel" and screen.is_dirty
        assert screen.query_one("#profile-default", Button).disabled  # it is the default now
        assert load_config(demo_config.path).profile("work").device == ""  # not saved yet


# -- first run --------------------------------------------------------------------------------


async def test_first_run_shows_how_to_get_keys(make_app, simulator, tmp_path):
    app = config_app(make_app, api_url=simulator.base_url)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_config(app, pilot)
        welcome = screen.query_one("#welcome", Static)
        assert welcome.display
        text = str(welcome.render())
        assert "pushover.net" in text and "--demo" in text
        assert app.focused is screen.query_one("#token", Input)
        await pilot.press(*"az")  # typed into the focused token field
        assert screen.query_one("#token", Input).value == "az"
        await set_value(pilot, screen, "token", DEMO_TOKEN)
        await set_value(pilot, screen, "user", DEMO_USER)
        await verify(app, pilot)
        assert "✓ The keys work" in result_text(screen)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not welcome.display
        assert app.session.active.has_keys
    config = load_config(Path(app.session.config.path))
    assert config.profile_names == ("default",)
    assert config.profile().token.reveal() == DEMO_TOKEN


# -- snapshots --------------------------------------------------------------------------------


def _snapshot_app(make_app, **options):
    return config_app(make_app, **options)


async def settled_without_toasts(pilot) -> None:
    await settle(pilot)
    pilot.app.clear_notifications()
    await pilot.pause()


@pytest.mark.usefixtures("demo_config")
@SNAPSHOT_SIZES
def test_snapshot_verified(size, snap_compare, make_app, simulator):
    app = _snapshot_app(make_app, api_url=simulator.base_url)

    async def run_before(pilot) -> None:
        await settled_without_toasts(pilot)
        await pilot.press("f2")
        await pilot.pause()
        await pilot.press("ctrl+v")
        await settled_without_toasts(pilot)
        pilot.app.screen.query_one("#verify").focus()
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.usefixtures("demo_config")
@SNAPSHOT_SIZES
def test_snapshot_failed_verification(size, snap_compare, make_app, simulator):
    app = _snapshot_app(make_app, api_url=simulator.base_url)

    async def run_before(pilot) -> None:
        await settled_without_toasts(pilot)
        await pilot.press("f2")
        await pilot.pause()
        pilot.app.screen.query_one("#user", Input).value = OTHER_USER
        await pilot.pause()
        await pilot.press("ctrl+v")
        await settled_without_toasts(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@SNAPSHOT_SIZES
def test_snapshot_first_run(size, snap_compare, make_app, simulator):
    app = _snapshot_app(make_app, api_url=simulator.base_url)
    assert snap_compare(app, terminal_size=size, run_before=settled_without_toasts)
