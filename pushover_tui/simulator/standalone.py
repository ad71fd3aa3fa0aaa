"""The standalone runner: `pushover-tui simulator` and `python -m pushover_tui.simulator`."""

from __future__ import annotations

import errno
import ipaddress
import signal
import socket
import sys
import threading
from collections.abc import Callable, Mapping
from types import FrameType

from pushover_tui.simulator.demo import (
    DEMO_GROUP,
    DEMO_GROUP_NAME,
    DEMO_LICENSE_CREDITS,
    DEMO_SUBSCRIPTION,
    DEMO_TEAM_NAME,
    DEMO_TEAM_TOKEN,
    DEMO_TOKEN,
    DEMO_USER,
)
from pushover_tui.simulator.open_client import (
    DEMO_2FA_CODE,
    DEMO_2FA_EMAIL,
    DEMO_2FA_PASSWORD,
    DEMO_EMAIL,
    DEMO_PASSWORD,
)
from pushover_tui.simulator.server import Simulator
from pushover_tui.simulator.state import StateSource


class RemoteHostError(ValueError):
    """A host beyond loopback without allow_remote: nothing was bound."""


class CannotListenError(OSError):
    """The port is taken, or the host is not an address to listen on: nothing was served."""


def listen_problem(host: str, port: int, error: OSError) -> str:
    """One sentence naming the port or the host that could not be used."""
    if error.errno == errno.EADDRINUSE:
        return f"port {port} is in use: stop what listens there, or choose another --port."
    if error.errno == errno.EACCES:
        return f"port {port} needs privileges this user lacks: choose one from 1024 up."
    if isinstance(error, socket.gaierror) or error.errno == errno.EADDRNOTAVAIL:
        hint = " (write an IPv6 address without brackets, e.g. ::1)" if "[" in host else ""
        return f"--host {host} is not an address this machine can listen on{hint}."
    return f"cannot listen on --host {host} port {port}: {error.strerror or error}."


def _resolves(host: str) -> bool:
    try:
        socket.getaddrinfo(host, None)
    except (OSError, UnicodeError):
        return False
    return True


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
    A bad `state` raises StateError, a port in use or a host that cannot be listened on
    CannotListenError, before anything is served.

    The /_sim/* controls and the message log have no authentication: a host beyond loopback
    raises RemoteHostError (nothing bound) unless `allow_remote`, and then `warn` says so once."""
    remote = not is_loopback_host(host)
    if remote and not _resolves(host):
        raise CannotListenError(listen_problem(host, port, socket.gaierror()))
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
        try:
            sim.start()
        except OSError as error:
            raise CannotListenError(listen_problem(host, port, error)) from None
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
        show(f"team token: {DEMO_TEAM_TOKEN}  ({DEMO_TEAM_NAME}: Alice admin, Bob)")
        show(f"licenses:   {DEMO_LICENSE_CREDITS} credits; subscription code {DEMO_SUBSCRIPTION}")
        if state is not None and not isinstance(state, Mapping):
            show(f"seeded from {state}")
        show(
            "control: POST /_sim/ack/<receipt>, /_sim/fault, /_sim/release, /_sim/push; "
            "GET /_sim/requests, /_sim/messages, /_sim/glances"
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
