"""History's overview: messages per local day, counts by status and origin, the median time to
acknowledgement of emergencies, and the latest quota Pushover reported.

Invariant: nothing here reads more rows as the history grows. The counts come from the small
tables that triggers on `messages` keep equal to a recount (`message_counts`, `ack_seconds`: see
the `_OVERVIEW` migration in store/history.py), the quota from the newest rows through an index;
an overview of 100,000 messages costs what one of 100 does (tests/benchmarks/run.py,
`--only history-overview`). A shared PostgreSQL keeps the same counts with statement triggers
(its migration 4, `PostgresStore.overview_counts`), days as UTC quarter-hours that the reader
sums into its local days by this host's current UTC offset.

Imported on start-up: stdlib and store/ only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from pushover_tui.api.models import Quota
from pushover_tui.store.history import Status

if TYPE_CHECKING:
    from pushover_tui.store.base import OverviewCounts, Store
    from pushover_tui.store.history import History

DAYS = 30


@dataclass(frozen=True)
class Overview:
    first_day: date  # the local date per_day[0] counts
    per_day: tuple[int, ...]  # messages created each local day, oldest first, today last
    by_status: Mapping[Status, int]  # every status, 0 when none
    by_origin: Mapping[str, int]  # "tui", "cli", "sentry"... only those with messages
    acknowledged: int  # acknowledged emergencies the median is taken over
    median_ack_seconds: float | None  # from sending to acknowledgement; None when none
    quota: Quota  # the newest quota seen (blank when none): a 429 leaves remaining 0

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def days(self) -> tuple[date, ...]:
        return tuple(self.first_day + timedelta(days=index) for index in range(len(self.per_day)))


def overview(
    history: Store,
    *,
    profile: str | None = None,
    today: date | None = None,
    days: int = DAYS,
) -> Overview:
    """The overview of every message, or of `profile`'s; `today` is the local date by default."""
    today = today or date.today()
    first_day = today - timedelta(days=days - 1)
    counts, per_day, ack_seconds, quota = history.overview_counts(profile, first_day, today)
    by_status = {status: 0 for status in Status}
    by_origin: dict[str, int] = {}
    for kind, key, n in counts:
        if n > 0 and kind == "status" and key in by_status:
            by_status[Status(key)] = n
        elif n > 0 and kind == "origin":
            by_origin[key] = n
    acknowledged = sum(n for _, n in ack_seconds)
    return Overview(
        first_day=first_day,
        per_day=tuple(
            max(0, per_day.get((first_day + timedelta(days=index)).isoformat(), 0))
            for index in range(days)
        ),
        by_status=MappingProxyType(by_status),
        by_origin=MappingProxyType(dict(sorted(by_origin.items()))),
        acknowledged=acknowledged,
        median_ack_seconds=_median(ack_seconds, acknowledged),
        quota=quota or Quota(),
    )


def sqlite_counts(
    history: History, profile: str | None, first_day: date, today: date
) -> OverviewCounts:
    """History.overview_counts: four reads of the counts the triggers keep."""
    with history.reading() as connection:
        counts, day_counts, ack_seconds, quota = (
            connection.execute(sql, args).fetchall()
            for sql, args in _statements(profile, first_day, today)
        )
    return counts, json.loads(day_counts[0][0]), ack_seconds, Quota(*quota[0]) if quota else None


def _statements(profile: str | None, first_day: date, today: date) -> list[tuple[str, list[Any]]]:
    """The overview's four reads: counts by status and origin, by day, the acknowledgement
    times (value, how many) in order, and the newest row that carries a quota (read through
    the (profile, created_at) or (created_at) index backwards, stopping at the first match)."""
    mine, args = ("AND profile = ?", [profile]) if profile is not None else ("", [])
    days = [first_day.isoformat(), today.isoformat()]
    return [
        (
            "SELECT kind, key, sum(n) FROM message_counts WHERE kind IN ('status', 'origin')"
            f" {mine} GROUP BY kind, key",
            args,
        ),
        (
            # One row, {day: count}: a row per day would cost the Python side 1 µs each.
            "SELECT json_group_object(key, total) FROM (SELECT key, sum(n) AS total"
            " FROM message_counts WHERE kind = 'day' AND key BETWEEN ? AND ?"
            f" {mine} GROUP BY key)",
            [*days, *args],
        ),
        (
            f"SELECT seconds, sum(n) FROM ack_seconds WHERE true {mine} GROUP BY seconds"
            " HAVING sum(n) > 0 ORDER BY seconds",
            args,
        ),
        (_quota_sql("quota_limit, quota_remaining, quota_reset", mine), args),
    ]


def _quota_sql(columns: str, mine: str) -> str:
    """The newest row that carries a quota, through the created_at index backwards."""
    return (
        f"SELECT {columns} FROM messages"
        f" WHERE (quota_remaining IS NOT NULL OR quota_limit IS NOT NULL) {mine}"
        " ORDER BY created_at DESC LIMIT 1"
    )


def latest_quota(history: Store, profile: str) -> tuple[float, Quota] | None:
    """The newest quota any process recorded for `profile`, with its row's created_at (None:
    no row carries one). The dashboard's status line shows it (one source of truth)."""
    return history.latest_quota(profile)


def sqlite_latest_quota(history: History, profile: str) -> tuple[float, Quota] | None:
    """History.latest_quota, through the (profile, created_at) index backwards."""
    sql = _quota_sql("created_at, quota_limit, quota_remaining, quota_reset", "AND profile = ?")
    with history.reading() as connection:
        row = connection.execute(sql, [profile]).fetchone()
    return None if row is None else (float(row[0]), Quota(*row[1:]))


def _median(histogram: list[Any], total: int) -> float | None:
    """The median of `total` values given as sorted (value, how many) pairs."""
    if total <= 0:
        return None
    middle = {(total - 1) // 2, total // 2}  # one position when odd, the two middle ones when even
    picked: list[int] = []
    seen = 0
    for value, n in histogram:
        picked += [value] * sum(1 for position in middle if seen <= position < seen + n)
        seen += n
        if len(picked) == len(middle):
            break
    return sum(picked) / len(picked)


def _query_plans(history: History, profile: str | None = None) -> list[list[str]]:
    """EXPLAIN QUERY PLAN of each of the overview's reads, for tests that keep them cheap."""
    today = date.today()
    with history.reading() as connection:
        return [
            [row[-1] for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}", args)]
            for sql, args in _statements(profile, today - timedelta(days=DAYS - 1), today)
        ]
