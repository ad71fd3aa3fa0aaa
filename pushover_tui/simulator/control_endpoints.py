"""The /_sim/* endpoints: the simulator's test controls over HTTP, for tests in other languages."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import unquote

from pushover_tui.simulator.engine import Reply, error_reply, ok
from pushover_tui.simulator.parsing import Fields
from pushover_tui.simulator.validation import FieldError

if TYPE_CHECKING:
    from pushover_tui.simulator.server import Simulator

_ROUTES = {
    "/_sim/fault": "POST",
    "/_sim/release": "POST",
    "/_sim/requests": "GET",
    "/_sim/messages": "GET",
    "/_sim/glances": "GET",
}


def control_reply(sim: Simulator, method: str, path: str, fields: Fields) -> Reply:
    values = fields.values
    if path == "/_sim/push":
        if method != "POST":
            return not_allowed(method, "POST")
        try:
            count = sim.push_frame(values.get("frame", "").strip(), values.get("device"))
        except ValueError as exc:
            return error_reply([FieldError("frame", "invalid", str(exc))])
        return ok(sockets=count)
    if (match := re.fullmatch(r"/_sim/ack/([^/]+)", path)) is not None:
        if method != "POST":
            return not_allowed(method, "POST")
        device = values.get("device", "").strip() or "iphone"
        try:
            done = sim.ack(unquote(match.group(1)), device)
        except KeyError:
            return error_reply([FieldError("receipt", "not found", "receipt not found")], 404)
        return ok(acknowledged=int(done))
    allowed = _ROUTES.get(path)
    if allowed is None:
        return error_reply([FieldError(None, "", f"no such control endpoint: {path}")], 404)
    if method != allowed:
        return not_allowed(method, allowed)
    if path == "/_sim/fault":
        return _fault(sim, values)
    if path == "/_sim/release":
        sim.release()
        return ok()
    if path == "/_sim/requests":
        return Reply(200, [record.as_dict() for record in sim.requests])
    if path == "/_sim/glances":
        return Reply(200, sim.glances)
    return Reply(200, sim.messages)


def _fault(sim: Simulator, values: dict[str, str]) -> Reply:
    kind = values.get("kind", "").strip()
    try:
        count = int(values.get("count", "1") or "1")
        seconds_text = values.get("seconds", "").strip()
        seconds = float(seconds_text) if seconds_text else None
        sim.inject_fault(kind, count, seconds=seconds)
    except ValueError as exc:
        return error_reply([FieldError("kind", "invalid", str(exc))])
    return ok(pending=sim.pending_faults)


def not_allowed(method: str, allowed: str) -> Reply:
    reply = error_reply([FieldError(None, "", f"method {method} is not allowed here")], 405)
    return Reply(reply.status, reply.body, (("Allow", allowed),))
