"""The dashboard on a team's PostgreSQL: a row another host writes appears in History by itself
(LISTEN/NOTIFY), the inbox stays in this machine's files, and a server that stops shows as
"store unreachable" on the status line until it is back, with no key pressed and no traceback."""

from __future__ import annotations

import time
from pathlib import Path

from pushover_tui.api.models import Message, SendResult
from pushover_tui.store.history import History
from pushover_tui.store.postgres import PostgresStore
from pushover_tui.store.url import StoreURL
from pushover_tui.tui.history.screen import HistoryScreen
from pushover_tui.tui.widgets.row_table import HistoryTable
from pushover_tui.tui.widgets.status_bar import status_text

SIZE = (110, 36)


async def wait_for(pilot, predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await pilot.pause(0.05)


def table_text(app) -> str:
    widget = app.screen.query_one(HistoryTable)
    return "\n".join(
        widget.render_line(y).text for y in range(widget.scrollable_content_region.height)
    )


async def test_a_row_from_another_host_appears_live(
    demo_config, make_app, simulator, isolated_env, postgres_url
):
    env = {**isolated_env, "PUSHOVER_TUI_STORE": postgres_url}
    app = make_app(api_url=simulator.base_url, env=env)
    async with app.run_test(size=SIZE) as pilot:
        assert app.session.history.kind == "postgresql"
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen))
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.session.history, PostgresStore)
                and app.session.history.listening.is_set()
            ),
        )
        with PostgresStore(StoreURL(postgres_url)) as other_host:
            row_id = other_host.record_sending(Message("from host B"), profile="p", origin="cli")
            other_host.record_sent(row_id, SendResult("req-b"))
        await wait_for(pilot, lambda: "from host B" in table_text(app), timeout=5)
        # The inbox's table lives in this machine's file, not in the shared store.
        assert isinstance(app.session.inbox_history, History)
        assert app.session.inbox_history.path.parent == Path(isolated_env["PUSHOVER_TUI_DATA"])


async def test_the_status_line_says_store_unreachable_and_recovers(
    demo_config, make_app, simulator, isolated_env, own_postgres_server
):
    from pgserver._commands import pg_ctl

    server = own_postgres_server
    url = server.get_uri()
    env = {**isolated_env, "PUSHOVER_TUI_STORE": url}
    app = make_app(api_url=simulator.base_url, env=env)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen))
        await wait_for(pilot, lambda: app.session.history.listening.is_set())
        assert "store unreachable" not in status_text(app.session)
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)
        await wait_for(pilot, lambda: "store unreachable" in status_text(app.session))
        server.ensure_postgres_running()
        await wait_for(pilot, lambda: "store unreachable" not in status_text(app.session))
        with PostgresStore(StoreURL(url)) as other_host:
            other_host.record_sending(Message("after the outage"), profile="p", origin="cli")
        await wait_for(pilot, lambda: "after the outage" in table_text(app))


async def test_a_dashboard_started_while_the_store_is_down_says_so(
    demo_config, make_app, simulator, isolated_env, refused_port
):
    port = refused_port
    env = {**isolated_env, "PUSHOVER_TUI_STORE": f"postgresql://team:pw-9f@127.0.0.1:{port}/x"}
    app = make_app(api_url=simulator.base_url, env=env)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: "store unreachable" in status_text(app.session))
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen))
        await pilot.pause(0.3)
        assert "store unreachable" in status_text(app.session)
