"""OpenClient against respx: every Open Client call, both error shapes, the two-factor step,
secrets kept out of errors and logs; the backoff, websocket URLs and message parsing as units."""

from __future__ import annotations

import logging
import ssl
import traceback
from urllib.parse import parse_qs

import httpx
import pytest
import respx
from hypothesis import given
from hypothesis import strategies as st

from pushover_tui.api.errors import (
    APIError,
    ConfigurationError,
    FieldProblemsError,
    RejectedError,
    SessionInvalidError,
    TemporaryError,
    TwoFactorRequiredError,
    UnexpectedResponseError,
)
from pushover_tui.api.inbox import ReceivedMessage
from pushover_tui.api.open_client import (
    DEFAULT_WEBSOCKET_URL,
    OpenClient,
    check_websocket_url,
    websocket_url_for,
)
from pushover_tui.api.secret import Secret, redact
from pushover_tui.backoff import Backoff

API = "https://api.pushover.net/1"
PASSWORD = "SENTINEL-password-Kq7Zx"
SECRET = "SENTINELsecretAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
DEVICE = "SENTINELdeviceBBBBBBBBBBBBBBBBBBBBBBBBBB"
USER = "uQiRzpo4DXghDmr9QzzfQu27cmVRsG"
RECEIPT = "rcptQiRzpo4DXghDmr9QzzfQu27cmV"
REQUEST = "7df577c3-da18-4fb3-898b-c1ab4985633b"
SENTINELS = (PASSWORD, SECRET, DEVICE)
# The fact sheet's example message (ids beyond 2**53).
EXAMPLE = {
    "id": 380698801670733826,
    "id_str": "380698801670733826",
    "umid": 380698801670733826,
    "umid_str": "380698801670733826",
    "title": "Backup finished",
    "message": "Nightly backup completed",
    "app": "Backup",
    "aid": 380698715771387905,
    "aid_str": "380698715771387905",
    "icon": "HopmnR5uQ4cmXen",
    "date": 1409605784,
    "priority": 0,
    "acked": 0,
}
_SSL = ssl.create_default_context()


class FakeSleep:
    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
async def client():
    async with OpenClient(
        transport=httpx.AsyncHTTPTransport(verify=_SSL), sleep=FakeSleep()
    ) as client:
        yield client


@pytest.fixture
def api():
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        yield router


def form_of(request: httpx.Request) -> dict[str, str]:
    parsed = parse_qs(request.content.decode(), keep_blank_values=True, strict_parsing=True)
    return {key: values[0] for key, values in parsed.items()}


def assert_no_secret(exc: BaseException) -> None:
    texts = [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    if isinstance(exc, APIError):
        texts += [repr(exc.errors), repr(exc.fields)]
    for text in texts:
        for secret in SENTINELS:
            assert secret[:12] not in text, text


# -- login -----------------------------------------------------------------------------------


async def test_login_posts_email_and_password_and_returns_the_session(client, api):
    route = api.post(f"{API}/users/login.json").respond(
        json={"status": 1, "request": REQUEST, "id": USER, "secret": SECRET}
    )
    login = await client.login("me@example.com", Secret(PASSWORD))
    assert form_of(route.calls.last.request) == {"email": "me@example.com", "password": PASSWORD}
    assert login.secret.reveal() == SECRET and login.user.reveal() == USER
    assert SECRET not in repr(login) and USER not in repr(login)


async def test_login_412_asks_for_the_code_then_sends_it(client, api):
    needs_code = httpx.Response(412, json={"status": 0, "errors": ["2fa required"]})
    route = api.post(f"{API}/users/login.json").mock(
        side_effect=[needs_code, httpx.Response(200, json={"status": 1, "secret": SECRET})]
    )
    with pytest.raises(TwoFactorRequiredError, match="two-factor") as caught:
        await client.login("me@example.com", Secret(PASSWORD))
    assert caught.value.status_code == 412
    assert isinstance(caught.value, RejectedError)  # exit code 3 when it is not answered
    login = await client.login("me@example.com", Secret(PASSWORD), " 123456 ")
    assert form_of(route.calls.last.request)["twofa"] == "123456"
    assert login.secret.reveal() == SECRET


async def test_login_412_with_a_code_says_the_code_was_refused(client, api):
    api.post(f"{API}/users/login.json").respond(412, json={"status": 0})
    with pytest.raises(TwoFactorRequiredError, match="not accepted"):
        await client.login("me@example.com", Secret(PASSWORD), "000000")


async def test_wrong_password_is_rejected_without_the_password_in_the_error(client, api):
    # A server that echoes the password back: the error must not repeat it.
    api.post(f"{API}/users/login.json").respond(
        400, json={"status": 0, "errors": [f"invalid password {PASSWORD}"], "request": REQUEST}
    )
    with pytest.raises(RejectedError) as caught:
        await client.login("me@example.com", Secret(PASSWORD))
    assert REQUEST in str(caught.value)
    assert_no_secret(caught.value)


async def test_login_without_a_secret_is_unexpected(client, api):
    api.post(f"{API}/users/login.json").respond(json={"status": 1, "id": USER})
    with pytest.raises(UnexpectedResponseError):
        await client.login("me@example.com", Secret(PASSWORD))


# -- registration ----------------------------------------------------------------------------


async def test_register_posts_name_and_os_o(client, api):
    route = api.post(f"{API}/devices.json").respond(json={"status": 1, "id": DEVICE})
    device = await client.register_device(Secret(SECRET), "tui-laptop")
    assert form_of(route.calls.last.request) == {"name": "tui-laptop", "os": "O", "secret": SECRET}
    assert device.reveal() == DEVICE


@pytest.mark.parametrize("name", ["", "has space", "x" * 26, "ünï", "a,b"])
async def test_register_checks_the_name_before_any_request(client, api, name):
    with pytest.raises(FieldProblemsError) as caught:
        await client.register_device(Secret(SECRET), name)
    assert caught.value.problems[0].field == "device_name"
    assert not api.calls


async def test_name_taken_is_read_from_the_object_shaped_errors(client, api):
    api.post(f"{API}/devices.json").respond(
        400,
        json={"errors": {"name": ["has already been taken"]}, "status": 0, "request": REQUEST},
    )
    with pytest.raises(RejectedError) as caught:
        await client.register_device(Secret(SECRET), "tui-laptop")
    text = str(caught.value)
    assert "'tui-laptop'" in text and "has already been taken" in text and "another" in text
    assert "remove the device of that name" in text
    assert "{" not in text  # not a dict's repr
    assert not isinstance(caught.value, SessionInvalidError)


async def test_bad_secret_on_registration_means_log_in_again(client, api):
    api.post(f"{API}/devices.json").respond(
        400, json={"errors": {"secret": ["is invalid"]}, "status": 0}
    )
    with pytest.raises(SessionInvalidError, match="log in again") as caught:
        await client.register_device(Secret(SECRET), "tui-laptop")
    assert_no_secret(caught.value)


async def test_other_registration_errors_array_shape(client, api):
    api.post(f"{API}/devices.json").respond(
        400, json={"errors": ["too many devices"], "status": 0, "request": REQUEST}
    )
    with pytest.raises(RejectedError, match="too many devices"):
        await client.register_device(Secret(SECRET), "tui-laptop")


# -- download, delete, acknowledge -----------------------------------------------------------


async def test_download_sends_secret_and_device_in_the_query_and_parses_exactly(client, api):
    later = {**EXAMPLE, "id": 380698801670733830, "id_str": "380698801670733830"}
    route = api.get(f"{API}/messages.json").respond(
        json={"status": 1, "messages": [later, EXAMPLE, {"no": "id"}], "request": REQUEST}
    )
    messages = await client.download(Secret(SECRET), Secret(DEVICE))
    query = parse_qs(route.calls.last.request.url.query.decode())
    assert query == {"secret": [SECRET], "device_id": [DEVICE]}
    assert [m.id for m in messages] == [380698801670733826, 380698801670733830]  # oldest first
    first = messages[0]
    assert (first.title, first.app, first.aid, first.date) == (
        "Backup finished",
        "Backup",
        380698715771387905,
        1409605784,
    )


@pytest.mark.parametrize("status", [400, 403, 404])
async def test_download_refused_means_the_session_is_invalid(client, api, status):
    api.get(f"{API}/messages.json").respond(
        status, json={"status": 0, "secret": "invalid", "errors": [f"secret {SECRET} invalid"]}
    )
    with pytest.raises(SessionInvalidError) as caught:
        await client.download(Secret(SECRET), Secret(DEVICE))
    assert_no_secret(caught.value)


async def test_download_server_error_is_temporary_and_redacted(client, api):
    api.get(f"{API}/messages.json").respond(500, text=f"boom secret={SECRET} on {DEVICE}")
    with pytest.raises(TemporaryError) as caught:
        await client.download(Secret(SECRET), Secret(DEVICE))
    assert caught.value.attempts == 3
    assert_no_secret(caught.value)


async def test_delete_puts_the_device_in_the_path_and_the_exact_id_in_the_form(client, api):
    route = api.post(f"{API}/devices/{DEVICE}/update_highest_message.json").respond(
        json={"status": 1}
    )
    await client.delete_up_to(Secret(SECRET), Secret(DEVICE), 380698801670733826)
    assert form_of(route.calls.last.request) == {"message": "380698801670733826", "secret": SECRET}


async def test_acknowledge_posts_the_secret(client, api):
    route = api.post(f"{API}/receipts/{RECEIPT}/acknowledge.json").respond(json={"status": 1})
    await client.acknowledge(Secret(SECRET), RECEIPT)
    assert form_of(route.calls.last.request) == {"secret": SECRET}


async def test_acknowledge_checks_the_receipt_first(client, api):
    with pytest.raises(FieldProblemsError):
        await client.acknowledge(Secret(SECRET), "../../users/login")
    assert not api.calls


async def test_acknowledge_unknown_receipt_is_rejected_not_a_session_problem(client, api):
    api.post(f"{API}/receipts/{RECEIPT}/acknowledge.json").respond(
        400, json={"status": 0, "receipt": "not found", "errors": ["receipt not found"]}
    )
    with pytest.raises(RejectedError) as caught:
        await client.acknowledge(Secret(SECRET), RECEIPT)
    assert not isinstance(caught.value, SessionInvalidError)


async def test_no_app_token_is_sent(client, api):
    route = api.post(f"{API}/receipts/{RECEIPT}/acknowledge.json").respond(json={"status": 1})
    await client.acknowledge(Secret(SECRET), RECEIPT)
    assert "token" not in form_of(route.calls.last.request)


def test_logged_urls_and_frames_are_redacted():
    line = (
        f"GET {API}/messages.json?secret={SECRET}&device_id={DEVICE} "
        f"POST {API}/devices/{DEVICE}/update_highest_message.json "
        f"> TEXT 'login:{DEVICE}:{SECRET}\\n'"
    )
    redacted = redact(line)
    for secret in SENTINELS:
        assert secret not in redacted
    assert "/devices/***/update_highest_message.json" in redacted


async def test_httpx_log_lines_never_show_the_session(client, api, caplog):
    caplog.set_level(logging.INFO, logger="httpx")
    logging.getLogger("httpx").setLevel(logging.INFO)
    try:
        api.get(f"{API}/messages.json").respond(json={"status": 1, "messages": []})
        api.post(f"{API}/devices/{DEVICE}/update_highest_message.json").respond(json={"status": 1})
        await client.download(Secret(SECRET), Secret(DEVICE))
        await client.delete_up_to(Secret(SECRET), Secret(DEVICE), 1)
    finally:
        logging.getLogger("httpx").setLevel(logging.WARNING)
    for record in caplog.records:
        for secret in SENTINELS:
            assert secret not in record.getMessage()


# -- units -----------------------------------------------------------------------------------


@given(st.integers(min_value=0, max_value=200), st.floats(min_value=0, max_value=1))
def test_backoff_grows_to_its_limit_with_jitter_in_the_upper_half(failures, draw):
    backoff = Backoff(first=1.0, limit=60.0)
    ceiling = min(60.0, 2.0**failures)
    delay = backoff.delay(failures, lambda: draw)
    assert ceiling / 2 <= delay <= ceiling
    assert backoff.delay(failures, lambda: 0.0) <= backoff.delay(failures + 1, lambda: 0.0)


def test_backoff_jitter_spreads_clients():
    backoff = Backoff()
    assert backoff.delay(3, lambda: 0.0) != backoff.delay(3, lambda: 1.0)


@pytest.mark.parametrize(
    ("api_url", "expected"),
    [
        ("https://api.pushover.net/1", DEFAULT_WEBSOCKET_URL),
        ("http://127.0.0.1:8765/1", "ws://127.0.0.1:8765/push"),
        ("http://[::1]:9000/1", "ws://[::1]:9000/push"),
        ("https://pushover.example.org/1", "wss://pushover.example.org/push"),
    ],
)
def test_websocket_url_is_derived_from_the_api_url(api_url, expected):
    assert websocket_url_for(api_url) == expected
    assert OpenClient(base_url=api_url).websocket_url == expected


@pytest.mark.parametrize("url", ["ws://example.com/push", "http://127.0.0.1/push", "wss://", ""])
def test_unsafe_websocket_urls_are_refused(url):
    with pytest.raises(ConfigurationError, match="wss://"):
        check_websocket_url(url)


def test_an_explicit_websocket_url_wins():
    client = OpenClient(base_url="http://127.0.0.1:1/1", websocket_url="ws://localhost:2/x")
    assert client.websocket_url == "ws://localhost:2/x"


def test_received_message_prefers_exact_string_ids_and_fills_defaults():
    rounded = {**EXAMPLE, "id": 380698801670733800.0}  # what a float-only reader would keep
    message = ReceivedMessage.from_api(rounded)
    assert message is not None and message.id == 380698801670733826
    data = message.to_json()
    for name in ("sound", "url", "url_title", "receipt", "html", "acked", "aid_str"):
        assert name in data
    assert data["id"] == 380698801670733826 and data["id_str"] == "380698801670733826"
    bare = ReceivedMessage.from_api({"id": 5, "message": "x", "priority": "2", "receipt": "r"})
    assert bare is not None and bare.umid == 5 and bare.shown_title == "" and bare.awaits_ack
    assert ReceivedMessage.from_api({"id": "not a number"}) is None


@given(
    st.dictionaries(
        st.sampled_from([*sorted(EXAMPLE), "html", "receipt"]),
        st.none() | st.booleans() | st.integers() | st.text() | st.floats(),
    )
)
def test_received_message_never_crashes_on_odd_values(data):
    message = ReceivedMessage.from_api(data)
    if message is not None:
        message.to_json()
