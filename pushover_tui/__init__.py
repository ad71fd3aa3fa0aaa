"""pushover-tui: send, verify and follow Pushover notifications from a terminal."""

__version__ = "0.1.0"
