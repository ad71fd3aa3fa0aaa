"""The line at the top of every screen: DEMO marker, profile, key status, API host, quota,
emergencies awaiting, and how long the last Send test took to arrive in this inbox. Each part has
a long and a short wording: the line uses the long ones when they fit, else the short ones, so it
is never cut (a number least of all)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from textual import events
from textual.widgets import Static

from pushover_tui.tui.base import dashboard

if TYPE_CHECKING:
    from pushover_tui.tui.session import Session

DEFAULT_HOST = "api.pushover.net"
# (long, short) wording of one part of the line.
Part = tuple[str, str]


def api_host(api_url: str) -> str:
    parts = urlsplit(api_url)
    return parts.netloc or api_url


def status_parts(app: Session, *, keys_edited: bool = False) -> list[Part]:
    """The line's parts from the session's state; `keys_edited`: Config holds unsaved keys."""
    host = api_host(app.active.api_url)
    parts: list[Part] = []
    if app.demo:
        parts.append(("DEMO (simulator, example keys)", "DEMO"))
    if app.read_only:
        parts.append(("read-only", "read-only"))
    name = app.active.profile.name
    parts.append((f"profile {name}", name))
    if not app.store_reachable:
        parts.append(("store unreachable", "store unreachable"))
    if not app.active.has_keys:
        parts.append(("no keys", "no keys"))
    elif keys_edited:
        parts.append(("keys edited, not verified", "keys edited"))
    elif app.reachable is False:
        parts.append((f"cannot reach {host}", f"{host} unreachable"))
    elif app.verified is None:
        parts.append(("keys not verified", "keys ?"))
    else:
        parts.append(
            ("keys verified ✓", "keys ✓") if app.verified else ("keys invalid ✗", "keys ✗")
        )
    if host != DEFAULT_HOST and not app.demo and app.reachable is not False:
        parts.append((f"API {host}", host))
    quota = app.quota
    if quota is not None and quota.remaining is not None:
        if quota.remaining == 0 and quota.reset:
            reset = f"{datetime.fromtimestamp(quota.reset):%Y-%m-%d}"
            parts.append((f"account quota used up until {reset}", "0 left"))
        else:
            parts.append((f"account quota {quota.remaining:,} left", f"{quota.remaining:,} left"))
    if app.awaiting:
        noun = "emergency" if app.awaiting == 1 else "emergencies"
        parts.append((f"{app.awaiting} {noun} awaiting", f"{app.awaiting} awaiting"))
    if app.test_arrival is not None:
        took = arrival_text(app.test_arrival)
        parts.append((f"test arrived here in {took}", f"test {took}"))
    return parts


def status_text(app: Session, width: int = 200, *, keys_edited: bool = False) -> str:
    """The long wording when it fits in `width` cells, else the short one."""
    parts = status_parts(app, keys_edited=keys_edited)
    long = "  ·  ".join(text for text, _ in parts)
    return long if len(long) <= width else " · ".join(short for _, short in parts)


def arrival_text(seconds: float) -> str:
    """Milliseconds under a second, else seconds with one decimal."""
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar {
        dock: top; height: 1; background: $panel; color: $text; padding: 0 1;
        &.demo { background: $warning-darken-2; }
    }
    """

    def on_mount(self) -> None:
        app = dashboard(self)
        self.set_class(app.session.demo, "demo")
        attributes = (
            "verified",
            "quota",
            "awaiting",
            "reachable",
            "store_reachable",
            "keys_edited",
            "test_arrival",
        )
        for attribute in attributes:
            self.watch(app, attribute, lambda _: self._show(), init=False)
        app.profile_changed.subscribe(self, lambda _: self._show())
        self._show()

    def on_resize(self, event: events.Resize) -> None:
        self._show()

    def _show(self) -> None:
        app = dashboard(self)
        width = max(self.size.width - 2, 20)
        self.update(status_text(app.session, width, keys_edited=app.keys_edited))
