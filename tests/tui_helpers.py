"""Helpers the dashboard's tests share (Pilot): waiting for the app to settle, and reading the
screen as a person sees it."""

from __future__ import annotations

from textual.pilot import Pilot


async def settle(pilot: Pilot, rounds: int = 40) -> None:
    """Until every worker started (and those they started) has ended: start-up's key check,
    quota and sound list, a send, a reload."""
    await pilot.pause()
    for _ in range(rounds):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        if all(worker.is_finished for worker in pilot.app.workers):
            break


def screen_text(pilot: Pilot) -> str:
    """The terminal's text now, line by line, as a person reads it (toasts and dialogs too)."""
    strips = pilot.app.screen._compositor.render_strips()
    return "\n".join(strip.text.rstrip() for strip in strips)
