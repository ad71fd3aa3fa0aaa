"""Pooled monthly quota (Pushover, since 1 May 2026): an account's applications share one pool.

Every app belongs to one account (by default an account of its own); every app of an account
reports the same limit, remaining and reset. A message costs one per user it reaches, so a
message to a delivery group costs its enabled members. Callers hold the engine's lock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from pushover_tui.simulator.models import next_reset

TEAM_LIMIT = 25_000  # a Teams organization's monthly pool


@dataclass(frozen=True)
class Pool:
    used: int
    reset: int  # Unix time at which this count stops applying
    limit: int | None = None  # None: the simulator's monthly limit


class Pools:
    def __init__(self, default_limit: int, clock: Callable[[], float]) -> None:
        self.default_limit = default_limit
        self._clock = clock
        self.account_of: dict[str, str] = {}  # app token -> account name
        self._pools: dict[str, Pool] = {}

    def add_app(self, token: str, account: str | None = None) -> None:
        """An app of `account` (its own account when None); an app already known keeps its
        account unless one is named."""
        if account is None and token in self.account_of:
            return
        name = account if account is not None else f"app:{token}"
        self.account_of[token] = name
        self._pools.setdefault(name, Pool(0, next_reset(self._clock())))

    def set_account_limit(self, account: str, limit: int) -> None:
        pool = self._pools.setdefault(account, Pool(0, next_reset(self._clock())))
        self._pools[account] = replace(pool, limit=limit)

    def _pool(self, token: str, now: float) -> tuple[str, Pool]:
        """The token's account and its pool for the current month (rolled over once the reset
        time passes)."""
        account = self.account_of[token]
        pool = self._pools[account]
        if now >= pool.reset:
            pool = replace(pool, used=0, reset=next_reset(now))
            self._pools[account] = pool
        return account, pool

    def numbers(self, token: str, now: float) -> tuple[int, int, int]:
        """(limit, remaining, reset) of the token's account."""
        _, pool = self._pool(token, now)
        limit = self.default_limit if pool.limit is None else pool.limit
        return limit, max(0, limit - pool.used), pool.reset

    def spend(self, token: str, count: int, now: float) -> None:
        account, pool = self._pool(token, now)
        self._pools[account] = replace(pool, used=pool.used + count)

    def set_remaining(self, token: str, remaining: int, now: float) -> None:
        account, pool = self._pool(token, now)
        limit = self.default_limit if pool.limit is None else pool.limit
        self._pools[account] = replace(pool, used=limit - remaining)
