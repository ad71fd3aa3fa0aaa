"""Regenerate every screenshot in this folder, headlessly: `python screenshots/generate.py`.

Each shot runs the real app as `pushover-tui --demo` does (the embedded simulator, the
documentation's example keys, a throwaway data folder) at its terminal size, and saves an SVG.

`python screenshots/generate.py --browser` takes the PNGs of the dashboard in a browser instead:
`pushover-tui serve --demo` in the machine's Chromium (Playwright, the dev extra), typed into
as a user would (tests/served.py drives it).
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from pushover_tui.api.models import Message, Priority, ReceiptState
from pushover_tui.inbox import InboxState
from pushover_tui.simulator import Simulator
from pushover_tui.tui.app import PushoverApp, build_app
from pushover_tui.tui.messages import PrefillDraft, VerifyKeys

HERE = Path(__file__).parent
ROOMY = (120, 36)
SMALL = (80, 24)  # the reference terminal

Scene = Callable[[PushoverApp, Simulator], Awaitable[None]]


async def wait_until(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the screen did not reach the expected state")
        await asyncio.sleep(0.05)


async def config_verified(app: PushoverApp, sim: Simulator) -> None:
    app.switch_mode("config")
    await asyncio.sleep(0.3)
    app.screen.post_message(VerifyKeys())
    await wait_until(lambda: getattr(app.screen, "report", ("",))[0] == "ok")


EMERGENCY = Message(
    "Primary database db01 stopped accepting writes at 03:12. Replication lag is 14 minutes "
    "and growing. Fail over to db02 if it is not back by 03:30.",
    title="db01 is down",
    url="https://runbooks.example.com/db/failover",
    url_title="Failover runbook",
    priority=Priority.EMERGENCY,
    sound="siren",
    retry=60,
    expire=3600,
    tags=("db", "prod"),
)


async def compose_emergency(app: PushoverApp, sim: Simulator) -> None:
    app.screen.post_message(PrefillDraft(EMERGENCY))
    await asyncio.sleep(0.5)


async def compose_problems(app: PushoverApp, sim: Simulator) -> None:
    broken = Message(
        "Nightly backup of nas01 failed: disk full.",
        title="Backup failed " * 20,
        priority=Priority.EMERGENCY,
        retry=10,
        expire=3600,
    )
    app.screen.post_message(PrefillDraft(broken))
    await asyncio.sleep(0.3)
    await app.run_action("screen.send")  # a send attempt shows every problem on its field
    await asyncio.sleep(0.5)


async def history_acknowledged(app: PushoverApp, sim: Simulator) -> None:
    app.session.outbox.tracker.interval = 0.2  # poll quickly for the picture; the product waits 5 s
    await app.session.send_message(
        Message("Nightly backup of nas01 finished in 42 min.", title="nas01")
    )
    await app.session.send_message(Message("Certificate for shop.example.com renews in 7 days."))
    sent = await app.session.send_message(EMERGENCY)
    assert sent.result.receipt is not None
    sim.ack(sent.result.receipt, device="pixel")
    row_id = sent.row_id
    await wait_until(
        lambda: app.session.history.get(row_id).receipt_state is ReceiptState.ACKNOWLEDGED  # type: ignore[union-attr]
    )
    app.switch_mode("history")
    await asyncio.sleep(0.8)


async def groups_oncall(app: PushoverApp, sim: Simulator) -> None:
    """Groups (F5): the demo group, Carol selected, the on-call confirmation's before/after."""
    from pushover_tui.tui.groups.tables import MemberTable

    app.switch_mode("groups")
    await wait_until(lambda: bool(app.screen.query(MemberTable)))
    table = app.screen.query_one(MemberTable)
    await wait_until(lambda: len(table.members) == 3 and not app.screen.busy)  # type: ignore[attr-defined]
    table.focus()
    table.move_cursor(row=2)
    await asyncio.sleep(0.2)
    await app.run_action("screen.oncall")
    await wait_until(lambda: len(app.screen_stack) > 1)
    await asyncio.sleep(0.3)


async def compose_small(app: PushoverApp, sim: Simulator) -> None:
    app.screen.post_message(PrefillDraft(EMERGENCY))
    await asyncio.sleep(0.5)


async def help_screen(app: PushoverApp, sim: Simulator) -> None:
    app.action_help()
    await asyncio.sleep(0.3)


async def inbox_emergency(app: PushoverApp, sim: Simulator) -> None:
    await wait_until(
        lambda: app.session.inbox.state is InboxState.CONNECTED
    )  # the demo's own device
    await app.session.send_message(
        Message("Nightly backup of nas01 finished in 42 min.", title="nas01")
    )
    await app.session.send_message(Message("Certificate for shop.example.com renews in 7 days."))
    await app.session.send_message(EMERGENCY)
    await wait_until(lambda: app.session.inbox.count() == 3)
    app.switch_mode("inbox")  # the newest, the emergency, selected
    await asyncio.sleep(0.5)


async def glance_panel(app: PushoverApp, sim: Simulator) -> None:
    """Compose's Glance panel, filled in, after one glance was sent."""
    from textual.widgets import Input

    from pushover_tui.api.beyond_messages import Glance

    await app.session.glances.send(Glance(text="build green", count=12))
    await app.run_action("screen.glance")
    await wait_until(lambda: bool(app.screen.query("#glance-title")))
    app.screen.query_one("#title", Input).value = "Widgets sold"
    app.screen.query_one("#count", Input).value = "1234"
    app.screen.query_one("#percent", Input).value = "62"
    await asyncio.sleep(0.3)


async def groups_team(app: PushoverApp, sim: Simulator) -> None:
    """Groups' team panel: the demo team's members and administrators."""
    from textual.widgets import DataTable

    app.switch_mode("groups")
    await asyncio.sleep(0.5)
    await app.run_action("screen.team")
    await wait_until(lambda: bool(app.screen.query("#team-table")))
    await wait_until(lambda: app.screen.query_one(DataTable).row_count == 2)
    await asyncio.sleep(0.2)


# name -> (what to do before the picture, terminal size)
SCENES: dict[str, tuple[Scene, tuple[int, int]]] = {
    "config-verified": (config_verified, ROOMY),
    "compose-emergency": (compose_emergency, ROOMY),
    "history-acknowledged": (history_acknowledged, ROOMY),
    "compose-field-problems": (compose_problems, ROOMY),
    "compose-80x24": (compose_small, SMALL),
    "help-80x24": (help_screen, SMALL),
    "groups-oncall": (groups_oncall, ROOMY),
    "inbox-emergency": (inbox_emergency, ROOMY),
    "glance-80x24": (glance_panel, SMALL),
    "groups-team-80x24": (groups_team, SMALL),
}


async def shoot(name: str, scene: Scene, size: tuple[int, int]) -> Path:
    app = build_app(demo=True, ack_after=0)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()  # the start-up key check: a settled status line
        assert app.simulator is not None  # started just after the first frame
        await scene(app, app.simulator)
        await pilot.pause()
        app.clear_notifications()
        await pilot.pause()
        return Path(app.save_screenshot(filename=f"{name}.svg", path=str(HERE)))


async def browser_shots() -> None:
    sys.path.insert(0, str(HERE.parent / "tests"))
    from playwright.async_api import async_playwright
    from served import Server, launch_options, new_tab

    server = Server(["--demo"], {})
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(**launch_options())
            tab = await new_tab(browser, width=1200, height=760)
            await tab.open(server.url)
            await tab.page.mouse.click(200, 150)  # into the message box
            await tab.page.keyboard.type("Backup of nas01 finished in 42 min.")
            await tab.wait_for_text("42 min.")
            await save_png(tab.page, "browser-compose")
            await tab.page.keyboard.press("Control+s")
            await tab.wait_for_text("9,999")  # the quota after the send
            await tab.page.keyboard.press("F4")
            await tab.wait_for_text("request id")  # History's filter bar
            await save_png(tab.page, "browser-history")
            await browser.close()
        server.stop()
    finally:
        server.close()


async def save_png(page: object, name: str) -> None:
    path = HERE / f"{name}.png"
    await asyncio.sleep(0.5)  # the browser paints the last frame it received
    await page.screenshot(path=str(path))  # type: ignore[attr-defined]
    print(f"wrote {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")


async def main(names: list[str]) -> None:
    if names == ["--browser"]:
        await browser_shots()
        return
    for name in names or list(SCENES):
        path = await shoot(name, *SCENES[name])
        print(f"wrote {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
