"""The Sentry bridge: Sentry's webhooks in, Pushover notifications out through the one pipeline.

A third face beside the TUI and the command line (`pushover-tui bridge`). Starlette and uvicorn
are the optional extra `pushover-tui[bridge]`; nothing here imports them until the bridge runs.

Every line the bridge logs goes through `EscapeControlsFilter` (its own logger in any process;
in `pushover-tui bridge`, every handler's line, uvicorn's included): received text never reaches
a terminal or a log file raw. A failure to start is one sentence (BridgeDownError) and its own exit
code, never a traceback.
"""

from __future__ import annotations

import http.client
import importlib.util
import json
import logging
import os
import socket
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pushover_tui.api.errors import NoCredentialsError, PushoverError
from pushover_tui.safe_text import EscapeControlsFilter

if TYPE_CHECKING:
    from pushover_tui.store.config import ActiveProfile, Config
    from pushover_tui.store.url import StoreURL

EXTRA_HINT = "pip install 'pushover-tui[bridge]'"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8686

log = logging.getLogger(__name__)
log.addFilter(EscapeControlsFilter())


class MissingExtraError(PushoverError):
    """Starlette or uvicorn is not installed."""


class BridgeDownError(PushoverError):
    """The bridge cannot start (data folder taken, damaged database, port in use), or, for
    `bridge --check`, nothing answers: one sentence, exit code EXIT_BRIDGE_DOWN."""


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
    store_url: StoreURL | None = None,
) -> int:
    """Serve `POST /sentry` until interrupted, with the queue and history in `store_url`'s
    PostgreSQL (shared with other bridges) or else in `data_folder`. Raises PushoverError for
    unusable settings."""
    check_extra()
    from pushover_tui.api.errors import ConfigurationError
    from pushover_tui.bridge.settings import BridgeSettings

    settings = BridgeSettings.from_config(config.bridge, env, config.path)
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
    from pushover_tui.bridge.http_guard import MAX_CONNECTIONS, guarded_protocol
    from pushover_tui.bridge.service import BridgeService

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(EscapeControlsFilter())
    options = {} if timeout is None else {"timeout": timeout}
    service = BridgeService(
        settings, active, data_folder, store_url=store_url, outbox_options=options
    )
    service.open(listening=f"{host}:{port}")
    try:
        listener = _listen(host, port)
    except BridgeDownError:
        service.close()
        raise
    _allow_open_files(MAX_CONNECTIONS + 256)
    app = create_app(service)
    accepts = []
    if settings.client_secret:
        accepts.append("Internal Integration webhooks (signed)")
    if settings.shared_secret:
        accepts.append("legacy WebHooks plugin (?secret=...)")
    address = _url_host(host, listener.getsockname()[1])
    queue = "this data folder" if store_url is None else f"the shared store {store_url.masked()}"
    show(
        f"Sentry bridge: POST http://{address}/sentry -> profile {active.profile.name!r} "
        f"({active.api_url}); accepts {', '.join(accepts)}; queue in {queue}; GET /health. "
        "Ctrl-C stops."
    )
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            http=guarded_protocol(),
            access_log=False,  # the legacy URL carries ?secret=: our own line per webhook instead
            server_header=False,
            timeout_graceful_shutdown=5,
            log_level="info",
            log_config=None,  # uvicorn's lines through the handler above (escaped)
        )
    )
    try:
        server.run(sockets=[listener])
    finally:
        listener.close()
        service.close()  # if the server never ran its lifespan
    return 0


def _url_host(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound here so a port in use is one sentence, not uvicorn's exit."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        return socket.create_server((host, port), family=family, backlog=2048)
    except OSError as error:
        raise BridgeDownError(
            f"Cannot listen on {_url_host(host, port)}: {error.strerror or error} (is another "
            "program using the port? choose another with --port)."
        ) from None


def _allow_open_files(wanted: int) -> None:
    """Raise the soft limit on open files (often 1024) so the connection cap is what limits."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft != resource.RLIM_INFINITY and soft < wanted:
            limit = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
            resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))
    except (ImportError, ValueError, OSError):
        pass  # not POSIX, or not allowed: the cap still holds, with fewer connections


def check_bridge(
    host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, *, timeout: float = 5.0
) -> tuple[bool, dict[str, Any]]:
    """`bridge --check`: ask a running bridge's `GET /health`; (healthy, its JSON).
    BridgeDownError (one sentence) when nothing answers there."""
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1" if host != "::" else "::1"  # listening everywhere: ask loopback
    url = f"http://{_url_host(host, port)}/health"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
    try:
        with opener.open(url, timeout=timeout) as answer:
            status, body = answer.status, answer.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise BridgeDownError(
            f"No Sentry bridge answers on {url}: {getattr(reason, 'strerror', None) or reason}."
        ) from None
    except http.client.HTTPException as error:  # something else on the port (BadStatusLine...)
        raise BridgeDownError(
            f"Something on {url} answered, but not in HTTP ({type(error).__name__}): is "
            "another program using the port? Ask the bridge's own with --port."
        ) from None
    try:
        health = json.loads(body)
    except ValueError:
        raise BridgeDownError(f"{url} answered HTTP {status} with something not JSON.") from None
    # Something else that speaks JSON (another service on the port): not a bridge's health.
    is_bridge = isinstance(health, dict) and {"status", "worker_alive"} <= health.keys()
    if not is_bridge or health["status"] not in ("ok", "unhealthy"):
        raise BridgeDownError(
            f"{url} answered HTTP {status}, but not as a Sentry bridge: is another program "
            "using the port? Ask the bridge's own with --port."
        )
    return status == 200, health
