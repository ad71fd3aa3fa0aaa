"""The profile's Pushover team, through its Team API token (Textual-free).

The token is the profile's `team_token` (or PUSHOVER_TEAM_TOKEN), never the application token;
without one nothing is asked of Pushover and the dashboard says how to set it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pushover_tui.api.beyond_messages import Team
from pushover_tui.api.errors import NoCredentialsError

if TYPE_CHECKING:
    from pushover_tui.api.client import PushoverClient
    from pushover_tui.tui.session import Session

HOW_TO_SET = (
    "No Team API token for this profile: set it with `pushover-tui config set team_token -` "
    "or PUSHOVER_TEAM_TOKEN (an administrator finds it in the team's settings on pushover.net)."
)


class TeamAccount:
    def __init__(self, session: Session) -> None:
        self._session = session

    @property
    def configured(self) -> bool:
        return bool(self._session.active.profile.team_token)

    def _client(self) -> PushoverClient:
        from pushover_tui.api.client import PushoverClient

        active = self._session.active
        if not active.profile.team_token:
            raise NoCredentialsError(HOW_TO_SET)
        options = {} if active.timeout is None else {"timeout": active.timeout}
        return PushoverClient(active.profile.team_token, base_url=active.api_url, **options)

    async def show(self) -> Team:
        async with self._client() as client:
            return await client.team()

    async def add(self, email: str, *, name: str = "", admin: bool = False) -> None:
        """Pushover e-mails the new member a password (none is typed in the dashboard)."""
        self._session.refuse_if_read_only("add a team member")
        async with self._client() as client:
            await client.add_team_member(email, name=name, admin=admin)

    async def remove(self, email: str) -> None:
        self._session.refuse_if_read_only("remove a team member")
        async with self._client() as client:
            await client.remove_team_member(email)
