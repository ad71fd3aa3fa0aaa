"""`pushover-tui serve`'s command line, without a browser: what it refuses (one sentence, exit 2),
what it warns about, and the dashboard command each tab runs. The browser side is in
tests/test_serve_browser.py."""

from __future__ import annotations

import importlib.util
import io
import sys
from pathlib import Path

import pytest

from pushover_tui.cli import EXIT_OK, EXIT_USAGE, main
from pushover_tui.cli.base import EXIT_CANNOT_START

pytest.importorskip("textual_serve", reason="the web extra is not installed")

from pushover_tui import web  # (needs the extra)


def run(argv: list[str], env: dict[str, str] | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, env=env or {}, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def served(monkeypatch) -> list[web.ServeSettings]:
    """Stands in for the server: records the settings `serve` would run with."""
    runs: list[web.ServeSettings] = []
    monkeypatch.setattr(web, "serve", lambda settings, show: runs.append(settings))
    return runs


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "wallscreen.example.com"])
def test_a_host_beyond_loopback_is_refused_without_allow_remote(host, served) -> None:
    code, _out, err = run(["serve", "--host", host])
    assert code == EXIT_USAGE
    assert err.count("\n") == 1 and "--allow-remote" in err and host in err
    assert served == []


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_loopback_hosts_need_nothing_more(host, served) -> None:
    code, _out, err = run(["serve", "--host", host])
    assert (code, err) == (EXIT_OK, "")
    assert served[0].host == host


def test_allow_remote_serves_and_warns_to_put_tls_in_front(served) -> None:
    code, _out, err = run(["serve", "--host", "0.0.0.0", "--allow-remote"])
    assert code == EXIT_OK
    assert "TLS" in err and err.count("\n") == 1
    assert served[0].host == "0.0.0.0"


def test_without_the_web_extra_one_sentence_names_it(monkeypatch) -> None:
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *args: None if name == "textual_serve" else real_find_spec(name, *args),
    )
    code, out, err = run(["serve"])
    assert code == EXIT_USAGE
    assert "pip install 'pushover-tui[web]'" in err and err.count("\n") == 1
    assert out == ""


def test_a_token_from_the_environment_must_be_long_enough(served) -> None:
    code, _out, err = run(["serve"], env={"PUSHOVER_TUI_SERVE_TOKEN": "short"})
    assert code == EXIT_USAGE
    assert "PUSHOVER_TUI_SERVE_TOKEN" in err and err.count("\n") == 1
    assert served == []


def test_each_token_is_random_unless_the_environment_sets_one(served) -> None:
    run(["serve"])
    run(["serve"])
    run(["serve"], env={"PUSHOVER_TUI_SERVE_TOKEN": "wall-screen-token-0123456789"})
    first, second, from_env = served
    assert first.token != second.token and len(first.token) >= 32
    assert not first.token_from_env
    assert (from_env.token, from_env.token_from_env) == ("wall-screen-token-0123456789", True)


def test_each_dashboard_runs_with_the_options_serve_was_given(served, tmp_path) -> None:
    config = tmp_path / "config.toml"
    argv = ["serve", "--demo", "--read-only", "--max-sessions", "2", "--profile", "work"]
    run([*argv, "--config", str(config), "--api-url", "http://127.0.0.1:1/1"])
    (settings,) = served
    assert settings.max_sessions == 2
    assert settings.dashboard == (
        sys.executable,
        "-m",
        "pushover_tui",
        "--config",
        str(Path(config).resolve()),
        "--profile",
        "work",
        "--api-url",
        "http://127.0.0.1:1/1",
        "--demo",
        "--read-only",
    )


@pytest.mark.parametrize("value", ["0", "65", "many"])
def test_max_sessions_is_a_whole_number_from_1_to_64(value, served, capsys) -> None:
    code, _out, _err = run(["serve", "--max-sessions", value])
    assert code == EXIT_USAGE
    assert "argument --max-sessions: max-sessions must be" in capsys.readouterr().err
    assert served == []


def test_a_port_in_use_is_one_sentence(isolated_env) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = run(["serve", "--port", str(port)], env=isolated_env)
    # As the simulator and the bridge say it, with their code for "cannot start".
    assert code == EXIT_CANNOT_START
    assert err == (
        f"pushover-tui: port {port} is in use: stop what listens there, or choose another --port.\n"
    )
    assert out == ""


def test_an_unknown_profile_is_refused_before_serving(served, isolated_env, demo_config) -> None:
    code, _out, err = run(["serve", "--profile", "nope"], env=isolated_env)
    assert code == EXIT_USAGE
    assert "nope" in err and err.count("\n") == 1
    assert served == []


@pytest.mark.parametrize(
    "argv", [["serve", "--read-only", "--demo"], ["--read-only", "--demo", "serve"]]
)
def test_read_only_and_demo_reach_the_dashboards_before_or_after_serve(argv, served) -> None:
    run(argv)
    assert served[0].dashboard[-2:] == ("--demo", "--read-only")
