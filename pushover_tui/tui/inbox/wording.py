"""How the Inbox screen words the state of following: pure functions, no widgets.

Every state says what it means for the user and, when following stopped for good, what to do.
"""

from __future__ import annotations

import math

from textual.content import Content

from pushover_tui.inbox import InboxState
from pushover_tui.safe_text import escape_controls

LOGIN_COMMAND = "pushover-tui inbox login"


def state_content(
    state: InboxState,
    *,
    text: str,
    reason: str,
    retry_in: float | None,
    device: str,
    login_key: str,
) -> Content:
    """One or two lines on the state of following (`retry_in`: seconds to the next try)."""
    text, reason, device = escape_controls(text), escape_controls(reason), escape_controls(device)
    if state is InboxState.CONNECTED:
        line = Content.assemble(
            ("● Following", "bold $success"),
            f" as device {device}: new messages appear here as they arrive.",
        )
        return line + Content.styled(f" {text}", "$warning") if text else line
    if state is InboxState.CONNECTING:
        return Content.assemble(
            ("◌ Connecting", "bold $warning"),
            " to Pushover…",
            (f" {text}" if text else "", "$foreground-muted"),
        )
    if state is InboxState.RECONNECTING:
        seconds = max(0, math.ceil(retry_in or 0))
        why = f"connection lost: {reason}" if reason else "connection lost"
        return Content.assemble(
            ("○ Reconnecting", "bold $warning"),
            f" in {seconds} s ({why}). What arrives meanwhile is downloaded then.",
        )
    again = (
        " Press ",
        (login_key, "bold"),
        " to log in again, or run ",
        (LOGIN_COMMAND, "bold"),
        ".",
    )
    if state is InboxState.SESSION_INVALID:
        return Content.assemble(
            ("✗ Session ended", "bold $error"),
            ": Pushover no longer accepts this inbox session or device.",
            *again,
        )
    if state is InboxState.LOGGED_OUT_ELSEWHERE:
        return Content.assemble(
            ("✗ Logged out elsewhere", "bold $error"),
            f": device {device} was logged in from another session, which receives its "
            "messages now.",
            *again,
        )
    if text:  # stopped on an error: not logged in, an unsafe websocket URL...
        return Content.assemble(("✗ Not following", "bold $error"), f": {text}")
    return Content.styled("◌ Starting…", "$foreground-muted")


def login_intro(state: InboxState, *, profile: str, device: str) -> Content:
    """Above the login form: why it shows and what logging in does."""
    intro = Content.assemble(
        ("Receive your notifications here. ", "bold"),
        "Log in with your Pushover account: this machine becomes one of your devices, and "
        "everything sent to you arrives in this list.",
    )
    device = escape_controls(device)
    if state is InboxState.LOGGED_OUT_ELSEWHERE:
        why = f"Device {device} was logged in from another session. Logging in here again "
        why += "takes it back."
    elif state is InboxState.SESSION_INVALID:
        why = "Pushover ended the previous session: log in again to receive here."
    elif not device:
        why = f"Profile {escape_controls(profile)} is not logged in to the inbox."
    else:
        return intro
    style = "bold $error" if state.is_final else "bold"
    return Content("\n").join([Content.styled(why, style), intro])
