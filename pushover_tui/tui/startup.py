"""What exists only to put the first frame on screen sooner, and every use of Textual's private
API (Textual is pinned to 8.2.x in pyproject for this). Each device says what it bought, measured
with `python tests/benchmarks/run.py --only start` (figure 1: keys set, Compose; 1b: no keys,
Config), and has a test in tests/test_tui_app.py.

- `Deferred(build)`: a component built just after the first frame. The only way screens put work
  off: the widget, its CSS and its layout cost nothing before the first frame. `imported(path)`
  also keeps a heavy module's import off it (figure 1: the message box's TextArea, ~7 ms). The
  footer is deferred too: its keys are a few dozen widgets (figure 1, 84 -> 51 ms to ready).
- `memory_folder()`: `--demo`'s throwaway data folder in memory (/dev/shm) where there is one:
  its new history database is made before the first frame, and on a disk that took 22-55 ms of
  file syncs (in memory 1.3 ms).
- `LateSimulator`: `--demo`'s embedded simulator is imported and started just after the first
  frame (its imports took ~22 ms of CPU before it); its socket is bound at once, so its address
  is in the config from the start and a request made meanwhile waits in the socket's backlog.
- `FastStartApp.run`: the cyclic collector paused until the first frame, then `gc.freeze()`.
- `StartScreen._on_screen_resume`: the first screen is styled once before the first frame, not
  restyled as it resumes.
- `FastStartApp.refresh_css`: the first screen is restyled without re-parsing the CSS.
- `FastStartApp._load_screen_css`: a screen's own CSS is parsed alone, not with every source again.
- `FastStartApp._fatal_error`: a crash prints one sentence, never a traceback with locals.
- `FastStartApp.get_driver_class`: the terminal and web drivers read input with
  `paste_parser.PasteCleaningParser` (pasted escape sequences stripped, the text in order).
"""

from __future__ import annotations

import gc
import importlib
import os
import socket
import sys
from collections.abc import Callable
from inspect import isawaitable
from typing import TYPE_CHECKING, Any

from textual import events
from textual.app import App
from textual.driver import Driver
from textual.message import Message
from textual.message_pump import MessagePump
from textual.screen import Screen
from textual.widget import Widget

if TYPE_CHECKING:
    from pushover_tui.simulator import Simulator


class FastStartApp(App[int]):
    """The app's start-up: work queued until its first frame, then `started()`."""

    def __init__(self) -> None:
        super().__init__()
        self._started = False
        self._after_start: list[tuple[MessagePump, Callable[[], object]]] = []
        self._building = 0  # queued callbacks still running
        self._collector_paused = False  # run() pauses it until the first frame
        # The theme the stylesheet's variables were made with (see refresh_css).
        self._stylesheet_theme = self.theme

    @property
    def first_frame_shown(self) -> bool:
        return self._started

    def started(self) -> None:
        """The first frame is on screen and what was put off is built: background work here."""

    def call_after_start(self, node: MessagePump, callback: Callable[[], object]) -> None:
        """Run `callback` on `node` once the app's first frame is on screen (at once if it is
        already). `started()` waits for these to finish."""
        if self._started:
            node.call_later(callback)
        else:
            self._after_start.append((node, callback))

    def on_ready(self) -> None:
        if self._collector_paused:
            self._collector_paused = False
            gc.freeze()
            gc.enable()
        self._started = True
        queued, self._after_start = self._after_start, []
        self._building = len(queued)
        for node, callback in queued:
            node.call_later(self._run_after_start, callback)
        if not queued:
            self.started()

    async def _run_after_start(self, callback: Callable[[], object]) -> None:
        try:
            result = callback()
            if isawaitable(result):
                await result
        finally:
            self._building -= 1
            if self._building == 0:
                self.started()

    def run(self, **options: Any) -> int | None:
        # Start-up makes many long-lived objects and little garbage, yet the cyclic collector
        # ran ~100 times over them before the first frame: it is paused until then (cli.main
        # pauses it from the process's start), and what start-up made is then frozen out of its
        # scans (Textual, its CSS tables, the config, the first screen: they live as long as
        # the process). Freezing before run alone: figure 1b 1.40-1.46 -> 1.31-1.39; pausing
        # too: see README figure 1.
        gc.disable()
        self._collector_paused = True
        try:
            return super().run(**options)
        finally:
            gc.enable()

    def refresh_css(self, animate: bool = True) -> None:
        # Textual refreshes all CSS for each mode's new screen, the first one included. For
        # that one the variables are still those the stylesheet was made with, so re-parsing
        # every source gives the same rules (and empties the parse cache: the next widget class
        # parses them all a third time). Only the restyling is needed (figure 1, 295-336 ->
        # 274-285 ms).
        stack = self.screen_stack
        if len(stack) == 1 and not stack[0].is_mounted and self.theme == self._stylesheet_theme:
            self.stylesheet.update(self, animate=animate)
            return
        super().refresh_css(animate)

    def _load_screen_css(self, screen: Screen[Any]) -> None:
        # Private API. A screen with CSS of its own has Textual re-parse every source in a new
        # stylesheet (for the variables' sake; its parse cache starts empty). With the variables
        # those the stylesheet was made with, the screen's source is added and parsed alone,
        # the others coming from the cache (figure 1, ~5 ms; each screen's first opening too).
        if self.theme != self._stylesheet_theme:
            super()._load_screen_css(screen)
            return
        stylesheet = self.stylesheet
        stylesheet.reparse = lambda: None  # type: ignore[method-assign]
        try:
            super()._load_screen_css(screen)
        finally:
            del stylesheet.reparse

    def get_driver_class(self) -> type[Driver]:
        # Private API: the terminal and web drivers create Textual's XTermParser by that name
        # in their own module; they get the one that keeps a paste whole (paste_parser.py).
        driver_class = super().get_driver_class()
        module = sys.modules[driver_class.__module__]
        if hasattr(module, "XTermParser"):
            from pushover_tui.tui.paste_parser import PasteCleaningParser

            module.XTermParser = PasteCleaningParser  # type: ignore[attr-defined]
        return driver_class

    def describe_crash(self, error: BaseException | None) -> str:
        """The sentence printed when the app stops on an unexpected error."""
        return f"unexpected {type(error).__name__}"

    def _fatal_error(self) -> None:
        # Private API: Textual's default prints a traceback with local variables, which could
        # hold a secret. Print one sentence instead, then close as Textual does.
        error = sys.exc_info()[1]
        self._exit_renderables.append(
            f"pushover-tui stopped on an unexpected error: {self.describe_crash(error)}"
        )
        self._close_messages_no_wait()


class StartScreen(Screen[None]):
    """A screen the app may start on (each mode's: tui/base.py's ModeScreen)."""

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        # Private API: Textual restyles a screen whenever it resumes, the first time too, when
        # its mount has just styled every widget in it. Before the first frame nothing else can
        # have changed those styles: the first screen skips that restyle (figure 1, ~3 ms).
        # Textual's own handler (Screen's) runs next and reads the flag.
        if isinstance(self.app, FastStartApp) and not self.app.first_frame_shown:
            event.refresh_styles = False


class LateSimulator:
    """`--demo`'s simulator on loopback: its socket bound now, the simulator itself imported and
    started by `start()` (the app calls it just after its first frame)."""

    HOST = "127.0.0.1"

    def __init__(self, *, ack_after: float) -> None:
        self._ack_after = ack_after
        self._socket: socket.socket | None = socket.create_server((self.HOST, 0), backlog=128)
        self.base_url = f"http://{self.HOST}:{self._socket.getsockname()[1]}/1"
        self.simulator: Simulator | None = None

    def start(self) -> Simulator | None:
        """The simulator, serving; None if stop() came first."""
        if self._socket is None:
            return self.simulator
        from pushover_tui.simulator import Simulator

        listening, self._socket = self._socket, None
        self.simulator = Simulator(self.HOST, ack_after=self._ack_after, listening=listening)
        return self.simulator.start()

    def stop(self) -> None:
        if self.simulator is not None:
            self.simulator.stop()
        elif self._socket is not None:
            self._socket.close()
            self._socket = None


def memory_folder() -> str | None:
    """/dev/shm when it is a folder this process may write in (Linux), else None (the system's
    temporary folder)."""
    folder = "/dev/shm"
    return folder if os.path.isdir(folder) and os.access(folder, os.W_OK | os.X_OK) else None


def imported(path: str) -> Callable[..., Widget]:
    """The widget class at "package.module:Class", imported when first called."""
    module, _, name = path.partition(":")

    def build(*args: Any, **kwargs: Any) -> Widget:
        widget_class: type[Widget] = getattr(importlib.import_module(module), name)
        return widget_class(*args, **kwargs)

    return build


class Deferred(Widget):
    """Stands where `build()`'s widget goes, hidden, until the app's first frame is on screen;
    then the widget is built and mounted in its place, and `Deferred.Built` bubbles up from the
    parent. A screen that opens later builds it at once, just after mounting.

    Whatever the built widget shows must not live in it before it exists: screens keep values in
    their model, and components load from it when they mount.
    """

    DEFAULT_CSS = "Deferred { display: none; }"

    class Built(Message):
        def __init__(self, widget: Widget) -> None:
            super().__init__()
            self.widget = widget

    def __init__(self, build: Callable[[], Widget]) -> None:
        super().__init__()
        self._build = build

    def on_mount(self) -> None:
        app = self.app
        assert isinstance(app, FastStartApp)
        app.call_after_start(self, self._replace)

    async def _replace(self) -> None:
        parent = self.parent
        if not isinstance(parent, Widget) or not parent.is_attached:
            return  # removed meanwhile, or the app is closing
        widget = self._build()
        await parent.mount(widget, after=self)
        await self.remove()
        parent.post_message(self.Built(widget))
