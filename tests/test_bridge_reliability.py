"""The Sentry bridge under faults (issue 14): never lose, hold back or duplicate an alert, and say
when it can't. A full or locked queue, two bridges on one folder, a failing alert ahead of an
emergency, hostile text, slow and vanishing clients, start-up failures, /health."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import dataclasses
import fcntl
import io
import json
import logging
import os
import socket
import sqlite3
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

import uvicorn

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from test_bridge import (
    BASE_TABLE,
    CLIENT_SECRET,
    EMERGENCY_TABLE,
    SHARED_SECRET,
    Bridge,
    idle,
    payload,
    wait_for,
)

from pushover_tui import cli
from pushover_tui.bridge import BridgeDownError
from pushover_tui.bridge.app import create_app
from pushover_tui.bridge.http_guard import guarded_protocol
from pushover_tui.bridge.sentry import MAX_DEPTH, too_deep
from pushover_tui.bridge.service import LOCK_FILE
from pushover_tui.bridge.worker import Schedule, Worker
from pushover_tui.store.alert_queue import (
    _V1,
    DONE,
    FAILED,
    PENDING,
    AlertQueue,
    AlertQueueError,
)
from pushover_tui.store.history import HistoryError

FAST = Schedule(retry_delays=(0.2, 30.0), backoff_first=0.05, backoff_max=0.2)
LEVELS_TABLE: dict[str, Any] = {**BASE_TABLE, "levels": {"fatal": 2}, "retry": 30, "expire": 600}


def event(n: int, *, title: str = "", level: str = "warning", issue: str = "") -> bytes:
    """An event alert for issue `issue` (default 100+n), event n, titled `title`."""
    body = copy.deepcopy(payload("event_alert"))
    data = body["data"]["event"]
    issue = issue or str(100 + n)
    data.update(
        event_id=f"{n:032x}",
        issue_id=issue,
        title=title or f"alert-{n}",
        level=level,
        tags=[["level", level]],
        web_url=f"https://sentry.io/organizations/acme/issues/{issue}/events/{n:032x}/",
    )
    return json.dumps(body).encode()


def titles(simulator) -> list[str]:
    return [str(message["title"]) for message in simulator.messages]


@contextlib.contextmanager
def served(app, **guard: Any) -> Iterator[tuple[str, uvicorn.Server]]:
    """The app on a real uvicorn on loopback with the bridge's protocol, logging to caplog."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        http=guarded_protocol(**guard),
        log_config=None,
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: server.started, timeout=10)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}", server
    finally:
        server.should_exit = True
        thread.join(15)
    assert not thread.is_alive()


@pytest.fixture
def client_and_bridge(tmp_path, simulator) -> Iterator[tuple[TestClient, Bridge]]:
    bridge = Bridge(tmp_path, simulator, BASE_TABLE)
    with TestClient(bridge.app()) as client:
        yield client, bridge


# -- 1. the worker survives a queue it cannot write ------------------------------------------


class _Refusing:
    """Stands in for a full disk: chosen AlertQueue writes raise while `full` is set."""

    def __init__(self, monkeypatch, queue: AlertQueue, *names: str) -> None:
        self.full = threading.Event()
        self.full.set()
        for name in names:
            real = getattr(queue, name)

            def refuse(*args: Any, _real=real, **kwargs: Any) -> Any:
                if self.full.is_set():
                    raise AlertQueueError("Cannot write the bridge's queue: the disk is full.")
                return _real(*args, **kwargs)

            monkeypatch.setattr(queue, name, refuse)


def test_worker_survives_a_queue_it_cannot_write(tmp_path, simulator, monkeypatch, caplog):
    """Sent, but the outcome cannot be written: logged at once, never sent twice, written (and
    everything after it sent) once the queue takes writes again, with no restart."""
    caplog.set_level(logging.INFO, logger="pushover_tui.bridge")
    bridge = Bridge(tmp_path, simulator, BASE_TABLE)
    with TestClient(bridge.app(schedule=FAST)) as client:
        service = client.app.state.service
        disk = _Refusing(monkeypatch, service.worker.queue, "done", "failed", "retry_later")
        assert bridge.post(client, "event_alert", event(1)).status_code == 202
        wait_for(lambda: "disk is full" in caplog.text)
        time.sleep(0.3)  # several of the worker's retries of the write
        assert titles(simulator) == ["Bar: alert-1"]  # sent once, never again while unwritten
        health = client.get("/health")
        assert health.status_code == 503
        assert health.json()["worker_alive"] is True
        assert health.json()["queue_writable"] is False
        assert "disk is full" in health.json()["last_error"]

        disk.full.clear()  # space again
        assert bridge.post(client, "event_alert", event(2, level="fatal")).status_code == 202
        idle(client)
        assert client.get("/health").json()["status"] == "ok"
    assert titles(simulator) == ["Bar: alert-1", "Bar: alert-2"]
    with bridge.queue() as queue:
        assert [a.status for a in queue.all()] == [DONE, DONE]


def test_a_webhook_that_cannot_be_stored_gets_503_never_202(tmp_path, simulator, monkeypatch):
    bridge = Bridge(tmp_path, simulator, BASE_TABLE)
    with TestClient(bridge.app(schedule=FAST)) as client:
        disk = _Refusing(monkeypatch, client.app.state.service.queue, "add")
        response = bridge.post(client, "event_alert", event(1))
        assert response.status_code == 503
        assert response.json() == {"error": "not stored, the queue cannot be written"}
        disk.full.clear()
        assert bridge.post(client, "event_alert", event(2)).status_code == 202
        idle(client)
    assert titles(simulator) == ["Bar: alert-2"]


def test_unexpected_errors_in_a_send_are_retried_by_schedule(tmp_path, simulator, monkeypatch):
    """A bug while delivering one alert is that alert's failure, never the worker's end."""
    calls = []

    async def broken_once(self, alert):
        calls.append(alert.id)
        if len(calls) == 1:
            raise KeyError("a bug")
        return await real(self, alert)

    real = Worker.deliver
    monkeypatch.setattr(Worker, "deliver", broken_once)
    bridge = Bridge(tmp_path, simulator, BASE_TABLE)
    with TestClient(bridge.app(schedule=FAST)) as client:
        assert bridge.post(client, "event_alert", event(1)).status_code == 202
        wait_for(lambda: titles(simulator) == ["Bar: alert-1"])
    assert calls == [1, 1]


def test_full_disk_then_space_again_loses_and_repeats_nothing(tmpfs, simulator, caplog):
    """The issue's run: ~3 KB webhooks until the disk is full (400 KiB left of it). Every 202 is
    delivered exactly once once space is freed, with no restart; no 503 is ever delivered.
    (Needs a tmpfs; the tests above cover the same paths with a store that raises.)"""
    caplog.set_level(logging.INFO, logger="pushover_tui.bridge")
    disk = tmpfs("16m")
    bridge = Bridge(disk, simulator, LEVELS_TABLE)
    accepted: list[str] = []
    refused: list[str] = []
    pad = "x" * 2800
    with TestClient(bridge.app(schedule=FAST)) as client:
        ballast = disk / "ballast"  # what the operator deletes to free space
        space = os.statvfs(disk)
        ballast.write_bytes(b"\0" * (space.f_bavail * space.f_frsize - 400 * 1024))
        for n in range(400):
            title = f"alert-{n} {pad}"
            status = bridge.post(client, "event_alert", event(n, title=title)).status_code
            assert status in (202, 503), status
            (accepted if status == 202 else refused).append(f"alert-{n}")
            if len(refused) >= 5:
                break
        assert accepted and refused, "the disk never filled"
        health = client.get("/health").json()
        assert health["worker_alive"] is True and health["status"] == "unhealthy"
        assert "disk is full" in health["last_error"]

        ballast.unlink()  # space again: no restart
        for n in range(1000, 1005):
            response = bridge.post(client, "event_alert", event(n, level="fatal"))
            assert response.status_code == 202, response.text
            accepted.append(f"alert-{n}")
        wait_for(lambda: len(simulator.messages) >= len(accepted), timeout=30)
        idle(client, timeout=30)
    delivered = [str(m["title"]).split(" ")[1] for m in simulator.messages]
    assert sorted(delivered) == sorted(accepted)  # each exactly once
    assert not set(delivered) & set(refused)
    bridge_lines = [r for r in caplog.records if r.name == "pushover_tui.bridge"]
    assert not any(r.exc_info or "Traceback" in r.getMessage() for r in bridge_lines)


# -- 2. one bridge per data folder -------------------------------------------------------------


def test_a_second_bridge_on_the_same_data_folder_refuses_to_start(tmp_path, simulator):
    bridge = Bridge(tmp_path, simulator, BASE_TABLE)
    first = bridge.service()
    first.open(listening="127.0.0.1:8686")
    try:
        second = bridge.service()
        with pytest.raises(BridgeDownError) as refused:
            second.open()
        text = str(refused.value)
        assert str(bridge.data) in text and "pid " in text and "127.0.0.1:8686" in text
        assert text.count(". ") == 0 and text.endswith(".")  # one sentence
        assert not second.is_open
        other = Bridge(tmp_path / "other", simulator, BASE_TABLE).service()
        other.open()  # its own data folder: fine
        other.close()
    finally:
        first.close()
    again = bridge.service()
    again.open()  # the lock went with the first one
    again.close()


def test_a_second_app_on_the_folder_never_starts_so_each_alert_is_sent_once(tmp_path, simulator):
    """The issue's run sent every alert twice from two bridges: the second now never starts."""
    bridge = Bridge(tmp_path, simulator, BASE_TABLE)
    with TestClient(bridge.app()) as client:
        with pytest.raises(BridgeDownError), TestClient(bridge.app()):
            pass
        for n in range(10):
            assert bridge.post(client, "event_alert", event(n)).status_code == 202
        idle(client)
    assert len(simulator.messages) == 10


def _cli_bridge(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["bridge", *args], env=env, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def bridge_env(isolated_env, demo_config) -> dict[str, str]:
    return {**isolated_env, "SENTRY_CLIENT_SECRET": CLIENT_SECRET}


def test_cli_refuses_a_second_bridge_with_one_sentence_and_exit_8(bridge_env):
    data = Path(bridge_env["PUSHOVER_TUI_DATA"])
    data.mkdir(parents=True)
    (data / LOCK_FILE).write_text("pid 4242 on host, listening on 127.0.0.1:8686")
    with (data / LOCK_FILE).open("r+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        code, _, err = _cli_bridge(bridge_env, "--port", "0")
    assert code == cli.EXIT_BRIDGE_DOWN == 8
    assert err.count("\n") == 1 and "Traceback" not in err
    assert str(data) in err and "pid 4242" in err


# -- 3. each alert its own schedule; emergencies first; two at once ----------------------------


def test_a_failing_alert_never_holds_back_an_emergency(tmp_path, simulator):
    """The issue's run: three 503s for alert A, then emergency B. B is sent at once while A
    waits for its own next attempt (today: B waited behind A's retries, ~70 s)."""
    simulator.inject_fault("503", count=3)
    bridge = Bridge(tmp_path, simulator, LEVELS_TABLE)
    schedule = Schedule(retry_delays=(0.05, 0.05, 600.0))
    with TestClient(bridge.app(schedule=schedule)) as client, bridge.queue() as queue:
        assert bridge.post(client, "event_alert", event(1, title="A")).status_code == 202
        wait_for(lambda: queue.get(1).attempts == 3)  # the three 503s
        assert bridge.post(client, "event_alert", event(2, title="B", level="fatal")).is_success
        wait_for(lambda: titles(simulator) == ["Bar: B"])
        a = queue.get(1)
    assert a.status == PENDING and a.not_before > time.time() + 500  # A's own schedule
    assert simulator.messages[0]["priority"] == "2"


def _faults_left(simulator) -> int:
    answer = httpx.post(f"{simulator.root_url}/_sim/fault", data={"kind": "hang", "count": "0"})
    return int(answer.json()["pending"])


def test_two_sends_at_once_and_a_hang_holds_only_its_own_slot(tmp_path, simulator):
    simulator.inject_fault("hang", count=3, seconds=10)
    bridge = Bridge(tmp_path, simulator, BASE_TABLE)
    try:
        with TestClient(bridge.app()) as client:
            for n in range(3):
                assert bridge.post(client, "event_alert", event(n)).status_code == 202
            wait_for(lambda: _faults_left(simulator) == 1)  # two requests held at once
            time.sleep(0.2)
            assert _faults_left(simulator) == 1  # the third waits for a free slot

            def all_sent() -> bool:
                simulator.release()
                return len(simulator.messages) == 3

            wait_for(all_sent)
            idle(client)
    finally:
        simulator.release()
    assert sorted(titles(simulator)) == ["Bar: alert-0", "Bar: alert-1", "Bar: alert-2"]


def _add(queue: AlertQueue, n: int, *, tag: str = "", kind: str = "send", priority: int = 0):
    return queue.add(
        key=f"k{n}",
        kind=kind,
        tag=tag or f"t{n}",
        resource="event_alert",
        action="triggered",
        issue=str(n),
        priority=priority,
    )


def test_due_puts_emergencies_first_and_keeps_one_issues_order(tmp_path):
    with AlertQueue.open(tmp_path) as queue:
        for n in (1, 2):
            _add(queue, n)
        _add(queue, 3, priority=2)
        _add(queue, 4, tag="t1", kind="cancel")  # resolves issue 1: after alert 1
        due, _ = queue.due(time.time(), limit=10)
        assert [a.id for a in due] == [3, 1, 2]
        queue.retry_later(1, "503", 60)
        due, next_at = queue.due(time.time(), limit=10)
        assert [a.id for a in due] == [3, 2]  # the cancel still waits for alert 1
        assert next_at is not None and next_at > time.time() + 50
        assert [a.id for a in queue.due(time.time(), limit=10, busy={3})[0]] == [2]
        queue.done(1)
        assert [a.id for a in queue.due(time.time(), limit=10)[0]] == [3, 2, 4]


def test_the_retry_schedule_and_giving_up_after_a_day(tmp_path, simulator, caplog):
    schedule = Schedule()
    assert [schedule.delay(n) for n in range(1, 7)] == [5, 30, 120, 600, 600, 600]
    bridge = Bridge(tmp_path, simulator, BASE_TABLE)
    service = bridge.service()
    service.open()
    try:
        worker = service.worker
        assert worker is not None
        _add(worker.queue, 1)
        alert = worker.queue.get(1)
        assert worker._retry(alert, "HTTP 503").delay == 5
        old = dataclasses.replace(alert, attempts=150, created_at=time.time() - 86_000)
        outcome = worker._retry(old, "HTTP 503")
        assert outcome.status == FAILED
        assert "given up after 151 attempts: HTTP 503" in caplog.text
    finally:
        service.close()


def test_a_version_1_queue_keeps_its_pending_alerts(tmp_path):
    path = tmp_path / "bridge.sqlite3"
    db = sqlite3.connect(path)
    for statement in _V1:
        db.execute(statement)
    db.execute(
        "INSERT INTO alerts (key, kind, tag, resource, action, issue, params, status,"
        " created_at, updated_at) VALUES ('k', 'send', 't', 'r', 'a', '1', ?, 'pending', 1, 1)",
        (json.dumps({"message": "m", "priority": 2}),),
    )
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    with AlertQueue(path) as queue:
        (alert,) = queue.all()
    assert alert.status == PENDING and alert.priority == 2


# -- 4. a locked queue never freezes the bridge ------------------------------------------------


@contextlib.contextmanager
def locked_by_another_program(path: Path) -> Iterator[threading.Event]:
    """Another program's write transaction on the SQLite file `path`, held until the block ends
    (10 s at most). Yields an event that is set once the lock is let go."""
    release, held = threading.Event(), threading.Event()

    def hold() -> None:
        db = sqlite3.connect(path, isolation_level=None)
        db.execute("BEGIN IMMEDIATE")
        held.set()
        release.wait(10)
        db.execute("ROLLBACK")
        db.close()

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(5)
    try:
        yield release
    finally:
        release.set()
        thread.join()


def test_a_locked_queue_gets_503_in_time_and_health_still_answers(tmp_path, simulator, caplog):
    bridge = Bridge(tmp_path, simulator, BASE_TABLE)
    with (
        served(bridge.app(schedule=FAST)) as (url, _),
        httpx.Client(base_url=url, timeout=5) as http,
    ):
        with locked_by_another_program(bridge.data / "bridge.sqlite3") as released:
            response = bridge.post(http, "event_alert", event(1))
            health = http.get("/health")
            assert not released.is_set()  # both answered while the lock was still held
        assert response.status_code == 503
        assert health.status_code == 503 and health.json()["queue_writable"] is False
        assert "locked" in health.json()["last_error"]
        assert bridge.post(http, "event_alert", event(2)).status_code == 202
        wait_for(lambda: titles(simulator) == ["Bar: alert-2"])
        wait_for(lambda: http.get("/health").json()["status"] == "ok")
    assert "Traceback" not in caplog.text


def test_health_is_ok_again_once_the_lock_is_gone_without_another_webhook(tmp_path, simulator):
    bridge = Bridge(tmp_path, simulator, BASE_TABLE)
    schedule = dataclasses.replace(FAST, recheck_queue=0.05)
    with (
        served(bridge.app(schedule=schedule)) as (url, _),
        httpx.Client(base_url=url, timeout=5) as http,
    ):
        with locked_by_another_program(bridge.data / "bridge.sqlite3"):
            assert bridge.post(http, "event_alert", event(1)).status_code == 503
            health = http.get("/health")
            assert health.status_code == 503 and health.json()["queue_writable"] is False
        # No webhook since: the worker tries the queue itself.
        wait_for(lambda: http.get("/health").status_code == 200)
        assert http.get("/health").json()["queue_writable"] is True


def test_history_file_locked_by_another_program_does_not_hold_up_webhooks(tmp_path, simulator):
    """The pipeline's history waits up to 10 s for another program's lock: on the worker's own
    thread, so webhooks and /health still answer meanwhile."""
    bridge = Bridge(tmp_path, simulator, BASE_TABLE)
    with (
        served(bridge.app(schedule=FAST)) as (url, _),
        httpx.Client(base_url=url, timeout=5) as http,
    ):
        with locked_by_another_program(bridge.data / "history.sqlite3") as released:
            assert bridge.post(http, "event_alert", event(1)).status_code == 202
            assert bridge.post(http, "event_alert", event(2)).status_code == 202
            assert http.get("/health").status_code == 200
            assert simulator.messages == [] and not released.is_set()
        wait_for(lambda: len(simulator.messages) == 2)


# -- 5. control characters never reach a terminal or a log -------------------------------------

HOSTILE = "\x1b]0;PWNED\x07\x1b[2J\x9b31m"


def test_hostile_title_is_stripped_and_log_lines_are_escaped(
    tmp_path, simulator, isolated_env, caplog
):
    caplog.set_level(logging.INFO, logger="pushover_tui.bridge")
    bridge = Bridge(Path(isolated_env["PUSHOVER_TUI_DATA"]).parent, simulator, BASE_TABLE)
    forged = "77\n2026-11-26 09:00:00 INFO alert #9 (issue 1) sent: history #9"
    with TestClient(bridge.app()) as client:
        body = event(1, title=f"x{HOSTILE}y", issue=forged)
        assert bridge.post(client, "event_alert", body).status_code == 202
        idle(client)
    out, err = io.StringIO(), io.StringIO()
    assert cli.main(["history"], env=isolated_env, stdout=out, stderr=err) == 0
    assert "Bar: xy" in out.getvalue()  # the sequences are gone whole, the visible text kept
    out = io.StringIO()
    assert cli.main(["history", "--json"], env=isolated_env, stdout=out, stderr=err) == 0
    (row,) = json.loads(out.getvalue())
    assert row["title"] == "Bar: xy"  # what was sent: no control character reaches Pushover
    assert simulator.messages[-1]["title"] == "Bar: xy"
    records = [r for r in caplog.records if r.name.startswith("pushover_tui.bridge")]
    assert any("\\x0a2026-11-26" in r.getMessage() for r in records)  # the worker's line
    for record in records:
        assert not any(ch in record.getMessage() for ch in "\n\x1b\x07\x9b"), record.getMessage()


# -- 6. no tracebacks on demand -----------------------------------------------------------------


def test_deep_nesting_gets_400_not_a_recursion_error(client_and_bridge):
    client, bridge = client_and_bridge
    for depth in (MAX_DEPTH + 1, 100_000):
        body = b"[" * depth + b"]" * depth
        response = bridge.post(client, "event_alert", body)
        assert response.status_code == 400
        assert response.json() == {"error": "JSON nested too deep"}
    nested: Any = {}
    for _ in range(MAX_DEPTH - 1):
        nested = {"a": nested}
    assert not too_deep(nested) and too_deep({"a": nested})


def test_a_client_leaving_mid_body_is_one_short_line(tmp_path, simulator, caplog):
    caplog.set_level(logging.DEBUG)
    bridge = Bridge(tmp_path, simulator, BASE_TABLE)
    with served(bridge.app()) as (url, _):
        port = int(url.rsplit(":", 1)[1])
        for _ in range(3):
            with socket.create_connection(("127.0.0.1", port)) as sock:
                sock.sendall(
                    b"POST /sentry HTTP/1.1\r\nHost: x\r\nSentry-Hook-Resource: event_alert\r\n"
                    b"Content-Length: 5000\r\n\r\n" + b"{" * 100
                )
                time.sleep(0.05)
        wait_for(lambda: caplog.text.count("went away mid-body") == 3)
    lines = [r.getMessage() for r in caplog.records if "went away" in r.getMessage()]
    assert lines == ["sentry webhook resource=event_alert: the client went away mid-body"] * 3
    assert "Traceback" not in caplog.text and "Exception in ASGI" not in caplog.text


@pytest.mark.parametrize("broken", ["bridge.sqlite3", "history.sqlite3", "port"])
def test_start_up_failures_are_one_sentence_and_exit_8(bridge_env, broken):
    data = Path(bridge_env["PUSHOVER_TUI_DATA"])
    data.mkdir(parents=True)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1] if broken == "port" else 0
        if broken != "port":
            (data / broken).write_bytes(b"this is not a database, it is a poem" * 100)
        code, _, err = _cli_bridge(bridge_env, "--port", str(port))
    assert code == cli.EXIT_BRIDGE_DOWN, err
    assert err.startswith("pushover-tui: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    assert (str(data / broken) if broken != "port" else f"127.0.0.1:{port}") in err
    assert not (data / LOCK_FILE).exists() or _lock_is_free(data / LOCK_FILE)


def test_a_queue_that_cannot_be_read_at_start_up_is_exit_8(bridge_env, monkeypatch):
    def unreadable(self: AlertQueue) -> int:
        raise AlertQueueError(f"Cannot read the bridge's queue {self.path}: disk I/O error.")

    monkeypatch.setattr(AlertQueue, "pending", unreadable)
    code, _, err = _cli_bridge(bridge_env, "--port", "0")
    assert code == cli.EXIT_BRIDGE_DOWN, err
    assert err.count("\n") == 1 and "disk I/O error" in err and "Traceback" not in err
    assert _lock_is_free(Path(bridge_env["PUSHOVER_TUI_DATA"]) / LOCK_FILE)


def test_a_history_that_cannot_be_opened_leaves_no_queue_open(tmp_path, simulator, monkeypatch):
    opened: list[AlertQueue] = []
    real_init = AlertQueue.__init__

    def recorded(self: AlertQueue, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        opened.append(self)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise HistoryError("Cannot open the history: it is damaged.")

    monkeypatch.setattr(AlertQueue, "__init__", recorded)
    monkeypatch.setattr("pushover_tui.bridge.service.Outbox.open", broken)
    service = Bridge(tmp_path, simulator, BASE_TABLE).service()
    with pytest.raises(BridgeDownError, match="damaged"):
        service.open()
    assert len(opened) == 2
    for queue in opened:
        with pytest.raises(AlertQueueError, match="is closed"):
            queue.pending()


def _lock_is_free(path: Path) -> bool:
    with path.open("r+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
    return True


# -- 7. slow clients are dropped, and never keep a good webhook out ---------------------------


def _read_all(sock: socket.socket) -> bytes:
    data = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := sock.recv(4096):
            data += chunk
    return data


def test_slow_clients_are_dropped_and_capped(tmp_path, simulator):
    bridge = Bridge(tmp_path, simulator, BASE_TABLE)
    app = create_app(bridge.service(), body_timeout=0.5)
    with served(app, header_timeout=0.5, max_connections=20) as (url, server):
        port = int(url.rsplit(":", 1)[1])
        slow = []
        for _ in range(40):  # twice the cap, each with half a request head
            sock = socket.create_connection(("127.0.0.1", port))
            sock.settimeout(10)
            sock.sendall(b"POST /sentry HTTP/1.1\r\nHost: x\r\nSentry-Hook-Res")
            slow.append(sock)
        stalled_body = socket.create_connection(("127.0.0.1", port))
        stalled_body.settimeout(10)
        stalled_body.sendall(
            b"POST /sentry HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + b"{" * 10
        )
        with httpx.Client(base_url=url) as http:
            response = bridge.post(http, "event_alert", event(1))
        assert response.status_code == 202
        assert len(server.server_state.connections) <= 20
        # Every slow client is closed by the server (a read timeout here would fail the test).
        answers = [_read_all(sock) for sock in slow]
        assert all(answer.startswith(b"HTTP/1.1 408") for answer in answers if answer)
        assert _read_all(stalled_body).startswith(b"HTTP/1.1 408")
        for sock in (*slow, stalled_body):
            sock.close()
    wait_for(lambda: titles(simulator) == ["Bar: alert-1"])


# -- 8. a repeated secret is refused -----------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        f"secret=wrong&secret={SHARED_SECRET}",
        f"secret={SHARED_SECRET}&secret={SHARED_SECRET}",
    ],
)
def test_a_repeated_secret_is_refused(client_and_bridge, simulator, query):
    client, _ = client_and_bridge
    response = client.post(f"/sentry?{query}", content=event(1))
    assert response.status_code == 401
    idle(client)
    assert simulator.messages == []


# -- /health and bridge --check ----------------------------------------------------------------


def test_health_needs_no_secret_and_shows_nothing_secret(client_and_bridge):
    client, bridge = client_and_bridge
    assert bridge.post(client, "event_alert", event(1)).status_code == 202
    idle(client)
    response = client.get("/health")
    assert response.status_code == 200
    health = response.json()
    assert health["status"] == "ok" and health["worker_alive"] is True
    assert health["queue_depth"] == 0 and health["oldest_pending_age"] is None
    assert health["last_error"] is None and health["problems"] == []
    profile = bridge.active.profile
    for secret in (CLIENT_SECRET, SHARED_SECRET, profile.token.reveal(), profile.user.reveal()):
        assert secret not in response.text


def test_health_is_503_when_alerts_wait_or_the_worker_is_gone(tmp_path, simulator):
    simulator.inject_fault("503")
    bridge = Bridge(tmp_path, simulator, BASE_TABLE)
    with TestClient(bridge.app(schedule=Schedule(retry_delays=(600.0,)))) as client:
        service = client.app.state.service
        assert bridge.post(client, "event_alert", event(1)).status_code == 202
        wait_for(lambda: client.get("/health").json()["last_error"])
        assert client.get("/health").status_code == 200  # one failure: not yet a problem
        with sqlite3.connect(bridge.data / "bridge.sqlite3") as db:  # pending for 10 minutes
            db.execute("UPDATE alerts SET created_at = created_at - 600")
        service.worker.wake()
        wait_for(lambda: client.get("/health").status_code == 503)
        health = client.get("/health").json()
        assert health["queue_depth"] == 1 and health["oldest_pending_age"] >= 600
        assert "the oldest pending alert has waited" in health["problems"][0]
        assert "503" in health["last_error"]
        client.portal.call(service.worker.stop)
        health = client.get("/health")
        assert health.status_code == 503 and health.json()["worker_alive"] is False


def test_bridge_check_prints_health_and_exits_0_or_8(tmp_path, simulator, bridge_env):
    bridge = Bridge(tmp_path, simulator, BASE_TABLE)
    with served(bridge.app()) as (url, _):
        port = url.rsplit(":", 1)[1]
        code, out, err = _cli_bridge(bridge_env, "--check", "--port", port)
        assert code == 0, err
        assert json.loads(out)["status"] == "ok"
    code, out, err = _cli_bridge(bridge_env, "--check", "--port", port)
    assert code == 8 and out == ""
    assert err.count("\n") == 1 and f"127.0.0.1:{port}/health" in err


def test_bridge_check_on_a_port_that_answers_garbage_is_one_sentence_and_exit_8(bridge_env):
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]

        def answer_garbage() -> None:
            connection, _ = server.accept()
            with connection:
                connection.recv(4096)
                connection.sendall(b"SSH-2.0-OpenSSH_9.6\r\n\x1b[2J garbage\r\n\r\n")

        thread = threading.Thread(target=answer_garbage)
        thread.start()
        code, out, err = _cli_bridge(bridge_env, "--check", "--port", str(port))
        thread.join(5)
    assert code == cli.EXIT_BRIDGE_DOWN and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert f"127.0.0.1:{port}/health" in err and "not in HTTP" in err


# -- notify_resolved -----------------------------------------------------------------------------


@pytest.mark.parametrize("notify", [True, False])
def test_resolved_sends_a_quiet_notice_only_when_asked(tmp_path, simulator, notify):
    bridge = Bridge(tmp_path, simulator, {**EMERGENCY_TABLE, "notify_resolved": notify})
    with TestClient(bridge.app()) as client:
        assert bridge.post(client, "event_alert", event(1, issue="1170820242")).is_success
        idle(client)
        resolved = payload("issue_resolved")
        body = json.dumps(resolved).encode()
        assert bridge.post(client, "issue", body, headers={"Request-ID": "r-1"}).is_success
        idle(client)
        # Resolving an issue that never paged anyone stays quiet.
        resolved["data"]["issue"]["id"] = "999"
        body = json.dumps(resolved).encode()
        assert bridge.post(client, "issue", body, headers={"Request-ID": "r-2"}).is_success
        idle(client)
    messages = simulator.messages
    assert messages[0]["priority"] == "2"
    if not notify:
        assert len(messages) == 1
        return
    (notice,) = messages[1:]
    assert notice["title"] == "Resolved: Bar: alert-1"
    assert notice["priority"] == "-1" and "tags" not in notice
    assert notice["message"] == "Resolved in Sentry: 1 emergency notification cancelled."
    assert notice["url"] == "https://sentry.io/organizations/acme/issues/1170820242/"


# -- one loop -------------------------------------------------------------------------------------


def test_the_worker_is_a_task_on_the_servers_loop_with_no_threads_of_its_own(client_and_bridge):
    client, bridge = client_and_bridge
    assert bridge.post(client, "event_alert", event(1)).status_code == 202
    idle(client)
    worker = client.app.state.service.worker

    async def on_this_loop() -> bool:
        return worker._task.get_loop() is asyncio.get_running_loop()

    assert client.portal.call(on_this_loop)
    names = [thread.name for thread in threading.enumerate()]
    assert not [name for name in names if name.startswith("bridge-")], names


def test_notify_resolved_must_be_true_or_false() -> None:
    from pushover_tui.bridge.settings import BridgeConfigError, BridgeSettings

    with pytest.raises(BridgeConfigError, match="notify_resolved must be true or false"):
        BridgeSettings.from_config({"notify_resolved": "yes"}, {})
