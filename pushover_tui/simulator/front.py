"""HTTP front of the simulator: a ThreadingHTTPServer on loopback that reads each request into
fields, applies any injected fault, hands it to the engine (or the /_sim/* controls) and logs it."""

from __future__ import annotations

import contextlib
import json
import selectors
import socket
import sys
import threading
import traceback
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from pushover_tui.simulator import parsing, websocket
from pushover_tui.simulator.engine import Engine, Reply, error_reply
from pushover_tui.simulator.faults import Faults, fault_reply
from pushover_tui.simulator.parsing import BadRequest, BodyTooLarge, Fields
from pushover_tui.simulator.request_log import RequestLog
from pushover_tui.simulator.validation import FieldError

IDLE_TIMEOUT = 60.0  # seconds an idle keep-alive connection is kept open

# (method, path, fields) -> the reply of a /_sim/* control endpoint.
Controls = Callable[[str, str, Fields], Reply]


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a hung handler never keeps the process alive
    request_queue_size = 128  # benchmarks open many connections at once
    front: HttpFront

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that resets or drops its connection is normal here (timeouts, faults).
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class _Server6(_Server):
    address_family = socket.AF_INET6


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real API
    # Without this a keep-alive client stalls ~40 ms per request on delayed ACKs (Nagle).
    disable_nagle_algorithm = True
    server_version = "pushover-simulator"
    timeout = IDLE_TIMEOUT
    server: _Server
    connection_id: int

    def setup(self) -> None:
        super().setup()
        self.connection_id = self.server.front.open_connection(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.front.close_connection(self.connection)

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
            self.server.front.serve(self)
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


class HttpFront:
    """Binds, serves in a daemon thread between start() and stop(), and dispatches requests."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        engine: Engine,
        hub: websocket.Hub,
        faults: Faults,
        log: RequestLog,
        controls: Controls,
        clock: Callable[[], float],
        listening: socket.socket | None = None,
    ) -> None:
        self.host = host
        self._port = port
        self._listening = listening  # bound and listening already (Simulator's `listening`)
        self._engine = engine
        self._lock = engine.lock
        self._hub = hub
        self._faults = faults
        self._log = log
        self._controls = controls
        self._clock = clock
        self._next_connection = 0
        self._sockets: set[socket.socket] = set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._wake_r: socket.socket
        self._wake_w: socket.socket

    # ---- lifecycle --------------------------------------------------------------------------
    def bind(self) -> _Server:
        if self._server is None:
            cls = _Server6 if ":" in self.host else _Server
            listening, self._listening = self._listening, None
            if listening is None:
                server = cls((self.host, self._port), Handler)
            else:
                server = cls(listening.getsockname()[:2], Handler, bind_and_activate=False)
                server.socket.close()
                server.socket = listening
                server.server_address = listening.getsockname()
            server.front = self
            self._server = server
        return self._server

    @property
    def port(self) -> int:
        return int(self.bind().server_address[1])

    def start(self) -> None:
        server = self.bind()
        if self._thread is None:
            self._faults.stopping = False
            self._wake_r, self._wake_w = socket.socketpair()
            self._thread = threading.Thread(
                target=self._accept_loop,
                args=(server, self._wake_r),
                name=f"pushover-simulator:{self.port}",
                daemon=True,
            )
            self._thread.start()

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
            self._faults.stopping = True
            sockets = list(self._sockets)
        self._faults.release()  # hung requests must not outlive the server
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

    # ---- connections and requests (called from handler threads) -----------------------------
    def open_connection(self, sock: socket.socket) -> int:
        with self._lock:
            self._next_connection += 1
            self._sockets.add(sock)
            return self._next_connection

    def close_connection(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)

    def serve(self, handler: Handler) -> None:
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
            query = parsing.parse_query(split.query)
            fields = parsing.merge(query, Fields())
            body = parsing.read_body(handler.headers, handler.rfile)
            fields = parsing.merge(
                query, parsing.parse_body(handler.headers.get("Content-Type"), body)
            )
        except BodyTooLarge:
            reply = error_reply([FieldError(None, "", "request body is too large")], 413)
            self._finish(handler, method, path, fields, now, reply, close=True, control=control)
            return
        except BadRequest as exc:
            reply = error_reply([FieldError(exc.field, "invalid", exc.sentence)])
            self._finish(handler, method, path, fields, now, reply, control=control)
            return

        if control:
            reply = self._controls(method, path, fields)
            self._finish(handler, method, path, fields, now, reply, control=True)
            return

        fault, release = self._faults.take()
        if fault is not None and fault.kind == "drop":
            self._log.record(method, path, fields, now, handler.connection_id, 0)
            handler.close_connection = True  # no response at all: the client sees EOF
            return
        if fault is not None and fault.kind == "hang":
            release.wait(fault.seconds)
            fault = None  # then answer normally
        reply = (
            fault_reply(fault, path, self._engine, self._clock)
            if fault is not None
            else self._engine.handle(method, path, fields, now)
        )
        self._finish(handler, method, path, fields, now, reply)

    def _serve_socket(self, handler: Handler, method: str, now: float) -> None:
        """Upgrade to the websocket and serve it in this handler's thread until it closes."""
        problem = websocket.handshake_problem(handler.headers)
        if method != "GET" or problem is not None:
            status = 405 if method != "GET" else 426
            reply = error_reply([FieldError(None, "", problem or "use GET")], status)
            self._finish(handler, method, websocket.PATH, Fields(), now, reply, close=True)
            return
        self._log.record(method, websocket.PATH, Fields(), now, handler.connection_id, 101)
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

    def _finish(
        self,
        handler: Handler,
        method: str,
        path: str,
        fields: Fields,
        now: float,
        reply: Reply,
        *,
        close: bool = False,
        control: bool = False,
    ) -> None:
        log = self._log.show if control else self._log.record
        log(method, path, fields, now, handler.connection_id, reply.status)
        handler.write_reply(reply, close=close or self._faults.stopping)
