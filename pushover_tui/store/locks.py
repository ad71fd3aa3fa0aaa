"""Locks that serialize work across processes: one on-call swap of a group at a time.

On one machine (`group_lock`): an exclusive flock on a file in the data folder, named by a hash
of the group key (the key itself is a secret: never a file name). A store shared by several hosts
(PostgreSQL) gives the same interface with an advisory lock (`postgres.advisory_group_lock`);
`oncall_lock` picks the one where the history lives.

The lock is taken by polling, so the event loop keeps running (a signal can still cancel a
process that waits) and a wait that lasts too long ends with one sentence.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

from pushover_tui.api.errors import PushoverError
from pushover_tui.api.secret import Secret
from pushover_tui.store.files import make_private_dirs

if TYPE_CHECKING:
    from pushover_tui.store.url import StoreURL

LOCK_FOLDER = "locks"
GROUP_LOCK_WAIT = 120.0  # seconds: a swap of 150 members takes a few; another may be queued
_POLL = 0.05


class GroupBusyError(PushoverError):
    """Another process kept the group's lock longer than we wait."""


def _lock_path(data_folder: Path, group_key: Secret) -> Path:
    digest = hashlib.sha256(group_key.reveal().encode("utf-8")).hexdigest()[:32]
    return data_folder / LOCK_FOLDER / f"oncall-{digest}.lock"


@contextlib.asynccontextmanager
async def group_lock(
    data_folder: Path, group_key: Secret, *, wait: float = GROUP_LOCK_WAIT
) -> AsyncIterator[None]:
    """Hold the group's on-call lock for the block (every process of this machine that changes
    the group's members takes it); GroupBusyError after `wait` seconds of waiting."""
    import fcntl  # POSIX

    path = _lock_path(data_folder, group_key)
    make_private_dirs(path.parent)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise GroupBusyError(
                        f"Another on-call change of this group has been running for over "
                        f"{wait:g} s (lock {path}): try again when it is done."
                    ) from None
                await asyncio.sleep(_POLL)
        yield
    finally:
        os.close(fd)  # closing the file releases the lock


def oncall_lock(
    data_folder: Path,
    store_url: StoreURL | None,
    group_key: Secret,
    *,
    wait: float = GROUP_LOCK_WAIT,
) -> contextlib.AbstractAsyncContextManager[None]:
    """The group's on-call lock where the history lives: this machine's flock (`group_lock`),
    or, with a shared PostgreSQL, an advisory lock every host of the team takes."""
    if store_url is None:
        return group_lock(data_folder, group_key, wait=wait)
    from pushover_tui.store.base import shared_store_module

    return shared_store_module().advisory_group_lock(store_url, group_key, wait=wait)
