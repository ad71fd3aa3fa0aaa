"""Shared pytest fixtures. Each fixture stays self-contained: others add theirs below."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pushover_tui.simulator import Simulator


@pytest.fixture
def simulator() -> Iterator[Simulator]:
    """A started Pushover simulator on an ephemeral loopback port, stopped afterwards."""
    sim = Simulator(host="127.0.0.1", port=0)
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()
