"""The headless command line against the simulator: every command and every exit code."""

from __future__ import annotations

import gc
import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pushover_tui import cli
from pushover_tui.simulator import DEMO_TOKEN, DEMO_USER
from pushover_tui.store.config import load_config
from pushover_tui.store.history import History


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def run(env: dict[str, str], *argv: str, stdin: str | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(
        list(argv),
        env=env,
        stdin=Tty("") if stdin is None else io.StringIO(stdin),
        stdout=out,
        stderr=err,
    )
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def env(isolated_env, demo_config) -> dict[str, str]:
    """Keys and simulator URL in the config file; isolated dirs."""
    return dict(isolated_env)


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch):
    # Keeps the retry count and order real, without waiting 5 s per retry.
    monkeypatch.setattr("pushover_tui.api.client.RETRY_GAP", 0.01)


def history_rows(env: dict[str, str]):
    with History.open(Path(env["PUSHOVER_TUI_DATA"])) as history:
        return history.page()


def test_send_prints_request_and_records_cli_row(env, simulator):
    code, out, err = run(env, "send", "hello from a script", "--title", "Backup")
    assert code == cli.EXIT_OK, err
    assert "Sent" in out and "request" in out
    [row] = history_rows(env)
    assert (row.origin, row.status.value, row.title) == ("cli", "sent", "Backup")
    assert simulator.messages[-1]["message"] == "hello from a script"


def test_commands_run_with_the_cyclic_collector_and_main_leaves_it_on(env, monkeypatch):
    """main pauses the collector for start-up only (an error path may leave a connection in a
    reference cycle): the command runs with it, and it is on again after a parse error too."""
    seen: list[bool] = []

    async def cmd_send(ctx) -> int:
        seen.append(gc.isenabled())
        return cli.EXIT_OK

    monkeypatch.setattr("pushover_tui.cli.messages.cmd_send", cmd_send)
    assert run(env, "send", "x")[0] == cli.EXIT_OK
    assert seen == [True] and gc.isenabled()
    assert run(env, "send", "--priority", "9")[0] == cli.EXIT_USAGE
    assert gc.isenabled()


def test_the_dashboard_starts_with_the_collector_still_paused(env, monkeypatch):
    """The dashboard's start-up goes on to its first frame, which resumes the collector
    (tui/startup.py); main leaves it on when the dashboard ends."""
    seen: list[bool] = []

    def cmd_tui(ctx) -> int:
        seen.append(gc.isenabled())
        return cli.EXIT_OK

    monkeypatch.setattr("pushover_tui.cli.services.cmd_tui", cmd_tui)
    monkeypatch.setattr(sys, "argv", ["pushover-tui"])
    assert cli.main(env=env, stdout=io.StringIO(), stderr=io.StringIO()) == cli.EXIT_OK
    assert seen == [False] and gc.isenabled()


def test_send_json_uses_api_field_names(env, simulator):
    code, out, _ = run(env, "send", "x", "--priority", "1", "--sound", "siren", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["message"] == "x"
    assert data["priority"] == 1
    assert data["sound"] == "siren"
    assert data["status"] == "sent"
    assert data["request"]
    assert DEMO_TOKEN not in out and DEMO_USER not in out


@pytest.mark.parametrize("argv", [["send"], ["send", "-"]])
def test_send_reads_stdin(env, simulator, argv):
    code, _, err = run(env, *argv, stdin="disk almost full\n")
    assert code == 0, err
    assert simulator.messages[-1]["message"] == "disk almost full"


def test_send_without_message_on_a_terminal_is_a_usage_error(env, simulator):
    code, _, err = run(env, "send")
    assert code == cli.EXIT_USAGE
    assert "MESSAGE" in err
    assert simulator.messages == []


def test_field_problems_exit_2_and_nothing_sent_or_recorded(env, simulator):
    code, _, err = run(env, "send", "x", "--title", "t" * 251)
    assert code == cli.EXIT_USAGE
    assert "title" in err and "250" in err
    code, _, err = run(env, "send", "x", "--priority", "2", "--retry", "10")
    assert code == cli.EXIT_USAGE
    assert "retry" in err
    assert simulator.messages == []
    assert history_rows(env) == []


def test_bad_option_value_is_a_usage_error(env, capsys):
    code, _, _ = run(env, "send", "x", "--priority", "7")
    assert code == cli.EXIT_USAGE
    assert "priority must be between -2 and 2" in capsys.readouterr().err  # argparse's own


def test_no_credentials_exit_6(isolated_env):
    code, _, err = run(dict(isolated_env), "send", "x")
    assert code == cli.EXIT_NO_CREDENTIALS
    assert "config set token" in err


def test_env_keys_override_missing_file(isolated_env, simulator):
    env = {
        **isolated_env,
        "PUSHOVER_TOKEN": DEMO_TOKEN,
        "PUSHOVER_USER": DEMO_USER,
        "PUSHOVER_API_URL": simulator.base_url,
    }
    code, _, err = run(env, "send", "from env")
    assert code == 0, err


def test_rejected_exit_3_names_field_and_request(env, simulator):
    env["PUSHOVER_USER"] = "u" * 30  # well formed, unknown to the API
    code, _, err = run(env, "send", "x")
    assert code == cli.EXIT_REJECTED
    assert "user" in err and "request" in err
    [row] = history_rows(env)
    assert row.status.value == "failed" and row.request_id


def test_quota_exceeded_exit_4(env, simulator):
    simulator.set_remaining(DEMO_TOKEN, 0)
    code, _, err = run(env, "send", "x")
    assert code == cli.EXIT_QUOTA
    assert "quota" in err.lower()


def test_temporary_failure_exit_5_after_retries(env, simulator):
    simulator.inject_fault("503", count=3)
    code, _, err = run(env, "send", "x")
    assert code == cli.EXIT_TEMPORARY
    assert "503" in err and "3 attempts" in err
    assert [r.status for r in simulator.requests] == [503, 503, 503]
    assert history_rows(env)[0].status.value == "failed"


def test_temporary_failure_then_success(env, simulator):
    simulator.inject_fault("502", count=2)
    code, _, _ = run(env, "send", "x")
    assert code == 0
    assert history_rows(env)[0].status.value == "sent"


def test_redirect_not_followed(env, simulator):
    simulator.inject_fault("redirect", count=3)
    code, _, err = run(env, "send", "x")
    assert code == cli.EXIT_TEMPORARY
    assert "redirect" in err and DEMO_TOKEN not in err


def test_unexpected_response_exit_1(env, simulator):
    simulator.inject_fault("html")
    code, _, err = run(env, "send", "x")
    assert code == cli.EXIT_UNEXPECTED
    assert "Unexpected response" in err and "Traceback" not in err


def test_timeout_is_temporary(env, simulator):
    env["PUSHOVER_TUI_TIMEOUT"] = "0.3"
    simulator.inject_fault("hang", count=3, seconds=2)
    code, _, err = run(env, "send", "x")
    simulator.release()
    assert code == cli.EXIT_TEMPORARY
    assert "did not answer" in err


def test_wait_acknowledged_exit_0(env, simulator):
    simulator.ack_after = 1  # acknowledged before the first poll, 5 s after sending
    code, out, err = run(env, "send", "fire", "--priority", "2", "--retry", "30", "--wait")
    assert code == cli.EXIT_OK, err
    assert "acknowledged" in out
    assert history_rows(env)[0].receipt_state.value == "acknowledged"


def test_wait_expired_exit_7(env, simulator):
    argv = ["send", "fire", "--priority", "2", "--retry", "30", "--expire", "1", "--wait"]
    code, out, _ = run(env, *argv, "--json")
    assert code == cli.EXIT_NOT_ACKNOWLEDGED
    assert json.loads(out)["receipt_state"] == "expired"


def test_validate_sounds_limits(env, simulator):
    code, out, _ = run(env, "validate", "--json")
    assert code == 0 and json.loads(out)["devices"] == ["iphone", "pixel"]
    code, out, _ = run(env, "validate", "--device", "nosuchphone")
    assert code == cli.EXIT_REJECTED
    code, out, _ = run(env, "sounds", "--json")
    assert code == 0 and "siren" in json.loads(out)["sounds"]
    code, out, _ = run(env, "limits", "--json")
    assert code == 0 and json.loads(out)["limit"] == 10_000


def test_receipt_and_cancel(env, simulator):
    code, out, _ = run(env, "send", "fire", "--priority", "2", "--retry", "60", "--json")
    receipt = json.loads(out)["receipt"]
    code, out, _ = run(env, "receipt", receipt, "--json")
    assert code == 0 and json.loads(out)["acknowledged"] == 0
    code, _, err = run(env, "cancel", receipt)
    assert code == 0, err
    assert history_rows(env)[0].receipt_state.value == "cancelled"
    code, out, _ = run(env, "receipt", receipt, "--json")
    assert json.loads(out)["expired"] == 1


def test_cancel_by_tag(env, simulator):
    run(env, "send", "a", "--priority", "2", "--retry", "60", "--tag", "db")
    run(env, "send", "b", "--priority", "2", "--retry", "60", "--tag", "web")
    code, out, _ = run(env, "cancel", "--tag", "db", "--json")
    assert code == 0 and json.loads(out)["canceled"] == 1
    states = {row.message: row.receipt_state.value for row in history_rows(env)}
    assert states == {"a": "cancelled", "b": "awaiting"}


def test_cancel_needs_receipt_or_tag(env):
    assert run(env, "cancel")[0] == cli.EXIT_USAGE


def test_bad_receipt_is_a_usage_error(env, simulator):
    code, _, err = run(env, "receipt", "nope")
    assert code == cli.EXIT_USAGE and "receipt" in err


def test_unknown_receipt_rejected(env, simulator):
    code, _, err = run(env, "receipt", "r" * 30)
    assert code == cli.EXIT_REJECTED and "not found" in err


def test_history_filters_and_json(env, simulator):
    run(env, "send", "alpha")
    env_bad = {**env, "PUSHOVER_USER": "u" * 30}
    run(env_bad, "send", "beta")
    code, out, _ = run(env, "history", "--json")
    assert code == 0 and [row["message"] for row in json.loads(out)] == ["beta", "alpha"]
    code, out, _ = run(env, "history", "--status", "failed", "--json")
    assert [row["message"] for row in json.loads(out)] == ["beta"]
    code, out, _ = run(env, "history", "--search", "alp")
    assert "alpha" in out and "beta" not in out


def test_config_show_masks_secrets_and_set_validates(env):
    code, out, _ = run(env, "config", "show")
    assert code == 0
    assert DEMO_TOKEN not in out and DEMO_USER not in out and "azGD" in out
    code, out, _ = run(env, "config", "show", "--json")
    assert DEMO_TOKEN not in out and json.loads(out)["sources"]["token"] == "file"
    assert run(env, "config", "set", "priority", "1")[0] == 0
    assert json.loads(run(env, "config", "show", "--json")[1])["settings"]["priority"] == 1
    code, _, err = run(env, "config", "set", "token", "short")
    assert code == cli.EXIT_USAGE and "token" in err


def test_locate(env):
    assert run(env, "locate", "config")[1].strip() == env["PUSHOVER_TUI_CONFIG"]
    assert run(env, "locate", "data")[1].strip() == env["PUSHOVER_TUI_DATA"]


def test_plain_http_refused_for_remote_hosts(env):
    code, _, err = run(env, "send", "x", "--api-url", "http://api.example.com/1")
    assert code == cli.EXIT_USAGE and "http" in err


def test_help_documents_exit_codes():
    out = io.StringIO()
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["send", "--help"])
    parser_help = cli.build_parser().format_help()
    assert "exit codes" in parser_help and "7  with --wait" in parser_help
    del out


def test_real_process_reads_stdin_and_never_imports_textual(env, simulator):
    script = (
        "import sys; from pushover_tui.cli import main; code = main(['send', '--json']);"
        "assert 'textual' not in sys.modules, 'textual imported'; sys.exit(code)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        input="piped text",
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["message"] == "piped text"


def test_console_script_exit_code(env, simulator):
    result = subprocess.run(
        [sys.executable, "-m", "pushover_tui", "send", "x", "--priority", "2", "--retry", "5"],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
    )
    assert result.returncode == cli.EXIT_USAGE
    assert "retry" in result.stderr and "Traceback" not in result.stderr


def test_broken_config_is_never_overwritten(isolated_env):
    path = Path(isolated_env["PUSHOVER_TUI_CONFIG"])
    path.parent.mkdir(parents=True)
    path.write_text("[profiles.x\ntoken = 1\n")
    code, _, err = run(dict(isolated_env), "send", "x")
    assert code == cli.EXIT_USAGE
    assert str(path) in err and "line 1" in err and "untouched" in err
    assert path.read_text() == "[profiles.x\ntoken = 1\n"


def test_dashboard_offers_to_move_a_broken_config_aside(isolated_env, monkeypatch):
    path = Path(isolated_env["PUSHOVER_TUI_CONFIG"])
    path.parent.mkdir(parents=True)
    path.write_text("not = [valid")
    launched = []

    def run_app(**options):
        load_config(path)  # as the real app does first: raises while the file is broken
        launched.append(options)
        return 0

    monkeypatch.setattr("pushover_tui.tui.app.run", run_app)
    out, err = io.StringIO(), io.StringIO()
    code = cli.main([], env=dict(isolated_env), stdin=Tty("y\n"), stdout=out, stderr=err)
    assert code == 0
    assert "Moved it to" in out.getvalue() and not path.exists()
    assert next(path.parent.iterdir()).name.startswith("config.toml.broken-")
    assert len(launched) == 1


def test_test_message_takes_options_but_no_message(env, simulator):
    code, out, _ = run(env, "send", "--test", "--priority", "1", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["title"] == "pushover-tui test" and data["priority"] == 1
    assert data["message"].startswith("Test from pushover-tui at ")
    assert run(env, "send", "--test", "also text")[0] == cli.EXIT_USAGE


def test_json_always_has_every_field(env, simulator):
    code, out, _ = run(env, "send", "plain", "--json")
    assert code == 0
    data = json.loads(out)
    for key in ("title", "sound", "device", "url", "retry", "expire", "receipt", "error"):
        assert key in data
    code, out, _ = run(env, "send", "fire", "--priority", "2", "--retry", "60", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["receipt"] and data["acknowledged"] == 0 and data["acknowledged_by_device"] == ""


def test_unknown_profile_is_a_usage_error(env):
    code, _, err = run(env, "send", "x", "--profile", "nosuch")
    assert code == cli.EXIT_USAGE and "personal" in err


def test_validate_checks_the_device_name_first(env, simulator):
    code, _, err = run(env, "validate", "--device", "bad device")
    assert code == cli.EXIT_USAGE and "device" in err
    assert simulator.requests == []


def test_wait_on_a_normal_message_warns_and_returns(env, simulator):
    code, _, err = run(env, "send", "x", "--wait")
    assert code == 0 and "emergencies" in err


def test_library_warnings_are_one_escaped_line_on_stderr(env, monkeypatch):
    """A warning the pipeline logs (say a receipt poll that failed) reaches the command's own
    stderr as one line, control characters escaped, no traceback; nothing stays behind."""
    from pushover_tui.cli import setup

    def noisy(ctx) -> int:
        log = logging.getLogger("pushover_tui.tracker")
        try:
            raise ValueError("inside")
        except ValueError:
            log.warning("receipt poll failed: %s", "\x1b]0;PWNED\x07 x\nforged", exc_info=True)
        log.info("not a warning: not shown")
        return cli.EXIT_OK

    monkeypatch.setattr(setup, "cmd_locate", noisy)
    # As in a command-line process: no other handler on the root logger (pytest's own carry
    # filters that earlier in-process bridge runs added).
    monkeypatch.setattr(logging.getLogger(), "handlers", [])
    code, out, err = run(env, "locate", "config")
    assert code == cli.EXIT_OK and out == ""
    assert err == "pushover-tui: receipt poll failed: \\x1b]0;PWNED\\x07 x\\x0aforged\n"
    assert logging.getLogger().handlers == []


def test_simulator_state_help_names_every_section_the_file_accepts(capsys):
    from pushover_tui.simulator.state import SECTIONS

    assert cli.main(["simulator", "--help"]) == cli.EXIT_OK
    text = " ".join(capsys.readouterr().out.split())
    state_help = text[text.index("--state FILE") :]
    assert all(name in state_help for name in SECTIONS), state_help


def test_send_to_a_blank_recipient_is_refused_and_sends_nothing(env, simulator):
    code, _, err = run(env, "send", "hello", "--to", "")
    assert code == cli.EXIT_USAGE
    assert "--to is blank" in err and err.count("\n") == 1
    assert simulator.messages == []
    assert run(env, "send", "hello", "--to", "  ")[0] == cli.EXIT_USAGE


@pytest.mark.parametrize(
    "argv",
    [
        ["send", "hi"],
        ["--profile", "personal", "send", "hi"],
        ["--prof", "personal", "send", "hi"],
        ["--profile=personal", "send", "hi"],
        ["--config", "unused.toml", "send", "hi", "--profile", "personal"],
    ],
)
def test_the_command_is_found_among_global_options(argv):
    # main declares only the command being run (the others' options cost start-up time).
    only = cli._command_in(argv)
    assert only == "send"
    parser, _ = cli._build(only)
    args = parser.parse_args(argv)
    assert (args.command, args.message) == ("send", "hi")


def test_the_full_parser_and_the_one_command_parser_agree():
    full, _ = cli._build()
    for argv in (["history", "--json", "--limit", "5"], ["group", "oncall", "ops", "Bob"]):
        one, _ = cli._build(cli._command_in(argv))
        assert vars(one.parse_args(argv)) == vars(full.parse_args(argv))
