"""Pasted text, whole and without control sequences, in a real terminal (and textual-serve).

Textual's input parser (private API, Textual pinned to 8.2.x: see startup.py) reads an escape
sequence inside a bracketed paste as keys, typed before the paste itself lands:
`T1 ESC[1mbold ESC[0m T2` arrived in Compose as `^[1mbold^[0m T2T1 `. This parser takes each
paste out of the input whole, strips its control sequences (`strip_controls`) and hands Textual
a paste with nothing left to misread. The app's `on_event` strips every paste again, whatever
driver it came from.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual._xterm_parser import XTermParser
from textual.message import Message

from pushover_tui.safe_text import strip_controls

PASTE_START = "\x1b[200~"
PASTE_END = "\x1b[201~"


class PasteCleaningParser(XTermParser):
    def __init__(self, debug: bool = False) -> None:
        super().__init__(debug)
        self._held = ""  # a paste still arriving, or the first bytes of a paste's start
        self._pasting = False
        # The end of what went to Textual when it may begin a paste's start (a lone ESC, or
        # "ESC[", passed on at once: they may be the escape key or alt+[).
        self._passed_tail = ""

    def feed(self, data: str) -> Iterable[Message]:
        if not data:  # end of input: let Textual's parser finish
            return super().feed(self._release() + data)
        self._held += data
        passed: list[str] = []
        while True:
            if self._pasting:
                end = self._held.find(PASTE_END)
                if end < 0:
                    break  # the rest of the paste is on its way
                pasted, self._held = self._held[:end], self._held[end + len(PASTE_END) :]
                passed.append(strip_controls(pasted) + PASTE_END)
                self._pasting = False
                continue
            seen = self._passed_tail + self._held
            start = seen.find(PASTE_START)
            if start >= 0:
                # Textual gets the start (the part it does not have yet), then the paste
                # when it is whole.
                released = len(self._passed_tail)
                passed.append(seen[released:start] + PASTE_START[max(released - start, 0) :])
                self._held = seen[start + len(PASTE_START) :]
                self._passed_tail = ""
                self._pasting = True
                continue
            # Hold back what may be a paste's start cut by a read ("ESC[20").
            cuts = range(len(PASTE_START) - 1, 2, -1)
            keep = next((n for n in cuts if self._held.endswith(PASTE_START[:n])), 0)
            cut = len(self._held) - keep
            passed.append(self._held[:cut])
            self._held = self._held[cut:]
            break
        text = "".join(passed)
        if text:
            self._passed_tail = next(
                (text[-n:] for n in (2, 1) if text.endswith(PASTE_START[:n])), ""
            )
        return super().feed(text) if text else ()

    def _release(self) -> str:
        held, self._held = self._held, ""
        if self._pasting:
            self._pasting = False
            return strip_controls(held) + PASTE_END
        return held
