"""Key bindings: one table (tui/keys.py) behind every screen, the help screen, the README and
the check of the config's [keymap]."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from textual import events
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

from pushover_tui.store.config import load_config, save_config
from pushover_tui.tui.keys import KEYS, check_keymap, is_key_name
from pushover_tui.tui.widgets.help import HelpScreen

SIZE = (110, 36)
README = Path(__file__).parent.parent / "README.md"


def test_every_binding_id_is_in_the_readme() -> None:
    text = README.read_text(encoding="utf-8")
    assert [binding_id for binding_id in KEYS if f"`{binding_id}`" not in text] == []


def test_key_names_textual_knows() -> None:
    for good in ("f9", "ctrl+s", "question_mark", "plus", "X", "ctrl+shift+up", "escape"):
        assert is_key_name(good), good
    for bad in ("notakey!!", "ctrl+", "", "wibble+x", "ctrl+notakey", "f99"):
        assert not is_key_name(bad), bad


@given(st.text(max_size=20))
def test_key_name_check_never_raises(text: str) -> None:
    is_key_name(text)


def test_keymap_check_refuses_unknown_ids_bad_names_and_clashes() -> None:
    accepted, problems = check_keymap(
        {
            "mode.history": "f9",
            "no.such.id": "f5",
            "compose.send": "notakey!!",
            "compose.new": "ctrl+s",  # Send's key, on the same screen
            "history.copy": "f2",  # Config's key, which acts everywhere
            "config.save": "ctrl+t",  # Compose's Send test: another screen, fine
        }
    )
    assert accepted == {"mode.history": "f9", "config.save": "ctrl+t"}
    assert len(problems) == 4
    assert "'no.such.id' is not a binding id" in problems[0]
    assert "'notakey!!' is not a key name" in problems[1]
    assert "'compose.new' and 'compose.send' would both be on 'ctrl+s'" in problems[2]
    assert "'history.copy' and 'mode.config'" in problems[3]


async def test_a_refused_keymap_entry_keeps_the_default_and_says_why(
    make_app, demo_config, simulator
):
    keymap = {"compose.send": "notakey!!", "mode.history": "f9"}
    save_config(replace(demo_config, keymap=keymap))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        messages = [str(n.message) for n in app._notifications]
        assert any("'notakey!!' is not a key name" in m for m in messages)
        keys = {key.key for key in app.screen.query("FooterKey")}  # type: ignore[attr-defined]
        assert "notakey!!" not in keys and "ctrl+s" in keys
        assert app.key_label("compose.send") == "^s"
        assert app.key_label("mode.history") == "f9"


async def test_help_lists_every_binding_with_its_current_key(make_app, demo_config, simulator):
    save_config(replace(demo_config, keymap={"compose.send": "f8"}))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-text", Static).render())
        for binding_id in KEYS:
            assert binding_id in text, binding_id
        assert "f8" in text and "write, then f8 to send" in text
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_help_names_the_key_that_closes_it(make_app, demo_config, simulator):
    save_config(replace(demo_config, keymap={"dialog.cancel": "ctrl+w"}))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert app.screen.query_one(VerticalScroll).border_subtitle == "^w closes"
        await pilot.press("ctrl+w")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


BROKEN_KEYMAPS = [
    {"no.such.binding": "f7"},
    {"mode.config": "foo+bar"},
    {"compose.send": "ctrl+t"},
    {"mode.history": ""},
]


@pytest.fixture
def early_events(monkeypatch):
    """Each widget's compose is preceded by a resize reaching its screen: what a terminal or
    textual-serve's web driver may deliver at any point of start-up (a toast, a first size)."""
    compose = Widget._compose

    async def early_resize_then_compose(self: Widget) -> None:
        screen = self.screen if self.is_attached else None
        if isinstance(screen, Screen) and screen is not self and screen.is_mounted:
            await screen._on_message(events.Resize(screen.size, screen.size))
        await compose(self)

    monkeypatch.setattr(Widget, "_compose", early_resize_then_compose)


@pytest.mark.parametrize("keymap", BROKEN_KEYMAPS, ids=lambda keymap: next(iter(keymap)))
async def test_a_broken_keymap_entry_never_stops_the_dashboard(
    keymap, make_app, demo_config, simulator, early_events
):
    save_config(replace(demo_config, keymap=keymap))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        notes = [(n.title, str(n.message)) for n in app._notifications]
        assert [title for title, _ in notes if title == "Key not moved"] == ["Key not moved"]
        assert repr(next(iter(keymap))) in notes[0][1]
        for mode in ("compose", "config", "history", "groups", "inbox"):
            await pilot.press(app.key_label(f"mode.{mode}").replace("^", "ctrl+"))
            await pilot.pause()
            assert app.current_mode == mode
        assert app.is_running


def test_a_keymap_value_that_is_not_a_string_costs_only_that_entry(demo_config) -> None:
    text = demo_config.path.read_text(encoding="utf-8")
    demo_config.path.write_text(
        text + '\n[keymap]\n"mode.history" = 5\n"compose.send" = "f8"\n', encoding="utf-8"
    )
    config = load_config(demo_config.path)
    assert config.keymap == {"compose.send": "f8"}
    assert config.profiles == demo_config.profiles
    assert len(config.keymap_problems) == 1
    assert "'mode.history': 5 is not a string of keys" in config.keymap_problems[0]


async def test_a_keymap_value_that_is_not_a_string_is_reported_and_the_rest_works(
    make_app, demo_config, simulator
):
    text = demo_config.path.read_text(encoding="utf-8")
    demo_config.path.write_text(
        text + '\n[keymap]\n"mode.history" = 5\n"mode.groups" = "f9"\n', encoding="utf-8"
    )
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        messages = [str(n.message) for n in app._notifications]
        assert any("'mode.history': 5 is not a string of keys" in m for m in messages)
        assert app.key_label("mode.history") == "f4"
        await pilot.press("f9")
        assert app.current_mode == "groups"
    assert '"mode.history" = 5' in demo_config.path.read_text(encoding="utf-8")


def test_keys_some_terminals_cannot_send_are_named_last() -> None:
    accepted, problems = check_keymap({"compose.send": "ctrl+enter,ctrl+s", "help": "f1,f10"})
    assert problems == []
    assert accepted == {"compose.send": "ctrl+s,ctrl+enter", "help": "f1,f10"}


async def test_hints_name_the_key_every_terminal_can_send(make_app, demo_config, simulator):
    save_config(replace(demo_config, keymap={"compose.send": "ctrl+enter,ctrl+s"}))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.pause()
        shown = [key.key for key in app.screen.query("FooterKey")]  # type: ignore[attr-defined]
        assert "ctrl+s" in shown and "ctrl+enter" not in shown
        assert app.key_label("compose.send") == "^s"
        assert app.key_label("compose.send", every=True).startswith("^s / ")
        assert "^s sends" in str(app.screen.query_one("#outcome-text", Static).visual)
        await pilot.press("f1")
        await pilot.pause()
        assert "write, then ^s to send" in str(app.screen.query_one("#help-text").render())
