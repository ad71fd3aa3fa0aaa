"""Field checks: every documented limit, exact at N and N+1, and no crash on any Unicode."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pushover_tui.api import checks
from pushover_tui.api.checks import (
    Problem,
    check_devices,
    check_emergency,
    check_key,
    check_message,
    check_priority,
    check_token,
    check_users,
    errors,
)
from pushover_tui.api.models import Attachment, Message

KEY = "azGDORePK8gMaC0QOYAMyEEuzJnyUi"
USER = "uQiRzpo4DXghDmr9QzzfQu27cmVRsG"
EMOJI = "👍"  # one code point, four UTF-8 bytes
MESSAGE_FIELDS = {f.name for f in dataclasses.fields(Message)}


def fields_with_errors(problems: list[Problem]) -> set[str]:
    return {problem.field for problem in errors(problems)}


def assert_well_formed(problems: list[Problem]) -> None:
    for problem in problems:
        assert problem.field, problem
        assert problem.severity in ("error", "warning")
        assert problem.text.endswith("."), problem.text
        assert not problem.text.endswith(".."), problem.text
        assert "\n" not in problem.text
        assert problem.text[0].isupper() or problem.text[0] in "/'\"", problem.text
        assert str(problem) == f"{problem.field}: {problem.text}"


def emergency(**changes) -> Message:
    return Message("fire", priority=2, retry=60, expire=3600, **changes)


# -- arbitrary text never crashes -------------------------------------------------------------

TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)),  # every code point but surrogates
    max_size=60,
)
TEXT_HEAVY = st.one_of(
    TEXT,
    st.text(alphabet=st.sampled_from(["👍", "\u0301", "\x00", "\x1b", "\u202e", "é", "a", ","])),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1000, max_size=1100),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    message=TEXT_HEAVY,
    title=TEXT_HEAVY,
    url=TEXT_HEAVY,
    url_title=TEXT_HEAVY,
    sound=TEXT,
    device=TEXT,
    callback=TEXT,
    tags=st.lists(TEXT, max_size=3),
    priority=st.integers(-3, 3),
    retry=st.none() | st.integers(-10, 100_000),
    expire=st.none() | st.integers(-10, 100_000),
    ttl=st.none() | st.integers(-10, 10),
    html=st.booleans(),
    monospace=st.booleans(),
)
def test_arbitrary_unicode_never_crashes(**values) -> None:
    values["tags"] = tuple(values["tags"])
    problems = check_message(Message(**values))
    assert_well_formed(problems)
    for problem in problems:
        assert problem.field in MESSAGE_FIELDS


@settings(max_examples=100, deadline=None)
@given(TEXT)
def test_arbitrary_keys_and_devices_never_crash(value: str) -> None:
    assert_well_formed(check_token(value))
    assert_well_formed(check_users(value))
    assert_well_formed(check_devices(value))


# -- lengths, in code points -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "limit"),
    [("message", 1024), ("title", 250), ("url", 512), ("url_title", 100)],
)
@pytest.mark.parametrize("char", ["a", EMOJI, "é"])
def test_length_limits_are_exact(field: str, limit: int, char: str) -> None:
    def build(length: int) -> Message:
        if field == "url":
            prefix = "https://example.com/"
            value = prefix + char * (length - len(prefix))
            return Message("hi", url=value)
        if field == "url_title":
            return Message("hi", url="https://example.com", url_title=char * length)
        if field == "message":
            return Message(char * length)
        return Message("hi", **{field: char * length})

    at_limit = check_message(build(limit))
    assert field not in fields_with_errors(at_limit), at_limit
    over = check_message(build(limit + 1))
    assert field in fields_with_errors(over)
    assert_well_formed(over)
    assert any(str(limit) in problem.text for problem in over if problem.field == field)


def test_limit_constants_match_the_documentation() -> None:
    assert checks.MESSAGE_MAX == 1024
    assert checks.TITLE_MAX == 250
    assert checks.URL_MAX == 512
    assert checks.URL_TITLE_MAX == 100
    assert checks.ATTACHMENT_MAX == 5_242_880
    assert checks.MAX_USERS == 50


def test_empty_or_blank_message_is_an_error() -> None:
    assert "message" in fields_with_errors(check_message(Message("")))
    assert "message" in fields_with_errors(check_message(Message(" \n\t")))
    assert check_message(Message("hello")) == []


# -- keys, users, devices ----------------------------------------------------------------------


def test_key_format() -> None:
    assert check_token(KEY) == []
    assert check_users(USER) == []
    assert check_key("user", USER, "user key") == []
    for bad in (KEY[:29], KEY + "a", "", KEY[:29] + "é", KEY[:29] + "-", KEY[:29] + " ", "Ａ" * 30):
        problems = check_token(bad)
        assert [p.field for p in problems] == ["token"], bad
        assert_well_formed(problems)
    # Non-ASCII letters and digits are not [A-Za-z0-9] even though str.isalnum() says so.
    assert check_token("é" * 30) and check_token("٣" * 30)
    assert check_token(KEY + "\n")


def test_up_to_fifty_users() -> None:
    assert check_users(",".join([USER] * 50)) == []
    assert check_users(", ".join([USER] * 2))  # spaces are not sent as is: a clear problem
    problems = check_users(",".join([USER] * 51))
    assert [p.field for p in problems] == ["user"]
    assert "51" in problems[0].text
    assert_well_formed(problems)


def test_users_list_with_one_bad_key() -> None:
    problems = check_users(f"{USER},{USER[:29]},{USER}")
    assert [p.field for p in problems] == ["user"]
    assert "2" in problems[0].text
    assert check_users(f"{USER},")  # a trailing comma leaves an empty key
    assert check_users("")


@pytest.mark.parametrize(
    "device", ["phone", "a" * 25, "my_phone-2", "phone,tablet", ",".join(["d"] * 10), ""]
)
def test_valid_devices(device: str) -> None:
    assert check_devices(device) == []
    assert "device" not in fields_with_errors(check_message(Message("x", device=device)))


@pytest.mark.parametrize(
    "device", ["a" * 26, "my phone", "phone,", ",phone", "phone,,tablet", "téléphone", "a.b"]
)
def test_invalid_devices(device: str) -> None:
    problems = check_devices(device)
    assert [p.field for p in problems] == ["device"]
    assert_well_formed(problems)
    assert "device" in fields_with_errors(check_message(Message("x", device=device)))


# -- priority and emergency ---------------------------------------------------------------------


@pytest.mark.parametrize("priority", [-2, -1, 0, 1, 2])
def test_priorities_in_range(priority: int) -> None:
    assert check_priority(priority) == []


@pytest.mark.parametrize("priority", [-3, 3, 10, -100])
def test_priorities_out_of_range(priority: int) -> None:
    problems = check_message(Message("x", priority=priority))
    assert fields_with_errors(problems) == {"priority"}
    assert_well_formed(problems)


def test_emergency_needs_retry_and_expire() -> None:
    assert check_message(emergency()) == []
    assert fields_with_errors(check_message(Message("x", priority=2))) == {"retry", "expire"}
    assert fields_with_errors(check_message(Message("x", priority=2, retry=60))) == {"expire"}
    assert fields_with_errors(check_message(Message("x", priority=2, expire=60))) == {"retry"}
    assert_well_formed(check_emergency(None, None))


def test_retry_and_expire_bounds_are_exact() -> None:
    assert check_emergency(30, 10_800) == []
    assert fields_with_errors(check_emergency(29, 10_800)) == {"retry"}
    assert fields_with_errors(check_emergency(30, 10_801)) == {"expire"}
    assert fields_with_errors(check_emergency(30, 0)) == {"expire"}
    assert_well_formed(check_emergency(29, 10_801))


def test_retry_and_expire_ignored_below_emergency() -> None:
    assert check_message(Message("x", priority=1, retry=1, expire=999_999)) == []


def test_callback_and_tags() -> None:
    assert check_message(emergency(callback="https://example.com/cb", tags=("a", "b"))) == []
    assert "callback" in fields_with_errors(check_message(emergency(callback="ftp://x/y")))
    assert "tags" in fields_with_errors(check_message(emergency(tags=("a b",))))
    assert "tags" in fields_with_errors(check_message(emergency(tags=("a,b",))))
    warned = check_message(Message("x", callback="https://example.com/cb"))
    assert warned and not errors(warned)


def test_html_and_monospace_together_rejected() -> None:
    assert check_message(Message("x", html=True)) == []
    assert check_message(Message("x", monospace=True)) == []
    problems = check_message(Message("x", html=True, monospace=True))
    assert len(errors(problems)) == 1
    assert_well_formed(problems)


@pytest.mark.parametrize("ttl", [0, -1])
def test_ttl_must_be_positive(ttl: int) -> None:
    assert fields_with_errors(check_message(Message("x", ttl=ttl))) == {"ttl"}
    assert fields_with_errors(check_message(emergency(ttl=ttl))) == {"ttl"}


def test_ttl_at_emergency_is_a_warning() -> None:
    assert check_message(Message("x", ttl=1)) == []
    problems = check_message(emergency(ttl=60))
    assert [(p.field, p.severity) for p in problems] == [("ttl", "warning")]
    assert_well_formed(problems)


@pytest.mark.parametrize(
    "url", ["https://example.com", "http://example.com/a?b=c", "HTTPS://EXAMPLE.COM"]
)
def test_url_schemes_accepted(url: str) -> None:
    assert "url" not in fields_with_errors(check_message(Message("x", url=url)))


@pytest.mark.parametrize(
    "url", ["ftp://example.com", "example.com", "javascript:alert(1)", "https://", "http://[::1"]
)
def test_url_must_be_http(url: str) -> None:
    problems = check_message(Message("x", url=url))
    assert fields_with_errors(problems) == {"url"}
    assert_well_formed(problems)


def test_negative_timestamp_rejected() -> None:
    assert fields_with_errors(check_message(Message("x", timestamp=-1))) == {"timestamp"}
    assert check_message(Message("x", timestamp=0)) == []


def test_sound_names() -> None:
    assert check_message(Message("x", sound="cashregister")) == []
    assert fields_with_errors(check_message(Message("x", sound="cash register"))) == {"sound"}


# -- attachment -----------------------------------------------------------------------------


def attachment_errors(attachment: Attachment) -> list[Problem]:
    problems = check_message(Message("x", attachment=attachment))
    assert_well_formed(problems)
    assert {p.field for p in problems} <= {"attachment"}
    return errors(problems)


def test_attachment_missing_path(tmp_path: Path) -> None:
    assert attachment_errors(Attachment.from_path(tmp_path / "nope.png"))


def test_attachment_folder(tmp_path: Path) -> None:
    folder = tmp_path / "pics.png"
    folder.mkdir()
    assert attachment_errors(Attachment.from_path(folder))


def test_attachment_size_limit_is_exact(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n"
    exact = tmp_path / "exact.png"
    with exact.open("wb") as file:
        file.write(png)
        file.truncate(5_242_880)
    assert attachment_errors(Attachment.from_path(exact)) == []
    over = tmp_path / "over.png"
    with over.open("wb") as file:
        file.write(png)
        file.truncate(5_242_881)
    assert attachment_errors(Attachment.from_path(over))
    exact_bytes = png.ljust(5_242_880, b"\0")
    assert attachment_errors(Attachment.from_bytes(exact_bytes, "a.png", "image/png")) == []
    assert attachment_errors(Attachment.from_bytes(exact_bytes + b"\0", "a.png", "image/png"))


def test_attachment_must_be_an_image(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    assert attachment_errors(Attachment.from_path(text))
    assert attachment_errors(Attachment.from_bytes(b"%PDF", "a.pdf", "application/pdf"))
    jpeg = tmp_path / "photo.jpg"
    jpeg.write_bytes(b"\xff\xd8\xff")
    assert attachment_errors(Attachment.from_path(jpeg)) == []


def test_emergency_repeats_capped_at_fifty() -> None:
    from pushover_tui.api.checks import emergency_repeats

    assert emergency_repeats(30, 60) == 2
    assert emergency_repeats(60, 3600) == 50  # Pushover stops after 50 whatever the numbers
    assert emergency_repeats(0, 60) == 0


def test_expire_shorter_than_retry_is_a_problem_with_the_reason() -> None:
    from pushover_tui.api.checks import check_emergency

    (problem,) = check_emergency(30, 4)
    assert problem.field == "expire" and problem.severity == "warning"  # Pushover accepts it
    assert "shorter than retry (30 s)" in problem.text and "will not repeat" in problem.text
    assert check_emergency(30, 30) == []  # one repeat: allowed
