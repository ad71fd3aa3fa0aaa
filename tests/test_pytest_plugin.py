"""The shipped pytest plugin, seen as another project sees it: installed by its entry point, no
conftest, the fixture's options overridden the documented ways."""

from __future__ import annotations

import re
from importlib.metadata import entry_points
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

README = Path(__file__).resolve().parents[1] / "README.md"
# In-process, without this venv's other plugins: textual-snapshot keeps one temporary folder per
# process, which an inner session would delete under the outer one.
PLUGINS_OFF = ("no:cacheprovider", "no:textual-snapshot", "no:asyncio", "no:syrupy")


def run_inner(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(*(arg for name in PLUGINS_OFF for arg in ("-p", name)), *args)


def readme_blocks(heading: str, language: str) -> list[str]:
    """The code blocks of one README section (up to the next `## ` heading)."""
    section = README.read_text().split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"```{language}\n(.*?)```", section, re.DOTALL)


def test_the_plugin_is_registered_by_its_entry_point() -> None:
    found = [e for e in entry_points(group="pytest11") if e.name == "pushover_simulator"]
    assert [e.value for e in found] == ["pushover_tui.simulator.pytest_plugin"]


def test_another_projects_tests_use_the_fixture(pytester: pytest.Pytester) -> None:
    # Written as a project that sends Pushover messages with requests would write it.
    pytester.makepyfile(
        test_alerts="""
        import pytest
        import requests

        TOKEN = "azGDORePK8gMaC0QOYAMyEEuzJnyUi"
        ALICE = "uAliceSeededUserKey00000000001"


        def send_alert(api_url, user, text):
            reply = requests.post(
                f"{api_url}/messages.json",
                data={"token": TOKEN, "user": user, "message": text},
                timeout=5,
            )
            return reply.status_code, reply.json()


        def test_default_simulator(pushover_simulator):
            user = "uQiRzpo4DXghDmr9QzzfQu27cmVRsG"
            status, body = send_alert(pushover_simulator.base_url, user, "disk full")
            assert (status, body["status"]) == (200, 1)
            assert pushover_simulator.messages == [{"message": "disk full"}]
            assert pushover_simulator.ack_after == 5  # from the conftest's options
            [record] = pushover_simulator.requests
            assert (record.method, record.path, record.status) == ("POST", "/1/messages.json", 200)


        @pytest.mark.parametrize(
            "pushover_simulator_options",
            [{"state": {"users": [{"key": ALICE, "devices": ["pager"]}]}, "ack_after": 0}],
        )
        def test_seeded_user(pushover_simulator):
            status, body = send_alert(pushover_simulator.base_url, ALICE, "on call")
            assert status == 200
            assert pushover_simulator.ack_after == 0


        def test_unknown_user_is_rejected_like_the_real_api(pushover_simulator):
            status, body = send_alert(pushover_simulator.base_url, ALICE, "nobody")
            assert status == 400
            assert body["user"] == "invalid"
            assert body["errors"] == ["user identifier is invalid"]
        """
    )
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture
        def pushover_simulator_options():
            return {"ack_after": 5}
        """
    )
    run_inner(pytester).assert_outcomes(passed=3)


def test_the_readme_examples_pass(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "Use the simulator in your own tests", as written, with the state file "Seeded state" shows.
    test_module, conftest = readme_blocks("Use the simulator in your own tests", "python")
    [state] = readme_blocks("The simulator", "toml")
    assert test_module.startswith("# test_alerts.py") and conftest.startswith("# conftest.py")
    # All three in tests/, run from another folder: the conftest finds its state file itself.
    tests = pytester.path / "tests"
    tests.mkdir()
    (tests / "test_alerts.py").write_text(test_module)
    (tests / "conftest.py").write_text(conftest)
    (tests / "pushover-state.toml").write_text(state)
    elsewhere = pytester.path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    run_inner(pytester, str(tests)).assert_outcomes(passed=5)
