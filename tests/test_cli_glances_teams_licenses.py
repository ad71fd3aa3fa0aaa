"""`pushover-tui glance`, `team show|add|remove`, `license credits|assign` and `subscription
migrate` against the simulator: output, --json, field problems (exit 2, no request), the team
token (exit 6 without one, no request), questions in a terminal and --yes for scripts."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pushover_tui import cli
from pushover_tui.simulator import (
    DEMO_BOB,
    DEMO_LICENSE_CREDITS,
    DEMO_SUBSCRIPTION,
    DEMO_TEAM_TOKEN,
    DEMO_TOKEN,
    DEMO_USER,
    Simulator,
)

ROOT = Path(__file__).resolve().parents[1]


class Terminal(io.StringIO):
    """Standard input that is a terminal, with what the person types."""

    def isatty(self) -> bool:
        return True


def run(env: dict[str, str], *argv: str, stdin: io.StringIO | None = None):
    out, err = io.StringIO(), io.StringIO()
    stdin = stdin if stdin is not None else io.StringIO("")
    code = cli.main(list(argv), env=env, stdin=stdin, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def env(isolated_env, demo_config) -> dict[str, str]:
    return dict(isolated_env)


@pytest.fixture
def team_env(env) -> dict[str, str]:
    return {**env, "PUSHOVER_TEAM_TOKEN": DEMO_TEAM_TOKEN}


def requests_to(sim: Simulator, fragment: str) -> int:
    return sum(fragment in record.path for record in sim.requests)


# -- glance ---------------------------------------------------------------------------------


def test_glance_sends_its_fields_to_the_profiles_user(env, simulator):
    code, out, err = run(env, "glance", "--title", "Sales", "--count", "-2", "--percent", "40")
    assert code == cli.EXIT_OK, err
    assert out.startswith("Glance sent to uQiR•") and "count -2" in out
    assert DEMO_USER not in out
    [glance] = simulator.glances
    assert (glance["title"], glance["count"], glance["percent"]) == ("Sales", -2, 40)
    code, out, _ = run(env, "glance", "--text", "hi", "--user", DEMO_BOB, "--json")
    body = json.loads(out)
    assert body["status"] == 1 and body["text"] == "hi" and body["user"].startswith("uBob")


def test_glances_are_in_history_and_history_filters_by_kind(env, simulator):
    assert run(env, "send", "a message")[0] == cli.EXIT_OK
    assert run(env, "glance", "--title", "Sales", "--count", "12")[0] == cli.EXIT_OK
    assert run(env, "glance", "--text", "sent to bob", "--user", DEMO_BOB)[0] == cli.EXIT_OK
    code, out, err = run(env, "history", "--kind", "glance", "--json")
    assert code == cli.EXIT_OK, err
    rows = json.loads(out)
    assert [(row["kind"], row["status"], row["origin"]) for row in rows] == [
        ("glance", "sent", "cli")
    ] * 2
    assert (rows[1]["title"], rows[1]["count"], rows[1]["percent"]) == ("Sales", 12, None)
    assert rows[0]["text"] == "sent to bob" and rows[0]["recipient"].startswith("uBob")
    assert DEMO_USER not in out and DEMO_BOB not in out and DEMO_TOKEN not in out
    code, out, _ = run(env, "history", "--kind", "message")
    assert code == cli.EXIT_OK and "a message" in out and "glance" not in out
    code, out, _ = run(env, "history")
    assert "[glance] Sales: count 12" in out and "a message" in out
    assert run(env, "history", "--kind", "other")[0] == cli.EXIT_USAGE


@pytest.mark.parametrize(
    ("argv", "field"),
    [
        ([], "glance"),
        (["--percent", "101"], "percent"),
        (["--title", "x" * 101], "title"),
        (["--subtext", "x" * 101], "subtext"),
        (["--text", "a", "--device", "my phone"], "device"),
        (["--text", "a", "--user", "short"], "user"),
    ],
)
def test_glance_field_problems_exit_2_before_any_request(env, simulator, argv, field):
    code, out, err = run(env, "glance", *argv)
    assert code == cli.EXIT_USAGE and out == ""
    assert f"  {field}: " in err and "nothing was sent" in err
    assert requests_to(simulator, "glances") == 0


def test_glance_count_must_be_a_whole_number(env, capsys):
    code, _, _ = run(env, "glance", "--count", "1.5")  # argparse writes to sys.stderr
    assert code == cli.EXIT_USAGE and "--count must be a whole number" in capsys.readouterr().err


def test_glance_without_keys_exits_6(isolated_env, simulator):
    code, _, err = run(dict(isolated_env), "glance", "--text", "hi")
    assert code == cli.EXIT_NO_CREDENTIALS and "application token" in err
    assert requests_to(simulator, "glances") == 0


# -- team ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv", [["team", "show"], ["team", "add", "d@example.com"], ["team", "remove", "b@x.org"]]
)
def test_team_without_a_team_token_says_how_to_set_it_and_exits_6(env, simulator, argv):
    code, out, err = run(env, *argv, "--yes") if "remove" in argv else run(env, *argv)
    assert code == cli.EXIT_NO_CREDENTIALS and out == ""
    [line] = err.splitlines()
    assert "config set team_token -" in line and "PUSHOVER_TEAM_TOKEN" in line
    assert requests_to(simulator, "teams") == 0


def test_team_token_from_the_profile_is_masked_in_config_show(env, simulator):
    code, _, err = run(env, "config", "set", "team_token", "-", stdin=io.StringIO(DEMO_TEAM_TOKEN))
    assert code == cli.EXIT_OK, err
    code, out, _ = run(env, "config", "show")
    assert "team_token" in out and DEMO_TEAM_TOKEN not in out and "tDem•" in out
    code, out, _ = run(env, "team", "show")
    assert code == cli.EXIT_OK and "Demo team: 2 members, 1 administrator" in out


def test_team_show_lists_members_and_administrators(team_env):
    code, out, _ = run(team_env, "team", "show")
    assert code == cli.EXIT_OK
    assert "admin   Alice" in out and "member  Bob" in out
    code, out, _ = run(team_env, "team", "show", "--json")
    body = json.loads(out)
    assert [(u["name"], u["administrator"]) for u in body["users"]] == [
        ("Alice", True),
        ("Bob", False),
    ]


def test_team_add_reads_the_password_from_stdin_never_from_the_command_line(team_env, simulator):
    piped = io.StringIO("s3cret-pw\n")
    code, out, err = run(
        team_env, "team", "add", "dave@example.com", "--name", "Dave", "--admin", "--password",
        stdin=piped,
    )  # fmt: skip
    assert code == cli.EXIT_OK, err
    assert out.startswith("Added dave@example.com to the team as an administrator.")
    assert simulator.team(DEMO_TEAM_TOKEN).members[-1].administrator
    code, out, err = run(team_env, "team", "add", "erin@example.com", "--password", "s3cret-pw")
    assert code == cli.EXIT_USAGE and "s3cret" not in out + err
    assert [m.email for m in simulator.team(DEMO_TEAM_TOKEN).members][-1] == "dave@example.com"


def test_team_add_a_bad_email_exits_2_without_a_request(team_env, simulator):
    code, _, err = run(team_env, "team", "add", "not-an-address")
    assert code == cli.EXIT_USAGE and "email" in err
    assert requests_to(simulator, "teams") == 0


def test_team_remove_asks_in_a_terminal_and_needs_yes_in_a_script(team_env, simulator):
    emails = lambda: [m.email for m in simulator.team(DEMO_TEAM_TOKEN).members]  # noqa: E731
    code, _, err = run(team_env, "team", "remove", "bob@example.com")  # a script, no --yes
    assert code == cli.EXIT_USAGE and "--yes" in err
    code, _, err = run(team_env, "team", "remove", "bob@example.com", stdin=Terminal("n\n"))
    assert code == cli.EXIT_USAGE and "Remove bob@example.com from the team? [y/N]" in err
    assert "bob@example.com" in emails() and requests_to(simulator, "remove_user") == 0
    code, out, _ = run(team_env, "team", "remove", "bob@example.com", stdin=Terminal("y\n"))
    assert code == cli.EXIT_OK and "Removed bob@example.com" in out
    code, _, _ = run(team_env, "team", "add", "bob@example.com")
    code, out, _ = run(team_env, "team", "remove", "bob@example.com", "--yes", "--json")
    assert code == cli.EXIT_OK and json.loads(out)["email"] == "bob@example.com"
    assert "bob@example.com" not in emails()


def test_an_app_token_as_team_token_is_rejected_with_exit_3(env):
    code, _, err = run({**env, "PUSHOVER_TEAM_TOKEN": DEMO_TOKEN}, "team", "show")
    assert code == cli.EXIT_REJECTED and "team token is invalid" in err
    assert DEMO_TOKEN not in err


# -- licenses and subscriptions ---------------------------------------------------------------


def test_license_credits_and_assign(env, simulator):
    code, out, _ = run(env, "license", "credits")
    assert out == f"{DEMO_LICENSE_CREDITS} license credits left.\n"
    code, out, _ = run(env, "license", "credits", "--json")
    assert json.loads(out) == {"status": 1, "credits": DEMO_LICENSE_CREDITS}
    code, out, err = run(env, "license", "assign", "--user", DEMO_BOB, "--os", "iOS")
    assert code == cli.EXIT_OK, err
    assert out.startswith("Assigned a license to uBob") and "4 credits left" in out
    code, out, _ = run(env, "license", "assign", "--email", "new@example.com", "--json")
    assert json.loads(out)["credits"] == 3


def test_license_assign_asks_first_in_a_terminal(env, simulator):
    code, _, err = run(env, "license", "assign", "--user", DEMO_BOB, stdin=Terminal("\n"))
    assert code == cli.EXIT_USAGE and "cannot be refunded" in err
    assert simulator.license_credits == DEMO_LICENSE_CREDITS
    code, _, _ = run(env, "license", "assign", "--user", DEMO_BOB, stdin=Terminal("yes\n"))
    assert code == cli.EXIT_OK and simulator.license_credits == DEMO_LICENSE_CREDITS - 1


@pytest.mark.parametrize(
    "argv",
    [
        ["--os", "iOS"],
        ["--user", DEMO_USER, "--email", "a@example.com"],
        ["--user", DEMO_USER, "--os", "Windows"],
        ["--email", "nope"],
        ["--user", "short"],
    ],
)
def test_license_assign_usage_problems_exit_2_without_a_request(env, simulator, argv, capsys):
    code, _, _ = run(env, "license", "assign", *argv)
    assert code == cli.EXIT_USAGE
    assert requests_to(simulator, "licenses") == 0


def test_no_credits_left_is_rejected_with_exit_3(env, simulator):
    simulator.license_credits = 0
    code, _, err = run(env, "license", "assign", "--user", DEMO_BOB)
    assert code == cli.EXIT_REJECTED and "no license credits remaining" in err


def test_subscription_migrate_prints_the_subscribed_user_key(env, simulator):
    argv = ["subscription", "migrate", "--code", DEMO_SUBSCRIPTION, "--user", DEMO_USER]
    code, out, err = run(env, *argv, "--device", "pixel")
    assert code == cli.EXIT_OK, err
    [key] = out.split()
    assert len(key) == 30 and key != DEMO_USER
    code, out, _ = run(env, *argv, "--json")
    assert json.loads(out) == {"status": 1, "subscribed_user_key": key}
    code, _, err = run(env, "subscription", "migrate", "--code", "nope", "--user", DEMO_USER)
    assert code == cli.EXIT_REJECTED and "subscription code is invalid" in err
    code, _, _ = run(env, "subscription", "migrate", "--code", "x", "--user", "short")
    assert code == cli.EXIT_USAGE


def test_team_add_in_a_real_process_reads_the_password_from_a_pipe(env, simulator):
    result = subprocess.run(
        [sys.executable, "-m", "pushover_tui", "team", "add", "pipe@example.com", "--password"],
        input="piped-password\n",
        capture_output=True,
        text=True,
        env={**os.environ, **env, "PUSHOVER_TEAM_TOKEN": DEMO_TEAM_TOKEN, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    assert result.returncode == cli.EXIT_OK, result.stderr
    assert "pipe@example.com" in [m.email for m in simulator.team(DEMO_TEAM_TOKEN).members]
    assert "piped-password" not in result.stdout + result.stderr


def test_the_team_token_is_never_printed(env, simulator):
    sentinel = "tSentinelTeamTokenQz7Vb3nK9mW2"
    team_env = {**env, "PUSHOVER_TEAM_TOKEN": sentinel}
    outputs = [run(team_env, "config", "show", "--json"), run(team_env, "config", "show")]
    outputs.append(run(team_env, "team", "show"))  # unknown to Pushover: rejected
    simulator.add_team(sentinel, "Sentinel")
    outputs += [run(team_env, "team", "show", "--json"), run(team_env, "team", "add", "x@y.org")]
    assert outputs[2][0] == cli.EXIT_REJECTED and outputs[3][0] == cli.EXIT_OK
    for _code, out, err in outputs:
        assert sentinel[:12] not in out + err and sentinel[-12:] not in out + err
    assert all(sentinel[:12] not in str(record) for record in simulator.requests)
