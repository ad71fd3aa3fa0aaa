"""The simulator's pooled quota (Pushover since 1 May 2026): an account's apps share one monthly
pool, reported alike in apps/limits.json and the X-Limit-App-* headers; a message costs one per
user reached (a delivery group: its enabled members); a send the pool cannot cover is a 429."""

from __future__ import annotations

import ssl

import httpx

from pushover_tui.simulator import DEMO_BOB, DEMO_GROUP, DEMO_TOKEN, DEMO_USER, Simulator
from pushover_tui.simulator.quota import TEAM_LIMIT

TLS = ssl.create_default_context()
APP_A = "aPooledAppA000000000000000001x"
APP_B = "aPooledAppB000000000000000002x"
LONE = "aLoneApp000000000000000000003x"
STATE = {
    "quota": {"limit": 100},
    "apps": [
        {"token": APP_A, "account": "acme", "remaining": 10},
        {"token": APP_B, "account": "acme"},
        {"token": LONE},
    ],
    "groups": [
        {
            "name": "pair",
            "owner": APP_A,
            "members": [{"user": DEMO_USER}, {"user": DEMO_BOB}],
        }
    ],
}


def numbers(client: httpx.Client, token: str) -> tuple[int, int]:
    body = client.get("/apps/limits.json", params={"token": token}).json()
    return body["limit"], body["remaining"]


def send(client: httpx.Client, token: str, user: str) -> httpx.Response:
    return client.post("/messages.json", data={"token": token, "user": user, "message": "m"})


def test_apps_of_one_account_share_the_pool_in_limits_and_headers():
    with Simulator(state=STATE) as sim, httpx.Client(verify=TLS, base_url=sim.base_url) as client:
        assert numbers(client, APP_A) == numbers(client, APP_B) == (100, 10)
        sent = send(client, APP_B, DEMO_USER)
        assert sent.status_code == 200
        assert sent.headers["X-Limit-App-Remaining"] == "9"
        assert numbers(client, APP_A) == (100, 9)
        assert numbers(client, LONE) == (100, 100)  # another account: untouched


def test_a_group_send_costs_its_enabled_members_and_a_short_pool_refuses_with_429():
    with Simulator(state=STATE) as sim, httpx.Client(verify=TLS, base_url=sim.base_url) as client:
        pair = next(key for key, group in sim.groups.items() if group.name == "pair")
        assert send(client, APP_A, pair).status_code == 200
        assert numbers(client, APP_B) == (100, 8)  # two members, two messages
        sim.set_remaining(APP_A, 1)
        refused = send(client, APP_B, pair)  # two needed, one left
        assert refused.status_code == 429
        assert refused.headers["X-Limit-App-Remaining"] == "1"
        assert len(sim.messages) == 1
        assert send(client, APP_B, DEMO_USER).status_code == 200  # one is still covered
        assert numbers(client, APP_A) == (100, 0)


def test_the_demo_group_costs_its_two_enabled_members_not_three():
    with Simulator() as sim, httpx.Client(verify=TLS, base_url=sim.base_url) as client:
        assert send(client, DEMO_TOKEN, DEMO_GROUP).headers["X-Limit-App-Remaining"] == "9998"


def test_a_team_account_has_the_teams_pool():
    state = {
        "apps": [{"token": APP_A, "account": "acme"}],
        "team": {"token": "t" * 30, "name": "Acme", "account": "acme"},
    }
    with Simulator(state=state) as sim, httpx.Client(verify=TLS, base_url=sim.base_url) as client:
        assert numbers(client, APP_A) == (TEAM_LIMIT, TEAM_LIMIT)
        assert numbers(client, DEMO_TOKEN) == (10_000, 10_000)
