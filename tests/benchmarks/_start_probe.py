"""A program that ends itself at its first frame, for start_instructions.py:
`_start_probe.py minimal` is the minimal Textual app (_minimal_terminal_app.py);
`_start_probe.py TREE [ARGS]` is `pushover-tui [ARGS]` from the checkout TREE, started as its
console script starts it (the command line imported first, with the cyclic collector on)."""

from __future__ import annotations

import gc
import os
import sys


def end_here(*_: object) -> None:
    os._exit(0)


if sys.argv[1] == "minimal":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from _minimal_terminal_app import MinimalApp

    MinimalApp.on_ready = end_here  # type: ignore[method-assign]
    MinimalApp().run()
else:
    sys.path.insert(0, sys.argv[1])
    from pushover_tui.cli import main

    # main() pauses the collector before it imports the dashboard: so does this import.
    gc.disable()
    from pushover_tui.tui import startup

    startup.FastStartApp.on_ready = end_here  # type: ignore[method-assign]
    gc.enable()
    sys.argv = ["pushover-tui", *sys.argv[2:]]
    sys.exit(main())
