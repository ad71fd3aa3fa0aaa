"""The Glance panel: Compose's second panel, a small form for a watch complication.

Title, text and subtext count their characters live against 100; count and percent are checked
as typed; the last glance sent and Pushover's pace advice (20 minutes between updates, 50 a day
on watchOS) are shown, and a send past that advice is warned about, never blocked."""

from __future__ import annotations

import time
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from pushover_tui.api.beyond_messages import GLANCE_TEXT_MAX, GLANCE_TEXTS, Glance
from pushover_tui.api.checks import Problem
from pushover_tui.api.errors import PushoverError
from pushover_tui.tui.base import dashboard
from pushover_tui.tui.keys import binding
from pushover_tui.tui.session.glances import ADVICE
from pushover_tui.tui.widgets.choices import duration

NUMBERS = ("count", "percent")


class GlancePanel(ModalScreen[None]):
    """Opened from Compose; Escape closes it, the send key sends the glance."""

    DEFAULT_CSS = """
    GlancePanel {
        align: center middle;
        background: $background 60%;
        & > #glance {
            width: 76; max-width: 100%; height: auto; max-height: 100%; padding: 0 2;
            border: thick $primary 80%; background: $surface;
        }
        & #glance-title { text-style: bold; width: 100%; margin-bottom: 1; }
        & .glance-row { height: 1; }
        & .glance-row Label { width: 9; }
        & .glance-row Input { width: 1fr; height: 1; border: none; padding: 0 1; }
        & .glance-row .counter { width: 9; text-align: right; color: $text-muted; }
        & .glance-row .counter.-over { color: $error; }
        & #glance-problem { color: $error; height: auto; margin-top: 1; }
        & #glance-last, #glance-advice { height: auto; margin-top: 1; color: $text-muted; }
        & #glance-warning { height: auto; color: $warning; }
        & .-empty { display: none; }
        & #glance-buttons { height: auto; align-horizontal: right; margin-top: 1; }
        & #glance-buttons Button { margin-left: 2; min-width: 10; }
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        binding("compose.send", "send"),
        binding("dialog.cancel", "close"),
    ]

    def compose(self) -> ComposeResult:
        send_key = dashboard(self).key_label("compose.send")
        with Vertical(id="glance"):
            yield Label("Glance: a watch complication, to your user key", id="glance-title")
            for name in GLANCE_TEXTS:
                with Horizontal(classes="glance-row"):
                    yield Label(name.title())
                    yield Input(placeholder=f"{GLANCE_TEXT_MAX} characters at most", id=name)
                    yield Static(f"0/{GLANCE_TEXT_MAX}", id=f"{name}-count", classes="counter")
            with Horizontal(classes="glance-row"):
                yield Label("Count")
                yield Input(placeholder="a whole number, may be negative", id="count")
                yield Label("Percent")
                yield Input(placeholder="0 to 100", id="percent")
            with Horizontal(classes="glance-row"):
                yield Label("Device")
                yield Input(placeholder="all devices", id="device")
            yield Static("", id="glance-problem", markup=False)
            yield Static("", id="glance-last", markup=False)
            yield Static(ADVICE, id="glance-advice", markup=False)
            yield Static("", id="glance-warning", markup=False)
            with Horizontal(id="glance-buttons"):
                yield Button("Close", id="glance-close", compact=True)
                yield Button(
                    f"Send glance ({send_key})", id="glance-send", variant="primary", compact=True
                )

    def on_mount(self) -> None:
        self.query_one("#title", Input).focus()
        self._refresh()

    # -- the form -------------------------------------------------------------------------------

    def glance(self) -> tuple[Glance, list[Problem]]:
        """The glance as typed, and what is wrong with it (a number that is not one included)."""
        values = {field.id: field.value.strip() for field in self.query(Input) if field.id}
        problems: list[Problem] = []
        numbers: dict[str, int | None] = {}
        for name in NUMBERS:
            text = values[name]
            try:
                numbers[name] = int(text) if text else None
            except ValueError:
                numbers[name] = None
                problems.append(Problem(name, f"The {name} must be a whole number, not {text!r}."))
        # Texts keep their inner spaces: only the number fields and the device are stripped.
        texts = {name: self.query_one(f"#{name}", Input).value for name in GLANCE_TEXTS}
        glance = Glance(**texts, **numbers, device=values["device"])
        return glance, problems + glance.problems()

    @on(Input.Changed)
    def _changed(self) -> None:
        self._refresh()

    def _refresh(self) -> None:
        for name in GLANCE_TEXTS:
            length = len(self.query_one(f"#{name}", Input).value)
            counter = self.query_one(f"#{name}-count", Static)
            counter.update(f"{length}/{GLANCE_TEXT_MAX}")
            counter.set_class(length > GLANCE_TEXT_MAX, "-over")
        glance, problems = self.glance()
        # An empty form is not an error yet: it says so only when sent.
        shown = [p for p in problems if not (glance.is_empty and p.field == "glance")]
        self._show("#glance-problem", "\n".join(f"{p.field}: {p.text}" for p in shown))
        glances = dashboard(self).session.glances
        last = glances.sent[-1] if glances.sent else None
        if last is None:
            text = "Last sent: none yet from this profile."
        else:
            ago = duration(max(0, round(time.time() - last.at)))
            text = f"Last sent {ago} ago ({glances.today()} today): {last.summary()}."
        self.query_one("#glance-last", Static).update(text)
        self._show("#glance-warning", "\n".join(glances.warnings()))

    def _show(self, selector: str, text: str) -> None:
        """A problem or warning line, taking no room when there is none."""
        line = self.query_one(selector, Static)
        line.update(text)
        line.set_class(not text, "-empty")

    # -- actions ------------------------------------------------------------------------------

    @on(Button.Pressed, "#glance-close")
    def action_close(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#glance-send")
    def action_send(self) -> None:
        glance, problems = self.glance()
        if problems:
            self._show("#glance-problem", "\n".join(f"{p.field}: {p.text}" for p in problems))
            return
        self._send(glance)

    @work(exclusive=True, group="glance", exit_on_error=False)
    async def _send(self, glance: Glance) -> None:
        button = self.query_one("#glance-send", Button)
        button.disabled = True
        try:
            await dashboard(self).session.glances.send(glance)
        except PushoverError as error:
            self._show("#glance-problem", f"Not sent: {error}")
            return
        finally:
            button.disabled = False
        self.notify("Glance sent.", title="Glance")
        self._refresh()
