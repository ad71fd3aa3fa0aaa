"""The simulator's Open Client API and websocket on the wire, as any open client would see them
(raw HTTP, and a websocket client library that is not the one our client code wraps)."""

from __future__ import annotations

import base64
import os
import re
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from pushover_tui.simulator import (
    DEMO_2FA_CODE,
    DEMO_2FA_EMAIL,
    DEMO_2FA_PASSWORD,
    DEMO_2FA_USER,
    DEMO_EMAIL,
    DEMO_PASSWORD,
    DEMO_TOKEN,
    DEMO_USER,
    Simulator,
)

TLS = ssl.create_default_context()
SECRET_RE = re.compile(r"[A-Za-z0-9]{60}")
DEVICE_RE = re.compile(r"[A-Za-z0-9]{40}")
WAIT = 5.0  # an upper bound for a frame that must come, never a measured time


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(ack_after=0) as sim:
        yield sim


@pytest.fixture
def client(sim: Simulator) -> Iterator[httpx.Client]:
    with httpx.Client(verify=TLS, base_url=sim.base_url, timeout=5) as client:
        yield client


def login(client: httpx.Client, email: str = DEMO_EMAIL, **extra: str) -> httpx.Response:
    password = DEMO_2FA_PASSWORD if email == DEMO_2FA_EMAIL else DEMO_PASSWORD
    return client.post("/users/login.json", data={"email": email, "password": password, **extra})


def device(
    client: httpx.Client, name: str = "tui-test", email: str = DEMO_EMAIL
) -> tuple[str, str]:
    """A logged-in session with a new device: (secret, device id)."""
    extra = {"twofa": DEMO_2FA_CODE} if email == DEMO_2FA_EMAIL else {}
    secret = login(client, email, **extra).json()["secret"]
    response = client.post("/devices.json", data={"secret": secret, "name": name, "os": "O"})
    assert response.status_code == 200, response.text
    return secret, response.json()["id"]


def send(client: httpx.Client, **fields: object) -> httpx.Response:
    data = {"token": DEMO_TOKEN, "user": DEMO_USER, "message": "hello", **fields}
    response = client.post("/messages.json", data=data)
    assert response.status_code == 200, response.text
    return response


def download(client: httpx.Client, secret: str, device_id: str) -> list[dict]:
    response = client.get("/messages.json", params={"secret": secret, "device_id": device_id})
    assert response.status_code == 200, response.text
    return response.json()["messages"]


def delete(client: httpx.Client, secret: str, device_id: str, highest: object) -> httpx.Response:
    return client.post(
        f"/devices/{device_id}/update_highest_message.json",
        data={"secret": secret, "message": highest},
    )


def wait_for(condition: Callable[[], bool]) -> None:
    """Until `condition` holds (the server reads a login frame in its own thread)."""
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.002)


@contextmanager
def socket_for(
    sim: Simulator, secret: str, device_id: str, *, newline: bool = True
) -> Iterator[ClientConnection]:
    """A websocket logged in as the device (and known to the server as such)."""
    before = sim.sockets()
    with connect(sim.websocket_url, open_timeout=WAIT) as ws:
        ws.send(f"login:{device_id}:{secret}" + ("\n" if newline else ""))
        wait_for(lambda: sim.sockets() > before)
        yield ws


def frames_until(ws: ClientConnection, wanted: bytes) -> list[bytes]:
    """Frames received up to and including `wanted` (keep-alives may come in between)."""
    seen = []
    while True:
        frame = ws.recv(timeout=WAIT)
        seen.append(frame)
        if frame == wanted:
            return seen


# ---- login ---------------------------------------------------------------------------------


def test_login_gives_the_user_key_and_a_new_secret_each_time(client):
    first, second = login(client), login(client)
    assert first.status_code == second.status_code == 200
    body = first.json()
    assert body["status"] == 1 and body["id"] == DEMO_USER and body["request"]
    assert SECRET_RE.fullmatch(body["secret"])
    assert body["secret"] != second.json()["secret"]


def test_login_accepts_multipart_as_the_documentation_posts_it(client):
    files = {"email": (None, DEMO_EMAIL), "password": (None, DEMO_PASSWORD)}
    assert client.post("/users/login.json", files=files).json()["status"] == 1


@pytest.mark.parametrize(
    "data",
    [
        {"email": DEMO_EMAIL, "password": "wrong"},
        {"email": DEMO_EMAIL.upper(), "password": DEMO_PASSWORD},  # case-sensitive
        {"email": DEMO_EMAIL},
        {},
    ],
)
def test_bad_credentials_are_400_with_an_errors_list(client, data):
    response = client.post("/users/login.json", data=data)
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 0 and isinstance(body["errors"], list) and body["errors"]


def test_two_factor_account_needs_its_code(client):
    missing = login(client, DEMO_2FA_EMAIL)
    assert missing.status_code == 412 and missing.json()["status"] == 0
    wrong = login(client, DEMO_2FA_EMAIL, twofa="000000")
    assert wrong.status_code == 412
    right = login(client, DEMO_2FA_EMAIL, twofa=DEMO_2FA_CODE)
    assert right.status_code == 200 and right.json()["id"] == DEMO_2FA_USER


def test_add_account(sim, client):
    sim.add_account("new@example.com", "pw", "uNewAccountKey0000000000000000")
    answer = client.post("/users/login.json", data={"email": "new@example.com", "password": "pw"})
    assert answer.json()["id"] == "uNewAccountKey0000000000000000"


# ---- registration --------------------------------------------------------------------------


def test_register_returns_an_id_and_the_device_joins_the_user(client):
    _, device_id = device(client, "tui-laptop")
    assert DEVICE_RE.fullmatch(device_id)
    check = client.post("/users/validate.json", data={"token": DEMO_TOKEN, "user": DEMO_USER})
    assert "tui-laptop" in check.json()["devices"]


@pytest.mark.parametrize(
    ("name", "os_", "field", "text"),
    [
        ("iphone", "O", "name", "has already been taken"),  # one of the account's devices
        ("bad name", "O", "name", "is invalid"),
        ("x" * 26, "O", "name", "is invalid"),
        ("", "O", "name", "is invalid"),
        ("tui-ok", "A", "os", "is invalid"),
    ],
)
def test_registration_errors_are_keyed_by_field(client, name, os_, field, text):
    secret = login(client).json()["secret"]
    response = client.post("/devices.json", data={"secret": secret, "name": name, "os": os_})
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 0 and body["request"]
    assert body["errors"][field] == [text]


def test_a_name_is_taken_once_registered(client):
    device(client, "tui-twice")
    secret = login(client).json()["secret"]
    response = client.post("/devices.json", data={"secret": secret, "name": "tui-twice", "os": "O"})
    assert response.json()["errors"] == {"name": ["has already been taken"]}


def test_registration_with_a_bad_secret(client):
    response = client.post("/devices.json", data={"secret": "nope", "name": "x", "os": "O"})
    assert response.status_code == 400 and response.json()["errors"] == {"secret": ["is invalid"]}


# ---- delivery, download, delete ------------------------------------------------------------


def test_every_message_to_the_user_reaches_each_device_with_its_own_id(client):
    one, two = device(client, "tui-one"), device(client, "tui-two")
    send(client, title="Disk", priority=1, sound="siren", url="https://x.example", url_title="X")
    [first], [second] = download(client, *one), download(client, *two)
    assert first["id"] != second["id"] and first["umid"] == second["umid"]
    assert first["id_str"] == str(first["id"]) and first["umid_str"] == str(first["umid"])
    assert first["id"] > 2**53  # as large as Pushover's: exact only as a string in JavaScript
    assert (first["title"], first["message"], first["priority"]) == ("Disk", "hello", 1)
    assert (first["sound"], first["url"], first["url_title"]) == ("siren", "https://x.example", "X")
    assert first["app"] and first["icon"] and first["aid_str"] == str(first["aid"])
    assert first["acked"] == 0 and "receipt" not in first and "html" not in first


def test_device_targeting_and_other_users(client):
    mine = device(client, "tui-mine")
    send(client, device="iphone")  # not this device
    send(client, device="tui-mine,pixel", message="targeted")
    send(client, user=DEMO_2FA_USER, message="someone else")
    assert [m["message"] for m in download(client, *mine)] == ["targeted"]


def test_download_is_repeatable_and_delete_removes_up_to_the_id(client):
    session = device(client)
    for text in ("a", "b", "c"):
        send(client, message=text)
    messages = download(client, *session)
    assert download(client, *session) == messages  # downloading removes nothing
    assert [m["id"] for m in messages] == sorted(m["id"] for m in messages)
    assert delete(client, *session, messages[1]["id_str"]).json()["status"] == 1
    assert [m["message"] for m in download(client, *session)] == ["c"]
    assert delete(client, *session, messages[1]["id"]).status_code == 200  # idempotent
    assert delete(client, *session, messages[2]["id"]).status_code == 200
    assert download(client, *session) == []


def test_download_and_delete_errors(client):
    secret, device_id = device(client)
    _, other_device = device(client, "tui-2fa", email=DEMO_2FA_EMAIL)
    bad_secret = client.get("/messages.json", params={"secret": "x", "device_id": device_id})
    assert bad_secret.status_code == 403 and bad_secret.json()["secret"] == "invalid"
    foreign = client.get("/messages.json", params={"secret": secret, "device_id": other_device})
    assert foreign.status_code == 400 and foreign.json()["status"] == 0
    assert delete(client, secret, device_id, "12ab").json()["message"] == "invalid"
    assert delete(client, secret, device_id, "9" * 5000).json()["message"] == "invalid"
    assert delete(client, secret, other_device, 1).status_code == 400
    assert delete(client, "nope", device_id, 1).status_code == 403


def test_html_and_timestamp_are_carried(client):
    session = device(client)
    send(client, message="<b>x</b>", html=1, timestamp=1409605784)
    [message] = download(client, *session)
    assert message["html"] == 1 and message["date"] == 1409605784


# ---- acknowledge ---------------------------------------------------------------------------


def test_acknowledging_makes_the_receipt_name_the_device_and_user(client):
    secret, device_id = device(client, "tui-oncall")
    receipt = send(client, priority=2, retry=30, expire=600).json()["receipt"]
    [message] = download(client, secret, device_id)
    assert message["receipt"] == receipt and message["acked"] == 0
    answer = client.post(f"/receipts/{receipt}/acknowledge.json", data={"secret": secret})
    assert answer.status_code == 200 and answer.json()["status"] == 1
    state = client.get(f"/receipts/{receipt}.json", params={"token": DEMO_TOKEN}).json()
    assert state["acknowledged"] == 1
    assert state["acknowledged_by"] == DEMO_USER
    assert state["acknowledged_by_device"] == "tui-oncall"
    assert download(client, secret, device_id)[0]["acked"] == 1


def test_acknowledge_errors(client):
    secret, _ = device(client)
    other_secret, _ = device(client, "tui-2fa", email=DEMO_2FA_EMAIL)
    receipt = send(client, priority=2, retry=30, expire=600).json()["receipt"]
    bad_secret = client.post(f"/receipts/{receipt}/acknowledge.json", data={"secret": "x"})
    assert bad_secret.status_code == 403
    not_theirs = client.post(f"/receipts/{receipt}/acknowledge.json", data={"secret": other_secret})
    assert not_theirs.status_code == 400 and not_theirs.json()["receipt"] == "not found"
    unknown = client.post("/receipts/" + "r" * 30 + "/acknowledge.json", data={"secret": secret})
    assert unknown.status_code == 400


# ---- the websocket -------------------------------------------------------------------------


def test_websocket_login_then_new_message_frame(sim, client):
    session = device(client)
    with socket_for(sim, *session) as ws:
        send(client)
        assert frames_until(ws, b"!")[-1] == b"!"


def test_login_frame_without_newline_is_accepted(sim, client):
    session = device(client)
    with socket_for(sim, *session, newline=False) as ws:
        send(client)
        frames_until(ws, b"!")


def test_bad_login_gets_e_then_close(sim, client):
    secret, device_id = device(client)
    for frame in (f"login:{device_id}:wrong", f"login:nodevice:{secret}", "hello"):
        with connect(sim.websocket_url, open_timeout=WAIT) as ws:
            ws.send(frame)
            assert ws.recv(timeout=WAIT) == b"E"
            with pytest.raises(ConnectionClosed):
                ws.recv(timeout=WAIT)


def test_a_second_login_of_the_device_sends_a_to_the_first(sim, client):
    session = device(client)
    with socket_for(sim, *session) as first:
        before = sim.sockets()
        with connect(sim.websocket_url, open_timeout=WAIT) as second:
            second.send("login:{1}:{0}\n".format(*session))
            assert frames_until(first, b"A")[-1] == b"A"
            with pytest.raises(ConnectionClosed):
                first.recv(timeout=WAIT)
            assert sim.sockets() == before  # the newer one is the device's socket now
            send(client)
            frames_until(second, b"!")


def test_control_frames_reload_error_and_drop(sim, client):
    session = device(client, "tui-ctl")
    with socket_for(sim, *session) as ws:
        assert sim.push_frame("R", device="tui-ctl") == 1
        assert frames_until(ws, b"R")[-1] == b"R"
        assert sim.push_frame("#") == 1
        frames_until(ws, b"#")
        assert sim.push_frame("drop") == 1
        with pytest.raises(ConnectionClosed):
            while True:
                ws.recv(timeout=WAIT)
    with pytest.raises(ValueError):
        sim.push_frame("x")


def test_control_endpoint_pushes_frames(sim, client):
    session = device(client, "tui-ctl")
    with socket_for(sim, *session) as ws:
        pushed = httpx.post(f"{sim.root_url}/_sim/push", data={"frame": "R"}, verify=TLS)
        assert pushed.json()["sockets"] == 1
        frames_until(ws, b"R")
    bad = httpx.post(f"{sim.root_url}/_sim/push", data={"frame": "Z"}, verify=TLS)
    assert bad.status_code == 400


def test_disabling_a_device_sends_e_and_refuses_its_calls(sim, client):
    session = device(client, "tui-off")
    with socket_for(sim, *session) as ws:
        send(client)
        frames_until(ws, b"!")
        assert sim.sockets("tui-off") == 1
        assert sim.disable_device("tui-off") == 1
        frames_until(ws, b"E")
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=WAIT)
    response = client.get("/messages.json", params={"secret": session[0], "device_id": session[1]})
    assert response.status_code == 400 and response.json()["status"] == 0
    send(client)
    assert sim.queued("tui-off") == 1  # the one before; nothing more reached it


def test_keepalive_frames_come_every_interval(client):
    with Simulator(keepalive=0.05) as sim:
        with httpx.Client(verify=TLS, base_url=sim.base_url, timeout=5) as own:
            session = device(own)
        with socket_for(sim, *session) as ws:
            assert [ws.recv(timeout=WAIT) for _ in range(3)] == [b"#", b"#", b"#"]
            ws.ping().wait(WAIT)  # and pings are answered


def test_plain_get_on_the_websocket_path_asks_for_an_upgrade(sim):
    response = httpx.get(f"{sim.root_url}/push", verify=TLS)
    assert response.status_code == 426 and response.json()["status"] == 0
    assert httpx.post(f"{sim.root_url}/push", verify=TLS).status_code == 405


def test_login_frame_sent_together_with_the_handshake(sim, client):
    """A client may send its first frame without waiting for the 101: it must not be lost."""
    secret, device_id = device(client)
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET /push HTTP/1.1\r\nHost: {sim.host}:{sim.port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()
    payload = f"login:{device_id}:{secret}\n".encode()
    mask = os.urandom(4)
    frame = bytes([0x81, 0x80 | len(payload)]) + mask
    frame += bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    with socket.create_connection((sim.host, sim.port), timeout=WAIT) as raw:
        raw.sendall(request + frame)
        wait_for(lambda: sim.sockets() == 1)
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += raw.recv(4096)
        head, _, rest = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101")
        send(client)
        while b"\x82\x01!" not in rest:  # a binary frame holding "!"
            rest += raw.recv(4096)


def test_the_request_log_hides_device_ids(sim, client):
    secret, device_id = device(client)
    delete(client, secret, device_id, 1)
    paths = [record.path for record in sim.requests]
    assert "/1/devices/***/update_highest_message.json" in paths
    assert not any(device_id in path for path in paths)


def test_thousands_of_fragments_in_one_read_are_one_message() -> None:
    from pushover_tui.simulator.websocket import OP_CONTINUATION, OP_TEXT, FrameReader

    def masked(opcode: int, payload: bytes, *, final: bool) -> bytes:
        mask = b"\x01\x02\x03\x04"
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        return bytes([(0x80 if final else 0) | opcode, 0x80 | len(payload)]) + mask + body

    stream = masked(OP_TEXT, b"l", final=False)
    stream += masked(OP_CONTINUATION, b"", final=False) * 5000  # past the recursion limit
    stream += masked(OP_CONTINUATION, b"ogin", final=True)
    assert FrameReader().feed(stream) == [(OP_TEXT, b"login")]


@pytest.mark.parametrize("seconds", [0, -1])
def test_keepalive_must_be_above_zero(sim, seconds):
    with pytest.raises(ValueError, match="keepalive must be above 0"):
        sim.keepalive = seconds
