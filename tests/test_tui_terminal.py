"""The dashboard in a real terminal (tmux at 80x24), driven and read as a person would: keys in
with send-keys, the screen out with capture-pane. Skipped where tmux is not installed."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from pushover_tui.store.config import save_config

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
PUSHOVER_TUI = Path(sys.executable).with_name("pushover-tui")


class Terminal:
    """One tmux session running `pushover-tui` (its own tmux server, so nothing else is seen)."""

    def __init__(self, env: dict[str, str], size: tuple[int, int] = (80, 24)) -> None:
        self.socket = f"pushover-tui-test-{uuid.uuid4().hex[:8]}"
        exports = " ".join(f"{name}={shlex.quote(value)}" for name, value in env.items())
        command = f"env {exports} {shlex.quote(str(PUSHOVER_TUI))}; echo EXIT=$?; sleep 60"
        width, height = size
        self._tmux("new-session", "-d", "-x", str(width), "-y", str(height), command)

    def _tmux(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=True
        )
        return result.stdout

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p")

    def press(self, *keys: str) -> None:
        self._tmux("send-keys", *keys)

    def wait_for(self, seen: Callable[[str], bool], timeout: float = 30.0) -> str:
        """The screen once `seen(screen)` holds (the check itself, polled: a terminal has no
        event to wait on); fails with the last screen after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.screen()
            if seen(text):
                return text
            if time.monotonic() > deadline:
                pytest.fail(f"not seen within {timeout} s; the screen:\n{text}")
            time.sleep(0.1)

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


@pytest.fixture
def terminal(isolated_env) -> Iterator[Callable[..., Terminal]]:
    opened: list[Terminal] = []

    def open_terminal(size: tuple[int, int] = (80, 24)) -> Terminal:
        env = {**isolated_env, "TERM": "xterm-256color", "COLORTERM": "truecolor"}
        opened.append(Terminal(env, size))
        return opened[-1]

    yield open_terminal
    for terminal in opened:
        terminal.close()


def test_a_broken_keymap_entry_is_reported_and_the_dashboard_runs_on(
    terminal, demo_config, simulator
):
    save_config(replace(demo_config, keymap={"compose.send": "ctrl+t"}))
    shown = terminal().wait_for(lambda text: "Key not moved" in text or "EXIT=" in text)
    assert "stopped on an unexpected error" not in shown
    assert "Key not moved" in shown and "'compose.send'" in shown


def test_every_screen_names_itself_and_nothing_is_cut_at_80x24(terminal, demo_config, simulator):
    """Each screen by its key, read off the terminal: the tab strip names all five with the
    current one marked, and the footer ends with the palette's key, whole."""
    shown = terminal()
    tabs = {"config": "Config", "compose": "Compose", "history": "History", "groups": "Groups"}
    tabs["inbox"] = "Inbox"
    for key, mode in (("F2", "config"), ("F4", "history"), ("F5", "groups"), ("F6", "inbox")):
        shown.wait_for(lambda text: "Inbox" in text)
        shown.press(key)
        screen = shown.wait_for(
            lambda text, mode=mode: f"● {tabs[mode]}" in text and "^p palette" in text
        )
        lines = screen.splitlines()
        strip = next(line for line in lines if f"● {tabs[mode]}" in line)
        assert all(name in strip for name in tabs.values()), strip
        assert strip.count("●") == 1
        footer = lines[-1].rstrip()
        assert footer.endswith("▏^p palette"), footer
        assert "…" not in footer
    shown.press("F3")
    shown.wait_for(lambda text: "● Compose" in text)
