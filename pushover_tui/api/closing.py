"""`async with x:` closes `x` at the end: one way for every object that holds connections
(clients, the outbox, the inbox) to be used as an async context manager."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class AsyncClosing:
    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        raise NotImplementedError
