"""Helpers shared by the benchmark script and its driver processes (no Textual, no httpx here)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

DEMO_TOKEN = "azGDORePK8gMaC0QOYAMyEEuzJnyUi"  # the simulator's built-in app and user
DEMO_USER = "uQiRzpo4DXghDmr9QzzfQu27cmVRsG"
HERE = Path(__file__).resolve().parent
NEWEST_MARKER = "BENCH-NEWEST-ROW"
OLDEST_MARKER = "BENCH-OLDEST-ROW"


class SimulatorProcess:
    """`python -m pushover_tui.simulator --port 0` in its own process (its CPU is not ours)."""

    def __init__(self, folder: Path, *, ack_after: float = 0.0) -> None:
        self.log_path = folder / f"simulator-{time.monotonic_ns()}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pushover_tui.simulator",
                "--port",
                "0",
                "--ack-after",
                str(ack_after),
                "--monthly-limit",
                str(10**9),
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.base_url = self._wait_for_url()
        self.root_url = self.base_url.rsplit("/1", 1)[0]

    def _wait_for_url(self) -> str:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            text = self.log_path.read_text(errors="replace")
            if match := re.search(r"listening on (\S+)", text):
                return match.group(1)
            if self.process.poll() is not None:
                raise RuntimeError(f"the simulator exited early:\n{text}")
            time.sleep(0.05)
        raise RuntimeError("the simulator did not start within 20 s")

    def requests(self) -> list[dict[str, object]]:
        with urllib.request.urlopen(self.root_url + "/_sim/requests", timeout=30) as answer:
            return json.loads(answer.read())

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


def write_config(folder: Path, api_url: str) -> dict[str, str]:
    """A config with keys pointing at `api_url`, and isolated config/data folders; returns env."""
    config = folder / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    config.write_text(
        f'default_profile = "bench"\napi_url = "{api_url}"\n\n'
        f'[profiles.bench]\ntoken = "{DEMO_TOKEN}"\nuser = "{DEMO_USER}"\npriority = 0\n'
    )
    config.chmod(0o600)
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True, mode=0o700)
    env = {key: value for key, value in os.environ.items() if not key.startswith("PUSHOVER_")}
    env.update(
        PUSHOVER_TUI_CONFIG=str(config),
        PUSHOVER_TUI_DATA=str(data),
        PYTHONDONTWRITEBYTECODE="",
        NO_COLOR="1",
    )
    env.pop("PYTHONDONTWRITEBYTECODE")
    return env


def fill_history(data_folder: Path, rows: int) -> None:
    """`rows` sent messages (a mix of priorities, some acknowledged emergencies), in one
    transaction through History's own connection. The newest and oldest carry markers."""
    from pushover_tui.store.history import History, _process_id

    now = time.time()
    history = History.open(data_folder)
    try:
        history.clear()
        host = history._host
        pid = os.getpid()
        process = _process_id()

        def row(index: int) -> tuple[object, ...]:
            created = now - (rows - index) * 60.0  # one a minute, oldest first
            priority = (index % 5) - 2
            title = f"Row {index} title"
            if index == 0:
                title = OLDEST_MARKER
            elif index == rows - 1:
                title = NEWEST_MARKER
            params = {"message": f"benchmark message number {index}", "priority": priority}
            receipt = receipt_state = receipt_info = None
            if priority == 2:
                params.update(retry=60, expire=3600)
                receipt = f"r{index:029d}"
                receipt_state = "acknowledged"
                receipt_info = json.dumps(
                    {
                        "receipt": receipt,
                        "acknowledged": 1,
                        "acknowledged_at": int(created) + 30,
                        "acknowledged_by": "uQiR…RsG",
                        "acknowledged_by_device": "iphone",
                        "last_delivered_at": int(created) + 1,
                        "expired": 0,
                        "expires_at": int(created) + 3600,
                        "called_back": 0,
                        "called_back_at": 0,
                    },
                    sort_keys=True,
                )
            return (
                created,
                created + 1,
                "sent" if index % 50 else "failed",
                "cli" if index % 3 else "tui",
                "bench",
                priority,
                title,
                params["message"],
                json.dumps(params, sort_keys=True),
                f"{index:08d}-0000-4000-8000-000000000000",
                receipt,
                receipt_state,
                receipt_info,
                10_000,
                9_000,
                int(now) + 86_400,
                "" if index % 50 else "Pushover answered HTTP 500",
                "{}",
                pid,
                host,
                process,
            )

        with history._write() as connection:
            connection.executemany(
                "INSERT INTO messages (created_at, updated_at, status, origin, profile, priority,"
                " title, message, params, request_id, receipt, receipt_state, receipt_info,"
                " quota_limit, quota_remaining, quota_reset, error, meta, pid, host, process)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (row(index) for index in range(rows)),
            )
        with history._read() as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # no ANALYZE: users never run it
    finally:
        history.close()


def frame_text(renderable: object) -> str:
    """The characters of a Textual compositor update (a full layout or partial chops)."""
    lines: list[str] = []
    strips = getattr(renderable, "strips", None)
    if strips is not None:
        for line in strips:
            lines.append("".join(segment.text for segment in line))
    chops = getattr(renderable, "chops", None)
    if chops is not None:
        for chop in chops:
            lines.append(
                "".join(
                    "".join(segment.text for segment in strip)
                    for strip in chop.values()
                    if strip is not None
                )
            )
    return "\n".join(lines)


def vm_status() -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of this process in bytes, from /proc."""
    values: dict[str, int] = {}
    with open("/proc/self/status") as status:
        for line in status:
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                values[name] = int(rest.split()[0]) * 1024
    return values
