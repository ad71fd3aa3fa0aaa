"""Request bodies -> fields: form, multipart (stdlib email parser) and JSON. Never raises anything
but BadRequest, so a malformed body becomes a 400 answer instead of a dead handler thread."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from urllib.parse import parse_qsl

from pushover_tui.simulator.models import Upload


class BadRequest(Exception):
    """The request could not be read at all (400 with one sentence, and a field key if known)."""

    def __init__(self, sentence: str, field: str | None = None) -> None:
        super().__init__(sentence)
        self.sentence = sentence
        self.field = field


@dataclass(frozen=True)
class Fields:
    values: dict[str, str] = field(default_factory=dict)  # normalised text, for the checks
    raw: dict[str, object] = field(default_factory=dict)  # exactly as received (JSON keeps types)
    uploads: dict[str, Upload] = field(default_factory=dict)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.raw) | set(self.uploads)))


def parse_query(query: str) -> dict[str, str]:
    try:
        # Later duplicates win, as in most web frameworks.
        return dict(parse_qsl(query, keep_blank_values=True, errors="strict"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest("query string is not valid UTF-8") from exc


def _json_text(name: str, value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):  # before int: bool is an int subclass
        return "1" if value else "0"
    if isinstance(value, str | int | float):
        return str(value)
    raise BadRequest(f"{name} must be a string or a number", field=name)


def _parse_json(body: bytes) -> Fields:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest("request body is not valid JSON") from exc
    if not isinstance(data, dict):
        raise BadRequest("JSON request body must be an object")
    values: dict[str, str] = {}
    for name, value in data.items():
        text = _json_text(name, value)
        if text is not None:
            values[name] = text
    return Fields(values=values, raw=dict(data))


def _parse_multipart(content_type: str, body: bytes) -> Fields:
    head = b"Content-Type: " + content_type.encode("latin-1") + b"\r\nMIME-Version: 1.0\r\n\r\n"
    try:
        message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    except Exception as exc:  # the email package raises many kinds on garbage
        raise BadRequest("multipart body is malformed") from exc
    if not message.is_multipart() or message.get_boundary() is None:
        raise BadRequest("multipart body is malformed")
    values: dict[str, str] = {}
    uploads: dict[str, Upload] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or not name:
            raise BadRequest("multipart part without a field name")
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is not None or name == "attachment":
            # requests sends no Content-Type for a file given without one; record that as None
            # rather than the email package's text/plain default.
            kind = part.get_content_type() if part.get("Content-Type") else None
            uploads[name] = Upload(filename=filename, content_type=kind, data=data)
            continue
        charset = part.get_content_charset() or "utf-8"
        try:
            values[name] = data.decode(charset)
        except (LookupError, UnicodeDecodeError) as exc:
            raise BadRequest(f"{name} is not valid {charset} text", field=name) from exc
    return Fields(values=values, raw=dict(values), uploads=uploads)


def parse_body(content_type: str | None, body: bytes) -> Fields:
    """Fields of a request body; an empty body has none whatever its content type."""
    if not body:
        return Fields()
    mime = (content_type or "application/x-www-form-urlencoded").split(";")[0].strip().lower()
    if mime == "application/x-www-form-urlencoded":
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadRequest("request body is not valid UTF-8") from exc
        values = parse_query(text)
        return Fields(values=values, raw=dict(values))
    if mime == "multipart/form-data":
        assert content_type is not None
        return _parse_multipart(content_type, body)
    if mime == "application/json" or mime.endswith("+json"):
        return _parse_json(body)
    raise BadRequest(f"content type {mime} is not supported")


def merge(query: dict[str, str], body: Fields) -> Fields:
    """Query parameters and body fields together; the body wins on a clash."""
    values = {**query, **body.values}
    raw: dict[str, object] = {**query, **body.raw}
    return Fields(values=values, raw=raw, uploads=dict(body.uploads))
