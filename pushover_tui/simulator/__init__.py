"""Pushover simulator: a local stand-in for the Pushover API over real HTTP."""

from pushover_tui.simulator.models import RequestRecord
from pushover_tui.simulator.server import (
    DEMO_GROUP,
    DEMO_TOKEN,
    DEMO_USER,
    FAULT_KINDS,
    Simulator,
    run_standalone,
)
from pushover_tui.simulator.state import StateError

__all__ = [
    "DEMO_GROUP",
    "DEMO_TOKEN",
    "DEMO_USER",
    "FAULT_KINDS",
    "RequestRecord",
    "Simulator",
    "StateError",
    "run_standalone",
]
