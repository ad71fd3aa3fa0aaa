"""The start-up figure for pushover-tui: build the app as `pushover-tui` does, headless.

Config and data folders come from PUSHOVER_TUI_CONFIG / PUSHOVER_TUI_DATA (set by run.py).
Prints READY after the app's own on_ready (the first frame) and exits.
With --no-keys: a first run, no config file and no PUSHOVER_TOKEN / PUSHOVER_USER, so the app
opens on the Config screen.
"""

import os
import sys
from pathlib import Path

from pushover_tui.tui.app import PushoverApp, build_app

_on_ready = PushoverApp.on_ready


def on_ready(self: PushoverApp) -> None:
    _on_ready(self)
    print("READY", flush=True)
    self.exit()


PushoverApp.on_ready = on_ready  # type: ignore[method-assign]

if __name__ == "__main__":
    if "--no-keys" in sys.argv:
        # A config file that does not exist (the app writes none before a Save).
        missing = Path(os.environ["PUSHOVER_TUI_DATA"]) / "no-keys" / "config.toml"
        os.environ["PUSHOVER_TUI_CONFIG"] = str(missing)
        os.environ.pop("PUSHOVER_TOKEN", None)
        os.environ.pop("PUSHOVER_USER", None)
    build_app().run(headless=True, size=(120, 40))
