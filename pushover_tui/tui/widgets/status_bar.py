"""The line at the top of every screen: DEMO marker, profile, key status, quota, awaiting."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Static

if TYPE_CHECKING:
    from pushover_tui.tui.app import PushoverApp


def status_text(app: PushoverApp) -> str:
    parts = [f"profile {app.active.profile.name}"]
    if not app.active.has_keys:
        parts.append("no keys")
    elif app.verified is None:
        parts.append("keys not verified")
    else:
        parts.append("keys verified ✓" if app.verified else "keys invalid ✗")
    if app.quota is not None and app.quota.remaining is not None:
        parts.append(f"quota {app.quota.remaining:,} left")
    if app.awaiting:
        parts.append(f"{app.awaiting} emergenc{'y' if app.awaiting == 1 else 'ies'} awaiting")
    text = "  ·  ".join(parts)
    return "DEMO (simulator, example keys)  ·  " + text if app.demo else text


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar {
        dock: top; height: 1; background: $panel; color: $text; padding: 0 1;
        &.demo { background: $warning-darken-2; }
    }
    """

    def on_mount(self) -> None:
        from pushover_tui.tui.app import pushover_app

        app = pushover_app(self)
        self.set_class(app.demo, "demo")
        for attribute in ("verified", "quota", "awaiting"):
            self.watch(app, attribute, lambda _: self.update(status_text(app)))
        app.profile_changed.subscribe(self, lambda _: self.update(status_text(app)))
