"""History's overview above the list: messages per day for 30 days (a sparkline), counts by
status and origin, the median time to acknowledgement of emergencies, and the quota as a gauge
with its reset date. Three lines, or one on a short terminal. It reads `store.overview`, which
costs the same whatever the history's size."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from pushover_tui.store.history import Status
from pushover_tui.store.overview import Overview
from pushover_tui.tui.widgets.choices import duration
from pushover_tui.tui.wording import local_time

BARS = "▁▂▃▄▅▆▇█"
ORIGINS = {"tui": "dashboard", "cli": "command line", "sentry": "Sentry"}
STATUS_STYLES = {
    Status.SENT: "$success",
    Status.FAILED: "$error",
    Status.INTERRUPTED: "$accent",
    Status.SENDING: "$warning",
}


def sparkline(values: tuple[int, ...]) -> str:
    """One bar per value, scaled to the largest; a blank-looking bar for none."""
    top = max(values, default=0)
    if top == 0:
        return BARS[0] * len(values)
    return "".join(
        BARS[0] if value == 0 else BARS[max(1, round(value / top * 7))] for value in values
    )


def gauge(remaining: int, limit: int, width: int = 10) -> str:
    full = round(width * remaining / limit) if limit else 0
    return "█" * full + "░" * (width - full)


def overview_text(view: Overview, *, compact: bool, width: int = 78) -> Content:
    days = len(view.per_day)
    activity = Content.assemble(
        (sparkline(view.per_day), "$accent"), f" {sum(view.per_day):,} in {days} days"
    )
    statuses = [
        Content.styled(f"{count:,} {status}", STATUS_STYLES[status])
        for status, count in view.by_status.items()
        if count
    ]
    origins = [
        f"{count:,} {ORIGINS.get(origin, origin)}" for origin, count in view.by_origin.items()
    ]
    ack = (
        f"acknowledged in {duration(round(view.median_ack_seconds))} (median of "
        f"{view.acknowledged:,})"
        if view.median_ack_seconds is not None
        else "no emergency acknowledged yet"
    )
    quota = view.quota
    if quota.remaining is not None and quota.limit:
        reset = local_time(quota.reset) if quota.reset else None
        until = f", resets {reset:%b %d}" if reset is not None else ""
        quota_text = Content.assemble(
            "account quota ",
            (gauge(quota.remaining, quota.limit), "$success" if quota.remaining else "$error"),
            f" {quota.remaining:,} of {quota.limit:,} left{until}",
        )
    else:
        quota_text = Content("account quota unknown until the next send")
    dot = Content(" · ")
    if compact:  # one line: what fits of the most telling parts
        parts = [activity, *statuses[:2]]
        if view.median_ack_seconds is not None:
            parts.append(Content(f"acked in {duration(round(view.median_ack_seconds))}"))
        while len(parts) > 1 and dot.join(parts).cell_length > width:
            parts.pop()
        return dot.join(parts)
    return Content("\n").join(
        [
            activity + Content("   ") + dot.join(statuses or [Content("no messages")]),
            Content("from ")
            + dot.join([Content(text) for text in origins] or [Content("nowhere yet")]),
            Content(ack) + Content("   ") + quota_text,
        ]
    )


class OverviewPanel(Static):
    """Shows an Overview; `compact`: one line."""

    def show(self, view: Overview, *, compact: bool) -> None:
        width = self.content_region.width or 78
        self.update(overview_text(view, compact=compact, width=width))
