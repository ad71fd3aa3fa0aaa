"""The one backoff helper: doubling waits up to a limit, with or without jitter."""

from __future__ import annotations

from pushover_tui.backoff import Backoff


def test_without_jitter_the_waits_double_to_the_limit():
    backoff = Backoff(first=1.0, limit=30.0, jitter=False)
    assert [backoff.delay(n) for n in range(7)] == [1, 2, 4, 8, 16, 30, 30]


def test_many_failures_never_overflow():
    assert Backoff(first=0.5, limit=60.0, jitter=False).delay(10**6) == 60.0
