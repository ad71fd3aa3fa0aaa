"""Pushover simulator: a local stand-in for the Pushover API over real HTTP."""
