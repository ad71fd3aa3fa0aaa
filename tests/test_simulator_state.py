"""Seeded simulator state (`--state FILE`, `Simulator(state=...)`): what a file sets up is what
the API then answers, and a bad file is one clear sentence naming the section and field."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from pushover_tui import cli
from pushover_tui.simulator import DEMO_TOKEN, DEMO_USER, Simulator, StateError

TOKEN = "aSeededAppToken00000000000001x"
ALICE = "uAliceSeededUserKey00000000001"
NOBODY = "uNoDevicesSeededUserKey0000001"

STATE_TOML = f"""
[quota]
limit = 500

[[apps]]
token = "{TOKEN}"
remaining = 7

[[users]]
key = "{ALICE}"
devices = ["phone", "desk_top-2"]
licenses = ["Android", "Desktop"]

[[users]]
key = "{NOBODY}"
devices = []

[sounds]
ding = "Ding (custom)"
"""

STATE = {
    "quota": {"limit": 500},
    "apps": [{"token": TOKEN, "remaining": 7}],
    "users": [
        {"key": ALICE, "devices": ["phone", "desk_top-2"], "licenses": ["Android", "Desktop"]},
        {"key": NOBODY, "devices": []},
    ],
    "sounds": {"ding": "Ding (custom)"},
}


def check_seeded(sim: Simulator) -> None:
    with httpx.Client(base_url=sim.base_url, timeout=5) as client:
        limits = client.get("/apps/limits.json", params={"token": TOKEN}).json()
        assert (limits["limit"], limits["remaining"]) == (500, 7)
        valid = client.post("/users/validate.json", data={"token": TOKEN, "user": ALICE}).json()
        assert valid["devices"] == ["phone", "desk_top-2"]
        assert valid["licenses"] == ["Android", "Desktop"]
        empty = client.post("/users/validate.json", data={"token": TOKEN, "user": NOBODY})
        assert empty.status_code == 400
        assert empty.json()["errors"] == ["user is valid but has no active devices"]
        sounds = client.get("/sounds.json", params={"token": TOKEN}).json()["sounds"]
        assert sounds["ding"] == "Ding (custom)" and "pushover" in sounds
        # The demo keys stay: a state file adds to them.
        demo = client.post("/users/validate.json", data={"token": DEMO_TOKEN, "user": DEMO_USER})
        assert demo.status_code == 200


@pytest.mark.parametrize("form", ["toml", "json", "mapping"])
def test_state_seeds_apps_users_sounds_and_quota(tmp_path: Path, form: str) -> None:
    if form == "toml":
        state: object = tmp_path / "state.toml"
        (tmp_path / "state.toml").write_text(STATE_TOML)
    elif form == "json":
        state = tmp_path / "state.json"
        (tmp_path / "state.json").write_text(json.dumps(STATE))
    else:
        state = STATE
    with Simulator(state=state) as sim:  # type: ignore[arg-type]
        check_seeded(sim)


def test_licenses_are_guessed_from_device_names_when_absent() -> None:
    state = {"users": [{"key": ALICE, "devices": ["iphone", "chrome"]}]}
    with Simulator(state=state) as sim, httpx.Client(base_url=sim.base_url) as client:
        valid = client.post("/users/validate.json", data={"token": DEMO_TOKEN, "user": ALICE})
        assert valid.json()["licenses"] == ["iOS", "Desktop"]


def test_seeded_quota_is_enforced() -> None:
    state = {"apps": [{"token": TOKEN, "remaining": 1}]}
    with Simulator(state=state) as sim, httpx.Client(base_url=sim.base_url) as client:
        form = {"token": TOKEN, "user": DEMO_USER, "message": "x"}
        assert client.post("/messages.json", data=form).status_code == 200
        assert client.post("/messages.json", data=form).status_code == 429


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (
            {"groupz": []},
            "unknown section 'groupz'; known: quota, apps, users, sounds, groups, accounts, "
            "team, licenses, subscriptions",
        ),
        (
            {"groups": [{"name": "x", "members": [{"user": ALICE}]}]},
            "groups[0].members[0].user: not a user key listed under users (or a demo)",
        ),
        ({"groups": [{"members": []}]}, "groups[0]: name is missing"),
        (
            {"groups": [{"name": "x", "members": [{"user": DEMO_USER, "disabled": "no"}]}]},
            "groups[0].members[0].disabled: must be true or false, not a string",
        ),
        ({"accounts": [{"email": "a@b.c", "user": DEMO_USER}]}, "accounts[0]: password is missing"),
        (
            {"accounts": [{"email": "nobody", "password": "p", "user": DEMO_USER}]},
            "accounts[0].email: 'nobody' is not an email address",
        ),
        ({"quota": {"limit": True}}, "quota.limit: must be a whole number, not a boolean"),
        ({"quota": {"limit": -1}}, "quota.limit: must be at least 0, not -1"),
        ({"quota": {"limits": 5}}, "quota: unknown field 'limits'; known: limit"),
        ({"apps": {"token": TOKEN}}, "apps: must be a list, not a table"),
        ({"apps": [{}]}, "apps[0]: token is missing"),
        (
            {"apps": [{"token": TOKEN, "remaining": 10_001}]},
            "apps[0].remaining: must be at least 0 and at most 10000, not 10001",
        ),
        ({"apps": ["x"]}, "apps[0]: must be a table, not a string"),
        ({"users": [{"key": ALICE}]}, "users[0]: devices is missing"),
        (
            {"users": [{"key": ALICE, "devices": ["ok", "my phone"]}]},
            "users[0].devices[1]: 'my phone' is not a device name "
            "(1 to 25 characters of A-Z, a-z, 0-9, _ and -)",
        ),
        (
            {"users": [{"key": ALICE, "devices": [], "licenses": ["Windows"]}]},
            "users[0].licenses[0]: 'Windows' is not one of Android, iOS, Desktop",
        ),
        (
            {"users": [{"key": ALICE, "devices": [], "group": True}]},
            "users[0]: unknown field 'group'; known: key, devices, licenses",
        ),
        ({"sounds": {"ding": 3}}, "sounds.ding: must be a string, not a number"),
    ],
)
def test_bad_state_names_section_and_field(state: dict, expected: str) -> None:
    with pytest.raises(StateError) as caught:
        Simulator(state=state)
    assert str(caught.value) == expected


def test_an_account_cannot_log_in_as_a_group() -> None:
    group = "gSeededGroupKey000000000000000"
    state = {
        "groups": [{"key": group, "name": "ops", "owner": DEMO_TOKEN, "members": []}],
        "accounts": [{"email": "a@example.com", "password": "p", "user": group}],
    }
    with pytest.raises(StateError, match=r"accounts\[0\].user: is a group's key"):
        Simulator(state=state)


def test_state_nested_too_deeply_is_a_state_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(StateError, match="nests too deeply"):
        Simulator(state=path)


def test_a_bad_key_is_named_but_never_echoed() -> None:
    almost = "uAliceSeededUserKey0000000000!"
    with pytest.raises(StateError) as caught:
        Simulator(state={"users": [{"key": almost, "devices": []}]})
    assert str(caught.value) == "users[0].key: must be 30 characters of A-Z, a-z, 0-9"
    assert "Alice" not in str(caught.value)


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("s.json", "{", "is not valid JSON: Expecting property name enclosed in double quotes"),
        ("s.json", "[1]", "the file: must be a table, not a list"),
        ("s.toml", "[quota\n", "is not valid TOML"),
        ("s.json", b"\xff", "is not UTF-8 text"),
        ("missing.json", None, "cannot be read (No such file or directory)"),
    ],
)
def test_unreadable_state_file_names_the_file(
    tmp_path: Path, name: str, text: str | bytes | None, expected: str
) -> None:
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text)
    elif text is not None:
        path.write_bytes(text)
    with pytest.raises(StateError) as caught:
        Simulator(state=path)
    assert str(caught.value).startswith(f"state file {path}: {expected}")


def test_cli_bad_state_is_a_usage_error(tmp_path: Path, isolated_env: dict[str, str]) -> None:
    path = tmp_path / "state.toml"
    path.write_text('[[users]]\nkey = "short"\ndevices = []\n')
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(
        ["simulator", "--port", "0", "--state", str(path)],
        env=isolated_env,
        stdout=out,
        stderr=err,
    )
    assert code == 2
    assert err.getvalue() == (
        f"pushover-tui: state file {path}: users[0].key: must be 30 characters of A-Z, a-z, 0-9\n"
    )
    assert out.getvalue() == ""


def test_cli_simulator_serves_the_seeded_state(
    tmp_path: Path, isolated_env: dict[str, str]
) -> None:
    path = tmp_path / "state.toml"
    path.write_text(STATE_TOML)
    command = [sys.executable, "-m", "pushover_tui", "simulator", "--port", "0"]
    process = subprocess.Popen(
        [*command, "--state", str(path)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, **isolated_env},
    )
    try:
        assert process.stdout is not None
        banner = []  # up to its last line, the control endpoints
        for line in process.stdout:
            banner.append(line)
            if line.startswith("control:"):
                break
        assert banner[0].startswith("Pushover simulator listening on http://127.0.0.1:")
        assert f"seeded from {path}\n" in banner
        base_url = banner[0].split()[-1]
        with httpx.Client(base_url=base_url, timeout=5) as client:
            valid = client.post("/users/validate.json", data={"token": TOKEN, "user": ALICE})
            assert valid.json()["devices"] == ["phone", "desk_top-2"]
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=10)
    assert process.returncode == 0


GROUP = "gSeededGroupKey000000000000001"


def test_seeded_groups_and_accounts_reach_the_inbox() -> None:
    """A seeded group fans out to its enabled members; a seeded open-client account logs in
    (with its two-factor code) and receives what the group was sent."""
    state = {
        "users": [{"key": ALICE, "devices": ["phone"]}],
        "groups": [
            {
                "key": GROUP,
                "name": "night shift",
                "members": [
                    {"user": ALICE, "memo": "Alice"},
                    {"user": DEMO_USER, "memo": "Off", "disabled": True},
                ],
            }
        ],
        "accounts": [
            {"email": "alice@example.com", "password": "pw", "user": ALICE, "twofa": "654321"}
        ],
    }
    with Simulator(state=state) as sim, httpx.Client(base_url=sim.base_url, timeout=5) as http:
        shown = http.get(f"/groups/{GROUP}.json", params={"token": DEMO_TOKEN}).json()
        assert shown["name"] == "night shift" and [m["memo"] for m in shown["users"]] == [
            "Alice",
            "Off",
        ]
        login = {"email": "alice@example.com", "password": "pw"}
        assert http.post("/users/login.json", data=login).status_code == 412
        session = http.post("/users/login.json", data={**login, "twofa": "654321"}).json()
        device = http.post(
            "/devices.json", data={"secret": session["secret"], "name": "term", "os": "O"}
        ).json()["id"]
        sent = {"token": DEMO_TOKEN, "user": GROUP, "message": "to the night shift"}
        assert http.post("/messages.json", data=sent).status_code == 200
        pending = http.get(
            "/messages.json", params={"secret": session["secret"], "device_id": device}
        ).json()["messages"]
        assert [m["message"] for m in pending] == ["to the night shift"]
