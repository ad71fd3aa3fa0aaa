"""The Textual app: five modes (config, compose, history, groups, inbox) over one Session.

The app wires and routes: the Session (tui/session/) holds the state and the work, Textual-free;
the app turns its change signals into reactives and Textual signals the screens watch, routes
between modes (asking first when unsaved work would be lost), and owns the keys, the palette and
the one error handler. Screens build on tui/base.py and never import this module.
Start-up devices (and every use of Textual's private API) live in `startup.py`.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import events, work
from textual.app import SystemCommand
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.screen import Screen
from textual.signal import Signal
from textual.worker import Worker, WorkerState

from pushover_tui.api.errors import PushoverError
from pushover_tui.api.models import Group, Quota, ReceiptState
from pushover_tui.safe_text import strip_controls
from pushover_tui.store.config import Config, Profile, data_dir, load_config
from pushover_tui.store.history import HistoryFilter, Status
from pushover_tui.tui.base import ModeScreen, describe_error, secrets_of
from pushover_tui.tui.keys import KEYS, binding, check_keymap
from pushover_tui.tui.messages import FilterHistory, PrefillDraft, SendTest, VerifyKeys
from pushover_tui.tui.session import Session
from pushover_tui.tui.startup import FastStartApp, LateSimulator, memory_folder
from pushover_tui.tui.wording import Toast, arrival_toasts, receipt_toasts

if TYPE_CHECKING:
    from textual.message import Message as TextualMessage

    from pushover_tui.api.models import Message
    from pushover_tui.api.secret import Secret
    from pushover_tui.inbox import InboxEvent
    from pushover_tui.simulator import Simulator
    from pushover_tui.store.config import ActiveProfile
    from pushover_tui.store.history import HistoryRow


def _lazy_screen(path: str) -> Callable[[], Screen]:
    """A factory for MODES that imports the screen class at `path` when the mode first opens."""

    def make() -> Screen:
        import importlib

        module, _, name = path.rpartition(".")
        return getattr(importlib.import_module(module), name)()

    return make


class PushoverApp(FastStartApp):
    TITLE = "pushover-tui"
    # Textual takes a string here only as the name of an installed screen, not an import path:
    # each mode gets a factory that imports its screen on first use.
    MODES: ClassVar[dict[str, str | Callable[[], Screen]]] = {
        "config": _lazy_screen("pushover_tui.tui.config.screen.ConfigScreen"),
        "compose": _lazy_screen("pushover_tui.tui.compose.screen.ComposeScreen"),
        "history": _lazy_screen("pushover_tui.tui.history.screen.HistoryScreen"),
        "groups": _lazy_screen("pushover_tui.tui.groups.screen.GroupsScreen"),
        "inbox": _lazy_screen("pushover_tui.tui.inbox.screen.InboxScreen"),
    }
    # F-keys and ctrl combinations work while a text field has focus; letters would be typed.
    BINDINGS: ClassVar[list[BindingType]] = [
        binding("quit", "quit"),
        binding("help", "help"),
        # Named on every screen's tab strip (widgets/screen_tabs.py) rather than the footer.
        binding("mode.config", "switch_mode('config')"),
        binding("mode.compose", "switch_mode('compose')"),
        binding("mode.history", "switch_mode('history')"),
        binding("mode.groups", "switch_mode('groups')"),
        binding("mode.inbox", "switch_mode('inbox')"),
    ]

    # The session's state (Session.STATE), mirrored for screens to watch.
    verified: reactive[bool | None] = reactive(None)
    reachable: reactive[bool | None] = reactive(None)
    devices: reactive[tuple[str, ...] | None] = reactive(None)
    quota: reactive[Quota | None] = reactive(None)
    awaiting: reactive[int] = reactive(0)
    test_arrival: reactive[float | None] = reactive(None)
    known_groups: reactive[tuple[Group, ...] | None] = reactive(None)
    groups_note: reactive[str] = reactive("")
    store_reachable: reactive[bool] = reactive(True)  # False: the shared PostgreSQL is down
    keys_edited: reactive[bool] = reactive(False)  # Config holds unsaved edits of the keys

    def __init__(
        self,
        *,
        config: Config,
        profile: str | None = None,
        api_url: str | None = None,
        data_folder: Path,
        env: Mapping[str, str] = os.environ,
        demo: bool = False,
        read_only: bool = False,
        simulator: LateSimulator | None = None,
    ) -> None:
        self.session = Session(
            config=config,
            profile=profile,
            api_url=api_url,
            data_folder=data_folder,
            env=env,
            demo=demo,
            read_only=read_only,
            # Textual workers: tests wait for them as for the app's own.
            run=lambda work, group, exclusive: self.run_worker(
                work, group=group, exclusive=exclusive, exit_on_error=False
            ),
        )
        # Start straight in the screen the user needs: no blank default screen first.
        self.DEFAULT_MODE = "compose" if self.session.active.has_keys else "config"
        super().__init__()
        self.simulator: Simulator | None = None  # --demo's, once started
        self._late_simulator = simulator
        if simulator is not None:

            def start_simulator() -> None:
                self.simulator = simulator.start()

            self.call_after_start(self, start_simulator)
        self._asking = False  # a question before leaving is open: a second one is not asked
        self._following_inbox = False
        # Published with the changed row (or None when many rows changed).
        self.history_changed: Signal[HistoryRow | None] = Signal(self, "history-changed")
        self.profile_changed: Signal[ActiveProfile] = Signal(self, "profile-changed")
        self.inbox_changed: Signal[InboxEvent] = Signal(self, "inbox-changed")
        if config.theme in self.available_themes:
            self.theme = config.theme
        # A keymap entry that cannot work is refused, with a sentence once the app is up.
        self.keymap, problems = check_keymap(config.keymap)
        self.keymap_problems = [*config.keymap_problems, *problems]
        if self.keymap:
            self.set_keymap(self.keymap)

    # -- wiring ----------------------------------------------------------------------------

    def on_mount(self) -> None:
        session = self.session
        session.changed.subscribe(lambda name: setattr(self, name, getattr(session, name)))
        session.history_changed.subscribe(self.history_changed.publish)
        session.profile_changed.subscribe(self.profile_changed.publish)
        session.receipt_closed.subscribe(lambda row: self._tell(receipt_toasts(row)))
        self.theme_changed_signal.subscribe(self, lambda _: self._keep_theme())
        for problem in self.keymap_problems:
            self.notify(
                problem, title="Key not moved", severity="warning", timeout=15, markup=False
            )

    def on_ready(self) -> None:
        self.session.refresh()
        super().on_ready()

    def started(self) -> None:
        # After the first frame and what screens put off (their first request imports httpx
        # and builds an SSL context: ~100 ms of event loop): resume receipts, check the keys.
        # The inbox (it imports the Open Client's code) only now, after the first frame.
        inbox = self.session.inbox
        if not self._following_inbox:
            self._following_inbox = True
            inbox.changed.subscribe(self.inbox_changed.publish)
            inbox.arrived.subscribe(
                lambda rows: self._tell(arrival_toasts(rows, self.key_label("mode.inbox")))
            )
            # Rows other processes wrote (the quota, emergencies awaiting), as soon as the store
            # hears of them: the subscription the lists reload by, not a poll of our own.
            loop = asyncio.get_running_loop()

            def heard() -> None:  # on the store's thread
                with suppress(RuntimeError):  # the app has ended
                    loop.call_soon_threadsafe(self.session.refresh)

            self.session.history.subscribe(heard)
        self.session.start()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        # Headless (tests, screenshots): a steady cursor, so every capture is the same.
        if self.is_headless:
            from textual.widgets import Input, TextArea  # headless only: no start-up cost

            if isinstance(event.widget, Input | TextArea):
                event.widget.cursor_blink = False

    async def on_event(self, event: events.Event) -> None:
        # Every paste, from any driver, reaches a field without control sequences or
        # characters (a one-line field gets spaces for tabs): nothing invisible is ever sent.
        if isinstance(event, events.Paste) and not event.is_forwarded:
            from textual.widgets import TextArea

            text = strip_controls(event.text)
            if not isinstance(self.focused, TextArea):
                text = text.replace("\t", " ")
            event = events.Paste(text)
        await super().on_event(event)

    async def on_unmount(self) -> None:
        await self.session.aclose()
        if self._late_simulator is not None:
            self._late_simulator.stop()
        if self.session.demo:
            shutil.rmtree(self.session.data_folder, ignore_errors=True)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # The screen shown now: its own mode key is left out of the footer.
        return not (action == "switch_mode" and parameters and parameters[0] == self.current_mode)

    def keys_of(self, binding_id: str) -> list[str]:
        """The keys that do `binding_id` now (after the keymap), as Textual names them."""
        return [
            key.strip() for key in (self.keymap.get(binding_id) or KEYS[binding_id].key).split(",")
        ]

    def key_label(self, binding_id: str, *, every: bool = False) -> str:
        """The key that does `binding_id` now (after the keymap), as the footer shows it;
        `every`: all its keys ("f1 / ?")."""
        shown = [self.get_key_display(Binding(key, "")) for key in self.keys_of(binding_id)]
        return " / ".join(shown) if every else shown[0]

    def action_help(self) -> None:
        from pushover_tui.tui.widgets.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.key_label))

    # -- news ------------------------------------------------------------------------------

    def _tell(self, toasts: list[Toast]) -> None:
        """News (an emergency that closed, inbox messages that arrived): the toasts, and the
        bell when the config says `bell = true` (the one switch for all news that rings)."""
        for text, title, severity, timeout in toasts:
            self.notify(text, title=title, severity=severity, timeout=timeout, markup=False)
        if self.session.config.bell:
            self.bell()

    def _keep_theme(self) -> None:
        try:
            self.session.write_theme(self.theme)
        except PushoverError as error:
            self.notify(f"Could not save the theme: {error}", severity="warning", markup=False)

    # -- routing ---------------------------------------------------------------------------

    @property
    def mode_screen(self) -> Screen:
        """The current mode's own screen, under any dialog (or help) open on top of it: the one
        whose unsaved work leaving or quitting must ask about."""
        return self.screen_stack[0]

    def open_mode(self, mode: str, request: TextualMessage | None = None) -> None:
        """Switch to `mode` and hand its screen `request` (it arrives after the screen mounts),
        once the screen left has agreed (see `leave`)."""

        def go() -> None:
            self.switch_mode(mode)
            if request is not None:
                self.mode_screen.post_message(request)

        if mode == self.current_mode:
            go()
        else:
            self.leave("mode", go)

    def leave(self, why: str, proceed: Callable[[], object]) -> None:
        """The one rule for unsaved work: the screen shown is asked (`ModeScreen.may_leave`,
        which asks the user when something would be lost) before `proceed`; `why` is "mode",
        "profile" or "quit". While one such question is open, another is not asked."""
        if not self._asking:  # set at once: three ctrl+q in a row start one question
            self._asking = True
            self._leave(why, proceed)

    @work(group="leave", exit_on_error=False)
    async def _leave(self, why: str, proceed: Callable[[], object]) -> None:
        screen = self.mode_screen
        try:
            may = await screen.may_leave(why) if isinstance(screen, ModeScreen) else True
        finally:
            self._asking = False
        if may:
            proceed()

    async def action_switch_mode(self, mode: str) -> None:
        self.open_mode(mode)

    async def action_quit(self) -> None:
        self.leave("quit", self.exit)

    def resend(self, message: Message, to: Secret | None = None) -> None:
        """Open Compose with `message` as the draft, to `to` (a group key; None: the default)."""
        self.open_mode("compose", PrefillDraft(message, to))

    # -- command palette -------------------------------------------------------------------

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand(
            "Send test message",
            "Send the labelled test message",
            lambda: self.open_mode("compose", SendTest()),
        )
        yield SystemCommand(
            "Verify keys",
            "Check the keys against the API",
            lambda: self.open_mode("config", VerifyKeys()),
        )
        yield SystemCommand(
            "Inbox",
            f"Messages received here, live ({self.key_label('mode.inbox')})",
            lambda: self.open_mode("inbox"),
        )
        yield SystemCommand(
            "Cancel an emergency",
            "Open history filtered to emergencies awaiting acknowledgement",
            lambda: self.open_mode(
                "history", FilterHistory(HistoryFilter(receipt_state=ReceiptState.AWAITING))
            ),
        )
        for status in (Status.FAILED, Status.INTERRUPTED, Status.SENT):
            yield SystemCommand(
                f"History: {status} messages",
                f"Open history filtered to {status} messages",
                lambda status=status: self.open_mode(
                    "history", FilterHistory(HistoryFilter(status=status))
                ),
            )
        yield SystemCommand(
            "History: from Sentry",
            "Open history filtered to alerts the Sentry bridge sent",
            lambda: self.open_mode("history", FilterHistory(HistoryFilter(origin="sentry"))),
        )
        session = self.session
        for profile in session.config.profiles:
            if profile.name != session.active.profile.name:
                yield SystemCommand(
                    f"Switch profile: {profile.name}",
                    "Use this profile's keys and defaults",
                    lambda name=profile.name: self.leave(
                        "profile", lambda: session.switch_profile(name)
                    ),
                )

    def deliver_screenshot(
        self, filename: str | None = None, path: str | None = None, time_format: str | None = None
    ) -> str | None:
        """The palette's "Save screenshot": into the Downloads folder when there is one, else
        the current folder, and say where (Textual's default fails when Downloads is missing).
        In a browser (`pushover-tui serve`) the browser downloads it: no path on the server."""
        if self.is_web:
            import io
            import time

            name = filename or time.strftime("pushover-tui-%Y-%m-%d-%H%M%S.svg")
            # Textual says "Saved screenshot" once the browser has it (DeliveryComplete).
            return self.deliver_text(
                io.StringIO(self.export_screenshot()),
                save_filename=name,
                open_method="download",
                mime_type="image/svg+xml",
                name="screenshot",
            )
        folder = Path(path) if path else screenshot_folder()
        try:
            saved = self.save_screenshot(filename, str(folder), time_format)
        except OSError as error:
            text = f"Could not save the screenshot in {folder}: {error.strerror or error}."
            self.notify(text, title="Screenshot", severity="error", markup=False)
            return None
        self.notify(f"Saved to {saved}", title="Screenshot", markup=False)
        return saved

    # -- errors ----------------------------------------------------------------------------

    def report(self, error: BaseException, *, title: str = "", text: str = "") -> None:
        """The one place an error reaches the user: one sentence in a toast (the API's words for
        an expected error, or the screen's own `text` for it; "…Please report it." for
        another), never a secret."""
        sentence = describe_error(error, *secrets_of(self.session), text=text)
        # Long enough to read (3 words a second, 10 s at least): Textual's 5 s is too short
        # for a long one, such as an on-call failure and what it undid (~60 words).
        timeout = max(10.0, len(f"{title} {sentence}".split()) / 3)
        self.notify(sentence, title=title, severity="error", timeout=timeout, markup=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Workers' errors end up here (the app's own, and every mode screen's through
        ModeScreen): a toast, never a traceback."""
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            self.report(event.worker.error)

    def describe_crash(self, error: BaseException | None) -> str:
        return describe_error(error, *secrets_of(self.session))


def screenshot_folder() -> Path:
    import platformdirs

    downloads = Path(platformdirs.user_downloads_dir())
    return downloads if downloads.is_dir() else Path.cwd()


def run(
    *,
    config_path: Path | None = None,
    profile: str | None = None,
    api_url: str | None = None,
    demo: bool = False,
    read_only: bool = False,
    env: Mapping[str, str] = os.environ,
) -> int:
    """Start the dashboard; `demo` runs it on the embedded simulator with a throwaway history;
    `read_only`: it shows everything and changes nothing (Session's ReadOnlyError)."""
    app = build_app(
        config_path=config_path,
        profile=profile,
        api_url=api_url,
        demo=demo,
        read_only=read_only,
        env=env,
    )
    return app.run() or 0


def build_app(
    *,
    config_path: Path | None = None,
    profile: str | None = None,
    api_url: str | None = None,
    demo: bool = False,
    read_only: bool = False,
    env: Mapping[str, str] = os.environ,
    ack_after: float = 20.0,
) -> PushoverApp:
    if not demo:
        config = load_config(config_path, env=env)
        return PushoverApp(
            config=config,
            profile=profile,
            api_url=api_url,
            data_folder=data_dir(env),
            env=env,
            read_only=read_only,
        )
    from pushover_tui.api.secret import Secret
    from pushover_tui.simulator.demo_keys import DEMO_TEAM_TOKEN, DEMO_TOKEN, DEMO_USER

    simulator = LateSimulator(ack_after=ack_after)
    folder = Path(tempfile.mkdtemp(prefix="pushover-tui-demo-", dir=memory_folder()))
    demo_profile = Profile(
        name="demo",
        token=Secret(DEMO_TOKEN),
        user=Secret(DEMO_USER),
        team_token=Secret(DEMO_TEAM_TOKEN),  # the demo team, for Groups' team panel
    )
    config = Config(path=folder / "config.toml", default_profile="demo", profiles=(demo_profile,))
    # The demo ignores PUSHOVER_* variables: it must never reach a real account.
    return PushoverApp(
        config=config,
        api_url=simulator.base_url,
        data_folder=folder,
        env={},
        demo=True,
        read_only=read_only,
        simulator=simulator,
    )
