"""Every key binding of the dashboard, by id: its default key, what the footer calls it and what
it does. Screens build their bindings from this table (`binding(id, action)`), the help screen
lists it, the README documents it, and the config's `[keymap]` is checked against it.

A `[keymap]` entry moves a binding to another key (Textual's keymap, by binding id). An unknown
id, a key name Textual does not know, or a key that two bindings active at once would share is
refused with one sentence, and that binding keeps its default key.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from textual.binding import Binding
from textual.keys import KEY_NAME_REPLACEMENTS, Keys, key_to_character

MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})
_KEY_NAMES = frozenset(key.value for key in Keys) | {f"f{n}" for n in range(1, 25)}


@dataclass(frozen=True)
class KeySpec:
    key: str  # the default key(s), comma-separated
    description: str  # the footer's word
    help: str  # what it does, for the help screen
    scope: str  # where it acts: "app" (everywhere) or a screen ("compose", "history", ...)
    show: bool = True  # shown in the footer
    priority: bool = False  # fires even while a text field has focus


KEYS: Mapping[str, KeySpec] = {
    # Everywhere: F-keys and ctrl combinations work while a text field has focus.
    # The screens' keys are named on every screen's tab strip (widgets/screen_tabs.py), not in
    # the footer: there they pushed "f1 Help" and the palette out of 80 columns.
    "mode.config": KeySpec(
        "f2", "Config", "open Config: keys, defaults, verification", "app", show=False
    ),
    "mode.compose": KeySpec("f3", "Compose", "open Compose: write and send", "app", show=False),
    "mode.history": KeySpec("f4", "History", "open History: every message sent", "app", show=False),
    "mode.groups": KeySpec(
        "f5", "Groups", "open Groups: delivery groups and on-call", "app", show=False
    ),
    # Priority: Textual's TextArea (Compose's message box) binds f6 to "select line" itself.
    "mode.inbox": KeySpec(
        "f6", "Inbox", "open Inbox: messages received here", "app", show=False, priority=True
    ),
    "help": KeySpec("f1,question_mark", "Help", "show this help: every key", "app"),
    "quit": KeySpec(
        "ctrl+q", "Quit", "quit (asks first when something would be lost)", "app", priority=True
    ),
    # Compose
    "compose.send": KeySpec("ctrl+s", "Send", "send the message", "compose", priority=True),
    "compose.send_test": KeySpec(
        "ctrl+t", "Send test", "send the labelled test message", "compose", priority=True
    ),
    "compose.new": KeySpec(
        "ctrl+n", "New", "start a new message (asks when unsent)", "compose", priority=True
    ),
    "compose.glance": KeySpec(
        "ctrl+g",
        "Glance",
        "open the Glance panel: update a watch complication",
        "compose",
        show=False,
        priority=True,
    ),
    "compose.stop": KeySpec(
        "escape", "Stop sending", "stop a send on its way (it may still be delivered)", "compose"
    ),
    # Config
    "config.save": KeySpec("ctrl+s", "Save", "save the profile to the config file", "config"),
    "config.verify": KeySpec(
        "ctrl+v", "Verify", "check the keys with Pushover", "config", priority=True
    ),
    "config.reveal": KeySpec("ctrl+r", "Show keys", "show or hide the keys", "config"),
    # History: letters act while the list has focus.
    "history.search": KeySpec("ctrl+f", "Search", "search the history", "history", show=False),
    "history.focus_list": KeySpec("escape", "List", "back to the list", "history", show=False),
    "history.resend": KeySpec("r", "Resend", "open Compose with this message", "history"),
    "history.cancel": KeySpec("c", "Cancel", "cancel the emergency's retries", "history"),
    "history.cancel_tag": KeySpec(
        "t", "Cancel by tag", "cancel every emergency with a tag", "history", show=False
    ),
    "history.copy": KeySpec("y", "Copy", "copy the message as JSON", "history"),
    "history.delete": KeySpec(
        "d,delete", "Delete", "delete the message from the history", "history", show=False
    ),
    "history.clear": KeySpec("X", "Clear", "clear the whole history", "history", show=False),
    "history.cursor_up": KeySpec("up", "Up", "previous message", "history", show=False),
    "history.cursor_down": KeySpec("down", "Down", "next message", "history", show=False),
    "history.page_up": KeySpec("pageup", "Page up", "a page up", "history", show=False),
    "history.page_down": KeySpec("pagedown", "Page down", "a page down", "history", show=False),
    "history.newest": KeySpec("home", "Newest", "the newest message", "history", show=False),
    "history.oldest": KeySpec("end", "Oldest", "the oldest message", "history", show=False),
    # Inbox: letters act while the list has focus.
    "inbox.ack": KeySpec("a", "Ack", "acknowledge the selected emergency", "inbox"),
    "inbox.login": KeySpec(
        "l", "Log in", "log in to receive here (email, password, two-factor code)", "inbox"
    ),
    "inbox.back": KeySpec("escape", "Back", "from the login form back to the messages", "inbox"),
    # Groups: letters act while the list they concern (groups or members) has focus.
    "groups.oncall": KeySpec(
        "o", "On call", "put the member on call: enable them, disable the others", "groups"
    ),
    "groups.enable": KeySpec("e", "Enable", "resume group messages to the member", "groups"),
    "groups.disable": KeySpec("d", "Disable", "stop group messages to the member", "groups"),
    "groups.add": KeySpec("a", "Add", "add a member to the group", "groups"),
    "groups.remove": KeySpec("x,delete", "Remove", "remove the member from the group", "groups"),
    "groups.rename": KeySpec("r", "Rename", "rename the group", "groups"),
    "groups.create": KeySpec("n", "New group", "create a delivery group", "groups"),
    "groups.reload": KeySpec(
        "ctrl+r", "Reload", "load the groups again from Pushover", "groups", show=False
    ),
    "groups.reveal": KeySpec(
        "k", "Show key", "show or hide the selected group's key in full", "groups", show=False
    ),
    "groups.team": KeySpec(
        "t",
        "Team",
        "show your team's members and administrators (Team API token)",
        "groups",
        show=False,
    ),
    # The team panel (over Groups)
    "team.add": KeySpec("a", "Add", "add a member to the team (asks first)", "team"),
    "team.remove": KeySpec(
        "x,delete", "Remove", "remove the selected member from the team (asks first)", "team"
    ),
    # Dialogs
    "dialog.cancel": KeySpec("escape", "Cancel", "close a dialog without doing anything", "dialog"),
}


def binding(binding_id: str, action: str) -> Binding:
    """The Binding for `binding_id` (its default key; the app's keymap moves it)."""
    spec = KEYS[binding_id]
    return Binding(
        spec.key,
        action,
        spec.description,
        show=spec.show,
        priority=spec.priority,
        tooltip=spec.help,
        id=binding_id,
    )


def is_key_name(key: str) -> bool:
    """A key Textual can bind: modifiers joined by '+' to a key name or one character."""
    *modifiers, name = key.strip().split("+")
    if not name or any(modifier not in MODIFIERS for modifier in modifiers):
        return False
    if len(name) == 1:
        return name.isprintable()
    return name in _KEY_NAMES or name in _CHARACTER_NAMES or key_to_character(name) is not None


def _character_names() -> frozenset[str]:
    """The names Textual gives printable punctuation ("plus", "question_mark", "space", ...):
    the Unicode name in lower case, underscores for spaces and dashes, as Textual makes it."""
    names = set()
    for code in range(32, 127):
        if not chr(code).isalnum():
            name = unicodedata.name(chr(code)).lower().replace(" ", "_").replace("-", "_")
            names.add(KEY_NAME_REPLACEMENTS.get(name, name))
    return frozenset(names)


_CHARACTER_NAMES = _character_names()


def works_everywhere(key: str) -> bool:
    """Whether every common terminal can send `key` (without the kitty keyboard protocol, a
    terminal sends ctrl+enter as enter, or nothing): a hint never names a key that is not, while
    its binding has one that is."""
    *modifiers, name = key.strip().split("+")
    held = set(modifiers)
    if held & {"super", "hyper", "meta"}:
        return False
    if name in ("enter", "backspace", "escape") and held & {"ctrl", "shift"}:
        return False
    if (name == "tab" and "ctrl" in held) or (name == "space" and "shift" in held):
        return False
    return not ({"ctrl", "shift"} <= held and len(name) == 1)  # ctrl+shift+a arrives as ctrl+a


def check_keymap(keymap: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """The entries of `keymap` that can be used, and one sentence per entry refused. A binding's
    keys that every terminal can send come first: the footer and every hint name the first."""
    accepted: dict[str, str] = {}
    problems: list[str] = []
    for binding_id, keys in keymap.items():
        if binding_id not in KEYS:
            problems.append(f"[keymap] {binding_id!r} is not a binding id (see the README).")
        elif not keys.strip() or not all(is_key_name(key) for key in keys.split(",")):
            problems.append(f"[keymap] {binding_id!r}: {keys!r} is not a key name Textual knows.")
        else:
            listed = [key.strip() for key in keys.split(",")]
            listed.sort(key=lambda key: not works_everywhere(key))  # stable: else as written
            accepted[binding_id] = ",".join(listed)
    # Two bindings active at once (the same screen, or one that acts everywhere) on one key.
    for binding_id in list(accepted):
        mine = _keys_of(binding_id, accepted)
        for other, spec in KEYS.items():
            if other == binding_id or not _together(KEYS[binding_id].scope, spec.scope):
                continue
            shared = mine & _keys_of(other, accepted)
            if shared:
                key = sorted(shared)[0]
                problems.append(
                    f"[keymap] {binding_id!r} and {other!r} would both be on {key!r}: "
                    f"{binding_id!r} keeps its default."
                )
                del accepted[binding_id]
                break
    return accepted, problems


def _keys_of(binding_id: str, keymap: Mapping[str, str]) -> set[str]:
    keys = keymap.get(binding_id) or KEYS[binding_id].key
    return {key.strip() for key in keys.split(",")}


def _together(scope: str, other: str) -> bool:
    return scope == other or ("app" in (scope, other) and "dialog" not in (scope, other))
