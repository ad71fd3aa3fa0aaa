"""`pushover-tui group ...`, `send --to`, a profile's `to` and `history --to` against the simulator:
every command, every failure and its exit code, and keys masked everywhere but list and create."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import signal
from pathlib import Path

import pytest

from pushover_tui import cli
from pushover_tui.api.client import PushoverClient
from pushover_tui.api.secret import Secret
from pushover_tui.simulator import (
    DEMO_BOB,
    DEMO_CAROL,
    DEMO_GROUP,
    DEMO_TOKEN,
    DEMO_USER,
    Member,
    Simulator,
)
from pushover_tui.store.history import History

DAVE = "uDaveQ7cN2mW9xZ4rT6yB1vK8sJ3hL"  # a user outside the group
OTHER_TOKEN = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbb2"
KEYS = (DEMO_TOKEN, DEMO_USER, DEMO_GROUP, DEMO_BOB, DEMO_CAROL, DAVE)
MASKED_GROUP = Secret(DEMO_GROUP).masked()


def run(env: dict[str, str], *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), env=env, stdin=io.StringIO(""), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def no_keys(text: str, allowed: tuple[str, ...] = ()) -> bool:
    return not any(key[:12] in text for key in KEYS if key not in allowed)


@pytest.fixture
def env(isolated_env, demo_config, simulator: Simulator) -> dict[str, str]:
    simulator.add_user(DAVE, ("laptop",))
    return dict(isolated_env)


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch):
    monkeypatch.setattr("pushover_tui.api.client.RETRY_GAP", 0.01)


def state(sim: Simulator, key: str = DEMO_GROUP) -> list[tuple[str, str | None, bool]]:
    """(memo, device, disabled) of every member, in order."""
    return [(m.memo, m.device, m.disabled) for m in sim.groups[key].members]


DEMO_STATE = [("Alice", "iphone", False), ("Bob", None, False), ("Carol", None, True)]


def history_rows(env: dict[str, str]):
    with History.open(Path(env["PUSHOVER_TUI_DATA"])) as history:
        return history.page()


# -- list, create, show ------------------------------------------------------------------------


def test_list_shows_full_keys(env) -> None:
    code, out, err = run(env, "group", "list")
    assert code == cli.EXIT_OK, err
    assert f"{DEMO_GROUP}  ops" in out
    code, out, _ = run(env, "group", "list", "--json")
    assert json.loads(out) == {"status": 1, "groups": [{"group": DEMO_GROUP, "name": "ops"}]}


def test_list_without_groups(env, simulator: Simulator) -> None:
    simulator.add_app(OTHER_TOKEN)
    code, out, _ = run({**env, "PUSHOVER_TOKEN": OTHER_TOKEN}, "group", "list")
    assert code == 0 and "No groups yet" in out


def test_create_prints_the_new_key_in_full(env, simulator: Simulator) -> None:
    code, out, err = run(env, "group", "create", "night shift")
    assert code == 0, err
    (key,) = [k for k, g in simulator.groups.items() if g.name == "night shift"]
    assert out.strip() == f"Created group 'night shift': {key}"
    code, out, _ = run(env, "group", "create", "backup", "--json")
    data = json.loads(out)
    assert data["status"] == 1 and data["name"] == "backup"
    assert simulator.groups[data["group"]].name == "backup"


@pytest.mark.parametrize("name", ["", "   ", "n" * 251])
def test_create_with_a_bad_name_sends_nothing(env, simulator: Simulator, name: str) -> None:
    code, _, err = run(env, "group", "create", name)
    assert code == cli.EXIT_USAGE
    assert "name" in err
    assert simulator.requests == []


@pytest.mark.parametrize("group", ["ops", "OPS", DEMO_GROUP])
def test_show_by_name_or_key_masks_every_key(env, group: str) -> None:
    code, out, err = run(env, "group", "show", group)
    assert code == 0, err
    assert out.splitlines() == [
        f"ops ({MASKED_GROUP}): 3 members, 2 enabled",
        "  state     user                            device       memo",
        f"  enabled   {Secret(DEMO_USER).masked()}  iphone       Alice",
        f"  enabled   {Secret(DEMO_BOB).masked()}  (all)        Bob",
        f"  disabled  {Secret(DEMO_CAROL).masked()}  (all)        Carol",
    ]
    assert no_keys(out)


def test_show_json(env) -> None:
    code, out, _ = run(env, "group", "show", "ops", "--json")
    assert code == 0 and no_keys(out)
    data = json.loads(out)
    assert (data["status"], data["group"], data["name"]) == (1, MASKED_GROUP, "ops")
    assert data["users"][0] == {
        "user": Secret(DEMO_USER).masked(),
        "device": "iphone",
        "memo": "Alice",
        "disabled": False,
    }
    assert [user["disabled"] for user in data["users"]] == [False, False, True]


def test_control_characters_in_names_and_memos_are_escaped(env, simulator: Simulator) -> None:
    simulator.add_group("evil\x1b]0;title\x07", (Member(DAVE, None, "memo\x1b[2J"),))
    _, out, _ = run(env, "group", "list")
    assert "\x1b" not in out and "evil\\x1b]0;title\\x07" in out
    _, out, _ = run(env, "group", "show", "evil\x1b]0;title\x07")
    assert "\x1b" not in out and "memo\\x1b[2J" in out


def test_received_group_keys_and_request_ids_are_escaped(env, monkeypatch) -> None:
    from pushover_tui.api.client import PushoverClient
    from pushover_tui.api.models import Group

    async def listed(self) -> tuple[Group, ...]:
        return (Group(Secret("k\x1b[2J"), "ops"),)

    async def renamed(self, group, name) -> str:
        return "req\x1b]0;PWNED\x07"

    monkeypatch.setattr(PushoverClient, "list_groups", listed)
    monkeypatch.setattr(PushoverClient, "rename_group", renamed)
    _, out, _ = run(env, "group", "list")
    assert "\x1b" not in out and "k\\x1b[2J  ops" in out
    _, out, _ = run(env, "group", "rename", DEMO_GROUP, "night shift")
    assert "\x1b" not in out and "request req\\x1b]0;PWNED\\x07" in out


def test_a_name_that_matches_no_group_lists_them(env, simulator: Simulator) -> None:
    code, out, err = run(env, "group", "show", "prod")
    assert code == cli.EXIT_USAGE and out == ""
    assert "No group named 'prod'; your groups: 'ops'." in err


def test_a_name_that_matches_several_groups_is_a_usage_error(env, simulator: Simulator) -> None:
    second = simulator.add_group("ops")
    for argv in (["show", "ops"], ["disable", "ops", DEMO_BOB], ["oncall", "ops", "Bob"]):
        code, _, err = run(env, "group", *argv)
        assert code == cli.EXIT_USAGE, argv
        assert "2 groups are named 'ops'" in err
        assert MASKED_GROUP in err and Secret(second).masked() in err and no_keys(err)
    assert state(simulator) == DEMO_STATE


@pytest.mark.parametrize("token", [DEMO_TOKEN, OTHER_TOKEN])
def test_unknown_or_foreign_group_key_is_rejected_by_the_api(
    env, simulator: Simulator, token: str
) -> None:
    simulator.add_app(OTHER_TOKEN)
    key = DEMO_GROUP if token == OTHER_TOKEN else "g" + "x" * 29
    code, _, err = run({**env, "PUSHOVER_TOKEN": token}, "group", "show", key)
    assert code == cli.EXIT_REJECTED
    assert "group not found or you are not authorized to edit it" in err
    assert no_keys(err)


def test_no_credentials(isolated_env) -> None:
    code, _, err = run(dict(isolated_env), "group", "list")
    assert code == cli.EXIT_NO_CREDENTIALS and "config set token" in err


def test_server_errors_exit_5_after_retries(env, simulator: Simulator) -> None:
    simulator.inject_fault("503", 3)
    code, _, err = run(env, "group", "list")
    assert code == cli.EXIT_TEMPORARY and "3 attempts" in err


# -- add, remove, disable, enable, rename ------------------------------------------------------


def test_add_with_device_and_memo(env, simulator: Simulator) -> None:
    code, out, err = run(
        env, "group", "add", "ops", DAVE, "--device", "laptop", "--memo", "Dave", "--json"
    )
    assert code == 0, err
    data = json.loads(out)
    assert data == {
        "status": 1,
        "group": MASKED_GROUP,
        "user": Secret(DAVE).masked(),
        "device": "laptop",
        "memo": "Dave",
        "request": data["request"],
    }
    assert state(simulator)[-1] == ("Dave", "laptop", False)
    assert no_keys(out)


def test_add_another_device_of_a_member_by_memo_keeps_the_memo(env, simulator: Simulator) -> None:
    code, out, err = run(env, "group", "add", "ops", "alice", "--device", "pixel")
    assert code == 0, err
    assert out.splitlines()[0] == "Added Alice (pixel) to 'ops'."
    assert state(simulator)[-1] == ("Alice", "pixel", False)


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        (["add", "ops", DAVE, "--memo", "m" * 201], "memo"),
        (["add", "ops", DAVE, "--device", "a,b"], "device"),
        (["disable", "ops", DEMO_BOB, "--device", "not a device"], "device"),
        (["rename", "ops", " "], "name"),
    ],
)
def test_field_problems_exit_2_and_change_nothing(
    env, simulator: Simulator, argv: list[str], field: str
) -> None:
    code, _, err = run(env, "group", *argv)
    assert code == cli.EXIT_USAGE
    assert f"  {field}: " in err
    assert state(simulator) == DEMO_STATE and simulator.groups[DEMO_GROUP].name == "ops"
    assert all(record.method == "GET" for record in simulator.requests)  # no change was asked


def test_add_a_malformed_key_is_a_usage_error(env, simulator: Simulator) -> None:
    code, _, err = run(env, "group", "add", "ops", "u" * 29)
    assert code == cli.EXIT_USAGE
    assert "is not a user key (30 letters and digits) nor the memo of a member" in err
    assert state(simulator) == DEMO_STATE


def test_add_an_existing_membership_is_rejected(env, simulator: Simulator) -> None:
    code, _, err = run(env, "group", "add", "ops", DEMO_BOB)
    assert code == cli.EXIT_REJECTED and "already a member" in err and no_keys(err)


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("disable", [("Alice", "iphone", False), ("Bob", None, True), ("Carol", None, True)]),
        ("enable", [("Alice", "iphone", False), ("Bob", None, False), ("Carol", None, True)]),
        ("remove", [("Alice", "iphone", False), ("Carol", None, True)]),
    ],
)
@pytest.mark.parametrize("user", [DEMO_BOB, "Bob", "bob"])
def test_member_commands_by_key_or_memo(
    env, simulator: Simulator, action: str, expected: list, user: str
) -> None:
    code, out, err = run(env, "group", action, "ops", user)
    assert code == 0, err
    assert state(simulator) == expected
    who = "Bob" if user != DEMO_BOB else Secret(DEMO_BOB).masked()
    assert out.splitlines()[0] == f"{action.capitalize()}d {who} (all devices) in 'ops'."
    assert no_keys(out)


def test_member_command_json(env, simulator: Simulator) -> None:
    code, out, _ = run(env, "group", "disable", DEMO_GROUP, "Alice", "--device", "iphone", "--json")
    assert code == 0
    data = json.loads(out)
    assert data == {
        "status": 1,
        "group": MASKED_GROUP,
        "user": Secret(DEMO_USER).masked(),
        "device": "iphone",
        "request": data["request"],
    }
    assert state(simulator)[0] == ("Alice", "iphone", True)


@pytest.mark.parametrize("action", ["remove", "disable", "enable"])
def test_non_member_key_is_rejected_by_the_api(env, simulator: Simulator, action: str) -> None:
    code, _, err = run(env, "group", action, "ops", DAVE)
    assert code == cli.EXIT_REJECTED
    assert "user is not a member of this group" in err and no_keys(err)


@pytest.mark.parametrize("action", ["remove", "disable", "enable", "oncall"])
def test_unknown_memo_is_a_usage_error_listing_memos(
    env, simulator: Simulator, action: str
) -> None:
    code, _, err = run(env, "group", action, "ops", "Zed")
    assert code == cli.EXIT_USAGE
    assert "'Alice', 'Bob', 'Carol'" in err
    assert state(simulator) == DEMO_STATE


def test_memo_shared_by_two_users_is_a_usage_error(env, simulator: Simulator) -> None:
    assert run(env, "group", "add", "ops", DAVE, "--memo", "Bob")[0] == 0
    code, _, err = run(env, "group", "disable", "ops", "Bob")
    assert code == cli.EXIT_USAGE and "2 members of 'ops' have the memo 'Bob'" in err
    assert no_keys(err)


def test_rename(env, simulator: Simulator) -> None:
    code, out, err = run(env, "group", "rename", "ops", "night shift")
    assert code == 0, err
    assert out.splitlines()[0] == "Renamed 'ops' to 'night shift'."
    assert simulator.groups[DEMO_GROUP].name == "night shift"
    code, out, _ = run(env, "group", "rename", "night shift", "ops", "--json")
    assert json.loads(out)["name"] == "ops" and json.loads(out)["group"] == MASKED_GROUP


# -- oncall --------------------------------------------------------------------------------------


def test_oncall_by_memo_prints_before_and_now(env, simulator: Simulator) -> None:
    code, out, err = run(env, "group", "oncall", "ops", "Carol")
    assert code == 0, err
    assert out.splitlines() == [
        "On call in 'ops' (3 changes):",
        "  before  Alice (iphone), Bob (all devices)",
        "  now     Carol (all devices)",
    ]
    assert state(simulator) == [
        ("Alice", "iphone", True),
        ("Bob", None, True),
        ("Carol", None, False),
    ]
    # The enable came first: someone was on call at every moment.
    actions = [r.path.rsplit("/", 1)[-1] for r in simulator.requests if r.method == "POST"]
    assert actions == ["enable_user.json", "disable_user.json", "disable_user.json"]


def test_oncall_by_key_json(env, simulator: Simulator) -> None:
    code, out, _ = run(env, "group", "oncall", DEMO_GROUP, DEMO_BOB, "--json")
    assert code == 0 and no_keys(out)
    data = json.loads(out)
    assert [m["memo"] for m in data["before"]] == ["Alice", "Bob"]
    assert data["now"] == [
        {"user": Secret(DEMO_BOB).masked(), "device": None, "memo": "Bob", "disabled": False}
    ]
    assert data["changes"] == [
        {
            "action": "disable",
            "user": Secret(DEMO_USER).masked(),
            "device": "iphone",
            "memo": "Alice",
        }
    ]
    assert state(simulator) == [("Alice", "iphone", True), ("Bob", None, False), DEMO_STATE[2]]


def test_oncall_with_a_device_keeps_only_that_binding(env, simulator: Simulator) -> None:
    assert run(env, "group", "add", "ops", DEMO_USER, "--memo", "Alice")[0] == 0  # all devices
    code, out, err = run(env, "group", "oncall", "ops", "Alice", "--device", "iphone")
    assert code == 0, err
    assert state(simulator) == [
        ("Alice", "iphone", False),
        ("Bob", None, True),
        ("Carol", None, True),
        ("Alice", None, True),
    ]
    assert out.splitlines()[-1] == "  now     Alice (iphone)"


def test_oncall_when_already_on_call_changes_nothing(env, simulator: Simulator) -> None:
    assert run(env, "group", "oncall", "ops", "Bob")[0] == 0
    before = len(simulator.requests)
    code, out, _ = run(env, "group", "oncall", "ops", "Bob")
    assert code == 0 and out.splitlines()[0] == "On call in 'ops' (no change):"
    assert all(r.method == "GET" for r in simulator.requests[before:])


def test_oncall_for_a_non_member_changes_nothing(env, simulator: Simulator) -> None:
    code, out, err = run(env, "group", "oncall", "ops", DAVE)
    assert code == cli.EXIT_REJECTED and out == ""
    assert "user is not a member of this group" in err
    assert "on call not changed: step 1 of 1 failed; nothing had been changed." in err
    assert state(simulator) == DEMO_STATE


class FailAt:
    """Makes the simulator fail from the `at`-th change of a group membership on, `count`
    answers in a row (the client retries 5xx twice: 3 answers fail one call)."""

    def __init__(self, monkeypatch, simulator: Simulator, at: int, kind: str, count: int):
        self.calls = 0
        for name in ("enable_group_user", "disable_group_user"):
            original = getattr(PushoverClient, name)

            async def call(client, *args, _original=original, **kwargs):
                self.calls += 1
                if self.calls == at:
                    simulator.inject_fault(kind, count)
                return await _original(client, *args, **kwargs)

            monkeypatch.setattr(PushoverClient, name, call)


@pytest.mark.parametrize(
    ("kind", "count", "code"),
    [("500", 3, cli.EXIT_TEMPORARY), ("429", 1, cli.EXIT_QUOTA)],
)
def test_oncall_failure_undoes_the_steps_made(
    env, simulator: Simulator, monkeypatch, kind: str, count: int, code: int
) -> None:
    FailAt(monkeypatch, simulator, at=3, kind=kind, count=count)  # the second disable fails
    result, out, err = run(env, "group", "oncall", "ops", "Carol")
    assert result == code and out == ""
    lines = err.splitlines()
    # A 5xx may have been applied, so that step is undone too (last: Pushover may make it
    # late); a 429 was a refusal.
    undone = ", enable Bob (all devices)" if kind == "500" else ""
    assert lines[-1] == (
        "pushover-tui: on call not changed: step 3 of 3 failed; undone: "
        f"enable Alice (iphone), disable Carol (all devices){undone}."
    )
    assert state(simulator) == DEMO_STATE
    assert no_keys(err)


def test_oncall_says_what_it_could_not_undo(env, simulator: Simulator, monkeypatch) -> None:
    # The step fails, and so does the first undo (Carol's, the step made); the failed step's
    # own undo, last, works.
    FailAt(monkeypatch, simulator, at=2, kind="500", count=6)
    code, _, err = run(env, "group", "oncall", "ops", "Carol")
    assert code == cli.EXIT_TEMPORARY
    assert "step 2 of 3 failed; undone: enable Alice (iphone)." in err
    assert "Could not undo: disable Carol (all devices) (Pushover answered HTTP 500" in err
    assert "pushover-tui group show" in err
    assert state(simulator) == [
        ("Alice", "iphone", False),
        ("Bob", None, False),
        ("Carol", None, False),
    ]


def test_oncall_interrupted_undoes_and_exits_130(env, simulator: Simulator, monkeypatch) -> None:
    original = PushoverClient.disable_group_user
    calls: list[int] = []

    async def interrupted(client, *args, **kwargs):
        await original(client, *args, **kwargs)
        calls.append(1)
        if len(calls) == 1:  # Ctrl-C after the first disable: asyncio cancels the command
            os.kill(os.getpid(), signal.SIGINT)
            await asyncio.sleep(5)

    monkeypatch.setattr(PushoverClient, "disable_group_user", interrupted)
    code, _, err = run(env, "group", "oncall", "ops", "Carol")
    assert code == cli.EXIT_INTERRUPTED
    assert "oncall interrupted; undone: disable Carol (all devices), enable Alice (iphone)." in err
    assert state(simulator) == DEMO_STATE


# -- send --to, a profile's `to`, history --to -----------------------------------------------------


@pytest.mark.parametrize("to", ["ops", DEMO_GROUP])
def test_send_to_a_group(env, simulator: Simulator, to: str) -> None:
    code, out, err = run(env, "send", "disk full", "--to", to, "--json")
    assert code == 0, err
    assert [r["user"][:4] for r in simulator.messages[-1]["to"]] == ["uQiR", "uBob"]
    data = json.loads(out)
    assert data["recipient"] == MASKED_GROUP and no_keys(out)
    (row,) = history_rows(env)
    assert row.recipient == MASKED_GROUP


def test_send_to_an_unknown_group_sends_and_records_nothing(env, simulator: Simulator) -> None:
    code, _, err = run(env, "send", "x", "--to", "prod")
    assert code == cli.EXIT_USAGE and "No group named 'prod'" in err
    assert simulator.messages == [] and history_rows(env) == []


def test_profile_to_is_the_default_recipient(env, simulator: Simulator) -> None:
    code, out, err = run(env, "config", "set", "to", "ops")
    assert code == 0, err
    assert "to = (hidden)" in out
    code, out, _ = run(env, "config", "show", "--json")
    assert json.loads(out)["settings"]["to"] == "ops"
    assert run(env, "send", "to the group")[0] == 0
    assert len(simulator.messages[-1]["to"]) == 2
    # --to still wins, and a key in `to` is masked in config show.
    assert run(env, "send", "to me", "--to", DEMO_USER)[0] == 0
    assert "to" not in simulator.messages[-1]  # not to a group
    assert history_rows(env)[0].recipient == Secret(DEMO_USER).masked()
    assert run(env, "config", "set", "to", DEMO_GROUP)[0] == 0
    code, out, _ = run(env, "config", "show")
    assert re.search(rf"\bto\s+{re.escape(MASKED_GROUP)}", out) and no_keys(out)


def test_profile_to_must_be_a_key_or_a_name(env) -> None:
    code, _, err = run(env, "config", "set", "to", "n" * 251)
    assert code == cli.EXIT_USAGE and "to: The group name is 251 characters" in err


def test_history_filters_by_recipient(env, simulator: Simulator) -> None:
    assert run(env, "send", "to me")[0] == 0
    assert run(env, "send", "to ops", "--to", "ops")[0] == 0
    for to, expected in (("ops", ["to ops"]), (DEMO_GROUP, ["to ops"]), (DEMO_USER, ["to me"])):
        code, out, err = run(env, "history", "--to", to, "--json")
        assert code == 0, err
        assert [row["message"] for row in json.loads(out)] == expected
    code, out, _ = run(env, "history", "--to", DAVE)
    assert code == 0 and out.strip() == "No match."
    code, _, err = run(env, "history", "--to", "prod")
    assert code == cli.EXIT_USAGE and "No group named 'prod'" in err


def test_history_to_a_key_needs_no_credentials(isolated_env) -> None:
    code, out, err = run(dict(isolated_env), "history", "--to", DEMO_GROUP)
    assert code == 0, err
    assert out.strip() == "No match."
    code, _, err = run(dict(isolated_env), "history", "--to", "ops")  # a name needs the API
    assert code == cli.EXIT_NO_CREDENTIALS
