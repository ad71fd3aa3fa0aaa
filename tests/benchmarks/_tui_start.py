"""The start-up figure for pushover-tui: build the app as `pushover-tui` does, headless.

Config and data folders come from PUSHOVER_TUI_CONFIG / PUSHOVER_TUI_DATA (set by run.py).
Prints READY after the app's own on_ready (the first frame) and exits.
"""

from pushover_tui.tui.app import PushoverApp, build_app

_on_ready = PushoverApp.on_ready


def on_ready(self: PushoverApp) -> None:
    _on_ready(self)
    print("READY", flush=True)
    self.exit()


PushoverApp.on_ready = on_ready  # type: ignore[method-assign]

if __name__ == "__main__":
    build_app().run(headless=True, size=(120, 40))
