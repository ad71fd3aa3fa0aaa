"""Shared pytest fixtures. Each fixture stays self-contained: others add theirs below."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pushover_tui.simulator import Simulator


@pytest.fixture
def simulator(pushover_simulator: Simulator) -> Simulator:
    """A started Pushover simulator on an ephemeral loopback port, stopped afterwards: the
    `pushover_simulator` fixture the package ships (simulator/pytest_plugin.py), so every test
    here that uses this one runs the plugin as other projects do."""
    return pushover_simulator


@pytest.fixture
def isolated_env(tmp_path, monkeypatch) -> dict[str, str]:
    """An environment whose config file and data folder live under tmp_path; no PUSHOVER_* keys.

    Also applied to os.environ, so code that reads the real environment stays isolated too."""
    for name in ("PUSHOVER_TOKEN", "PUSHOVER_USER", "PUSHOVER_API_URL", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    env = {
        "PUSHOVER_TUI_CONFIG": str(tmp_path / "config" / "config.toml"),
        "PUSHOVER_TUI_DATA": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg-config"),
        "XDG_DATA_HOME": str(tmp_path / "xdg-data"),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def demo_config(isolated_env, simulator):
    """A config file with the documentation's example keys, pointing at the simulator."""
    from pushover_tui.api.secret import Secret
    from pushover_tui.simulator import DEMO_TOKEN, DEMO_USER
    from pushover_tui.store.config import Config, Profile, save_config

    profile = Profile(name="personal", token=Secret(DEMO_TOKEN), user=Secret(DEMO_USER))
    config = Config(
        path=Path(isolated_env["PUSHOVER_TUI_CONFIG"]),
        default_profile="personal",
        profiles=(profile,),
        api_url=simulator.base_url,
    )
    save_config(config)
    return config


@pytest.fixture
def make_app(isolated_env):
    """Build the TUI app on the isolated config and data folder: make_app(**build_app_options)."""
    from pushover_tui.tui.app import build_app

    def make(**options):
        options.setdefault("env", dict(isolated_env))
        return build_app(**options)

    return make


@pytest.fixture
def tmpfs() -> Iterator[Callable[[str], Path]]:
    """tmpfs(size) mounts a fresh tmpfs of `size` (e.g. "400k") and returns its folder, unmounted
    after the test. Needs root and mount: the test is skipped otherwise."""
    mounted: list[Path] = []

    def mount(size: str) -> Path:
        mount_point = Path(tempfile.mkdtemp(prefix="pushover-tui-tmpfs-"))
        result = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount_point)],
            capture_output=True,
            check=False,
        )
        if result.returncode != 0:
            mount_point.rmdir()
            pytest.skip("cannot mount a tmpfs here: " + result.stderr.decode().strip())
        mounted.append(mount_point)
        return mount_point

    yield mount
    for mount_point in mounted:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)
        mount_point.rmdir()


@pytest.fixture
def steady_api_host(monkeypatch):
    """Snapshots show the simulator as 127.0.0.1:8765 (the status line names a non-default
    API host, and the test simulator's port changes every run)."""
    from pushover_tui.tui.widgets import status_bar

    monkeypatch.setattr(status_bar, "api_host", lambda api_url: "127.0.0.1:8765")
