"""The demo data every simulator starts with: the documentation's example keys, a delivery
group, two Open Client logins, a team, license credits and a subscription code."""

from __future__ import annotations

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

# Documentation example keys: valid out of the box, never live credentials.
DEMO_TOKEN = "azGDORePK8gMaC0QOYAMyEEuzJnyUi"
DEMO_USER = "uQiRzpo4DXghDmr9QzzfQu27cmVRsG"
DEMO_GROUP = "gznej3rKEVAvPUxu9vvNnqpmZpokzF"
DEMO_GROUP_NAME = "ops"
# Two more users for the demo group (made-up keys, shaped like the documentation's).
DEMO_BOB = "uBobPm8Vq2KhYcC9sW3xTy6Ekd5PAg"
DEMO_CAROL = "uCarol4NfRz7LwQ1JdXe8UbMs2HkVt"
DEMO_MEMBERS = (
    Member(DEMO_USER, "iphone", "Alice"),
    Member(DEMO_BOB, None, "Bob"),
    Member(DEMO_CAROL, None, "Carol", disabled=True),
)

DEMO_TEAM_TOKEN = "tDemoTeam7Kq2HcC9sW3xTy6Ekd5PA"  # a Team API token (made up)
DEMO_TEAM_NAME = "Demo team"
DEMO_LICENSE_CREDITS = 5
DEMO_SUBSCRIPTION = "DemoSubscriptionCode4xQ9"  # a subscription code of the demo app


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
