"""Helpers the dashboard's tests share (Pilot): waiting for the app to settle, and reading the
screen as a person sees it."""

from __future__ import annotations

from textual.app import App
from textual.pilot import Pilot
from textual.worker import Worker

from pushover_tui.tui.widgets.dialogs import Dialog


async def settle(pilot: Pilot) -> None:
    """Until every worker started (and those they started) has ended, or waits for the user's
    answer to a dialog on screen: start-up's key check, quota and sound list, a send, a
    reload, the check before a question.

    Looked at each tick rather than awaited (workers.wait_for_complete): a worker may go on to
    ask (tui.base.ask) while this waits, and it then waits for the user, who is this test."""
    await pilot.pause()
    while any(not worker.is_finished for worker in working(pilot.app)):
        await pilot.pause(0.01)
    await pilot.pause()


def working(app: App[object]) -> list[Worker[object]]:
    """The app's workers but those parked on an open dialog's answer (Dialog.asker)."""
    asking = {screen.asker for screen in app.screen_stack if isinstance(screen, Dialog)}
    return [worker for worker in app.workers if worker not in asking]


def screen_text(pilot: Pilot) -> str:
    """The terminal's text now, line by line, as a person reads it (toasts and dialogs too)."""
    strips = pilot.app.screen._compositor.render_strips()
    return "\n".join(strip.text.rstrip() for strip in strips)
