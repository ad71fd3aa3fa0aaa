"""Sentry webhooks in, pipeline jobs out: signature checks and the old plugin's message format.

Pure functions, no Starlette and no I/O, so they are tested on their own.

Plugin parity (sentry-plugins' Pushover plugin): title `"<project name>: <issue title>"` cut to
250; message = event title cut to 256 + `"\\n\\nTags: k=v, k=v"`, the whole cut to 1024; url = the
issue's link, url_title `"Issue Details"`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pushover_tui.api.checks import MESSAGE_MAX, TITLE_MAX, URL_MAX
from pushover_tui.api.models import Message
from pushover_tui.bridge.settings import BridgeSettings
from pushover_tui.safe_text import strip_controls

MAX_BODY = 1024 * 1024  # 1 MiB
# Sentry's payloads nest about 10 deep; refusing far deeper ones keeps every later step (str(),
# json.dumps) clear of Python's recursion limit.
MAX_DEPTH = 64
EVENT_TITLE_MAX = 256
URL_TITLE = "Issue Details"
METRIC_URL_TITLE = "Alert Details"

RESOURCE_HEADER = "sentry-hook-resource"
SIGNATURE_HEADER = "sentry-hook-signature"
HANDLED_RESOURCES = frozenset({"event_alert", "issue", "metric_alert"})
CANCEL_ISSUE_ACTIONS = frozenset({"resolved", "ignored", "archived"})
LEGACY = "legacy"

_PROJECT_SLUG = re.compile(r"/projects/[^/]+/([^/]+)/events/")
_ISSUE_IN_URL = re.compile(r"/issues/(\d+)")


class PayloadError(ValueError):
    """Valid JSON, but not a payload we understand (the sentence says what is missing)."""


@dataclass(frozen=True)
class Job:
    """One accepted webhook: a message to send, or a tag whose emergencies to cancel."""

    kind: Literal["send", "cancel"]
    key: str  # unique: a duplicate delivery of the same (issue, event) is sent once
    tag: str  # sentry-issue-<id> / sentry-metric-<alert rule id>
    resource: str
    action: str
    issue: str  # issue id (metric alerts: the alert rule id), for logs and history
    message: Message | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def priority(self) -> int:
        """Emergencies go first; a cancel has no priority of its own."""
        return 0 if self.message is None else int(self.message.priority)


# -- verification ----------------------------------------------------------------------------


def sign(body: bytes, secret: str) -> str:
    """Sentry's Sentry-Hook-Signature: lowercase hex HMAC-SHA256 of the raw body."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def valid_signature(body: bytes, signature: str | None, secret: str) -> bool:
    if not secret or not signature:
        return False
    expected = sign(body, secret).encode("ascii")
    # Headers are decoded as latin-1, so this never fails; compare_digest is constant-time.
    return hmac.compare_digest(expected, signature.strip().encode("latin-1", "replace"))


def same_secret(given: str | None, secret: str) -> bool:
    if not secret or given is None:
        return False
    return hmac.compare_digest(given.encode("utf-8", "replace"), secret.encode("utf-8"))


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether parsed JSON nests objects and arrays more than `limit` deep (without recursing)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


# -- helpers ---------------------------------------------------------------------------------


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PayloadError(f"{what} is missing or not an object")
    return value


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _line(text: str) -> str:
    """`text` for a one-line field: Sentry's texts may hold escape sequences (a log line's
    colours) or line breaks, which the API check refuses there; strip them, never drop the alert."""
    return strip_controls(text).replace("\n", " ").replace("\t", " ")


def tag_pairs(tags: Any) -> list[tuple[str, str]]:
    """Sentry's tags as (key, value) pairs sorted by key: [[k, v]], [{key, value}] or {k: v}."""
    pairs: list[tuple[str, str]] = []
    if isinstance(tags, Mapping):
        pairs = [(str(k), _text(v)) for k, v in tags.items()]
    elif isinstance(tags, list):
        for item in tags:
            if isinstance(item, list | tuple) and len(item) == 2:
                pairs.append((str(item[0]), _text(item[1])))
            elif isinstance(item, Mapping) and "key" in item:
                pairs.append((str(item["key"]), _text(item.get("value"))))
    return sorted(pairs, key=lambda pair: pair[0])


def issue_link(web_url: str) -> str:
    """The issue's page from an event's page: .../issues/<id>/events/<event>/ -> .../issues/<id>/"""
    head, found, _ = web_url.partition("/events/")
    return head + "/" if found and _ISSUE_IN_URL.search(head) else web_url


def _without_referrer(url: str) -> str:
    parts = urlsplit(url)
    if not parts.query.startswith("referrer="):
        return url
    return urlunsplit(parts._replace(query=""))


def plugin_message(
    *,
    project: str,
    issue_title: str,
    event_title: str,
    tags: list[tuple[str, str]],
    link: str,
    priority: int,
    settings: BridgeSettings,
    tag: str,
) -> Message:
    """Exactly what the old Pushover plugin sent, with the bridge's sending options."""
    message = event_title[:EVENT_TITLE_MAX]
    if tags:
        message += "\n\nTags: " + ", ".join(f"{key}={value}" for key, value in tags)
    return _message(
        title=f"{project}: {issue_title}",
        text=message,
        link=link,
        url_title=URL_TITLE,
        priority=priority,
        settings=settings,
        tag=tag,
    )


def _message(
    *,
    title: str,
    text: str,
    link: str,
    url_title: str,
    priority: int,
    settings: BridgeSettings,
    tag: str,
) -> Message:
    return Message(
        message=strip_controls(text)[:MESSAGE_MAX],
        title=_line(title)[:TITLE_MAX],
        url=_line(link)[:URL_MAX],
        url_title=url_title if link else "",
        priority=priority,
        sound=settings.sound,
        device=settings.device,
        retry=settings.retry,
        expire=settings.expire,
        tags=(tag,),  # sent only with priority 2 (Message.form)
    )


def _event_level(event: Mapping[str, Any], tags: list[tuple[str, str]]) -> str:
    level = _text(event.get("level"))
    if not level:
        level = next((value for key, value in tags if key == "level"), "")
    return level


# -- payloads --------------------------------------------------------------------------------


def job_for(
    resource: str,
    action: str,
    payload: Any,
    settings: BridgeSettings,
    *,
    request_id: str = "",
) -> Job | None:
    """The job for one verified webhook; None when it is acknowledged and ignored."""
    payload = _mapping(payload, "the body")
    if resource == LEGACY:
        return _legacy(payload, settings)
    data = _mapping(payload.get("data"), "data")
    if resource == "event_alert":
        return _event_alert(action, data, settings)
    if resource == "issue":
        return _issue(action, data, request_id)
    if resource == "metric_alert":
        return _metric_alert(action, data, settings, request_id)
    return None


def _event_alert(action: str, data: Mapping[str, Any], settings: BridgeSettings) -> Job:
    event = _mapping(data.get("event"), "data.event")
    web_url = _text(event.get("web_url"))
    issue_id = _text(event.get("issue_id"))
    if not issue_id and (match := _ISSUE_IN_URL.search(web_url)):
        issue_id = match.group(1)
    event_id = _text(event.get("event_id") or event.get("id"))
    if not issue_id or not event_id:
        raise PayloadError("data.event has no issue_id or event_id")
    project_id = _text(event.get("project"))
    project = settings.projects.get(project_id, "")
    if not project and (match := _PROJECT_SLUG.search(_text(event.get("url")))):
        project = match.group(1)
    tags = tag_pairs(event.get("tags"))
    title = _text(event.get("title") or event.get("message")) or f"Issue {issue_id}"
    return _send_for_event(
        resource="event_alert",
        action=action or "triggered",
        project=project or project_id or "Sentry",
        issue_id=issue_id,
        event_id=event_id,
        title=title,
        tags=tags,
        link=issue_link(web_url),
        level=_event_level(event, tags),
        settings=settings,
    )


def _legacy(payload: Mapping[str, Any], settings: BridgeSettings) -> Job:
    """The WebHooks plugin: {id, project, project_name, level, message, url, event: {...}}."""
    event = payload.get("event")
    event = event if isinstance(event, Mapping) else {}
    issue_id = _text(payload.get("id"))
    event_id = _text(event.get("event_id") or event.get("id"))
    if not issue_id or not event_id:
        raise PayloadError("the legacy payload has no id or event.event_id")
    tags = tag_pairs(event.get("tags"))
    title = (
        _text(event.get("title") or payload.get("message") or payload.get("culprit"))
        or f"Issue {issue_id}"
    )
    project = _text(
        payload.get("project_name") or payload.get("project_slug") or payload.get("project")
    )
    return _send_for_event(
        resource=LEGACY,
        action="triggered",
        project=project or "Sentry",
        issue_id=issue_id,
        event_id=event_id,
        title=title,
        tags=tags,
        link=_without_referrer(_text(payload.get("url"))),
        level=_text(payload.get("level")) or _event_level(event, tags),
        settings=settings,
    )


def _send_for_event(
    *,
    resource: str,
    action: str,
    project: str,
    issue_id: str,
    event_id: str,
    title: str,
    tags: list[tuple[str, str]],
    link: str,
    level: str,
    settings: BridgeSettings,
) -> Job:
    tag = f"sentry-issue-{issue_id}"
    message = plugin_message(
        project=project,
        issue_title=title,
        event_title=title,
        tags=tags,
        link=link,
        priority=settings.priority_for(level),
        settings=settings,
        tag=tag,
    )
    meta = {
        "sentry_issue": issue_id,
        "sentry_event": event_id,
        "sentry_project": project,
        "sentry_resource": resource,
        "link": link,
    }
    if level:
        meta["sentry_level"] = level
    return Job(
        kind="send",
        # The same key for the integration and the legacy plugin: an event both deliver is
        # sent once.
        key=f"issue:{issue_id}:event:{event_id}",
        tag=tag,
        resource=resource,
        action=action,
        issue=issue_id,
        message=message,
        meta=meta,
    )


def _issue(action: str, data: Mapping[str, Any], request_id: str) -> Job | None:
    if action not in CANCEL_ISSUE_ACTIONS:
        return None  # created, assigned, unresolved: alerts come from alert rules
    issue = _mapping(data.get("issue"), "data.issue")
    issue_id = _text(issue.get("id"))
    if not issue_id:
        raise PayloadError("data.issue has no id")
    tag = f"sentry-issue-{issue_id}"
    project = issue.get("project")
    project = project if isinstance(project, Mapping) else {}
    project_name = _text(project.get("name") or project.get("slug")) or "Sentry"
    title = _text(issue.get("title")) or f"Issue {issue_id}"
    return Job(
        kind="cancel",
        key=f"cancel:{tag}:{action}:{request_id or uuid.uuid4().hex}",
        tag=tag,
        resource="issue",
        action=action,
        issue=issue_id,
        meta={
            "sentry_issue": issue_id,
            "link": _text(issue.get("web_url")),
            "title": f"{project_name}: {title}",
        },
    )


def _metric_alert(
    action: str, data: Mapping[str, Any], settings: BridgeSettings, request_id: str
) -> Job | None:
    incident = _mapping(data.get("metric_alert"), "data.metric_alert")
    rule = incident.get("alert_rule")
    rule = rule if isinstance(rule, Mapping) else {}
    rule_id = _text(rule.get("id"))
    incident_id = _text(incident.get("id") or incident.get("identifier"))
    if not rule_id or not incident_id:
        raise PayloadError("data.metric_alert has no alert_rule.id or id")
    tag = f"sentry-metric-{rule_id}"
    link = _text(data.get("web_url"))
    meta = {"sentry_metric_alert": rule_id, "sentry_incident": incident_id, "link": link}
    name = _text(rule.get("name") or incident.get("title")) or f"Alert rule {rule_id}"
    projects = incident.get("projects") or rule.get("projects") or []
    prefix = ""
    if isinstance(projects, list) and projects:
        prefix = f"{', '.join(str(p) for p in projects)}: "
    if action == "resolved":
        return Job(
            kind="cancel",
            key=f"cancel:{tag}:{incident_id}:{request_id or uuid.uuid4().hex}",
            tag=tag,
            resource="metric_alert",
            action=action,
            issue=rule_id,
            meta={**meta, "title": prefix + name},
        )
    if action not in ("critical", "warning"):
        return None
    title = prefix + (_text(data.get("description_title")) or f"{action.title()}: {name}")
    text = _text(data.get("description_text")) or title
    message = _message(
        title=title,
        text=text,
        link=link,
        url_title=METRIC_URL_TITLE,
        priority=settings.priority_for(action),
        settings=settings,
        tag=tag,
    )
    return Job(
        kind="send",
        key=f"metric:{incident_id}:{action}",
        tag=tag,
        resource="metric_alert",
        action=action,
        issue=rule_id,
        message=message,
        meta=meta,
    )


def resolved_notice(
    *,
    resource: str,
    action: str,
    title: str,
    cancelled: int,
    link: str,
    settings: BridgeSettings,
) -> Message:
    """`notify_resolved`: the quiet (priority -1) "Resolved: <title>" sent after an issue's
    emergencies were cancelled; <title> is the cancelled alert's title."""
    word = action.title() or "Resolved"
    plural = "" if cancelled == 1 else "s"
    return Message(
        message=f"{word} in Sentry: {cancelled} emergency notification{plural} cancelled.",
        title=_line(f"{word}: {title}")[:TITLE_MAX],
        url=_line(link)[:URL_MAX],
        url_title=(METRIC_URL_TITLE if resource == "metric_alert" else URL_TITLE) if link else "",
        priority=-1,
        sound=settings.sound,
        device=settings.device,
    )


__all__ = [
    "HANDLED_RESOURCES",
    "MAX_BODY",
    "MAX_DEPTH",
    "Job",
    "PayloadError",
    "job_for",
    "plugin_message",
    "resolved_notice",
    "sign",
    "too_deep",
    "valid_signature",
]
