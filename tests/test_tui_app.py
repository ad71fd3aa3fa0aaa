"""The app shell: --demo, first run, mode keys, keymap, theme, palette, error handling."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input
from tui_helpers import settle

from pushover_tui.api.models import Message
from pushover_tui.store.config import load_config
from pushover_tui.tui.app import PushoverApp
from pushover_tui.tui.widgets.status_bar import StatusBar

SIZE = (110, 36)


def status_text(app: PushoverApp) -> str:
    return str(app.screen.query_one(StatusBar).render())


async def test_demo_runs_on_the_simulator_with_a_throwaway_history(make_app):
    app = make_app(demo=True)
    folder = app.session.data_folder
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert type(app.screen).__name__ == "ComposeScreen"
        assert "DEMO" in status_text(app)
        sent = await app.session.send_message(Message("hello from the demo"))
        assert sent.result.request
        assert app.simulator is not None and app.simulator.messages[-1]["message"] == (
            "hello from the demo"
        )
        assert app.session.history.path.is_relative_to(folder)
    assert not folder.exists()  # the throwaway history is gone


async def test_demo_draws_its_first_frame_before_it_starts_its_simulator(make_app, monkeypatch):
    """startup.LateSimulator: --demo's simulator is imported and started just after the first
    frame; its socket is bound from the start, so the key check that follows is answered."""
    app = make_app(demo=True)
    at_first_frame: list[object] = []
    original = PushoverApp.on_ready

    def on_ready(self: PushoverApp) -> None:
        at_first_frame.append(self.simulator)
        original(self)

    monkeypatch.setattr(PushoverApp, "on_ready", on_ready)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(1000):
            if app.verified is not None:
                break
            await pilot.pause(0.01)
        assert at_first_frame == [None]
        assert app.verified is True
        assert app.simulator is not None
        assert any(r.path == "/1/users/validate.json" for r in app.simulator.requests)


def test_a_demo_stopped_before_its_first_frame_frees_its_socket():
    import socket

    from pushover_tui.tui.startup import LateSimulator

    late = LateSimulator(ack_after=0)
    port = int(late.base_url.rsplit(":", 1)[1].split("/")[0])
    late.stop()
    assert late.start() is None
    with socket.create_server(("127.0.0.1", port)):  # the port is free again
        pass


async def test_first_run_without_keys_opens_config(make_app, isolated_env):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfigScreen"
        assert "no keys" in status_text(app)
        text = " ".join(str(widget.render()) for widget in app.screen.query("Static"))
        assert "pushover.net" in text


async def test_mode_keys_work_while_typing(make_app, demo_config, simulator):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert type(app.screen).__name__ == "ComposeScreen"
        app.screen.query(Input).first().focus()
        await pilot.press("f4")
        await pilot.pause()
        assert type(app.screen).__name__ == "HistoryScreen"
        await pilot.press("f2")
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfigScreen"


async def test_keymap_from_config_remaps_bindings(make_app, demo_config, simulator):
    from dataclasses import replace

    from pushover_tui.store.config import save_config

    save_config(replace(demo_config, keymap={"mode.history": "f9"}))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f9")
        await pilot.pause()
        assert type(app.screen).__name__ == "HistoryScreen"


async def test_every_binding_has_an_id(make_app, demo_config, simulator):
    from textual.binding import Binding

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        for mode in ("config", "compose", "history", "groups"):
            app.switch_mode(mode)
            await pilot.pause()
            for owner in (PushoverApp, type(app.screen)):
                for binding in owner.BINDINGS:
                    assert isinstance(binding, Binding) and binding.id, f"{owner}: {binding}"


async def test_theme_choice_is_saved(make_app, demo_config, simulator, isolated_env):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.theme = "nord"
        await pilot.pause()
    assert load_config(Path(isolated_env["PUSHOVER_TUI_CONFIG"])).theme == "nord"


async def test_palette_offers_the_main_actions(make_app, demo_config, simulator):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        titles = {command.title for command in app.get_system_commands(app.screen)}
    for title in (
        "Send test message",
        "Verify keys",
        "Cancel an emergency",
        "History: from Sentry",
    ):
        assert title in titles


async def test_unexpected_worker_error_is_a_toast_not_a_crash(make_app, demo_config, simulator):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()

        async def broken() -> None:
            raise RuntimeError("boom")

        app.run_worker(broken(), exit_on_error=False)
        await pilot.pause(0.2)
        assert app.is_running
        assert any("boom" in str(n.message) for n in app._notifications)


async def test_a_crash_prints_one_sentence_not_locals(make_app, demo_config, simulator, capsys):
    from pushover_tui.simulator import DEMO_TOKEN

    app = make_app()

    def crash() -> None:
        token = DEMO_TOKEN  # a local a locals-traceback would print
        raise RuntimeError(f"kaboom {len(token)}")

    try:
        async with app.run_test(size=SIZE) as pilot:
            app.call_later(crash)
            await pilot.pause(0.3)
    except RuntimeError:
        pass
    err = capsys.readouterr().err
    assert "pushover-tui stopped on an unexpected error" in err and "kaboom 30" in err
    assert DEMO_TOKEN not in err and "Traceback" not in err


async def test_each_screen_renders_as_after_a_full_css_refresh(make_app, demo_config):
    """A screen's first opening skips Textual's re-parse of every CSS source (its own is parsed
    alone), and the first screen is not restyled as it resumes: each must look exactly as after
    a full refresh and repaint, with the default theme or a saved one."""
    from dataclasses import replace

    from pushover_tui.store.config import save_config
    from pushover_tui.tui.widgets.screen_tabs import SCREENS

    for theme in (None, "nord"):
        if theme is not None:
            save_config(replace(demo_config, theme=theme))
        app = make_app()
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert app.theme == (theme or "textual-dark")
            for mode in ("compose", *(mode for mode in SCREENS if mode != "compose")):
                app.switch_mode(mode)
                await settle(pilot)  # the start-up key check too: the status line settled
                first = app.export_screenshot()
                app.refresh_css(animate=False)
                for widget in app.screen.query("*"):
                    widget.refresh(layout=True)
                await pilot.pause()
                assert app.export_screenshot() == first, mode


async def test_footer_shows_each_screens_keys_once_built_and_the_tabs_name_the_screens(
    make_app, demo_config, simulator
):
    from textual.widgets import Footer

    from pushover_tui.tui.widgets.screen_tabs import ScreenTabs

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        for mode, key in (("compose", "ctrl+s"), ("config", "ctrl+r"), ("compose", "ctrl+n")):
            app.switch_mode(mode)
            await pilot.pause()
            await pilot.pause()
            screen = app.screen
            assert len(screen.query(Footer)) == 1
            keys = {footer_key.key for footer_key in screen.query("FooterKey")}  # type: ignore[attr-defined]
            assert {key, "ctrl+q", "f1"} <= keys, keys
            assert not keys & {"f2", "f3", "f4", "f5", "f6"}  # the tab strip names them
            strip = screen.query_one(ScreenTabs)
            line = str(strip.visual)
            tabs = [line[start:end].strip() for start, end in strip.columns.values()]
            marked = f"● {mode.capitalize()}"
            assert [tab for tab in tabs if tab.startswith("●")] == [marked]
            assert len(tabs) == 5


def test_run_pauses_the_collector_until_the_first_frame_then_freezes_what_startup_made(
    make_app, monkeypatch
):
    import gc

    from pushover_tui.tui import startup

    frozen: list[bool] = []  # the collector's state at each freeze
    after_start: list[bool] = []
    monkeypatch.setattr(startup.gc, "freeze", lambda: frozen.append(gc.isenabled()))
    app = make_app()  # no keys: no background check to cut short
    original_mount = PushoverApp.on_mount
    before_frame: list[bool] = []

    def on_mount(self: PushoverApp) -> None:
        before_frame.append(gc.isenabled())
        original_mount(self)

    monkeypatch.setattr(PushoverApp, "on_mount", on_mount)

    def stop() -> None:
        after_start.append(gc.isenabled())
        app.exit()

    app.call_after_start(app, stop)
    assert gc.isenabled()
    app.run(headless=True, size=SIZE)
    assert before_frame == [False] and frozen == [False] and after_start == [True]
    assert gc.isenabled()


async def test_deferred_components_are_built_just_after_the_first_frame(
    make_app, demo_config, monkeypatch
):
    """startup.Deferred: the first frame holds the light skeleton; the components follow, and
    the start-up key check waits for them (figure 1 in the README's Performance table)."""
    from pushover_tui.tui.startup import Deferred

    app = make_app()
    at_first_frame: dict[str, object] = {}
    original = PushoverApp.on_ready

    def on_ready(self: PushoverApp) -> None:
        at_first_frame["deferred"] = len(self.screen.query(Deferred))
        at_first_frame["message"] = bool(self.screen.query("#message"))
        original(self)

    monkeypatch.setattr(PushoverApp, "on_ready", on_ready)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.pause()
        # message box, recipient, details, options, actions and the footer
        assert at_first_frame == {"deferred": 6, "message": False}
        assert not app.screen.query(Deferred)
        assert app.screen.query("#message") and app.screen.query("#priority")
