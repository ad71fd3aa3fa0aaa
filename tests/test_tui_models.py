"""The dashboard's Textual-free models and wording: the Compose Draft, the Config ProfileForm,
the shared choices. Pure functions: no app, no terminal."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from pushover_tui.api.errors import QuotaExceededError
from pushover_tui.api.models import Attachment, Message, Priority
from pushover_tui.api.secret import Secret
from pushover_tui.store.config import ActiveProfile, Profile, Source
from pushover_tui.tui.compose.draft import Draft, parse_timestamp
from pushover_tui.tui.compose.outcome import failure_text as compose_failure_text
from pushover_tui.tui.compose.outcome import field_notes, keys_note, note_target
from pushover_tui.tui.config.form import ProfileForm
from pushover_tui.tui.config.verify_panel import failure_report
from pushover_tui.tui.groups.wording import failure_text as groups_failure_text
from pushover_tui.tui.widgets.choices import (
    duration,
    emergency_summary,
    parse_seconds,
    priority_hint,
    sound_options,
)

TOKEN = "azGDORePK8gMaC0QOYAMyEEuzJnyUi"
USER = "uQiRzpo4DXghDmr9QzzfQu27cmVRsG"
PROFILE = Profile("personal", token=Secret(TOKEN), user=Secret(USER), retry=90, expire=1800)


def active(profile: Profile = PROFILE, **sources: Source) -> ActiveProfile:
    return ActiveProfile(profile, "https://api.pushover.net/1", sources)


# -- choices -------------------------------------------------------------------------------


def test_duration_wording() -> None:
    assert [duration(s) for s in (45, 60, 90, 3600, 5400, 0)] == [
        "45 s",
        "1 min",
        "1 min 30 s",
        "1 h",
        "1 h 30 min",
        "0 s",
    ]


def test_emergency_summary_counts_repeats_or_explains_the_fields() -> None:
    assert emergency_summary(60, 3600) == (
        "Repeats every 1 min for up to 1 h until acknowledged: 50 times at most "
        "(Pushover stops after 50)."
    )
    assert emergency_summary(10, 3600).startswith("Retry: seconds between repeats, at least 30.")
    assert emergency_summary(None, 3600).startswith("Retry:")


def test_priority_hint_and_sound_options() -> None:
    assert priority_hint(2) == "Repeats until acknowledged or expired."
    assert priority_hint(7) == priority_hint(0)  # unknown: as normal
    assert sound_options({"bike": "Bike", "ding": "Ding (custom)"}, "mine") == [
        ("bike", "bike"),
        ("ding — Ding (custom)", "ding"),
        ("mine (not in the app's list)", "mine"),
    ]


@given(st.text())
def test_parse_seconds_never_raises(text: str) -> None:
    value, problems = parse_seconds("ttl", text, "TTL")
    assert (value is None) or not problems
    if problems:
        assert problems[0].field == "ttl"


# -- the Compose draft ----------------------------------------------------------------------


def test_new_draft_takes_the_profiles_defaults() -> None:
    draft = Draft.for_profile(PROFILE)
    assert (draft.priority, draft.retry, draft.expire) == (0, "90", "1800")
    edited = Draft(priority=2, retry="45")
    kept = edited.with_profile_defaults(PROFILE, keep=frozenset({"retry"}))
    assert (kept.priority, kept.retry, kept.expire) == (0, "45", "1800")


def test_draft_round_trips_every_field_of_a_message(tmp_path: Path) -> None:
    picture = tmp_path / "chart.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n")
    message = Message(
        "Disk full",
        title="nas01",
        url="https://example.com",
        url_title="Status",
        priority=Priority.EMERGENCY,
        sound="siren",
        device="iphone",
        timestamp=1_700_000_000,
        ttl=600,
        html=True,
        attachment=Attachment.from_path(picture),
        retry=60,
        expire=3600,
        callback="https://example.com/ack",
        tags=("db", "prod"),
    )
    draft = Draft.from_message(message, PROFILE)
    assert draft.format == "html" and draft.tags == "db,prod" and draft.ttl == "600"
    again, problems = draft.to_message(PROFILE)
    assert problems == []
    assert again.params() == message.params()


def test_draft_keeps_what_was_typed_and_names_the_field_that_is_wrong() -> None:
    draft = Draft(message="hi", priority=2, retry="soon", expire="", ttl="x", timestamp="noon")
    message, problems = draft.to_message(PROFILE)
    assert {p.field for p in problems} == {"retry", "ttl", "timestamp"}
    assert message.expire == 1800  # blank: the profile's default
    assert draft.retry == "soon"  # the draft itself is never "corrected"
    fields = {p.field for p in draft.problems(active())}
    assert {"retry", "ttl", "timestamp"} <= fields


def test_draft_outside_priority_2_sends_no_emergency_fields() -> None:
    message, _ = Draft(message="x", retry="10", tags="a", callback="https://x").to_message(PROFILE)
    assert message.tags == () and message.callback == ""
    assert Draft(title="t").has_text and not Draft(message="  ").has_text


def test_parse_timestamp_takes_unix_time_or_a_local_date() -> None:
    assert parse_timestamp("1700000000") == (1_700_000_000, [])
    assert parse_timestamp("2026-05-01 14:30")[0] is not None
    assert parse_timestamp("")[0] is None
    assert parse_timestamp("someday")[1][0].field == "timestamp"


def test_notes_show_problems_of_edited_fields_and_hints_elsewhere() -> None:
    draft = Draft(title="x" * 251, priority=2)
    problems = draft.problems(active())
    notes = field_notes(draft, problems, shown={"title"}, server={})
    assert notes["title"][1] == "error" and "250" in notes["title"][0]
    assert notes["priority"] == ("Repeats until acknowledged or expired.", "hint")
    assert notes["message"] == ("", "hint")  # a problem, but not edited yet: no note
    server = field_notes(draft, problems, shown=set(), server={"sound": "Pushover: sound invalid."})
    assert server["sound"] == ("Pushover: sound invalid.", "error")
    assert note_target("html") == "format" and note_target("nonsense") == "priority"


def test_keys_note_says_where_to_fix_the_keys() -> None:
    no_keys = active(Profile("work"))
    draft = Draft(message="x")
    text = keys_note(draft.problems(no_keys), {}, no_keys, lambda binding: "F9")
    assert "'work' has no application token and user key yet" in text and "press F9" in text
    assert keys_note(draft.problems(active()), {}, active(), lambda binding: "F9") == ""


# -- the Config form ------------------------------------------------------------------------


def test_profile_form_loads_saves_and_never_writes_an_environment_key() -> None:
    from_env = active(
        Profile("personal", token=Secret("aEnvironmentToken".ljust(30, "X")), user=Secret(USER)),
        token=Source.ENVIRONMENT,
    )
    saved = Profile("personal", token=Secret(TOKEN), user=Secret(USER))
    form = ProfileForm.load(saved, from_env)
    assert form.token.startswith("aEnvironmentToken")
    edited = form.edit("device", "  pixel ").edit("priority", 1)
    assert edited.device == "pixel" and edited != form
    profile, problems = edited.to_profile(saved, from_env)
    assert problems == []
    assert profile.token.reveal() == TOKEN and profile.device == "pixel" and profile.priority == 1


def test_profile_form_repr_never_shows_the_keys() -> None:
    form = ProfileForm(token=TOKEN, user=USER, device="pixel")
    text = repr(form) + str(form)
    assert TOKEN not in text and USER not in text and "pixel" in text
    assert form != ProfileForm(token=TOKEN, user="", device="pixel")  # still compared


def test_profile_form_checks_keys_and_emergency_defaults() -> None:
    form = ProfileForm(token="short", user=USER, priority=2, retry="10", expire="")
    problems = form.problems(active(), emergency_rows=True)
    assert set(problems) == {"token", "retry", "expire"}
    _, blocking = form.to_profile(PROFILE, active())
    assert {p.field for p in blocking} >= {"token", "expire"}


def test_a_used_up_quota_says_when_it_resets_the_same_way_everywhere() -> None:
    """Compose, Config's Verify and Groups: the reset Pushover gave, else the rule."""
    reset = int(datetime(2030, 1, 1, 0, 0).timestamp())
    error = QuotaExceededError("quota used up", status_code=429, reset=reset)
    said = [
        str(compose_failure_text(error, str)),
        str(failure_report(error, "")[0]),
        groups_failure_text(error, str),
    ]
    assert all("It resets on 2030-01-01 at 00:00." in text for text in said), said
    unknown = QuotaExceededError("quota used up", status_code=429)
    assert "It resets on the 1st of the month" in str(failure_report(unknown, "")[0])
