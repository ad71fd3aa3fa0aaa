"""The Sentry bridge: Sentry's webhooks in, Pushover notifications out through the one pipeline.

A third face beside the TUI and the command line (`pushover-tui bridge`). Starlette and uvicorn
are the optional extra `pushover-tui[bridge]`; nothing here imports them until the bridge runs.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from pushover_tui.api.errors import NoCredentialsError, PushoverError

if TYPE_CHECKING:
    from pushover_tui.store.config import ActiveProfile, Config

EXTRA_HINT = "pip install 'pushover-tui[bridge]'"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8686


class MissingExtraError(PushoverError):
    """Starlette or uvicorn is not installed."""


def check_extra() -> None:
    missing = [name for name in ("starlette", "uvicorn") if importlib.util.find_spec(name) is None]
    if missing:
        raise MissingExtraError(
            f"the Sentry bridge needs {' and '.join(missing)}, which are not installed: "
            f"run {EXTRA_HINT}"
        )


def run_bridge(
    config: Config,
    active: ActiveProfile,
    data_folder: Path,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    env: Mapping[str, str] = os.environ,
    timeout: float | None = None,
    show: Callable[[str], None] = print,
) -> int:
    """Serve `POST /sentry` until interrupted. Raises PushoverError for unusable settings."""
    check_extra()
    from pushover_tui.api.errors import ConfigurationError
    from pushover_tui.bridge.settings import BridgeSettings

    settings = BridgeSettings.from_config(config.bridge, env)
    if not active.has_keys:
        raise NoCredentialsError(
            f"No application token and user key for profile {active.profile.name!r}: the bridge "
            "sends with them (`pushover-tui config set token ...`, or PUSHOVER_TOKEN and "
            "PUSHOVER_USER)."
        )
    problems = settings.problems(active.profile.retry, active.profile.expire)
    if problems:
        raise ConfigurationError(
            f"cannot start the bridge, fix {config.path}: "
            + " ".join(f"{p.field}: {p.text}" for p in problems)
        )

    import uvicorn

    from pushover_tui.bridge.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    options = {} if timeout is None else {"timeout": timeout}
    app = create_app(settings, active, data_folder, outbox_options=options)
    accepts = []
    if settings.client_secret:
        accepts.append("Internal Integration webhooks (signed)")
    if settings.shared_secret:
        accepts.append("legacy WebHooks plugin (?secret=...)")
    show(
        f"Sentry bridge: POST http://{host}:{port}/sentry -> profile {active.profile.name!r} "
        f"({active.api_url}); accepts {', '.join(accepts)}. Ctrl-C stops."
    )
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            access_log=False,  # the legacy URL carries ?secret=: our own line per webhook instead
            server_header=False,
            timeout_graceful_shutdown=5,
            log_level="info",
        )
    )
    server.run()
    return 0
