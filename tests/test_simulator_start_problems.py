"""`pushover-tui simulator` that cannot start, or is given a value it cannot use, says so in one
sentence with the documented exit code (8: cannot start, 2: usage) — real processes throughout."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def simulator(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pushover_tui", "simulator", *argv],
        capture_output=True,
        text=True,
        env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )


def test_a_port_in_use_is_one_sentence_and_exit_8(isolated_env):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = simulator("--port", str(port), env=isolated_env)
    assert result.returncode == 8
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith(f"pushover-tui: port {port} is in use")


@pytest.mark.parametrize("host", ["[::1]", "no-such-host.invalid"])
def test_a_host_it_cannot_listen_on_is_named_with_exit_8(isolated_env, host):
    result = simulator("--host", host, "--port", "0", env=isolated_env)
    assert result.returncode == 8
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith(f"pushover-tui: --host {host} is not an address")


def test_python_m_simulator_uses_exit_8_too():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "pushover_tui.simulator", "--port", str(port)],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            timeout=60,
        )
    assert result.returncode == 8 and f"port {port} is in use" in result.stderr


@pytest.mark.parametrize("value", ["-5", "nan", "inf"])
def test_a_negative_or_endless_ack_after_is_a_usage_error(isolated_env, value):
    result = simulator("--ack-after", value, "--port", "0", env=isolated_env)
    assert result.returncode == 2
    assert "--ack-after must be" in result.stderr and result.stdout == ""


def test_a_state_file_without_end_is_refused_at_64_mib(isolated_env):
    result = simulator("--state", "/dev/zero", "--port", "0", env=isolated_env)
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert (
        line
        == "pushover-tui: state file /dev/zero: is larger than 64 MiB, the most a state file may be"
    )


def test_python_m_simulator_refuses_a_negative_ack_after_too():
    result = subprocess.run(
        [sys.executable, "-m", "pushover_tui.simulator", "--ack-after", "-5"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    assert result.returncode == 2 and "--ack-after must be 0 or more" in result.stderr
