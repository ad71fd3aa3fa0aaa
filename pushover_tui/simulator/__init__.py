"""Pushover simulator: a local stand-in for the Pushover API over real HTTP."""

from pushover_tui.simulator.models import RequestRecord
from pushover_tui.simulator.open_client import (
    DEMO_2FA_CODE,
    DEMO_2FA_EMAIL,
    DEMO_2FA_PASSWORD,
    DEMO_2FA_USER,
    DEMO_EMAIL,
    DEMO_PASSWORD,
)
from pushover_tui.simulator.server import (
    DEMO_GROUP,
    DEMO_TOKEN,
    DEMO_USER,
    FAULT_KINDS,
    Simulator,
    run_standalone,
)

__all__ = [
    "DEMO_2FA_CODE",
    "DEMO_2FA_EMAIL",
    "DEMO_2FA_PASSWORD",
    "DEMO_2FA_USER",
    "DEMO_EMAIL",
    "DEMO_GROUP",
    "DEMO_PASSWORD",
    "DEMO_TOKEN",
    "DEMO_USER",
    "FAULT_KINDS",
    "RequestRecord",
    "Simulator",
    "run_standalone",
]
