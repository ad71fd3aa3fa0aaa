"""PushoverClient against respx: every endpoint, every error path, retries, secrets."""

from __future__ import annotations

import email
import email.policy
import ssl
import traceback
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from pushover_tui.api.client import (
    DEFAULT_RETRIES,
    RETRY_GAP,
    PushoverClient,
    check_base_url,
    quota_from_headers,
)
from pushover_tui.api.errors import (
    APIError,
    ConfigurationError,
    FieldProblemsError,
    PushoverError,
    QuotaExceededError,
    RejectedError,
    TemporaryError,
    UnexpectedResponseError,
)
from pushover_tui.api.models import Attachment, Message, Priority, Quota, ReceiptState
from pushover_tui.api.secret import Secret

TOKEN = "SENTINELtokenAAAAAAAAAAAAAAAAA"
USER = "SENTINELuserBBBBBBBBBBBBBBBBBB"
RECEIPT = "rcptQiRzpo4DXghDmr9QzzfQu27cmV"
REQUEST_ID = "5042853c-402d-4a18-abcb-168734a801de"
API = "https://api.pushover.net/1"
MESSAGES = f"{API}/messages.json"
OK = {"status": 1, "request": REQUEST_ID}

BAD_USER = {"user": "invalid", "errors": ["user identifier is invalid"], "status": 0}
BAD_TOKEN = {"token": "invalid", "errors": ["application token is invalid"], "status": 0}
BAD_RETRY = {
    "retry": "is too small, must be at least 30 seconds",
    "errors": ["retry is invalid"],
    "status": 0,
}
BAD_EXPIRE = {
    "expire": "must be supplied with priority=2",
    "errors": ["expire must be supplied with priority=2"],
    "status": 0,
}


class FakeSleep:
    """Records every pause the client asks for, without waiting."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleep() -> FakeSleep:
    return FakeSleep()


# Building an SSL context loads the CA bundle (~40 ms): share one verifying context between the
# test clients. respx patches the transport class, so requests still go to the mocks.
# test_tls_verification_is_on checks the client's own default transport instead.
_SSL = ssl.create_default_context()


def make_client(**options) -> PushoverClient:
    options.setdefault("transport", httpx.AsyncHTTPTransport(verify=_SSL))
    return PushoverClient(options.pop("token", Secret(TOKEN)), **options)


@pytest.fixture
async def client(sleep: FakeSleep):
    async with make_client(sleep=sleep) as client:
        yield client


@pytest.fixture
def api():
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        yield router


def form_of(request: httpx.Request) -> dict[str, str]:
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    parsed = parse_qs(request.content.decode(), keep_blank_values=True, strict_parsing=True)
    assert all(len(values) == 1 for values in parsed.values()), parsed
    return {key: values[0] for key, values in parsed.items()}


def multipart_of(
    request: httpx.Request,
) -> tuple[dict[str, str], dict[str, tuple[str, str, bytes]]]:
    """(plain fields, files as name -> (filename, content type, bytes))."""
    content_type = request.headers["content-type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    raw = f"Content-Type: {content_type}\r\n\r\n".encode() + request.read()
    parsed = email.message_from_bytes(raw, policy=email.policy.HTTP)
    fields: dict[str, str] = {}
    files: dict[str, tuple[str, str, bytes]] = {}
    for part in parsed.iter_parts():
        name = part.get_param("name", header="content-disposition")
        filename = part.get_filename()
        payload = part.get_payload(decode=True)
        if filename is None:
            fields[name] = payload.decode()
        else:
            files[name] = (filename, part.get_content_type(), payload)
    return fields, files


def assert_no_secret(exc: BaseException, secrets: tuple[str, ...] = (TOKEN, USER)) -> None:
    texts = [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    if isinstance(exc, APIError):
        texts += [repr(exc.errors), repr(exc.fields)]
    for text in texts:
        for secret in secrets:
            assert secret[:12] not in text, text  # not even a truncated piece


# -- base URL and TLS ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://api.pushover.net/1",
        "https://api.pushover.net/1/",
        "https://example.com:8443/x",
        "http://127.0.0.1:8080/1",
        "http://127.9.8.7/1",
        "http://localhost:9000/1",
        "http://LOCALHOST/1",
        "http://[::1]:8080/1",
    ],
)
def test_base_url_accepted(url: str) -> None:
    assert check_base_url(url) == url.rstrip("/")


@pytest.mark.parametrize(
    "url",
    [
        "http://api.pushover.net/1",
        "http://10.0.0.1/1",
        "http://192.168.1.1/1",
        "http://[::2]/1",
        "http://localhost.evil.com/1",
        "http://127.0.0.1.nip.io/1",
        "http://127.0.0.1@evil.com/1",
        "ftp://127.0.0.1/1",
        "api.pushover.net/1",
        "https://",
        "",
        "http://[::1",
        "https://[::1",
    ],
)
def test_base_url_rejected(url: str) -> None:
    with pytest.raises(ConfigurationError):
        check_base_url(url)


def test_base_url_error_redacts_token() -> None:
    with pytest.raises(ConfigurationError) as info:
        check_base_url(f"ftp://host/x?token={TOKEN}")
    assert_no_secret(info.value)


def test_client_refuses_unsafe_base_url() -> None:
    with pytest.raises(ConfigurationError):
        PushoverClient(TOKEN, base_url="http://example.com/1")


async def test_tls_verification_is_on() -> None:
    client = PushoverClient(TOKEN)
    # Private attributes of httpx 0.28 / httpcore 1.0: the transport's connection pool keeps
    # the SSL context every connection uses.
    transport = client._http._transport
    context = transport._pool._ssl_context
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True
    for mounted in client._http._mounts.values():  # proxies from HTTP(S)_PROXY
        if mounted is not None:
            assert mounted._pool._ssl_context.verify_mode == ssl.CERT_REQUIRED
    assert client._http.follow_redirects is False
    await client.aclose()


# -- send: the exact form ------------------------------------------------------------------


async def test_send_minimal_form(client: PushoverClient, api: respx.Router) -> None:
    route = api.post(MESSAGES).respond(200, json=OK)
    result = await client.send(Secret(USER), Message("hello"))
    assert result.request == REQUEST_ID
    assert result.receipt is None
    assert result.quota == Quota()
    assert form_of(route.calls.last.request) == {"token": TOKEN, "user": USER, "message": "hello"}
    assert route.calls.last.request.headers["user-agent"].startswith("pushover-tui/")


async def test_send_accepts_bare_string_user(client: PushoverClient, api: respx.Router) -> None:
    route = api.post(MESSAGES).respond(200, json=OK)
    await client.send(USER, Message("hello"))
    assert form_of(route.calls.last.request)["user"] == USER


async def test_send_every_field_below_emergency(client: PushoverClient, api: respx.Router) -> None:
    route = api.post(MESSAGES).respond(200, json=OK)
    message = Message(
        "<b>hi</b> 👍",
        title="Title é",
        url="https://example.com/a?b=c&d=e",
        url_title="site",
        priority=Priority.HIGH,
        sound="bike",
        device="phone,tablet",
        timestamp=1_700_000_000,
        ttl=3600,
        html=True,
        retry=60,
        expire=3600,
        callback="https://example.com/cb",
        tags=("a", "b"),
    )
    await client.send(USER, message)
    assert form_of(route.calls.last.request) == {
        "token": TOKEN,
        "user": USER,
        "message": "<b>hi</b> 👍",
        "title": "Title é",
        "url": "https://example.com/a?b=c&d=e",
        "url_title": "site",
        "priority": "1",
        "sound": "bike",
        "device": "phone,tablet",
        "timestamp": "1700000000",
        "ttl": "3600",
        "html": "1",
    }


async def test_send_monospace(client: PushoverClient, api: respx.Router) -> None:
    route = api.post(MESSAGES).respond(200, json=OK)
    await client.send(USER, Message("x", monospace=True, sound="", device="", title=""))
    form = form_of(route.calls.last.request)
    assert form["monospace"] == "1"
    assert not {"html", "sound", "device", "title", "priority", "ttl"} & set(form)


async def test_send_emergency(client: PushoverClient, api: respx.Router) -> None:
    route = api.post(MESSAGES).respond(
        200,
        json={**OK, "receipt": RECEIPT},
        headers={
            "X-Limit-App-Limit": "10000",
            "X-Limit-App-Remaining": "9876",
            "X-Limit-App-Reset": "1751349600",
        },
    )
    message = Message(
        "fire",
        priority=Priority.EMERGENCY,
        retry=30,
        expire=10_800,
        ttl=60,
        callback="https://example.com/cb",
        tags=("db", "prod"),
    )
    result = await client.send(USER, message)
    assert result.receipt == RECEIPT
    assert result.quota == Quota(limit=10_000, remaining=9876, reset=1_751_349_600)
    form = form_of(route.calls.last.request)
    assert form["priority"] == "2"
    assert form["retry"] == "30" and form["expire"] == "10800"
    assert form["callback"] == "https://example.com/cb"
    assert form["tags"] == "db,prod"
    assert "ttl" not in form


async def test_send_emergency_without_optional_fields(
    client: PushoverClient, api: respx.Router
) -> None:
    route = api.post(MESSAGES).respond(200, json={**OK, "receipt": RECEIPT})
    await client.send(USER, Message("fire", priority=2, retry=60, expire=600))
    form = form_of(route.calls.last.request)
    assert not {"callback", "tags", "ttl"} & set(form)


async def test_send_attachment_from_path(
    client: PushoverClient, api: respx.Router, tmp_path: Path
) -> None:
    picture = tmp_path / "chart.png"
    data = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    picture.write_bytes(data)
    route = api.post(MESSAGES).respond(200, json=OK)
    await client.send(USER, Message("see chart", attachment=Attachment.from_path(picture)))
    fields, files = multipart_of(route.calls.last.request)
    assert fields == {"token": TOKEN, "user": USER, "message": "see chart"}
    assert files == {"attachment": ("chart.png", "image/png", data)}


async def test_send_attachment_from_bytes(client: PushoverClient, api: respx.Router) -> None:
    data = b"\xff\xd8\xff\xe0" + b"\x00\r\n--" * 100
    route = api.post(MESSAGES).respond(200, json=OK)
    attachment = Attachment.from_bytes(data, "photo.jpg", "image/jpeg")
    await client.send(USER, Message("photo", priority=1, attachment=attachment))
    fields, files = multipart_of(route.calls.last.request)
    assert fields == {"token": TOKEN, "user": USER, "message": "photo", "priority": "1"}
    assert files == {"attachment": ("photo.jpg", "image/jpeg", data)}


async def test_send_unreadable_attachment_sends_nothing(
    client: PushoverClient, api: respx.Router, tmp_path: Path
) -> None:
    route = api.post(MESSAGES).respond(200, json=OK)
    with pytest.raises(FieldProblemsError) as info:
        await client.send(USER, Message("x", attachment=Attachment.from_path(tmp_path / "no.png")))
    assert info.value.problems[0].field == "attachment"
    assert not route.called
    assert_no_secret(info.value)


async def test_send_refuses_an_attachment_that_grew_past_the_limit(
    client: PushoverClient, api: respx.Router, tmp_path: Path
) -> None:
    picture = tmp_path / "chart.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n")
    message = Message("see chart", attachment=Attachment.from_path(picture))
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(5_242_880))  # after the checks
    route = api.post(MESSAGES).respond(200, json=OK)
    with pytest.raises(FieldProblemsError, match="Pushover takes at most 5,242,880"):
        await client.send(USER, message)
    assert not route.called


# -- other endpoints -----------------------------------------------------------------------


async def test_validate_user(client: PushoverClient, api: respx.Router) -> None:
    route = api.post(f"{API}/users/validate.json").respond(
        200,
        json={**OK, "group": 0, "devices": ["phone", "tablet"], "licenses": ["Android", "iOS"]},
    )
    check = await client.validate_user(Secret(USER))
    assert check.devices == ("phone", "tablet")
    assert check.licenses == ("Android", "iOS")
    assert check.group is False
    assert check.request == REQUEST_ID
    assert form_of(route.calls.last.request) == {"token": TOKEN, "user": USER}


async def test_validate_user_with_device_and_group(
    client: PushoverClient, api: respx.Router
) -> None:
    route = api.post(f"{API}/users/validate.json").respond(
        200, json={**OK, "group": 1, "devices": [], "licenses": []}
    )
    check = await client.validate_user(USER, device="phone")
    assert check.group is True and check.devices == ()
    assert form_of(route.calls.last.request) == {"token": TOKEN, "user": USER, "device": "phone"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"user": "invalid", "errors": ["user key is invalid"], "status": 0}, "user"),
        (
            {
                "device": "invalid for this user",
                "errors": ["device name is not valid for user"],
                "status": 0,
            },
            "device",
        ),
    ],
)
async def test_validate_user_rejected(
    client: PushoverClient, api: respx.Router, body: dict, field: str
) -> None:
    api.post(f"{API}/users/validate.json").respond(400, json={**body, "request": REQUEST_ID})
    with pytest.raises(RejectedError) as info:
        await client.validate_user(USER, device="phone")
    assert field in info.value.fields
    assert info.value.errors == tuple(body["errors"])
    assert_no_secret(info.value)


async def test_sounds(client: PushoverClient, api: respx.Router) -> None:
    route = api.get(f"{API}/sounds.json").respond(
        200, json={"sounds": {"pushover": "Pushover (default)", "bike": "Bike"}, **OK}
    )
    assert await client.sounds() == {"pushover": "Pushover (default)", "bike": "Bike"}
    request = route.calls.last.request
    assert request.method == "GET"
    assert dict(request.url.params) == {"token": TOKEN}
    assert not request.content


async def test_sounds_without_a_list(client: PushoverClient, api: respx.Router) -> None:
    api.get(f"{API}/sounds.json").respond(200, json=OK)
    with pytest.raises(UnexpectedResponseError):
        await client.sounds()


async def test_limits(client: PushoverClient, api: respx.Router) -> None:
    route = api.get(f"{API}/apps/limits.json").respond(
        200, json={"limit": 10000, "remaining": 7496, "reset": 1393653600, **OK}
    )
    assert await client.limits() == Quota(limit=10000, remaining=7496, reset=1393653600)
    assert dict(route.calls.last.request.url.params) == {"token": TOKEN}


async def test_limits_partial_body(client: PushoverClient, api: respx.Router) -> None:
    api.get(f"{API}/apps/limits.json").respond(200, json={"limit": "x", **OK})
    assert await client.limits() == Quota()


async def test_receipt_awaiting(client: PushoverClient, api: respx.Router) -> None:
    route = api.get(f"{API}/receipts/{RECEIPT}.json").respond(
        200,
        json={
            **OK,
            "acknowledged": 0,
            "acknowledged_at": 0,
            "acknowledged_by": "",
            "acknowledged_by_device": "",
            "last_delivered_at": 1_700_000_100,
            "expired": 0,
            "expires_at": 1_700_003_600,
            "called_back": 0,
            "called_back_at": 0,
        },
    )
    receipt = await client.receipt(RECEIPT)
    assert receipt.state is ReceiptState.AWAITING
    assert receipt.last_delivered_at == 1_700_000_100
    assert receipt.expires_at == 1_700_003_600
    request = route.calls.last.request
    assert request.method == "GET"
    assert dict(request.url.params) == {"token": TOKEN}


async def test_receipt_acknowledged(client: PushoverClient, api: respx.Router) -> None:
    api.get(f"{API}/receipts/{RECEIPT}.json").respond(
        200,
        json={
            **OK,
            "acknowledged": 1,
            "acknowledged_at": 1_700_000_200,
            "acknowledged_by": "uQiRzpo4DXghDmr9QzzfQu27cmVRsG",
            "acknowledged_by_device": "phone",
            "last_delivered_at": 1_700_000_100,
            "expired": 0,
            "expires_at": 1_700_003_600,
            "called_back": 1,
            "called_back_at": 1_700_000_201,
        },
    )
    receipt = await client.receipt(RECEIPT)
    assert receipt.state is ReceiptState.ACKNOWLEDGED
    assert receipt.acknowledged_by == "uQiR" + "•" * 26  # a user key: masked
    assert receipt.acknowledged_by_device == "phone"
    assert receipt.called_back and receipt.called_back_at == 1_700_000_201


async def test_receipt_expired(client: PushoverClient, api: respx.Router) -> None:
    api.get(f"{API}/receipts/{RECEIPT}.json").respond(
        200, json={**OK, "acknowledged": 0, "expired": 1, "expires_at": 1_700_003_600}
    )
    assert (await client.receipt(RECEIPT)).state is ReceiptState.EXPIRED


async def test_receipt_not_found(client: PushoverClient, api: respx.Router) -> None:
    api.get(f"{API}/receipts/{RECEIPT}.json").respond(
        404,
        json={
            "receipt": "not found",
            "errors": ["receipt not found; may be invalid or expired"],
            "status": 0,
            "request": REQUEST_ID,
        },
    )
    with pytest.raises(RejectedError) as info:
        await client.receipt(RECEIPT)
    assert info.value.fields == {"receipt": "not found"}
    assert info.value.status_code == 404
    assert_no_secret(info.value)


@pytest.mark.parametrize("bad", ["", "short", RECEIPT + "x", "../../apps/limits" + "x" * 13])
async def test_bad_receipt_is_not_sent(client: PushoverClient, api: respx.Router, bad) -> None:
    with pytest.raises(FieldProblemsError):
        await client.receipt(bad)
    with pytest.raises(FieldProblemsError):
        await client.cancel_receipt(bad)
    assert not api.calls


async def test_cancel_receipt(client: PushoverClient, api: respx.Router) -> None:
    route = api.post(f"{API}/receipts/{RECEIPT}/cancel.json").respond(200, json=OK)
    assert await client.cancel_receipt(RECEIPT) == REQUEST_ID
    assert form_of(route.calls.last.request) == {"token": TOKEN}


async def test_cancel_by_tag(client: PushoverClient, api: respx.Router) -> None:
    route = api.post(f"{API}/receipts/cancel_by_tag/db%2Fprod.json").respond(
        200, json={**OK, "canceled": 2}
    )
    assert await client.cancel_by_tag("db/prod") == 2
    assert form_of(route.calls.last.request) == {"token": TOKEN}


@pytest.mark.parametrize("tag", ["", "a,b"])
async def test_cancel_by_bad_tag(client: PushoverClient, api: respx.Router, tag: str) -> None:
    with pytest.raises(FieldProblemsError):
        await client.cancel_by_tag(tag)
    assert not api.calls


# -- refusals -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [(BAD_USER, "user"), (BAD_TOKEN, "token"), (BAD_RETRY, "retry"), (BAD_EXPIRE, "expire")],
)
async def test_400_is_rejected_with_details(
    client: PushoverClient, api: respx.Router, sleep: FakeSleep, body: dict, field: str
) -> None:
    route = api.post(MESSAGES).respond(400, json={**body, "request": REQUEST_ID})
    with pytest.raises(RejectedError) as info:
        await client.send(USER, Message("x"))
    error = info.value
    assert error.status_code == 400
    assert error.fields == {field: body[field]}
    assert error.errors == tuple(body["errors"])
    assert error.request_id == REQUEST_ID
    assert body["errors"][0] in str(error)
    assert REQUEST_ID in str(error)
    assert route.call_count == 1 and sleep.calls == []
    assert_no_secret(error)


async def test_200_with_status_0_is_rejected(client: PushoverClient, api: respx.Router) -> None:
    api.post(MESSAGES).respond(200, json={**BAD_USER, "request": REQUEST_ID})
    with pytest.raises(RejectedError) as info:
        await client.send(USER, Message("x"))
    assert info.value.status_code == 200
    assert info.value.fields == {"user": "invalid"}
    assert info.value.request_id == REQUEST_ID


async def test_429_is_quota_not_a_bad_token(
    client: PushoverClient, api: respx.Router, sleep: FakeSleep
) -> None:
    route = api.post(MESSAGES).respond(
        429,
        json={**BAD_TOKEN, "request": REQUEST_ID},
        headers={
            "X-Limit-App-Limit": "10000",
            "X-Limit-App-Remaining": "0",
            "X-Limit-App-Reset": "1751349600",
        },
    )
    with pytest.raises(QuotaExceededError) as info:
        await client.send(USER, Message("x"))
    error = info.value
    assert not isinstance(error, RejectedError)
    assert error.status_code == 429
    assert error.reset == 1_751_349_600
    assert error.request_id == REQUEST_ID
    assert route.call_count == 1 and sleep.calls == []
    assert_no_secret(error)


async def test_429_without_json_keeps_reset(client: PushoverClient, api: respx.Router) -> None:
    api.post(MESSAGES).respond(
        429, text="<html>Too Many Requests</html>", headers={"X-Limit-App-Reset": "1751349600"}
    )
    with pytest.raises(QuotaExceededError) as info:
        await client.send(USER, Message("x"))
    assert info.value.reset == 1_751_349_600


async def test_429_with_malformed_reset(client: PushoverClient, api: respx.Router) -> None:
    api.post(MESSAGES).respond(429, json=BAD_TOKEN, headers={"X-Limit-App-Reset": "soon"})
    with pytest.raises(QuotaExceededError) as info:
        await client.send(USER, Message("x"))
    assert info.value.reset is None


@pytest.mark.parametrize("status", [200, 201])
async def test_non_json_success_is_unexpected(
    client: PushoverClient, api: respx.Router, sleep: FakeSleep, status: int
) -> None:
    page = "<html><body>" + "Captive portal: please log in. " * 50 + "</body></html>"
    route = api.post(MESSAGES).respond(status, text=page)
    with pytest.raises(UnexpectedResponseError) as info:
        await client.send(USER, Message("x"))
    error = info.value
    assert error.status_code == status
    assert f"HTTP {status}" in str(error)
    assert "Captive portal" in str(error) and "web page" in str(error)
    assert "<" not in str(error)  # the page's words, never its markup
    assert len(str(error)) < 250  # an excerpt, not the whole page
    assert route.call_count == 1 and sleep.calls == []


async def test_an_error_page_is_its_status_and_title_never_its_markup(
    client: PushoverClient, api: respx.Router, sleep: FakeSleep
) -> None:
    page = (
        "<html><head><title>503 Service Temporarily Unavailable</title>"
        "<style>body { color: red }</style></head><body><p>Sorry</p></body></html>"
    )
    api.post(MESSAGES).respond(503, text=page, headers={"Content-Type": "text/html"})
    with pytest.raises(TemporaryError) as info:
        await client.send(USER, Message("x"))
    assert str(info.value) == (
        "Pushover answered HTTP 503 Service Unavailable with a web page "
        "“503 Service Temporarily Unavailable”, not the API's answer; gave up after 3 attempts"
    )
    assert info.value.answered and info.value.status_code == 503


async def test_only_no_answer_at_all_counts_as_not_answered(
    client: PushoverClient, api: respx.Router, sleep: FakeSleep
) -> None:
    api.post(MESSAGES).mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(TemporaryError) as info:
        await client.send(USER, Message("x"))
    assert not info.value.answered and info.value.status_code is None


@pytest.mark.parametrize("body", ["[1, 2]", '"ok"', "", "null"])
async def test_json_that_is_not_an_object(
    client: PushoverClient, api: respx.Router, body: str
) -> None:
    api.post(MESSAGES).respond(200, text=body)
    with pytest.raises(UnexpectedResponseError):
        await client.send(USER, Message("x"))


async def test_4xx_non_json_is_rejected(client: PushoverClient, api: respx.Router) -> None:
    route = api.post(MESSAGES).respond(403, text="Forbidden")
    with pytest.raises(RejectedError) as info:
        await client.send(USER, Message("x"))
    assert info.value.status_code == 403
    assert "Forbidden" in str(info.value)
    assert route.call_count == 1


# -- retries ------------------------------------------------------------------------------

TEMPORARY_FAILURES = {
    "500": httpx.Response(500, text="Internal Server Error"),
    "502": httpx.Response(502, text="Bad Gateway"),
    "503": httpx.Response(503, json={"status": 0, "errors": ["maintenance"]}),
    "302": httpx.Response(302, headers={"Location": "https://elsewhere.example/"}),
    "read-timeout": httpx.ReadTimeout("timed out"),
    "connect-timeout": httpx.ConnectTimeout("timed out"),
    "connect-error": httpx.ConnectError("[Errno 111] Connection refused"),
    "disconnect": httpx.RemoteProtocolError("Server disconnected without sending a response."),
}


@pytest.mark.parametrize("failure", TEMPORARY_FAILURES.values(), ids=TEMPORARY_FAILURES.keys())
async def test_temporary_failures_are_retried_then_given_up(
    client: PushoverClient, api: respx.Router, sleep: FakeSleep, failure
) -> None:
    route = api.post(MESSAGES).mock(side_effect=[failure] * (DEFAULT_RETRIES + 1))
    with pytest.raises(TemporaryError) as info:
        await client.send(USER, Message("x"))
    assert route.call_count == DEFAULT_RETRIES + 1 == 3
    assert info.value.attempts == 3
    assert "3 attempts" in str(info.value)
    assert sleep.calls == [RETRY_GAP] * DEFAULT_RETRIES
    assert all(gap >= 5 for gap in sleep.calls)
    assert_no_secret(info.value)


async def test_undecodable_body_is_temporary(
    client: PushoverClient, api: respx.Router, sleep: FakeSleep
) -> None:
    def corrupt(request: httpx.Request) -> httpx.Response:
        # Claims gzip, is not: httpx raises DecodingError (not a TransportError) while reading.
        headers = {"Content-Encoding": "gzip"}
        return httpx.Response(200, headers=headers, stream=httpx.ByteStream(b"not gzip"))

    route = api.post(MESSAGES).mock(side_effect=corrupt)
    with pytest.raises(TemporaryError) as info:
        await client.send(USER, Message("x"))
    assert route.call_count == 3
    assert sleep.calls == [RETRY_GAP, RETRY_GAP]
    assert_no_secret(info.value)


@pytest.mark.parametrize("retries", [0, 1, 4])
async def test_retries_parameter_bounds_attempts(
    api: respx.Router, sleep: FakeSleep, retries: int
) -> None:
    route = api.get(f"{API}/sounds.json").respond(500)
    async with make_client(retries=retries, sleep=sleep) as client:
        with pytest.raises(TemporaryError) as info:
            await client.sounds()
    assert route.call_count == retries + 1
    assert info.value.attempts == retries + 1
    assert len(sleep.calls) == retries
    assert all(gap >= 5 for gap in sleep.calls)


async def test_negative_retries_means_one_attempt(api: respx.Router, sleep: FakeSleep) -> None:
    route = api.get(f"{API}/sounds.json").respond(500)
    async with make_client(retries=-3, sleep=sleep) as client:
        with pytest.raises(TemporaryError):
            await client.sounds()
    assert route.call_count == 1 and sleep.calls == []


async def test_later_success_returns_normally(
    client: PushoverClient, api: respx.Router, sleep: FakeSleep
) -> None:
    route = api.post(MESSAGES).mock(
        side_effect=[httpx.ConnectError("refused"), httpx.Response(200, json=OK)]
    )
    result = await client.send(USER, Message("x"))
    assert result.request == REQUEST_ID
    assert route.call_count == 2
    assert sleep.calls == [RETRY_GAP]
    # The retried request is the same request.
    first, second = (call.request for call in route.calls)
    assert first.content == second.content


async def test_retry_resends_the_attachment(
    client: PushoverClient, api: respx.Router, sleep: FakeSleep
) -> None:
    data = b"\x89PNG\r\n\x1a\n" + b"x" * 100
    route = api.post(MESSAGES).mock(side_effect=[httpx.Response(503), httpx.Response(200, json=OK)])
    await client.send(
        USER, Message("x", attachment=Attachment.from_bytes(data, "a.png", "image/png"))
    )
    for call in route.calls:
        assert multipart_of(call.request)[1] == {"attachment": ("a.png", "image/png", data)}


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413, 422, 429])
async def test_no_retry_on_4xx(
    client: PushoverClient, api: respx.Router, sleep: FakeSleep, status: int
) -> None:
    route = api.post(MESSAGES).respond(status, json={**BAD_USER, "request": REQUEST_ID})
    with pytest.raises(APIError):
        await client.send(USER, Message("x"))
    assert route.call_count == 1
    assert sleep.calls == []


async def test_real_sleep_is_the_default_but_never_used_here() -> None:
    import asyncio

    client = PushoverClient(TOKEN)
    try:
        assert client._sleep is asyncio.sleep
        assert client.retries == DEFAULT_RETRIES == 2
    finally:
        await client.aclose()


# -- redirects ------------------------------------------------------------------------------


async def test_redirect_is_not_followed(
    client: PushoverClient, api: respx.Router, sleep: FakeSleep
) -> None:
    target = f"https://evil.example/1/messages.json?token={TOKEN}&user={USER}&x=1"
    route = api.post(MESSAGES).respond(302, headers={"Location": target})
    evil = api.route(host="evil.example").respond(200, json=OK)
    with pytest.raises(TemporaryError) as info:
        await client.send(USER, Message("x"))
    assert not evil.called
    assert route.call_count == DEFAULT_RETRIES + 1
    text = str(info.value)
    assert "302" in text
    assert "https://evil.example/1/messages.json?" in text
    assert "token=***" in text
    assert_no_secret(info.value)
    for call in api.calls:
        assert call.request.url.host == "api.pushover.net"


async def test_redirect_on_get_is_not_followed(client: PushoverClient, api: respx.Router) -> None:
    api.get(f"{API}/receipts/{RECEIPT}.json").respond(
        301, headers={"Location": f"http://evil.example/r.json?token={TOKEN}"}
    )
    evil = api.route(host="evil.example").respond(200, json=OK)
    with pytest.raises(TemporaryError) as info:
        await client.receipt(RECEIPT)
    assert not evil.called
    assert_no_secret(info.value)


# -- quota headers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, Quota()),
        (
            {"X-Limit-App-Limit": "10000", "X-Limit-App-Remaining": "0", "X-Limit-App-Reset": "5"},
            Quota(10_000, 0, 5),
        ),
        ({"x-limit-app-remaining": "42"}, Quota(remaining=42)),
        (
            {"X-Limit-App-Limit": "", "X-Limit-App-Remaining": "many", "X-Limit-App-Reset": "1.5"},
            Quota(),
        ),
        ({"X-Limit-App-Limit": "10000", "X-Limit-App-Reset": "tomorrow"}, Quota(limit=10_000)),
    ],
)
def test_quota_from_headers(headers: dict[str, str], expected: Quota) -> None:
    assert quota_from_headers(httpx.Headers(headers)) == expected


async def test_send_with_malformed_quota_headers_succeeds(
    client: PushoverClient, api: respx.Router
) -> None:
    api.post(MESSAGES).respond(
        200, json=OK, headers={"X-Limit-App-Remaining": "lots", "X-Limit-App-Reset": ""}
    )
    result = await client.send(USER, Message("x"))
    assert result.quota == Quota()
    assert not result.quota.known


# -- secrets never leak from errors ---------------------------------------------------------

ECHO_FORM = f"token={TOKEN}&user={USER}&message=x"
LEAKY_RESPONSES = {
    "500-echoes-form": httpx.Response(500, text=ECHO_FORM),
    "500-echoes-json": httpx.Response(500, text=f'{{"token": "{TOKEN}", "user": "{USER}"}}'),
    "500-token-at-cut": httpx.Response(500, text="x" * 100 + TOKEN + " " + USER),
    "200-html-echo": httpx.Response(200, text=f"<p>{TOKEN} {USER}</p>"),
    "200-html-token-at-cut": httpx.Response(200, text="y" * 100 + TOKEN),
    "400-html-echo": httpx.Response(400, text=f"bad request {ECHO_FORM}"),
    "429-html-echo": httpx.Response(429, text=f"quota for {TOKEN}"),
    "400-json-echo": httpx.Response(
        400,
        json={
            "user": USER,
            "token": TOKEN,
            "errors": [f"user {USER} is invalid", f"application token {TOKEN} is invalid"],
            "status": 0,
            "request": REQUEST_ID,
        },
    ),
    "429-json-echo": httpx.Response(429, json={"token": TOKEN, "errors": [TOKEN], "status": 0}),
    "302-location": httpx.Response(302, headers={"Location": f"https://x.example/?token={TOKEN}"}),
    "302-location-bare": httpx.Response(302, headers={"Location": f"https://x.example/{TOKEN}"}),
    "connect-error": httpx.ConnectError(f"cannot connect for token={TOKEN} user {USER}"),
    "timeout": httpx.ReadTimeout(f"timed out sending {TOKEN}"),
}


@pytest.mark.parametrize("response", LEAKY_RESPONSES.values(), ids=LEAKY_RESPONSES.keys())
@pytest.mark.parametrize("endpoint", ["send", "validate_user", "sounds", "receipt"])
async def test_errors_never_show_token_or_user(
    client: PushoverClient, api: respx.Router, response, endpoint: str
) -> None:
    route = api.route(host="api.pushover.net")
    if isinstance(response, Exception):
        route.mock(side_effect=response)
    else:
        route.mock(return_value=response)
    with pytest.raises(PushoverError) as info:
        if endpoint == "send":
            await client.send(Secret(USER), Message("x"))
        elif endpoint == "validate_user":
            await client.validate_user(Secret(USER))
        elif endpoint == "sounds":
            await client.sounds()
        else:
            await client.receipt(RECEIPT)
    # The client can only keep out what it was given: sounds and receipts never see a user key.
    sent_user = endpoint in ("send", "validate_user")
    assert_no_secret(info.value, (TOKEN, USER) if sent_user else (TOKEN,))


async def test_client_repr_hides_token(client: PushoverClient) -> None:
    assert TOKEN not in repr(vars(client))
