"""Issue 15: the command line, the config file and the simulator against hostile and accidental
input. One section per hole the adversarial run found; each test fails on the code before it.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import stat
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
import respx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pushover_tui import cli
from pushover_tui.api.checks import (
    EXPIRE_MAX,
    RETRY_MAX,
    RETRY_MIN,
    TIMESTAMP_MAX,
    TTL_MAX,
    check_image,
    check_message,
)
from pushover_tui.api.client import PushoverClient, quota_from_headers
from pushover_tui.api.errors import FieldProblemsError
from pushover_tui.api.images import describe_content, image_type
from pushover_tui.api.models import Attachment, Message, Quota
from pushover_tui.simulator import DEMO_TOKEN, DEMO_USER
from pushover_tui.simulator.standalone import is_loopback_host
from pushover_tui.store.config import Config, load_config, save_config
from pushover_tui.store.files import tighten
from pushover_tui.store.history import History

ROOT = Path(__file__).resolve().parents[1]
FUZZ = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
API = "https://api.pushover.test/1"
CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # newline aside: checked by line counts


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def run(env: dict[str, str], *argv: str, stdin: io.IOBase | str | None = None):
    """The command line in-process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    if stdin is None:
        stdin = Tty("")
    elif isinstance(stdin, str):
        stdin = io.StringIO(stdin)
    code = cli.main(list(argv), env=env, stdin=stdin, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def rows(env: dict[str, str]):
    with History.open(Path(env["PUSHOVER_TUI_DATA"])) as history:
        return history.page()


@pytest.fixture
def env(isolated_env, demo_config) -> dict[str, str]:
    """Keys and the simulator's URL in the config file; isolated folders."""
    return dict(isolated_env)


@pytest.fixture
def remote_env(isolated_env) -> dict[str, str]:
    """Keys in the environment and an https API that respx answers (no network)."""
    return {
        **isolated_env,
        "PUSHOVER_TOKEN": DEMO_TOKEN,
        "PUSHOVER_USER": DEMO_USER,
        "PUSHOVER_API_URL": API,
    }


@pytest.fixture
def api():
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        yield router


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch):
    monkeypatch.setattr("pushover_tui.api.client.RETRY_GAP", 0.001)


# -- 1. quota headers out of range are unknown; the outcome stands -----------------------------

HUGE_NUMBERS = st.one_of(
    st.integers(min_value=2**31, max_value=10**30).map(str),
    st.integers(min_value=-(10**30), max_value=-1).map(str),
    st.integers(min_value=4_000, max_value=5_000).map(lambda digits: "9" * digits),
    st.sampled_from(["253402300800", "99999999999999999999", "1e5", "1_000", "+5", "0x10", ""]),
    st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30),
)


@FUZZ
@given(value=HUGE_NUMBERS)
def test_quota_headers_are_either_in_range_or_unknown(value):
    quota = quota_from_headers(
        httpx.Headers(
            {"X-Limit-App-Limit": value, "X-Limit-App-Remaining": value, "X-Limit-App-Reset": value}
        )
    )
    for number in (quota.limit, quota.remaining, quota.reset):
        assert number is None or 0 <= number <= 2**31 - 1
    assert Quota(10**400, -1, 253402300800) == Quota()  # a Quota never holds one either


@FUZZ
@given(value=HUGE_NUMBERS)
def test_a_429_with_absurd_headers_exits_4_and_a_delivery_exits_0(remote_env, api, value):
    headers = {"X-Limit-App-Remaining": value, "X-Limit-App-Reset": value}
    quota_body = {"errors": ["monthly quota used up"], "status": 0, "request": "r1"}
    route = api.post(f"{API}/messages.json")

    route.mock(return_value=httpx.Response(429, json=quota_body, headers=headers))
    code, _, err = run(remote_env, "send", "over quota")
    assert code == cli.EXIT_QUOTA, err
    assert "Traceback" not in err and "unexpected" not in err
    assert rows(remote_env)[0].status.value == "failed"

    route.mock(
        return_value=httpx.Response(200, json={"status": 1, "request": "r2"}, headers=headers)
    )
    code, _, err = run(remote_env, "send", "delivered")
    assert code == cli.EXIT_OK, err
    newest = rows(remote_env)[0]
    assert (newest.status.value, newest.request_id) == ("sent", "r2")
    assert run(remote_env, "history")[0] == cli.EXIT_OK


def test_the_issue_s_three_headers_exactly(remote_env, api):
    route = api.post(f"{API}/messages.json")
    body = {"errors": ["quota"], "status": 0, "request": "r"}
    for reset in ("253402300800", "99999999999999999999"):
        route.mock(
            return_value=httpx.Response(429, json=body, headers={"X-Limit-App-Reset": reset})
        )
        code, _, err = run(remote_env, "send", "x")
        assert code == cli.EXIT_QUOTA and "Monthly message quota" in err, err
        assert rows(remote_env)[0].status.value == "failed"
    delivered = httpx.Response(
        200, json={"status": 1, "request": "r"}, headers={"X-Limit-App-Remaining": "9" * 5000}
    )
    route.mock(return_value=delivered)
    code, _, err = run(remote_env, "send", "x")
    assert code == cli.EXIT_OK, err
    assert rows(remote_env)[0].status.value == "sent"
    assert rows(remote_env)[0].quota.remaining is None


def test_a_stored_reset_past_year_9999_prints_unknown():
    assert cli.base.when(253402300800) == "unknown"
    assert cli.base.when(10**30) == "unknown"


# -- 2. invalid UTF-8 on stdin is a field problem, whatever the locale --------------------------


@FUZZ
@given(data=st.binary(max_size=40))
def test_stdin_bytes_are_decoded_as_utf8_or_refused(isolated_env, data):
    # As under LC_ALL=en_US.UTF-8: a strict UTF-8 text stream over the raw bytes. No keys, so a
    # message that decodes stops at exit 6 without any network.
    stdin = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")
    code, _, err = run(dict(isolated_env), "send", "-", stdin=stdin)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        assert code == cli.EXIT_USAGE, err
        assert "not valid UTF-8" in err and "message" in err
    else:
        assert code == cli.EXIT_NO_CREDENTIALS, err


@pytest.mark.parametrize(
    "locale_env", [{"LC_ALL": "en_US.UTF-8"}, {"PYTHONIOENCODING": "utf-8"}, {"LC_ALL": "C"}]
)
def test_invalid_utf8_from_a_pipe_exits_2_in_a_real_process(env, simulator, locale_env):
    result = subprocess.run(
        [sys.executable, "-m", "pushover_tui", "send", "-"],
        input=b"bad \xff",
        env={**os.environ, **env, **locale_env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        timeout=60,
    )
    err = result.stderr.decode(errors="replace")
    assert result.returncode == cli.EXIT_USAGE, err
    assert "Traceback" not in err and "not valid UTF-8" in err and "0xff" in err
    assert simulator.requests == []


# -- 3. keys from stdin or a no-echo prompt, never only from argv ------------------------------

TOKEN = "azGDORePK8gMaC0QOYAMyEEuzJnyUi"
USER = "uQiRzpo4DXghDmr9QzzfQu27cmVRsG"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("token", TOKEN),
        ("user", USER),
        ("bridge.client_secret", "sentry client secret"),
        ("bridge.shared_secret", "legacy-secret"),
    ],
)
def test_config_set_secret_from_stdin(isolated_env, key, value):
    env = dict(isolated_env)
    code, out, err = run(env, "config", "set", key, "-", stdin=f"{value}\n")
    assert code == cli.EXIT_OK, err
    assert value not in out and value not in err and "(hidden)" in out
    config = load_config(Path(env["PUSHOVER_TUI_CONFIG"]), env={})
    if key.startswith("bridge."):
        assert config.bridge[key.removeprefix("bridge.")] == value
    else:
        assert getattr(config.profile(), key).reveal() == value


def test_config_set_secret_prompts_without_echo_on_a_terminal(isolated_env, monkeypatch):
    prompts: list[str] = []

    def fake_getpass(prompt: str = "Password: ", stream=None) -> str:
        prompts.append(prompt)
        return TOKEN

    monkeypatch.setattr("getpass.getpass", fake_getpass)
    code, out, err = run(dict(isolated_env), "config", "set", "token")  # stdin is a terminal
    assert code == cli.EXIT_OK, err
    assert prompts == ["token (not shown): "] and TOKEN not in out + err
    assert load_config(Path(isolated_env["PUSHOVER_TUI_CONFIG"]), env={}).profile().token


def test_config_set_secret_without_value_and_no_terminal_says_use_dash(isolated_env):
    code, _, err = run(dict(isolated_env), "config", "set", "token", stdin="")
    assert code == cli.EXIT_USAGE
    assert "config set token -" in err
    code, _, err = run(dict(isolated_env), "config", "set", "user", "-", stdin="\n")
    assert code == cli.EXIT_USAGE and "empty" in err
    assert not Path(isolated_env["PUSHOVER_TUI_CONFIG"]).exists()


def test_a_secret_on_the_command_line_still_works_with_a_warning(isolated_env):
    code, out, err = run(dict(isolated_env), "config", "set", "token", TOKEN)
    assert code == cli.EXIT_OK
    assert "visible to other local users" in err and "config set token -" in err
    assert TOKEN not in out + err


def test_echo_token_into_config_set_in_a_real_process(isolated_env):
    result = subprocess.run(
        [sys.executable, "-m", "pushover_tui", "config", "set", "token", "-"],
        input=f"{TOKEN}\n",
        text=True,
        env={**os.environ, **isolated_env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == "" and TOKEN not in result.stdout
    config = load_config(Path(isolated_env["PUSHOVER_TUI_CONFIG"]), env={})
    assert config.profile().token.reveal() == TOKEN


# -- 4. config set and the dashboard's Save keep the user's file --------------------------------


def readme_config() -> str:
    """The README's example config, plus a table of the user's own, comments everywhere."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    assert "# blank = the user's default sound" in example  # the README still has comments
    return (
        "# my pushover settings\n"
        + example
        + "\n[custom_section]   # kept for my own scripts\nanswer = 42 # the answer\n"
        + "list = [1, 2,   3]\n\n# trailing comment\n"
    )


def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    old, new = before.splitlines(), after.splitlines()
    assert len(old) == len(new), after
    return [(a, b) for a, b in zip(old, new, strict=True) if a != b]


@pytest.fixture
def readme_file(isolated_env) -> Path:
    path = Path(isolated_env["PUSHOVER_TUI_CONFIG"])
    path.parent.mkdir(mode=0o700)
    path.write_text(readme_config(), encoding="utf-8")
    path.chmod(0o600)
    return path


def test_config_set_changes_exactly_one_line_of_the_readme_example(isolated_env, readme_file):
    before = readme_file.read_text()
    code, _, err = run(dict(isolated_env), "config", "set", "sound", "bike")
    assert code == cli.EXIT_OK, err
    [(old, new)] = changed_lines(before, readme_file.read_text())
    assert old.startswith('sound = ""') and new == old.replace('""', '"bike"', 1)
    assert "# blank = the user's default sound" in new


def test_dashboard_save_changes_exactly_the_edited_lines(readme_file):
    # What the config screen hands to the store's save function: an edited Config.
    config = load_config(readme_file, env={})
    profile = config.profile("personal")
    before = readme_file.read_text()
    save_config(config.with_profile(replace(profile, priority=1, device="iphone")))
    assert [new for _, new in changed_lines(before, readme_file.read_text())] == [
        "priority = 1",
        'device = "iphone"       # blank = all devices',
    ]


def test_profiles_added_and_removed_leave_everything_else(readme_file):
    config = load_config(readme_file, env={})
    before = readme_file.read_text()
    added = config.with_profile(replace(config.profile("personal"), name="work"))
    added = save_config(added)  # as saved: the next save writes only what changes after it
    text = readme_file.read_text()
    assert text.startswith(before.split("[keymap]")[0]) and "[profiles.work]" in text
    assert "[custom_section]   # kept for my own scripts" in text and "# trailing comment" in text
    save_config(added.without_profile("work"))
    assert readme_file.read_text().replace("\n\n\n", "\n\n") == before.replace("\n\n\n", "\n\n")


def test_inbox_login_and_logout_touch_only_the_inbox_table(readme_file):
    from pushover_tui.api.inbox import InboxSession
    from pushover_tui.api.secret import Secret

    config = load_config(readme_file, env={})
    before = readme_file.read_text()
    session = InboxSession(secret=Secret("s" * 30), device_id=Secret("d" * 25), device_name="tui")
    logged_in = config.with_profile(replace(config.profile("personal"), inbox=session))
    logged_in = save_config(logged_in)
    assert load_config(readme_file, env={}).profile("personal").inbox == session
    assert "[profiles.personal.inbox]" in readme_file.read_text()
    save_config(logged_in.with_profile(replace(logged_in.profile("personal"), inbox=None)))
    assert readme_file.read_text() == before


def test_a_broken_file_is_never_overwritten_on_save(readme_file):
    config = load_config(readme_file, env={})
    readme_file.write_text("[profiles.personal\n")  # broken since it was loaded
    with pytest.raises(Exception, match="line 1"):
        save_config(config)
    assert readme_file.read_text() == "[profiles.personal\n"


# -- 5. loose permissions are tightened, or a warning names the fix -----------------------------


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_loose_config_folder_and_file_are_tightened_with_a_notice(env, capsys):
    # The default folder (no --config, no PUSHOVER_TUI_CONFIG) is ours to tighten.
    text = Path(env.pop("PUSHOVER_TUI_CONFIG")).read_text()
    path = Path(env["XDG_CONFIG_HOME"]) / "pushover-tui" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    os.chmod(path.parent, 0o755)
    os.chmod(path, 0o644)
    capsys.readouterr()
    assert run(env, "config", "show")[0] == cli.EXIT_OK
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    notices = capsys.readouterr().err.splitlines()
    assert notices == [
        f"pushover-tui: tightened {path.parent} from 0755 to 0700: only you can read it now.",
        f"pushover-tui: tightened {path} from 0644 to 0600: only you can read it now.",
    ]
    assert run(env, "config", "show")[0] == cli.EXIT_OK
    assert capsys.readouterr().err == ""  # once tight, nothing more to say


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_folder_named_with_config_is_never_chmodded_only_warned_about(env, tmp_path, capsys):
    # `--config ~/Documents/pushover.toml`: the folder may be shared; the file is ours.
    documents = tmp_path / "Documents"
    documents.mkdir()
    (documents / "letter.odt").write_text("the user's own")
    os.chmod(documents, 0o755)
    path = documents / "pushover.toml"
    path.write_text(Path(env["PUSHOVER_TUI_CONFIG"]).read_text())
    os.chmod(path, 0o644)
    capsys.readouterr()
    code, _, err = run(env, "--config", str(path), "config", "set", "sound", "bike")
    assert code == cli.EXIT_OK, err
    assert stat.S_IMODE(documents.stat().st_mode) == 0o755
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert capsys.readouterr().err.splitlines() == [
        f"pushover-tui: warning: {documents} can be read by others (0755): "
        f"run chmod 700 {documents}",
        f"pushover-tui: tightened {path} from 0644 to 0600: only you can read it now.",
    ]
    # A folder --config names that is missing is made, private.
    fresh = tmp_path / "new" / "pushover.toml"
    assert run(env, "--config", str(fresh), "config", "set", "sound", "bike")[0] == cli.EXIT_OK
    assert stat.S_IMODE(fresh.parent.stat().st_mode) == 0o700
    # A named folder that holds only the config is the config's: tightened like the default.
    own = tmp_path / "pushover"
    own.mkdir()
    os.chmod(own, 0o755)
    (own / "config.toml").write_text(path.read_text())
    capsys.readouterr()
    assert run(env, "--config", str(own / "config.toml"), "config", "show")[0] == cli.EXIT_OK
    assert stat.S_IMODE(own.stat().st_mode) == 0o700
    assert f"tightened {own} from 0755 to 0700" in capsys.readouterr().err


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_loose_data_folder_and_history_are_tightened(env, capsys):
    data = Path(env["PUSHOVER_TUI_DATA"])
    assert run(env, "history")[0] == cli.EXIT_OK
    os.chmod(data, 0o755)
    os.chmod(data / "history.sqlite3", 0o644)
    capsys.readouterr()
    assert run(env, "history")[0] == cli.EXIT_OK
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "history.sqlite3").stat().st_mode) == 0o600
    assert capsys.readouterr().err.count("tightened") == 2


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_when_chmod_is_impossible_the_warning_names_the_command(tmp_path, monkeypatch, capsys):
    loose = tmp_path / "config.toml"
    loose.write_text("")
    loose.chmod(0o644)

    def refuse(path, mode):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr("pushover_tui.store.files.os.chmod", refuse)
    tighten(loose, 0o600)
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"pushover-tui: warning: {loose} can be read by others (0644)")
    assert line.endswith(f"run chmod 600 {loose}")


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_shared_folders_are_left_alone(tmp_path, capsys):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)  # sticky, like /tmp
    tighten(shared, 0o700)
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777
    assert capsys.readouterr().err == ""


# -- 6. control characters escaped in every human output; --json unchanged ----------------------

HOSTILE = st.text(
    alphabet=st.characters(categories=("Cc",)) | st.sampled_from("ab \n\t\x1b[]0;"),
    min_size=1,
    max_size=30,
)


def assert_clean(text: str, lines: int) -> None:
    assert CONTROLS.search(text) is None, repr(text)
    assert text.count("\n") == lines, repr(text)


@FUZZ
@given(hostile=HOSTILE)
def test_api_error_texts_are_escaped_one_line(remote_env, api, hostile):
    body = {"errors": [hostile], "device": hostile, "status": 0, "request": hostile}
    api.post(f"{API}/messages.json").mock(return_value=httpx.Response(400, json=body))
    code, _, err = run(remote_env, "send", "x")
    assert code == cli.EXIT_REJECTED
    assert_clean(err, lines=1)


@FUZZ
@given(hostile=HOSTILE)
def test_received_names_are_escaped_in_validate_sounds_and_receipt(remote_env, api, hostile):
    receipt = "r" * 30
    api.post(f"{API}/users/validate.json").mock(
        return_value=httpx.Response(
            200, json={"status": 1, "devices": [hostile], "licenses": [hostile], "request": "q"}
        )
    )
    api.get(f"{API}/sounds.json").mock(
        return_value=httpx.Response(200, json={"status": 1, "sounds": {hostile: hostile}})
    )
    api.get(f"{API}/receipts/{receipt}.json").mock(
        return_value=httpx.Response(
            200,
            json={
                "status": 1,
                "acknowledged": 1,
                "acknowledged_at": 1,
                "acknowledged_by_device": hostile,
            },
        )
    )
    for argv, lines in ((["validate"], 4), (["sounds"], 1), (["receipt", receipt], 4)):
        code, out, err = run(remote_env, *argv)
        assert code == cli.EXIT_OK, err
        assert_clean(out, lines)
    code, out, _ = run(remote_env, "sounds", "--json")  # JSON keeps the text as received
    assert json.loads(out)["sounds"] == {hostile: hostile}


def test_stored_and_configured_text_is_escaped_in_config_show(isolated_env):
    path = Path(isolated_env["PUSHOVER_TUI_CONFIG"])
    path.parent.mkdir(mode=0o700)
    path.write_text('default_profile = "a\\u001b]0;x\\u0007"\n[profiles."a\\u001b]0;x\\u0007"]\n')
    code, out, _ = run(dict(isolated_env), "config", "show")
    assert code == cli.EXIT_OK
    assert_clean(out, lines=out.count("\n"))
    assert "a\\x1b]0;x\\x07" in out


def test_simulator_request_lines_are_escaped(isolated_env, monkeypatch):
    def fake_run_standalone(**options):
        options["show"]("12:00:00 GET /1/\x1b[2J.json 404 conn=1 fields=")
        options["warn"]("warning \x9b")
        return 0

    monkeypatch.setattr("pushover_tui.simulator.standalone.run_standalone", fake_run_standalone)
    code, out, err = run(dict(isolated_env), "simulator")
    assert code == 0
    assert out == "12:00:00 GET /1/\\x1b[2J.json 404 conn=1 fields=\n"
    assert err == "pushover-tui: warning \\x9b\n"


# -- 7. every number within its documented range ------------------------------------------------

RANGES = {
    "timestamp": (0, TIMESTAMP_MAX),
    "ttl": (1, TTL_MAX),
    "retry": (RETRY_MIN, RETRY_MAX),
    "expire": (1, EXPIRE_MAX),
}


def emergency(**fields) -> Message:
    return Message("x", **{"priority": 2, "retry": 60, "expire": 3600, **fields})


@settings(max_examples=200, deadline=None)
@given(name=st.sampled_from(sorted(RANGES)), value=st.integers(-(10**400), 10**400))
def test_numbers_outside_their_range_are_field_problems(name, value):
    low, high = RANGES[name]
    message = emergency(**{name: value}) if name != "ttl" else Message("x", ttl=value)
    flagged = {p.field for p in check_message(message) if p.is_error}
    assert (name in flagged) == (not low <= value <= high)


def test_range_edges_are_exact():
    assert RETRY_MAX == EXPIRE_MAX == 10_800
    assert TIMESTAMP_MAX == TTL_MAX == 2**31 - 1
    for name, (low, high) in RANGES.items():
        build = (lambda v, n=name: Message("x", ttl=v)) if name == "ttl" else None
        for value, ok in ((low, True), (high, True), (low - 1, False), (high + 1, False)):
            message = build(value) if build else emergency(**{name: value})
            found = [p for p in check_message(message) if p.field == name and p.is_error]
            assert bool(found) != ok, (name, value)


@pytest.mark.parametrize(
    "argv",
    [
        ["--timestamp", "1" + "0" * 400],
        ["--priority", "2", "--retry", "1" + "0" * 30],
        ["--ttl", "1" + "0" * 30],
        ["--priority", "2", "--expire", "1" + "0" * 30],
        ["--timestamp", str(2**31)],
    ],
)
def test_absurd_numbers_exit_2_and_nothing_is_sent(env, simulator, argv):
    code, _, err = run(env, "send", "x", *argv)
    assert code == cli.EXIT_USAGE, err
    assert "nothing was sent" in err and len(err) < 400
    assert simulator.requests == [] and rows(env) == []


# -- 8. attachments are typed by their content ---------------------------------------------------

IMAGES = {
    "image/png": b"\x89PNG\r\n\x1a\n" + bytes(20),
    "image/jpeg": b"\xff\xd8\xff\xe0" + bytes(20),
    "image/gif": b"GIF89a" + bytes(20),
    "image/webp": b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(20),
    "image/bmp": b"BM" + bytes(12) + (40).to_bytes(4, "little") + bytes(20),
    "image/heic": b"\x00\x00\x00\x18ftypheic" + bytes(20),
    "image/heif": b"\x00\x00\x00\x18ftypmif1" + bytes(20),
}


@pytest.mark.parametrize(("content_type", "data"), sorted(IMAGES.items()))
def test_each_image_format_is_recognised_whatever_its_name(tmp_path, content_type, data):
    picture = tmp_path / "picture.txt"  # the name says text: the content decides
    picture.write_bytes(data)
    attachment = Attachment.from_path(picture)
    assert attachment.content_type == content_type
    assert check_message(Message("x", attachment=attachment)) == []


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"#!/bin/sh\nrm -rf ~\n", "a shell script"),
        (b"#!/usr/bin/env python3\n", "a script"),
        (b"%PDF-1.7\n", "a PDF document"),
        (b"PK\x03\x04rest", "a ZIP archive"),
        (b"\x7fELF\x02\x01", "a program"),
        (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>', "an SVG drawing"),
        (b"<!DOCTYPE html><html>", "an HTML page"),
        (b"hello", "text"),
        (b"", "an empty file"),
        (b"\x00\x01\x02\x03", "binary data"),
        (b"\x00\x00\x00\x18ftypisom", "a video"),
    ],
)
def test_non_images_are_refused_naming_what_they_are(data, what):
    [problem] = check_image("fake.png", data)
    assert problem.field == "attachment" and what in problem.text and "'fake.png'" in problem.text


def test_a_script_named_png_is_refused_and_nothing_is_sent(env, simulator, tmp_path):
    fake = tmp_path / "fake.png"
    fake.write_text("#!/bin/sh\necho hi\n")
    code, _, err = run(env, "send", "x", "--attach", str(fake))
    assert code == cli.EXIT_USAGE
    assert "'fake.png' is a shell script" in err and "nothing was sent" in err
    assert simulator.requests == []


def test_a_jpeg_named_png_is_sent_as_a_jpeg(env, simulator, tmp_path):
    photo = tmp_path / "photo.png"
    photo.write_bytes(IMAGES["image/jpeg"])
    code, _, err = run(env, "send", "x", "--attach", str(photo))
    assert code == cli.EXIT_OK, err
    assert simulator.messages[-1]["attachment"]["content_type"] == "image/jpeg"


async def test_the_client_checks_the_bytes_it_sends(api):
    route = api.post(f"{API}/messages.json")
    attachment = Attachment.from_bytes(b"#!/bin/sh\n", "a.png", "image/png")
    async with PushoverClient(DEMO_TOKEN, base_url=API) as client:
        with pytest.raises(FieldProblemsError, match="a shell script"):
            await client.send(DEMO_USER, Message("x", attachment=attachment))
    assert not route.called


@settings(max_examples=300, deadline=None)
@given(head=st.binary(max_size=64))
def test_any_bytes_are_an_image_type_or_a_named_refusal(head):
    problems = check_image("f", head)
    assert (problems == []) == (image_type(head) is not None)
    assert describe_content(head).strip()


# -- 9. NUL characters are refused --------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(
    field=st.sampled_from(["message", "title", "url_title"]),
    before=st.text(max_size=10),
    after=st.text(max_size=10),
)
def test_nul_in_text_is_a_field_problem(field, before, after):
    message = replace(Message("x", url="https://example.com"), **{field: f"{before}\x00{after}"})
    assert field in {p.field for p in check_message(message) if p.is_error}


def test_nul_from_stdin_exits_2_and_nothing_is_sent(env, simulator):
    code, _, err = run(env, "send", "-", stdin="before\x00after")
    assert code == cli.EXIT_USAGE and "NUL" in err
    assert simulator.requests == [] and rows(env) == []


# -- 10. the simulator stays on loopback unless told otherwise ----------------------------------


def test_loopback_hosts():
    for host in ("127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"):
        assert is_loopback_host(host), host
    for host in ("0.0.0.0", "::", "", "192.168.1.10", "example.com"):
        assert not is_loopback_host(host), host


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10"])
def test_a_remote_host_without_allow_remote_is_a_usage_error(isolated_env, monkeypatch, host):
    def never(*args, **kwargs):
        raise AssertionError("nothing may be bound")

    monkeypatch.setattr("pushover_tui.simulator.standalone.Simulator", never)
    code, out, err = run(dict(isolated_env), "simulator", "--host", host)
    assert code == cli.EXIT_USAGE
    assert "--allow-remote" in err and out == ""


def test_allow_remote_listens_with_one_warning_line():
    argv = ["simulator", "--allow-remote", "--host", "0.0.0.0", "--port", "0"]
    process = subprocess.Popen(
        [sys.executable, "-m", "pushover_tui", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert process.stdout is not None
        assert "listening on http://0.0.0.0:" in process.stdout.readline()
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=10)
    finally:
        process.kill()
    [warning] = err.splitlines()
    assert warning.startswith("pushover-tui: warning: the simulator listens on 0.0.0.0")
    assert "/_sim/" in warning


def test_python_m_simulator_refuses_a_remote_host_too():
    result = subprocess.run(
        [sys.executable, "-m", "pushover_tui.simulator", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    assert result.returncode == 2 and "--allow-remote" in result.stderr


def test_config_objects_stay_plain(tmp_path):
    # The in-place editing keeps tomlkit out of Config: equality and reprs are the same as ever.
    path = tmp_path / "c.toml"
    save_config(Config(path=path, keymap={"send": "ctrl+s"}))
    loaded = load_config(path, env={})
    assert type(loaded.keymap["send"]) is str and loaded == Config(path, keymap={"send": "ctrl+s"})
