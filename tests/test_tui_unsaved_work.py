"""One rule for unsaved work: leaving or quitting with unsaved work asks, once.

Compose's unsent draft (a failed send's too) asks on ctrl+q; Config's edits ask on a profile
switch from the palette as F3 does; three ctrl+q in a row open one question, not three."""

from __future__ import annotations

from dataclasses import replace

from textual.widgets import Input, TextArea

from pushover_tui.store.config import Profile, save_config
from pushover_tui.tui.widgets.dialogs import ChoiceDialog

SIZE = (100, 30)


async def wait_for(pilot, condition, tries: int = 500) -> None:
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.01)
    raise AssertionError("condition not met")


def dialogs(app) -> list[ChoiceDialog]:
    return [screen for screen in app.screen_stack if isinstance(screen, ChoiceDialog)]


async def asked(pilot) -> ChoiceDialog:
    """The question, once it is on screen (its buttons laid out, so they can be clicked)."""

    def shown() -> bool:
        found = dialogs(pilot.app)
        return bool(found) and found[-1].query_one("#choice-cancel").region.width > 0

    await wait_for(pilot, shown)
    return dialogs(pilot.app)[-1]


async def started(pilot) -> None:
    """Up, keys checked and groups read (the start-up workers done), Compose built."""
    app = pilot.app
    await wait_for(pilot, lambda: app.verified is True and app.known_groups is not None)
    await wait_for(pilot, lambda: bool(app.screen.query("#message")))


async def type_draft(pilot, text: str) -> None:
    box = pilot.app.screen.query_one("#message", TextArea)
    box.focus()
    box.load_text(text)
    await pilot.pause()


async def test_ctrl_q_with_an_unsent_draft_asks_once(demo_config, simulator, make_app):
    app = make_app(api_url=simulator.base_url)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await type_draft(pilot, "not sent yet")
        await pilot.press("ctrl+q", "ctrl+q", "ctrl+q")
        question = await asked(pilot)
        await pilot.pause()
        assert len(dialogs(app)) == 1  # three presses, one question
        assert question.title_text == "Quit and lose the draft?"
        await pilot.click("#choice-cancel")
        await wait_for(pilot, lambda: not dialogs(app))
        assert app.is_running
        assert app.screen.query_one("#message", TextArea).text == "not sent yet"
        # Asked again on the next ctrl+q; "Quit anyway" quits.
        await pilot.press("ctrl+q")
        await asked(pilot)
        await pilot.click("#choice-quit")
        await wait_for(pilot, lambda: not app.is_running)


async def test_ctrl_q_after_a_failed_send_asks(demo_config, simulator, make_app):
    app = make_app(api_url=simulator.base_url)

    async def no_wait(_seconds: float) -> None:
        return None

    app.session.outbox._client_options["sleep"] = no_wait
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await type_draft(pilot, "this one fails")
        simulator.inject_fault("503", count=10)
        rows = app.session.history.count()
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.session.history.count() == rows + 1)
        await wait_for(pilot, lambda: not app.screen.sending)
        assert app.session.history.page()[0].status == "failed"
        await pilot.press("ctrl+q")
        assert (await asked(pilot)).title_text == "Quit and lose the draft?"
        await pilot.click("#choice-cancel")
        await wait_for(pilot, lambda: not dialogs(app))
        assert app.is_running


async def test_ctrl_q_with_nothing_unsaved_quits_at_once(demo_config, simulator, make_app):
    app = make_app(api_url=simulator.base_url)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: not app.is_running)


async def test_a_profile_switch_from_the_palette_asks_about_config_edits(
    demo_config, simulator, make_app
):
    save_config(replace(demo_config, profiles=(*demo_config.profiles, Profile(name="work"))))
    app = make_app(api_url=simulator.base_url)
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        await pilot.press("f2")
        await wait_for(pilot, lambda: app.current_mode == "config")
        await wait_for(pilot, lambda: bool(app.screen.query("#device")))
        config_screen = app.screen
        config_screen.query_one("#device", Input).value = "pixel"
        await wait_for(pilot, lambda: config_screen.is_dirty)
        switch = next(
            command
            for command in app.get_system_commands(app.screen)
            if command.title == "Switch profile: work"
        )
        switch.callback()
        await asked(pilot)
        assert app.session.active.profile.name == "personal"
        await pilot.click("#choice-cancel")
        await wait_for(pilot, lambda: not dialogs(app))
        assert app.session.active.profile.name == "personal" and config_screen.is_dirty
        # Discard: the edits go, the switch happens.
        switch.callback()
        await asked(pilot)
        await pilot.click("#choice-discard")
        await wait_for(pilot, lambda: app.session.active.profile.name == "work")
