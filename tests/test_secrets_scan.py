"""Secrets (issue 8, promise 3): a whole session with a sentinel token and user key, then a search
of everything it left behind (files, outputs, logs, the simulator's log, screenshots): zero hits.

Unit-level leak tests live in tests/test_client.py (errors never show token or user, redirects)
and tests/test_secret.py (masking, redaction); this is the end-to-end sweep.
"""

from __future__ import annotations

import asyncio
import base64
import io
import logging
import os
import stat
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, quote_plus

import httpx
import pytest
from tui_helpers import settle

from pushover_tui import cli
from pushover_tui.outbox import Outbox
from pushover_tui.simulator import DEMO_BOB, Member, Simulator

TOKEN = "Qz7SentinelTokenVb3nK9mW2xR5tY"
USER = "Hj4SentinelUserKeyPq8sL1dF6gZc"
ROOT = Path(__file__).resolve().parents[1]
SIZE = (120, 40)


def forms(secret: str) -> set[str]:
    """The secret as it could appear: bare, URL-encoded, base64, or a 12-character piece."""
    return {
        secret,
        quote(secret),
        quote_plus(secret),
        base64.b64encode(secret.encode()).decode(),
        secret[:12],
        secret[-12:],
        secret[9:21],
    }


NEEDLES = forms(TOKEN) | forms(USER)


def hits_in_text(where: str, text: str) -> list[str]:
    return [f"{where}: {needle!r}" for needle in NEEDLES if needle in text]


def hits_in_bytes(where: str, data: bytes) -> list[str]:
    found = []
    for needle in NEEDLES:
        for encoding in ("utf-8", "utf-16-le"):
            if needle.encode(encoding) in data:
                found.append(f"{where}: {needle!r} ({encoding})")
    return found


def test_sentinels_are_well_formed_keys():
    for secret in (TOKEN, USER):
        assert len(secret) == 30 and secret.isalnum() and secret.isascii()


class Session:
    """Runs command lines in-process and keeps every output."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.outputs: list[tuple[str, str]] = []
        self.codes: dict[str, int] = {}

    def __call__(self, *argv: str, **extra_env: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        env = {**self.env, **extra_env}
        code = cli.main(list(argv), env=env, stdin=io.StringIO(""), stdout=out, stderr=err)
        name = " ".join(argv)
        self.outputs += [
            (f"stdout of {name}", out.getvalue()),
            (f"stderr of {name}", err.getvalue()),
        ]
        self.codes[name] = code
        return code, out.getvalue(), err.getvalue()


@pytest.fixture
def sentinel_sim():
    lines: list[str] = []
    sim = Simulator(host="127.0.0.1", port=0, ack_after=0, log=lines.append)
    sim.add_app(TOKEN)
    sim.add_user(USER, ("iphone", "pixel"))
    sim.start()
    sim.log_lines = lines
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture
def quick(monkeypatch):
    """Retry gaps and receipt polls made short; the policy itself unchanged."""
    monkeypatch.setattr("pushover_tui.api.client.RETRY_GAP", 0.001)
    original = Outbox.open.__func__

    async def short_sleep(seconds: float) -> None:
        await asyncio.sleep(min(seconds, 0.05))

    def open_quick(cls, *args, **options):
        options["sleep"] = short_sleep
        return original(cls, *args, **options)

    monkeypatch.setattr(Outbox, "open", classmethod(open_quick))


@pytest.fixture
def hosts_contacted(monkeypatch) -> list[str]:
    """Every host any httpx client in this process connects to."""
    hosts: list[str] = []
    original = httpx.AsyncHTTPTransport.handle_async_request

    async def recording(self, request: httpx.Request) -> httpx.Response:
        hosts.append(request.url.host)
        return await original(self, request)

    monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", recording)
    return hosts


def run_command_line_session(sim: Simulator, run: Session) -> None:
    assert run("config", "set", "token", TOKEN)[0] == 0
    assert run("config", "set", "user", USER)[0] == 0
    assert run("config", "set", "api_url", sim.base_url)[0] == 0
    for argv in (["config", "show"], ["config", "show", "--json"]):
        assert run(*argv)[0] == 0
    for argv in (["validate"], ["validate", "--json"], ["validate", "--device", "iphone"]):
        assert run(*argv)[0] == 0
    assert run("validate", "--device", "nosuchdevice")[0] == cli.EXIT_REJECTED
    for argv in (["sounds", "--json"], ["limits"], ["limits", "--json"]):
        assert run(*argv)[0] == 0

    # Every priority, plain and --json.
    for priority in (-2, -1, 0, 1):
        assert run("send", f"priority {priority}", "--priority", str(priority))[0] == 0
        assert run("send", f"json {priority}", "--priority", str(priority), "--json")[0] == 0
    emergency = ["--priority", "2", "--retry", "30", "--expire", "600", "--tag", "sentinel"]
    code, out, _ = run("send", "emergency one", *emergency, "--json")
    assert code == 0
    receipts = [line.split('"')[3] for line in out.splitlines() if '"receipt": "' in line]
    assert receipts, out
    receipt = receipts[0]
    assert run("send", "emergency two", *emergency)[0] == 0
    # Receipts: awaiting, then acknowledged (acknowledged_by is the user key).
    assert run("receipt", receipt)[0] == 0
    sim.ack(receipt, "iphone")
    assert run("receipt", receipt)[0] == 0
    assert run("receipt", receipt, "--json")[0] == 0
    sim.ack_after = 0.2  # --wait follows the receipt until acknowledged
    assert run("send", "wait for me", *emergency, "--wait")[0] == 0
    sim.ack_after = 0
    code, out, _ = run("send", "to cancel", *emergency, "--json")
    to_cancel = next(line.split('"')[3] for line in out.splitlines() if '"receipt": "' in line)
    assert run("cancel", to_cancel, "--json")[0] == 0
    assert run("send", "tagged", *emergency)[0] == 0
    assert run("cancel", "--tag", "sentinel")[0] == 0
    assert run("receipt", "x" * 30)[0] == cli.EXIT_REJECTED  # unknown receipt

    # Failing sends and crash-inducing answers.
    assert run("send", "bad retry", "--priority", "2", "--retry", "5")[0] == cli.EXIT_USAGE
    assert run("send", "t" * 1025)[0] == cli.EXIT_USAGE
    for fault, count, code in (
        ("503", 3, cli.EXIT_TEMPORARY),
        ("500", 3, cli.EXIT_TEMPORARY),
        ("drop", 3, cli.EXIT_TEMPORARY),
        ("redirect", 3, cli.EXIT_TEMPORARY),
        ("html", 1, cli.EXIT_UNEXPECTED),
        ("429", 1, cli.EXIT_QUOTA),
    ):
        sim.inject_fault(fault, count)
        assert run("send", f"fault {fault}")[0] == code
        if fault in ("redirect", "html"):  # the GET carries the token in its query string
            sim.inject_fault(fault, count)
            assert run("receipt", receipt, "--json")[0] == code
            sim.inject_fault(fault, count)
            assert run("validate")[0] == code
    sim.inject_fault("hang", 3, seconds=2)
    assert run("send", "hang", PUSHOVER_TUI_TIMEOUT="0.2")[0] == cli.EXIT_TEMPORARY
    sim.release()
    # A rejected key (not a sentinel) and a rejected field.
    assert run("send", "bad device", "--device", "nosuchdevice")[0] in (0, cli.EXIT_REJECTED)
    assert run("send", "wrong user", PUSHOVER_USER="u" * 30)[0] == cli.EXIT_REJECTED

    # Delivery groups: the sentinel user is a member (masked in every output), on call or not.
    sim.add_group("sentinels", (Member(USER, "iphone", "me"), Member(DEMO_BOB)), owner=TOKEN)
    for argv in (["list"], ["show", "sentinels"], ["show", "sentinels", "--json"]):
        assert run("group", *argv)[0] == 0
    assert run("group", "oncall", "sentinels", "me", "--json")[0] == 0
    assert run("group", "disable", "sentinels", USER, "--json")[0] == 0
    assert run("group", "add", "sentinels", USER, "--device", "iphone")[0] == cli.EXIT_REJECTED
    assert run("group", "oncall", "sentinels", USER)[0] == 0
    assert run("send", "to the group", "--to", "sentinels")[0] == 0
    assert run("config", "set", "to", "sentinels")[0] == 0
    assert run("config", "show")[0] == 0

    for argv in (["history"], ["history", "--json"], ["history", "--json", "--limit", "500"]):
        assert run(*argv)[0] == 0
    assert run("history", "--status", "failed", "--json")[0] == 0
    assert run("history", "--to", USER, "--json")[0] == 0
    assert run("locate", "config")[0] == 0


async def tui_session(env: dict[str, str], shots: Path, sim: Simulator) -> list[str]:
    """Open every screen, send, fail, and save a screenshot of each state."""
    from pushover_tui.tui.app import build_app

    app = build_app(env=env)
    taken: list[str] = []

    def shoot(name: str) -> None:
        svg = app.export_screenshot(title=name)
        (shots / f"{len(taken):02d}-{name}.svg").write_text(svg, encoding="utf-8")
        taken.append(name)

    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for mode in ("config", "compose", "history", "inbox"):
            try:
                await app.switch_mode(mode)
            except ImportError:
                continue  # a screen that has not landed yet
            await settle(pilot)
            shoot(mode)
            if mode == "config":
                screen = app.screen
                if hasattr(screen, "action_verify"):
                    screen.action_verify()
                    await settle(pilot)
                    shoot("config-verified")
            if mode == "compose":
                from pushover_tui.api.models import Message, Priority

                for priority in (-2, -1, 0, 1):
                    await app.session.send_message(Message(f"tui {priority}", priority=priority))
                await app.session.send_message(
                    Message("tui emergency", priority=Priority.EMERGENCY, retry=30, expire=600)
                )
                await app.session.send_test()
                sim.inject_fault("503", 3)
                sim.inject_fault("html", 1)
                for _ in range(2):
                    try:
                        await app.session.send_message(Message("tui fault"))
                    except Exception as error:  # shown by the screen; here only its text
                        app.notify(str(error), severity="error", markup=False)
                await settle(pilot)
                shoot("compose-after-sends")
            if mode == "history":
                await pilot.press("enter")  # open the newest row's details, if the screen does
                await settle(pilot)
                shoot("history-detail")
                await pilot.press("escape")
                await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"history")
        await settle(pilot)
        shoot("palette")
        await pilot.press("escape")
    return taken


def test_no_secret_anywhere_after_a_full_session(
    sentinel_sim, isolated_env, tmp_path, caplog, quick, hosts_contacted
):
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "pushover_tui", "asyncio", "textual"):
        caplog.set_level(logging.DEBUG, logger=name)
    env = dict(isolated_env)
    run = Session(env)
    run_command_line_session(sentinel_sim, run)

    # The same from real processes: what a shell and a cron job's mail would see.
    child_env = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
    for argv in (["send", "from a process", "--json"],):
        result = subprocess.run(
            [sys.executable, "-m", "pushover_tui", *argv],
            env=child_env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        run.outputs += [("process stdout", result.stdout), ("process stderr", result.stderr)]

    shots = tmp_path / "screenshots"
    shots.mkdir()
    taken = asyncio.run(tui_session(env, shots, sentinel_sim))
    assert {"compose"} <= set(taken)

    # The scenario really used the sentinels.
    config_file = Path(env["PUSHOVER_TUI_CONFIG"])
    assert TOKEN in config_file.read_text() and USER in config_file.read_text()
    assert len(sentinel_sim.messages) >= 15
    assert set(hosts_contacted) == {"127.0.0.1"}  # the redirects were never followed

    # The config file is private.
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(config_file.parent.stat().st_mode) == 0o700

    hits: list[str] = []
    scanned = 0
    for path in sorted(tmp_path.rglob("*")):
        if path.is_file() and path != config_file:
            hits += hits_in_bytes(str(path.relative_to(tmp_path)), path.read_bytes())
            scanned += 1
    assert scanned >= 4  # history database (+ WAL) and the screenshots at least
    # The scanner itself finds what it looks for.
    assert hits_in_bytes("control", config_file.read_bytes())
    assert hits_in_text("control", quote(TOKEN[:15]) + "…")
    for where, text in run.outputs:
        hits += hits_in_text(where, text)
    for record in sentinel_sim.requests:
        hits += hits_in_text("simulator request log", repr(record) + repr(record.as_dict()))
    for line in sentinel_sim.log_lines:
        hits += hits_in_text("simulator log line", line)
    assert sentinel_sim.log_lines
    hits += hits_in_text("logging", caplog.text)
    for record in caplog.records:
        hits += hits_in_text(f"log record {record.name}", record.getMessage())
        hits += hits_in_text(f"log record {record.name} args", repr(record.args))
        if record.exc_info:
            hits += hits_in_text(
                "log traceback", logging.Formatter().formatException(record.exc_info)
            )
    for svg in shots.glob("*.svg"):
        hits += hits_in_text(f"screenshot {svg.name}", svg.read_text(encoding="utf-8"))
    assert hits == []


def test_redirect_never_carries_the_token(sentinel_sim, isolated_env, quick, hosts_contacted):
    env = {
        **isolated_env,
        "PUSHOVER_TOKEN": TOKEN,
        "PUSHOVER_USER": USER,
        "PUSHOVER_API_URL": sentinel_sim.base_url,
    }
    run = Session(env)
    sentinel_sim.inject_fault("redirect", 3)
    code, out, err = run("send", "x")
    assert code == cli.EXIT_TEMPORARY
    assert "302" in err and "https://evil.example/1/messages.json" in err
    assert set(hosts_contacted) == {"127.0.0.1"}  # the target was never contacted
    assert [r.status for r in sentinel_sim.requests] == [302, 302, 302]
    assert hits_in_text("stderr", out + err) == []
