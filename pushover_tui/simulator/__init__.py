"""Pushover simulator: a local stand-in for the Pushover API over real HTTP.

The demo keys are imported with the package; every other name on its first use (PEP 562): the
dashboard's `--demo` reads the keys before its first frame and imports the simulator after it
(~22 ms of imports, tui/startup.py)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from pushover_tui.simulator.demo import DEMO_MEMBERS
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

# Each name imported on first use, from its module.
_MODULE_OF = {
    "DEMO_MEMBERS": "demo",
    "Group": "groups",
    "Member": "groups",
    "RequestRecord": "models",
    "DEMO_2FA_CODE": "open_client",
    "DEMO_2FA_EMAIL": "open_client",
    "DEMO_2FA_PASSWORD": "open_client",
    "DEMO_2FA_USER": "open_client",
    "DEMO_EMAIL": "open_client",
    "DEMO_PASSWORD": "open_client",
    "FAULT_KINDS": "server",
    "Simulator": "server",
    "run_standalone": "standalone",
    "StateError": "state",
    "Team": "teams",
    "TeamMember": "teams",
}


def __getattr__(name: str) -> object:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


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
