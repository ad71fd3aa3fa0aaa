"""The Compose screen against the simulator: sending, checks, failures, drafts, snapshots."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from textual.message_pump import MessagePump
from textual.screen import Screen
from textual.widgets import Button, Input, Label, RadioButton, Select, Static, TextArea
from tui_helpers import screen_text, settle

from pushover_tui.api.models import BUILTIN_SOUNDS, Message, Priority, SendProgress
from pushover_tui.simulator import DEMO_TOKEN
from pushover_tui.store.config import Profile, save_config
from pushover_tui.tui.app import PushoverApp
from pushover_tui.tui.compose import screen as compose_screen
from pushover_tui.tui.compose.outcome import OutcomePanel
from pushover_tui.tui.compose.screen import ComposeScreen
from pushover_tui.tui.messages import PrefillDraft, SendTest
from pushover_tui.tui.widgets.status_bar import StatusBar

SIZE = (110, 36)
# Every screen is pictured at the reference terminal (80x24) and a roomy one.
SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])


def SNAPSHOT_SIZES(test):
    return pytest.mark.usefixtures("steady_api_host")(SIZES(test))


REQUEST_ID = "5d3c6c1e-0f2b-4a8e-9a7c-2b1d4e6f8a90"
# The smallest valid PNG: 1x1 pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


# -- helpers -------------------------------------------------------------------------------


def compose(app: PushoverApp) -> ComposeScreen:
    screen = app.screen
    assert isinstance(screen, ComposeScreen)
    return screen


async def checked(pilot) -> None:
    """Wait until the as-you-type checks have run on the latest edit."""
    screen = compose(pilot.app)
    await pilot.pause()
    for _ in range(200):
        if screen._check_timer is None:
            break
        await pilot.pause(0.01)
    await pilot.pause()


def fill(screen: ComposeScreen, **values: str) -> None:
    for field, value in values.items():
        if field == "message":
            screen.query_one("#message", TextArea).load_text(value)
        else:
            screen.query_one(f"#{field}", Input).value = value


def outcome(screen: ComposeScreen) -> str:
    return str(screen.query_one("#outcome-text", Static).visual)


def note(screen: ComposeScreen, field: str) -> str:
    """The note under `field` ("" when it has none: notes are made on first use)."""
    notes = screen.query(f"#{field}-note").results(Static)
    return next((str(found.visual) for found in notes if found.display), "")


@pytest.fixture
def fast_app(demo_config, make_app, simulator, monkeypatch):
    """The app on the simulator, with the pipeline's 5 s retry gaps made instant and the
    as-you-type checks run almost at once."""
    monkeypatch.setattr(compose_screen, "CHECK_DELAY", 0.01)

    def make() -> PushoverApp:
        app = make_app(api_url=simulator.base_url)

        async def no_wait(_seconds: float) -> None:
            return None

        app.session.outbox._client_options["sleep"] = no_wait
        return app

    return make


@pytest.fixture
def history_mode(monkeypatch):
    """A History mode to switch to, even before the real history screen lands."""
    try:
        importlib.import_module("pushover_tui.tui.history.screen")
    except ImportError:

        class StandIn(Screen):
            pass

        monkeypatch.setitem(PushoverApp.MODES, "history", StandIn)


# -- sending -------------------------------------------------------------------------------


async def test_send_normal_message_shows_request_id_and_sends_exact_fields(fast_app, simulator):
    app = fast_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = compose(app)
        assert screen.query_one("#message", TextArea).has_focus
        await pilot.press(*"Disk full")
        fill(screen, title="Backup", url="https://example.com/status", url_title="Status")
        screen.query_one("#sound", Select).value = "siren"
        screen.query_one("#format-html", RadioButton).value = True
        fill(screen, device="iphone", ttl="600")
        await pilot.press("ctrl+s")
        await settle(pilot)

        assert len(simulator.messages) == 1
        sent = simulator.messages[0]
        assert sent == {
            "message": "Disk full",
            "title": "Backup",
            "url": "https://example.com/status",
            "url_title": "Status",
            "sound": "siren",
            "device": "iphone",
            "ttl": "600",
            "html": "1",
        }
        text = outcome(screen)
        row = app.session.history.page(limit=1)[0]
        assert row.request_id and row.request_id in text
        assert "Account quota: 9,999 of 10,000" in text
        assert screen.query_one("#outcome").has_class("-ok")
        # The draft is kept after a real send.
        assert screen.query_one("#message", TextArea).text == "Disk full"


async def test_send_test_button_and_palette_action(fast_app, simulator):
    app = fast_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = compose(app)
        await pilot.click("#send-test")
        await settle(pilot)
        assert simulator.messages[-1]["title"] == "pushover-tui test"
        assert "Test message sent" in outcome(screen)
        # The palette's "Send test message" arrives as SendTest().
        screen.post_message(SendTest())
        await settle(pilot)
        assert len(simulator.messages) == 2
        # ctrl+t works from inside the message field too.
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert len(simulator.messages) == 3


async def test_emergency_shows_retry_expire_and_yields_receipt(fast_app, simulator):
    app = fast_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = compose(app)
        emergency = screen.query_one("#emergency")
        assert not emergency.display or not emergency.region.height
        screen.query_one("#priority", Select).value = int(Priority.EMERGENCY)
        await pilot.pause()
        assert screen.has_class("-emergency")
        assert screen.query_one("#retry", Input).value == "60"  # the profile's defaults
        assert screen.query_one("#expire", Input).value == "3600"
        assert str(screen.query_one("#send", Button).label) == "Send emergency"
        fill(screen, message="Server down", tags="db,prod", callback="https://example.com/ack")
        fill(screen, ttl="60")  # ignored at Emergency: a warning, not a blocker
        await checked(pilot)
        assert "ignored" in screen.problem_text("ttl")
        await pilot.press("ctrl+s")
        await settle(pilot)

        sent = simulator.messages[-1]
        assert sent["priority"] == "2"
        assert sent["retry"] == "60" and sent["expire"] == "3600"
        assert sent["tags"] == "db,prod" and sent["callback"] == "https://example.com/ack"
        assert "ttl" not in sent
        row = app.session.history.page(limit=1)[0]
        assert row.receipt and row.receipt in outcome(screen)
        assert "History (f4) follows it live" in outcome(screen)
        assert "TTL is ignored" in outcome(screen)


async def test_field_problems_are_shown_inline_and_nothing_is_sent(fast_app, simulator):
    app = fast_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = compose(app)
        # Untouched fields stay quiet: an empty draft is not an error yet.
        assert screen.problem_text("message") == ""
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "empty" in screen.problem_text("message")
        assert "Nothing sent" in outcome(screen)

        fill(screen, message="hello", title="x" * 251)
        screen.query_one("#priority", Select).value = int(Priority.EMERGENCY)
        fill(screen, retry="10")
        await checked(pilot)  # the checks run as you type, after a short pause
        assert "250" in screen.problem_text("title")
        assert "at least 30" in screen.problem_text("retry")
        counter = screen.query_one("#title-counter", Label)
        assert str(counter.visual) == "251 / 250" and counter.has_class("-over")
        assert screen.query_one("#title", Input).has_class("-problem")

        await pilot.press("ctrl+s")
        await settle(pilot)
        assert simulator.messages == []
        assert app.session.history.count() == 0
        assert "Nothing sent" in outcome(screen)

        fill(screen, retry="abc")
        await checked(pilot)
        assert "whole number" in screen.problem_text("retry")

        # Counters count code points (an emoji is one) and warn near the limit.
        fill(screen, message="🚀" * 1000)
        await pilot.pause()
        counter = screen.query_one("#message-counter", Label)
        assert str(counter.visual) == "1,000 / 1,024"
        assert counter.has_class("-near") and not counter.has_class("-over")


async def test_api_rejection_lands_on_the_field_and_points_to_config(
    isolated_env, simulator, make_app
):
    from pushover_tui.api.secret import Secret
    from pushover_tui.store.config import Config, Profile, save_config

    unknown_user = "uQiRzpo4DXghDmr9QzzfQu27cmVRsX"  # well formed, never added
    profile = Profile(name="work", token=Secret(DEMO_TOKEN), user=Secret(unknown_user))
    save_config(
        Config(
            path=Path(isolated_env["PUSHOVER_TUI_CONFIG"]),
            default_profile="work",
            profiles=(profile,),
        )
    )
    app = make_app(api_url=simulator.base_url)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = compose(app)
        fill(screen, message="hello")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert simulator.messages == []
        keys = str(screen.query_one("#keys-note", Static).visual)
        assert "user key is invalid" in keys and "f2" in keys
        assert unknown_user not in keys and unknown_user not in outcome(screen)
        assert "user identifier is invalid" in outcome(screen)
        assert screen.query_one("#outcome").has_class("-failed")


async def test_without_keys_nothing_is_sent_and_config_is_named(make_app, simulator):
    app = make_app(api_url=simulator.base_url)
    async with app.run_test(size=SIZE) as pilot:
        app.switch_mode("compose")
        await settle(pilot)
        screen = compose(app)
        keys = str(screen.query_one("#keys-note", Static).visual)
        assert "no application token and user key" in keys and "f2" in keys
        fill(screen, message="hello")
        await pilot.press("ctrl+s")
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert simulator.requests == []
        assert "f2" in outcome(screen)


async def test_api_rejection_of_a_field_lands_under_it(fast_app, simulator):
    app = fast_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = compose(app)
        fill(screen, message="hello")
        # A sound the app does not have passes the local checks; Pushover refuses it.
        screen.set_sounds({**BUILTIN_SOUNDS, "nosuchsound": "No such sound"})
        screen.query_one("#sound", Select).value = "nosuchsound"
        await pilot.press("ctrl+s")
        await settle(pilot)
        if simulator.messages:
            pytest.skip("this simulator accepts unknown sounds")
        assert "Pushover: sound" in screen.problem_text("sound")
        # Choosing another sound clears the server's complaint.
        screen.query_one("#sound", Select).value = "bike"
        await checked(pilot)
        assert screen.problem_text("sound") == ""


async def test_an_apps_sound_named_like_markup_is_shown_as_typed(fast_app, simulator):
    """The app's own sounds are named by whoever uploaded them: shown as text, never parsed."""
    simulator.add_sound("mine", "[b]Mine[/] [/]")
    app = fast_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = compose(app)
        sound = screen.query_one("#sound", Select)
        sound.value = "mine"
        await pilot.pause()
        sound.expanded = True
        await pilot.pause()
        assert "mine — [b]Mine[/] [/]" in app.export_screenshot().replace("&#160;", " ")


async def test_a_profile_switch_drops_the_old_apps_sounds(fast_app, simulator, demo_config):
    """Custom sounds belong to the old profile's app: a profile without keys offers the
    built-in list; back on the first profile, its app's list is read again."""
    simulator.add_sound("mine", "Mine")
    save_config(replace(demo_config, profiles=(*demo_config.profiles, Profile(name="empty"))))
    app = fast_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = compose(app)

        def sounds() -> set[str]:
            return {value for _, value in screen.query_one("#sound", Select)._options}

        assert "mine" in sounds()
        app.session.switch_profile("empty")
        await settle(pilot)
        assert "mine" not in sounds() and "bike" in sounds()
        app.session.switch_profile("personal")
        await settle(pilot)
        assert "mine" in sounds()


async def test_temporary_failure_is_clear_and_the_app_keeps_running(fast_app, simulator):
    app = fast_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = compose(app)
        fill(screen, message="hello")
        simulator.inject_fault("503", count=3)
        await pilot.press("ctrl+s")
        await settle(pilot)
        text = outcome(screen)
        assert "503" in text and "gave up after 3 attempts" in text
        assert "draft is kept" in text
        assert not screen.sending
        assert not screen.query_one("#send", Button).disabled
        # Still alive: the next try goes through.
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert len(simulator.messages) == 1
        assert "Sent" in outcome(screen)
        # Over the monthly quota: HTTP 429, said as such, with the reset date.
        simulator.set_remaining(DEMO_TOKEN, 0)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert len(simulator.messages) == 1
        assert "quota" in outcome(screen).lower() and "resets on" in outcome(screen)


async def test_an_unexpected_error_while_sending_ends_sending(fast_app, monkeypatch):
    """Not one of the pipeline's errors: the panel says it stopped (no countdown left running,
    nothing secret), the app says what it was, and the next send can start."""
    app = fast_app()

    async def broken(message, to=None, progress=None):
        progress(SendProgress(attempt=2, attempts=3, starts_in=5.0, failure="503"))
        raise RuntimeError(f"broken with {DEMO_TOKEN}")

    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        monkeypatch.setattr(app.session, "send_message", broken)
        screen = compose(app)
        fill(screen, message="hello")
        await pilot.press("ctrl+s")
        await settle(pilot)
        panel = screen.query_one(OutcomePanel)
        assert panel.has_class("-failed") and panel._countdown is None
        assert outcome(screen).startswith("✗ Not sent: something unexpected went wrong")
        assert not screen.sending and app.is_running
        toasts = [n.message for n in app._notifications]
        assert any("RuntimeError" in text for text in toasts)
        assert not any(DEMO_TOKEN in text for text in [*toasts, outcome(screen)])


async def test_no_double_send_while_in_flight(fast_app, simulator):
    app = fast_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = compose(app)
        fill(screen, message="only once")
        simulator.inject_fault("hang", seconds=10)
        await pilot.press("ctrl+s")
        await pilot.pause(0.2)
        assert screen.sending
        assert screen.query_one("#send", Button).disabled
        assert screen.query_one("#send-test", Button).disabled
        assert screen.query_one("#outcome").has_class("-sending")
        await pilot.press("ctrl+s")
        await pilot.press("ctrl+t")
        await pilot.click("#send")
        screen.action_send()
        await pilot.pause(0.2)
        simulator.release()
        await settle(pilot)
        assert [m["message"] for m in simulator.messages] == ["only once"]
        assert not screen.sending


async def test_draft_survives_switching_screens_until_new_message(fast_app, history_mode):
    app = fast_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = compose(app)
        fill(screen, message="keep me", title="draft")
        screen.query_one("#priority", Select).value = int(Priority.HIGH)
        await pilot.press("f4")
        await pilot.pause()
        assert app.current_mode == "history"
        await pilot.press("f3")
        await pilot.pause()
        assert app.screen is screen
        assert screen.query_one("#message", TextArea).text == "keep me"
        assert screen.query_one("#title", Input).value == "draft"
        assert screen.query_one("#priority", Select).value == 1
        # ctrl+n asks before dropping an unsent draft, then starts over.
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert screen.query_one("#message", TextArea).text == "keep me"
        await pilot.press("ctrl+n")
        await checked(pilot)
        assert screen.query_one("#message", TextArea).text == ""
        assert screen.query_one("#priority", Select).value == 0  # the profile's default
        assert screen.problem_text("message") == ""  # a fresh draft is not scolded


async def test_new_message_and_resend_before_the_message_box_is_built(fast_app, monkeypatch):
    """ctrl+n or a Resend arriving before the message box exists: no crash, and the draft is in
    the box once it is built."""
    held: list[tuple[MessagePump, Callable[[], object]]] = []  # what waits for the first frame
    monkeypatch.setattr(PushoverApp, "call_after_start", lambda _app, *call: held.append(call))
    app = fast_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = compose(app)
        assert not screen.query("#message")
        await pilot.press("ctrl+n")
        screen.post_message(PrefillDraft(Message(message="again", title="early")))
        await pilot.pause()
        for node, build in held:
            node.call_later(build)
        await settle(pilot)
        assert screen.query_one("#message", TextArea).text == "again"
        assert screen.query_one("#title", Input).value == "early"
        assert screen.focused is screen.query_one("#message", TextArea)


async def test_prefill_from_history_fills_every_field(fast_app, simulator):
    simulator.add_sound("mycustom", "My Custom")
    message = Message(
        message="Resent",
        title="Again",
        url="https://example.com",
        url_title="Site",
        priority=Priority.EMERGENCY,
        sound="mycustom",
        device="pixel",
        timestamp=1_700_000_000,
        ttl=None,
        monospace=True,
        retry=45,
        expire=900,
        callback="https://example.com/cb",
        tags=("a", "b"),
    )
    app = fast_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = compose(app)
        sound = screen.query_one("#sound", Select)
        assert sound.is_blank()  # blank first: the device's default sound
        # The app's own list (custom sounds included) replaced the built-in one.
        assert "mycustom — My Custom" in [str(prompt) for prompt, _ in sound._options]
        screen.post_message(PrefillDraft(message))
        await pilot.pause()
        values = {f: screen.query_one(f"#{f}", Input).value for f in ("title", "url", "device")}
        assert values == {"title": "Again", "url": "https://example.com", "device": "pixel"}
        assert screen.query_one("#message", TextArea).text == "Resent"
        assert screen.query_one("#priority", Select).value == 2
        assert screen.query_one("#sound", Select).value == "mycustom"
        assert screen.query_one("#format-monospace", RadioButton).value
        assert screen.query_one("#retry", Input).value == "45"
        assert screen.query_one("#expire", Input).value == "900"
        assert screen.query_one("#tags", Input).value == "a,b"
        assert screen.query_one("#timestamp", Input).value == "1700000000"
        assert "Filled in from History" in outcome(screen)
        built, problems = screen.draft.to_message(app.session.active.profile)
        assert problems == []
        assert built.form() == message.form()
        # A late sound list keeps the choice.
        screen.set_sounds({"pushover": "Pushover (default)"})
        assert sound.value == "mycustom"


async def test_attachment_is_checked_then_sent(fast_app, simulator, tmp_path):
    app = fast_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = compose(app)
        fill(screen, message="look", attachment=str(tmp_path / "missing.png"))
        await checked(pilot)
        assert "No file" in screen.problem_text("attachment")
        text_file = tmp_path / "notes.txt"
        text_file.write_text("not an image")
        fill(screen, attachment=str(text_file))
        await checked(pilot)
        assert "only images" in screen.problem_text("attachment")
        image = tmp_path / "dot.png"
        image.write_bytes(PNG)
        fill(screen, attachment=str(image))
        await checked(pilot)
        assert screen.problem_text("attachment") == ""
        assert "image/png" in note(screen, "attachment")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert simulator.messages[-1]["attachment"]["filename"] == "dot.png"


# -- snapshots -----------------------------------------------------------------------------


@pytest.fixture
def fixed_request_id(monkeypatch):
    import pushover_tui.simulator.engine as engine

    monkeypatch.setattr(engine, "request_id", lambda: REQUEST_ID)


@SNAPSHOT_SIZES
def test_snapshot_empty(size, snap_compare, fast_app):
    assert snap_compare(fast_app(), terminal_size=size, run_before=settle)


@SNAPSHOT_SIZES
def test_snapshot_emergency_filled_in(size, snap_compare, fast_app):
    async def run_before(pilot) -> None:
        await settle(pilot)
        screen = compose(pilot.app)
        screen.query_one("#priority", Select).value = int(Priority.EMERGENCY)
        fill(
            screen,
            message="Database primary is down.\nFailover did not start: please check now.",
            title="db-1 DOWN",
            url="https://status.example.com/db-1",
            url_title="Status page",
            tags="db,prod",
        )
        screen.query_one("#sound", Select).value = "siren"
        await checked(pilot)

    assert snap_compare(fast_app(), terminal_size=size, run_before=run_before)


@SNAPSHOT_SIZES
def test_snapshot_field_problems(size, snap_compare, fast_app):
    async def run_before(pilot) -> None:
        await settle(pilot)
        screen = compose(pilot.app)
        fill(screen, title="x" * 251, url="example.com")
        screen.query_one("#priority", Select).value = int(Priority.EMERGENCY)
        fill(screen, retry="10")
        await pilot.press("ctrl+s")
        await checked(pilot)

    assert snap_compare(fast_app(), terminal_size=size, run_before=run_before)


@SNAPSHOT_SIZES
def test_snapshot_success(size, snap_compare, fast_app, fixed_request_id):
    async def run_before(pilot) -> None:
        await settle(pilot)
        screen = compose(pilot.app)
        fill(screen, message="Backup finished in 4 min.", title="nightly backup")
        await pilot.press("ctrl+s")
        await settle(pilot)

    assert snap_compare(fast_app(), terminal_size=size, run_before=run_before)


async def test_an_error_page_is_named_by_its_status_with_the_advice_in_view(fast_app, simulator):
    """A 503 whose body is a web page: the status and a plain sentence, never the markup; the
    advice stays in view at 80x24; the status line never says "unreachable" (it answered)."""
    app = fast_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = compose(app)
        fill(screen, message="hello")
        simulator.inject_fault("503", count=3)
        await pilot.press("ctrl+s")
        await settle(pilot)
        text = outcome(screen)
        assert "HTTP 503 Service Unavailable" in text and "web page" in text
        assert "<" not in text and "draft is kept" in text
        assert "draft is kept" in " ".join(screen_text(pilot).split())
        status = str(screen.query_one(StatusBar).visual)
        assert "unreachable" not in status and "cannot reach" not in status


async def test_once_the_typing_pauses_the_checks_run_and_none_is_left_waiting(fast_app, simulator):
    app = fast_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = compose(app)
        fill(screen, title="t" * 251)
        await pilot.pause()
        deadline = 200
        while "250" not in note(screen, "title") and deadline:
            await pilot.pause(0.02)
            deadline -= 1
        assert "250" in note(screen, "title")
        assert screen._check_timer is None  # what tests (and a send) wait on: nothing pending
