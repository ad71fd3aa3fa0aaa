"""PushoverClient's delivery-group calls against respx: paths, methods, parameters, parsing, field
checks (nothing sent), the error tree, retries and secrets."""

from __future__ import annotations

import logging
import ssl
import traceback
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from pushover_tui.api.checks import GROUP_NAME_MAX, MEMO_MAX
from pushover_tui.api.client import DEFAULT_RETRIES, RETRY_GAP, PushoverClient
from pushover_tui.api.errors import (
    APIError,
    FieldProblemsError,
    GroupNameError,
    PushoverError,
    QuotaExceededError,
    RejectedError,
    TemporaryError,
    UnexpectedResponseError,
)
from pushover_tui.api.models import Group, GroupMember, find_group
from pushover_tui.api.secret import Secret, redact

TOKEN = "SENTINELtokenAAAAAAAAAAAAAAAAA"
USER = "SENTINELuserBBBBBBBBBBBBBBBBBB"
GROUP = "SENTINELgroupCCCCCCCCCCCCCCCCC"
OTHER = "gznej3rKEVAvPUxu9vvNnqpmZpokzF"
REQUEST_ID = "5042853c-402d-4a18-abcb-168734a801de"
API = "https://api.pushover.net/1"
GROUPS = f"{API}/groups.json"
SHOW = f"{API}/groups/{GROUP}.json"
OK = {"status": 1, "request": REQUEST_ID}
NOT_FOUND = {
    "group": "not found",
    "errors": ["group not found or you are not authorized to edit it"],
    "status": 0,
    "request": REQUEST_ID,
}
_SSL = ssl.create_default_context()


class FakeSleep:
    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleep() -> FakeSleep:
    return FakeSleep()


@pytest.fixture
async def client(sleep: FakeSleep):
    transport = httpx.AsyncHTTPTransport(verify=_SSL)
    async with PushoverClient(Secret(TOKEN), sleep=sleep, transport=transport) as client:
        yield client


@pytest.fixture
def api():
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        yield router


def form_of(request: httpx.Request) -> dict[str, str]:
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    parsed = parse_qs(request.content.decode(), keep_blank_values=True, strict_parsing=True)
    return {key: values[0] for key, values in parsed.items()}


def assert_no_secret(exc: BaseException) -> None:
    texts = [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    if isinstance(exc, APIError):
        texts += [repr(exc.errors), repr(exc.fields)]
    for text in texts:
        for secret in (TOKEN, USER, GROUP):
            assert secret[:12] not in text, text


# -- list, find, create ------------------------------------------------------------------------


async def test_list_groups(client: PushoverClient, api: respx.Router) -> None:
    body = {
        **OK,
        "groups": [
            {"group": GROUP, "name": "On-Call"},
            {"group": OTHER, "name": None},
            {"name": "no key"},  # skipped: nothing to act on
            {"group": "\x1b[2J" + GROUP[4:], "name": "not a key"},  # skipped, never printed
            {"group": GROUP[:29], "name": "too short"},
            {"group": 123456789012345678901234567890, "name": "a number"},
            "junk",
        ],
    }
    route = api.get(GROUPS).respond(200, json=body)
    groups = await client.list_groups()
    assert groups == (Group(Secret(GROUP), "On-Call"), Group(Secret(OTHER), ""))
    request = route.calls.last.request
    assert dict(request.url.params) == {"token": TOKEN} and request.content == b""
    assert GROUP not in repr(groups)  # keys are Secrets


async def test_list_groups_without_a_list(client: PushoverClient, api: respx.Router) -> None:
    api.get(GROUPS).respond(200, json=OK)
    with pytest.raises(UnexpectedResponseError, match="without a group list"):
        await client.list_groups()


async def test_find_group_by_key_sends_nothing(client: PushoverClient, api: respx.Router) -> None:
    route = api.get(GROUPS).respond(200, json={**OK, "groups": []})
    assert (await client.find_group(GROUP)).key == Secret(GROUP)
    assert (await client.find_group(Secret(GROUP))).key == Secret(GROUP)
    assert not route.called


async def test_find_group_by_name(client: PushoverClient, api: respx.Router) -> None:
    groups = [{"group": GROUP, "name": "ops"}, {"group": OTHER, "name": "Dev"}]
    api.get(GROUPS).respond(200, json={**OK, "groups": groups})
    assert (await client.find_group("ops")).key == Secret(GROUP)
    assert (await client.find_group("dev")).key == Secret(OTHER)  # case is forgiven when unique


def test_find_group_name_matching_none_or_several_lists_candidates() -> None:
    ops, ops2, dev = (
        Group(Secret(GROUP), "ops"),
        Group(Secret(OTHER), "ops"),
        Group(Secret("g" * 30), "dev"),
    )
    with pytest.raises(GroupNameError) as none:
        find_group((ops, dev), "prod")
    assert none.value.candidates == (ops, dev)
    assert str(none.value) == "No group named 'prod'; your groups: 'ops', 'dev'."
    with pytest.raises(GroupNameError) as several:
        find_group((ops, ops2, dev), "ops")
    assert several.value.candidates == (ops, ops2)
    assert "2 groups are named 'ops'" in str(several.value) and "group list" in str(several.value)
    assert_no_secret(several.value)
    # An exact match wins over a match ignoring case.
    assert find_group((Group(Secret(OTHER), "Ops"), ops), "ops") is ops
    with pytest.raises(GroupNameError, match="none yet"):
        find_group((), "ops")


@pytest.mark.parametrize("text", [GROUP[:-1], f"{GROUP},{OTHER}", GROUP + "x"])
def test_a_mistyped_key_or_a_key_list_is_never_repeated(text: str) -> None:
    with pytest.raises(GroupNameError) as caught:
        find_group((Group(Secret(OTHER), "ops"),), text)
    assert "not one group key" in str(caught.value) and "'ops'" in str(caught.value)
    assert GROUP[:20] not in str(caught.value) and OTHER[:20] not in str(caught.value)


async def test_find_group_forgives_spaces_around_a_key(
    client: PushoverClient, api: respx.Router
) -> None:
    route = api.get(GROUPS).respond(200, json={**OK, "groups": []})
    assert (await client.find_group(f" {GROUP} ")).key == Secret(GROUP)
    assert not route.called


async def test_create_group(client: PushoverClient, api: respx.Router) -> None:
    route = api.post(GROUPS).respond(200, json={**OK, "group": GROUP})
    group = await client.create_group("On-Call")
    assert group == Group(Secret(GROUP), "On-Call")
    assert form_of(route.calls.last.request) == {"token": TOKEN, "name": "On-Call"}


async def test_create_group_without_a_key_in_the_answer(
    client: PushoverClient, api: respx.Router
) -> None:
    api.post(GROUPS).respond(200, json=OK)
    with pytest.raises(UnexpectedResponseError, match="no group key"):
        await client.create_group("x")


@pytest.mark.parametrize("name", ["", "   ", "n" * (GROUP_NAME_MAX + 1), "bad \udcff"])
async def test_group_name_checked_before_sending(
    client: PushoverClient, api: respx.Router, name: str
) -> None:
    route = api.route(host="api.pushover.net")
    with pytest.raises(FieldProblemsError) as caught:
        await client.create_group(name)
    assert [problem.field for problem in caught.value.problems] == ["name"]
    with pytest.raises(FieldProblemsError):
        await client.rename_group(GROUP, name)
    assert not route.called


async def test_longest_group_name_is_sent(client: PushoverClient, api: respx.Router) -> None:
    api.post(GROUPS).respond(200, json={**OK, "group": GROUP})
    assert (await client.create_group("n" * GROUP_NAME_MAX)).name == "n" * GROUP_NAME_MAX


# -- show -----------------------------------------------------------------------------------------


async def test_show_group(client: PushoverClient, api: respx.Router) -> None:
    users = [
        {"user": USER, "device": "droid2", "memo": "Alice", "disabled": False},
        {"user": USER, "device": "iPhone", "memo": "", "disabled": True},
        {"user": OTHER, "device": None, "memo": None, "disabled": 1},
        {"user": OTHER, "disabled": 0},  # device and memo absent
        {"device": "x"},  # no user: skipped
    ]
    route = api.get(SHOW).respond(200, json={**OK, "name": "Test Group", "users": users})
    group = await client.show_group(GROUP)
    assert group.key == Secret(GROUP) and group.name == "Test Group"
    assert group.members == (
        GroupMember(Secret(USER), "droid2", "Alice", False),
        GroupMember(Secret(USER), "iPhone", "", True),
        GroupMember(Secret(OTHER), "", "", True),
        GroupMember(Secret(OTHER), "", "", False),
    )
    assert dict(route.calls.last.request.url.params) == {"token": TOKEN}
    assert USER not in repr(group) and GROUP not in repr(group)


def test_member_fields_and_label_mask_the_user_key() -> None:
    member = GroupMember(Secret(USER), "", "Alice", True)
    assert member.fields() == {
        "user": Secret(USER).masked(),
        "device": None,
        "memo": "Alice",
        "disabled": True,
    }
    assert member.label == "Alice (all devices)"
    assert GroupMember(Secret(USER), "pixel").label == f"{Secret(USER).masked()} (pixel)"


@pytest.mark.parametrize("key", ["", "ops", "g" * 29, "g" * 31, "g" * 29 + "-"])
async def test_a_bad_group_key_is_never_sent(
    client: PushoverClient, api: respx.Router, key: str
) -> None:
    route = api.route(host="api.pushover.net")
    for call in (
        client.show_group(key),
        client.rename_group(key, "x"),
        client.add_group_user(key, USER),
        client.enable_group_user(key, USER),
    ):
        with pytest.raises(FieldProblemsError) as caught:
            await call
        assert caught.value.problems[0].field == "group"
    assert not route.called


# -- members --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "action"),
    [
        ("remove_group_user", "remove_user"),
        ("disable_group_user", "disable_user"),
        ("enable_group_user", "enable_user"),
    ],
)
async def test_member_calls(
    client: PushoverClient, api: respx.Router, method: str, action: str
) -> None:
    route = api.post(f"{API}/groups/{GROUP}/{action}.json").respond(200, json=OK)
    assert await getattr(client, method)(GROUP, Secret(USER)) == REQUEST_ID
    assert form_of(route.calls.last.request) == {"token": TOKEN, "user": USER}
    await getattr(client, method)(Secret(GROUP), USER, device="iPhone")
    assert form_of(route.calls.last.request) == {"token": TOKEN, "user": USER, "device": "iPhone"}


async def test_add_group_user(client: PushoverClient, api: respx.Router) -> None:
    route = api.post(f"{API}/groups/{GROUP}/add_user.json").respond(200, json=OK)
    assert await client.add_group_user(GROUP, USER) == REQUEST_ID
    assert form_of(route.calls.last.request) == {"token": TOKEN, "user": USER}
    memo = "m" * MEMO_MAX
    await client.add_group_user(GROUP, USER, device="droid2", memo=memo)
    assert form_of(route.calls.last.request) == {
        "token": TOKEN,
        "user": USER,
        "device": "droid2",
        "memo": memo,
    }


@pytest.mark.parametrize(
    ("options", "fields"),
    [
        ({"user": "short"}, ["user"]),
        ({"user": ""}, ["user"]),
        ({"device": "a,b"}, ["device"]),
        ({"device": "d" * 26}, ["device"]),
        ({"memo": "m" * (MEMO_MAX + 1)}, ["memo"]),
        ({"user": "x", "device": "a b", "memo": "m" * 201}, ["user", "device", "memo"]),
    ],
)
async def test_member_fields_checked_before_sending(
    client: PushoverClient, api: respx.Router, options: dict, fields: list[str]
) -> None:
    route = api.route(host="api.pushover.net")
    user = options.pop("user", USER)
    with pytest.raises(FieldProblemsError) as caught:
        await client.add_group_user(GROUP, user, **options)
    assert [problem.field for problem in caught.value.problems] == fields
    assert not route.called


async def test_rename_group(client: PushoverClient, api: respx.Router) -> None:
    route = api.post(f"{API}/groups/{GROUP}/rename.json").respond(200, json=OK)
    assert await client.rename_group(GROUP, "night shift") == REQUEST_ID
    assert form_of(route.calls.last.request) == {"token": TOKEN, "name": "night shift"}


# -- errors, retries, secrets -------------------------------------------------------------------


async def test_not_found_is_rejected_with_the_api_words(
    client: PushoverClient, api: respx.Router
) -> None:
    api.get(SHOW).respond(400, json=NOT_FOUND)
    with pytest.raises(RejectedError) as caught:
        await client.show_group(GROUP)
    error = caught.value
    assert error.fields == {"group": "not found"}
    assert error.errors == ("group not found or you are not authorized to edit it",)
    assert error.request_id == REQUEST_ID and error.status_code == 400


async def test_not_a_member_is_rejected(client: PushoverClient, api: respx.Router) -> None:
    body = {"user": "not a member", "errors": ["user is not a member of this group"], "status": 0}
    api.post(f"{API}/groups/{GROUP}/disable_user.json").respond(400, json=body)
    with pytest.raises(RejectedError, match="user is not a member of this group"):
        await client.disable_group_user(GROUP, USER)


async def test_quota_on_a_group_call(client: PushoverClient, api: respx.Router) -> None:
    api.get(GROUPS).respond(429, json={"errors": ["quota"], "status": 0})
    with pytest.raises(QuotaExceededError):
        await client.list_groups()


async def test_temporary_failures_are_retried_5_s_apart(
    client: PushoverClient, api: respx.Router, sleep: FakeSleep
) -> None:
    route = api.post(f"{API}/groups/{GROUP}/enable_user.json").mock(
        side_effect=[httpx.Response(503), httpx.ConnectError("refused"), httpx.Response(502)]
    )
    with pytest.raises(TemporaryError) as caught:
        await client.enable_group_user(GROUP, USER)
    assert route.call_count == DEFAULT_RETRIES + 1
    assert sleep.calls == [RETRY_GAP] * DEFAULT_RETRIES and RETRY_GAP >= 5
    assert_no_secret(caught.value)


async def test_a_400_is_never_retried(
    client: PushoverClient, api: respx.Router, sleep: FakeSleep
) -> None:
    route = api.post(f"{API}/groups/{GROUP}/rename.json").respond(400, json=NOT_FOUND)
    with pytest.raises(RejectedError):
        await client.rename_group(GROUP, "x")
    assert route.call_count == 1 and sleep.calls == []


LEAKY = {
    "400-echo": httpx.Response(
        400,
        json={
            "group": GROUP,
            "user": USER,
            "errors": [f"group {GROUP} has no user {USER}", f"token {TOKEN}"],
            "status": 0,
        },
    ),
    "500-echo": httpx.Response(500, text=f"failed /1/groups/{GROUP}/add_user.json for {USER}"),
    "302": httpx.Response(302, headers={"Location": f"https://x.example/1/groups/{GROUP}.json"}),
    "302-query": httpx.Response(
        302, headers={"Location": f"https://x.example/?token={TOKEN}&user={USER}&g={GROUP}"}
    ),
    "html-200": httpx.Response(200, text=f"<html>{GROUP}</html>"),
    "connect-error": httpx.ConnectError(f"cannot connect to /1/groups/{GROUP}.json"),
}


@pytest.mark.parametrize("response", LEAKY.values(), ids=LEAKY.keys())
async def test_errors_never_show_token_user_or_group_key(
    client: PushoverClient, api: respx.Router, response
) -> None:
    route = api.route(host="api.pushover.net")
    if isinstance(response, Exception):
        route.mock(side_effect=response)
    else:
        route.mock(return_value=response)
    with pytest.raises(PushoverError) as caught:
        await client.add_group_user(GROUP, USER, memo="x")
    assert_no_secret(caught.value)


async def test_httpx_log_lines_hide_the_group_key(
    client: PushoverClient, api: respx.Router, caplog
) -> None:
    caplog.set_level(logging.DEBUG, logger="httpx")
    api.get(SHOW).respond(200, json={**OK, "name": "x", "users": []})
    await client.show_group(GROUP)
    assert "/groups/***.json" in caplog.text
    assert GROUP[:12] not in caplog.text


def test_redact_masks_group_paths_only() -> None:
    assert redact(f"GET /1/groups/{GROUP}/add_user.json") == "GET /1/groups/***/add_user.json"
    assert redact(f"https://h/1/groups/{GROUP}.json") == "https://h/1/groups/***.json"
    assert redact("/1/groups.json") == "/1/groups.json"
