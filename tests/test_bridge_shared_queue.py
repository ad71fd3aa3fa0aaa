"""The bridge's alert queue shared in PostgreSQL (issue 23): any number of bridges, each with its
own data folder, share one queue; a bridge killed mid-send loses nothing; duplicates are found
across bridges; a resolve reaching any bridge cancels the emergency; the store unreachable is a
503 and a reason in /health until it is back, by itself. The queue's own behaviour runs on both
backends (SQLite, then PostgreSQL)."""

from __future__ import annotations

import json
import logging
import time
import warnings
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from test_bridge import EMERGENCY_TABLE, Bridge, fixture, idle, payload, wait_for
from test_bridge_reliability import BASE_TABLE, FAST, event, titles
from test_store_unreachable import StoppableServer

from pushover_tui.bridge.service import LOCK_FILE
from pushover_tui.store import postgres_queue
from pushover_tui.store.alert_queue import DONE, PENDING, open_alert_queue
from pushover_tui.store.base import open_store
from pushover_tui.store.history import HistoryFilter
from pushover_tui.store.url import StoreURL


def _add(queue, n: int, *, tag: str = "", kind: str = "send", priority: int = 0):
    return queue.add(
        key=f"k{n}",
        kind=kind,
        tag=tag or f"t{n}",
        resource="event_alert",
        action="triggered",
        issue=str(n),
        priority=priority,
        params={"message": f"alert-{n}", "title": f"alert-{n}", "priority": priority},
    )


class SharedBridge(Bridge):
    """A bridge on the test's store (`url` None: this folder's SQLite files)."""

    def __init__(self, tmp_path: Path, simulator, table: dict[str, Any], url: StoreURL | None):
        super().__init__(tmp_path, simulator, table)
        self.url = url

    def service(self, **options: Any):
        return super().service(store_url=self.url, **options)

    def history(self):
        return open_store(self.data, self.url)

    def queue(self):
        return open_alert_queue(self.data, self.url)


@pytest.fixture
def pg_url(postgres_url) -> StoreURL:
    return StoreURL(postgres_url)


# -- the queue, on both backends ---------------------------------------------------------------


def test_the_queue_keeps_its_promises_on_both_backends(store_url, tmp_path):
    """Emergencies first, one issue's alerts in order, a duplicate key is a no-op, each alert its
    own schedule: whatever SQLite does, PostgreSQL does."""
    with open_alert_queue(tmp_path, store_url) as queue:
        one, two = _add(queue, 1), _add(queue, 2)
        assert _add(queue, 1) is None  # the same key again: a duplicate
        emergency = _add(queue, 3, priority=2)
        cancel = _add(queue, 4, tag="t1", kind="cancel")  # resolves issue 1: after alert 1
        due, _ = queue.due(time.time(), limit=10)
        assert [a.id for a in due] == [emergency, one, two]
        queue.retry_later(one, "503", 60)
        queue.done(two)
        queue.done(emergency)
        due, next_at = queue.due(time.time(), limit=10)
        assert due == []  # alert 1 waits for its time; the cancel waits for alert 1
        assert next_at is not None and next_at > time.time() + 50
        assert queue.count_due(time.time() + 61) == 1
        assert queue.stats().pending == 2
        queue.done(one)
        assert [a.id for a in queue.due(time.time(), limit=10)[0]] == [cancel]
        assert [a.status for a in queue.all()] == [DONE, DONE, DONE, PENDING]


def test_two_bridges_never_claim_the_same_alert_until_its_lease_runs_out(pg_url):
    with open_alert_queue(Path("a"), pg_url) as one, open_alert_queue(Path("b"), pg_url) as two:
        for n in range(4):
            _add(one, n)
        now = time.time()
        mine = [a.key for a in one.due(now, limit=2)[0]]
        theirs, next_at = two.due(now, limit=10)
        assert mine == ["k0", "k1"] and [a.key for a in theirs] == ["k2", "k3"]
        assert two.due(now, limit=10)[0] == []  # all four held
        assert next_at is not None and now < next_at <= now + postgres_queue.LEASE + 1
        one.renew([1, 2])
        one.done(1)
        # `one` is killed here: its lease on alert 2 runs out and `two` takes it.
        later = time.time() + postgres_queue.LEASE + 1
        sending = [a.id for a in theirs]  # `two` still sends its own: left out, as the worker does
        assert [a.key for a in two.due(later, limit=10, busy=sending)[0]] == ["k1"]


# -- bridges sharing one queue -----------------------------------------------------------------


def test_two_bridges_with_their_own_folders_send_each_alert_once(tmp_path, simulator, pg_url):
    first = SharedBridge(tmp_path / "a", simulator, BASE_TABLE, pg_url)
    second = SharedBridge(tmp_path / "b", simulator, BASE_TABLE, pg_url)
    with TestClient(first.app()) as a, TestClient(second.app()) as b:
        for n in range(10):
            assert first.post(a if n % 2 else b, "event_alert", event(n)).status_code == 202
        # Sentry delivering the same event to the other bridge: found in the shared store.
        assert second.post(b, "event_alert", event(1)).json() == {"status": "duplicate"}
        wait_for(lambda: len(simulator.messages) == 10)
        idle(a)
        idle(b)
    assert sorted(titles(simulator)) == sorted(f"Bar: alert-{n}" for n in range(10))
    with first.history() as history:
        assert history.count(HistoryFilter(origin="sentry")) == 10


def test_the_one_bridge_per_folder_lock_is_for_sqlite_only(tmp_path, simulator, pg_url):
    shared = SharedBridge(tmp_path, simulator, BASE_TABLE, pg_url)
    first, second = shared.service(), shared.service()
    first.open()
    try:
        second.open()  # the same folder, a shared store: nothing of the folder's to fight over
        assert second.is_open and not (shared.data / LOCK_FILE).exists()
    finally:
        second.close()
        first.close()


def test_a_bridge_killed_mid_send_loses_nothing(tmp_path, simulator, pg_url, monkeypatch):
    """A bridge claimed two alerts and died before sending them: once their leases run out,
    another bridge sends both."""
    monkeypatch.setattr(postgres_queue, "LEASE", 1.0)
    dead = SharedBridge(tmp_path / "dead", simulator, BASE_TABLE, pg_url)
    with dead.queue() as queue:
        for n in (1, 2):
            _add(queue, n)
        claimed, _ = queue.due(time.time(), limit=2)  # then killed -9: no outcome, no release
    assert len(claimed) == 2
    alive = SharedBridge(tmp_path / "alive", simulator, BASE_TABLE, pg_url)
    schedule = FAST.__class__(**{**FAST.__dict__, "shared_poll": 0.2})
    with TestClient(alive.app(schedule=schedule)) as client:
        wait_for(lambda: len(simulator.messages) == 2, timeout=10)
        idle(client)
    with alive.queue() as queue:
        assert [a.status for a in queue.all()] == [DONE, DONE]


def test_a_resolve_reaching_the_other_bridge_cancels_the_emergency(tmp_path, simulator, pg_url):
    first = SharedBridge(tmp_path / "a", simulator, EMERGENCY_TABLE, pg_url)
    second = SharedBridge(tmp_path / "b", simulator, EMERGENCY_TABLE, pg_url)
    with TestClient(first.app()) as a:
        assert first.post(a, "event_alert", fixture("event_alert")).status_code == 202
        idle(a)
        with TestClient(second.app()) as b:
            body = fixture("issue_resolved")
            response = second.post(b, "issue", body, headers={"Request-ID": "r-1"})
            assert response.status_code == 202
            idle(b)
    with first.history() as history:
        (row,) = history.page(HistoryFilter(origin="sentry"))
    assert row.receipt_state == "cancelled"
    assert simulator.messages[0]["priority"] == "2"
    assert payload("issue_resolved")["data"]["issue"]["id"] in row.params["tags"]


# -- the store unreachable ---------------------------------------------------------------------


def test_the_store_down_is_503_and_health_says_why_then_back_by_itself(
    tmp_path, simulator, own_postgres_server, caplog
):
    caplog.set_level(logging.INFO)
    server = StoppableServer(own_postgres_server)
    url = StoreURL(server.url)
    password = url.password()
    bridge = SharedBridge(tmp_path, simulator, BASE_TABLE, url)
    schedule = FAST.__class__(**{**FAST.__dict__, "recheck_queue": 0.1})
    with TestClient(bridge.app(schedule=schedule)) as client:
        assert bridge.post(client, "event_alert", event(1)).status_code == 202
        idle(client)
        server.stop()
        try:
            response = bridge.post(client, "event_alert", event(2))
            assert response.status_code == 503
            assert response.json() == {"error": "not stored, the queue cannot be written"}
            health = client.get("/health")
            assert health.status_code == 503 and health.json()["queue_writable"] is False
            assert "unreachable" in health.json()["last_error"]
            assert "postgres:***@" in health.text and password not in health.text
        finally:
            server.start()
        wait_for(lambda: client.get("/health").status_code == 200, timeout=15)
        assert bridge.post(client, "event_alert", event(3)).status_code == 202
        wait_for(lambda: titles(simulator) == ["Bar: alert-1", "Bar: alert-3"])
        idle(client)
    assert password not in caplog.text and "Traceback" not in caplog.text
    assert "postgres:***@" in caplog.text  # the log line says which store, masked


def test_bridge_starts_with_the_store_down_and_says_so(tmp_path, simulator, caplog, refused_port):
    from test_store_unreachable import closed_port_url

    url = StoreURL(closed_port_url(refused_port))
    bridge = SharedBridge(tmp_path, simulator, BASE_TABLE, url)
    with caplog.at_level(logging.WARNING), TestClient(bridge.app(schedule=FAST)) as client:
        said = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(said) == 1 and "unreachable" in said[0].getMessage()  # once, not per step
        assert bridge.post(client, "event_alert", event(1)).status_code == 503
        health = client.get("/health")
        assert health.status_code == 503
        problems = json.dumps(health.json()["problems"])
        assert "unreachable" in problems and "team:***@127.0.0.1" in problems
        assert url.password() not in health.text
