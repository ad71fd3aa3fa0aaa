"""The Textual app: three modes (config, compose, history) over the shared send pipeline.

Screens hold no protocol or SQL: they call the app's methods below, which call the outbox,
the tracker and the store. httpx is imported only when the first request is made.
"""

from __future__ import annotations

import gc
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from inspect import isawaitable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.message_pump import MessagePump
from textual.reactive import reactive
from textual.screen import Screen
from textual.signal import Signal
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from pushover_tui.api.errors import PushoverError
from pushover_tui.api.models import Message, Quota, ReceiptState, UserCheck
from pushover_tui.api.secret import redact
from pushover_tui.outbox import Outbox, Sent, timeout_from_env
from pushover_tui.store.config import (
    ActiveProfile,
    Config,
    Profile,
    data_dir,
    load_config,
    resolve,
    save_config,
)
from pushover_tui.tui.messages import ActionRequested

if TYPE_CHECKING:
    from pushover_tui.simulator import Simulator
    from pushover_tui.store.history import History, HistoryRow


class StatusBar(Static):
    """One line each screen shows at the top: DEMO marker, profile, key status, quota, awaiting."""

    DEFAULT_CSS = """
    StatusBar { dock: top; height: 1; background: $panel; color: $text; padding: 0 1; }
    StatusBar.demo { background: $warning-darken-2; }
    """

    def on_mount(self) -> None:
        app = self.app
        assert isinstance(app, PushoverApp)
        self.set_class(app.demo, "demo")
        for attribute in ("verified", "quota", "awaiting"):
            self.watch(app, attribute, lambda _: self.update(app.status_text()))
        app.profile_changed.subscribe(self, lambda _: self.update(app.status_text()))


class FooterStandIn(Static):
    """The first frame's footer: the bar without its keys, as Textual's Footer is drawn until
    the screen's bindings reach it. Screens swap in the real Footer just after the first
    frame (see mount_footer): its keys, their CSS and their layout come after it."""

    DEFAULT_CSS = """
    FooterStandIn { dock: bottom; height: 1; background: $footer-background; }
    """


async def mount_footer(screen: Screen) -> None:
    """Replace `screen`'s FooterStandIn with a Footer showing the screen's bindings."""
    from textual.widgets import Footer

    stand_in = screen.query_one(FooterStandIn)
    await screen.mount(Footer(), before=stand_in)
    await stand_in.remove()
    screen.refresh_bindings()  # the Footer composes its keys when told of the bindings


def _lazy_screen(path: str) -> Callable[[], Screen]:
    """A factory for MODES that imports the screen class at `path` when the mode first opens."""

    def make() -> Screen:
        import importlib

        module, _, name = path.rpartition(".")
        return getattr(importlib.import_module(module), name)()

    return make


class PushoverApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "pushover-tui"
    # Textual takes a string here only as the name of an installed screen, not an import path:
    # each mode gets a factory that imports its screen on first use.
    MODES: ClassVar[dict[str, str | Callable[[], Screen]]] = {
        "config": _lazy_screen("pushover_tui.tui.config_screen.ConfigScreen"),
        "compose": _lazy_screen("pushover_tui.tui.compose_screen.ComposeScreen"),
        "history": _lazy_screen("pushover_tui.tui.history_screen.HistoryScreen"),
    }
    # F-keys and ctrl combinations work while a text field has focus; letters would be typed.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2", "switch_mode('config')", "Config", id="mode.config"),
        Binding("f3", "switch_mode('compose')", "Compose", id="mode.compose"),
        Binding("f4", "switch_mode('history')", "History", id="mode.history"),
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
    ]

    verified: reactive[bool | None] = reactive(None)
    quota: reactive[Quota | None] = reactive(None)
    awaiting: reactive[int] = reactive(0)

    def __init__(
        self,
        *,
        config: Config,
        profile: str | None = None,
        api_url: str | None = None,
        data_folder: Path,
        env: Mapping[str, str] = os.environ,
        demo: bool = False,
        simulator: Simulator | None = None,
    ) -> None:
        active = resolve(config, profile, api_url=api_url, env=env)
        # Start straight in the screen the user needs: no blank default screen first.
        self.DEFAULT_MODE = "compose" if active.has_keys else "config"
        super().__init__()
        self.env = env
        self.demo = demo
        self.simulator = simulator
        self.data_folder = data_folder
        self.config = config
        self._api_url_option = api_url
        self.active = active
        self._outbox_options = {"timeout": timeout_from_env(env)}
        self.outbox = Outbox.open(self.active, data_folder, origin="tui", **self._outbox_options)
        self.outbox.tracker.add_listener(self._row_changed)
        # Published with the changed row (or None when many rows changed).
        self.history_changed: Signal[HistoryRow | None] = Signal(self, "history-changed")
        self.profile_changed: Signal[ActiveProfile] = Signal(self, "profile-changed")
        # Work screens put off until the first frame is on screen (see call_after_start).
        self._started = False
        self._after_start: list[tuple[MessagePump, Callable[[], object]]] = []
        self._building = 0  # callbacks queued at start-up still running
        self._background_started = False
        # The theme the stylesheet's variables were made with (see refresh_css).
        self._stylesheet_theme = self.theme
        if config.theme in self.available_themes:
            self.theme = config.theme
        if config.keymap:
            self.set_keymap(dict(config.keymap))

    # -- life cycle ------------------------------------------------------------------------

    @property
    def history(self) -> History:
        return self.outbox.history

    def run(self, **options: Any) -> int | None:
        # What the process has imported and built so far (Textual, its CSS tables, the
        # config, the outbox) lives as long as it does: gc.freeze() takes it out of the
        # cyclic collector's scans. Without it the first full collection (~14 ms, walking
        # every object imported) fell just before the first frame; it now walks only what
        # the dashboard creates from here on. Objects are still freed when unreferenced.
        gc.freeze()
        return super().run(**options)

    def refresh_css(self, animate: bool = True) -> None:
        # Textual refreshes all CSS for each mode's new screen, the first one included. For
        # that one the variables are still those the stylesheet was made with, so re-parsing
        # every source gives the same rules (and empties the parse cache: the next widget
        # class parses them all a third time). Only the restyling is needed: the app's own
        # styles (colours the screen's widgets inherit) before the screen mounts.
        stack = self.screen_stack
        if len(stack) == 1 and not stack[0].is_mounted and self.theme == self._stylesheet_theme:
            self.stylesheet.update(self, animate=animate)
            return
        super().refresh_css(animate)

    def on_mount(self) -> None:
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        self.history_changed.subscribe(self, self._history_changed)

    def on_ready(self) -> None:
        # After the first frame: screens finish building, then the background work starts
        # (its first request imports httpx and builds an SSL context: ~100 ms of event loop).
        self.awaiting = self._count_awaiting()
        self._started = True
        queued, self._after_start = self._after_start, []
        self._building = len(queued)
        for node, callback in queued:
            node.call_later(self._run_after_start, callback)
        if not queued:
            self._start_background()

    async def _run_after_start(self, callback: Callable[[], object]) -> None:
        try:
            result = callback()
            if isawaitable(result):
                await result
        finally:
            self._building -= 1
            if self._building == 0:
                self._start_background()

    def _start_background(self) -> None:
        """Resume receipts and check the keys in the background."""
        if self.active.has_keys and not self._background_started:
            self._background_started = True
            self.outbox.tracker.resume(self.active.profile.name)
            self.check_keys_in_background()

    def call_after_start(self, node: MessagePump, callback: Callable[[], object]) -> None:
        """Run `callback` on `node` once the app's first frame is on screen (at once if it
        is already): screens build what that frame does not show here. The start-up key
        check waits for these to finish."""
        if self._started:
            node.call_later(callback)
        else:
            self._after_start.append((node, callback))

    async def on_unmount(self) -> None:
        await self.outbox.aclose()
        self.history.close()
        if self.simulator is not None:
            self.simulator.stop()
        if self.demo:
            shutil.rmtree(self.data_folder, ignore_errors=True)

    @work(exclusive=True, group="startup-check", exit_on_error=False)
    async def check_keys_in_background(self) -> None:
        try:
            await self.verify(self.active.profile)
            client = await self.outbox.client()
            self.quota = await client.limits()
        except PushoverError:
            pass  # the config screen shows why when the user verifies

    # -- what screens call -----------------------------------------------------------------

    async def send_message(self, message: Message) -> Sent:
        """Send through the shared pipeline; raises the pipeline's errors for the screen."""
        sent = await self.outbox.send(message)
        self._after_send(sent)
        return sent

    async def send_test(self) -> Sent:
        sent = await self.outbox.send_test()
        self._after_send(sent)
        return sent

    def _after_send(self, sent: Sent) -> None:
        if sent.result.quota.known:
            self.quota = sent.result.quota

    async def verify(self, profile: Profile, device: str = "") -> UserCheck:
        """Check `profile`'s keys (saved or not) against users/validate.json."""
        async with self.outbox.client_for(profile.token) as client:
            try:
                check = await client.validate_user(profile.user, device)
            except PushoverError:
                if profile.name == self.active.profile.name:
                    self.verified = False
                raise
        if profile.name == self.active.profile.name:
            self.verified = True
        return check

    async def sounds(self, profile: Profile) -> dict[str, str]:
        async with self.outbox.client_for(profile.token) as client:
            return await client.sounds()

    async def cancel_receipt(self, receipt: str) -> None:
        await self.outbox.tracker.cancel(receipt)

    async def cancel_by_tag(self, tag: str) -> int:
        return await self.outbox.tracker.cancel_by_tag(tag)

    def save_config(self, config: Config) -> None:
        """Write the config file (never environment values) and re-resolve the active profile."""
        save_config(config)
        self.config = config
        self.switch_profile(self.active.profile.name if config.profiles else None)

    def switch_profile(self, name: str | None) -> None:
        """Make `name` active: a new outbox (client and tracker) for its keys."""
        old = self.outbox
        self.active = resolve(self.config, name, api_url=self._api_url_option, env=self.env)
        self.outbox = Outbox(self.active, old.history, origin="tui", **self._outbox_options)
        self.outbox.tracker.add_listener(self._row_changed)
        # Stop the old profile's polls and close its client (the history stays shared).
        self.run_worker(old.aclose(), exit_on_error=False)
        self.verified = None
        self.quota = None
        if self.active.has_keys:
            self.outbox.tracker.resume(self.active.profile.name)
        self.awaiting = self._count_awaiting()
        self.profile_changed.publish(self.active)

    # -- status bar ------------------------------------------------------------------------

    def _row_changed(self, row: HistoryRow) -> None:
        """Every change the pipeline or the tracker records: screens refresh, counts follow."""
        self.history_changed.publish(row)

    def _history_changed(self, _: HistoryRow | None) -> None:
        self.awaiting = self._count_awaiting()

    def _count_awaiting(self) -> int:
        return sum(
            1 for row in self.history.open_receipts() if row.profile == self.active.profile.name
        )

    def status_text(self) -> str:
        parts = [f"profile {self.active.profile.name}"]
        if not self.active.has_keys:
            parts.append("no keys")
        elif self.verified is None:
            parts.append("keys not verified")
        else:
            parts.append("keys verified ✓" if self.verified else "keys invalid ✗")
        if self.quota is not None and self.quota.remaining is not None:
            parts.append(f"quota {self.quota.remaining:,} left")
        if self.awaiting:
            parts.append(f"{self.awaiting} emergenc{'y' if self.awaiting == 1 else 'ies'} awaiting")
        text = "  ·  ".join(parts)
        return "DEMO (simulator, example keys)  ·  " + text if self.demo else text

    def _theme_changed(self, _: object) -> None:
        if self.theme != self.config.theme and not self.demo:
            from dataclasses import replace

            self.config = replace(self.config, theme=self.theme)
            try:
                save_config(self.config)
            except OSError as error:
                self.notify(f"Could not save the theme: {error.strerror}", severity="warning")

    # -- command palette -------------------------------------------------------------------

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand(
            "Send test message", "Send the labelled test message", self._palette_test
        )
        yield SystemCommand("Verify keys", "Check the keys against the API", self._palette_verify)
        yield SystemCommand(
            "Cancel an emergency",
            "Open history filtered to emergencies awaiting acknowledgement",
            lambda: self._open_history(receipt_state=ReceiptState.AWAITING),
        )
        for status in ("failed", "interrupted", "sent"):
            yield SystemCommand(
                f"History: {status} messages",
                f"Open history filtered to {status} messages",
                lambda status=status: self._open_history(status=status),
            )
        yield SystemCommand(
            "History: from Sentry",
            "Open history filtered to alerts the Sentry bridge sent",
            lambda: self._open_history(origin="sentry"),
        )
        for profile in self.config.profiles:
            if profile.name != self.active.profile.name:
                yield SystemCommand(
                    f"Switch profile: {profile.name}",
                    "Use this profile's keys and defaults",
                    lambda name=profile.name: self.switch_profile(name),
                )

    def _palette_test(self) -> None:
        self.switch_mode("compose")
        self.screen.post_message(ActionRequested("send_test"))

    def _palette_verify(self) -> None:
        self.switch_mode("config")
        self.screen.post_message(ActionRequested("verify"))

    def _open_history(self, **filters: Any) -> None:
        self.switch_mode("history")
        self.screen.post_message(ActionRequested("filter", filters))

    async def action_quit(self) -> None:
        """Quit; a screen with unsaved work asks first via its `confirm_leave(proceed)`."""
        confirm_leave = getattr(self.screen, "confirm_leave", None)
        if callable(confirm_leave):
            confirm_leave(self.exit)
        else:
            self.exit()

    # -- errors ----------------------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place unexpected worker errors end up: a toast, never a traceback."""
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            self.notify(describe_error(event.worker.error), severity="error", markup=False)

    def _fatal_error(self) -> None:
        # Textual's default prints a traceback with local variables: they could hold a secret.
        import sys

        error = sys.exc_info()[1]
        self._exit_renderables.append(
            f"pushover-tui stopped on an unexpected error: {describe_error(error)}"
        )
        self._close_messages_no_wait()


def describe_error(error: BaseException | None) -> str:
    """One sentence for the user; the API's own words for our errors, never a secret."""
    if isinstance(error, PushoverError):
        return str(error)
    name = type(error).__name__ if error is not None else "Error"
    return redact(f"unexpected {name}: {error}. Please report it.")


def run(
    *,
    config_path: Path | None = None,
    profile: str | None = None,
    api_url: str | None = None,
    demo: bool = False,
    env: Mapping[str, str] = os.environ,
) -> int:
    """Start the dashboard; `demo` runs it on the embedded simulator with a throwaway history."""
    app = build_app(config_path=config_path, profile=profile, api_url=api_url, demo=demo, env=env)
    return app.run() or 0


def build_app(
    *,
    config_path: Path | None = None,
    profile: str | None = None,
    api_url: str | None = None,
    demo: bool = False,
    env: Mapping[str, str] = os.environ,
    ack_after: float = 20.0,
) -> PushoverApp:
    if not demo:
        config = load_config(config_path, env=env)
        return PushoverApp(
            config=config, profile=profile, api_url=api_url, data_folder=data_dir(env), env=env
        )
    from pushover_tui.api.secret import Secret
    from pushover_tui.simulator import DEMO_TOKEN, DEMO_USER, Simulator

    simulator = Simulator(ack_after=ack_after)
    simulator.start()
    folder = Path(tempfile.mkdtemp(prefix="pushover-tui-demo-"))
    demo_profile = Profile(name="demo", token=Secret(DEMO_TOKEN), user=Secret(DEMO_USER))
    config = Config(path=folder / "config.toml", default_profile="demo", profiles=(demo_profile,))
    # The demo ignores PUSHOVER_* variables: it must never reach a real account.
    return PushoverApp(
        config=config,
        api_url=simulator.base_url,
        data_folder=folder,
        env={},
        demo=True,
        simulator=simulator,
    )
