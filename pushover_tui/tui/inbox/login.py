"""The inbox's login form: email, password (never echoed, never stored), this device's name, and
the two-factor code once Pushover asks for it. The same as `pushover-tui inbox login`.

The form only collects and checks; the screen logs in (`app.inbox.log_in`) and hands back what
Pushover said (`ask_code`, `show_problem`). The password leaves the field only as a Secret, for
that one request, and the field is emptied once logged in.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Input, Static

from pushover_tui.api.checks import DEVICE_MAX, check_device_name
from pushover_tui.api.secret import Secret
from pushover_tui.inbox import LICENSE_NOTE
from pushover_tui.tui.inbox.wording import LOGIN_COMMAND
from pushover_tui.tui.widgets.field_row import FieldRow

FIELDS = ("email", "password", "twofa", "device_name")


@dataclass(frozen=True)
class LoginAnswer:
    email: str
    password: Secret
    twofa: str
    device_name: str


class LoginForm(Vertical):
    """`Submitted` carries a LoginAnswer once every field the login needs is filled in."""

    class Submitted(Message):
        def __init__(self, answer: LoginAnswer) -> None:
            super().__init__()
            self.answer = answer

    def __init__(self, *, device_name: str, id: str | None = None) -> None:
        super().__init__(id=id)
        self.device_name = device_name
        self._busy = False

    def compose(self) -> ComposeResult:
        yield Static("", id="login-intro")
        yield FieldRow("email", "Email", Input(placeholder="you@example.com", id="email"))
        yield FieldRow("password", "Password", Input(password=True, id="password"))
        yield FieldRow(
            "twofa",
            "2FA code",
            Input(placeholder="the code your app shows", restrict=r"[0-9 ]*", id="twofa"),
            classes="-hidden",
        )
        yield FieldRow(
            "device_name",
            "Device",
            Input(self.device_name, max_length=DEVICE_MAX, id="device_name"),
        )
        with Horizontal(id="login-actions"):
            yield Button("Log in", id="login-button", variant="primary")
            yield Static("", id="login-problem", markup=False)
        yield Static(
            Content.assemble(
                "Or in a shell: ",
                (LOGIN_COMMAND, "bold"),
                ". Your password is used to log in and never stored. ",
                (LICENSE_NOTE, "$foreground-muted"),
            ),
            id="login-hint",
        )

    def show_intro(self, content: Content) -> None:
        self.query_one("#login-intro", Static).update(content)

    def focus_first(self) -> None:
        """The first field still empty (the email when all are)."""
        for name in FIELDS:
            field = self.query_one(f"#{name}", Input)
            if not field.value and not self._hidden(name):
                field.focus()
                return
        self.query_one("#login-button", Button).focus()

    def _hidden(self, name: str) -> bool:
        return self.query_one(f"#{name}-row", FieldRow).has_class("-hidden")

    # -- answers -----------------------------------------------------------------------

    @on(Input.Submitted)
    def _field_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    @on(Button.Pressed, "#login-button")
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self._submit()

    def _submit(self) -> None:
        if self._busy:
            return
        values = {name: self.query_one(f"#{name}", Input).value for name in FIELDS}
        problems = {
            "email": "" if values["email"].strip() else "Type the email of your Pushover account.",
            "password": "" if values["password"] else "Type your Pushover password.",
            "twofa": (
                "Type the current code of your authenticator app."
                if not self._hidden("twofa") and not values["twofa"].strip()
                else ""
            ),
            "device_name": " ".join(p.text for p in check_device_name(values["device_name"])),
        }
        for name, text in problems.items():
            self.query_one(f"#{name}-row", FieldRow).set_note(text, "error")
        first = next((name for name, text in problems.items() if text), None)
        if first is not None:
            self.query_one(f"#{first}", Input).focus()
            return
        self.show_problem("")
        answer = LoginAnswer(
            email=values["email"].strip(),
            password=Secret(values["password"]),
            twofa=values["twofa"].replace(" ", ""),
            device_name=values["device_name"],
        )
        self.post_message(self.Submitted(answer))

    # -- what the screen tells it ------------------------------------------------------

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        button = self.query_one("#login-button", Button)
        button.disabled = busy
        button.label = "Logging in…" if busy else "Log in"

    def ask_code(self, text: str) -> None:
        """Pushover wants the two-factor code (again, when the one given was refused)."""
        row = self.query_one("#twofa-row", FieldRow)
        row.remove_class("-hidden")
        row.set_note(text, "warning")
        code = self.query_one("#twofa", Input)
        code.value = ""
        code.focus()

    def show_problem(self, text: str, field: str | None = None) -> None:
        """What went wrong, under the field it concerns or beside the button."""
        if field in FIELDS:
            self.query_one(f"#{field}-row", FieldRow).set_note(text, "error")
            self.query_one(f"#{field}", Input).focus()
            text = ""
        self.query_one("#login-problem", Static).update(text)

    def reset(self, device_name: str) -> None:
        """Logged in: the password and the code are forgotten."""
        for name in ("password", "twofa"):
            self.query_one(f"#{name}", Input).value = ""
        self.query_one("#twofa-row", FieldRow).add_class("-hidden")
        self.query_one("#device_name", Input).value = device_name
        for name in FIELDS:
            self.query_one(f"#{name}-row", FieldRow).set_note("")
        self.show_problem("")
