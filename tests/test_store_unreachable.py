"""A shared store that does not answer: `send` sends nothing and says so in one sentence, a
store whose server stops mid-run raises one sentence per call and works again by itself once the
server is back. No traceback, no password, anywhere."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from pushover_tui import cli
from pushover_tui.api.models import Message
from pushover_tui.store.base import StoreUnreachableError
from pushover_tui.store.url import StoreURL

PASSWORD = "Unreachable-pw-77"


def closed_port_url(port: int) -> str:
    """A store URL on `port` (the refused_port fixture): nothing answers there."""
    return f"postgresql://team:{PASSWORD}@127.0.0.1:{port}/pushover"


def test_send_sends_nothing_when_the_store_is_unreachable(
    isolated_env, demo_config, simulator, refused_port
):
    env = {**isolated_env, "PUSHOVER_TUI_STORE": closed_port_url(refused_port)}
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["send", "disk full"], env=env, stdin=io.StringIO(""), stdout=out, stderr=err)
    assert code == cli.EXIT_TEMPORARY
    assert simulator.messages == []
    lines = err.getvalue().splitlines()
    assert len(lines) == 1, lines
    assert "unreachable" in lines[0] and "team:***@127.0.0.1" in lines[0]
    assert PASSWORD not in err.getvalue() + out.getvalue()
    assert "Traceback" not in err.getvalue()


def test_a_url_from_the_config_file_is_named_as_such_when_unreachable(
    isolated_env, demo_config, simulator, refused_port
):
    # Unsetting PUSHOVER_TUI_STORE alone would not help: the sentence names store.url too.
    url = closed_port_url(refused_port)
    setting = cli.main(
        ["config", "set", "store.url", "-"],
        env=isolated_env,
        stdin=io.StringIO(url),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    assert setting == cli.EXIT_OK
    err = io.StringIO()
    code = cli.main(
        ["send", "disk full"],
        env=isolated_env,
        stdin=io.StringIO(""),
        stdout=io.StringIO(),
        stderr=err,
    )
    assert code == cli.EXIT_TEMPORARY
    assert simulator.messages == []
    assert "unset PUSHOVER_TUI_STORE and store.url" in err.getvalue()
    assert PASSWORD not in err.getvalue()


class StoppableServer:
    """The test's own PostgreSQL server, to stop and start again."""

    def __init__(self, server) -> None:
        self.server = server
        self.url = server.get_uri().replace("postgres:@", f"postgres:{PASSWORD}@")

    def stop(self) -> None:
        from pgserver._commands import pg_ctl

        pg_ctl(
            ["-w", "-m", "fast", "stop"], pgdata=self.server.pgdata, user=self.server.system_user
        )

    def start(self) -> None:
        self.server.ensure_postgres_running()


@pytest.fixture
def stoppable(own_postgres_server) -> StoppableServer:
    return StoppableServer(own_postgres_server)


def test_a_server_stopped_mid_run_is_one_sentence_then_back_by_itself(
    stoppable: StoppableServer,
) -> None:
    from pushover_tui.store.postgres import PostgresStore

    with PostgresStore(StoreURL(stoppable.url)) as store:
        first = store.record_sending(Message("before"), profile="p", origin="cli")
        stoppable.stop()
        with pytest.raises(StoreUnreachableError) as raised:
            store.record_sending(Message("during"), profile="p", origin="cli")
        text = str(raised.value)
        assert text.startswith("The shared store postgresql://postgres:***@") and "\n" not in text
        assert PASSWORD not in text
        assert raised.value.__cause__ is None and raised.value.__suppress_context__
        stoppable.start()
        after = store.record_sending(Message("after"), profile="p", origin="cli")
        assert [row.message for row in store.page(oldest_first=True)] == ["before", "after"]
        assert after > first


def test_a_server_restarted_while_idle_is_not_reported_unreachable(
    stoppable: StoppableServer,
) -> None:
    """A restart (or a failover) between two calls: the first call after it works, on a new
    connection, instead of failing on the connection the server closed meanwhile (a bridge
    would answer that webhook 503 though the store is back)."""
    from pushover_tui.store.postgres import PostgresStore

    with PostgresStore(StoreURL(stoppable.url)) as store:
        store.record_sending(Message("before"), profile="p", origin="cli")
        stoppable.stop()
        stoppable.start()
        store.record_sending(Message("after"), profile="p", origin="cli")
        assert [row.message for row in store.page(oldest_first=True)] == ["before", "after"]


def test_while_the_listener_retries_calls_fail_at_once(monkeypatch, refused_port) -> None:
    """A dashboard's calls on its event loop never wait for a connect timeout of their own
    while the listener is already trying to reach the server."""
    import threading

    from pushover_tui.store.postgres import PostgresStore

    tried_from: list[str] = []
    connect = PostgresStore._connect

    def counted(self):
        tried_from.append(threading.current_thread().name)
        return connect(self)

    monkeypatch.setattr(PostgresStore, "_connect", counted)
    monkeypatch.setattr(PostgresStore, "RETRY_SECONDS", 0.1)
    with PostgresStore(StoreURL(closed_port_url(refused_port))) as store:
        lost = threading.Event()
        store.subscribe(lambda: lost.set() if not store.reachable else None)
        assert lost.wait(10)
        tried_from.clear()
        for _ in range(3):
            with pytest.raises(StoreUnreachableError, match="unreachable"):
                store.count()
        assert threading.current_thread().name not in tried_from


async def test_a_store_lost_before_the_row_is_written_sends_nothing(
    stoppable: StoppableServer, demo_config, simulator
) -> None:
    from pushover_tui.outbox import Outbox, SendFailed
    from pushover_tui.store.config import resolve

    active = resolve(demo_config, None, api_url=simulator.base_url, env={})
    url = StoreURL(stoppable.url)
    async with Outbox.open(active, Path("unused"), origin="cli", store_url=url) as outbox:
        stoppable.stop()
        with pytest.raises(SendFailed) as raised:
            await outbox.send(Message("never recorded, never sent"))
    assert raised.value.row_id is None and raised.value.request_sent is False
    assert simulator.messages == []
    assert cli.exit_code(raised.value) == cli.EXIT_TEMPORARY
    assert PASSWORD not in str(raised.value) and "unreachable" in str(raised.value)
