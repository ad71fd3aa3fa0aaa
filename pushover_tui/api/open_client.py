"""The Open Client API: this program as a receiving Pushover device (the inbox).

log in (email and password; HTTP 412 asks for the two-factor code) -> register a device once ->
download pending messages -> delete them upstream up to the highest id -> a websocket says when
new ones wait. Every REST call goes through PushoverClient's transport: the same retry policy, no
redirects, and every secret (password, session secret, device id) kept out of locals and error
texts. The calls are stateless: each takes the session it needs.

What shared/pushover-open-client.md marks unverified is a named constant here, easy to change: the
websocket URL (and deriving it from another API base URL), the frames' meanings, the silence
that counts as a dead link. `websockets` is imported only when `listen` runs, so
`pushover-tui send` and the dashboard's start never load it.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import NoReturn
from urllib.parse import urlsplit, urlunsplit

import httpx

from pushover_tui import __version__
from pushover_tui.api.checks import check_device_name, is_loopback
from pushover_tui.api.client import (  # the one transport, its log filter and receipt check
    DEFAULT_BASE_URL,
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
    PushoverClient,
    Sleep,
    _receipt_path,
    _RedactQueryFilter,
)
from pushover_tui.api.closing import AsyncClosing
from pushover_tui.api.errors import (
    ConfigurationError,
    FieldProblemsError,
    RejectedError,
    SessionClosedElsewhereError,
    SessionInvalidError,
    TwoFactorRequiredError,
    UnexpectedResponseError,
)
from pushover_tui.api.inbox import ReceivedMessage
from pushover_tui.api.secret import Secret, redact
from pushover_tui.backoff import Backoff

log = logging.getLogger(__name__)

DEFAULT_WEBSOCKET_URL = "wss://client.pushover.net/push"
# Another API base URL (a simulator) serves the websocket on its own host and port at this path.
WEBSOCKET_PATH = "/push"
OPEN_CLIENT_OS = "O"  # devices.json `os` for an Open Client
# Seconds without any frame after which the link counts as dead and is replaced. Pushover's
# keep-alive period is not documented; clients use 60 to 180 s.
DEAD_AFTER = 90.0
RECONNECT_BACKOFF = Backoff()  # 1 s doubling to 60 s, with jitter

# The websocket library logs frames at DEBUG, the login frame (device id and secret) included.
for _name in ("websockets", "websockets.client"):
    if not any(isinstance(f, _RedactQueryFilter) for f in logging.getLogger(_name).filters):
        logging.getLogger(_name).addFilter(_RedactQueryFilter())


class Frame(StrEnum):
    """What the server sends on the websocket, one character a frame."""

    KEEPALIVE = "#"
    NEW_MESSAGES = "!"  # download, then delete
    RELOAD = "R"  # reconnect and log in again
    ERROR = "E"  # permanent: the session or device is no longer valid; never reconnect
    CLOSED_ELSEWHERE = "A"  # this device logged in from another session; never reconnect


class SocketEvent(StrEnum):
    CONNECTED = "connected"  # logged in on a new socket: download what arrived meanwhile
    NEW_MESSAGES = "new_messages"
    KEEPALIVE = "keepalive"
    RELOADING = "reloading"  # the server asked for a new socket; it follows at once
    DISCONNECTED = "disconnected"  # lost; the next attempt follows after `delay` seconds


@dataclass(frozen=True)
class SocketStatus:
    event: SocketEvent
    delay: float = 0.0
    reason: str = ""


@dataclass(frozen=True)
class Login:
    """The answer of users/login.json. The password given is not kept anywhere."""

    user: Secret  # the account's user key
    secret: Secret  # the session secret: new for every login


def check_websocket_url(url: str) -> str:
    """A websocket URL: wss://, or plain ws:// only to a loopback host (the simulator)."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
    except ValueError:
        host, parts = "", urlsplit("")
    if parts.scheme == "wss" and host:
        return url.strip()
    if parts.scheme == "ws" and is_loopback(host):
        return url.strip()
    raise ConfigurationError(
        "The websocket URL must start with wss:// (plain ws:// only to a loopback address such "
        "as 127.0.0.1)."
    )


def websocket_url_for(api_url: str) -> str:
    """Pushover's own websocket for its API; for any other base URL (a simulator), the same host
    and port at WEBSOCKET_PATH, ws:// for http:// (loopback only, as for the API)."""
    parts = urlsplit(api_url)
    if parts.hostname == urlsplit(DEFAULT_BASE_URL).hostname:
        return DEFAULT_WEBSOCKET_URL
    scheme = "wss" if parts.scheme == "https" else "ws"
    return urlunsplit((scheme, parts.netloc, WEBSOCKET_PATH, "", ""))


def _login_frame(device_id: Secret, secret: Secret) -> str:
    return f"login:{device_id.reveal()}:{secret.reveal()}\n"


def _session_error(error: RejectedError) -> SessionInvalidError:
    return SessionInvalidError(
        "Pushover no longer accepts this inbox session or device: log in again",
        status_code=error.status_code,
        errors=error.errors,
        fields=error.fields,
        request_id=error.request_id,
    )


class OpenClient(AsyncClosing):
    """Use as `async with OpenClient(base_url=...) as client:`."""

    def __init__(
        self,
        *,
        base_url: str = DEFAULT_BASE_URL,
        websocket_url: str | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        sleep: Sleep = asyncio.sleep,
        transport: httpx.AsyncBaseTransport | None = None,
        dead_after: float = DEAD_AFTER,
        backoff: Backoff = RECONNECT_BACKOFF,
        rand: Callable[[], float] = random.random,
    ) -> None:
        # Checked before the HTTP client exists: a bad URL must not leave one open.
        checked_websocket_url = check_websocket_url(websocket_url) if websocket_url else None
        # No application token: these calls authenticate with the session secret.
        self._api = PushoverClient(
            None,
            base_url=base_url,
            timeout=timeout,
            retries=retries,
            sleep=sleep,
            transport=transport,
        )
        self.base_url = self._api.base_url
        self.websocket_url = checked_websocket_url or websocket_url_for(self.base_url)
        self.dead_after = dead_after
        self.backoff = backoff
        self._sleep = sleep
        self._rand = rand

    async def aclose(self) -> None:
        await self._api.aclose()

    # -- REST ------------------------------------------------------------------------------

    async def login(self, email: str, password: Secret, twofa: str = "") -> Login:
        """POST users/login.json. TwoFactorRequiredError (HTTP 412): ask for the code and call
        again with it; raised again when the code given was not accepted."""
        form = {"email": email, **({"twofa": twofa.strip()} if twofa.strip() else {})}
        try:
            # The same transport as every call: the password is redacted from any error.
            body, _ = await self._api._call(
                "POST", "/users/login.json", form=form, secrets={"password": password}
            )
        except RejectedError as error:
            if error.status_code != 412:
                raise
            summary = (
                "The two-factor code was not accepted"
                if twofa
                else "This account uses two-factor authentication: give its current code"
            )
            raise TwoFactorRequiredError(
                summary, status_code=412, errors=error.errors, request_id=error.request_id
            ) from None
        secret = body.get("secret")
        if not isinstance(secret, str) or not secret:
            raise UnexpectedResponseError(
                "users/login.json answered without a session secret", status_code=200
            )
        return Login(user=Secret(str(body.get("id") or "")), secret=Secret(secret))

    async def register_device(self, secret: Secret, name: str) -> Secret:
        """POST devices.json; returns the new device's id. The name is checked here first."""
        if problems := check_device_name(name):
            raise FieldProblemsError(problems)
        try:
            body, _ = await self._api._call(
                "POST",
                "/devices.json",
                form={"name": name, "os": OPEN_CLIENT_OS},
                secrets={"secret": secret},
            )
        except RejectedError as error:
            if "secret" in error.fields:
                raise _session_error(error) from None
            if "name" in error.fields:
                raise RejectedError(
                    f"Pushover refused the device name {name!r} ({error.fields['name']}): "
                    "choose another name, or remove the device of that name from your "
                    "Pushover account to use it again",
                    status_code=error.status_code,
                    request_id=error.request_id,
                ) from None
            raise
        device_id = body.get("id")
        if not isinstance(device_id, str | int) or not str(device_id):
            raise UnexpectedResponseError(
                "devices.json answered without a device id", status_code=200
            )
        return Secret(str(device_id))

    async def download(self, secret: Secret, device_id: Secret) -> tuple[ReceivedMessage, ...]:
        """GET messages.json: every message still queued for the device, oldest first.
        Downloading does not remove them: `delete_up_to` does."""
        try:
            body, _ = await self._api._call(
                "GET", "/messages.json", secrets={"secret": secret, "device_id": device_id}
            )
        except RejectedError as error:  # the only inputs are the session and the device
            raise _session_error(error) from None
        items = body.get("messages")
        if not isinstance(items, list):
            raise UnexpectedResponseError(
                "messages.json answered without a message list", status_code=200
            )
        received = (ReceivedMessage.from_api(item) for item in items if isinstance(item, dict))
        return tuple(sorted((m for m in received if m is not None), key=lambda m: m.id))

    async def delete_up_to(self, secret: Secret, device_id: Secret, highest: int) -> None:
        """POST devices/{id}/update_highest_message.json: every message up to `highest` goes."""
        try:
            await self._api._call(
                "POST",
                "/devices/{device_id}/update_highest_message.json",
                form={"message": str(highest)},
                secrets={"secret": secret, "device_id": device_id},
            )
        except RejectedError as error:
            if {"secret", "device_id", "device"} & set(error.fields):
                raise _session_error(error) from None
            raise

    async def acknowledge(self, secret: Secret, receipt: str) -> None:
        """POST receipts/{receipt}/acknowledge.json: stops an emergency's repeats; the sender's
        receipt then names this device."""
        try:
            await self._api._call(
                "POST",
                f"/receipts/{_receipt_path(receipt)}/acknowledge.json",
                secrets={"secret": secret},
            )
        except RejectedError as error:
            if "secret" in error.fields:
                raise _session_error(error) from None
            raise

    # -- websocket -------------------------------------------------------------------------

    async def listen(
        self,
        secret: Secret,
        device_id: Secret,
        on_status: Callable[[SocketStatus], None],
    ) -> NoReturn:
        """Keep a logged-in websocket until cancelled, telling `on_status` what happens.

        A lost or silent link is replaced after a backoff with jitter; `R` is obeyed at once.
        `E` raises SessionInvalidError and `A` SessionClosedElsewhereError: never reconnected.
        Each new socket reports CONNECTED, so the caller downloads what arrived meanwhile."""
        from websockets.asyncio.client import connect
        from websockets.exceptions import WebSocketException

        failures = 0
        while True:
            reason = ""
            reloading = connected = False
            try:
                async with connect(
                    self.websocket_url,
                    open_timeout=10,
                    close_timeout=1,
                    ping_interval=None,  # the server's keep-alive frames tell a dead link
                    compression=None,
                    max_size=2**16,
                    user_agent_header=f"pushover-tui/{__version__}",
                ) as socket:
                    await socket.send(_login_frame(device_id, secret))
                    on_status(SocketStatus(SocketEvent.CONNECTED))
                    connected = True
                    while not reloading:
                        data = await asyncio.wait_for(socket.recv(), self.dead_after)
                        failures = 0  # the server spoke: this login works
                        text = data.decode("ascii", "replace") if isinstance(data, bytes) else data
                        reloading = self._obey(text.strip(), on_status)
            except TimeoutError:
                reason = f"nothing heard for {self.dead_after:g} s" if connected else "no answer"
            except (OSError, WebSocketException) as error:
                reason = redact(str(error) or type(error).__name__, secret, device_id)
            if reloading:
                continue
            delay = self.backoff.delay(failures, self._rand)
            failures += 1
            on_status(SocketStatus(SocketEvent.DISCONNECTED, delay, reason))
            await self._sleep(delay)

    def _obey(self, frames: str, on_status: Callable[[SocketStatus], None]) -> bool:
        """Act on one received frame (each character, in case several come together); True when
        the server asked for a new socket."""
        for frame in frames:
            if frame == Frame.KEEPALIVE:
                on_status(SocketStatus(SocketEvent.KEEPALIVE))
            elif frame == Frame.NEW_MESSAGES:
                on_status(SocketStatus(SocketEvent.NEW_MESSAGES))
            elif frame == Frame.RELOAD:
                on_status(SocketStatus(SocketEvent.RELOADING))
                return True
            elif frame == Frame.ERROR:
                raise SessionInvalidError(
                    "Pushover ended the inbox session (the session or device is no longer "
                    "valid): log in again",
                    status_code=0,
                )
            elif frame == Frame.CLOSED_ELSEWHERE:
                raise SessionClosedElsewhereError(
                    "This inbox device was logged in from another session, which now receives "
                    "its messages",
                    status_code=0,
                )
            else:
                log.warning("ignored an unknown websocket frame %r", frame[:20])
        return False
