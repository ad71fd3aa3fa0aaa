"""Raw-HTTP tests of the simulator's delivery groups: every Groups endpoint, its documented
bodies and errors (shared/pushover-groups.md), and group keys in messages.json and validate."""

from __future__ import annotations

import re
import ssl
from collections.abc import Iterator

import httpx
import pytest

from pushover_tui.simulator import (
    DEMO_BOB,
    DEMO_CAROL,
    DEMO_GROUP,
    DEMO_TOKEN,
    DEMO_USER,
    Member,
    Simulator,
)

TLS = ssl.create_default_context()
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
OTHER_TOKEN = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbb2"  # another account's app
NOT_FOUND = "group not found or you are not authorized to edit it"
NOT_A_MEMBER = "user is not a member of this group"
DAVE = "uDaveQ7cN2mW9xZ4rT6yB1vK8sJ3hL"  # a known user outside the group
DEMO_USERS = [
    {"user": DEMO_USER, "device": "iphone", "memo": "Alice", "disabled": False},
    {"user": DEMO_BOB, "device": None, "memo": "Bob", "disabled": False},
    {"user": DEMO_CAROL, "device": None, "memo": "Carol", "disabled": True},
]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_770_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sim(clock: FakeClock) -> Iterator[Simulator]:
    with Simulator(ack_after=20.0, clock=clock) as sim:
        sim.add_app(OTHER_TOKEN)
        sim.add_user(DAVE, ("laptop",))
        yield sim


@pytest.fixture
def client(sim: Simulator) -> Iterator[httpx.Client]:
    with httpx.Client(verify=TLS, base_url=sim.base_url, timeout=5) as client:
        yield client


def show(client: httpx.Client, key: str = DEMO_GROUP, token: str = DEMO_TOKEN) -> httpx.Response:
    return client.get(f"/groups/{key}.json", params={"token": token})


def members(client: httpx.Client, key: str = DEMO_GROUP) -> list[dict]:
    response = show(client, key)
    assert response.status_code == 200, response.text
    return response.json()["users"]


def call(client: httpx.Client, action: str, key: str = DEMO_GROUP, **fields: str) -> httpx.Response:
    return client.post(f"/groups/{key}/{action}.json", data={"token": DEMO_TOKEN, **fields})


def assert_ok(response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == 1 and UUID_RE.fullmatch(body["request"])
    return body


def assert_error(response: httpx.Response, field: str, problem: str, sentence: str) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["status"] == 0 and UUID_RE.fullmatch(body["request"])
    assert body[field] == problem
    assert body["errors"] == [sentence]


def send(client: httpx.Client, user: str, token: str = DEMO_TOKEN, **fields) -> httpx.Response:
    data = {"token": token, "user": user, "message": "hello", **fields}
    return client.post("/messages.json", data=data)


# ---- the demo group -------------------------------------------------------------------


def test_demo_group_ops_has_three_members_one_disabled(client: httpx.Client) -> None:
    body = assert_ok(show(client))
    assert body["name"] == "ops"
    assert body["users"] == DEMO_USERS


def test_list_shows_only_the_token_accounts_groups(client: httpx.Client) -> None:
    body = assert_ok(client.get("/groups.json", params={"token": DEMO_TOKEN}))
    assert body["groups"] == [{"group": DEMO_GROUP, "name": "ops"}]
    other = assert_ok(client.get("/groups.json", params={"token": OTHER_TOKEN}))
    assert other["groups"] == []


@pytest.mark.parametrize(
    ("method", "path", "fields"),
    [
        ("GET", "/groups.json", {}),
        ("POST", "/groups.json", {"name": "x"}),
        ("GET", f"/groups/{DEMO_GROUP}.json", {}),
        ("POST", f"/groups/{DEMO_GROUP}/add_user.json", {"user": DAVE}),
        ("POST", f"/groups/{DEMO_GROUP}/remove_user.json", {"user": DEMO_BOB}),
        ("POST", f"/groups/{DEMO_GROUP}/delete_user.json", {"user": DEMO_BOB}),
        ("POST", f"/groups/{DEMO_GROUP}/disable_user.json", {"user": DEMO_BOB}),
        ("POST", f"/groups/{DEMO_GROUP}/enable_user.json", {"user": DEMO_BOB}),
        ("POST", f"/groups/{DEMO_GROUP}/rename.json", {"name": "x"}),
    ],
)
@pytest.mark.parametrize("token", ["", "short", "c" * 30])
def test_every_endpoint_refuses_a_bad_token(
    client: httpx.Client, method: str, path: str, fields: dict, token: str
) -> None:
    if method == "GET":
        response = client.get(path, params={"token": token, **fields})
    else:
        response = client.post(path, data={"token": token, **fields})
    assert_error(response, "token", "invalid", "application token is invalid")
    assert members(client) == DEMO_USERS


# ---- create, rename ----------------------------------------------------------------------


def test_create_gives_a_new_key_then_list_and_show_know_it(client: httpx.Client) -> None:
    body = assert_ok(client.post("/groups.json", data={"token": DEMO_TOKEN, "name": "On-Call"}))
    key = body["group"]
    assert re.fullmatch(r"[A-Za-z0-9]{30}", key) and key != DEMO_GROUP
    listed = assert_ok(client.get("/groups.json", params={"token": DEMO_TOKEN}))["groups"]
    assert {"group": key, "name": "On-Call"} in listed
    assert assert_ok(show(client, key)) | {"request": ""} == {
        "status": 1,
        "name": "On-Call",
        "users": [],
        "request": "",
    }
    # Another account may send to it but never see or change it.
    assert assert_ok(client.get("/groups.json", params={"token": OTHER_TOKEN}))["groups"] == []


@pytest.mark.parametrize("name", [None, "", "   "])
def test_create_without_a_name_is_refused(client: httpx.Client, name: str | None) -> None:
    data = {"token": DEMO_TOKEN} | ({} if name is None else {"name": name})
    response = client.post("/groups.json", data=data)
    assert_error(response, "name", "cannot be blank", "name cannot be blank")


def test_rename_keeps_the_key(client: httpx.Client) -> None:
    assert_ok(call(client, "rename", name="night shift"))
    assert assert_ok(show(client))["name"] == "night shift"
    listed = assert_ok(client.get("/groups.json", params={"token": DEMO_TOKEN}))["groups"]
    assert listed == [{"group": DEMO_GROUP, "name": "night shift"}]
    blank = call(client, "rename", name=" ")
    assert_error(blank, "name", "cannot be blank", "name cannot be blank")


# ---- not found -----------------------------------------------------------------------------


@pytest.mark.parametrize("action", [None, "add_user", "remove_user", "disable_user", "rename"])
def test_unknown_and_foreign_groups_give_the_same_error(
    client: httpx.Client, action: str | None
) -> None:
    def attempt(key: str, token: str) -> httpx.Response:
        if action is None:
            return show(client, key, token)
        fields = {"token": token, "user": DAVE, "name": "mine now"}
        return client.post(f"/groups/{key}/{action}.json", data=fields)

    unknown = attempt("g" + "x" * 29, DEMO_TOKEN)
    foreign = attempt(DEMO_GROUP, OTHER_TOKEN)
    for response in (unknown, foreign):
        assert_error(response, "group", "not found", NOT_FOUND)
    assert unknown.json() | {"request": ""} == foreign.json() | {"request": ""}
    assert assert_ok(show(client))["name"] == "ops"


# ---- members -------------------------------------------------------------------------------


def test_add_user_with_device_and_memo(client: httpx.Client) -> None:
    assert_ok(call(client, "add_user", user=DAVE, device="laptop", memo="Dave (backup)"))
    assert members(client)[-1] == {
        "user": DAVE,
        "device": "laptop",
        "memo": "Dave (backup)",
        "disabled": False,
    }
    # Without device and memo: all devices, blank memo. A second binding of the same user.
    assert_ok(call(client, "add_user", user=DAVE))
    assert members(client)[-1] == {"user": DAVE, "device": None, "memo": "", "disabled": False}


def test_add_the_same_binding_twice_is_refused(client: httpx.Client) -> None:
    response = call(client, "add_user", user=DEMO_BOB)
    assert_error(response, "user", "already a member", "user is already a member of this group")
    assert members(client) == DEMO_USERS


@pytest.mark.parametrize(
    "user",
    ["", "short", "u" * 30, DEMO_GROUP],  # missing, malformed, unknown, a group itself
)
def test_add_user_refuses_a_key_that_is_no_user(client: httpx.Client, user: str) -> None:
    assert_error(call(client, "add_user", user=user), "user", "invalid", "user key is invalid")
    assert members(client) == DEMO_USERS


def test_memo_is_at_most_200_characters(client: httpx.Client) -> None:
    response = call(client, "add_user", user=DAVE, memo="m" * 201)
    assert_error(
        response,
        "memo",
        "is too long, must be 200 characters or fewer",
        "memo is too long",
    )
    assert_ok(call(client, "add_user", user=DAVE, memo="é" * 200))  # characters, not bytes
    assert members(client)[-1]["memo"] == "é" * 200


def test_add_user_refuses_a_malformed_device(client: httpx.Client) -> None:
    response = call(client, "add_user", user=DAVE, device="two,devices")
    assert_error(response, "device", "is invalid", "device name is invalid")


@pytest.mark.parametrize("action", ["remove_user", "delete_user"])
def test_remove_user_under_both_names(client: httpx.Client, action: str) -> None:
    assert_ok(call(client, action, user=DEMO_BOB))
    assert [m["memo"] for m in members(client)] == ["Alice", "Carol"]
    # Not idempotent: the second call fails.
    assert_error(call(client, action, user=DEMO_BOB), "user", "not a member", NOT_A_MEMBER)


def test_remove_with_a_device_removes_only_that_binding(client: httpx.Client) -> None:
    assert_ok(call(client, "add_user", user=DEMO_USER, device="pixel", memo="Alice's pixel"))
    assert_ok(call(client, "remove_user", user=DEMO_USER, device="pixel"))
    assert members(client) == DEMO_USERS
    # No binding to that device: not a member (for that device).
    response = call(client, "remove_user", user=DEMO_USER, device="pixel")
    assert_error(response, "user", "not a member", NOT_A_MEMBER)
    # Without a device, every binding of the user goes.
    assert_ok(call(client, "add_user", user=DEMO_USER, device="pixel"))
    assert_ok(call(client, "remove_user", user=DEMO_USER))
    assert [m["memo"] for m in members(client)] == ["Bob", "Carol"]


def test_disable_and_enable_are_repeatable_and_keep_the_member(client: httpx.Client) -> None:
    for _ in range(2):  # repeating is harmless
        assert_ok(call(client, "disable_user", user=DEMO_BOB))
    assert members(client)[1] == {**DEMO_USERS[1], "disabled": True}
    for _ in range(2):
        assert_ok(call(client, "enable_user", user=DEMO_CAROL))
    assert members(client)[2] == {**DEMO_USERS[2], "disabled": False}


def test_disable_with_a_device_acts_on_that_binding(client: httpx.Client) -> None:
    assert_ok(call(client, "add_user", user=DEMO_USER, device="pixel"))
    assert_ok(call(client, "disable_user", user=DEMO_USER, device="pixel"))
    alice = [m for m in members(client) if m["user"] == DEMO_USER]
    assert [(m["device"], m["disabled"]) for m in alice] == [("iphone", False), ("pixel", True)]
    response = call(client, "enable_user", user=DEMO_USER, device="ipad")
    assert_error(response, "user", "not a member", NOT_A_MEMBER)


@pytest.mark.parametrize("action", ["remove_user", "delete_user", "disable_user", "enable_user"])
@pytest.mark.parametrize(
    ("user", "field", "problem", "sentence"),
    [
        (DAVE, "user", "not a member", NOT_A_MEMBER),
        ("", "user", "invalid", "user key is invalid"),
        ("not-a-key", "user", "invalid", "user key is invalid"),
    ],
)
def test_member_calls_for_a_non_member(
    client: httpx.Client, action: str, user: str, field: str, problem: str, sentence: str
) -> None:
    assert_error(call(client, action, user=user), field, problem, sentence)
    assert members(client) == DEMO_USERS


def test_parameters_are_read_from_the_query_string_too(client: httpx.Client) -> None:
    # Some clients put POST parameters in the query string, or GET parameters in a form body.
    params = {"token": DEMO_TOKEN, "user": DEMO_BOB}
    assert_ok(client.post(f"/groups/{DEMO_GROUP}/disable_user.json", params=params))
    assert members(client)[1]["disabled"] is True
    body = client.request(
        "GET",
        f"/groups/{DEMO_GROUP}.json",
        content=f"token={DEMO_TOKEN}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert assert_ok(body)["name"] == "ops"


def test_wrong_method_names_the_allowed_ones(client: httpx.Client) -> None:
    response = client.put("/groups.json", data={"token": DEMO_TOKEN})
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, POST"
    response = client.get(f"/groups/{DEMO_GROUP}/add_user.json", params={"token": DEMO_TOKEN})
    assert response.status_code == 405 and response.headers["Allow"] == "POST"


def test_request_log_hides_group_keys_in_paths(sim: Simulator, client: httpx.Client) -> None:
    show(client)
    call(client, "disable_user", user=DEMO_BOB)
    paths = [record.path for record in sim.requests]
    assert paths == ["/1/groups/***.json", "/1/groups/***/disable_user.json"]
    assert all(DEMO_BOB not in str(record.as_dict()) for record in sim.requests)


# ---- sending to a group -----------------------------------------------------------------------


def test_a_group_key_fans_out_to_enabled_members(sim: Simulator, client: httpx.Client) -> None:
    assert_ok(send(client, DEMO_GROUP))
    assert sim.messages[-1]["to"] == [
        {"user": "uQiR" + "•" * 26, "device": "iphone"},  # Alice, bound to her iphone
        {"user": "uBob" + "•" * 26, "device": None},  # Bob, all devices; Carol is disabled
    ]
    assert_ok(call(client, "enable_user", user=DEMO_CAROL))
    assert_ok(call(client, "disable_user", user=DEMO_USER))
    assert_ok(send(client, DEMO_GROUP))
    assert [to["user"][:4] for to in sim.messages[-1]["to"]] == ["uBob", "uCar"]


def test_the_log_says_to_whom_only_for_groups(sim: Simulator, client: httpx.Client) -> None:
    assert_ok(send(client, DEMO_USER))
    assert "to" not in sim.messages[-1]  # a user key is its own recipient
    assert_ok(send(client, f"{DAVE},{DEMO_GROUP}"))
    assert [to["user"][:4] for to in sim.messages[-1]["to"]] == ["uDav", "uQiR", "uBob"]


def test_any_app_may_send_to_a_group_key(sim: Simulator, client: httpx.Client) -> None:
    assert_ok(send(client, DEMO_GROUP, token=OTHER_TOKEN))
    assert len(sim.messages[-1]["to"]) == 2


def test_a_group_with_nobody_enabled_still_accepts(sim: Simulator, client: httpx.Client) -> None:
    for user in (DEMO_USER, DEMO_BOB):
        assert_ok(call(client, "disable_user", user=user))
    assert_ok(send(client, DEMO_GROUP))
    assert sim.messages[-1]["to"] == []


def test_group_emergency_is_acknowledged_by_a_member(
    sim: Simulator, client: httpx.Client, clock: FakeClock
) -> None:
    body = assert_ok(send(client, DEMO_GROUP, priority=2, retry=30, expire=3600))
    clock.now += 21
    receipt = client.get(f"/receipts/{body['receipt']}.json", params={"token": DEMO_TOKEN})
    state = receipt.json()
    assert state["acknowledged"] == 1
    assert (state["acknowledged_by"], state["acknowledged_by_device"]) == (DEMO_USER, "iphone")


def test_validate_answers_group_1_for_group_keys(client: httpx.Client) -> None:
    key = assert_ok(client.post("/groups.json", data={"token": DEMO_TOKEN, "name": "empty"}))
    for group in (DEMO_GROUP, key["group"]):
        body = assert_ok(
            client.post("/users/validate.json", data={"token": OTHER_TOKEN, "user": group})
        )
        assert body["group"] == 1 and body["devices"] == []
    user = assert_ok(client.post("/users/validate.json", data={"token": DEMO_TOKEN, "user": DAVE}))
    assert user["group"] == 0 and user["devices"] == ["laptop"]


# ---- the one recipient resolution ---------------------------------------------------------------


def test_recipients_resolves_users_and_groups_without_repeats(sim: Simulator) -> None:
    group = sim.add_group(
        "mixed",
        (Member(DAVE, "laptop"), Member(DAVE, None), Member(DEMO_BOB, "pixel"), Member(DEMO_USER)),
    )
    recipients = sim._engine.groups.recipients
    assert recipients(DAVE) == [(DAVE, None)]
    assert recipients(DEMO_GROUP) == [(DEMO_USER, "iphone"), (DEMO_BOB, None)]
    # Dave on all devices covers his laptop binding; Bob on all devices (from ops) covers pixel.
    assert recipients(f"{group}, {DEMO_GROUP}") == [
        (DAVE, None),
        (DEMO_USER, None),
        (DEMO_BOB, None),
    ]
    assert recipients(f"{DEMO_GROUP},{DEMO_GROUP},{DEMO_USER}") == [
        (DEMO_BOB, None),
        (DEMO_USER, None),
    ]


def test_add_group_refuses_unknown_members_and_bad_keys(sim: Simulator) -> None:
    with pytest.raises(ValueError, match="known user"):
        sim.add_group("x", (Member("u" * 30),))
    with pytest.raises(ValueError, match="known user"):
        sim.add_group("x", (Member(DEMO_GROUP),))
    with pytest.raises(ValueError, match="30 characters"):
        sim.add_group("x", key="short")
