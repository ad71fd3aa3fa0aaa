"""Text on its way to a terminal or a log: control characters escaped.

Anything received (API error texts, webhook titles) or stored (history) can hold escape sequences
that set a terminal's title, clear its screen or forge a log line. Every face prints such text
through `escape_controls`; JSON output needs nothing (json.dumps escapes C0 itself, and C1 codes
are inert inside a JSON string). Stdlib only: every face imports it.
"""

from __future__ import annotations

import logging
import re

# C0 (U+0000-U+001F), DEL and C1 (U+0080-U+009F).
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROLS_BUT_LINES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


# Terminal control sequences, whole: CSI (ESC [ or U+009B, up to its final byte); OSC, DCS,
# SOS, PM and APC strings (up to BEL or ST, or the end of the text as a terminal would swallow
# it); every other two-byte escape (ESC ( B, ESC 7, ...).
_SEQUENCES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|(?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c|$)"
    r"|\x1b[ -/]*[0-~]"
)
_CONTROLS_BUT_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def strip_controls(text: str) -> str:
    """`text` as typed or pasted into a field: line breaks as newlines, escape sequences (colour,
    titles, cursor moves) removed whole, then every other C0/C1 control character (BEL, DEL,
    SOH, ...) removed; newline and tab stay, the visible text keeps its order."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROLS_BUT_TEXT.sub("", _SEQUENCES.sub("", text))


def _escape(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


def escape_controls(text: str, *, keep_lines: bool = False) -> str:
    """`text` with every control character shown as `\\xNN`. `keep_lines=True` keeps newline and
    tab, for a message body printed where a person reads it; a log line or a table cell keeps
    neither (a newline there would forge another line)."""
    pattern = _CONTROLS_BUT_LINES if keep_lines else _CONTROLS
    return pattern.sub(_escape, text)


class EscapeControlsFilter(logging.Filter):
    """A logging filter that makes every record one safe line: its message (arguments filled
    in) and any traceback go through `escape_controls`, so received text can neither drive the
    terminal nor forge another line. On a logger it covers that logger's own records; on a
    handler, everything the handler prints. `tracebacks=False` drops a traceback instead (the
    command line's warnings are one sentence each)."""

    def __init__(self, *, tracebacks: bool = True) -> None:
        super().__init__()
        self.tracebacks = tracebacks

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if record.exc_info:
            if self.tracebacks:
                text += "\n" + logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
            record.exc_text = None
        record.msg = escape_controls(text)
        record.args = None
        return True
