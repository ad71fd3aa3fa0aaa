"""`inbox` never loses a message: one is deleted upstream only after it was written to standard
output and flushed; a closed pipe ends a follower with exit 0; what was stored but never printed
(a follower killed with -9, a pipe closed mid-way) is printed by the next `inbox` / `--follow`.
Real processes, a real pipe and a real SIGKILL, against the simulator."""

from __future__ import annotations

import io
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from pushover_tui import cli
from pushover_tui.inbox import MARK_EVERY
from pushover_tui.simulator import DEMO_EMAIL, DEMO_PASSWORD, DEMO_TOKEN, DEMO_USER
from pushover_tui.store.history import History
from pushover_tui.store.inbox import InboxStore

ROOT = Path(__file__).resolve().parents[1]
WAIT = 20.0  # an upper bound for what must happen, never a measured time
DEVICE = "tui-safe"


def run(env: dict[str, str], *argv: str, stdout: io.StringIO | None = None) -> tuple[int, str]:
    out = stdout or io.StringIO()
    code = cli.main(list(argv), env=env, stdin=io.StringIO(""), stdout=out, stderr=io.StringIO())
    return code, out.getvalue()


@pytest.fixture
def env(isolated_env, demo_config, simulator) -> dict[str, str]:
    env = dict(isolated_env)
    login = f"{DEMO_EMAIL}\n{DEMO_PASSWORD}\n"
    code = cli.main(
        ["inbox", "login", "--device-name", DEVICE],
        env=env,
        stdin=io.StringIO(login),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    assert code == 0
    return env


def send_many(simulator, texts: list[str]) -> None:
    """Messages to the user's devices, straight to the simulator (one connection, fast)."""
    with httpx.Client(base_url=simulator.base_url) as client:
        for text in texts:
            answer = client.post(
                "/messages.json", data={"token": DEMO_TOKEN, "user": DEMO_USER, "message": text}
            )
            assert answer.status_code == 200, answer.text
    assert simulator.queued(DEVICE) >= len(texts)


def process_env(env: dict[str, str]) -> dict[str, str]:
    return {**os.environ, **env, "PYTHONPATH": str(ROOT)}


class Follower:
    """`inbox --follow --json` in a process of its own. A thread reads its lines only as the
    test asks for them (so an unread pipe fills and the follower blocks, as behind a slow
    reader), and the test waits for them with a deadline: a silent follower fails, never hangs."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pushover_tui", "inbox", "--follow", "--json"],
            env=process_env(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.wanted = threading.Semaphore(0)
        self.draining = False
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        while True:
            if not self.draining:
                self.wanted.acquire()
            line = self.process.stdout.readline()
            self.lines.put(line)
            if not line:
                return

    def messages(self, count: int) -> list[str]:
        """The next `count` messages printed (fewer if the follower ends first)."""
        self.wanted.release(count)
        found: list[str] = []
        deadline = time.monotonic() + WAIT
        while len(found) < count:
            line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            if not line:
                break
            found += messages_of([line])
        return found

    def rest(self) -> list[str]:
        """Whatever it printed until it ended."""
        self.draining = True
        self.wanted.release()
        found: list[str] = []
        while line := self.lines.get(timeout=WAIT):
            found += messages_of([line])
        return found

    def stop(self, sig: signal.Signals = signal.SIGINT) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        self.process.wait(WAIT)


def stored(env: dict[str, str]) -> int:
    with History.open(Path(env["PUSHOVER_TUI_DATA"])) as history:
        return InboxStore(history).count("personal")


def messages_of(lines: list[str]) -> list[str]:
    return [json.loads(line)["message"] for line in lines if line.strip()]


def wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def test_a_follower_cut_off_by_head_exits_0_and_keeps_what_it_did_not_print(env, simulator):
    send_many(simulator, [f"m{n}" for n in range(4)])
    pipeline = subprocess.Popen(
        [
            "bash",
            "-c",
            f'"{sys.executable}" -m pushover_tui inbox --follow --json | head -n1;'
            ' echo "follower exit ${PIPESTATUS[0]}" >&2',
        ],
        env=process_env(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a follower that never ends is killed with its shell
    )
    try:
        stdout, stderr = pipeline.communicate(timeout=WAIT)
    finally:
        if pipeline.poll() is None:
            os.killpg(pipeline.pid, signal.SIGKILL)
            pipeline.wait()
    assert messages_of(stdout.splitlines()) == ["m0"]
    assert "follower exit 0" in stderr
    assert "listener failed" not in stderr
    # What was written into the pipe before head left counts as printed (head may have read
    # m1-m3 and dropped them: no writer can tell); what could not be written (EPIPE) or came
    # after is neither marked nor deleted: the next `inbox` prints it, m0 never again.
    send_many(simulator, ["after head left"])
    code, out = run(env, "inbox", "--json")
    assert code == 0
    again = [item["message"] for item in json.loads(out)]
    assert again[-1] == "after head left"
    assert again[:-1] == ["m1", "m2", "m3"][3 - len(again[:-1]) :]
    assert simulator.queued(DEVICE) == 0


class BreaksAfter(io.StringIO):
    """A stdout whose reader leaves after `lines` lines: then every write is EPIPE."""

    def __init__(self, lines: int) -> None:
        super().__init__()
        self.lines = lines

    def write(self, text: str) -> int:
        if self.getvalue().count("\n") >= self.lines:
            raise BrokenPipeError(32, "Broken pipe")
        return super().write(text)


def test_a_broken_pipe_mid_way_deletes_nothing_unprinted(env, simulator):
    send_many(simulator, ["first", "second", "third"])
    code, out = run(env, "inbox", "--follow", "--json", stdout=BreaksAfter(1))
    assert code == cli.EXIT_OK
    assert messages_of(out.splitlines()) == ["first"]
    assert simulator.queued(DEVICE) == 3  # not a batch printed whole: nothing deleted
    code, out = run(env, "inbox")
    assert code == 0
    assert "second" in out and "third" in out
    assert "first" not in out  # printed already: not twice
    assert simulator.queued(DEVICE) == 0


def test_a_follower_killed_mid_way_leaves_the_rest_to_the_next_follower(env, simulator):
    count = 300
    # Long lines fill the pipe (64 KiB) long before all are printed: the follower blocks there.
    texts = [f"{n:04d} " + "x" * 900 for n in range(count)]
    send_many(simulator, texts)
    first = Follower(env)
    try:
        printed_first = first.messages(5)
        wait_until(lambda: stored(env) == count, "the follower stores every message")
        first.stop(signal.SIGKILL)
        printed_first += first.rest()  # what it wrote before it died
    finally:
        first.stop(signal.SIGKILL)
    assert len(printed_first) < count  # it died mid-way

    second = Follower(env)
    try:
        printed_second: list[str] = []
        while set(printed_first) | set(printed_second) != set(texts):
            more = second.messages(1)
            assert more, "the second follower ended without printing the rest"
            printed_second += more
        wait_until(lambda: simulator.queued(DEVICE) == 0, "everything printed is deleted")
    finally:
        second.stop()
    # Printed before the kill but not yet marked: printed again, at most one commit's worth.
    assert len(printed_first) + len(printed_second) - count <= MARK_EVERY


def test_keep_prints_without_marking_and_the_next_follower_prints_again(env, simulator):
    send_many(simulator, ["kept one", "kept two"])
    code, out = run(env, "inbox", "--keep")
    assert code == 0 and "kept one" in out and "kept two" in out
    assert simulator.queued(DEVICE) == 2
    follower = Follower(env)
    try:
        assert follower.messages(2) == ["kept one", "kept two"]
        wait_until(lambda: simulator.queued(DEVICE) == 0, "printed, then deleted")
    finally:
        follower.stop()
    code, out = run(env, "inbox")
    assert code == 0 and out.strip() == "No pending messages."
