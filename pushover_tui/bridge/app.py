"""The bridge's HTTP face on Starlette (the optional extra): `POST /sentry` and `GET /health`.

Order of work for every webhook, so Sentry hears back well within its 1-second timeout:
size limit and body timeout -> signature (on the raw bytes, before any JSON is parsed) -> JSON
(depth-limited) -> commit to the queue (off the event loop, 503 if it cannot be done in time)
-> 202. Sending happens afterwards, in the service's worker task on the same loop.

No request can make a traceback: every outcome, a client going away included, is one log line
(the bridge's logger escapes control characters) and a JSON answer.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pushover_tui.bridge.http_guard import BODY_TIMEOUT
from pushover_tui.bridge.sentry import (
    HANDLED_RESOURCES,
    LEGACY,
    MAX_BODY,
    RESOURCE_HEADER,
    SIGNATURE_HEADER,
    PayloadError,
    job_for,
    same_secret,
    too_deep,
    valid_signature,
)
from pushover_tui.bridge.service import BridgeService
from pushover_tui.store.alert_queue import AlertQueueError

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


def create_app(service: BridgeService, *, body_timeout: float = BODY_TIMEOUT) -> Starlette:
    settings = service.settings

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
        *,
        close: bool = False,
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
        headers = {"connection": "close"} if close else None
        return JSONResponse(body, status_code=status, headers=headers)

    async def sentry(request: Request) -> Response:
        resource = request.headers.get(RESOURCE_HEADER, "").strip().lower()
        kind = resource or LEGACY
        try:
            async with asyncio.timeout(body_timeout):
                body = await _read_body(request)
        except _TooLarge:
            return reply(413, "body too large", kind, close=True)
        except _BadLength:
            return reply(400, "bad Content-Length", kind, close=True)
        except TimeoutError:
            return reply(408, f"body not received within {body_timeout:g} s", kind, close=True)
        except ClientDisconnect:
            log.info("sentry webhook resource=%s: the client went away mid-body", _clean(kind))
            return Response(status_code=400)  # nobody is listening

        secrets = request.query_params.getlist("secret")
        if len(secrets) > 1:  # which one a proxy or framework would pick is anyone's guess
            return reply(401, "bad secret (given more than once)", kind)
        if resource:
            if not settings.client_secret:
                return reply(401, "bad signature (no client_secret configured)", kind)
            signature = request.headers.get(SIGNATURE_HEADER)
            if not valid_signature(body, signature, settings.client_secret.reveal()):
                return reply(401, "bad signature", kind)
        elif not settings.shared_secret:
            return reply(401, "bad secret (no shared_secret configured)", kind)
        elif not same_secret(secrets[0] if secrets else None, settings.shared_secret.reveal()):
            return reply(401, "bad secret", kind)

        if resource and resource not in HANDLED_RESOURCES:
            return reply(202, "ignored", kind)
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return reply(400, "malformed JSON", kind)
        except RecursionError:  # deeper than the parser goes: far beyond MAX_DEPTH
            return reply(400, "JSON nested too deep", kind)
        if too_deep(payload):
            return reply(400, "JSON nested too deep", kind)
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
        try:
            alert_id = await service.accept(job)
        except AlertQueueError as error:
            log.error("%s", error)
            return reply(503, "not stored, the queue cannot be written", kind, action, job.issue)
        if alert_id is None:
            return reply(202, "duplicate", kind, job.action, job.issue)
        outcome = "queued" if job.kind == "send" else "cancel queued"
        return reply(202, outcome, kind, job.action, job.issue, alert_id)

    async def guarded(request: Request) -> Response:
        try:
            return await sentry(request)
        except Exception as error:  # a bug: one line, never a traceback anyone can trigger
            log.error("sentry webhook: unexpected error (%s)", type(error).__name__)
            return JSONResponse({"error": "unexpected error"}, status_code=500)

    async def health(request: Request) -> Response:
        state = service.health()
        return JSONResponse(state.to_json(time.time()), status_code=200 if state.healthy else 503)

    app = Starlette(
        routes=[
            Route("/sentry", guarded, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.service = service
    return app
