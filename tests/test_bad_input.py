"""Bad input (issue 8, promise 4): arbitrary Unicode, huge strings, control characters, wrong types
and malformed TOML or responses give a clear problem every time, never an unhandled exception.

Right-typed fuzzing of the field checks and TOML fuzzing also live in tests/test_checks.py and
tests/test_config.py; this file adds wrong types, undecodable text, raw bytes, hostile response
bodies, and attachments end to end (nothing sent).
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import pytest
import respx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pushover_tui import cli
from pushover_tui.api.checks import Problem, check_message
from pushover_tui.api.client import PushoverClient
from pushover_tui.api.errors import FieldProblemsError, PushoverError
from pushover_tui.api.models import Attachment, Message
from pushover_tui.outbox import Outbox
from pushover_tui.simulator import DEMO_TOKEN, DEMO_USER
from pushover_tui.store.config import Config, ConfigFileError, Profile, load_config, resolve

ROOT = Path(__file__).resolve().parents[1]
FUZZ = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# Every character category, control characters and lone surrogates included.
ANY_TEXT = st.text(alphabet=st.characters(), max_size=60)
HUGE_TEXT = st.text(alphabet=st.characters(), min_size=1, max_size=8).map(lambda t: t * 20_000)
CONTROL = st.text(alphabet=st.characters(categories=("Cc", "Cf", "Zl", "Zp")), max_size=30)
WRONG = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.binary(max_size=10),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
ANYTHING = st.one_of(ANY_TEXT, HUGE_TEXT, CONTROL, WRONG)
INTS = st.one_of(st.none(), st.integers(min_value=-(2**64), max_value=2**64), WRONG, ANY_TEXT)


def assert_clear(problems: object) -> None:
    assert isinstance(problems, list)
    for problem in problems:
        assert isinstance(problem, Problem)
        assert isinstance(problem.field, str) and problem.field
        assert isinstance(problem.text, str) and problem.text.strip()
        assert problem.severity in ("error", "warning")
        assert len(problem.text) < 400  # a sentence, not a dump of the input


# -- field checks ------------------------------------------------------------------------------


@FUZZ
@given(
    message=ANYTHING,
    title=ANYTHING,
    url=ANYTHING,
    url_title=ANYTHING,
    priority=INTS,
    sound=ANYTHING,
    device=ANYTHING,
    timestamp=INTS,
    ttl=INTS,
    html=st.one_of(st.booleans(), WRONG),
    monospace=st.one_of(st.booleans(), WRONG),
    retry=INTS,
    expire=INTS,
    callback=ANYTHING,
    tags=st.one_of(st.tuples(ANY_TEXT, ANY_TEXT), st.lists(WRONG, max_size=2), WRONG),
    attachment=st.one_of(st.none(), WRONG),
)
def test_check_message_on_anything_gives_clear_problems(**fields):
    problems = check_message(Message(**fields))
    assert_clear(problems)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("message", None),
        ("message", b"bytes"),
        ("message", 42),
        ("title", ["a"]),
        ("priority", "2"),
        ("priority", 1.0),
        ("priority", True),
        ("retry", "60"),
        ("ttl", 1.5),
        ("tags", "a,b"),
        ("tags", (1, 2)),
        ("attachment", "photo.png"),
        ("message", "bad \udcff byte"),  # undecodable byte from argv or a pipe
        ("title", "\ud800"),
    ],
)
def test_wrong_types_name_the_field(field, value):
    fields = {"message": "hello", field: value}
    problems = check_message(Message(**fields))
    assert_clear(problems)
    assert field in {problem.field for problem in problems if problem.is_error}


def test_control_characters_and_huge_text_are_checked_not_crashed():
    problems = check_message(Message("\x00\x1b[31m\r\n\u202e" * 300, title="\x07" * 251))
    assert {p.field for p in problems} == {"message", "title"}
    assert_clear(check_message(Message("x" * 10_000_000)))


async def test_wrong_types_through_the_pipeline_send_and_record_nothing(simulator, tmp_path):
    profile = Profile(name="p", token=DEMO_TOKEN, user=DEMO_USER)
    config = Config(path=tmp_path / "c.toml", default_profile="p", profiles=(profile,))
    active = resolve(config, api_url=simulator.base_url, env={})
    async with Outbox.open(active, tmp_path, origin="cli") as outbox:
        for message in (Message(None), Message("x", priority="1"), Message("\udcff")):
            with pytest.raises(FieldProblemsError):
                await outbox.send(message)
        assert outbox.history.count() == 0
        outbox.history.close()
    assert simulator.requests == []


def test_undecodable_argv_and_stdin_are_usage_errors(demo_config, isolated_env, simulator):
    env = {**os.environ, **isolated_env, "PYTHONPATH": str(ROOT)}
    bad = b"caf\xe9 \xff".decode("utf-8", "surrogateescape")
    for argv, stdin in (([bad], None), (["-"], b"caf\xe9 \xff\n"), (["x", "--title", bad], None)):
        result = subprocess.run(
            [sys.executable, "-m", "pushover_tui", "send", *argv],
            env=env,
            input=stdin,
            capture_output=True,
            timeout=60,
        )
        err = result.stderr.decode(errors="replace")
        assert result.returncode == cli.EXIT_USAGE, err
        assert "Traceback" not in err and "not valid UTF-8" in err
    assert simulator.requests == []


# -- config loader -----------------------------------------------------------------------------


def load_or_config_error(path: Path) -> None:
    try:
        config = load_config(path, env={})
    except ConfigFileError as error:
        assert str(path) in str(error) and "untouched" in str(error)
    else:
        assert isinstance(config, Config)


@FUZZ
@given(data=st.binary(max_size=300))
def test_config_loader_on_arbitrary_bytes(tmp_path, data):
    path = tmp_path / "config.toml"
    path.write_bytes(data)
    load_or_config_error(path)


_TOML_PIECES = st.sampled_from(
    [
        "[profiles.p]\n",
        "[profiles]\n",
        "[[profiles]]\n",
        "token = ",
        "priority = ",
        '"x"',
        "1",
        "true",
        "1979-05-27",
        "[1, 2]",
        "{a = 1}",
        "nan",
        "inf",
        "\n",
        "=",
        "[",
        "]",
        '"""',
        "'",
        "\\u0000",
        "\x00",
        "\ufeff",
        "default_profile = ",
        "profiles.p.retry = ",
        "[keymap]\n",
        "[bridge]\n",
    ]
)


@FUZZ
@given(pieces=st.lists(st.one_of(_TOML_PIECES, ANY_TEXT), max_size=25))
def test_config_loader_on_malformed_toml(tmp_path, pieces):
    path = tmp_path / "config.toml"
    path.write_text("".join(pieces), encoding="utf-8", errors="surrogatepass")
    load_or_config_error(path)


@pytest.mark.parametrize(
    "text",
    [
        "a = " + "[" * 5000 + "]" * 5000,  # nested deeper than the parser recurses
        "a = " + "{b = " * 3000 + "1" + "}" * 3000,
        "[profiles.p]\ntoken = " + '"' + "x" * 1_000_000 + '"',
        "[profiles.p]\npriority = 99999999999999999999999999",
        "[profiles.p]\nretry = -1\nexpire = 1e999",
        "profiles = 3",
        "[profiles.p]\ntoken = 5",
    ],
)
def test_config_loader_on_hostile_files(tmp_path, text):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    load_or_config_error(path)


def test_config_path_that_is_a_folder(tmp_path):
    load_or_config_error(tmp_path)


# -- response parsers --------------------------------------------------------------------------

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)
_API_KEYS = st.sampled_from(
    [
        "status",
        "request",
        "errors",
        "receipt",
        "devices",
        "licenses",
        "group",
        "sounds",
        "limit",
        "remaining",
        "reset",
        "acknowledged",
        "acknowledged_at",
        "expires_at",
        "canceled",
        "user",
    ]
)
_API_BODY = st.dictionaries(_API_KEYS, _JSON | st.just(1), max_size=6).map(json.dumps)
_BODY = st.one_of(
    _API_BODY,
    _API_BODY.map(lambda body: body.replace("1", "Infinity", 1)),
    _JSON.map(json.dumps),
    st.binary(max_size=80),
    st.just("[" * 50_000 + "]" * 50_000),
    st.just("<html><body>Moved</body></html>"),
)
_HEADER_TEXT = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=20)
_HEADERS = st.dictionaries(
    st.sampled_from(
        [
            "Content-Type",
            "X-Limit-App-Limit",
            "X-Limit-App-Remaining",
            "X-Limit-App-Reset",
            "Location",
            "Content-Encoding",
            "Retry-After",
        ]
    ),
    _HEADER_TEXT
    | st.sampled_from(["application/json; charset=nope", "text/html; charset=utf-16", "gzip"]),
    max_size=4,
)
_CALLS = {
    "send": lambda client: client.send(DEMO_USER, Message("x")),
    "validate": lambda client: client.validate_user(DEMO_USER, "iphone"),
    "sounds": lambda client: client.sounds(),
    "limits": lambda client: client.limits(),
    "receipt": lambda client: client.receipt("r" * 30),
    "cancel": lambda client: client.cancel_receipt("r" * 30),
    "cancel_by_tag": lambda client: client.cancel_by_tag("tag"),
}


_SSL = ssl.create_default_context()


async def _no_wait(_seconds: float) -> None:
    return None


@settings(max_examples=120, deadline=None)
@given(
    status=st.integers(min_value=100, max_value=599),
    body=_BODY,
    headers=_HEADERS,
    call=st.sampled_from(sorted(_CALLS)),
)
def test_client_on_arbitrary_responses_returns_or_raises_a_pushover_error(
    status, body, headers, call
):
    content = body if isinstance(body, bytes) else body.encode()

    async def scenario() -> None:
        with respx.mock(assert_all_mocked=True) as router:
            router.route().mock(
                side_effect=lambda request: httpx.Response(status, content=content, headers=headers)
            )
            transport = httpx.AsyncHTTPTransport(verify=_SSL)  # one CA load for every example
            async with PushoverClient(DEMO_TOKEN, sleep=_no_wait, transport=transport) as client:
                try:
                    await _CALLS[call](client)
                except PushoverError as error:
                    assert str(error).strip()
                    assert DEMO_TOKEN not in str(error) and DEMO_USER not in str(error)

    asyncio.run(scenario())


# -- attachments end to end --------------------------------------------------------------------


@pytest.fixture
def send_cli(demo_config, isolated_env, simulator):
    def run(*argv: str) -> tuple[int, str]:
        out, err = io.StringIO(), io.StringIO()
        code = cli.main(
            ["send", "with a picture", *argv],
            env=dict(isolated_env),
            stdin=io.StringIO(""),
            stdout=out,
            stderr=err,
        )
        return code, err.getvalue()

    return run


def test_bad_attachments_are_clear_and_nothing_is_sent(send_cli, simulator, tmp_path):
    folder = tmp_path / "pictures.png"
    folder.mkdir()
    huge = tmp_path / "huge.png"
    with huge.open("wb") as handle:
        handle.truncate(5_242_881)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    cases = {
        str(tmp_path / "missing.png"): "No file at",
        str(folder): "is not a file",
        str(huge): "5,242,881 bytes",
        str(text): "only images",
        str(pdf): "only images",
    }
    for path, expected in cases.items():
        code, err = send_cli("--attach", path)
        assert code == cli.EXIT_USAGE, err
        assert "attachment" in err and expected in err, err
        assert "nothing was sent" in err and "Traceback" not in err
    assert simulator.requests == []


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_unreadable_attachment_is_clear_and_nothing_is_sent(simulator):
    base = Path(tempfile.mkdtemp(prefix="pushover-tui-attach-"))
    try:
        os.chmod(base, 0o777)
        picture = base / "secret.png"
        picture.write_bytes(b"\x89PNG\r\n\x1a\n")
        os.chmod(picture, 0o000)
        code = """
import io, os, sys
from pushover_tui import cli
# The interpreter lives under /root: a dry run as root (a missing file, another data folder)
# loads every module the real run needs before dropping to nobody.
dry = {**os.environ, "PUSHOVER_TUI_DATA": os.environ["PUSHOVER_TUI_DATA"] + "-dry"}
assert cli.main(["send", "x", "--attach", sys.argv[1] + ".missing"], env=dry,
                stdout=io.StringIO(), stderr=io.StringIO()) == cli.EXIT_USAGE
if os.geteuid() == 0:  # root reads anything: drop to nobody
    os.setgid(65534)
    os.setuid(65534)
err = io.StringIO()
code = cli.main(["send", "x", "--attach", sys.argv[1]], stdout=io.StringIO(), stderr=err)
print(code)
print(err.getvalue(), end="")
"""
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "PUSHOVER_TUI_CONFIG": str(base / "none.toml"),
            "PUSHOVER_TUI_DATA": str(base / "data"),
            "PUSHOVER_TOKEN": DEMO_TOKEN,
            "PUSHOVER_USER": DEMO_USER,
            "PUSHOVER_API_URL": simulator.base_url,
        }
        result = subprocess.run(
            [sys.executable, "-c", code, str(picture)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            cwd=base,
        )
        assert result.stderr == ""
        exit_code, _, err = result.stdout.partition("\n")
        assert int(exit_code) == cli.EXIT_USAGE, err
        assert "attachment" in err and "Permission denied" in err and "nothing was sent" in err
        assert simulator.requests == []
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_attachment_that_vanishes_before_sending_is_clear(simulator, tmp_path):
    picture = tmp_path / "gone.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n")
    message = Message("x", attachment=Attachment.from_path(picture))
    assert check_message(message) == []
    picture.unlink()  # between the check and the send

    async def scenario():
        async with PushoverClient(DEMO_TOKEN, base_url=simulator.base_url) as client:
            with pytest.raises(FieldProblemsError, match="attachment"):
                await client.send(DEMO_USER, message)

    asyncio.run(scenario())
    assert simulator.requests == []
