"""The demo data every simulator starts with: the documentation's example keys, a delivery
group, two Open Client logins, a team, license credits and a subscription code (the keys
and names themselves are in demo_keys.py)."""

from __future__ import annotations

from pushover_tui.simulator.demo_keys import (
    DEMO_BOB,
    DEMO_CAROL,
    DEMO_GROUP,
    DEMO_GROUP_NAME,
    DEMO_LICENSE_CREDITS,
    DEMO_SUBSCRIPTION,
    DEMO_TEAM_NAME,
    DEMO_TEAM_TOKEN,
    DEMO_TOKEN,
    DEMO_USER,
)
from pushover_tui.simulator.engine import Engine
from pushover_tui.simulator.groups import Member
from pushover_tui.simulator.open_client import (
    DEMO_2FA_CODE,
    DEMO_2FA_EMAIL,
    DEMO_2FA_PASSWORD,
    DEMO_2FA_USER,
    DEMO_EMAIL,
    DEMO_PASSWORD,
)
from pushover_tui.simulator.teams import TeamMember

DEMO_MEMBERS = (
    Member(DEMO_USER, "iphone", "Alice"),
    Member(DEMO_BOB, None, "Bob"),
    Member(DEMO_CAROL, None, "Carol", disabled=True),
)

__all__ = [
    "DEMO_BOB",
    "DEMO_CAROL",
    "DEMO_GROUP",
    "DEMO_GROUP_NAME",
    "DEMO_LICENSE_CREDITS",
    "DEMO_MEMBERS",
    "DEMO_SUBSCRIPTION",
    "DEMO_TEAM_NAME",
    "DEMO_TEAM_TOKEN",
    "DEMO_TOKEN",
    "DEMO_USER",
    "seed_demo",
]


def seed_demo(engine: Engine) -> None:
    engine.add_app(DEMO_TOKEN)
    engine.add_user(DEMO_USER, ("iphone", "pixel"), False)
    engine.add_user(DEMO_BOB, ("pixel",), False)
    engine.add_user(DEMO_CAROL, ("ipad",), False)
    with engine.lock:
        engine.groups.add(DEMO_GROUP_NAME, DEMO_TOKEN, DEMO_MEMBERS, key=DEMO_GROUP)
        engine.add_user(DEMO_2FA_USER, ("ipad",), False)
        engine.open_clients.add_account(DEMO_EMAIL, DEMO_PASSWORD, DEMO_USER)
        engine.open_clients.add_account(
            DEMO_2FA_EMAIL, DEMO_2FA_PASSWORD, DEMO_2FA_USER, twofa=DEMO_2FA_CODE
        )
        engine.teams.add(
            DEMO_TEAM_TOKEN,
            DEMO_TEAM_NAME,
            (
                TeamMember(DEMO_EMAIL, "Alice", DEMO_USER, administrator=True),
                TeamMember("bob@example.com", "Bob", DEMO_BOB),
            ),
        )
        engine.extras.credits = DEMO_LICENSE_CREDITS
        engine.extras.add_subscription(DEMO_SUBSCRIPTION, DEMO_TOKEN)
