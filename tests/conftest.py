"""Shared pytest fixtures. Each fixture stays self-contained: others add theirs below."""

from __future__ import annotations

import compileall
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

import pushover_tui
from pushover_tui.simulator import Simulator

# The suite runs on every core (pytest-xdist), often beside other work: a property's examples
# may take longer than Hypothesis's 200 ms deadline there without anything being wrong. What the
# properties promise is checked example by example; how fast is the benchmarks' business.
settings.register_profile("suite", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("suite")


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto` (pyproject's addopts): one worker more than the cores. A quarter of the suite's
    time is spent waiting (subprocesses, sockets, Chromium, tmux), and the extra worker fills it:
    on 2 cores 3 workers took 6:09 where 2 took 7:26 and 4 took 6:11 (more CPU, no faster)."""
    return (os.cpu_count() or 1) + 1


def pytest_configure(config: pytest.Config) -> None:
    """A suite started in the background (nohup, `&` in a script) inherits SIGINT ignored, and
    so would every process its tests interrupt with Ctrl-C's signal: Python's own handler back
    (in each xdist worker too)."""
    signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Many tests start the command line in a new process. Where PYTHONDONTWRITEBYTECODE is set
    (as in this machine's shells), each such process would compile the whole package again:
    compiled once here, by the run's first process (compileall writes the cache regardless;
    pytest-xdist's workers start it too)."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        compileall.compile_dir(Path(pushover_tui.__file__).parent, quiet=1)


@pytest.fixture
def simulator(pushover_simulator: Simulator) -> Simulator:
    """A started Pushover simulator on an ephemeral loopback port, stopped afterwards: the
    `pushover_simulator` fixture the package ships (simulator/pytest_plugin.py), so every test
    here that uses this one runs the plugin as other projects do."""
    return pushover_simulator


@pytest.fixture
def isolated_env(tmp_path, monkeypatch) -> dict[str, str]:
    """An environment whose config file and data folder live under tmp_path; no PUSHOVER_* keys.

    Also applied to os.environ, so code that reads the real environment stays isolated too."""
    for name in ("PUSHOVER_TOKEN", "PUSHOVER_USER", "PUSHOVER_API_URL", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    env = {
        "PUSHOVER_TUI_CONFIG": str(tmp_path / "config" / "config.toml"),
        "PUSHOVER_TUI_DATA": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg-config"),
        "XDG_DATA_HOME": str(tmp_path / "xdg-data"),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def demo_config(isolated_env, simulator):
    """A config file with the documentation's example keys, pointing at the simulator."""
    from pushover_tui.api.secret import Secret
    from pushover_tui.simulator import DEMO_TOKEN, DEMO_USER
    from pushover_tui.store.config import Config, Profile, save_config

    profile = Profile(name="personal", token=Secret(DEMO_TOKEN), user=Secret(DEMO_USER))
    config = Config(
        path=Path(isolated_env["PUSHOVER_TUI_CONFIG"]),
        default_profile="personal",
        profiles=(profile,),
        api_url=simulator.base_url,
    )
    save_config(config)
    return config


@pytest.fixture
def make_app(isolated_env):
    """Build the TUI app on the isolated config and data folder: make_app(**build_app_options)."""
    from pushover_tui.tui.app import build_app

    def make(**options):
        options.setdefault("env", dict(isolated_env))
        return build_app(**options)

    return make


@pytest.fixture
def tmpfs() -> Iterator[Callable[[str], Path]]:
    """tmpfs(size) mounts a fresh tmpfs of `size` (e.g. "400k") and returns its folder, unmounted
    after the test. Needs root and mount: the test is skipped otherwise."""
    mounted: list[Path] = []

    def mount(size: str) -> Path:
        mount_point = Path(tempfile.mkdtemp(prefix="pushover-tui-tmpfs-"))
        result = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount_point)],
            capture_output=True,
            check=False,
        )
        if result.returncode != 0:
            mount_point.rmdir()
            pytest.skip("cannot mount a tmpfs here: " + result.stderr.decode().strip())
        mounted.append(mount_point)
        return mount_point

    yield mount
    for mount_point in mounted:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)
        mount_point.rmdir()


@pytest.fixture
def refused_port() -> Iterator[int]:
    """A loopback port where connections are refused: bound for the whole test and never
    listening, so no other test (pytest-xdist runs several at once) or process can take it
    meanwhile, as one could a port merely found free and closed again."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        yield probe.getsockname()[1]


@pytest.fixture
def steady_api_host(monkeypatch):
    """Snapshots show the simulator as 127.0.0.1:8765 (the status line names a non-default
    API host, and the test simulator's port changes every run)."""
    from pushover_tui.tui.widgets import status_bar

    monkeypatch.setattr(status_bar, "api_host", lambda api_url: "127.0.0.1:8765")


# ---------------------------------------------------------------------------------------------
# PostgreSQL: one real server per test session (pgserver's binaries, in the dev extra), a fresh
# database per test. No mocks of the database.

_databases = iter(range(1_000_000))


def start_postgres(folder: Path):
    """Start a PostgreSQL server (pgserver's binaries) with its data and socket in `folder`,
    listening on that Unix socket only. As root, pgserver runs it as the system user `pgserver`
    (made once) and opens the folders above `folder` to it: `folder` must not be under pytest's
    basetemp, which every pytest run resets to 0700."""
    with warnings.catch_warnings():  # platformdirs: no XDG_RUNTIME_DIR when run as root
        warnings.simplefilter("ignore")
        import pgserver

        if os.geteuid() == 0:
            _add_pgserver_user()
        return pgserver.get_server(folder, cleanup_mode="stop")


def _add_pgserver_user() -> None:
    """Make the system user `pgserver` before pgserver does: each pytest-xdist worker starts its
    own server, and on a fresh machine two workers would both run `useradd`; the slower one
    fails ("already exists"), which is fine as long as the user is there."""
    import pwd

    try:
        pwd.getpwnam("pgserver")
    except KeyError:
        added = subprocess.run(
            ["useradd", "-s", "/bin/bash", "pgserver"], capture_output=True, text=True
        )
        try:
            pwd.getpwnam("pgserver")
        except KeyError:
            raise RuntimeError(f"cannot add the user pgserver: {added.stderr}") from None


@pytest.fixture
def own_postgres_server():
    """A PostgreSQL server of the test's own (to stop and start again), removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="pushover-tui-pg-"))
    server = start_postgres(folder / "data")
    yield server
    server.cleanup()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server():
    """The session's PostgreSQL server, stopped and removed at the end. Under pytest-xdist each
    worker has its own (its own folder and socket): tests never share a server across workers."""
    folder = Path(tempfile.mkdtemp(prefix="pushover-tui-pg-"))
    server = start_postgres(folder / "data")
    yield server
    server.cleanup()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server) -> Iterator[str]:
    """The URL of a new empty database: libpq's `?host=/socket/dir` form, with a password (the
    test server trusts local connections and ignores it) so tests can see it masked."""
    name = f"test_{next(_databases)}_{os.getpid()}"
    postgres_server.psql(f"CREATE DATABASE {name};")
    yield postgres_server.get_uri(name).replace("postgres:@", f"postgres:{POSTGRES_PASSWORD}@")
    postgres_server.psql(f"DROP DATABASE {name} WITH (FORCE);")


POSTGRES_PASSWORD = "pg-Secret-9d1c"


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request):
    """None (the SQLite files in the data folder) or a PostgreSQL database's StoreURL: every
    test using it runs on both backends."""
    from pushover_tui.store.url import StoreURL

    if request.param == "sqlite":
        return None
    return StoreURL(request.getfixturevalue("postgres_url"))


@pytest.fixture
def open_test_store(store_url, tmp_path):
    """open_test_store() opens the test's store (a second call: another process's view)."""
    from pushover_tui.store.base import open_store

    opened = []

    def open_one():
        opened.append(open_store(tmp_path / "data", store_url))
        return opened[-1]

    yield open_one
    for store in opened:
        store.close()


@pytest.fixture
def store(open_test_store):
    """The store under test: SQLite, then PostgreSQL."""
    return open_test_store()
