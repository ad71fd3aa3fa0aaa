"""The one backoff of the code base: waits doubling from `first` up to `limit`.

Used wherever something failing is tried again after a growing wait: the inbox's websocket
reconnects (with jitter, so many clients dropped together do not come back in step) and the
bridge's worker (a restart after an error, an alert held by a local fault). Stdlib only: every
layer imports it. (The API client's retries are not a backoff: Pushover asks for a fixed 5 s.)
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    first: float = 1.0
    limit: float = 60.0
    jitter: bool = True  # each wait a random point in the upper half of its doubling

    def delay(self, failures: int, rand: Callable[[], float] = random.random) -> float:
        """The wait after `failures` failures in a row (0: the first failure's)."""
        ceiling = min(self.limit, self.first * 2 ** min(failures, 30))
        return ceiling / 2 + rand() * ceiling / 2 if self.jitter else ceiling
