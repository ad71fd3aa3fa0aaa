"""Raw-HTTP tests of the simulator's glances, Teams, licenses and subscriptions endpoints, with
the validation and errors of shared/pushover-glances-teams-licensing.md, and their --state."""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import httpx
import pytest

from pushover_tui.simulator import (
    DEMO_BOB,
    DEMO_LICENSE_CREDITS,
    DEMO_SUBSCRIPTION,
    DEMO_TEAM_NAME,
    DEMO_TEAM_TOKEN,
    DEMO_TOKEN,
    DEMO_USER,
    Simulator,
    StateError,
)

TLS = ssl.create_default_context()
BASE = {"token": DEMO_TOKEN, "user": DEMO_USER}


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator() as sim:
        yield sim


@pytest.fixture
def client(sim: Simulator) -> Iterator[httpx.Client]:
    with httpx.Client(verify=TLS, base_url=sim.base_url, timeout=5) as client:
        yield client


# -- glances ------------------------------------------------------------------------------------


def test_a_glance_is_stored_with_its_fields_and_costs_no_quota(sim, client):
    before = client.get("/apps/limits.json", params={"token": DEMO_TOKEN}).json()["remaining"]
    fields = {
        "title": "Widgets",
        "text": "sold",
        "subtext": "today",
        "count": "-3",
        "percent": "40",
    }
    response = client.post("/glances.json", data={**BASE, **fields, "device": "iphone"})
    assert response.status_code == 200 and response.json()["status"] == 1
    [glance] = sim.glances
    assert {k: v for k, v in glance.items() if k != "time"} == {
        "title": "Widgets",
        "text": "sold",
        "subtext": "today",
        "count": -3,
        "percent": 40,
        "device": "iphone",
    }
    after = client.get("/apps/limits.json", params={"token": DEMO_TOKEN}).json()["remaining"]
    assert after == before
    assert httpx.get(f"{sim.root_url}/_sim/glances", verify=TLS).json()[0]["count"] == -3


@pytest.mark.parametrize(
    ("fields", "field", "sentence"),
    [
        ({"title": "x" * 101}, "title", "title is too long, must be 100 characters or fewer"),
        ({"text": "x" * 101}, "text", "text is too long, must be 100 characters or fewer"),
        ({"subtext": "x" * 101}, "subtext", "subtext is too long, must be 100 characters or fewer"),
        ({"count": "1.5"}, "count", "count must be an integer"),
        ({"percent": "101"}, "percent", "percent must be an integer from 0 to 100"),
        ({"percent": "-1"}, "percent", "percent must be an integer from 0 to 100"),
        ({"text": "a", "device": "no such!"}, "device", "device name is invalid"),
    ],
)
def test_a_bad_glance_field_is_a_400_naming_it(sim, client, fields, field, sentence):
    response = client.post("/glances.json", data={**BASE, **fields})
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 0 and field in body and sentence in body["errors"]
    assert sim.glances == []


def test_a_glance_needs_one_field_a_user_and_an_app_token(client):
    empty = client.post("/glances.json", data=BASE)
    assert empty.status_code == 400
    assert empty.json()["errors"] == [
        "at least one of title, text, subtext, count or percent is required"
    ]
    no_user = client.post("/glances.json", data={"token": DEMO_TOKEN, "text": "a"})
    assert no_user.json()["user"] == "invalid"
    team_token = client.post("/glances.json", data={**BASE, "token": DEMO_TEAM_TOKEN, "text": "a"})
    assert team_token.json()["errors"] == ["application token is invalid"]


# -- teams --------------------------------------------------------------------------------------


def team(client: httpx.Client) -> dict:
    response = client.get("/teams.json", params={"token": DEMO_TEAM_TOKEN})
    assert response.status_code == 200, response.text
    return response.json()


def test_teams_json_lists_the_demo_team(client):
    body = team(client)
    assert body["name"] == DEMO_TEAM_NAME
    assert [(u["name"], u["administrator"]) for u in body["users"]] == [
        ("Alice", True),
        ("Bob", False),
    ]
    assert body["users"][0]["devices"] == ["iphone", "pixel"]


def test_an_app_token_is_not_a_team_token(client):
    for call in (
        client.get("/teams.json", params={"token": DEMO_TOKEN}),
        client.post("/teams/add_user.json", data={"token": DEMO_TOKEN, "email": "d@example.com"}),
        client.post("/teams/remove_user.json", data={"token": DEMO_TOKEN, "email": "d@x.org"}),
    ):
        assert call.status_code == 400
        assert call.json()["errors"] == ["team token is invalid"] and call.json()["token"]


def test_add_and_remove_a_team_member(sim, client):
    added = client.post(
        "/teams/add_user.json",
        data={
            "token": DEMO_TEAM_TOKEN,
            "email": "dave@example.com",
            "name": "Dave",
            "password": "s3cret-pass",
            "admin": "true",
            "instant": "true",
            "group": "night shift",
        },
    )
    assert added.status_code == 200 and added.json()["status"] == 1
    dave = team(client)["users"][-1]
    assert dave == {
        "name": "Dave",
        "email": "dave@example.com",
        "administrator": True,
        "group": "night shift",
        "devices": [],
    }
    again = client.post(
        "/teams/add_user.json", data={"token": DEMO_TEAM_TOKEN, "email": "DAVE@example.com"}
    )
    assert again.status_code == 400
    assert again.json()["errors"] == ["user is already a member of this team"]
    removed = client.post(
        "/teams/remove_user.json", data={"token": DEMO_TEAM_TOKEN, "email": "dave@example.com"}
    )
    assert removed.status_code == 200
    assert [u["name"] for u in team(client)["users"]] == ["Alice", "Bob"]
    gone = client.post(
        "/teams/remove_user.json", data={"token": DEMO_TEAM_TOKEN, "email": "dave@example.com"}
    )
    assert gone.status_code == 400
    assert gone.json()["errors"] == ["user is not a member of this team"]
    # The password never reaches the request log.
    assert all("s3cret" not in str(record) for record in sim.requests)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"email": "not-an-address"}, "email"),
        ({"email": "e@example.com", "admin": "maybe"}, "admin"),
        ({"email": "e@example.com", "name": "n" * 101}, "name"),
    ],
)
def test_a_bad_team_member_field_is_a_400(client, fields, field):
    response = client.post("/teams/add_user.json", data={"token": DEMO_TEAM_TOKEN, **fields})
    assert response.status_code == 400 and field in response.json()


# -- licenses and subscriptions -------------------------------------------------------------------


def test_license_credits_are_spent_one_by_one_and_then_refused(sim, client):
    credits = client.get("/licenses.json", params={"token": DEMO_TOKEN})
    assert credits.json()["credits"] == DEMO_LICENSE_CREDITS
    sim.license_credits = 2
    by_user = client.post(
        "/licenses/assign.json", data={"token": DEMO_TOKEN, "user": DEMO_BOB, "os": "iOS"}
    )
    assert by_user.json()["credits"] == 1
    by_email = client.post(
        "/licenses/assign.json", data={"token": DEMO_TOKEN, "email": "new@example.com"}
    )
    assert by_email.json()["credits"] == 0
    none_left = client.post("/licenses/assign.json", data={"token": DEMO_TOKEN, "user": DEMO_BOB})
    assert none_left.status_code == 400
    assert none_left.json()["errors"] == ["no license credits remaining"]
    validate = client.post("/users/validate.json", data={"token": DEMO_TOKEN, "user": DEMO_BOB})
    assert "iOS" in validate.json()["licenses"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({}, "user"),
        ({"user": DEMO_USER, "email": "a@example.com"}, "user"),
        ({"user": "x" * 30}, "user"),
        ({"email": "nope"}, "email"),
        ({"user": DEMO_USER, "os": "Windows"}, "os"),
    ],
)
def test_a_bad_license_assignment_is_a_400_and_costs_nothing(sim, client, fields, field):
    response = client.post("/licenses/assign.json", data={"token": DEMO_TOKEN, **fields})
    assert response.status_code == 400 and field in response.json()
    assert sim.license_credits == DEMO_LICENSE_CREDITS


def test_a_subscription_migration_gives_a_key_that_reaches_the_user(sim, client):
    fields = {"token": DEMO_TOKEN, "subscription": DEMO_SUBSCRIPTION, "user": DEMO_USER}
    first = client.post("/subscriptions/migrate.json", data={**fields, "device_name": "pixel"})
    assert first.status_code == 200, first.text
    key = first.json()["subscribed_user_key"]
    assert len(key) == 30 and key != DEMO_USER
    again = client.post("/subscriptions/migrate.json", data=fields)
    assert again.json()["subscribed_user_key"] == key
    sent = client.post("/messages.json", data={"token": DEMO_TOKEN, "user": key, "message": "hi"})
    assert sent.status_code == 200


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"subscription": "unknown"}, "subscription"),
        ({"user": "x" * 30}, "user"),
        ({"device_name": "nokia"}, "device_name"),
        ({"sound": "nosuchsound"}, "sound"),
    ],
)
def test_a_bad_migration_is_a_400_naming_the_field(client, fields, field):
    data = {"token": DEMO_TOKEN, "subscription": DEMO_SUBSCRIPTION, "user": DEMO_USER, **fields}
    response = client.post("/subscriptions/migrate.json", data=data)
    assert response.status_code == 400 and field in response.json()


# -- seeded state -----------------------------------------------------------------------------


def test_state_seeds_a_team_credits_and_subscription_codes():
    token = "tSeededTeamToken00000000000001"
    state = {
        "team": {
            "token": token,
            "name": "Acme",
            "members": [{"email": "a@example.com", "user": DEMO_USER, "admin": True}],
        },
        "licenses": {"credits": 7},
        "subscriptions": [{"code": "seeded-code"}],
    }
    with Simulator(state=state) as sim:
        assert sim.team(token).members[0].administrator
        assert sim.license_credits == 7
        with httpx.Client(verify=TLS, base_url=sim.base_url) as client:
            migrated = client.post(
                "/subscriptions/migrate.json",
                data={"token": DEMO_TOKEN, "subscription": "seeded-code", "user": DEMO_USER},
            )
            assert migrated.status_code == 200


@pytest.mark.parametrize(
    ("state", "where"),
    [
        ({"team": {"token": "short"}}, "team.token"),
        ({"team": {"token": "t" * 30, "members": [{"email": "x", "user": DEMO_USER}]}}, "email"),
        ({"licenses": {"credits": -1}}, "licenses.credits"),
        ({"subscriptions": [{"code": "c", "token": "z" * 30}]}, "subscriptions[0].token"),
    ],
)
def test_bad_state_names_the_place(state, where):
    with pytest.raises(StateError, match=where.replace("[", r"\[").replace("]", r"\]")):
        Simulator(state=state)
