"""The Sentry bridge: signatures, plugin parity, durability, cancel on resolve, limits."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

with warnings.catch_warnings():  # Starlette 1.x suggests httpx2; httpx is what we ship with
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from pushover_tui.api.secret import Secret
from pushover_tui.bridge import MissingExtraError, check_extra
from pushover_tui.bridge.app import create_app
from pushover_tui.bridge.sentry import (
    MAX_BODY,
    job_for,
    plugin_message,
    sign,
    tag_pairs,
)
from pushover_tui.bridge.service import BridgeService
from pushover_tui.bridge.settings import BridgeSettings
from pushover_tui.bridge.worker import STOPPED_TEXT, Worker
from pushover_tui.simulator import DEMO_TOKEN, DEMO_USER, Simulator
from pushover_tui.store.alert_queue import DONE, PENDING, AlertQueue
from pushover_tui.store.config import Config, Profile, resolve
from pushover_tui.store.history import History, HistoryFilter

FIXTURES = Path(__file__).parent / "fixtures" / "sentry"
CLIENT_SECRET = "test-client-secret-0123456789abcdef"
SHARED_SECRET = "test-shared-secret-fedcba9876543210"
BASE_TABLE: dict[str, Any] = {
    "client_secret": CLIENT_SECRET,
    "shared_secret": SHARED_SECRET,
    "projects": {"4505": "Bar"},
}
EMERGENCY_TABLE: dict[str, Any] = {
    **BASE_TABLE,
    "retry": 30,
    "expire": 600,
    "levels": {"warning": 2, "critical": 2},
}


def fixture(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes()


def payload(name: str) -> dict[str, Any]:
    return json.loads(fixture(name))


def wait_for(predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.02)
    raise AssertionError("timed out waiting")


class Bridge:
    """A bridge app on the simulator, its data folder, and helpers to post webhooks."""

    def __init__(self, tmp_path: Path, simulator: Simulator, table: dict[str, Any]) -> None:
        self.data = tmp_path / "data"
        self.simulator = simulator
        profile = Profile(name="personal", token=DEMO_TOKEN, user=DEMO_USER)
        self.config = Config(
            path=tmp_path / "config.toml",
            default_profile="personal",
            profiles=(profile,),
            bridge=table,
        )
        self.settings = BridgeSettings.from_config(table, {})
        self.active = resolve(self.config, api_url=simulator.base_url, env={})

    def service(self, **options: Any) -> BridgeService:
        options.setdefault("stop_grace", 0.2)
        return BridgeService(self.settings, self.active, self.data, **options)

    def app(self, **options: Any):  # a fresh app each call: a "restart" of the bridge process
        return create_app(self.service(**options))

    @staticmethod
    def post(
        client: TestClient | httpx.Client,
        resource: str,
        body: bytes,
        *,
        secret: str = CLIENT_SECRET,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        sent = {
            "Content-Type": "application/json",
            "Sentry-Hook-Resource": resource,
            "Sentry-Hook-Signature": sign(body, secret) if signature is None else signature,
            **(headers or {}),
        }
        return client.post("/sentry", content=body, headers=sent)

    def history(self) -> History:
        return History.open(self.data)

    def queue(self) -> AlertQueue:
        return AlertQueue.open(self.data)


@pytest.fixture
def bridge(tmp_path, simulator) -> Bridge:
    return Bridge(tmp_path, simulator, BASE_TABLE)


@pytest.fixture
def emergency_bridge(tmp_path, simulator) -> Bridge:
    return Bridge(tmp_path, simulator, EMERGENCY_TABLE)


@pytest.fixture
def client(bridge) -> Iterator[TestClient]:
    with TestClient(bridge.app()) as test_client:
        yield test_client


def idle(client: TestClient, timeout: float = 10.0) -> None:
    client.portal.call(client.app.state.service.idle, timeout)  # type: ignore[union-attr]


# -- plugin parity ---------------------------------------------------------------------------


def test_event_alert_is_sent_exactly_as_the_plugin_did(bridge, client, simulator) -> None:
    response = bridge.post(client, "event_alert", fixture("event_alert"))
    assert response.status_code == 202
    assert response.json() == {"status": "queued", "id": 1}
    sent = wait_for(lambda: simulator.messages)
    assert len(sent) == 1
    message = sent[0]
    assert message["title"] == "Bar: Hello world"
    assert message["message"] == "Hello world\n\nTags: level=warning"
    assert message["url"] == "https://sentry.io/organizations/acme/issues/1170820242/"
    assert message["url_title"] == "Issue Details"
    assert "priority" not in message and "retry" not in message and "tags" not in message

    idle(client)
    with bridge.history() as history:
        (row,) = history.page(HistoryFilter(origin="sentry"))
    assert row.status == "sent"
    assert row.meta["sentry_issue"] == "1170820242"
    assert row.meta["link"] == "https://sentry.io/organizations/acme/issues/1170820242/"


def test_legacy_webhook_with_the_shared_secret_gives_the_same_message(
    bridge, client, simulator
) -> None:
    url = f"/sentry?secret={SHARED_SECRET}"
    response = client.post(url, content=fixture("legacy"))
    assert response.status_code == 202
    (message,) = wait_for(lambda: simulator.messages)
    assert message["title"] == "Bar: Hello world"
    assert message["message"] == "Hello world\n\nTags: level=warning"
    assert message["url"] == "https://sentry.io/organizations/acme/issues/1170820242/"
    assert message["url_title"] == "Issue Details"


def test_project_name_falls_back_to_the_slug_in_the_events_api_url() -> None:
    job = job_for("event_alert", "triggered", payload("event_alert"), BridgeSettings())
    assert job is not None and job.message is not None
    assert job.message.title == "bar: Hello world"
    assert job.key == "issue:1170820242:event:a8b7f9c5d3e24e5b9f1c0d2e3f4a5b6c"


def test_tags_sorted_by_key_and_every_field_cut_to_the_plugins_limits() -> None:
    tags = tag_pairs([["server", "web-1"], {"key": "browser", "value": "Firefox"}, ["level", "e"]])
    assert tags == [("browser", "Firefox"), ("level", "e"), ("server", "web-1")]
    message = plugin_message(
        project="P" * 300,
        issue_title="x",
        event_title="é" * 400,
        tags=[(f"k{i:03}", "v" * 20) for i in range(100)],
        link="https://sentry.io/" + "a" * 600,
        priority=0,
        settings=BridgeSettings(),
        tag="sentry-issue-1",
    )
    assert len(message.title) == 250
    assert message.message.startswith("é" * 256 + "\n\nTags: k000=" + "v" * 20 + ", k001=")
    assert len(message.message) == 1024
    assert len(message.url) == 512


def test_level_override_makes_an_emergency_tagged_with_the_issue(
    emergency_bridge, simulator
) -> None:
    with TestClient(emergency_bridge.app()) as client:
        assert emergency_bridge.post(client, "event_alert", fixture("event_alert")).is_success
        (message,) = wait_for(lambda: simulator.messages)
    assert message["priority"] == "2"
    assert message["retry"] == "30" and message["expire"] == "600"
    assert message["tags"] == "sentry-issue-1170820242"


def test_profile_defaults_are_applied_once_when_sending(tmp_path, simulator) -> None:
    bridge = Bridge(tmp_path, simulator, BASE_TABLE)
    bridge.active = dataclasses.replace(
        bridge.active, profile=dataclasses.replace(bridge.active.profile, sound="siren")
    )
    with TestClient(bridge.app()) as client:
        assert bridge.post(client, "event_alert", fixture("event_alert")).is_success
        (message,) = wait_for(lambda: simulator.messages)
        idle(client)
    assert message["sound"] == "siren"
    with bridge.queue() as queue:
        (alert,) = queue.all()
    assert "sound" not in alert.params  # queued as Sentry's webhook made it


# -- verification ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("signature", "secret"),
    [
        ("", CLIENT_SECRET),  # missing
        ("0" * 64, CLIENT_SECRET),  # wrong
        (None, "another-secret"),  # signed with another secret
        (None, CLIENT_SECRET.upper()),
    ],
)
def test_bad_signatures_are_refused_before_anything_is_parsed(
    bridge, client, simulator, signature, secret
) -> None:
    body = fixture("event_alert")
    headers = {"Sentry-Hook-Resource": "event_alert"}
    if signature is None:
        headers["Sentry-Hook-Signature"] = sign(body, secret)
    elif signature:
        headers["Sentry-Hook-Signature"] = signature
    response = client.post("/sentry", content=body, headers=headers)
    assert response.status_code == 401
    # Not even malformed JSON is looked at without a good signature.
    response = client.post("/sentry", content=b"{not json", headers=headers)
    assert response.status_code == 401
    idle(client)
    assert simulator.messages == []
    with bridge.queue() as queue:
        assert queue.all() == []


def test_signature_covers_the_raw_bytes(bridge, client) -> None:
    body = fixture("event_alert")
    tampered = body.replace(b"Hello world", b"Hello World")
    response = bridge.post(client, "event_alert", tampered, signature=sign(body, CLIENT_SECRET))
    assert response.status_code == 401
    # Same JSON, other bytes (whitespace): the signature of the reformatted body is what counts.
    compact = json.dumps(payload("event_alert")).encode()
    assert bridge.post(client, "event_alert", compact).status_code == 202


@pytest.mark.parametrize("query", ["", "?secret=wrong", f"?secret={SHARED_SECRET}x"])
def test_legacy_webhook_needs_the_shared_secret(client, simulator, query) -> None:
    assert client.post(f"/sentry{query}", content=fixture("legacy")).status_code == 401


def test_legacy_webhook_refused_when_no_shared_secret_is_configured(tmp_path, simulator) -> None:
    bridge = Bridge(tmp_path, simulator, {"client_secret": CLIENT_SECRET})
    with TestClient(bridge.app()) as client:
        assert client.post("/sentry?secret=", content=fixture("legacy")).status_code == 401
        assert client.post("/sentry", content=fixture("legacy")).status_code == 401


def test_other_resources_are_acknowledged_and_ignored(bridge, client, simulator) -> None:
    body = b'{"action": "created", "data": {"installation": {}}}'
    assert bridge.post(client, "installation", body).json() == {"status": "ignored"}
    assert bridge.post(client, "installation", body, signature="bad").status_code == 401
    response = bridge.post(client, "issue", fixture("issue_created"))
    assert response.status_code == 202 and response.json() == {"status": "ignored"}
    idle(client)
    assert simulator.messages == []


def test_secrets_come_from_the_environment_first() -> None:
    table = {"client_secret": "from-file", "shared_secret": "file-shared"}
    env = {"SENTRY_CLIENT_SECRET": "from-env", "PUSHOVER_BRIDGE_SECRET": "env-shared"}
    settings = BridgeSettings.from_config(table, env)
    assert settings.client_secret == Secret("from-env")
    assert settings.shared_secret == Secret("env-shared")
    assert "from-env" not in repr(settings) and "env-shared" not in repr(settings)
    assert BridgeSettings.from_config(table, {}).client_secret == Secret("from-file")


def test_settings_problems_name_the_bad_keys() -> None:
    assert [p.field for p in BridgeSettings().problems(60, 3600)] == ["[bridge] client_secret"]
    settings = BridgeSettings.from_config(
        {"client_secret": "s", "levels": {"fatal": 2, "error": 7}, "retry": 5}, {}
    )
    fields = [p.field for p in settings.problems(60, 3600)]
    assert fields == ["[bridge.levels] error", "[bridge] retry"]


def test_nothing_secret_is_logged(bridge, client, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    bridge.post(client, "event_alert", fixture("event_alert"))
    client.post(f"/sentry?secret={SHARED_SECRET}", content=fixture("legacy"))
    client.post("/sentry?secret=guess", content=fixture("legacy"))
    idle(client)
    text = caplog.text
    assert "resource=event_alert action=triggered issue=1170820242 outcome=queued #1" in text
    assert "resource=legacy action=- issue=- outcome=bad secret" in text
    for secret in (CLIENT_SECRET, SHARED_SECRET, DEMO_TOKEN, DEMO_USER, "guess"):
        assert secret not in text


# -- limits ----------------------------------------------------------------------------------


def test_oversized_bodies_get_413(bridge, client) -> None:
    big = b'{"pad": "' + b"x" * MAX_BODY + b'"}'
    assert bridge.post(client, "event_alert", big).status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: the streamed size is what counts
        for _ in range(20):
            yield b"x" * 65536

    response = client.post(
        "/sentry", content=chunks(), headers={"Sentry-Hook-Resource": "event_alert"}
    )
    assert response.status_code == 413
    exactly = b" " * (MAX_BODY - 2) + b"{}"
    assert bridge.post(client, "event_alert", exactly).status_code == 400  # no data: not 413


@pytest.mark.parametrize(
    "body", [b"{not json", b"\xff\xfe", b"[1, 2]", b'{"data": {"event": {}}}', b'"text"']
)
def test_malformed_bodies_get_400(bridge, client, body) -> None:
    assert bridge.post(client, "event_alert", body).status_code == 400


# -- delivery --------------------------------------------------------------------------------


def test_duplicate_deliveries_are_sent_once(bridge, client, simulator) -> None:
    for _ in range(3):
        assert bridge.post(client, "event_alert", fixture("event_alert")).status_code == 202
    # The legacy plugin delivering the same event counts as a duplicate too.
    response = client.post(f"/sentry?secret={SHARED_SECRET}", content=fixture("legacy"))
    assert response.json() == {"status": "duplicate"}
    idle(client)
    assert len(simulator.messages) == 1


def test_resolve_cancels_the_emergency(emergency_bridge, simulator) -> None:
    bridge = emergency_bridge
    with TestClient(bridge.app()) as client:
        assert bridge.post(client, "event_alert", fixture("event_alert")).status_code == 202
        idle(client)
        with bridge.history() as history:
            (row,) = history.page(HistoryFilter(origin="sentry"))
        assert row.receipt and row.receipt_state == "awaiting"

        response = bridge.post(
            client, "issue", fixture("issue_resolved"), headers={"Request-ID": "r-1"}
        )
        assert response.status_code == 202
        idle(client)

    receipt = httpx.get(
        f"{simulator.base_url}/receipts/{row.receipt}.json", params={"token": DEMO_TOKEN}
    ).json()
    assert receipt["expired"] == 1 and receipt["acknowledged"] == 0  # cancelled reads expired
    with bridge.history() as history:
        assert history.get(row.id).receipt_state == "cancelled"
    with bridge.queue() as queue:
        assert [(a.kind, a.status) for a in queue.all()] == [("send", DONE), ("cancel", DONE)]


def test_metric_alert_critical_then_resolved(emergency_bridge, simulator) -> None:
    bridge = emergency_bridge
    with TestClient(bridge.app()) as client:
        assert bridge.post(client, "metric_alert", fixture("metric_alert_critical")).is_success
        idle(client)
        (message,) = simulator.messages
        assert message["title"] == "bar: Critical: Too many errors"
        assert message["message"] == "1001 events in the last 10 minutes\nThreshold: 1000.0"
        assert message["url"].endswith("/alerts/rules/details/77/?alert=4")
        assert message["tags"] == "sentry-metric-77"
        assert bridge.post(client, "metric_alert", fixture("metric_alert_resolved")).is_success
        idle(client)
    with bridge.history() as history:
        (row,) = history.page(HistoryFilter(origin="sentry"))
    assert row.receipt_state == "cancelled"
    assert row.meta["sentry_metric_alert"] == "77"


def test_a_crash_between_accept_and_send_is_resumed_at_the_next_start(
    bridge, simulator, monkeypatch
) -> None:
    async def crash_before_sending(self, alert) -> None:
        await asyncio.Event().wait()  # the process dies here, before the request leaves

    with monkeypatch.context() as patch:
        patch.setattr(Worker, "deliver", crash_before_sending)
        with TestClient(bridge.app()) as client:
            assert bridge.post(client, "event_alert", fixture("event_alert")).status_code == 202
    assert simulator.messages == []
    with bridge.queue() as queue:
        assert [a.status for a in queue.all()] == [PENDING]

    with TestClient(bridge.app()) as client:  # the restart
        idle(client)
        # A duplicate delivered after the restart is still recognised.
        assert bridge.post(client, "event_alert", fixture("event_alert")).json() == {
            "status": "duplicate"
        }
    assert [m["title"] for m in simulator.messages] == ["Bar: Hello world"]
    with bridge.queue() as queue:
        assert [a.status for a in queue.all()] == [DONE]


def test_a_temporary_failure_is_kept_for_a_later_attempt(bridge, client, simulator) -> None:
    simulator.inject_fault("503")
    assert bridge.post(client, "event_alert", fixture("event_alert")).status_code == 202
    with bridge.queue() as queue:
        alert = wait_for(lambda: (a := queue.get(1)) and a.attempts == 1 and a)
    assert alert.status == PENDING and alert.not_before > alert.created_at + 4  # 5 s, then 30 s...
    assert "503" in alert.error
    with bridge.history() as history:
        (row,) = history.page(HistoryFilter(origin="sentry"))
    assert row.status == "failed"  # the pipeline recorded the attempt


def test_a_send_the_bridge_stops_half_way_says_the_bridge_stopped(bridge, simulator) -> None:
    simulator.inject_fault("hang", seconds=10)
    try:
        with TestClient(bridge.app()) as client:  # stopped at the end of the block
            assert bridge.post(client, "event_alert", fixture("event_alert")).status_code == 202
            with bridge.history() as history:
                wait_for(lambda: history.page(HistoryFilter(origin="sentry")))
    finally:
        simulator.release()
    with bridge.history() as history:
        (row,) = history.page(HistoryFilter(origin="sentry"))
    assert row.status == "interrupted" and row.error == STOPPED_TEXT
    assert "Stopped by you" not in row.error
    with bridge.queue() as queue:
        assert [a.status for a in queue.all()] == [PENDING]  # sent again at the next start


def test_replies_within_a_second_while_pushover_hangs(bridge, simulator) -> None:
    """On a real uvicorn on loopback: Sentry's timeout is 1 s, and it never retries."""
    import uvicorn

    simulator.inject_fault("hang", count=5, seconds=3)
    server = uvicorn.Server(
        uvicorn.Config(bridge.app(), host="127.0.0.1", port=0, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: server.started)
        port = server.servers[0].sockets[0].getsockname()[1]
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
            durations = []
            for name in ("event_alert", "metric_alert_critical"):
                start = time.perf_counter()
                response = bridge.post(http, name.split("_critical")[0], fixture(name))
                durations.append(time.perf_counter() - start)
                assert response.status_code == 202
        assert max(durations) < 1.0, durations
        assert simulator.messages == []  # the first send is still held by the simulator

        def all_sent() -> bool:
            simulator.release()
            return len(simulator.messages) == 2

        wait_for(all_sent, timeout=10)
    finally:
        simulator.release()
        server.should_exit = True
        thread.join(10)
    assert not thread.is_alive()


# -- packaging -------------------------------------------------------------------------------


def test_missing_extra_names_the_pip_command(monkeypatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "uvicorn" else real(name)
    )
    with pytest.raises(MissingExtraError, match=r"pip install 'pushover-tui\[bridge\]'"):
        check_extra()


def test_cli_bridge_without_the_extra_names_it_and_exits_1(isolated_env, monkeypatch) -> None:
    import importlib.util
    import io

    from pushover_tui.cli import main

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "starlette" else real(name)
    )
    out, err = io.StringIO(), io.StringIO()
    assert main(["bridge"], env=isolated_env, stdout=out, stderr=err) == 1
    assert "pip install 'pushover-tui[bridge]'" in err.getvalue()


def test_cli_bridge_refuses_to_start_without_any_secret(demo_config, isolated_env) -> None:
    import io

    from pushover_tui.cli import main

    out, err = io.StringIO(), io.StringIO()
    assert main(["bridge", "--port", "0"], env=isolated_env, stdout=out, stderr=err) == 2
    assert "[bridge] client_secret" in err.getvalue()
    assert "SENTRY_CLIENT_SECRET" in err.getvalue()
