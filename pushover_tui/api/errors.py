"""One small exception tree. Messages never contain a token or user key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pushover_tui.api.checks import Problem
    from pushover_tui.api.models import Group


class PushoverError(Exception):
    """Base of every error this package raises on purpose."""

    # Did a server answer the request (any HTTP answer, an error page too)? False only when
    # nothing did: no connection, a timeout, or no request made.
    answered = True


class FieldProblemsError(PushoverError):
    """The message or settings break a documented rule: nothing was sent."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(problem) for problem in problems))


class APIError(PushoverError):
    """Pushover answered and refused. Never retried as is."""

    show_fields = True  # name the fields Pushover flagged in the text

    def __init__(
        self,
        summary: str,
        *,
        status_code: int,
        errors: tuple[str, ...] = (),
        fields: Mapping[str, str] | None = None,
        request_id: str = "",
    ) -> None:
        self.status_code = status_code
        self.errors = errors
        self.fields = dict(fields or {})
        self.request_id = request_id
        detail = "; ".join(errors)
        text = f"{summary}: {detail}" if detail else summary
        if self.fields and self.show_fields:
            text += " [" + ", ".join(f"{key}: {value}" for key, value in self.fields.items()) + "]"
        if request_id:
            text += f" (request {request_id})"
        super().__init__(text)


class RejectedError(APIError):
    """HTTP 4xx (but 429) or status 0: the input is wrong (bad key, field, device...)."""


class QuotaExceededError(APIError):
    """HTTP 429: the monthly message quota is used up until `reset` (Unix time, if known)."""

    show_fields = False  # a 429 body may say "token": "invalid"; the token is not the problem

    def __init__(self, summary: str, *, reset: int | None = None, **kwargs: object) -> None:
        self.reset = reset
        super().__init__(summary, **kwargs)  # type: ignore[arg-type]


class TemporaryError(PushoverError):
    """Server error, timeout or no connection, still failing after the allowed retries."""

    def __init__(self, text: str, *, attempts: int = 1, status_code: int | None = None) -> None:
        self.attempts = attempts
        self.status_code = status_code  # the last attempt's HTTP answer (None: nothing answered)
        self.answered = status_code is not None
        super().__init__(text)


class UnexpectedResponseError(PushoverError):
    """The server answered something that is not the API's JSON."""

    def __init__(self, text: str, *, status_code: int) -> None:
        self.status_code = status_code  # 0: no request was made
        self.answered = status_code != 0
        super().__init__(text)


class GroupNameError(PushoverError):
    """A group name matched no group, or several: `candidates` are the groups to choose from."""

    def __init__(self, text: str, *, candidates: tuple[Group, ...] = ()) -> None:
        self.candidates = candidates
        super().__init__(text)


class ConfigurationError(PushoverError):
    """A setting makes it impossible to talk to the API (no keys, an unsafe base URL...)."""


class NoCredentialsError(ConfigurationError):
    """The active profile has no token or no user key yet."""


# -- the inbox (Open Client API) ------------------------------------------------------------


class TwoFactorRequiredError(RejectedError):
    """HTTP 412 at login: the account uses two-factor authentication; log in again with the
    current code (or the code given was not accepted)."""


class SessionInvalidError(RejectedError):
    """The inbox's session secret or device is no longer accepted (an `E` frame, or a 4xx on a
    download): log in again. Never retried."""


class SessionClosedElsewhereError(RejectedError):
    """This device was logged in from another session (an `A` frame): stop. Never retried."""
