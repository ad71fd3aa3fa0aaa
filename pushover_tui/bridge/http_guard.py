"""Slow clients cannot pin the bridge: uvicorn's h11 protocol with a header timeout and a cap.

- A request's head (request line and headers) must arrive within `header_timeout` seconds of the
  connection opening, or of the previous response on a kept-alive connection; else the
  connection gets a 408 and is closed. (The body has its own timeout, in the endpoint.)
- At most `max_connections` are open. A connection beyond that closes the oldest one still
  waiting for its head (a slow client), so a good webhook always gets in; if every open one is
  busy with a request, the newcomer gets a 503.

Subclasses uvicorn's H11Protocol (checked on uvicorn 0.54): its own options have a keep-alive
timeout but none for a head that never ends, and `limit_concurrency` answers 503 to everyone,
good webhooks included, once slow clients fill it.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT = 10.0
BODY_TIMEOUT = 10.0
MAX_CONNECTIONS = 512

_TIMEOUT = b"HTTP/1.1 408 Request Timeout\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"
_BUSY = b"HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"


def guarded_protocol(
    *, header_timeout: float = HEADER_TIMEOUT, max_connections: int = MAX_CONNECTIONS
) -> type[H11Protocol]:
    """A protocol class for `uvicorn.Config(http=...)`; one per server (it keeps the server's
    connections waiting for a head, oldest first)."""
    waiting: dict[GuardedProtocol, None] = {}  # insertion order: oldest first

    class GuardedProtocol(H11Protocol):
        _head_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            if len(self.connections) > max_connections:
                victim = next(iter(waiting), None)
                if victim is None:  # every open connection is busy with a request
                    self._refuse(_BUSY)
                    return
                victim._refuse(_TIMEOUT)
            self._await_head()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self.conn.their_state is not h11.IDLE:
                self._head_arrived()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                self._await_head()  # kept alive: the next request's head has the same limit

        def connection_lost(self, exc: Exception | None) -> None:
            self._head_arrived()
            super().connection_lost(exc)

        def _await_head(self) -> None:
            self._head_arrived()
            self._head_timer = self.loop.call_later(header_timeout, self._refuse, _TIMEOUT)
            waiting[self] = None

        def _head_arrived(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None
            waiting.pop(self, None)

        def _refuse(self, reply: bytes) -> None:
            self._head_arrived()
            if not self.transport.is_closing():
                self.transport.write(reply)
                self.transport.close()

    return GuardedProtocol
