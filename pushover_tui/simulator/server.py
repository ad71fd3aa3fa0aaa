"""HTTP front of the simulator: a ThreadingHTTPServer on loopback, faults, request log."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import re
import selectors
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType, TracebackType
from urllib.parse import unquote, urlsplit

from pushover_tui.simulator import websocket
from pushover_tui.simulator.engine import Engine, Reply, error_reply, ok
from pushover_tui.simulator.groups import Group, Member
from pushover_tui.simulator.models import RequestRecord
from pushover_tui.simulator.open_client import (
    DEMO_2FA_CODE,
    DEMO_2FA_EMAIL,
    DEMO_2FA_PASSWORD,
    DEMO_2FA_USER,
    DEMO_EMAIL,
    DEMO_PASSWORD,
)
from pushover_tui.simulator.parsing import BadRequest, Fields, merge, parse_body, parse_query
from pushover_tui.simulator.state import StateSource, apply_state
from pushover_tui.simulator.validation import FieldError

# Documentation example keys: valid out of the box, never live credentials.
DEMO_TOKEN = "azGDORePK8gMaC0QOYAMyEEuzJnyUi"
DEMO_USER = "uQiRzpo4DXghDmr9QzzfQu27cmVRsG"
DEMO_GROUP = "gznej3rKEVAvPUxu9vvNnqpmZpokzF"
DEMO_GROUP_NAME = "ops"
# Two more users for the demo group (made-up keys, shaped like the documentation's).
DEMO_BOB = "uBobPm8Vq2KhYcC9sW3xTy6Ekd5PAg"
DEMO_CAROL = "uCarol4NfRz7LwQ1JdXe8UbMs2HkVt"
DEMO_MEMBERS = (
    Member(DEMO_USER, "iphone", "Alice"),
    Member(DEMO_BOB, None, "Bob"),
    Member(DEMO_CAROL, None, "Carol", disabled=True),
)

FAULT_KINDS = frozenset({"500", "502", "503", "hang", "drop", "html", "redirect", "429"})
# A 5,242,880-byte attachment sent as attachment_base64 in a form body is ~7.2 MB; leave room.
MAX_BODY = 8 * 1024 * 1024
MAX_DRAIN = 64 * 1024 * 1024  # past this we close without reading, rather than swallow it all
IDLE_TIMEOUT = 60.0  # seconds an idle keep-alive connection is kept open
DEFAULT_HANG = 60.0
KEEPALIVE = 30.0  # seconds between the websocket's `#` frames (Pushover's period is unknown)
SOCKET_FRAMES = frozenset({"#", "!", "R", "E", "A", websocket.DROP})

_HTML_PAGES = {
    "502": b"<html><head><title>502 Bad Gateway</title></head>"
    b"<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>",
    "503": b"<html><head><title>503 Service Temporarily Unavailable</title></head>"
    b"<body><center><h1>503 Service Temporarily Unavailable</h1></center></body></html>",
    "html": b"<!DOCTYPE html><html><head><title>Pushover</title></head>"
    b"<body><h1>Pushover is down for maintenance</h1><p>Please try again later.</p></body></html>",
}
_HTML_TYPE = "text/html; charset=utf-8"
_WORD_RE = re.compile(r"[A-Za-z0-9]{30}")  # anything shaped like a token or user key
_DEVICE_IN_PATH = re.compile(r"(/devices/)[^/]+")  # an Open Client device id


@dataclass(frozen=True)
class _Fault:
    kind: str
    seconds: float  # how long a "hang" holds the response


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a hung handler never keeps the process alive
    request_queue_size = 128  # benchmarks open many connections at once
    sim: Simulator

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that resets or drops its connection is normal here (timeouts, faults).
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real API
    # Without this a keep-alive client stalls ~40 ms per request on delayed ACKs (Nagle).
    disable_nagle_algorithm = True
    server_version = "pushover-simulator"
    timeout = IDLE_TIMEOUT
    server: _Server
    connection_id: int

    def setup(self) -> None:
        super().setup()
        self.connection_id = self.server.sim._open_connection(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.sim._close_connection(self.connection)

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: object) -> None:
        """Silence the default stderr access log; Simulator(log=...) gets masked lines instead."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # Malformed request lines and headers still get a JSON body, never an HTML one.
        sentence = message or self.responses.get(code, ("error",))[0]
        reply = error_reply([FieldError(None, "", sentence.lower())], code)
        # An unparsable request line leaves the version at HTTP/0.9, which would drop the headers.
        self.request_version = self.protocol_version
        self.close_connection = True
        self.write_reply(reply, close=True)

    def _dispatch(self) -> None:
        try:
            self.server.sim._serve(self)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True
        except Exception:
            # A bug in the simulator must not kill the connection silently or the server.
            traceback.print_exc()
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.write_reply(
                    error_reply([FieldError(None, "", "internal simulator error")], 500), close=True
                )

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _dispatch

    def write_reply(self, reply: Reply, *, close: bool = False) -> None:
        if isinstance(reply.body, bytes):
            payload = reply.body
        else:
            payload = json.dumps(reply.body, separators=(",", ":")).encode()
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers:
            self.send_header(name, value)
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)


def _read_chunked(handler: _Handler) -> bytes:
    parts: list[bytes] = []
    total = 0
    while True:
        line = handler.rfile.readline(1024)
        try:
            size = int(line.split(b";")[0].strip(), 16)
        except ValueError as exc:
            raise BadRequest("malformed chunked body") from exc
        if size == 0:
            while handler.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                pass  # skip trailers
            return b"".join(parts)
        total += size
        if total > MAX_BODY:
            raise _TooLarge
        parts.append(handler.rfile.read(size))
        handler.rfile.readline(1024)


class _TooLarge(Exception):
    pass


def _read_body(handler: _Handler) -> bytes:
    encoding = handler.headers.get("Transfer-Encoding", "")
    if "chunked" in encoding.lower():
        return _read_chunked(handler)
    length_text = handler.headers.get("Content-Length")
    if length_text is None:
        return b""
    try:
        length = int(length_text)
    except ValueError as exc:
        raise BadRequest("Content-Length is not a number") from exc
    if length < 0:
        raise BadRequest("Content-Length is negative")
    if length > MAX_BODY:
        # Read it away so the client, still sending, sees the 413 instead of a reset.
        if length <= MAX_DRAIN:
            remaining = length
            while remaining > 0:
                chunk = handler.rfile.read(min(remaining, 1 << 16))
                if not chunk:
                    break
                remaining -= len(chunk)
        raise _TooLarge
    data = handler.rfile.read(length)
    if len(data) != length:
        raise BadRequest("request body is shorter than Content-Length")
    return data


class Simulator:
    """A faithful stand-in for the Pushover API over real HTTP on loopback.

    Serves in a daemon thread between start() and stop(); also a context manager.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        ack_after: float = 20.0,
        monthly_limit: int = 10_000,
        clock: Callable[[], float] = time.time,
        log: Callable[[str], None] | None = None,
        state: StateSource | None = None,
        keepalive: float = KEEPALIVE,
    ) -> None:
        """`state`: a JSON or TOML file (or its parsed table) seeding quota, apps, users, sounds,
        groups and accounts on top of the demo keys (simulator/state.py); StateError if it is
        unusable."""
        self.host = host
        self._port = port
        self._clock = clock
        self._log = log
        self._engine = Engine(ack_after=ack_after, monthly_limit=monthly_limit, clock=clock)
        self._lock = self._engine.lock  # one lock around all shared state
        self._faults: list[_Fault] = []
        self._release = threading.Event()
        self._records: list[RequestRecord] = []
        self._next_connection = 0
        self._sockets: set[socket.socket] = set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._wake_r: socket.socket
        self._wake_w: socket.socket
        self._engine.add_app(DEMO_TOKEN)
        self._engine.add_user(DEMO_USER, ("iphone", "pixel"), False)
        self._engine.add_user(DEMO_BOB, ("pixel",), False)
        self._engine.add_user(DEMO_CAROL, ("ipad",), False)
        self.add_group(DEMO_GROUP_NAME, DEMO_MEMBERS, key=DEMO_GROUP)
        self._engine.add_user(DEMO_2FA_USER, ("ipad",), False)
        self._open_clients = self._engine.open_clients
        self._open_clients.add_account(DEMO_EMAIL, DEMO_PASSWORD, DEMO_USER)
        self._open_clients.add_account(
            DEMO_2FA_EMAIL, DEMO_2FA_PASSWORD, DEMO_2FA_USER, twofa=DEMO_2FA_CODE
        )
        self._hub = websocket.Hub(self._open_clients.socket_login, keepalive)
        self._open_clients.notify = self._hub.push
        if state is not None:
            apply_state(self._engine, state)

    # ---- lifecycle --------------------------------------------------------------------------
    def _bind(self) -> _Server:
        if self._server is None:
            cls = _Server6 if ":" in self.host else _Server
            server = cls((self.host, self._port), _Handler)
            server.sim = self
            self._server = server
        return self._server

    def start(self) -> Simulator:
        server = self._bind()
        if self._thread is None:
            self._stopping = False
            self._wake_r, self._wake_w = socket.socketpair()
            self._thread = threading.Thread(
                target=self._accept_loop,
                args=(server, self._wake_r),
                name=f"pushover-simulator:{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    @staticmethod
    def _accept_loop(server: _Server, wake: socket.socket) -> None:
        # Like serve_forever, but woken at once by stop() instead of polling every 0.5 s:
        # test suites start and stop hundreds of simulators.
        with selectors.DefaultSelector() as selector:
            selector.register(server, selectors.EVENT_READ)
            selector.register(wake, selectors.EVENT_READ)
            while True:
                for key, _ in selector.select():
                    if key.fileobj is wake:
                        return
                    server._handle_request_noblock()

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            sockets = list(self._sockets)
        self.release()  # hung requests must not outlive the server
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if thread is not None:
            with contextlib.suppress(OSError):
                self._wake_w.send(b"x")
            thread.join(5)
            self._wake_r.close()
            self._wake_w.close()
        if server is not None:
            server.server_close()
        # Idle keep-alive connections would otherwise go on answering after stop().
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return int(self._bind().server_address[1])

    @property
    def root_url(self) -> str:
        """Server root, where the /_sim/ control endpoints live."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/1"

    # ---- configuration ----------------------------------------------------------------------
    @property
    def ack_after(self) -> float:
        """Seconds after which new emergencies are acknowledged (0 = never)."""
        return self._engine.ack_after

    @ack_after.setter
    def ack_after(self, seconds: float) -> None:
        with self._lock:
            self._engine.ack_after = seconds

    def add_app(self, token: str) -> None:
        self._engine.add_app(token)

    def add_user(
        self,
        user: str,
        devices: Sequence[str] = ("iphone", "pixel"),
        group: bool = False,
        *,
        licenses: Sequence[str] | None = None,
    ) -> None:
        self._engine.add_user(user, devices, group, licenses)

    def add_group(
        self,
        name: str,
        members: Sequence[Member] = (),
        *,
        key: str | None = None,
        owner: str = DEMO_TOKEN,
    ) -> str:
        """A delivery group owned by the app `owner` (members must be known users); its key."""
        with self._lock:
            return self._engine.groups.add(name, owner, members, key=key)

    def add_sound(self, name: str, description: str) -> None:
        if not name:
            raise ValueError("a sound needs a name")
        with self._lock:
            self._engine.sounds[name] = description

    def set_limit(self, n: int) -> None:
        with self._lock:
            self._engine.limit = n

    def set_remaining(self, token: str, n: int) -> None:
        self._engine.set_remaining(token, n)

    # ---- faults -----------------------------------------------------------------------------
    def inject_fault(self, kind: str, count: int = 1, *, seconds: float | None = None) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {sorted(FAULT_KINDS)}")
        if count < 0:
            raise ValueError("count must be >= 0")
        hold = DEFAULT_HANG if seconds is None else float(seconds)
        with self._lock:
            self._faults.extend(_Fault(kind, hold) for _ in range(count))

    def release(self) -> None:
        """Let every held ("hang") request go on now; hangs injected later hold again."""
        with self._lock:
            event, self._release = self._release, threading.Event()
        event.set()

    def ack(self, receipt: str, device: str = "iphone") -> bool:
        """Acknowledge an emergency now. KeyError for an unknown receipt; False if not awaiting."""
        return self._engine.ack(receipt, device, self._clock())

    # ---- the Open Client API and its websocket ------------------------------------------------
    @property
    def websocket_url(self) -> str:
        return "ws" + self.root_url.removeprefix("http") + websocket.PATH

    @property
    def keepalive(self) -> float:
        """Seconds between `#` frames on every websocket."""
        return self._hub.keepalive

    @keepalive.setter
    def keepalive(self, seconds: float) -> None:
        self._hub.keepalive = seconds

    def add_account(self, email: str, password: str, user: str, twofa: str | None = None) -> None:
        """An account for users/login.json (`twofa`: the code it then needs); `user` becomes a
        known user key if it was not one."""
        self._open_clients.add_account(email, password, user, twofa)

    def push_frame(self, frame: str, device: str | None = None) -> int:
        """Send a websocket frame (`#`, `!`, `R`; `E` or `A` then close; "drop" closes without a
        word) to every logged-in socket, or those of the devices named `device`. Returns how many
        sockets."""
        if frame not in SOCKET_FRAMES:
            raise ValueError(f"unknown frame {frame!r}; one of {sorted(SOCKET_FRAMES)}")
        return self._hub.push_all(frame, self._device_ids(device))

    def sockets(self, device: str | None = None) -> int:
        """Logged-in websockets (of the devices named `device`): the server reads a login
        frame in its own time, so tests wait for this before counting on a `!`."""
        return self._hub.logged_in(self._device_ids(device))

    @property
    def socket_logins(self) -> int:
        """Websocket login frames accepted so far (a reconnect counts again)."""
        return self._hub.logins

    def _device_ids(self, name: str | None) -> set[str] | None:
        if name is None:
            return None
        with self._lock:
            return {d.id for d in self._open_clients.devices.values() if d.name == name}

    def disable_device(self, name: str) -> int:
        """Disable the open-client devices with this name: their sockets hear `E`, their REST
        calls fail. Returns how many."""
        return self._open_clients.disable_device(name)

    def queued(self, device: str) -> int:
        """Messages waiting upstream for the open-client devices with this name."""
        return self._open_clients.queued(device)

    # ---- observation ------------------------------------------------------------------------
    @property
    def requests(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    @property
    def messages(self) -> list[dict[str, object]]:
        with self._lock:
            return [dict(message) for message in self._engine.messages]

    @property
    def groups(self) -> dict[str, Group]:
        """Every delivery group by key, as it is now."""
        with self._lock:
            return dict(self._engine.groups.groups)

    def connections_seen(self) -> int:
        with self._lock:
            return len({record.connection_id for record in self._records})

    # ---- HTTP plumbing (called from handler threads) ----------------------------------------
    def _open_connection(self, sock: socket.socket) -> int:
        with self._lock:
            self._next_connection += 1
            self._sockets.add(sock)
            return self._next_connection

    def _close_connection(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)

    def _take_fault(self) -> tuple[_Fault | None, threading.Event]:
        # The release event is taken with the fault, so a release() racing in cannot be missed.
        with self._lock:
            if self._stopping or not self._faults:
                return None, self._release
            return self._faults.pop(0), self._release

    def _serve(self, handler: _Handler) -> None:
        now = self._clock()
        method = handler.command
        split = urlsplit(handler.path)
        path = split.path
        if path == websocket.PATH:
            self._serve_socket(handler, method, now)
            return
        control = path.startswith("/_sim/")
        fields = Fields()
        try:
            query = parse_query(split.query)
            fields = merge(query, Fields())
            body = _read_body(handler)
            fields = merge(query, parse_body(handler.headers.get("Content-Type"), body))
        except _TooLarge:
            reply = error_reply([FieldError(None, "", "request body is too large")], 413)
            self._finish(handler, method, path, fields, now, reply, close=True, control=control)
            return
        except BadRequest as exc:
            reply = error_reply([FieldError(exc.field, "invalid", exc.sentence)])
            self._finish(handler, method, path, fields, now, reply, control=control)
            return

        if control:
            reply = self._control(method, path, fields)
            self._finish(handler, method, path, fields, now, reply, control=True)
            return

        fault, release = self._take_fault()
        if fault is not None and fault.kind == "drop":
            self._record(method, path, fields, now, handler.connection_id, 0)
            handler.close_connection = True  # no response at all: the client sees EOF
            return
        if fault is not None and fault.kind == "hang":
            release.wait(fault.seconds)
            fault = None  # then answer normally
        reply = (
            self._fault_reply(fault, path)
            if fault is not None
            else self._engine.handle(method, path, fields, now)
        )
        self._finish(handler, method, path, fields, now, reply)

    def _serve_socket(self, handler: _Handler, method: str, now: float) -> None:
        """Upgrade to the websocket and serve it in this handler's thread until it closes."""
        problem = websocket.handshake_problem(handler.headers)
        if method != "GET" or problem is not None:
            status = 405 if method != "GET" else 426
            reply = error_reply([FieldError(None, "", problem or "use GET")], status)
            self._finish(handler, method, websocket.PATH, Fields(), now, reply, close=True)
            return
        self._record(method, websocket.PATH, Fields(), now, handler.connection_id, 101)
        handler.send_response(101)
        handler.send_header("Upgrade", "websocket")
        handler.send_header("Connection", "Upgrade")
        key = handler.headers["Sec-WebSocket-Key"].strip()
        handler.send_header("Sec-WebSocket-Accept", websocket.accept_key(key))
        handler.end_headers()
        handler.close_connection = True
        self._hub.serve(
            handler.connection, websocket.buffered_bytes(handler.rfile, handler.connection)
        )

    def _fault_reply(self, fault: _Fault, path: str) -> Reply:
        if fault.kind == "500":
            return error_reply([FieldError(None, "", "internal server error")], 500)
        if fault.kind in ("502", "503"):
            return Reply(int(fault.kind), _HTML_PAGES[fault.kind], content_type=_HTML_TYPE)
        if fault.kind == "html":
            return Reply(200, _HTML_PAGES["html"], content_type=_HTML_TYPE)
        if fault.kind == "redirect":
            # Another host: a client that follows it would hand the token to a stranger.
            return Reply(
                302,
                b'<html><body>Moved to <a href="https://evil.example/">here</a></body></html>',
                headers=(("Location", f"https://evil.example{path}"),),
                content_type=_HTML_TYPE,
            )
        with self._lock:  # "429"
            return self._engine.quota_exceeded_reply(None, self._clock())

    def _control(self, method: str, path: str, fields: Fields) -> Reply:
        values = fields.values
        if path == "/_sim/push":
            if method != "POST":
                return _not_allowed(method, "POST")
            try:
                count = self.push_frame(values.get("frame", "").strip(), values.get("device"))
            except ValueError as exc:
                return error_reply([FieldError("frame", "invalid", str(exc))])
            return ok(sockets=count)
        if (match := re.fullmatch(r"/_sim/ack/([^/]+)", path)) is not None:
            if method != "POST":
                return _not_allowed(method, "POST")
            device = values.get("device", "").strip() or "iphone"
            try:
                done = self.ack(unquote(match.group(1)), device)
            except KeyError:
                return error_reply([FieldError("receipt", "not found", "receipt not found")], 404)
            return ok(acknowledged=int(done))
        routes = {
            "/_sim/fault": "POST",
            "/_sim/release": "POST",
            "/_sim/requests": "GET",
            "/_sim/messages": "GET",
        }
        allowed = routes.get(path)
        if allowed is None:
            return error_reply([FieldError(None, "", f"no such control endpoint: {path}")], 404)
        if method != allowed:
            return _not_allowed(method, allowed)
        if path == "/_sim/fault":
            return self._control_fault(values)
        if path == "/_sim/release":
            self.release()
            return ok()
        if path == "/_sim/requests":
            return Reply(200, [record.as_dict() for record in self.requests])
        return Reply(200, self.messages)

    def _control_fault(self, values: dict[str, str]) -> Reply:
        kind = values.get("kind", "").strip()
        try:
            count = int(values.get("count", "1") or "1")
            seconds_text = values.get("seconds", "").strip()
            seconds = float(seconds_text) if seconds_text else None
            self.inject_fault(kind, count, seconds=seconds)
        except ValueError as exc:
            return error_reply([FieldError("kind", "invalid", str(exc))])
        with self._lock:
            pending = len(self._faults)
        return ok(pending=pending)

    def _finish(
        self,
        handler: _Handler,
        method: str,
        path: str,
        fields: Fields,
        now: float,
        reply: Reply,
        *,
        close: bool = False,
        control: bool = False,
    ) -> None:
        if control:
            self._emit(method, path, fields, now, handler.connection_id, reply.status)
        else:
            self._record(method, path, fields, now, handler.connection_id, reply.status)
        handler.write_reply(reply, close=close or self._stopping)

    def _record(
        self, method: str, path: str, fields: Fields, now: float, connection_id: int, status: int
    ) -> None:
        # Control calls stay out of the log so tests can count the client's own requests.
        record = RequestRecord(
            method, self._mask_path(path), fields.names, now, connection_id, status
        )
        with self._lock:
            self._records.append(record)
        self._emit(method, path, fields, now, connection_id, status)

    def _emit(
        self, method: str, path: str, fields: Fields, now: float, connection_id: int, status: int
    ) -> None:
        if self._log is None:
            return
        try:
            stamp = time.strftime("%H:%M:%S", time.localtime(now))
        except (OverflowError, OSError, ValueError):
            stamp = "--:--:--"
        shown = self._mask_path(path)
        code = str(status) if status else "---"
        line = (
            f"{stamp} {method} {shown} {code} conn={connection_id} fields={','.join(fields.names)}"
        )
        try:
            self._log(line)
        except Exception:
            traceback.print_exc()

    def _mask_path(self, path: str) -> str:
        # A confused client may put a key in the path; never echo a known secret.
        def hide(match: re.Match[str]) -> str:
            word = match.group()
            known = word in self._engine.apps or word in self._engine.users
            return "***" if known else word

        with self._lock:
            return _WORD_RE.sub(hide, _DEVICE_IN_PATH.sub(r"\1***", path))


def _not_allowed(method: str, allowed: str) -> Reply:
    reply = error_reply([FieldError(None, "", f"method {method} is not allowed here")], 405)
    return Reply(reply.status, reply.body, (("Allow", allowed),))


class RemoteHostError(ValueError):
    """A host beyond loopback without allow_remote: nothing was bound."""


def is_loopback_host(host: str) -> bool:
    """localhost, 127.0.0.0/8 or ::1. Written here, not imported: the simulator stands alone."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _print(line: str) -> None:
    print(line, flush=True)


def _warn(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def run_standalone(
    host: str = "127.0.0.1",
    port: int = 8765,
    ack_after: float = 20.0,
    monthly_limit: int = 10_000,
    state: StateSource | None = None,
    *,
    allow_remote: bool = False,
    show: Callable[[str], None] = _print,
    warn: Callable[[str], None] = _warn,
) -> int:
    """Serve until Ctrl-C (or SIGTERM), showing one masked line per request. Returns 0.
    A bad `state` raises StateError before anything is served.

    The /_sim/* controls and the message log have no authentication: a host beyond loopback
    raises RemoteHostError (nothing bound) unless `allow_remote`, and then `warn` says so once."""
    remote = not is_loopback_host(host)
    if remote and not allow_remote:
        raise RemoteHostError(
            f"--host {host} is not a loopback address, and the simulator's /_sim/* controls and "
            "message log have no authentication: add --allow-remote to listen there anyway."
        )
    sim = Simulator(
        host=host,
        port=port,
        ack_after=ack_after,
        monthly_limit=monthly_limit,
        log=show,
        state=state,
    )
    previous = None
    if threading.current_thread() is threading.main_thread():

        def interrupt(signum: int, frame: FrameType | None) -> None:
            raise KeyboardInterrupt

        previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        sim.start()
        if remote:
            warn(
                f"warning: the simulator listens on {host} port {sim.port}, beyond this machine: "
                "anyone who reaches it can drive /_sim/* and read every message sent to it."
            )
        show(f"Pushover simulator listening on {sim.base_url}")
        show(f"demo token: {DEMO_TOKEN}")
        show(f"demo user:  {DEMO_USER}  (devices: iphone, pixel)")
        show(f"demo group: {DEMO_GROUP}  ({DEMO_GROUP_NAME}: Alice, Bob, Carol disabled)")
        show(f"inbox:      {DEMO_EMAIL} / {DEMO_PASSWORD} (websocket {sim.websocket_url})")
        show(f"inbox, 2FA: {DEMO_2FA_EMAIL} / {DEMO_2FA_PASSWORD}, code {DEMO_2FA_CODE}")
        if state is not None and not isinstance(state, Mapping):
            show(f"seeded from {state}")
        show(
            "control: POST /_sim/ack/<receipt>, /_sim/fault, /_sim/release, /_sim/push; "
            "GET /_sim/requests, /_sim/messages"
        )
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    show("Pushover simulator stopped")
    return 0
