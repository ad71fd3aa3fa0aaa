"""The Compose screen: write a notification with every option of messages.json and send it.

The screen owns a Draft (compose/draft.py); its components (compose/fields.py) show it and write
edits back to it. It checks the draft as you type with the same field checks the send pipeline
uses, counts characters against each limit, and shows the outcome of a send (request id, receipt,
quota) or the reason it failed right under the field concerned. The mode keeps the screen alive,
so switching screens never loses the draft.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.reactive import reactive
from textual.timer import Timer
from textual.widgets import Button, Input, Select, Static
from textual.worker import Worker

from pushover_tui.api.checks import Problem, errors
from pushover_tui.api.errors import (
    APIError,
    FieldProblemsError,
    NoCredentialsError,
    PushoverError,
)
from pushover_tui.api.models import BUILTIN_SOUNDS, Message
from pushover_tui.api.secret import Secret
from pushover_tui.outbox import Sent
from pushover_tui.store.history import HistoryRow
from pushover_tui.tui.base import ModeScreen
from pushover_tui.tui.compose.actions import ActionBar
from pushover_tui.tui.compose.component import LIMITS, DraftComponent
from pushover_tui.tui.compose.draft import EMERGENCY_FIELDS, Draft
from pushover_tui.tui.compose.outcome import (
    NOTE_FIELDS,
    OutcomePanel,
    blocked_text,
    failure_text,
    field_notes,
    idle_text,
    keys_note,
    note_target,
    prefilled_text,
    sent_text,
    server_notes,
    stopped_text,
    unexpected_text,
)
from pushover_tui.tui.compose.recipient import RecipientField, group_label
from pushover_tui.tui.keys import binding
from pushover_tui.tui.messages import PrefillDraft, SendTest
from pushover_tui.tui.startup import Deferred, imported
from pushover_tui.tui.widgets.composed import composed
from pushover_tui.tui.widgets.field_row import FieldRow
from pushover_tui.tui.widgets.footer import AppFooter
from pushover_tui.tui.widgets.screen_tabs import ScreenTabs
from pushover_tui.tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from textual.widgets import RadioSet, TextArea

CHECK_DELAY = 0.2  # seconds of quiet typing before the field checks run
NEW_CONFIRM_SECONDS = 4.0
PROFILE_FIELDS = frozenset({"priority", "retry", "expire"})


class ComposeScreen(ModeScreen):
    """Write and send a notification; F3."""

    CSS_PATH = "compose.tcss"
    NARROW_BELOW = 90
    SHORT_BELOW = 30
    BINDINGS: ClassVar[list[BindingType]] = [
        binding("compose.send", "send"),
        binding("compose.send_test", "send_test"),
        binding("compose.new", "new_message"),
        binding("compose.stop", "stop"),
        binding("compose.glance", "glance"),
    ]
    # The message box takes the focus once built (see _component_built): the default ("*")
    # would focus the scrolling body first, and each focus change there restyles every field.
    AUTO_FOCUS = ""

    sending: reactive[bool] = reactive(False, init=False)

    def __init__(self) -> None:
        super().__init__()
        self.draft = Draft()
        self._touched: set[str] = set()
        self._show_all = False  # every problem shown, not only those of edited fields
        self._server: dict[str, str] = {}  # what Pushover said about a field, until it is edited
        self._check_timer: Timer | None = None
        self._sounds: dict[str, str] = dict(BUILTIN_SOUNDS)
        self._sounds_profile: str | None = None
        self._dirty = False  # edited since the last send or new message
        self._confirm_new_until = 0.0
        self._send_worker: Worker[None] | None = None
        # (sent, test, the group it went to): its receipt is followed
        self._last_sent: tuple[Sent, bool, str] | None = None

    # -- layout and life cycle -----------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield ScreenTabs("compose", self.pushover.key_label)
        yield Static("", id="keys-note", markup=False)
        self.draft = Draft.for_profile(self.session.active.profile)
        with VerticalScroll(id="compose-body"):
            with Vertical(id="compose-left", classes="column"):
                yield Deferred(lambda: RecipientField(self.draft, id="recipient"))
                message_box = imported("pushover_tui.tui.compose.message_box:MessageBox")
                yield Deferred(lambda: message_box(self.draft, id="message-box"))
                details = imported("pushover_tui.tui.compose.fields:DetailFields")
                yield Deferred(lambda: details(self.draft))
            with Vertical(id="compose-right", classes="column"):
                options = imported("pushover_tui.tui.compose.fields:OptionFields")
                yield Deferred(
                    lambda: options(
                        self.draft, sounds=self._sounds, profile=self.session.active.profile
                    )
                )
        yield OutcomePanel(id="outcome")
        yield Deferred(lambda: ActionBar(id="compose-actions"))
        yield Deferred(AppFooter)

    def on_mount(self) -> None:
        self._show_outcome("idle", idle_text(self.pushover.key_label))
        self._refresh()
        self.pushover.profile_changed.subscribe(self, self._profile_changed)
        self.pushover.history_changed.subscribe(self, self._history_changed)
        self.watch(self.app, "devices", lambda _: self._show_devices(), init=False)
        # The app's own sound list once the keys are known to work: the start-up key check
        # (after the first frame) says so, or it already has when this screen opens later.
        self.watch(self.app, "verified", self._verified_changed, init=False)
        if self.session.verified:
            self.call_after_refresh(self._fetch_sounds_once)

    @on(Deferred.Built)
    def _component_built(self, event: Deferred.Built) -> None:
        if isinstance(event.widget, DraftComponent):  # the sounds may have come while it mounted
            event.widget.set_sounds(self._sounds, self.draft.sound)
        self._show_devices()
        self._refresh()
        if event.widget.id == "message-box" and self.focused is None:
            self.query_one("#message").focus()

    def _components(self) -> list[DraftComponent]:
        return composed(self, DraftComponent)

    def _show_draft(self) -> None:
        """Load the draft into every component, then refresh what depends on it."""
        profile = self.session.active.profile
        for component in self._components():
            component.set_profile(profile)
            component.set_sounds(self._sounds, self.draft.sound)
            component.load(self.draft)
        self._refresh()

    def on_resize(self) -> None:
        self.fit_to(self.size)
        self._show_actions()

    def _show_devices(self) -> None:
        for component in self._components():
            component.set_devices(self.session.devices)

    @on(Button.Pressed, "#device-pick")
    def _pick_devices(self, event: Button.Pressed) -> None:
        event.stop()
        self._ask_devices()

    @work(exclusive=True, group="compose-ask", exit_on_error=False)
    async def _ask_devices(self) -> None:
        from pushover_tui.tui.widgets.dialogs import device_picker

        devices = self.session.devices or ()
        names = await self.ask(device_picker("Send to which devices?", devices, self.draft.device))
        if names is not None:
            self._replace_fields(device=",".join(names))

    def _replace_fields(self, **values: str) -> None:
        """Set fields as an edit would (they count as touched), and show them."""
        self.draft = replace(self.draft, **values)
        self._touched |= set(values)
        self._dirty = True
        for component in self._components():
            component.load(self.draft)
        self._refresh()

    def _show_actions(self) -> None:
        for bar in composed(self, ActionBar):
            bar.show(sending=self.sending, emergency=self.draft.is_emergency)
            bar.set_compact(self.has_class("-short"))

    def _profile_changed(self, _active: object) -> None:
        keep = frozenset(self._touched & PROFILE_FIELDS)
        self.draft = self.draft.with_profile_defaults(self.session.active.profile, keep=keep)
        self.draft = replace(self.draft, to=Secret())  # groups belong to an account
        # Sounds belong to an app token: the built-in list until this profile's app says more.
        self._sounds = dict(BUILTIN_SOUNDS)
        self._sounds_profile = None
        self._show_draft()
        self._fetch_sounds_once()

    # -- sounds ----------------------------------------------------------------------------

    def _verified_changed(self, verified: bool | None) -> None:
        if verified:
            self._fetch_sounds_once()

    def _fetch_sounds_once(self) -> None:
        active = self.session.active
        if active.has_keys and self._sounds_profile != active.profile.name:
            self._sounds_profile = active.profile.name
            self._load_sounds()

    @work(exclusive=True, group="compose-sounds", exit_on_error=False)
    async def _load_sounds(self) -> None:
        profile = self.session.active.profile
        try:
            sounds = await self.session.sounds(profile)
        except PushoverError:
            return  # the built-in list stays; sending will say what is wrong with the keys
        if sounds and self.session.active.profile == profile:  # not another profile's by now
            self.set_sounds(sounds)

    def set_sounds(self, sounds: dict[str, str]) -> None:
        """Replace the sound list, keeping the current choice (even a name not listed)."""
        self._sounds = dict(sounds)
        for component in self._components():
            component.set_sounds(self._sounds, self.draft.sound)

    # -- edits and live checks -------------------------------------------------------------

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self._edited(event)

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        self._edited(event)

    @on(Input.Changed)
    @on(Select.Changed)
    def _edited(
        self, event: Input.Changed | Select.Changed | TextArea.Changed | RadioSet.Changed
    ) -> None:
        """An edit in any component (the message box's TextArea.Changed and the options'
        RadioSet.Changed come by their on_… handlers: their classes are imported only when
        those components are built, after the first frame)."""
        ancestors = event.control.ancestors_with_self
        component = next((n for n in ancestors if isinstance(n, DraftComponent)), None)
        if component is None or not self._take_edits([component]):
            return
        if self._check_timer is not None:
            self._check_timer.stop()
        self._check_timer = self.set_timer(CHECK_DELAY, self._checks_due)

    def _checks_due(self) -> None:
        """The typing has paused: check the draft (no check is waiting any more)."""
        self._check_timer = None
        self._refresh()

    def _take_edits(self, found: list[DraftComponent]) -> bool:
        """Take the values of these components into the draft. An edit is a field whose value
        differs from the draft's: a control showing the value it was built with, as it mounts,
        is none, and an edit whose Changed event is still queued is taken once, when first seen
        (a key binding can run before the event)."""
        draft = self.draft
        for component in found:
            draft = component.to_draft(draft)
        edited = {
            name for name in Draft.names() if getattr(draft, name) != getattr(self.draft, name)
        }
        if not edited:
            return False
        self.draft = draft
        self._touched |= edited
        for field in edited:
            self._server.pop(field, None)
        if edited & set(EMERGENCY_FIELDS):
            self._server.pop("priority", None)  # where a problem of theirs may have landed
        self._dirty = True
        self._confirm_new_until = 0.0
        self._refresh(checks=False)
        return True

    def _refresh(self, *, checks: bool = True) -> None:
        """Counters, the priority's effects and (with `checks`) every field's note."""
        draft = self.draft
        emergency = draft.is_emergency
        self.set_class(emergency, "-emergency")
        self._show_actions()
        rows = {row.field: row for row in composed(self, FieldRow)}
        for field, limit in LIMITS.items():
            if field in rows:
                rows[field].set_count(len(getattr(draft, field)), limit)  # code points
        for component in self._components():
            component.show_summary(draft, self.session.active.profile)
        if checks:
            self._show_problems(draft.problems(self.session.active, self.session.devices))

    def _show_problems(self, problems: list[Problem]) -> None:
        shown = set(NOTE_FIELDS) if self._show_all else self._touched
        notes = field_notes(self.draft, problems, shown=shown, server=self._server)
        for row in composed(self, FieldRow):
            if row.field in notes:  # the recipient's note is its own (the groups loading)
                row.set_note(*notes[row.field])
        text = keys_note(problems, self._server, self.session.active, self.pushover.key_label)
        banner = self.query_one("#keys-note", Static)
        banner.update(text)
        banner.set_class(bool(text), "-shown")

    def problem_text(self, field: str) -> str:
        """The warning or problem shown under `field` now ("" for none or a hint)."""
        for row in composed(self, FieldRow, f"#{field}-row"):
            text, severity = row.note
            return text if severity in ("warning", "error") else ""
        return ""

    # -- sending ---------------------------------------------------------------------------

    def watch_sending(self, sending: bool) -> None:
        self.set_class(sending, "-sending")
        self._show_actions()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":
            return self.sending  # only while a send is on its way
        if action in ("send", "send_test", "new_message") and self.sending:
            return None  # shown greyed out in the footer, and the key does nothing
        return True

    def action_stop(self) -> None:
        """Stop the send on its way: the pipeline records it as interrupted."""
        if self._send_worker is not None and self.sending:
            self._send_worker.cancel()

    def action_send(self) -> None:
        if self.sending:
            return
        if self._check_timer is not None:
            self._check_timer.stop()
            self._check_timer = None
        self._show_all = True
        self._server.clear()
        self._take_edits(self._components())
        active = self.session.active
        message, _ = self.draft.to_message(active.profile)
        problems = self.draft.problems(active, self.session.devices)
        self._show_problems(problems)
        if blocking := errors(problems):
            self._show_outcome("failed", blocked_text(blocking, self.pushover.key_label))
            self._focus_field(blocking[0].field)
            return
        to = self.draft.to
        to_text = f" for {group_label(to, self.session.known_groups)}" if to else ""
        what = "the emergency" if message.is_emergency else "the message"
        self._start_sending(message, what + to_text, to)

    def action_send_test(self) -> None:
        if not self.sending:
            self._start_sending(None, "a test message")

    def _start_sending(self, message: Message | None, what: str, to: Secret | None = None) -> None:
        self.sending = True
        self.query_one(OutcomePanel).show_sending(what)
        self._send_worker = self._send(message, to)

    def on_send_test(self, event: SendTest) -> None:
        event.stop()
        self.action_send_test()

    @work(group="compose-send", exit_on_error=False)
    async def _send(self, message: Message | None, to: Secret | None = None) -> None:
        """Send `message` (None: the labelled test message) to `to` (a group key; blank: the
        profile's default). Never exclusive: cancelling a send in flight would leave the user
        wondering whether it went out."""
        test = message is None
        key = self.pushover.key_label
        progress = self.query_one(OutcomePanel).show_progress
        try:
            if message is None:
                sent = await self.session.send_test(progress)
            else:
                sent = await self.session.send_message(message, to, progress)
        except asyncio.CancelledError:
            self._show_outcome("failed", stopped_text(key))
            raise
        except FieldProblemsError as error:
            if test:
                text = " ".join(problem.text for problem in error.problems)
                self._show_outcome("failed", failure_text(text, key, keys=True))
            else:
                self._show_all = True
                self._show_problems(error.problems)
                self._show_outcome("failed", blocked_text(error.problems, key))
                self._focus_field(error.problems[0].field)
        except APIError as error:
            notes = server_notes(error, key)
            if to and "user" in error.fields:
                notes.pop("keys", None)  # the "user" sent was the group's key, not the profile's
            self._server.update(notes)
            if notes:
                self._refresh()
                self._focus_field(next(iter(notes)))
            self._show_outcome("failed", failure_text(error, key, keys="keys" in notes))
        except PushoverError as error:
            keys = isinstance(error, NoCredentialsError)
            self._show_outcome("failed", failure_text(error, key, keys=keys))
        except Exception:
            # None of the pipeline's errors: the panel stops saying "Sending…" (and counting
            # down); the app's worker handler names the error, secrets masked.
            self._show_outcome("failed", unexpected_text(key))
            raise
        else:
            self._dirty = False
            self._server.clear()  # what Pushover said before no longer stands
            self._refresh()
            to_text = group_label(to, self.session.known_groups) if to else ""
            self._last_sent = (sent, test, to_text)
            self._show_outcome("ok", sent_text(sent, key, test=test, to=to_text))
        finally:
            self.sending = False

    def _history_changed(self, row: HistoryRow | None) -> None:
        """The last emergency sent from here: its outcome follows the receipt."""
        if self._last_sent is None or row is None:
            return
        sent, test, to = self._last_sent
        if row.id == sent.row_id and row.receipt_state is not None:
            key = self.pushover.key_label
            self._show_outcome("ok", sent_text(sent, key, test=test, row=row, to=to))

    def _show_outcome(self, state: str, content: Content) -> None:
        self.query_one(OutcomePanel).show(state, content)

    def _focus_field(self, field: str) -> None:
        """Focus the field a problem is about, or the nearest one built so far."""
        target = note_target(field)
        nearest = ["priority"] if target in EMERGENCY_FIELDS else []
        for name in [target, *nearest, "message"]:
            widgets = self.query(f"#{name}")
            if widgets and widgets.first().focusable:
                widgets.first().focus()
                return

    # -- the draft -------------------------------------------------------------------------

    def action_glance(self) -> None:
        """The Glance panel, over the draft (which stays as it is)."""
        from pushover_tui.tui.compose.glance_panel import GlancePanel

        self.app.push_screen(GlancePanel())

    def action_new_message(self) -> None:
        if self.sending:
            return
        now = time.monotonic()
        self._take_edits(self._components())
        if self._dirty and self.draft.has_text and now > self._confirm_new_until:
            self._confirm_new_until = now + NEW_CONFIRM_SECONDS
            self.notify(
                f"The draft has not been sent. Press {self.pushover.key_label('compose.new')} "
                "again to clear it.",
                title="New message",
                severity="warning",
                timeout=NEW_CONFIRM_SECONDS,
            )
            return
        self.clear_draft()

    def clear_draft(self) -> None:
        """Start over: empty fields, the profile's defaults, nothing marked."""
        self._replace_draft(Draft.for_profile(self.session.active.profile), show_all=False)
        self._dirty = False
        self._last_sent = None
        self._show_outcome("idle", idle_text(self.pushover.key_label))

    def prefill(self, message: Message, to: Secret | None = None) -> None:
        """Fill every field from `message` (History's Resend), to `to` (None: the default)."""
        draft = Draft.from_message(message, self.session.active.profile)
        draft = replace(draft, to=to or Secret())
        self._replace_draft(draft, show_all=True)
        self._dirty = True
        self._last_sent = None
        self._show_outcome("idle", prefilled_text(self.pushover.key_label))

    def on_prefill_draft(self, event: PrefillDraft) -> None:
        """History's Resend: asks before it replaces a draft that was not sent."""
        event.stop()
        self._take_edits(self._components())
        if not (self._dirty and self.draft.has_text):
            self.prefill(event.message, event.to)
            return
        self._ask_to_replace(event.message, event.to)

    @work(exclusive=True, group="compose-ask", exit_on_error=False)
    async def _ask_to_replace(self, message: Message, to: Secret | None) -> None:
        from pushover_tui.tui.widgets.dialogs import ChoiceDialog

        dialog = ChoiceDialog(
            "Replace the unsent draft?",
            "The message you were writing has not been sent. Resend replaces it.",
            [("replace", "Replace it", "warning"), ("cancel", "Keep my draft", "default")],
        )
        if await self.ask(dialog) == "replace":
            self.prefill(message, to)

    async def may_leave(self, why: str) -> bool:
        """Quitting asks first while a send is on its way, or with a draft that was not sent
        (a failed send's too). Other screens keep the draft: leaving for them never asks."""
        if why != "quit":
            return True
        from pushover_tui.tui.widgets.dialogs import ChoiceDialog

        self._take_edits(self._components())
        if self.sending:
            dialog = ChoiceDialog(
                "Quit while sending?",
                "A message is on its way to Pushover. Quitting now may leave it undelivered; "
                "History will show it as interrupted.",
                [("cancel", "Keep sending", "primary"), ("quit", "Quit anyway", "error")],
            )
        elif self._dirty and self.draft.has_text:
            dialog = ChoiceDialog(
                "Quit and lose the draft?",
                "The message you were writing has not been sent.",
                [("cancel", "Keep my draft", "primary"), ("quit", "Quit anyway", "error")],
            )
        else:
            return True
        return await self.ask(dialog) == "quit"

    def _replace_draft(self, draft: Draft, *, show_all: bool) -> None:
        self.draft = draft
        self._touched = set(NOTE_FIELDS) if show_all else set()
        self._show_all = show_all
        self._server.clear()
        self._confirm_new_until = 0.0
        self._show_draft()
        # The message box may not be built yet (ctrl+n or a Resend right at start-up): it loads
        # the draft when it is, and takes the focus then (_component_built).
        for box in self.query("#message"):
            box.focus()
