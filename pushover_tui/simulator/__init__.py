"""Pushover simulator: a local stand-in for the Pushover API over real HTTP."""

from pushover_tui.simulator.groups import Group, Member
from pushover_tui.simulator.models import RequestRecord
from pushover_tui.simulator.server import (
    DEMO_BOB,
    DEMO_CAROL,
    DEMO_GROUP,
    DEMO_GROUP_NAME,
    DEMO_MEMBERS,
    DEMO_TOKEN,
    DEMO_USER,
    FAULT_KINDS,
    Simulator,
    run_standalone,
)
from pushover_tui.simulator.state import StateError

__all__ = [
    "DEMO_BOB",
    "DEMO_CAROL",
    "DEMO_GROUP",
    "DEMO_GROUP_NAME",
    "DEMO_MEMBERS",
    "DEMO_TOKEN",
    "DEMO_USER",
    "FAULT_KINDS",
    "Group",
    "Member",
    "RequestRecord",
    "Simulator",
    "StateError",
    "run_standalone",
]
