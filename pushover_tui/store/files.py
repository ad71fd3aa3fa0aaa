"""Private files: every folder this project creates is 0700 and every file 0600, whatever the
umask, and every SQLite database is opened the same way (WAL, a busy timeout, our transactions).

A folder or file we use that others can read (an old 0755 folder, a 0644 config file) is tightened
with a one-line notice on stderr; where chmod is impossible, a warning (once per process) names the
command that fixes it. A shared folder (the home folder, a sticky one such as /tmp) and anything
another user owns (their business, and beyond our chmod) are left as they are.

Imported on start-up by every face: stdlib only.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import sqlite3
import stat
import sys
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from pushover_tui.safe_text import escape_controls

FOLDER_MODE = 0o700
FILE_MODE = 0o600
_warned: set[Path] = set()  # paths left loose: one warning per process is enough


def tighten(path: Path, mode: int, *, change: bool = True) -> None:
    """Take from an existing `path` every permission bit beyond `mode` (FOLDER_MODE or
    FILE_MODE), saying so in one line on stderr. Missing paths and shared folders are left.
    `change=False` (a folder the user chose, maybe shared): only warn, naming the chmod."""
    try:
        info = os.stat(path)
    except OSError:
        return  # missing, or unreachable: whoever opens it reports that
    current = stat.S_IMODE(info.st_mode)
    if not current & ~mode or path in _warned:
        return
    if hasattr(os, "geteuid") and info.st_uid != os.geteuid():
        return  # another user's (say an admin's read-only folder): not ours to change
    if stat.S_ISDIR(info.st_mode) and (current & stat.S_ISVTX or _is_home(path)):
        return  # shared by design; the files inside are what must stay private
    wanted = current & mode
    shown = escape_controls(str(path))
    fix = f"run chmod {wanted:o} {shlex.quote(shown)}"
    if not change:
        _warned.add(path)
        _notice(f"warning: {shown} can be read by others ({current:04o}): {fix}")
        return
    try:
        os.chmod(path, wanted)
    except OSError as error:
        _warned.add(path)
        _notice(
            f"warning: {shown} can be read by others ({current:04o}) and could not be changed "
            f"({error.strerror or error}): {fix}"
        )
        return
    _notice(f"tightened {shown} from {current:04o} to {wanted:04o}: only you can read it now.")


def _is_home(path: Path) -> bool:
    with contextlib.suppress(OSError, RuntimeError):
        return os.path.samefile(path, Path.home())
    return False


def _notice(text: str) -> None:
    print(f"pushover-tui: {text}", file=sys.stderr)


def make_private_dirs(folder: Path) -> None:
    """Create missing folders as 0700 (each one, whatever the umask); an existing `folder` itself
    is tightened to 0700, the folders above it are left alone."""
    tighten(folder, FOLDER_MODE)
    missing = []
    current = Path(folder)
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for path in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            path.mkdir(mode=FOLDER_MODE)
            os.chmod(path, FOLDER_MODE)  # mkdir's mode is filtered by the umask


def create_private_file(path: Path) -> None:
    """Create `path` as 0600 if it is missing, or tighten it (and its SQLite -wal and -shm files)
    to 0600. Done before SQLite opens a database, because those files copy the database's mode."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    os.close(fd)
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        tighten(name, FILE_MODE)


def open_sqlite(
    path: Path, *, busy_timeout: float = 10.0, synchronous: str = "NORMAL"
) -> sqlite3.Connection:
    """A connection to a private database file in WAL mode.

    `isolation_level=None`: callers issue `BEGIN IMMEDIATE` themselves (the module's implicit
    deferred transactions would upgrade locks mid-way and fail under contention). The busy timeout
    is how long a write waits for another process's lock before failing. Raises OSError when the
    folder or file cannot be made, sqlite3.Error when SQLite refuses the file."""
    make_private_dirs(path.parent)
    create_private_file(path)
    connection = sqlite3.connect(
        path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
    )
    try:
        connection.row_factory = sqlite3.Row
        connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        _switch_to_wal(connection, busy_timeout)
        connection.execute(f"PRAGMA synchronous = {synchronous}")
    except sqlite3.Error:
        connection.close()
        raise
    return connection


def _switch_to_wal(connection: sqlite3.Connection, busy_timeout: float) -> None:
    """WAL mode, waiting up to `busy_timeout` for other processes. Two processes switching a new
    file at once both hold a shared lock and want an exclusive one: SQLite answers one of them
    "locked" at once, without its busy handler (waiting could deadlock), so wait here."""
    deadline = time.monotonic() + busy_timeout
    while True:
        try:
            connection.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if sqlite_trouble(error) != "locked" or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


def sqlite_trouble(error: sqlite3.Error) -> str:
    """What a SQLite error means for the person reading about it: "read-only" (the folder or
    file cannot be written), "full" (the disk), "damaged" (not a database), "locked" (another
    program holds it past the busy timeout), or "" (anything else: say the error itself)."""
    text = str(error).lower()
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return "read-only"
    if "full" in text:
        return "full"
    if "not a database" in text or "malformed" in text:
        return "damaged"
    if "locked" in text or "busy" in text:
        return "locked"
    return ""


class SQLiteStore:
    """One connection behind a lock, each call one short transaction: the plumbing the history
    and the bridge's queue share. A subclass sets `path`, `_lock` and `_connection` and says
    its own sentences: `_error` for a sqlite3 error, `_closed` for use after close()."""

    path: Path
    _lock: AbstractContextManager[Any]
    _connection: sqlite3.Connection | None

    def _error(self, error: sqlite3.Error, action: str) -> Exception:
        raise NotImplementedError

    def _closed(self) -> Exception:
        raise NotImplementedError

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._connection is None:
                raise self._closed()
            try:
                yield self._connection
            except sqlite3.Error as error:
                raise self._error(error, "read") from None

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: BEGIN IMMEDIATE takes the write lock up front (waiting up to
        the busy timeout), so it never fails half-way on a lock upgrade."""
        with self._lock:
            connection = self._connection
            if connection is None:
                raise self._closed()
            try:
                connection.execute("BEGIN IMMEDIATE")
                try:
                    yield connection
                except BaseException:
                    connection.execute("ROLLBACK")
                    raise
                connection.execute("COMMIT")
            except sqlite3.Error as error:
                if connection.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        connection.execute("ROLLBACK")
                raise self._error(error, "write") from None


class LockHeldError(Exception):
    """Another process holds the lock; `holder` is what it wrote there (may be blank)."""

    def __init__(self, path: Path, holder: str) -> None:
        self.path = path
        self.holder = holder
        super().__init__(f"{path} is locked by {holder or 'another process'}")


class HeldLock:
    """An exclusive OS lock on a file, held until `release()` or the process ends (the kernel
    drops it however the process dies, kill -9 too: no stale lock to clean up)."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None

    def __enter__(self) -> HeldLock:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()


def wait_for_lock(path: Path) -> HeldLock:
    """Take an exclusive lock on `path` (a private file in an existing folder, made if missing),
    waiting while another process holds it: for a short read-modify-write of a shared file.
    OSError if the file cannot be made. Where there is no flock (not POSIX), no lock is taken."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - POSIX only
        return HeldLock(path, fd)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    except BaseException:
        os.close(fd)
        raise
    return HeldLock(path, fd)


def hold_lock(path: Path, holder: str) -> HeldLock:
    """Take an exclusive lock on `path` (a private file, made if missing) and write `holder` in
    it, so a process refused the lock can say who has it. LockHeldError if another process (or
    another open file in this one) holds it; OSError if the file cannot be made. POSIX only."""
    import fcntl  # POSIX: imported here so this module still imports everywhere

    make_private_dirs(path.parent)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        try:
            text = os.pread(fd, 300, 0).decode("utf-8", "replace").strip()
        finally:
            os.close(fd)
        raise LockHeldError(path, text) from None
    except BaseException:
        os.close(fd)
        raise
    os.ftruncate(fd, 0)
    os.pwrite(fd, holder.encode("utf-8"), 0)
    return HeldLock(path, fd)
