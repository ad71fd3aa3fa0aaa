"""`pushover-tui serve`: the dashboard in a browser through textual-serve, safe by default.

textual-serve (the `web` extra, imported only here) starts one dashboard process per browser tab
and relays it over a websocket. This module adds what a served dashboard needs on top:

- an access token for the page, the websocket and downloads (the query's `?token=`, then an
  HttpOnly, SameSite=Strict cookie), compared in constant time; without it 403 and no process;
- at most `max_sessions` dashboards at once: the next tab gets an HTTP 503 page, not a process;
- every dashboard process ends with its tab, and all of them with the server (SIGTERM/SIGINT),
  within 5 s: textual-serve alone waits for each dashboard to quit by itself.

The page holds no key: each dashboard reads the config in its own process, and the browser only
ever gets what the dashboard draws (keys masked). The serve token is never written to the page.

It subclasses textual-serve's `Server` and `AppService` and relies on some of their underscore
names (`_make_app`, `_process_messages`, `_open_app_process`, `_build_environment`, `_process`,
`_stdin`): pyproject pins textual-serve to the minor version this was tested with.
"""

from __future__ import annotations

import asyncio
import hmac
import html
import ipaddress
import logging
import os
import secrets
import signal
import sys
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import aiohttp_jinja2
from aiohttp import WSCloseCode, web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

from pushover_tui.safe_text import EscapeControlsFilter
from pushover_tui.simulator.standalone import listen_problem

TOKEN_VARIABLE = "PUSHOVER_TUI_SERVE_TOKEN"
MIN_TOKEN_LENGTH = 16
# A dashboard asked to quit gets QUIT_GRACE to close its output and EXIT_GRACE to exit, then
# EXIT_GRACE after SIGTERM before SIGKILL: well within the 5 s a stop may take.
QUIT_GRACE = 1.5
EXIT_GRACE = 0.5


class ServeError(Exception):
    """Settings `serve` cannot start with: one sentence, exit 2."""


class CannotListenError(Exception):
    """The port is taken or the host is not one to listen on: one sentence, exit 8 (as the
    simulator and the bridge)."""


@dataclass(frozen=True)
class ServeSettings:
    host: str
    port: int
    token: str
    token_from_env: bool
    max_sessions: int
    dashboard: tuple[str, ...]  # the command line of one dashboard process


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def check_host(host: str, allow_remote: bool) -> None:
    if not allow_remote and not is_loopback(host):
        raise ServeError(
            f"--host {host} is not a loopback address: anyone who can reach it could open the "
            "dashboard; add --allow-remote (behind a TLS reverse proxy) if that is what you want."
        )


def access_token(env: dict[str, str] | os._Environ[str]) -> tuple[str, bool]:
    """The token from PUSHOVER_TUI_SERVE_TOKEN, else a random one; and whether it came from it."""
    given = env.get(TOKEN_VARIABLE, "")
    if not given:
        return secrets.token_urlsafe(32), False
    if len(given) < MIN_TOKEN_LENGTH or not given.isprintable() or " " in given:
        raise ServeError(
            f"{TOKEN_VARIABLE} must be at least {MIN_TOKEN_LENGTH} printable characters with no "
            "spaces (e.g. from `python3 -c 'import secrets; print(secrets.token_urlsafe())'`)."
        )
    return given, True


def dashboard_command(
    *,
    config: Path | None,
    profile: str | None,
    api_url: str | None,
    demo: bool,
    read_only: bool,
) -> tuple[str, ...]:
    """The command line of one dashboard process, with the options `serve` was given."""
    argv = [sys.executable, "-m", "pushover_tui"]
    if config is not None:
        argv += ["--config", str(config.expanduser().resolve())]
    if profile:
        argv += ["--profile", profile]
    if api_url:
        argv += ["--api-url", api_url]
    if demo:
        argv.append("--demo")
    if read_only:
        argv.append("--read-only")
    return tuple(argv)


class Dashboard(AppService):
    """One dashboard process: started without a shell in a session of its own (so a signal
    reaches it and all it starts), without the serve token in its environment, and ended for
    sure when its tab or the server goes."""

    def __init__(self, argv: Sequence[str], **kwargs: object) -> None:
        super().__init__(" ".join(argv), **kwargs)  # type: ignore[arg-type]
        self.argv = tuple(argv)
        self._ending: asyncio.Future[None] | None = None

    async def _open_app_process(
        self, width: int = 80, height: int = 24
    ) -> asyncio.subprocess.Process:
        environment = self._build_environment(width=width, height=height)
        environment.pop(TOKEN_VARIABLE, None)
        self._process = process = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=environment,
            start_new_session=True,
        )
        assert process.stdin is not None
        self._stdin = process.stdin
        return process

    async def run(self) -> None:
        await super().run()
        # The process is over (quit, or it could not start: its error is on the server's
        # output): the tab says "Session ended" instead of waiting, and its place is free.
        await self.remote_close()

    def end(self) -> asyncio.Future[None]:
        """Ask the dashboard to quit; terminate, then kill it, if it does not. Idempotent."""
        if self._ending is None:
            self._ending = asyncio.ensure_future(self._end())
        return self._ending

    async def _end(self) -> None:
        process = self._process
        with suppress(Exception, asyncio.TimeoutError):
            await asyncio.wait_for(self.stop(), QUIT_GRACE)  # until its output ends
        if process is None:
            return
        for sig, grace in (
            (None, EXIT_GRACE),
            (signal.SIGTERM, EXIT_GRACE),
            (signal.SIGKILL, None),
        ):
            if sig is not None:
                with suppress(ProcessLookupError):
                    os.killpg(process.pid, sig)
            with suppress(asyncio.TimeoutError):
                await asyncio.wait_for(process.wait(), grace)
            if process.returncode is not None:
                return


class DashboardServer(Server):
    """textual-serve's Server with the access token, the session limit and process cleanup."""

    def __init__(self, settings: ServeSettings) -> None:
        super().__init__(
            " ".join(settings.dashboard),
            host=settings.host,
            port=settings.port,
            title="pushover-tui",
        )
        self.settings = settings
        # Cookies are per host, not per port: one name per port keeps two servers apart.
        self.cookie_name = f"pushover_tui_serve_{settings.port}"
        self.dashboards: set[Dashboard] = set()
        self.websockets: set[web.WebSocketResponse] = set()
        self.reserved = 0  # tabs admitted whose websocket is opening

    # -- the aiohttp application ---------------------------------------------------------

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self.require_token)
        return app

    @web.middleware
    async def require_token(
        self, request: web.Request, handler: Callable[[web.Request], object]
    ) -> web.StreamResponse:
        """Everything but the static files (textual.js, fonts, CSS) needs the token."""
        if not request.path.startswith("/static/"):
            if not self.has_token(request):
                return forbidden(
                    "This address needs the access token `pushover-tui serve` "
                    "printed: open the address with its ?token=… once."
                )
            if not self.same_origin(request):
                return forbidden("This page may only be opened from its own address.")
        return await handler(request)  # type: ignore[misc]

    def has_token(self, request: web.Request) -> bool:
        expected = self.settings.token.encode()
        given = (request.query.get("token", ""), request.cookies.get(self.cookie_name, ""))
        # Both compared every time, in constant time: how long it takes tells nothing.
        matches = [hmac.compare_digest(value.encode(), expected) for value in given]
        return any(matches)

    @staticmethod
    def same_origin(request: web.Request) -> bool:
        """A browser names the page that opens a websocket or a download: another site's
        page may not drive the dashboard with the user's cookie."""
        origin = request.headers.get("Origin")
        return origin is None or urlsplit(origin).netloc == request.host

    def busy(self) -> bool:
        return len(self.dashboards) + self.reserved >= self.settings.max_sessions

    async def handle_index(self, request: web.Request) -> web.Response:  # type: ignore[override]
        if self.busy():
            return too_many(self.settings.max_sessions)
        secure = request.secure or request.headers.get("X-Forwarded-Proto") == "https"
        context = {
            "font_size": to_int(request.query.get("fontsize", "16"), 16),
            # From the address the browser used, so the cookie goes along (same site).
            "app_websocket_url": f"{'wss' if secure else 'ws'}://{request.host}/ws",
            "config": {"static": {"url": "/static/"}},
            "application": {"name": self.title},
        }
        response = aiohttp_jinja2.render_template("app_index.html", request, context)
        if request.query.get("token"):
            response.set_cookie(
                self.cookie_name,
                self.settings.token,
                httponly=True,
                samesite="Strict",
                secure=secure,
                path="/",
            )
        response.headers["Cache-Control"] = "no-store"
        # The address holds the token: never send it on to the page's other requests.
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    async def handle_websocket(self, request: web.Request) -> web.StreamResponse:  # type: ignore[override]
        if self.busy():
            return too_many(self.settings.max_sessions)
        websocket = web.WebSocketResponse(heartbeat=15, timeout=QUIT_GRACE)
        self.reserved += 1  # counted from now: two tabs at once cannot both take the last place
        try:
            await websocket.prepare(request)  # not a websocket handshake: aiohttp answers 400
        finally:
            self.reserved -= 1
        dashboard = Dashboard(
            self.settings.dashboard,
            write_bytes=websocket.send_bytes,
            write_str=websocket.send_str,
            close=websocket.close,
            download_manager=self.download_manager,
        )
        self.dashboards.add(dashboard)
        self.websockets.add(websocket)
        try:
            width = to_int(request.query.get("width", "80"), 80)
            height = to_int(request.query.get("height", "24"), 24)
            await dashboard.start(width, height)
            await self._process_messages(websocket, dashboard)
        except asyncio.CancelledError:
            pass  # the server is stopping: end the dashboard all the same
        except Exception as error:
            logging.getLogger("textual-serve").warning("a dashboard's websocket failed: %s", error)
        finally:
            await dashboard.end()
            self.dashboards.discard(dashboard)
            self.websockets.discard(websocket)
            with suppress(Exception):
                await websocket.close()
        return websocket

    async def on_startup(self, app: web.Application) -> None:
        """Nothing printed here (textual-serve prints its logo): `run` prints the address."""

    async def on_shutdown(self, app: web.Application) -> None:
        """Close every tab's websocket and end every dashboard process before the server goes."""
        closing = [self._close(websocket) for websocket in list(self.websockets)]
        ending = [dashboard.end() for dashboard in list(self.dashboards)]
        await asyncio.gather(*closing, *ending)

    @staticmethod
    async def _close(websocket: web.WebSocketResponse) -> None:
        with suppress(Exception, asyncio.TimeoutError):
            close = websocket.close(code=WSCloseCode.GOING_AWAY, message=b"server stopped")
            await asyncio.wait_for(close, QUIT_GRACE)

    # -- running ---------------------------------------------------------------------------

    async def run(self, show: Callable[[str], None]) -> None:
        """Serve until SIGTERM or SIGINT; `show` gets the address to open (with the token)."""
        app = await self._make_app()
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.settings.host, self.settings.port)
            try:
                await site.start()
            except OSError as error:
                raise CannotListenError(
                    listen_problem(self.settings.host, self.settings.port, error)
                ) from None
            port = runner.addresses[0][1]
            self.cookie_name = f"pushover_tui_serve_{port}"
            show(self.address(port))
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
            await stop.wait()
        finally:
            await runner.cleanup()

    def address(self, port: int) -> str:
        host = self.settings.host
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        token = (
            f"<{TOKEN_VARIABLE}>" if self.settings.token_from_env else quote(self.settings.token)
        )
        return f"http://{host}:{port}/?token={token}"


def forbidden(sentence: str) -> web.Response:
    return page(403, "Forbidden", sentence)


def too_many(limit: int) -> web.Response:
    return page(
        503,
        "Too many dashboards",
        f"pushover-tui serve runs at most {limit} dashboard{'s' if limit > 1 else ''} at once "
        "(--max-sessions) and that many are open: close one of their tabs, then reload this page.",
    )


def page(status: int, title: str, sentence: str) -> web.Response:
    body = (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"</head><body><h1>{html.escape(title)}</h1><p>{html.escape(sentence)}</p></body></html>"
    )
    response = web.Response(status=status, text=body, content_type="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


def serve(settings: ServeSettings, show: Callable[[str], None]) -> None:
    """Run the server until SIGTERM/SIGINT (CannotListenError when it cannot listen)."""
    warnings = logging.StreamHandler(sys.stderr)
    warnings.setLevel(logging.WARNING)
    warnings.addFilter(EscapeControlsFilter(tracebacks=False))
    warnings.setFormatter(logging.Formatter("pushover-tui serve: %(message)s"))
    for name in ("textual-serve", "aiohttp"):
        logger = logging.getLogger(name)
        logger.addHandler(warnings)
        logger.propagate = False
    asyncio.run(DashboardServer(settings).run(show))
