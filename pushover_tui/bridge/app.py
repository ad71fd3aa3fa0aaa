"""The bridge's HTTP face: one endpoint, `POST /sentry`, on Starlette (the optional extra).

Order of work for every request, so Sentry hears back well within its 1-second timeout:
size limit -> signature (on the raw bytes, before any JSON is parsed) -> JSON -> commit to the
queue -> 202. Sending happens afterwards, in the service's worker task.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from pushover_tui.bridge.sentry import (
    HANDLED_RESOURCES,
    LEGACY,
    MAX_BODY,
    RESOURCE_HEADER,
    SIGNATURE_HEADER,
    PayloadError,
    job_for,
    same_secret,
    valid_signature,
)
from pushover_tui.bridge.service import BridgeService
from pushover_tui.bridge.settings import BridgeSettings

if TYPE_CHECKING:
    from pushover_tui.store.config import ActiveProfile

log = logging.getLogger("pushover_tui.bridge")

_SAFE = re.compile(r"[^A-Za-z0-9_.:-]")


class _TooLarge(Exception):
    pass


class _BadLength(Exception):
    pass


def _clean(value: Any, limit: int = 40) -> str:
    """A header or payload value made safe for one log line."""
    text = _SAFE.sub("?", str(value))[:limit]
    return text or "-"


async def _read_body(request: Request) -> bytes:
    length = request.headers.get("content-length")
    if length is not None:
        try:
            declared = int(length)
        except ValueError:
            raise _BadLength from None
        if declared > MAX_BODY:
            raise _TooLarge
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise _TooLarge
    return bytes(body)


def create_app(
    settings: BridgeSettings,
    active: ActiveProfile,
    data_folder: Path,
    *,
    outbox_options: Mapping[str, Any] | None = None,
) -> Starlette:
    service = BridgeService(settings, active, data_folder, outbox_options=outbox_options)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await service.start()
        try:
            yield
        finally:
            await service.stop()

    def reply(
        status: int,
        outcome: str,
        resource: str,
        action: str = "-",
        issue: str = "-",
        alert_id: int | None = None,
    ) -> JSONResponse:
        log.info(
            "sentry webhook resource=%s action=%s issue=%s outcome=%s%s",
            _clean(resource),
            _clean(action),
            _clean(issue),
            outcome,
            "" if alert_id is None else f" #{alert_id}",
        )
        body: dict[str, Any] = {"status" if status < 400 else "error": outcome}
        if alert_id is not None:
            body["id"] = alert_id
        return JSONResponse(body, status_code=status)

    async def sentry(request: Request) -> JSONResponse:
        resource = request.headers.get(RESOURCE_HEADER, "").strip().lower()
        kind = resource or LEGACY
        try:
            body = await _read_body(request)
        except _TooLarge:
            return reply(413, "body too large", kind)
        except _BadLength:
            return reply(400, "bad Content-Length", kind)

        if resource:
            if not settings.client_secret:
                return reply(401, "bad signature (no client_secret configured)", kind)
            signature = request.headers.get(SIGNATURE_HEADER)
            if not valid_signature(body, signature, settings.client_secret.reveal()):
                return reply(401, "bad signature", kind)
        elif not settings.shared_secret:
            return reply(401, "bad secret (no shared_secret configured)", kind)
        elif not same_secret(request.query_params.get("secret"), settings.shared_secret.reveal()):
            return reply(401, "bad secret", kind)

        if resource and resource not in HANDLED_RESOURCES:
            return reply(202, "ignored", kind)
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return reply(400, "malformed JSON", kind)
        action = payload.get("action", "") if isinstance(payload, dict) else ""
        action = action if isinstance(action, str) else ""
        try:
            job = job_for(
                kind,
                action,
                payload,
                settings,
                request_id=request.headers.get("request-id", ""),
            )
        except PayloadError as error:
            return reply(400, f"unrecognised payload: {error}", kind, action)
        if job is None:
            return reply(202, "ignored", kind, action)
        alert_id = service.accept(job)
        if alert_id is None:
            return reply(202, "duplicate", kind, job.action, job.issue)
        outcome = "queued" if job.kind == "send" else "cancel queued"
        return reply(202, outcome, kind, job.action, job.issue, alert_id)

    app = Starlette(routes=[Route("/sentry", sentry, methods=["POST"])], lifespan=lifespan)
    app.state.service = service
    return app
