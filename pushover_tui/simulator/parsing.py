"""Request bodies -> fields: form, multipart (stdlib email parser) and JSON. Never raises anything
but BadRequest, so a malformed body becomes a 400 answer instead of a dead handler thread."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from typing import BinaryIO
from urllib.parse import parse_qsl

from pushover_tui.simulator.models import Upload


class BadRequest(Exception):
    """The request could not be read at all (400 with one sentence, and a field key if known)."""

    def __init__(self, sentence: str, field: str | None = None) -> None:
        super().__init__(sentence)
        self.sentence = sentence
        self.field = field


# A 5,242,880-byte attachment sent as attachment_base64 in a form body is ~7.2 MB; leave room.
MAX_BODY = 8 * 1024 * 1024
MAX_DRAIN = 64 * 1024 * 1024  # past this we close without reading, rather than swallow it all


class BodyTooLarge(Exception):
    """The body is over MAX_BODY (413; the connection is closed after the answer)."""


def _read_chunked(rfile: BinaryIO) -> bytes:
    parts: list[bytes] = []
    total = 0
    while True:
        line = rfile.readline(1024)
        try:
            size = int(line.split(b";")[0].strip(), 16)
        except ValueError as exc:
            raise BadRequest("malformed chunked body") from exc
        if size == 0:
            while rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                pass  # skip trailers
            return b"".join(parts)
        total += size
        if total > MAX_BODY:
            raise BodyTooLarge
        parts.append(rfile.read(size))
        rfile.readline(1024)


def read_body(headers: Mapping[str, str], rfile: BinaryIO) -> bytes:
    """The request body as the headers frame it (Content-Length or chunked)."""
    encoding = headers.get("Transfer-Encoding", "")
    if "chunked" in encoding.lower():
        return _read_chunked(rfile)
    length_text = headers.get("Content-Length")
    if length_text is None:
        return b""
    try:
        length = int(length_text)
    except ValueError as exc:
        raise BadRequest("Content-Length is not a number") from exc
    if length < 0:
        raise BadRequest("Content-Length is negative")
    if length > MAX_BODY:
        # Read it away so the client, still sending, sees the 413 instead of a reset.
        if length <= MAX_DRAIN:
            remaining = length
            while remaining > 0:
                chunk = rfile.read(min(remaining, 1 << 16))
                if not chunk:
                    break
                remaining -= len(chunk)
        raise BodyTooLarge
    data = rfile.read(length)
    if len(data) != length:
        raise BadRequest("request body is shorter than Content-Length")
    return data


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
    except RecursionError:
        raise BadRequest("JSON request body nests too deeply") from None
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
