"""Pushover simulator: a local stand-in for the Pushover API over real HTTP."""

from pushover_tui.simulator.demo import (
    DEMO_BOB,
    DEMO_CAROL,
    DEMO_GROUP,
    DEMO_GROUP_NAME,
    DEMO_LICENSE_CREDITS,
    DEMO_MEMBERS,
    DEMO_SUBSCRIPTION,
    DEMO_TEAM_NAME,
    DEMO_TEAM_TOKEN,
    DEMO_TOKEN,
    DEMO_USER,
)
from pushover_tui.simulator.groups import Group, Member
from pushover_tui.simulator.models import RequestRecord
from pushover_tui.simulator.open_client import (
    DEMO_2FA_CODE,
    DEMO_2FA_EMAIL,
    DEMO_2FA_PASSWORD,
    DEMO_2FA_USER,
    DEMO_EMAIL,
    DEMO_PASSWORD,
)
from pushover_tui.simulator.server import FAULT_KINDS, Simulator
from pushover_tui.simulator.standalone import run_standalone
from pushover_tui.simulator.state import StateError
from pushover_tui.simulator.teams import Team, TeamMember

__all__ = [
    "DEMO_2FA_CODE",
    "DEMO_2FA_EMAIL",
    "DEMO_2FA_PASSWORD",
    "DEMO_2FA_USER",
    "DEMO_BOB",
    "DEMO_CAROL",
    "DEMO_EMAIL",
    "DEMO_GROUP",
    "DEMO_GROUP_NAME",
    "DEMO_LICENSE_CREDITS",
    "DEMO_MEMBERS",
    "DEMO_PASSWORD",
    "DEMO_SUBSCRIPTION",
    "DEMO_TEAM_NAME",
    "DEMO_TEAM_TOKEN",
    "DEMO_TOKEN",
    "DEMO_USER",
    "FAULT_KINDS",
    "Group",
    "Member",
    "RequestRecord",
    "Simulator",
    "StateError",
    "Team",
    "TeamMember",
    "run_standalone",
]
