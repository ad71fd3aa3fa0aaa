"""Pasted and typed text reaches a field without control sequences, the visible text in order,
and no control character but newline and tab is ever sent: the sanitiser, Textual's input
parser in a terminal, the dashboard's fields, and the send pipeline's last check."""

from __future__ import annotations

import io
import re

from hypothesis import given
from hypothesis import strategies as st
from textual import events
from textual.widgets import Input, TextArea

from pushover_tui import cli
from pushover_tui.api.checks import check_message
from pushover_tui.api.models import Message
from pushover_tui.safe_text import strip_controls
from pushover_tui.tui.paste_parser import PASTE_END, PASTE_START, PasteCleaningParser

CONTROLS_BUT_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
SCRAMBLED = "T1 \x1b[1mbold \x1b[0m T2"

# Text a person can see (no C0/C1 but newline and tab), and whole control sequences.
visible = st.text(
    alphabet=st.characters(exclude_categories=("Cc", "Cs")) | st.sampled_from("\n\t"), max_size=8
)
sequences = st.one_of(
    st.from_regex(r"\x1b\[[0-9;]{0,6}[A-Za-z]", fullmatch=True),  # CSI: colours, cursor moves
    st.from_regex(r"\x9b[0-9;]{0,4}m", fullmatch=True),  # CSI as one C1 byte
    st.from_regex(r"\x1b\][0-9];[a-z ]{0,8}(\x07|\x1b\\)", fullmatch=True),  # OSC: a title
    st.from_regex(r"\x1bP[a-z0-9]{0,8}\x1b\\", fullmatch=True),  # DCS
    st.from_regex(r"\x1b[()][0AB]|\x1b[78c=>]", fullmatch=True),  # two-byte escapes
    st.sampled_from(["\x07", "\x7f", "\x01", "\x00", "\x85", "\x9c"]),  # lone controls
)


@given(st.lists(st.tuples(visible, sequences)), visible)
def test_sequences_are_stripped_whole_and_the_visible_text_keeps_its_order(pieces, last):
    text = "".join(seen + sequence for seen, sequence in pieces) + last
    assert strip_controls(text) == "".join(seen for seen, _ in pieces) + last


@given(st.text())
def test_nothing_but_newline_and_tab_survives_and_stripping_twice_changes_nothing(text):
    clean = strip_controls(text)
    assert CONTROLS_BUT_TEXT.search(clean) is None
    assert strip_controls(clean) == clean


def test_the_reported_paste_and_line_breaks():
    assert strip_controls(SCRAMBLED + "\x07\x7f\x01!") == "T1 bold  T2!"
    assert strip_controls("a\r\nb\rc") == "a\nb\nc"
    assert strip_controls("cut off\x1b") == "cut off"


def pasted(chunks: list[str]) -> list[str]:
    """What Textual hears from the terminal parser, fed `chunks` as reads from a terminal."""
    parser = PasteCleaningParser()
    heard = [event for chunk in chunks for event in parser.feed(chunk)]
    heard += parser.feed("")
    return [
        event.text if isinstance(event, events.Paste) else f"key:{event.key}"
        for event in heard
        if isinstance(event, events.Paste | events.Key)
    ]


def test_the_terminal_parser_hands_over_a_paste_whole_and_clean_at_any_read_boundary():
    stream = "a" + PASTE_START + SCRAMBLED + "\x07" + PASTE_END + "b"
    expected = ["key:a", "T1 bold  T2", "key:b"]
    assert pasted([stream]) == expected
    for cut in range(1, len(stream)):
        assert pasted([stream[:cut], stream[cut:]]) == expected, cut


async def test_a_paste_arrives_in_compose_in_order_without_control_characters(
    make_app, demo_config, simulator
):
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        box = app.screen.query_one("#message", TextArea)
        box.focus()
        app.post_message(events.Paste(SCRAMBLED + "\x07\x7f\x01\tend"))
        await pilot.pause()
        assert box.text == "T1 bold  T2\tend"
        title = app.screen.query_one("#title", Input)
        title.focus()
        app.post_message(events.Paste("A\tB\x1b]0;x\x07C"))
        await pilot.pause()
        assert title.value == "A BC"


def run(env: dict[str, str], *argv: str) -> tuple[int, str]:
    err = io.StringIO()
    code = cli.main(list(argv), env=env, stdin=io.StringIO(""), stdout=io.StringIO(), stderr=err)
    return code, err.getvalue()


def test_a_control_character_is_never_sent_the_field_is_named(isolated_env, demo_config, simulator):
    for argv in (["send", "a\x1b[1mb"], ["send", "x", "--title", "t\x07"]):
        code, err = run(dict(isolated_env), *argv)
        assert code == cli.EXIT_USAGE
        assert "control character" in err
    assert simulator.messages == []
    problems = check_message(Message("line\nwith\ttab"))
    assert problems == []
