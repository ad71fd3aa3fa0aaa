"""The Pushover API: models, field checks, errors and the async client.

Nothing here imports Textual or sqlite3, so scripts and tests can use it alone.
The client (and with it httpx) is imported lazily: `from pushover_tui.api.client import ...`.
"""
