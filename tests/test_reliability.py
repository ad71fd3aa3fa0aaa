"""Reliability promises (issue 8): faults, nothing lost, network hygiene.

Each injected simulator fault goes through the real pipeline (Outbox), the command line and the
TUI. Retry gaps are read from a fake sleep, so the 5 s rule is checked without waiting.

Already covered elsewhere (not repeated here):
- tests/test_outbox.py::test_killed_sender_becomes_interrupted (SIGKILL mid-send -> `interrupted`)
- tests/test_client.py retries/redirect/TLS tests (respx, every temporary failure kind)
- tests/test_history.py::test_two_processes_write_concurrently (the store alone)
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import respx
from textual.widgets import Static, TextArea
from tui_helpers import settle

from pushover_tui import cli
from pushover_tui.api import client as client_module
from pushover_tui.api.client import PushoverClient, check_base_url
from pushover_tui.api.errors import (
    APIError,
    ConfigurationError,
    PushoverError,
    QuotaExceededError,
    TemporaryError,
    UnexpectedResponseError,
)
from pushover_tui.api.models import Message, Priority
from pushover_tui.api.secret import Secret
from pushover_tui.outbox import Outbox
from pushover_tui.simulator import DEMO_TOKEN, DEMO_USER
from pushover_tui.store.config import Config, Profile, resolve
from pushover_tui.store.history import History, Status
from pushover_tui.tui.compose.screen import ComposeScreen

ROOT = Path(__file__).resolve().parents[1]
CHILD_ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
SIZE = (110, 36)
HANG_TIMEOUT = 0.3  # PUSHOVER_TUI_TIMEOUT for the "hang" fault


def time_out_the_answer_only(outbox: Outbox) -> None:
    """The outbox's timeout (PUSHOVER_TUI_TIMEOUT) for the answer only; 10 s to connect and send.
    On a busy machine an event loop held up longer than the timeout (the dashboard's, drawing)
    would time an attempt out before its request reached the simulator: not counted there, and
    its "hang" left for the next request. A held answer is the fault under test, not a slow
    connect."""
    options = outbox._client_options
    options["timeout"] = httpx.Timeout(10.0, read=options["timeout"])


class FakeSleep:
    """Records every pause asked for (retry gaps, tracker polls) without waiting."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        await asyncio.sleep(0)


@dataclass(frozen=True)
class Fault:
    kind: str
    count: int  # how many to inject: enough to exhaust the retries of a retried fault
    attempts: int  # requests the client makes before giving up
    error: type[PushoverError]
    exit_code: int
    reason: str  # words the recorded error and every face must show


FAULTS = [
    Fault("500", 3, 3, TemporaryError, cli.EXIT_TEMPORARY, "HTTP 500"),
    Fault("502", 3, 3, TemporaryError, cli.EXIT_TEMPORARY, "HTTP 502"),
    Fault("503", 3, 3, TemporaryError, cli.EXIT_TEMPORARY, "HTTP 503"),
    Fault("hang", 3, 3, TemporaryError, cli.EXIT_TEMPORARY, "did not answer in time"),
    Fault("drop", 3, 3, TemporaryError, cli.EXIT_TEMPORARY, "Cannot reach"),
    Fault("redirect", 3, 3, TemporaryError, cli.EXIT_TEMPORARY, "not followed"),
    # A 200 that is not the API's JSON: the message may have gone out, so it is not resent.
    Fault("html", 1, 1, UnexpectedResponseError, cli.EXIT_UNEXPECTED, "Unexpected response"),
    Fault("429", 1, 1, QuotaExceededError, cli.EXIT_QUOTA, "quota"),
]
FAULT_IDS = [fault.kind for fault in FAULTS]


def inject(simulator, fault: Fault) -> None:
    seconds = 5.0 if fault.kind == "hang" else None
    simulator.inject_fault(fault.kind, fault.count, seconds=seconds)


def message_requests(simulator) -> list:
    return [r for r in simulator.requests if r.path == "/1/messages.json"]


def requests_after_release(simulator, expected: int) -> int:
    """A held ("hang") request is logged once the simulator answers it, after release()."""
    simulator.release()
    deadline = time.monotonic() + 10
    while len(message_requests(simulator)) < expected and time.monotonic() < deadline:
        time.sleep(0.01)
    return len(message_requests(simulator))


def assert_gaps(sleep: FakeSleep, fault: Fault) -> None:
    """Retries only for what may be retried, each >= 5 s after the previous request."""
    gaps = [gap for gap in sleep.calls if gap == client_module.RETRY_GAP]
    assert gaps == [client_module.RETRY_GAP] * (fault.attempts - 1)
    assert all(gap >= 5 for gap in gaps)


def active_for(simulator, *, token: str = DEMO_TOKEN, user: str = DEMO_USER):
    profile = Profile(name="p", token=Secret(token), user=Secret(user))
    config = Config(path=Path("unused.toml"), default_profile="p", profiles=(profile,))
    return resolve(config, api_url=simulator.base_url, env={})


# -- 1. faults: the pipeline ---------------------------------------------------------------------


@pytest.mark.parametrize("fault", FAULTS, ids=FAULT_IDS)
async def test_pipeline_records_each_fault_as_failed_then_a_later_success(
    simulator, tmp_path, fault
):
    sleep = FakeSleep()
    outbox = Outbox.open(
        active_for(simulator), tmp_path, origin="cli", sleep=sleep, timeout=HANG_TIMEOUT
    )
    time_out_the_answer_only(outbox)
    async with outbox:
        inject(simulator, fault)
        with pytest.raises(fault.error) as info:
            await outbox.send(Message(f"during {fault.kind}"))
        assert requests_after_release(simulator, fault.attempts) == fault.attempts  # bounded
        assert_gaps(sleep, fault)
        [failed] = outbox.history.page()
        assert failed.status is Status.FAILED
        assert fault.reason.lower() in failed.error.lower()
        assert failed.error == str(info.value)
        if fault.attempts > 1:
            assert f"gave up after {fault.attempts} attempts" in failed.error

        sent = await outbox.send(Message("after the fault"))
        assert outbox.history.get(sent.row_id).status is Status.SENT
        assert outbox.history.get(failed.id).status is Status.FAILED  # untouched
        assert [m["message"] for m in simulator.messages][-1] == "after the fault"
    outbox.history.close()


async def test_fault_then_recovery_within_the_retries_is_recorded_sent(simulator, tmp_path):
    sleep = FakeSleep()
    async with Outbox.open(active_for(simulator), tmp_path, origin="cli", sleep=sleep) as outbox:
        for kind in ("500", "drop"):
            simulator.inject_fault(kind, 2)
            sent = await outbox.send(Message(f"recovers from {kind}"))
            row = outbox.history.get(sent.row_id)
            assert row.status is Status.SENT and row.error == ""
        assert sleep.calls == [client_module.RETRY_GAP] * 4
        outbox.history.close()


# -- 1. faults: the command line ----------------------------------------------------------------


@pytest.fixture
def cli_sleep(monkeypatch) -> FakeSleep:
    """The command line's Outbox gets a fake sleep (real retry policy, no waiting) and its
    timeout for the answer only (time_out_the_answer_only)."""
    fake = FakeSleep()
    original = Outbox.open.__func__

    def open_with_fake_sleep(cls, *args, **options):
        options["sleep"] = fake
        outbox = original(cls, *args, **options)
        if "timeout" in outbox._client_options:  # PUSHOVER_TUI_TIMEOUT, as the command line read it
            time_out_the_answer_only(outbox)
        return outbox

    monkeypatch.setattr(Outbox, "open", classmethod(open_with_fake_sleep))
    return fake


def run_cli(env: dict[str, str], *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), env=env, stdin=io.StringIO(""), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("fault", FAULTS, ids=FAULT_IDS)
def test_cli_exit_code_for_each_fault(demo_config, isolated_env, simulator, cli_sleep, fault):
    env = {**isolated_env, "PUSHOVER_TUI_TIMEOUT": str(HANG_TIMEOUT)}
    inject(simulator, fault)
    code, out, err = run_cli(env, "send", f"cli during {fault.kind}")
    requests_after_release(simulator, fault.attempts)
    assert code == fault.exit_code, err
    assert out == ""
    assert err.startswith("pushover-tui: ") and err.count("\n") == 1  # one sentence
    assert "Traceback" not in err
    assert fault.reason.lower() in err.lower()
    assert len(message_requests(simulator)) == fault.attempts
    assert_gaps(cli_sleep, fault)

    code, _, err = run_cli(env, "send", "cli after the fault")
    assert code == cli.EXIT_OK, err
    with History.open(Path(isolated_env["PUSHOVER_TUI_DATA"])) as history:
        rows = history.page(oldest_first=True)
    assert [(row.status, row.origin) for row in rows] == [
        (Status.FAILED, "cli"),
        (Status.SENT, "cli"),
    ]
    assert fault.reason.lower() in rows[0].error.lower()


def test_cli_json_failure_still_exits_with_the_code(
    demo_config, isolated_env, simulator, cli_sleep
):
    simulator.inject_fault("503", 3)
    code, out, err = run_cli(dict(isolated_env), "send", "x", "--json")
    assert code == cli.EXIT_TEMPORARY
    assert out == "" and "503" in err


# -- 1. faults: the TUI --------------------------------------------------------------------------


async def tui_send(app, pilot, text: str, *, press: bool = False) -> tuple[bool, str]:
    """Send from the Compose screen: (succeeded, what the user sees)."""
    screen = app.screen
    assert isinstance(screen, ComposeScreen)
    screen.query_one("#message", TextArea).load_text(text)
    if press:
        await pilot.press("ctrl+s")
    else:  # the same action without Pilot's ~0.5 s wait for idle after a key press
        screen.action_send()
    await settle(pilot)
    outcome = screen.query_one("#outcome")
    shown = str(screen.query_one("#outcome-text", Static).visual)
    assert outcome.has_class("-ok") != outcome.has_class("-failed"), shown
    return outcome.has_class("-ok"), shown


async def test_tui_shows_each_fault_and_keeps_running(
    demo_config, make_app, simulator, isolated_env
):
    """One session through every fault: each shown as a failure, each followed by a send that
    goes through, the app running all along."""
    sleep = FakeSleep()
    app = make_app(env={**isolated_env, "PUSHOVER_TUI_TIMEOUT": str(HANG_TIMEOUT)})
    app.session.outbox._client_options["sleep"] = sleep
    assert app.session.outbox._client_options["timeout"] == HANG_TIMEOUT  # it reads the variable
    time_out_the_answer_only(app.session.outbox)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)  # start-up key check, quota and sound list done before the faults
        for index, fault in enumerate(FAULTS):
            sleep.calls.clear()
            before = len(message_requests(simulator))
            inject(simulator, fault)
            ok, shown = await tui_send(app, pilot, f"tui during {fault.kind}", press=index == 0)
            assert not ok, fault.kind
            assert fault.reason.lower() in shown.lower(), (fault.kind, shown)
            total = requests_after_release(simulator, before + fault.attempts)
            assert total - before == fault.attempts, fault.kind
            assert_gaps(sleep, fault)
            assert app.is_running and app.return_code is None

            # Still responsive: the pipeline behind the screen sends the next one.
            await app.session.send_message(Message(f"tui after {fault.kind}"))
        ok, shown = await tui_send(app, pilot, "tui after every fault")
        assert ok, shown
        rows = app.session.history.page(oldest_first=True, limit=100)
        statuses = [row.status for row in rows]
        assert statuses == [Status.FAILED, Status.SENT] * len(FAULTS) + [Status.SENT]
        assert all(row.origin == "tui" for row in rows)
        for fault, row in zip(FAULTS, rows[:-1:2], strict=True):
            assert fault.reason.lower() in row.error.lower()


# -- 2. nothing lost: concurrent senders ------------------------------------------------------

CLI_SENDER = """
import sys, time
from pathlib import Path
from pushover_tui import cli
name, count, folder = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
(folder / f"ready-{name}").touch()
while not (folder / "go").exists():  # start together with the other senders
    time.sleep(0.005)
codes = [cli.main(["send", f"{name} {index}"]) for index in range(count)]
print(",".join(map(str, codes)))
"""


async def test_two_command_lines_and_the_tui_sending_at_once_lose_nothing(
    demo_config, make_app, simulator, isolated_env, tmp_path
):
    per_sender = 6
    env = {**CHILD_ENV, **isolated_env}
    names = ("cron-a", "cron-b")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        children = [
            subprocess.Popen(
                [sys.executable, "-c", CLI_SENDER, name, str(per_sender), str(tmp_path)],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for name in names
        ]
        while not all((tmp_path / f"ready-{name}").exists() for name in names):
            await asyncio.sleep(0.01)
        (tmp_path / "go").touch()
        sent = 0
        while sent < per_sender or any(child.poll() is None for child in children):
            await app.session.send_message(Message(f"tui {sent}"))
            sent += 1
            await asyncio.sleep(0.02)  # interleave with the children's sends
        for child in children:
            out, err = await asyncio.to_thread(child.communicate, timeout=60)
            assert child.returncode == 0, err
            assert out.splitlines()[-1] == ",".join(["0"] * per_sender), out
        rows = app.session.history.page(limit=1000)
    expected = {f"{name} {i}" for name in names for i in range(per_sender)}
    expected |= {f"tui {i}" for i in range(sent)}
    assert {row.message for row in rows} == expected
    assert len(rows) == len(expected)
    assert all(row.status is Status.SENT and row.request_id for row in rows)
    assert sorted(m["message"] for m in simulator.messages) == sorted(expected)
    # The senders really overlapped: TUI rows were written while the command lines ran.
    cli_times = [row.created_at for row in rows if row.origin == "cli"]
    assert any(
        min(cli_times) < row.created_at < max(cli_times) for row in rows if row.origin == "tui"
    )


# -- 2. nothing lost: read-only folder, full disk -----------------------------------------------

AS_NOBODY = """
import io, json, os, sys
# The interpreter lives under /root: import everything the command line loads lazily first.
import argparse, asyncio, shutil, sqlite3, ssl, httpx, platformdirs
import pushover_tui.api.client, pushover_tui.outbox, pushover_tui.store.history
import pushover_tui.tui.app, textual.drivers.linux_driver
from pushover_tui import cli
cli.build_parser()
if os.geteuid() == 0:  # root ignores permissions: drop to nobody after the imports
    os.setgid(65534)
    os.setuid(65534)
results = []
for argv in json.loads(sys.argv[1]):
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(argv, stdout=out, stderr=err)
    results.append([code, out.getvalue(), err.getvalue()])
print(json.dumps(results))
"""


@pytest.fixture
def world_readable_tmp():
    """A folder "nobody" can reach (pytest's tmp_path is 0700 root)."""
    base = Path(tempfile.mkdtemp(prefix="pushover-tui-rel-"))
    os.chmod(base, 0o755)
    try:
        yield base
    finally:
        for path in base.rglob("*"):
            with contextlib.suppress(OSError):
                os.chmod(path, 0o755 if path.is_dir() else 0o644)
        shutil.rmtree(base, ignore_errors=True)


def run_as_nobody(base: Path, simulator, commands: list[list[str]], *, data: Path):
    """Run command lines in one child process as "nobody": [(code, stdout, stderr), ...]."""
    env = {
        **CHILD_ENV,
        "PUSHOVER_TUI_CONFIG": str(base / "no-config.toml"),
        "PUSHOVER_TUI_DATA": str(data),
        "PUSHOVER_TOKEN": DEMO_TOKEN,
        "PUSHOVER_USER": DEMO_USER,
        "PUSHOVER_API_URL": simulator.base_url,
        "HOME": str(base),
    }
    result = subprocess.run(
        [sys.executable, "-c", AS_NOBODY, json.dumps(commands)],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        cwd=base,
    )
    assert result.returncode == 0 and result.stderr == "", result.stderr
    return [tuple(item) for item in json.loads(result.stdout)]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
@pytest.mark.parametrize("existing", [False, True], ids=["new-file", "existing-file"])
def test_read_only_data_folder_is_one_clear_sentence(world_readable_tmp, simulator, existing):
    data = world_readable_tmp / "data"
    data.mkdir()
    if existing:
        with History.open(data) as history:
            history.record_sending(Message("old"), profile="p", origin="cli")
        for path in data.iterdir():
            os.chmod(path, 0o644)
    os.chmod(data, 0o555)
    # No command = the dashboard: it must refuse before drawing anything.
    commands = [["send", "hello"], ["send", "--test"], ["history"], []]
    results = run_as_nobody(world_readable_tmp, simulator, commands, data=data)
    for argv, (code, out, err) in zip(commands, results, strict=True):
        assert code == cli.EXIT_UNEXPECTED, (argv, out, err)
        assert err.startswith("pushover-tui: ") and err.count("\n") == 1, err
        assert "Traceback" not in err and "unexpected error" not in err
        assert str(data) in err and "PUSHOVER_TUI_DATA" in err
    assert message_requests(simulator) == []  # nothing sent that could not be recorded


@pytest.fixture
def full_disk():
    """A tiny tmpfs filled to the last byte (needs root and mount; skipped otherwise)."""
    mount_point = Path(tempfile.mkdtemp(prefix="pushover-tui-full-"))
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount_point)],
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        mount_point.rmdir()
        pytest.skip("cannot mount a tmpfs here: " + result.stderr.decode().strip())
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)
        mount_point.rmdir()


def fill_up(folder: Path) -> None:
    with contextlib.suppress(OSError), (folder / "filler").open("wb", buffering=0) as handle:
        while True:
            handle.write(b"\0" * 4096)


def test_full_disk_is_one_clear_sentence(full_disk, isolated_env, demo_config, simulator):
    env = {**isolated_env, "PUSHOVER_TUI_DATA": str(full_disk / "data")}
    fill_up(full_disk)
    code, _, err = run_cli(env, "send", "x" * 1000)
    assert code == cli.EXIT_UNEXPECTED, err
    assert err.startswith("pushover-tui: ") and err.count("\n") == 1
    assert "disk is full" in err and "Traceback" not in err
    assert message_requests(simulator) == []  # nothing went out unrecorded


def test_disk_filling_after_history_opened(full_disk, isolated_env, demo_config, simulator):
    """The history opened fine, then the disk filled: a later send fails clearly or succeeds
    (SQLite may reuse WAL space), never anything else; every accepted send has its row."""
    env = {**isolated_env, "PUSHOVER_TUI_DATA": str(full_disk / "data")}
    code, _, err = run_cli(env, "send", "before")
    assert code == cli.EXIT_OK, err
    fill_up(full_disk)
    for index in range(5):
        code, _, err = run_cli(env, "send", f"{index} " + "y" * 1000, "--title", "t" * 250)
        assert code in (cli.EXIT_OK, cli.EXIT_UNEXPECTED), err
        if code:
            assert "disk is full" in err and "Traceback" not in err
    (full_disk / "filler").unlink()
    with History.open(full_disk / "data") as history:
        recorded = {row.message for row in history.page(limit=100)}
    assert {m["message"] for m in simulator.messages} <= recorded


class _FullConnection:
    """Wraps the history's sqlite3 connection: every write fails as on a full disk."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def execute(self, sql: str, *args):
        if sql.lstrip().upper().startswith(("INSERT", "UPDATE")):
            raise sqlite3.OperationalError("database or disk is full")
        return self._connection.execute(sql, *args)

    def __getattr__(self, name: str):
        return getattr(self._connection, name)


async def test_tui_survives_a_full_disk(demo_config, make_app, simulator):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        real = app.session.history._connection
        app.session.history._connection = _FullConnection(real)
        try:
            ok, shown = await tui_send(app, pilot, "disk full now")
            assert not ok and "disk is full" in shown
        finally:
            app.session.history._connection = real
        assert app.is_running
        assert simulator.messages == []  # not sent, since it could not be recorded first
        await app.session.send_message(Message("space again"))
        assert [row.status for row in app.session.history.page()] == [Status.SENT]


# -- 5. network hygiene -------------------------------------------------------------------------


@pytest.mark.parametrize("json_body", [True, False], ids=["json", "html"])
async def test_no_4xx_is_ever_retried(json_body):
    sleep = FakeSleep()
    async with PushoverClient(DEMO_TOKEN, sleep=sleep) as client:
        for status in range(400, 500):
            with respx.mock(assert_all_mocked=True) as router:
                if json_body:
                    response = httpx.Response(
                        status, json={"status": 0, "errors": ["no"], "request": "r"}
                    )
                else:
                    response = httpx.Response(status, text="<html>nope</html>")
                route = router.post("https://api.pushover.net/1/messages.json").mock(
                    return_value=response
                )
                with pytest.raises(APIError) as info:
                    await client.send(DEMO_USER, Message("x"))
                assert route.call_count == 1, status
                assert info.value.status_code == status
                assert isinstance(info.value, QuotaExceededError) == (status == 429)
    assert sleep.calls == []


async def test_4xx_from_the_simulator_is_not_retried(simulator, tmp_path):
    sleep = FakeSleep()
    active = active_for(simulator, user="u" * 30)  # well formed, unknown: HTTP 400
    async with Outbox.open(active, tmp_path, origin="cli", sleep=sleep) as outbox:
        with pytest.raises(APIError):
            await outbox.send(Message("x"))
        outbox.history.close()
    assert [r.status for r in message_requests(simulator)] == [400]
    assert sleep.calls == []


async def test_never_more_than_two_connections(simulator, tmp_path):
    sleep = FakeSleep()
    async with Outbox.open(active_for(simulator), tmp_path, origin="cli", sleep=sleep) as outbox:
        client = await outbox.client()

        def validate():
            return client.validate_user(DEMO_USER)

        sends = [outbox.send(Message(f"burst {index}")) for index in range(40)]
        emergencies = [
            outbox.send(Message(f"e{index}", priority=Priority.EMERGENCY, retry=30, expire=60))
            for index in range(5)
        ]
        results = await asyncio.gather(*sends, *emergencies)
        receipts = [sent.result.receipt for sent in results if sent.result.receipt]
        polls = [client.receipt(receipt) for receipt in receipts * 6]
        # Fresh coroutines each time: gather() runs a repeated awaitable once.
        checks = [call() for _ in range(5) for call in (validate, client.sounds, client.limits)]
        await asyncio.gather(*polls, *checks)
        for _ in range(20):  # let the tracker's polls run too
            await asyncio.sleep(0.01)
        outbox.history.close()
    assert len(simulator.requests) >= 45 + 30 + 15
    assert simulator.connections_seen() <= 2


@pytest.mark.parametrize(
    "url",
    [
        "http://api.pushover.net/1",
        "http://10.0.0.1/1",
        "http://0.0.0.0:8080/1",
        "http://[fe80::1]/1",
        "http://127.0.0.1.example.com/1",
        "http://localhost@evil.example/1",
        "HTTP://evil.example/1",
    ],
)
def test_plain_http_refused_for_non_loopback_hosts(url, isolated_env):
    with pytest.raises(ConfigurationError):
        check_base_url(url)
    with pytest.raises(ConfigurationError):
        PushoverClient(DEMO_TOKEN, base_url=url)
    # The command line refuses it before anything is sent (also test_cli.py).
    env = {**isolated_env, "PUSHOVER_TOKEN": DEMO_TOKEN, "PUSHOVER_USER": DEMO_USER}
    code, _, err = run_cli(env, "--api-url", url, "send", "x")
    assert code == cli.EXIT_USAGE and "http" in err


def test_tls_verification_cannot_be_switched_off(monkeypatch):
    import ssl

    # No knob: neither the client, the outbox nor the command line offers one.
    for callable_ in (PushoverClient.__init__, Outbox.__init__, Outbox.open):
        names = set(inspect.signature(callable_).parameters)
        assert not names & {"verify", "ssl", "ssl_context", "cert", "insecure", "trust_env"}
    options = {option for action in cli.build_parser()._actions for option in action.option_strings}
    sub_options = set()
    for action in cli.build_parser()._actions:
        for sub in getattr(action, "choices", None) or {}:
            parser = action.choices[sub]
            if hasattr(parser, "_actions"):
                sub_options |= {o for a in parser._actions for o in a.option_strings}
    assert not any(
        word in option for option in options | sub_options for word in ("insecure", "verify")
    )
    # Environment variables that switch verification off elsewhere change nothing here.
    for name, value in {
        "PYTHONHTTPSVERIFY": "0",
        "CURL_CA_BUNDLE": "",
        "REQUESTS_CA_BUNDLE": "",
        "HTTPX_SSL_VERIFY": "0",
        "SSL_NO_VERIFY": "1",
    }.items():
        monkeypatch.setenv(name, value)
    client = PushoverClient(DEMO_TOKEN)
    context = client._http._transport._pool._ssl_context
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    asyncio.run(client.aclose())
