"""`pushover-tui inbox ...` against the simulator: every command, its output and exit code, the
session kept private, and the websocket library kept off `send` and the dashboard's start."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from pushover_tui import cli
from pushover_tui.simulator import (
    DEMO_2FA_CODE,
    DEMO_2FA_EMAIL,
    DEMO_2FA_PASSWORD,
    DEMO_EMAIL,
    DEMO_PASSWORD,
    DEMO_TOKEN,
    DEMO_USER,
)
from pushover_tui.store.config import load_config

ROOT = Path(__file__).resolve().parents[1]
WAIT = 10.0  # an upper bound for what must happen, never a measured time
LOGIN = f"{DEMO_EMAIL}\n{DEMO_PASSWORD}\n"


def run(env: dict[str, str], *argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), env=env, stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def env(isolated_env, demo_config) -> dict[str, str]:
    return dict(isolated_env)


@pytest.fixture
def logged_in(env) -> dict[str, str]:
    code, _, err = run(env, "inbox", "login", "--device-name", "tui-cli", stdin=LOGIN)
    assert code == 0, err
    return env


def send(env: dict[str, str], *argv: str) -> None:
    code, _, err = run(env, "send", *argv)
    assert code == 0, err


def session_values(env: dict[str, str]) -> tuple[str, str]:
    inbox = load_config(Path(env["PUSHOVER_TUI_CONFIG"])).profile().inbox
    assert inbox is not None
    return inbox.secret.reveal(), inbox.device_id.reveal()


# ---- login and logout ----------------------------------------------------------------------


def test_login_keeps_the_session_private_and_never_the_password(env, simulator):
    code, out, err = run(env, "inbox", "login", stdin=LOGIN)
    assert code == 0, err
    assert "Logged in" in out and "Pushover for Desktop license" in out and "30 days" in out
    config_file = Path(env["PUSHOVER_TUI_CONFIG"])
    text = config_file.read_text()
    secret, device_id = session_values(env)
    assert "[profiles.personal.inbox]" in text and secret in text and device_id in text
    assert DEMO_PASSWORD not in text
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600
    for command in (["config", "show"], ["config", "show", "--json"]):
        _, shown, _ = run(env, *command)
        assert secret[:12] not in shown and device_id[:12] not in shown


def test_login_with_two_factor_reads_the_code_when_asked(env, simulator):
    stdin = f"{DEMO_2FA_EMAIL}\n{DEMO_2FA_PASSWORD}\n"
    code, _, err = run(env, "inbox", "login", stdin=stdin)
    assert code == cli.EXIT_USAGE and "two-factor code" in err
    code, out, err = run(env, "inbox", "login", stdin=stdin + f"{DEMO_2FA_CODE}\n")
    assert code == 0, err
    assert "Logged in" in out
    code, _, err = run(env, "inbox", "login", "--device-name", "x2", stdin=stdin + "000000\n")
    assert code == cli.EXIT_REJECTED and "not accepted" in err


def test_wrong_password_exit_3_without_echoing_it(env, simulator):
    code, out, err = run(env, "inbox", "login", stdin=f"{DEMO_EMAIL}\nNotThePassword42\n")
    assert code == cli.EXIT_REJECTED
    assert "NotThePassword42" not in out + err and err.count("\n") == 1


def test_bad_device_name_is_a_usage_error_before_any_prompt(env, simulator):
    code, _, err = run(env, "inbox", "login", "--device-name", "not valid!", stdin="")
    assert code == cli.EXIT_USAGE and "device_name" in err
    assert simulator.requests == []


def test_a_taken_device_name_says_so(env, simulator):
    code, _, err = run(env, "inbox", "login", "--device-name", "iphone", stdin=LOGIN)
    assert code == cli.EXIT_REJECTED
    assert "'iphone'" in err and "already been taken" in err
    assert load_config(Path(env["PUSHOVER_TUI_CONFIG"])).profile().inbox is None


def test_missing_answers_are_a_usage_error(env, simulator):
    code, _, err = run(env, "inbox", "login", stdin=f"{DEMO_EMAIL}\n")
    assert code == cli.EXIT_USAGE and "password" in err


def remove_device(simulator, name: str) -> None:
    """What removing the device on pushover.net does: the device and its name are gone. The
    simulator has no call for it, so this edits its state under its lock."""
    from dataclasses import replace

    state = simulator._open_clients
    with simulator._lock:
        for device in [d for d in state.devices.values() if d.name == name]:
            del state.devices[device.id]
            info = state.users[device.user]
            names = tuple(n for n in info.devices if n != name)
            state.users[device.user] = replace(info, devices=names)


def test_login_registers_again_a_device_pushover_no_longer_has(logged_in, simulator):
    _, old_device = session_values(logged_in)
    code, out, _ = run(logged_in, "inbox", "login", stdin=LOGIN)
    assert code == 0 and "(kept)" in out  # still known upstream: kept
    assert session_values(logged_in)[1] == old_device
    remove_device(simulator, "tui-cli")
    code, out, err = run(logged_in, "inbox", "login", stdin=LOGIN)
    assert code == 0, err
    assert "'tui-cli'" in out and "(kept)" not in out and "30 days" in out
    assert session_values(logged_in)[1] != old_device
    send(logged_in, "after the device came back")
    code, out, err = run(logged_in, "inbox")
    assert code == 0 and "after the device came back" in out, err


def test_logout_forgets_the_session(logged_in, simulator):
    code, out, _ = run(logged_in, "inbox", "logout")
    assert code == 0 and "'tui-cli'" in out
    assert load_config(Path(logged_in["PUSHOVER_TUI_CONFIG"])).profile().inbox is None
    assert run(logged_in, "inbox")[0] == cli.EXIT_NO_CREDENTIALS
    assert run(logged_in, "inbox", "logout")[0] == 0


def test_not_logged_in_exit_6(env, simulator):
    code, _, err = run(env, "inbox")
    assert code == cli.EXIT_NO_CREDENTIALS and "inbox login" in err


# ---- receiving -----------------------------------------------------------------------------


def test_inbox_prints_pending_then_deletes_them(logged_in, simulator):
    send(logged_in, "disk almost full", "--title", "nas01", "--priority", "1")
    code, out, err = run(logged_in, "inbox")
    assert code == 0, err
    assert "nas01" in out and "disk almost full" in out and "High" in out
    assert simulator.queued("tui-cli") == 0
    assert run(logged_in, "inbox")[1].strip() == "No pending messages."


def test_keep_leaves_them_and_json_is_a_list_with_the_api_names(logged_in, simulator):
    send(logged_in, "first")
    send(logged_in, "second", "--url", "https://example.com", "--url-title", "ex")
    code, out, _ = run(logged_in, "inbox", "--keep", "--json")
    assert code == 0
    first, second = json.loads(out)
    assert (first["message"], second["message"]) == ("first", "second")
    assert int(first["id_str"]) < int(second["id_str"]) and second["url_title"] == "ex"
    for name in ("id", "umid", "title", "app", "date", "priority", "acked", "receipt"):
        assert name in first
    assert simulator.queued("tui-cli") == 2
    assert len(json.loads(run(logged_in, "inbox", "--json")[1])) == 2  # still pending: again
    assert json.loads(run(logged_in, "inbox", "--json")[1]) == []


def test_received_text_is_escaped_on_a_terminal(logged_in, simulator):
    # Another sender's message (our own send refuses control characters): straight to the API.
    form = {"token": DEMO_TOKEN, "user": DEMO_USER, "message": "evil \x1b]0;owned\x07 title"}
    assert httpx.post(f"{simulator.base_url}/messages.json", data=form).status_code == 200
    _, out, _ = run(logged_in, "inbox")
    assert "\x1b" not in out and "\\x1b" in out


def test_ack_acknowledges_as_this_device(logged_in, simulator):
    send(logged_in, "db down", "--priority", "2", "--retry", "30", "--expire", "600")
    _, out, _ = run(logged_in, "inbox")
    receipt = simulator_receipt(logged_in)
    assert f"pushover-tui inbox ack {receipt}" in out
    code, out, err = run(logged_in, "inbox", "ack", receipt)
    assert code == 0, err
    assert "'tui-cli'" in out
    code, out, _ = run(logged_in, "receipt", receipt, "--json")
    assert json.loads(out)["acknowledged_by_device"] == "tui-cli"


def simulator_receipt(env: dict[str, str]) -> str:
    code, out, _ = run(env, "history", "--json")
    assert code == 0
    return next(row["receipt"] for row in json.loads(out) if row["receipt"])


def test_ack_errors(logged_in, simulator):
    assert run(logged_in, "inbox", "ack", "short")[0] == cli.EXIT_USAGE
    assert run(logged_in, "inbox", "ack", "r" * 30)[0] == cli.EXIT_REJECTED


def test_listing_options_do_not_go_with_an_action(logged_in):
    code, _, err = run(logged_in, "inbox", "--json", "logout")
    assert code == cli.EXIT_USAGE and "--json" in err


def test_an_invalid_session_says_to_log_in_again(logged_in, simulator):
    simulator.disable_device("tui-cli")
    code, _, err = run(logged_in, "inbox")
    assert code == cli.EXIT_REJECTED and "pushover-tui inbox login" in err


class Lines(io.StringIO):
    """stdout that lets a test wait for lines written by another thread."""

    def __init__(self) -> None:
        super().__init__()
        self.changed = threading.Condition()

    def write(self, text: str) -> int:
        with self.changed:
            written = super().write(text)
            self.changed.notify_all()
        return written

    def wait_for(self, count: int) -> list[str]:
        with self.changed:
            assert self.changed.wait_for(lambda: self.getvalue().count("\n") >= count, WAIT)
            return self.getvalue().splitlines()


def test_follow_json_streams_one_object_a_line_until_the_session_ends(logged_in, simulator):
    send(logged_in, "waiting already")
    out, err = Lines(), io.StringIO()
    result: list[int] = []

    def follow() -> None:
        result.append(
            cli.main(
                ["inbox", "--follow", "--json"],
                env=logged_in,
                stdin=io.StringIO(""),
                stdout=out,
                stderr=err,
            )
        )

    thread = threading.Thread(target=follow)
    thread.start()
    try:
        out.wait_for(1)
        send(logged_in, "live", "--title", "T")
        lines = out.wait_for(2)
    finally:
        simulator.disable_device("tui-cli")  # the session ends: the command too
        thread.join(WAIT)
    assert not thread.is_alive()
    first, second = (json.loads(line) for line in lines)
    assert first["message"] == "waiting already"
    assert (second["message"], second["title"]) == ("live", "T")
    assert result == [cli.EXIT_REJECTED] and "pushover-tui inbox login" in err.getvalue()


def test_follow_stops_on_ctrl_c_with_exit_130(logged_in, simulator):
    process = subprocess.Popen(
        [sys.executable, "-m", "pushover_tui", "inbox", "--follow"],
        env={**os.environ, **logged_in, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        assert "Listening" in process.stderr.readline()
        deadline = time.monotonic() + WAIT
        while simulator.sockets("tui-cli") != 1:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        send(logged_in, "to a terminal")
        assert process.stdout is not None
        assert "to a terminal" in "".join(process.stdout.readline() for _ in range(2))
        process.send_signal(signal.SIGINT)
        assert process.wait(WAIT) == cli.EXIT_INTERRUPTED
    finally:
        process.kill()
        process.wait()


# ---- what stays out ------------------------------------------------------------------------


def test_send_and_the_dashboard_start_never_import_websockets(env, simulator):
    script = (
        "import sys; from pushover_tui.cli import main; code = main(['send', 'x']);"
        "import pushover_tui.tui.app, pushover_tui.inbox, pushover_tui.api.open_client;"
        "assert 'websockets' not in sys.modules, 'websockets imported'; sys.exit(code)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_no_session_secret_password_or_device_id_anywhere(env, simulator, caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    password = "SentinelPassword-7hQ2vX9"
    simulator.add_account("sentinel@example.com", password, DEMO_USER)
    outputs: list[str] = []

    def record(*argv: str, stdin: str = "") -> int:
        code, out, err = run(env, *argv, stdin=stdin)
        outputs.extend((out, err))
        return code

    assert record("inbox", "login", stdin=f"sentinel@example.com\n{password}\n") == 0
    assert record("inbox", "login", stdin="sentinel@example.com\nwrong\n") == cli.EXIT_REJECTED
    send(env, "an emergency", "--priority", "2", "--retry", "30", "--expire", "600")
    assert record("inbox", "--keep", "--json") == 0
    assert record("inbox") == 0
    assert record("inbox", "ack", simulator_receipt(env)) == 0
    secret, device_id = session_values(env)
    simulator.disable_device(
        load_config(Path(env["PUSHOVER_TUI_CONFIG"])).profile().inbox.device_name
    )
    assert record("inbox") == cli.EXIT_REJECTED
    assert record("inbox", "--follow") == cli.EXIT_REJECTED
    assert record("inbox", "logout") == 0

    needles = {password, secret, device_id, secret[:12], device_id[:12]}
    texts = [*outputs, caplog.text, *(repr(r.args) for r in caplog.records)]
    texts += [repr(record.as_dict()) for record in simulator.requests]
    for path in tmp_path.rglob("*"):
        if path.is_file():
            texts.append(path.read_bytes().decode("utf-8", "replace"))
    hits = [needle for needle in needles for text in texts if needle in text]
    assert hits == []
    assert any("GET" in line or "login" in line for line in texts)  # the scan saw something


# ---- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize("errors", ["strict", "surrogateescape"])
def test_login_answers_that_are_not_utf8_are_a_field_problem(env, simulator, errors):
    raw = io.BytesIO(f"{DEMO_EMAIL}\n".encode() + b"pass\xff\xfeword\n")
    stdin = io.TextIOWrapper(raw, encoding="utf-8", errors=errors)
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["inbox", "login"], env=env, stdin=stdin, stdout=out, stderr=err)
    assert code == cli.EXIT_USAGE
    # Decoded strictly, the stream fails ahead of the line that holds the bytes.
    expected = {
        "strict": "standard input: Standard input is not valid UTF-8",
        "surrogateescape": "password: The password on standard input is not valid UTF-8",
    }
    assert expected[errors] in err.getvalue()
    assert not any(r.path.endswith("login.json") for r in simulator.requests)


def test_login_from_a_process_whose_stdin_is_not_utf8_exits_2(env, simulator):
    result = subprocess.run(
        [sys.executable, "-m", "pushover_tui", "inbox", "login"],
        input=f"{DEMO_EMAIL}\n".encode() + b"\xe9t\xe9\n",
        env={**os.environ, **env, "PYTHONPATH": str(ROOT), "LC_ALL": "C"},
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == cli.EXIT_USAGE, result.stderr
    assert b"not valid UTF-8" in result.stderr and b"Traceback" not in result.stderr
