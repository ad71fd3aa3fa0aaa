"""Messages screens receive from the app (e.g. from the command palette)."""

from __future__ import annotations

from typing import Any

from textual.message import Message


class ActionRequested(Message):
    """Asks the active screen to do `action` ("send_test", "verify", "filter") with `arguments`."""

    def __init__(self, action: str, arguments: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.action = action
        self.arguments = arguments or {}
