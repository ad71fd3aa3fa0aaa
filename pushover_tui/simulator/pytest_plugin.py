"""pytest plugin: a Pushover simulator per test, for any project that sends Pushover messages.

Installed with pushover-tui (entry point `pytest11`), so `pip install pushover-tui` is enough:

    def test_alert(pushover_simulator):
        my_app.send_alert(api_url=pushover_simulator.base_url)
        assert pushover_simulator.messages[-1]["message"] == "disk full"

The fixture yields a started `Simulator` on a free loopback port (`base_url`, `requests` the
request log, `messages`, `ack`, `inject_fault`, ...), stopped after the test. Override the
`pushover_simulator_options` fixture (or parametrize it) to pass `Simulator` keyword arguments,
such as `state` (a JSON/TOML file or a table: quota, apps, users, sounds, groups, accounts)
or `ack_after`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pushover_tui.simulator.server import Simulator


@pytest.fixture
def pushover_simulator_options() -> dict[str, object]:
    """Keyword arguments for `Simulator(...)`; override or parametrize this to change them."""
    return {}


@pytest.fixture
def pushover_simulator(pushover_simulator_options: dict[str, object]) -> Iterator[Simulator]:
    """A started Pushover simulator on a free loopback port, stopped after the test."""
    options = {"host": "127.0.0.1", "port": 0, **pushover_simulator_options}
    with Simulator(**options) as simulator:  # type: ignore[arg-type]
        yield simulator
