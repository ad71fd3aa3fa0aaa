"""Glances the dashboard sends, and Pushover's advice about their pace (Textual-free).

Pushover does not throttle glances, but advises at least 20 minutes between updates for the
watch, and watchOS takes 50 a day (then nothing until the night resets it). The dashboard
shows that advice and warns when a send would go past it; it never blocks a send."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from pushover_tui.api.beyond_messages import GLANCE_DAILY, GLANCE_MIN_GAP, Glance

if TYPE_CHECKING:
    from pushover_tui.tui.session import Session

ADVICE = (
    "Pushover's advice: at least 20 minutes between updates; watchOS takes 50 a day. "
    "Sooner or more is sent anyway, and may not show."
)


@dataclass(frozen=True)
class SentGlance:
    glance: Glance
    at: float  # Unix time it was accepted
    request: str

    def summary(self) -> str:
        """Its fields as one line: `title 'Sales', count 3`."""
        return self.glance.summary()


def pace_warnings(sent: list[SentGlance], now: float) -> list[str]:
    """What a glance sent now would go past of Pushover's advice (nothing: []), in sentences."""
    warnings: list[str] = []
    if sent:
        gap = now - sent[-1].at
        if gap < GLANCE_MIN_GAP:
            minutes = max(0, int(gap // 60))
            warnings.append(
                f"The last glance went {minutes} min ago: Pushover advises 20 minutes between "
                "updates."
            )
    midnight = datetime.fromtimestamp(now).replace(hour=0, minute=0, second=0, microsecond=0)
    today = sum(1 for item in sent if item.at >= midnight.timestamp())
    if today >= GLANCE_DAILY:
        warnings.append(
            f"{today} sent today: watchOS takes {GLANCE_DAILY} a day; more may not show until "
            "tomorrow."
        )
    return warnings


class Glances:
    """The glances this profile sent from this dashboard, newest last."""

    def __init__(self, session: Session, clock: Callable[[], float] = time.time) -> None:
        self._session = session
        self._clock = clock
        self._sent: dict[str, list[SentGlance]] = {}  # by profile name

    @property
    def sent(self) -> list[SentGlance]:
        return list(self._sent.get(self._session.active.profile.name, ()))

    def today(self) -> int:
        midnight = datetime.fromtimestamp(self._clock()).replace(hour=0, minute=0, second=0)
        return sum(1 for item in self.sent if item.at >= midnight.timestamp())

    def warnings(self) -> list[str]:
        return pace_warnings(self.sent, self._clock())

    async def send(self, glance: Glance) -> SentGlance:
        """To the profile's user, recorded in History; ReadOnlyError or FieldProblemsError before
        any request, PushoverError after."""
        session = self._session
        session.refuse_if_read_only("send glances")
        sent = await session.outbox.send_glance(glance)
        item = SentGlance(glance, self._clock(), sent.result.request)
        self._sent.setdefault(session.active.profile.name, []).append(item)
        return item
