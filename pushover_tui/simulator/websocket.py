"""The simulator's websocket: `GET /push` upgraded on the API's own port, so a client derives its
URL from the API base URL. RFC 6455 from the standard library: the simulator depends on no
client's library, as it depends on no client's code.

Each socket lives in the thread of the HTTP handler that upgraded it, waiting on the socket and on
a wake-up pair: pushes from other threads (a message sent, a control call) only queue a frame and
never block. After `login:<device id>:<secret>` (newline optional) the socket belongs to that
device and hears one-character binary frames: `#` every `keepalive` seconds, `!` when messages
wait, `R` to ask for a reconnect, `E` (then close) for a bad login, session or device, `A` (then
close) when the same device logs in on a newer socket.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import select
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Container
from email.message import Message

PATH = "/push"
_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_PAYLOAD = 64 * 1024  # a client sends one login line; anything far bigger is a mistake
OP_CONTINUATION, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10
ENDING = frozenset({"E", "A"})  # the server closes the socket after these
DROP = "drop"  # not a frame: close at once without a word, as a broken link would

Authenticate = Callable[[str], "str | None"]  # login frame text -> device id, or None


class ProtocolError(Exception):
    pass


def accept_key(key: str) -> str:
    return base64.b64encode(hashlib.sha1(key.encode("ascii") + _GUID).digest()).decode("ascii")


def handshake_problem(headers: Message) -> str | None:
    """Why these request headers are not a websocket upgrade (one sentence), or None."""
    tokens = {t.strip().lower() for t in headers.get("Connection", "").split(",")}
    if headers.get("Upgrade", "").lower() != "websocket" or "upgrade" not in tokens:
        return "this is the websocket: send an upgrade request (Upgrade: websocket)"
    if headers.get("Sec-WebSocket-Version", "").strip() != "13":
        return "Sec-WebSocket-Version must be 13"
    key = headers.get("Sec-WebSocket-Key", "").strip()
    try:
        valid = len(base64.b64decode(key, validate=True)) == 16
    except ValueError:
        valid = False
    return None if valid else "Sec-WebSocket-Key must be 16 bytes in base64"


def encode(opcode: int, payload: bytes = b"") -> bytes:
    """One unmasked (server) frame."""
    size = len(payload)
    if size < 126:
        head = bytes([0x80 | opcode, size])
    elif size < 1 << 16:
        head = bytes([0x80 | opcode, 126]) + size.to_bytes(2, "big")
    else:
        head = bytes([0x80 | opcode, 127]) + size.to_bytes(8, "big")
    return head + payload


class FrameReader:
    """Client frames (masked, possibly fragmented) from a byte stream."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._message = bytearray()
        self._message_op: int | None = None

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        self._buffer += data
        frames = []
        while (frame := self._next()) is not None:
            frames.append(frame)
        return frames

    def _next(self) -> tuple[int, bytes] | None:
        """The next whole message or control frame; None until the buffer holds one. A loop,
        not recursion: a client may send thousands of fragments at once."""
        while (frame := self._frame()) is not None:
            final, opcode, payload = frame
            if opcode >= OP_CLOSE:  # control frames are never fragmented
                return opcode, payload
            if opcode != OP_CONTINUATION:
                self._message_op, self._message = opcode, bytearray()
            elif self._message_op is None:
                raise ProtocolError("continuation without a first frame")
            self._message += payload
            if len(self._message) > MAX_PAYLOAD:
                raise ProtocolError("message too large")
            if final:
                opcode, self._message_op = self._message_op, None
                return opcode, bytes(self._message)
        return None

    def _frame(self) -> tuple[bool, int, bytes] | None:
        """One frame (final flag, opcode, unmasked payload) taken off the buffer, or None."""
        buffer = self._buffer
        if len(buffer) < 2:
            return None
        final, opcode = bool(buffer[0] & 0x80), buffer[0] & 0x0F
        if not buffer[1] & 0x80:
            raise ProtocolError("client frames must be masked")
        size, start = buffer[1] & 0x7F, 2
        if size >= 126:
            width = 2 if size == 126 else 8
            if len(buffer) < 2 + width:
                return None
            size, start = int.from_bytes(buffer[2 : 2 + width], "big"), 2 + width
        if size > MAX_PAYLOAD:
            raise ProtocolError("frame too large")
        if len(buffer) < start + 4 + size:
            return None
        mask = buffer[start : start + 4]
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(buffer[start + 4 : start + 4 + size]))
        del buffer[: start + 4 + size]
        return final, opcode, payload


def buffered_bytes(rfile: io.BufferedIOBase, sock: socket.socket) -> bytes:
    """What the HTTP parser already read past the request's headers (a client may send its
    login frame without waiting for the 101), taken without blocking."""
    timeout = sock.gettimeout()
    sock.settimeout(0.0)  # peek() then returns the buffer, or b"" instead of waiting
    try:
        waiting = rfile.peek()  # type: ignore[attr-defined]
        return rfile.read(len(waiting)) if waiting else b""
    except OSError:
        return b""
    finally:
        sock.settimeout(timeout)


class ClientSocket:
    def __init__(self, sock: socket.socket, hub: Hub) -> None:
        self.sock = sock
        self.hub = hub
        self.device_id: str | None = None
        self._frames: deque[str] = deque()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_w.setblocking(False)

    def push(self, frame: str) -> None:
        """Queue a frame (or DROP); safe from any thread, never blocks."""
        self._frames.append(frame)
        with contextlib.suppress(OSError):  # full: a wake-up is pending anyway
            self._wake_w.send(b"x")

    def run(self, pending: bytes) -> None:
        reader = FrameReader()
        next_keepalive = time.monotonic() + self.hub.keepalive
        try:
            if pending and not self._receive(reader.feed(pending)):
                return
            while True:
                wait = max(0.0, next_keepalive - time.monotonic())
                readable, _, _ = select.select([self.sock, self._wake_r], [], [], wait)
                if self._wake_r in readable:
                    self._wake_r.recv(4096)
                    if not self._send_queued():
                        return
                if self.sock in readable:
                    data = self.sock.recv(4096)
                    if not data or not self._receive(reader.feed(data)):
                        return
                if time.monotonic() >= next_keepalive:
                    self.sock.sendall(encode(OP_BINARY, b"#"))
                    next_keepalive = time.monotonic() + self.hub.keepalive
        except ProtocolError:
            with contextlib.suppress(OSError):
                self.sock.sendall(encode(OP_CLOSE, (1002).to_bytes(2, "big")))
        except (OSError, ValueError):  # the peer went away, or stop() closed the socket
            pass
        finally:
            self.hub.forget(self)
            self._wake_r.close()
            self._wake_w.close()

    def _receive(self, frames: list[tuple[int, bytes]]) -> bool:
        """Act on client frames; False once the socket should close."""
        for opcode, payload in frames:
            if opcode == OP_CLOSE:
                self.sock.sendall(encode(OP_CLOSE, payload[:2]))
                return False
            if opcode == OP_PING:
                self.sock.sendall(encode(OP_PONG, payload))
            elif opcode in (OP_TEXT, OP_BINARY) and self.device_id is None:
                text = payload.decode("utf-8", "replace")
                if not self.hub.login(self, text):
                    self._end("E")
                    return False
        return True

    def _send_queued(self) -> bool:
        while self._frames:
            frame = self._frames.popleft()
            if frame == DROP:
                return False
            if frame in ENDING:
                self._end(frame)
                return False
            self.sock.sendall(encode(OP_BINARY, frame.encode("ascii")))
        return True

    def _end(self, frame: str) -> None:
        self.sock.sendall(encode(OP_BINARY, frame.encode("ascii")))
        self.sock.sendall(encode(OP_CLOSE, (1000).to_bytes(2, "big")))


class Hub:
    """Every open socket, and which device each one is logged in as (one socket a device)."""

    def __init__(self, authenticate: Authenticate, keepalive: float) -> None:
        self._authenticate = authenticate
        self._keepalive = 0.0
        self.keepalive = keepalive
        self._lock = threading.Lock()
        self._sockets: set[ClientSocket] = set()
        self._by_device: dict[str, ClientSocket] = {}
        self.logins = 0  # login frames accepted so far

    @property
    def keepalive(self) -> float:
        return self._keepalive

    @keepalive.setter
    def keepalive(self, seconds: float) -> None:
        if not seconds > 0:  # 0 would send `#` frames without pause
            raise ValueError(f"keepalive must be above 0 seconds ({seconds} given)")
        self._keepalive = seconds

    def serve(self, sock: socket.socket, pending: bytes) -> None:
        """Run one upgraded socket in the calling (handler) thread until it closes."""
        client = ClientSocket(sock, self)
        with self._lock:
            self._sockets.add(client)
        client.run(pending)

    def login(self, client: ClientSocket, text: str) -> bool:
        device_id = self._authenticate(text)
        if device_id is None:
            return False
        with self._lock:
            older = self._by_device.get(device_id)
            self._by_device[device_id] = client
            client.device_id = device_id
            self.logins += 1
        if older is not None and older is not client:
            older.push("A")
        return True

    def forget(self, client: ClientSocket) -> None:
        with self._lock:
            self._sockets.discard(client)
            if client.device_id is not None and self._by_device.get(client.device_id) is client:
                del self._by_device[client.device_id]

    def push(self, device_id: str, frame: str) -> None:
        with self._lock:
            client = self._by_device.get(device_id)
        if client is not None:
            client.push(frame)

    def logged_in(self, devices: Container[str] | None = None) -> int:
        """How many sockets are logged in (as one of `devices`, ids)."""
        with self._lock:
            return sum(1 for d in self._by_device if devices is None or d in devices)

    def push_all(self, frame: str, devices: Container[str] | None = None) -> int:
        """Send `frame` (or DROP) to every logged-in socket, or those of `devices` (ids)."""
        with self._lock:
            targets = [
                client
                for device_id, client in self._by_device.items()
                if devices is None or device_id in devices
            ]
        for client in targets:
            client.push(frame)
        return len(targets)
