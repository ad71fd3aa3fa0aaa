"""The Textual app: five modes (config, compose, history, groups, inbox) over the shared send
pipeline.

Screens hold no protocol or SQL: they call the app's methods below (a typed facade), which call
the outbox, the tracker and the store. httpx is imported only when the first request is made.
Start-up devices (and every use of Textual's private API) live in `startup.py`.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import Awaitable, Callable, Iterable, Mapping
from contextlib import suppress
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import events, work
from textual.app import SystemCommand
from textual.binding import Binding, BindingType
from textual.dom import DOMNode
from textual.reactive import reactive
from textual.screen import Screen
from textual.signal import Signal
from textual.worker import Worker, WorkerState

from pushover_tui.api.errors import (
    APIError,
    PushoverError,
    QuotaExceededError,
    TemporaryError,
    UnexpectedResponseError,
)
from pushover_tui.api.models import Group, Message, Quota, ReceiptState, UserCheck
from pushover_tui.api.secret import Secret, redact
from pushover_tui.outbox import Outbox, Sent
from pushover_tui.safe_text import escape_controls
from pushover_tui.store.config import (
    ActiveProfile,
    Config,
    Profile,
    data_dir,
    load_config,
    resolve,
    save_config,
)
from pushover_tui.store.history import History, HistoryFilter, Status
from pushover_tui.store.url import store_url
from pushover_tui.tui.groups.account import GroupsAccount
from pushover_tui.tui.keys import KEYS, binding, check_keymap
from pushover_tui.tui.messages import FilterHistory, PrefillDraft, SendTest, VerifyKeys
from pushover_tui.tui.startup import FastStartApp

if TYPE_CHECKING:
    from textual.message import Message as TextualMessage

    from pushover_tui.api.client import Progress
    from pushover_tui.api.inbox import InboxSession
    from pushover_tui.simulator import Simulator
    from pushover_tui.store.base import Store
    from pushover_tui.store.history import HistoryRow
    from pushover_tui.tui.inbox.link import InboxLink


def _lazy_screen(path: str) -> Callable[[], Screen]:
    """A factory for MODES that imports the screen class at `path` when the mode first opens."""

    def make() -> Screen:
        import importlib

        module, _, name = path.rpartition(".")
        return getattr(importlib.import_module(module), name)()

    return make


def pushover_app(node: DOMNode) -> PushoverApp:
    """The app a widget belongs to, typed."""
    app = node.app
    assert isinstance(app, PushoverApp)
    return app


class ModeScreen(Screen[None]):
    """A mode's screen: the app typed (`pushover`), and its workers' unexpected errors sent to
    the app's one handler (Worker.StateChanged does not bubble: they would end silently)."""

    @property
    def pushover(self) -> PushoverApp:
        return pushover_app(self)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.pushover.on_worker_state_changed(event)


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
        # Last: the footer shows these together, after every other key.
        binding("mode.config", "switch_mode('config')"),
        binding("mode.compose", "switch_mode('compose')"),
        binding("mode.history", "switch_mode('history')"),
        binding("mode.groups", "switch_mode('groups')"),
        binding("mode.inbox", "switch_mode('inbox')"),
    ]

    verified: reactive[bool | None] = reactive(None)  # the active profile's keys, as in use
    reachable: reactive[bool | None] = reactive(None)  # did the last request get an answer?
    store_reachable: reactive[bool] = reactive(True)  # False: the shared PostgreSQL is down
    keys_edited: reactive[bool] = reactive(False)  # Config holds unsaved edits of the keys
    devices: reactive[tuple[str, ...] | None] = reactive(None)  # the in-use keys' devices
    quota: reactive[Quota | None] = reactive(None)
    awaiting: reactive[int] = reactive(0)
    # Seconds from the last Send test to its arrival in this inbox (None: not seen arriving).
    test_arrival: reactive[float | None] = reactive(None)
    # The account's delivery groups (keys and names) for Compose's recipient and History's
    # names: None until loaded; `groups_note` says why they are not (loading, or the failure).
    known_groups: reactive[tuple[Group, ...] | None] = reactive(None)
    groups_note: reactive[str] = reactive("")

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
        # The demo's history is its own throwaway folder, never a team's store.
        shared = None if demo else store_url(env, config.store_url.reveal())
        self.outbox = Outbox.open(
            self.active, data_folder, origin="tui", store_url=shared, unreachable_ok=True
        )
        self._local_history: History | None = None  # the inbox's, when the store is shared
        self.groups = GroupsAccount(self)
        self._follow(self.outbox)
        # Published with the changed row (or None when many rows changed).
        self.history_changed: Signal[HistoryRow | None] = Signal(self, "history-changed")
        self.profile_changed: Signal[ActiveProfile] = Signal(self, "profile-changed")
        self._background_started = False
        self._inbox: InboxLink | None = None
        if config.theme in self.available_themes:
            self.theme = config.theme
        # A keymap entry that cannot work is refused, with a sentence once the app is up.
        self.keymap, self.keymap_problems = check_keymap(config.keymap)
        if self.keymap:
            self.set_keymap(self.keymap)

    # -- life cycle ------------------------------------------------------------------------

    @property
    def history(self) -> Store:
        """Every message sent: this machine's files, or the team's PostgreSQL."""
        return self.outbox.history

    @property
    def inbox_history(self) -> History:
        """The history database the inbox keeps its messages in: always this machine's (the
        inbox belongs to this machine's device), even when the sent messages are shared."""
        if isinstance(self.history, History):
            return self.history
        if self._local_history is None:
            self._local_history = History.open(self.data_folder)
        return self._local_history

    @property
    def inbox(self) -> InboxLink:
        """The active profile's inbox, followed from just after the first frame (started())."""
        if self._inbox is None:
            from pushover_tui.tui.inbox.link import InboxLink

            self._inbox = InboxLink(self)
        return self._inbox

    def on_mount(self) -> None:
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        self.history_changed.subscribe(self, self._history_changed)
        self._watch_store()
        for problem in self.keymap_problems:
            self.notify(
                problem, title="Key not moved", severity="warning", timeout=15, markup=False
            )

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

    def on_ready(self) -> None:
        self.awaiting = self._count_awaiting()
        super().on_ready()

    def started(self) -> None:
        # After the first frame and what screens put off (their first request imports httpx
        # and builds an SSL context: ~100 ms of event loop): resume receipts, check the keys.
        if self.active.has_keys and not self._background_started:
            self._background_started = True
            self.outbox.tracker.resume(self.active.profile.name)
            self.check_keys_in_background()
            self.load_groups_in_background()
        # Receiving imports httpx and websockets and opens a socket: never before the first frame.
        self.inbox.start()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        # Headless (tests, screenshots): a steady cursor, so every capture is the same.
        if self.is_headless:
            from textual.widgets import Input, TextArea  # headless only: no start-up cost

            if isinstance(event.widget, Input | TextArea):
                event.widget.cursor_blink = False

    async def on_unmount(self) -> None:
        if self._inbox is not None:
            await self._inbox.aclose()  # before the history it writes to closes
        await self.outbox.aclose()
        self.history.close()
        if self._local_history is not None:
            self._local_history.close()
        if self.simulator is not None:
            self.simulator.stop()
        if self.demo:
            shutil.rmtree(self.data_folder, ignore_errors=True)

    @work(exclusive=True, group="startup-check", exit_on_error=False)
    async def check_keys_in_background(self) -> None:
        """Verify the active keys and read the quota; the status line tells the outcome."""
        try:
            await self.verify(self.active.profile)
            client = await self.outbox.client()
            self.quota = await client.limits()
        except PushoverError:
            pass  # the status line says which; the config screen says why when asked

    def _answered(self, error: PushoverError | None = None) -> None:
        """Record whether the API answered a request (any answer counts, a refusal too)."""
        self.reachable = not isinstance(error, TemporaryError | UnexpectedResponseError)

    # -- what screens call -----------------------------------------------------------------

    async def send_message(
        self, message: Message, to: Secret | None = None, progress: Progress | None = None
    ) -> Sent:
        """Send through the shared pipeline, to `to` (a group key) or the profile's recipient;
        raises the pipeline's errors for the screen. `progress` hears each attempt and the wait
        before a retry."""
        return await self._sending(self.outbox.send(message, to=to or None, progress=progress))

    async def send_test(self, progress: Progress | None = None) -> Sent:
        sent = await self._sending(self.outbox.send_test(progress=progress))
        if self._inbox is not None:
            self._inbox.time_arrival(sent)
        return sent

    async def _sending(self, send: Awaitable[Sent]) -> Sent:
        try:
            sent = await send
        except QuotaExceededError as error:
            self._answered(error)
            limit = self.quota.limit if self.quota is not None else None
            self.quota = Quota(limit=limit, remaining=0, reset=error.reset)
            raise
        except (TemporaryError, UnexpectedResponseError, APIError) as error:
            self._answered(error)
            raise
        self._answered()
        if sent.result.quota.known:
            self.quota = sent.result.quota
        return sent

    async def verify(self, profile: Profile, device: str = "") -> UserCheck:
        """Check `profile`'s keys (saved or not) against users/validate.json. The status line's
        verdict changes only for the keys in use, never for keys being edited."""
        in_use = (profile.token, profile.user) == (
            self.active.profile.token,
            self.active.profile.user,
        )
        async with self.outbox.client_for(profile.token) as client:
            try:
                check = await client.validate_user(profile.user, device)
            except PushoverError as error:
                self._answered(error)
                if in_use and isinstance(error, APIError):
                    self.verified = False
                raise
        self._answered()
        if in_use:
            self.verified = True
            self.devices = check.devices
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
        self.write_config(config)
        self.switch_profile(self.active.profile.name if config.profiles else None)

    def write_config(self, config: Config) -> None:
        """Write the config file when what changed is not the profile in use (which profile is
        the default, an inbox session, the theme): its keys, outbox and verification, and the
        edits Config holds for it, stay as they are."""
        self.config = save_config(config)

    def remember_inbox(self, session: InboxSession | None) -> None:
        """Save the active profile's inbox session (None: forget it) in the config file. Only
        that changes: the keys, their verification and the outbox stay as they are."""
        from pushover_tui.inbox import remember

        name = self.active.profile.name
        self.write_config(remember(self.config, name, session))
        self.active = replace(self.active, profile=replace(self.active.profile, inbox=session))

    def ring_bell(self) -> None:
        """The terminal bell, when the config says `bell = true`: the one switch for every
        piece of news that rings (a new inbox message, a receipt that changed)."""
        if self.config.bell:
            self.bell()

    def switch_profile(self, name: str | None) -> None:
        """Make `name` active: a new outbox (client and tracker) for its keys."""
        old = self.outbox
        self.active = resolve(self.config, name, api_url=self._api_url_option, env=self.env)
        self.outbox = Outbox(self.active, old.history, origin="tui")
        self._follow(self.outbox)
        # Stop the old profile's polls and close its client (the history stays shared).
        self.run_worker(old.aclose(), exit_on_error=False)
        self.verified = None
        self.reachable = None
        self.devices = None
        self.quota = None
        self.groups.forget()
        if self.active.has_keys:
            self.outbox.tracker.resume(self.active.profile.name)
            if self._background_started:  # else the start-up check will
                self.check_keys_in_background()
                self.load_groups_in_background()
        self.awaiting = self._count_awaiting()
        self.profile_changed.publish(self.active)

    @work(exclusive=True, group="groups-list", exit_on_error=False)
    async def load_groups_in_background(self) -> None:
        with suppress(PushoverError):  # `groups_note` says why; Compose keeps the default
            await self.groups.load()

    @property
    def mode_screen(self) -> Screen:
        """The current mode's own screen, under any dialog (or help) open on top of it: the one
        whose unsaved work leaving or quitting must ask about."""
        return self.screen_stack[0]

    def open_mode(self, mode: str, request: TextualMessage | None = None) -> None:
        """Switch to `mode` and hand its screen `request` (it arrives after the screen mounts).
        A screen with unsaved work (Config) asks first, through its `confirm_leave(proceed)`."""

        def go() -> None:
            self.switch_mode(mode)
            if request is not None:
                self.mode_screen.post_message(request)

        confirm_leave = getattr(self.mode_screen, "confirm_leave", None)
        if mode != self.current_mode and callable(confirm_leave):
            confirm_leave(go)
        else:
            go()

    # -- status --------------------------------------------------------------------------

    def _follow(self, outbox: Outbox) -> None:
        outbox.tracker.add_listener(self._row_changed)
        outbox.tracker.add_closed_listener(self._receipt_closed)

    def _receipt_closed(self, row: HistoryRow) -> None:
        """An emergency was acknowledged, expired or was cancelled: say so, once."""
        self.notify(receipt_news(row), title="Emergency", timeout=10, markup=False)
        self.ring_bell()

    def _row_changed(self, row: HistoryRow) -> None:
        """Every change the pipeline or the tracker records: screens refresh, counts follow."""
        self.history_changed.publish(row)

    def _history_changed(self, _: HistoryRow | None) -> None:
        self.awaiting = self._count_awaiting()

    def _count_awaiting(self) -> int:
        try:
            rows = self.history.open_receipts()
        except PushoverError:  # the shared store is down: the status line says so
            return self.awaiting
        return sum(1 for row in rows if row.profile == self.active.profile.name)

    def _watch_store(self) -> None:
        """The status line follows whether the shared store answers; it retries by itself
        (its listener reconnects) and the lists reload once it is back."""
        loop = asyncio.get_running_loop()

        def heard() -> None:  # on the store's thread
            with suppress(RuntimeError):  # the app has ended
                loop.call_soon_threadsafe(self._store_heard)

        self.history.subscribe(heard)
        self.store_reachable = self.history.reachable

    def _store_heard(self) -> None:
        if self.store_reachable != self.history.reachable:
            self.store_reachable = self.history.reachable
            self.history_changed.publish(None)

    def _theme_changed(self, _: object) -> None:
        if self.theme != self.config.theme and not self.demo:
            try:
                self.write_config(replace(self.config, theme=self.theme))
            except PushoverError as error:
                self.notify(f"Could not save the theme: {error}", severity="warning", markup=False)

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
            lambda: self.open_history(HistoryFilter(receipt_state=ReceiptState.AWAITING)),
        )
        for status in (Status.FAILED, Status.INTERRUPTED, Status.SENT):
            yield SystemCommand(
                f"History: {status} messages",
                f"Open history filtered to {status} messages",
                lambda status=status: self.open_history(HistoryFilter(status=status)),
            )
        yield SystemCommand(
            "History: from Sentry",
            "Open history filtered to alerts the Sentry bridge sent",
            lambda: self.open_history(HistoryFilter(origin="sentry")),
        )
        for profile in self.config.profiles:
            if profile.name != self.active.profile.name:
                yield SystemCommand(
                    f"Switch profile: {profile.name}",
                    "Use this profile's keys and defaults",
                    lambda name=profile.name: self.switch_profile(name),
                )

    def open_history(self, filters: HistoryFilter) -> None:
        self.open_mode("history", FilterHistory(filters))

    def resend(self, message: Message, to: Secret | None = None) -> None:
        """Open Compose with `message` as the draft, to `to` (a group key; None: the default)."""
        self.open_mode("compose", PrefillDraft(message, to))

    def deliver_screenshot(
        self, filename: str | None = None, path: str | None = None, time_format: str | None = None
    ) -> str | None:
        """The palette's "Save screenshot": into the Downloads folder when there is one, else
        the current folder, and say where (Textual's default fails when Downloads is missing)."""
        folder = Path(path) if path else screenshot_folder()
        try:
            saved = self.save_screenshot(filename, str(folder), time_format)
        except OSError as error:
            text = f"Could not save the screenshot in {folder}: {error.strerror or error}."
            self.notify(text, title="Screenshot", severity="error", markup=False)
            return None
        self.notify(f"Saved to {saved}", title="Screenshot", markup=False)
        return saved

    async def action_switch_mode(self, mode: str) -> None:
        self.open_mode(mode)

    async def action_quit(self) -> None:
        """Quit; a screen with unsaved work or a send on its way asks first, through its
        `confirm_quit(proceed)` (or `confirm_leave`)."""
        screen = self.mode_screen
        confirm = getattr(screen, "confirm_quit", None) or getattr(screen, "confirm_leave", None)
        if callable(confirm):
            confirm(self.exit)
        else:
            self.exit()

    # -- errors ----------------------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place unexpected worker errors end up (the app's own, and every mode
        screen's through ModeScreen): a toast, never a traceback."""
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            self.notify(self.describe_crash(event.worker.error), severity="error", markup=False)

    def describe_crash(self, error: BaseException | None) -> str:
        profile = self.active.profile
        return describe_error(error, profile.token, profile.user)


def receipt_news(row: HistoryRow) -> str:
    """A closed emergency in one sentence, named by its title (or message)."""
    name = escape_controls(" ".join((row.title or row.message).split()))[:60]
    info = row.receipt_info
    if row.receipt_state is ReceiptState.ACKNOWLEDGED:
        device = info.acknowledged_by_device if info is not None else ""
        return f"“{name}” was acknowledged" + (f" on {device}." if device else ".")
    if row.receipt_state is ReceiptState.EXPIRED:
        return f"“{name}” expired without acknowledgement."
    return f"“{name}”: retries cancelled."


def screenshot_folder() -> Path:
    import platformdirs

    downloads = Path(platformdirs.user_downloads_dir())
    return downloads if downloads.is_dir() else Path.cwd()


def describe_error(error: BaseException | None, *secrets: Secret) -> str:
    """One sentence for the user; the API's own words for our errors, never a secret (`secrets`:
    the keys in use, masked wherever an unexpected error's text holds them)."""
    if isinstance(error, PushoverError):
        return str(error)
    name = type(error).__name__ if error is not None else "Error"
    return redact(f"unexpected {name}: {error}. Please report it.", *secrets)


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
