"""Raw-HTTP tests of the Pushover simulator: what a real client on the wire would see."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import signal
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest

from pushover_tui.simulator import DEMO_GROUP, DEMO_TOKEN, DEMO_USER, Simulator
from pushover_tui.simulator.models import next_reset

# httpx builds a fresh TLS context per client (~30 ms); these tests speak plain HTTP, share one.
TLS = ssl.create_default_context()
KEY_RE = re.compile(r"[A-Za-z0-9]{30}")
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
OTHER_TOKEN = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbb2"
# 2026-03-15 12:00 UTC: the next quota reset is 2026-04-01 00:00 CDT (UTC-5).
T0 = datetime(2026, 3, 15, 12, 0, tzinfo=UTC).timestamp()
APRIL_RESET = int(datetime(2026, 4, 1, 5, 0, tzinfo=UTC).timestamp())


class FakeClock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def lines() -> list[str]:
    return []


@pytest.fixture
def sim(clock: FakeClock, lines: list[str]) -> Iterator[Simulator]:
    with Simulator(ack_after=20.0, clock=clock, log=lines.append) as sim:
        yield sim


@pytest.fixture
def client(sim: Simulator) -> Iterator[httpx.Client]:
    with httpx.Client(verify=TLS, base_url=sim.base_url, timeout=5) as client:
        yield client


def send(client: httpx.Client, **fields: object) -> httpx.Response:
    data = {"token": DEMO_TOKEN, "user": DEMO_USER, "message": "hello", **fields}
    return client.post("/messages.json", data={k: v for k, v in data.items() if v is not None})


def emergency(client: httpx.Client, **fields: object) -> str:
    response = send(client, **{"priority": 2, "retry": 30, "expire": 3600, **fields})
    assert response.status_code == 200, response.text
    return response.json()["receipt"]


def receipt(client: httpx.Client, receipt_id: str, token: str = DEMO_TOKEN) -> dict:
    response = client.get(f"/receipts/{receipt_id}.json", params={"token": token})
    assert response.status_code == 200, response.text
    return response.json()


def assert_error(response: httpx.Response, field: str, problem: str, sentence: str) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["status"] == 0
    assert UUID_RE.fullmatch(body["request"])
    assert body[field] == problem
    assert sentence in body["errors"]


# ---- basics ------------------------------------------------------------------------------


def test_fixture_serves_on_an_ephemeral_port_with_the_1_prefix(simulator: Simulator) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/1", simulator.base_url)
    assert simulator.port != 0
    response = httpx.get(
        verify=TLS, url=f"{simulator.base_url}/sounds.json", params={"token": DEMO_TOKEN}
    )
    assert response.status_code == 200


def test_send_success_has_request_id_quota_headers_and_records_fields(
    sim: Simulator, client: httpx.Client
) -> None:
    response = send(client, title="Disk", priority=1, sound="siren", device="iphone")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == 1 and UUID_RE.fullmatch(body["request"])
    assert "receipt" not in body
    assert response.headers["X-Limit-App-Limit"] == "10000"
    assert response.headers["X-Limit-App-Remaining"] == "9999"
    assert response.headers["X-Limit-App-Reset"] == str(APRIL_RESET)
    assert response.headers["Content-Type"].startswith("application/json")
    assert sim.messages == [
        {"message": "hello", "title": "Disk", "priority": "1", "sound": "siren", "device": "iphone"}
    ]


def test_priority_2_answers_a_receipt(client: httpx.Client) -> None:
    assert KEY_RE.fullmatch(emergency(client))


def test_request_ids_are_unique(client: httpx.Client) -> None:
    ids = {send(client).json()["request"] for _ in range(5)}
    assert len(ids) == 5


# ---- message field checks ------------------------------------------------------------------

BAD_FIELDS = [
    ({"token": "short"}, "token", "invalid", "application token is invalid"),
    ({"token": OTHER_TOKEN}, "token", "invalid", "application token is invalid"),
    ({"token": None}, "token", "invalid", "application token is invalid"),
    ({"user": "nope"}, "user", "invalid", "user identifier is invalid"),
    ({"user": "u" * 30}, "user", "invalid", "user identifier is invalid"),
    ({"user": f"{DEMO_USER},{'u' * 30}"}, "user", "invalid", "user identifier is invalid"),
    ({"message": None}, "message", "cannot be blank", "message cannot be blank"),
    ({"message": "   "}, "message", "cannot be blank", "message cannot be blank"),
    (
        {"message": "😀" * 1025},
        "message",
        "is too long, must be 1024 characters or fewer",
        "message is too long",
    ),
    (
        {"title": "t" * 251},
        "title",
        "is too long, must be 250 characters or fewer",
        "title is too long",
    ),
    ({"url": "u" * 513}, "url", "is too long, must be 512 characters or fewer", "url is too long"),
    (
        {"url_title": "u" * 101},
        "url_title",
        "is too long, must be 100 characters or fewer",
        "url_title is too long",
    ),
    (
        {"priority": 3},
        "priority",
        "is invalid, must be an integer from -2 to 2",
        "priority is invalid",
    ),
    (
        {"priority": "high"},
        "priority",
        "is invalid, must be an integer from -2 to 2",
        "priority is invalid",
    ),
    ({"sound": "kazoo"}, "sound", "is invalid", "sound is not a valid sound name"),
    ({"device": "my phone"}, "device", "is invalid", "device name is invalid"),
    ({"device": "d" * 26}, "device", "is invalid", "device name is invalid"),
    (
        {"html": 1, "monospace": 1},
        "monospace",
        "cannot be used with html",
        "html and monospace cannot both be set",
    ),
    ({"html": 2}, "html", "must be 0 or 1", "html is invalid"),
    ({"html": "yes"}, "html", "must be 0 or 1", "html is invalid"),
    (
        {"html": "True", "monospace": "true"},
        "monospace",
        "cannot be used with html",
        "html and monospace cannot both be set",
    ),
    ({"ttl": 0}, "ttl", "must be a positive integer", "ttl is invalid"),
    ({"ttl": "soon"}, "ttl", "must be a positive integer", "ttl is invalid"),
    ({"timestamp": "yesterday"}, "timestamp", "must be a Unix timestamp", "timestamp is invalid"),
    # More digits than int() converts: a field error, never a 500.
    ({"timestamp": "9" * 5000}, "timestamp", "must be a Unix timestamp", "timestamp is invalid"),
    (
        {"priority": 2, "retry": 29, "expire": 60},
        "retry",
        "is too small, must be at least 30 seconds",
        "retry is invalid",
    ),
    (
        {"priority": 2, "expire": 60},
        "retry",
        "must be supplied with priority=2",
        "retry must be supplied with priority=2",
    ),
    (
        {"priority": 2, "retry": 30},
        "expire",
        "must be supplied with priority=2",
        "expire must be supplied with priority=2",
    ),
    (
        {"priority": 2, "retry": 30, "expire": 10801},
        "expire",
        "is too large, must be at most 10800 seconds",
        "expire is invalid",
    ),
    (
        {"attachment_base64": "aGVsbG8="},
        "attachment_type",
        "must be supplied with attachment_base64",
        "attachment_type must be supplied with attachment_base64",
    ),
    (
        {"attachment_base64": "***", "attachment_type": "image/png"},
        "attachment_base64",
        "is not valid base64",
        "attachment_base64 is invalid",
    ),
]


@pytest.mark.parametrize(("fields", "field", "problem", "sentence"), BAD_FIELDS)
def test_bad_message_field(
    sim: Simulator, client: httpx.Client, fields: dict, field: str, problem: str, sentence: str
) -> None:
    response = send(client, **fields)
    assert_error(response, field, problem, sentence)
    assert sim.messages == []


@pytest.mark.parametrize(
    "fields",
    [
        {"message": "😀" * 1024},  # code points, not bytes
        {"title": "t" * 250, "url": "u" * 512, "url_title": "u" * 100},
        {"priority": -2},
        {"priority": 2, "retry": 30, "expire": 10800},
        {"html": 1},
        {"monospace": 1, "html": 0},
        {"html": "False"},  # pushover-complete's default on every message
        {"html": "TRUE"},
        {"monospace": "true", "html": "false"},
        {"ttl": 3600, "timestamp": 1_700_000_000},
        {"device": "unknown_phone"},  # unknown device names fall back to all devices
        {"device": "iphone,pixel"},
        {"sound": "none"},
        {"priority": ""},  # a blank optional field counts as absent
        {"user": DEMO_GROUP},
        {"callback": "https://example.com/cb", "tags": "db,prod"},
        {"retry": 1, "expire": 999999},  # ignored below priority 2
        {"encrypted": "0", "client_note": "x"},  # fields the simulator does not know: ignored
    ],
)
def test_valid_message_variants(client: httpx.Client, fields: dict) -> None:
    response = send(client, **fields)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == 1


def test_several_problems_give_several_keys_and_sentences(client: httpx.Client) -> None:
    response = client.post(
        "/messages.json", data={"token": "x", "user": "y", "priority": 2, "retry": 5}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["token"] == "invalid"
    assert body["user"] == "invalid"
    assert body["message"] == "cannot be blank"
    assert body["retry"] == "is too small, must be at least 30 seconds"
    assert body["expire"] == "must be supplied with priority=2"
    assert body["errors"] == [
        "application token is invalid",
        "user identifier is invalid",
        "message cannot be blank",
        "retry is invalid",
        "expire must be supplied with priority=2",
    ]


def test_user_list_up_to_50(sim: Simulator, client: httpx.Client) -> None:
    keys = [f"user{i:026d}" for i in range(51)]
    for key in keys:
        sim.add_user(key)
    assert send(client, user=",".join(keys[:50])).status_code == 200
    response = send(client, user=",".join(keys))
    assert response.status_code == 400 and response.json()["user"] == "invalid"


def test_user_without_devices_is_rejected(sim: Simulator, client: httpx.Client) -> None:
    sim.add_user("n" * 30, devices=())
    response = send(client, user="n" * 30)
    assert_error(response, "user", "invalid", "user is valid but has no active devices")


def test_custom_sound_and_extra_app(sim: Simulator, client: httpx.Client) -> None:
    sim.add_sound("kazoo", "Kazoo!")
    sim.add_app(OTHER_TOKEN)
    assert send(client, sound="kazoo", token=OTHER_TOKEN).status_code == 200


def test_add_app_rejects_malformed_keys(sim: Simulator) -> None:
    with pytest.raises(ValueError):
        sim.add_app("short")
    with pytest.raises(ValueError):
        sim.add_user("short")


# ---- body encodings -------------------------------------------------------------------------


def test_json_body_keeps_types(sim: Simulator, client: httpx.Client) -> None:
    response = client.post(
        "/messages.json",
        json={
            "token": DEMO_TOKEN,
            "user": DEMO_USER,
            "message": "json",
            "priority": 1,
            "html": True,
        },
    )
    assert response.status_code == 200, response.text
    assert sim.messages == [{"message": "json", "priority": 1, "html": True}]


def test_json_nested_value_is_a_field_error(client: httpx.Client) -> None:
    response = client.post(
        "/messages.json", json={"token": DEMO_TOKEN, "user": DEMO_USER, "message": ["a"]}
    )
    assert response.status_code == 400
    assert response.json()["message"] == "invalid"


def test_multipart_attachment_is_received(sim: Simulator, client: httpx.Client) -> None:
    data = os.urandom(200_000) + b"\r\n--boundary\r\n"
    response = client.post(
        "/messages.json",
        data={"token": DEMO_TOKEN, "user": DEMO_USER, "message": "photo ✓"},
        files={"attachment": ("cat.jpg", data, "image/jpeg")},
    )
    assert response.status_code == 200, response.text
    assert sim.messages == [
        {
            "message": "photo ✓",
            "attachment": {
                "filename": "cat.jpg",
                "content_type": "image/jpeg",
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            },
        }
    ]
    assert sim.requests[-1].fields == ("attachment", "message", "token", "user")


def test_multipart_attachment_limit_is_5_242_880_bytes(client: httpx.Client) -> None:
    fields = {"token": DEMO_TOKEN, "user": DEMO_USER, "message": "big"}
    exact = client.post(
        "/messages.json", data=fields, files={"attachment": ("a.png", b"x" * 5_242_880)}
    )
    assert exact.status_code == 200, exact.text
    over = client.post(
        "/messages.json", data=fields, files={"attachment": ("a.png", b"x" * 5_242_881)}
    )
    assert_error(
        over,
        "attachment",
        "is too large, must be 5242880 bytes or fewer",
        "attachment is too large",
    )


def test_attachment_base64(sim: Simulator, client: httpx.Client) -> None:
    data = b"\x89PNG fake"
    response = send(
        client, attachment_base64=base64.b64encode(data).decode(), attachment_type="image/png"
    )
    assert response.status_code == 200, response.text
    info = sim.messages[0]["attachment"]
    assert info == {
        "filename": None,
        "content_type": "image/png",
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b"{not json"),
        ("application/json", b"[1, 2]"),
        ("application/json", b"\xff\xfe"),
        ("multipart/form-data; boundary=zzz", b"garbage without parts"),
        ("multipart/form-data", b"--x\r\n\r\n--x--"),
        ("application/x-www-form-urlencoded", b"message=%ff%fe"),
        ("text/plain", b"hello"),
    ],
)
def test_malformed_bodies_get_400_json_and_server_survives(
    client: httpx.Client, content_type: str, body: bytes
) -> None:
    response = client.post("/messages.json", content=body, headers={"Content-Type": content_type})
    assert response.status_code == 400
    assert response.json()["status"] == 0
    assert send(client).status_code == 200


def test_body_over_limit_gets_413(client: httpx.Client) -> None:
    response = client.post(
        "/messages.json",
        content=b"x" * (8 * 1024 * 1024 + 1),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413
    assert response.json()["status"] == 0


def test_chunked_body(client: httpx.Client) -> None:
    form = f"token={DEMO_TOKEN}&user={DEMO_USER}&message=chunked".encode()

    def chunks() -> Iterator[bytes]:
        yield form[:10]
        yield form[10:]

    response = client.post(
        "/messages.json",
        content=chunks(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200, response.text


def test_malformed_request_line_gets_json(sim: Simulator) -> None:
    import socket

    with socket.create_connection(("127.0.0.1", sim.port), timeout=5) as sock:
        sock.sendall(b"NONSENSE\r\n\r\n")
        reply = b""
        while chunk := sock.recv(65536):  # until the server closes the connection
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 400")
    assert b'"status":0' in reply


# ---- quota -----------------------------------------------------------------------------------


def test_quota_headers_count_down_per_token(sim: Simulator, client: httpx.Client) -> None:
    sim.add_app(OTHER_TOKEN)
    assert send(client).headers["X-Limit-App-Remaining"] == "9999"
    assert send(client).headers["X-Limit-App-Remaining"] == "9998"
    assert send(client, token=OTHER_TOKEN).headers["X-Limit-App-Remaining"] == "9999"
    failed = send(client, message=None)
    assert failed.status_code == 400
    assert failed.headers["X-Limit-App-Remaining"] == "9998"  # failures cost nothing
    assert "X-Limit-App-Remaining" not in send(client, token="x" * 30).headers


def test_quota_exhausted_answers_429(sim: Simulator, client: httpx.Client) -> None:
    sim.set_remaining(DEMO_TOKEN, 1)
    assert send(client).status_code == 200
    response = send(client)
    assert response.status_code == 429
    body = response.json()
    assert body["status"] == 0 and body["token"] == "invalid"  # the documented trap
    assert "monthly message limit" in body["errors"][0]
    assert response.headers["X-Limit-App-Remaining"] == "0"
    assert len(sim.messages) == 1


def test_set_limit_and_limits_endpoint(sim: Simulator, client: httpx.Client) -> None:
    sim.set_limit(5)
    send(client)
    body = client.get("/apps/limits.json", params={"token": DEMO_TOKEN}).json()
    assert body["status"] == 1 and UUID_RE.fullmatch(body["request"])
    assert (body["limit"], body["remaining"], body["reset"]) == (5, 4, APRIL_RESET)
    bad = client.get("/apps/limits.json", params={"token": OTHER_TOKEN})
    assert_error(bad, "token", "invalid", "application token is invalid")


def test_quota_resets_on_the_first_of_the_month(
    sim: Simulator, client: httpx.Client, clock: FakeClock
) -> None:
    sim.set_remaining(DEMO_TOKEN, 0)
    assert send(client).status_code == 429
    clock.now = APRIL_RESET
    response = send(client)
    assert response.status_code == 200
    assert response.headers["X-Limit-App-Remaining"] == "9999"
    assert int(response.headers["X-Limit-App-Reset"]) == int(
        datetime(2026, 5, 1, 5, 0, tzinfo=UTC).timestamp()
    )


def test_next_reset_in_winter_and_with_fixed_offset_fallback() -> None:
    december = datetime(2026, 12, 20, tzinfo=UTC).timestamp()
    assert next_reset(december) == int(datetime(2027, 1, 1, 6, 0, tzinfo=UTC).timestamp())
    fixed = timezone(timedelta(hours=-6))
    assert next_reset(T0, fixed) == int(datetime(2026, 4, 1, 6, 0, tzinfo=UTC).timestamp())


# ---- users/validate, sounds ------------------------------------------------------------------


def validate(client: httpx.Client, **fields: str) -> httpx.Response:
    data = {"token": DEMO_TOKEN, "user": DEMO_USER, **fields}
    return client.post("/users/validate.json", data=data)


def test_validate_success(client: httpx.Client) -> None:
    response = validate(client)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == 1 and body["group"] == 0
    assert body["devices"] == ["iphone", "pixel"]
    assert body["licenses"] == ["iOS", "Android"]
    assert validate(client, device="pixel").status_code == 200


def test_validate_group(client: httpx.Client) -> None:
    body = validate(client, user=DEMO_GROUP).json()
    assert body["status"] == 1 and body["group"] == 1 and body["devices"] == []


@pytest.mark.parametrize(
    ("fields", "field", "problem", "sentence"),
    [
        ({"user": "u" * 30}, "user", "invalid", "user key is invalid"),
        ({"user": "bad"}, "user", "invalid", "user key is invalid"),
        ({"token": OTHER_TOKEN}, "token", "invalid", "application token is invalid"),
        (
            {"device": "ipad"},
            "device",
            "invalid for this user",
            "device name is not valid for user",
        ),
    ],
)
def test_validate_failures(
    client: httpx.Client, fields: dict, field: str, problem: str, sentence: str
) -> None:
    assert_error(validate(client, **fields), field, problem, sentence)


def test_validate_user_without_devices(sim: Simulator, client: httpx.Client) -> None:
    sim.add_user("n" * 30, devices=())
    response = validate(client, user="n" * 30)
    assert_error(response, "user", "invalid", "user is valid but has no active devices")


def test_sounds(sim: Simulator, client: httpx.Client) -> None:
    sim.add_sound("kazoo", "Kazoo!")
    response = client.get("/sounds.json", params={"token": DEMO_TOKEN})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == 1
    builtins = [
        "pushover",
        "bike",
        "bugle",
        "cashregister",
        "classical",
        "cosmic",
        "falling",
        "gamelan",
        "incoming",
        "intermission",
        "magic",
        "mechanical",
        "pianobar",
        "siren",
        "spacealarm",
        "tugboat",
        "alien",
        "climb",
        "persistent",
        "echo",
        "updown",
        "vibrate",
        "none",
    ]
    assert set(builtins) <= set(body["sounds"])
    assert body["sounds"]["pushover"] == "Pushover (default)"
    assert body["sounds"]["kazoo"] == "Kazoo!"
    bad = client.get("/sounds.json", params={"token": "nope"})
    assert_error(bad, "token", "invalid", "application token is invalid")


# ---- emergency lifecycle ---------------------------------------------------------------------


def test_emergency_awaiting_then_acknowledged_by_iphone(
    client: httpx.Client, clock: FakeClock
) -> None:
    rid = emergency(client, callback="https://example.com/cb")
    state = receipt(client, rid)
    assert state["status"] == 1
    assert state["acknowledged"] == 0 and state["expired"] == 0
    assert state["last_delivered_at"] == int(T0)
    assert state["expires_at"] == int(T0) + 3600
    assert state["called_back"] == 0 and state["called_back_at"] == 0
    assert state["acknowledged_by"] == "" and state["acknowledged_at"] == 0

    clock.advance(19)
    assert receipt(client, rid)["acknowledged"] == 0
    clock.advance(100)
    state = receipt(client, rid)
    assert state["acknowledged"] == 1
    assert state["acknowledged_at"] == int(T0) + 20
    assert state["acknowledged_by"] == DEMO_USER
    assert state["acknowledged_by_device"] == "iphone"
    assert state["called_back"] == 1 and state["called_back_at"] == int(T0) + 20
    assert state["expired"] == 0
    assert state["last_delivered_at"] == int(T0)  # no retry before the ack at +20


def test_emergency_retries_then_expires_when_nobody_acks(clock: FakeClock) -> None:
    with (
        Simulator(ack_after=0, clock=clock) as sim,
        httpx.Client(verify=TLS, base_url=sim.base_url) as client,
    ):
        rid = emergency(client, expire=100)
        clock.advance(65)
        state = receipt(client, rid)
        assert state["last_delivered_at"] == int(T0) + 60
        assert state["expired"] == 0
        clock.advance(1000)
        state = receipt(client, rid)
        assert state["expired"] == 1 and state["acknowledged"] == 0
        assert state["expires_at"] == int(T0) + 100
        assert state["last_delivered_at"] == int(T0) + 90


def test_emergency_stops_after_50_retries(clock: FakeClock) -> None:
    with (
        Simulator(ack_after=0, clock=clock) as sim,
        httpx.Client(verify=TLS, base_url=sim.base_url) as client,
    ):
        rid = emergency(client, retry=30, expire=10800)
        clock.advance(10800)
        state = receipt(client, rid)
        assert state["last_delivered_at"] == int(T0) + 50 * 30


def test_sim_ack_names_the_device(sim: Simulator, client: httpx.Client, clock: FakeClock) -> None:
    rid = emergency(client)
    clock.advance(5)
    assert sim.ack(rid, device="pixel") is True
    state = receipt(client, rid)
    assert state["acknowledged"] == 1
    assert state["acknowledged_at"] == int(T0) + 5
    assert state["acknowledged_by_device"] == "pixel"
    assert state["called_back"] == 0  # no callback URL was given
    assert sim.ack(rid) is False
    with pytest.raises(KeyError):
        sim.ack("z" * 30)


def test_cancel_stops_retries_and_never_acks(client: httpx.Client, clock: FakeClock) -> None:
    rid = emergency(client)
    clock.advance(10)
    response = client.post(f"/receipts/{rid}/cancel.json", data={"token": DEMO_TOKEN})
    assert response.status_code == 200 and response.json()["status"] == 1
    clock.advance(1000)
    state = receipt(client, rid)
    assert state["expired"] == 1 and state["acknowledged"] == 0
    assert state["expires_at"] == int(T0) + 10
    assert state["last_delivered_at"] == int(T0)


def test_cancel_by_tag(client: httpx.Client, clock: FakeClock, sim: Simulator) -> None:
    first = emergency(client, tags="db,prod")
    second = emergency(client, tags="prod")
    other = emergency(client, tags="web")
    sim.add_app(OTHER_TOKEN)
    foreign = emergency(client, tags="prod", token=OTHER_TOKEN)
    clock.advance(3)
    response = client.post("/receipts/cancel_by_tag/prod.json", data={"token": DEMO_TOKEN})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == 1 and body["canceled"] == 2 and UUID_RE.fullmatch(body["request"])
    assert receipt(client, first)["expired"] == 1
    assert receipt(client, second)["expires_at"] == int(T0) + 3
    assert receipt(client, other)["expired"] == 0
    assert receipt(client, foreign, OTHER_TOKEN)["expired"] == 0
    again = client.post("/receipts/cancel_by_tag/prod.json", data={"token": DEMO_TOKEN})
    assert again.json()["canceled"] == 0


def test_unknown_or_foreign_receipt_is_not_found(sim: Simulator, client: httpx.Client) -> None:
    sentence = "receipt not found; may be invalid or expired"
    response = client.get(f"/receipts/{'r' * 30}.json", params={"token": DEMO_TOKEN})
    assert_error(response, "receipt", "not found", sentence)
    rid = emergency(client)
    sim.add_app(OTHER_TOKEN)
    response = client.get(f"/receipts/{rid}.json", params={"token": OTHER_TOKEN})
    assert_error(response, "receipt", "not found", sentence)
    response = client.post(f"/receipts/{'r' * 30}/cancel.json", data={"token": DEMO_TOKEN})
    assert_error(response, "receipt", "not found", sentence)
    response = client.get(f"/receipts/{rid}.json", params={"token": "bad"})
    assert_error(response, "token", "invalid", "application token is invalid")


# ---- routing ---------------------------------------------------------------------------------


def test_unknown_path_404_and_wrong_method_405(client: httpx.Client) -> None:
    missing = client.get("/nothing.json")
    assert missing.status_code == 404 and missing.json()["status"] == 0
    wrong = client.get("/users/validate.json")
    assert wrong.status_code == 405 and wrong.headers["Allow"] == "POST"
    assert client.post("/sounds.json").status_code == 405
    head = client.head("/messages.json")  # GET there is the Open Client's download
    assert head.status_code == 405 and head.headers["Allow"] == "POST, GET"
    assert send(client).status_code == 200  # HEAD left the keep-alive stream intact


# ---- faults ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["500", "502", "503"])
def test_server_error_faults(sim: Simulator, client: httpx.Client, kind: str) -> None:
    sim.inject_fault(kind, count=2)
    assert send(client).status_code == int(kind)
    assert send(client).status_code == int(kind)
    assert send(client).status_code == 200
    assert len(sim.messages) == 1


def test_html_fault(sim: Simulator, client: httpx.Client) -> None:
    sim.inject_fault("html")
    response = send(client)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    with pytest.raises(ValueError):
        response.json()
    assert sim.messages == []


def test_redirect_fault_points_to_another_host(sim: Simulator, client: httpx.Client) -> None:
    sim.inject_fault("redirect")
    response = send(client)
    assert response.status_code == 302
    assert response.headers["Location"] == "https://evil.example/1/messages.json"


def test_429_fault(sim: Simulator, client: httpx.Client) -> None:
    sim.inject_fault("429")
    response = client.get("/sounds.json", params={"token": DEMO_TOKEN})
    assert response.status_code == 429
    assert response.json()["token"] == "invalid"


def test_drop_fault_closes_without_response(sim: Simulator, client: httpx.Client) -> None:
    sim.inject_fault("drop")
    with pytest.raises(httpx.RemoteProtocolError):
        send(client)
    assert send(client).status_code == 200
    assert [r.status for r in sim.requests] == [0, 200]
    assert sim.connections_seen() == 2


def test_hang_fault_holds_then_answers(sim: Simulator, client: httpx.Client) -> None:
    sim.inject_fault("hang", seconds=0.3)
    started = time.monotonic()
    assert send(client).status_code == 200
    assert 0.25 < time.monotonic() - started < 3


def test_hang_trips_a_client_timeout(sim: Simulator) -> None:
    sim.inject_fault("hang", seconds=5)
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(
            verify=TLS, url=f"{sim.base_url}/sounds.json", params={"token": DEMO_TOKEN}, timeout=0.2
        )
    sim.release()


def test_release_lets_held_requests_go(sim: Simulator) -> None:
    sim.inject_fault("hang", count=2, seconds=30)
    results: list[int] = []

    def call() -> None:
        with httpx.Client(verify=TLS, base_url=sim.base_url, timeout=10) as own:
            results.append(send(own).status_code)

    threads = [threading.Thread(target=call) for _ in range(2)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 5
    while sim.pending_faults and time.monotonic() < deadline:  # both requests are now held
        time.sleep(0.01)
    time.sleep(0.05)
    started = time.monotonic()
    sim.release()
    for thread in threads:
        thread.join(5)
    assert results == [200, 200]
    assert time.monotonic() - started < 2


def test_stop_is_not_blocked_by_a_hung_request(clock: FakeClock) -> None:
    sim = Simulator(clock=clock).start()
    sim.inject_fault("hang", seconds=60)
    outcome: list[object] = []

    def call() -> None:
        try:
            outcome.append(
                httpx.get(
                    verify=TLS, url=f"{sim.base_url}/apps/limits.json", timeout=10
                ).status_code
            )
        except httpx.HTTPError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=call)
    thread.start()
    while sim.pending_faults:
        time.sleep(0.01)
    time.sleep(0.05)
    started = time.monotonic()
    sim.stop()
    thread.join(5)
    assert time.monotonic() - started < 2
    assert not thread.is_alive() and outcome


def test_faults_skip_control_endpoints(sim: Simulator, client: httpx.Client) -> None:
    sim.inject_fault("500")
    assert httpx.get(verify=TLS, url=f"{sim.root_url}/_sim/requests").status_code == 200
    assert send(client).status_code == 500


def test_inject_fault_rejects_unknown_kind(sim: Simulator) -> None:
    with pytest.raises(ValueError):
        sim.inject_fault("teapot")


# ---- control endpoints -----------------------------------------------------------------------


def test_control_endpoints(sim: Simulator, client: httpx.Client) -> None:
    control = httpx.Client(verify=TLS, base_url=sim.root_url, timeout=5)
    with control:
        rid = emergency(client)
        response = control.post(f"/_sim/ack/{rid}", data={"device": "pixel"})
        assert response.status_code == 200 and response.json()["acknowledged"] == 1
        assert receipt(client, rid)["acknowledged_by_device"] == "pixel"
        assert control.post(f"/_sim/ack/{'q' * 30}").status_code == 404

        response = control.post("/_sim/fault", data={"kind": "503", "count": "1"})
        assert response.status_code == 200 and response.json()["pending"] == 1
        assert send(client).status_code == 503
        assert control.post("/_sim/fault", data={"kind": "nope"}).status_code == 400

        control.post("/_sim/fault", data={"kind": "hang", "seconds": "0.1"})
        assert control.post("/_sim/release").json()["status"] == 1
        assert send(client).status_code == 200

        logged = control.get("/_sim/requests").json()
        assert [entry["status"] for entry in logged] == [200, 200, 503, 200]
        assert logged[0]["fields"] == ["expire", "message", "priority", "retry", "token", "user"]
        assert set(logged[0]) == {"method", "path", "fields", "time", "connection_id", "status"}
        messages = control.get("/_sim/messages").json()
        assert len(messages) == 2 and messages[0]["priority"] == "2"
        assert control.get("/_sim/release").status_code == 405
        assert control.get("/_sim/unknown").status_code == 404


# ---- request log -----------------------------------------------------------------------------


def test_request_log_fields_and_no_secrets(
    sim: Simulator, client: httpx.Client, lines: list[str], clock: FakeClock
) -> None:
    rid = emergency(client)
    receipt(client, rid)
    client.post(f"/receipts/{DEMO_TOKEN}.json")  # a confused client puts the token in the path
    records = sim.requests
    assert records[0].method == "POST" and records[0].path == "/1/messages.json"
    assert records[0].time == T0 and records[0].status == 200
    assert records[1].path == f"/1/receipts/{rid}.json"  # query string (with the token) removed
    assert records[1].fields == ("token",)
    everything = repr(records) + "\n".join(lines)
    assert DEMO_TOKEN not in "\n".join(lines)
    assert DEMO_USER not in everything
    assert DEMO_TOKEN not in repr(records[:2])
    assert re.fullmatch(
        r"\d\d:\d\d:\d\d POST /1/messages\.json 200 conn=1 "
        r"fields=expire,message,priority,retry,token,user",
        lines[0],
    )
    assert lines[2].startswith(
        time.strftime("%H:%M:%S", time.localtime(T0)) + " POST /1/receipts/***"
    )


def test_keep_alive_reuses_one_connection(sim: Simulator, client: httpx.Client) -> None:
    for _ in range(5):
        send(client)
    assert sim.connections_seen() == 1
    with httpx.Client(verify=TLS, base_url=sim.base_url) as other:
        send(other)
    assert sim.connections_seen() == 2
    assert len({r.connection_id for r in sim.requests}) == 2


def test_stop_closes_idle_keep_alive_connections(clock: FakeClock) -> None:
    sim = Simulator(clock=clock).start()
    with httpx.Client(verify=TLS, base_url=sim.base_url, timeout=2) as client:
        assert send(client).status_code == 200
        sim.stop()
        with pytest.raises(httpx.TransportError):
            send(client)


def test_standalone_process_prints_and_stops_cleanly() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "pushover_tui.simulator", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        match = re.fullmatch(
            r"Pushover simulator listening on (http://127\.0\.0\.1:\d+/1)\n", first
        )
        assert match, first
        with httpx.Client(verify=TLS, base_url=match.group(1)) as client:
            assert send(client).status_code == 200
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=5)
    finally:
        process.kill()
    assert process.returncode == 0
    request_lines = [line for line in out.splitlines() if "/1/messages.json" in line]
    assert len(request_lines) == 1 and " 200 conn=1 " in request_lines[0]
    assert DEMO_TOKEN not in request_lines[0] and DEMO_USER not in request_lines[0]


def test_a_json_body_nested_50000_deep_is_a_400_without_a_traceback(sim: Simulator, capfd) -> None:
    body = '{"a":' * 50_000 + "1" + "}" * 50_000
    response = httpx.post(
        f"{sim.base_url}/messages.json",
        verify=TLS,
        content=body,
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 400
    assert response.json()["errors"] == ["JSON request body nests too deeply"]
    assert "Traceback" not in capfd.readouterr().err


def test_it_serves_a_socket_bound_beforehand_answering_what_waited_for_it():
    """Simulator(listening=...): the dashboard's --demo binds the socket before its first frame
    and starts the simulator after it; a request made meanwhile waits and is answered."""
    import http.client
    import socket

    listening = socket.create_server(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    early = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    early.request("GET", f"/1/sounds.json?token={DEMO_TOKEN}")  # nothing serves it yet
    try:
        with Simulator(listening=listening) as sim:
            assert sim.port == port
            response = early.getresponse()
            assert response.status == 200 and b'"status":1' in response.read()
    finally:
        early.close()
    assert listening.fileno() == -1  # stop() closed it
