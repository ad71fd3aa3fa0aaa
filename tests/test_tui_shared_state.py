"""What the status line says is true for every process: the quota follows a send by the command
line in another process; a read-only dashboard says so and refuses changes with one sentence."""

from __future__ import annotations

import os
import subprocess
import sys

from textual.widgets import TextArea

from pushover_tui.tui.widgets.status_bar import StatusBar

SIZE = (120, 30)


async def wait_for(pilot, condition, tries: int = 1000) -> None:
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.01)
    raise AssertionError("condition not met")


def status(app) -> str:
    return str(app.screen.query_one(StatusBar).render())


async def test_the_status_lines_quota_follows_a_send_by_another_process(
    demo_config, simulator, make_app, isolated_env
):
    app = make_app(api_url=simulator.base_url)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.quota is not None and "quota" in status(app))
        before = app.quota.remaining
        assert f"quota {before:,} left" in status(app)
        for n in range(3):
            result = subprocess.run(
                [sys.executable, "-m", "pushover_tui", "send", f"from the CLI {n}"],
                env={**os.environ, **isolated_env},
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert result.returncode == 0, result.stderr
        # Within the app's usual look for other processes' rows (every 2 s).
        await wait_for(pilot, lambda: f"quota {before - 3:,} left" in status(app))


async def test_a_read_only_dashboard_says_so_and_refuses_to_send(make_app):
    app = make_app(demo=True, read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "read-only" in status(app) and app.verified is True)
        box = app.screen.query_one("#message", TextArea)
        box.load_text("must not leave")
        await pilot.pause()
        rows = app.session.history.count()
        await pilot.press("ctrl+s")
        outcome = app.screen.query_one("#outcome-text")
        await wait_for(pilot, lambda: "read-only" in str(outcome.visual))
        assert "This dashboard is read-only: it cannot send messages." in str(outcome.visual)
        assert app.session.history.count() == rows
        sends = [
            r for r in app.simulator.requests if (r.method, r.path) == ("POST", "/1/messages.json")
        ]
        assert sends == []
