"""The simulator's face for tests: a Simulator to start, seed, fault and observe in Python.

The HTTP front (front.py) serves it; the engine (engine.py) holds the state; the standalone
runner (standalone.py) is the command line's."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Sequence
from types import TracebackType

from pushover_tui.simulator import websocket
from pushover_tui.simulator.control_endpoints import control_reply
from pushover_tui.simulator.demo import (
    DEMO_BOB,
    DEMO_CAROL,
    DEMO_GROUP,
    DEMO_GROUP_NAME,
    DEMO_MEMBERS,
    DEMO_TOKEN,
    DEMO_USER,
    seed_demo,
)
from pushover_tui.simulator.engine import Engine
from pushover_tui.simulator.faults import FAULT_KINDS, Faults
from pushover_tui.simulator.front import HttpFront
from pushover_tui.simulator.groups import Group, Member
from pushover_tui.simulator.models import RequestRecord
from pushover_tui.simulator.request_log import RequestLog
from pushover_tui.simulator.state import StateSource, apply_state
from pushover_tui.simulator.teams import Team, TeamMember

__all__ = [
    "DEMO_BOB",
    "DEMO_CAROL",
    "DEMO_GROUP",
    "DEMO_GROUP_NAME",
    "DEMO_MEMBERS",
    "DEMO_TOKEN",
    "DEMO_USER",
    "FAULT_KINDS",
    "Simulator",
]

KEEPALIVE = 30.0  # seconds between the websocket's `#` frames (Pushover's period is unknown)
SOCKET_FRAMES = frozenset({"#", "!", "R", "E", "A", websocket.DROP})


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
        listening: socket.socket | None = None,
    ) -> None:
        """`state`: a JSON or TOML file (or its parsed table) seeding quota, apps, users, sounds,
        groups and accounts on top of the demo keys (simulator/state.py); StateError if it is
        unusable. `listening`: a TCP socket already bound and listening, served instead of
        binding `host` and `port` (once: stop() closes it); connections made to it before
        start() wait in its backlog."""
        self.host = host
        self._clock = clock
        self._engine = Engine(ack_after=ack_after, monthly_limit=monthly_limit, clock=clock)
        self._lock = self._engine.lock  # one lock around all shared state
        self._faults = Faults(self._lock)
        self._log = RequestLog(self._engine, log)
        seed_demo(self._engine)
        self._open_clients = self._engine.open_clients
        self._hub = websocket.Hub(self._open_clients.socket_login, keepalive)
        self._open_clients.notify = self._hub.push
        if state is not None:
            apply_state(self._engine, state)
        self._front = HttpFront(
            host,
            port,
            engine=self._engine,
            hub=self._hub,
            faults=self._faults,
            log=self._log,
            controls=lambda method, path, fields: control_reply(self, method, path, fields),
            clock=clock,
            listening=listening,
        )

    # ---- lifecycle --------------------------------------------------------------------------
    def start(self) -> Simulator:
        self._front.start()
        return self

    def stop(self) -> None:
        self._front.stop()

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
        return self._front.port

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

    def add_app(self, token: str, account: str | None = None) -> None:
        """An app token; apps of one `account` share one monthly quota pool."""
        self._engine.add_app(token, account)

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
        """What is left this month of the pool of `token`'s account."""
        self._engine.set_remaining(token, n)

    # ---- glances, teams, licenses, subscriptions ------------------------------------------
    def add_team(self, token: str, name: str, members: Sequence[TeamMember] = ()) -> None:
        """A team reached with the Team API token `token`."""
        with self._lock:
            self._engine.teams.add(token, name, members)

    def team(self, token: str) -> Team:
        """The team of this Team API token, as it is now (KeyError if none)."""
        with self._lock:
            return self._engine.teams.teams[token]

    @property
    def license_credits(self) -> int:
        with self._lock:
            return self._engine.extras.credits

    @license_credits.setter
    def license_credits(self, credits: int) -> None:
        with self._lock:
            self._engine.extras.credits = credits

    def add_subscription(self, code: str, token: str = DEMO_TOKEN) -> None:
        """A subscription code of the app `token`, for subscriptions/migrate.json."""
        with self._lock:
            self._engine.extras.add_subscription(code, token)

    @property
    def glances(self) -> list[dict[str, object]]:
        """Every glance received: its fields (no token, no user) and the time it came."""
        with self._lock:
            return [dict(glance) for glance in self._engine.extras.glances]

    # ---- faults -----------------------------------------------------------------------------
    def inject_fault(self, kind: str, count: int = 1, *, seconds: float | None = None) -> None:
        """The next `count` API requests get this fault (one of FAULT_KINDS); a "hang" holds
        for `seconds` (60 by default) or until release()."""
        self._faults.inject(kind, count, seconds)

    @property
    def pending_faults(self) -> int:
        """Injected faults no request has taken yet."""
        return self._faults.pending

    def release(self) -> None:
        """Let every held ("hang") request go on now; hangs injected later hold again."""
        self._faults.release()

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
        return self._log.records

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
        return len({record.connection_id for record in self._log.records})
