"""Secret wrapper and URL/text redaction: a token or user key never shows by accident."""

from __future__ import annotations

import copy
import pickle

import pytest

from pushover_tui.api.secret import Secret, redact, redact_url

TOKEN = "SENTINELtokenAAAAAAAAAAAAAAAAA"
USER = "SENTINELuserBBBBBBBBBBBBBBBBBB"


def test_sentinels_are_valid_keys() -> None:
    assert len(TOKEN) == len(USER) == 30
    assert TOKEN.isalnum() and USER.isalnum()


@pytest.mark.parametrize(
    "render",
    [repr, str, lambda s: f"{s}", lambda s: f"{s!r}", lambda s: "%s" % s],  # noqa: UP031,
    ids=["repr", "str", "fstring", "fstring-repr", "percent"],
)
def test_renderings_never_show_the_value(render) -> None:
    text = render(Secret(TOKEN))
    assert TOKEN not in text
    assert TOKEN[4:12] not in text


def test_secret_inside_containers_stays_masked() -> None:
    secret = Secret(TOKEN)
    assert TOKEN not in repr([secret, {"token": secret}])


def test_masked_shows_only_four_characters() -> None:
    masked = Secret(TOKEN).masked()
    assert masked.startswith(TOKEN[:4])
    assert len(masked) == len(TOKEN)
    assert set(masked[4:]) == {"•"}
    shown = [c for c in masked if c != "•"]
    assert len(shown) == 4


def test_masked_short_and_empty_values() -> None:
    assert Secret("").masked() == "(not set)"
    assert "abcd" not in Secret("abcdefg").masked()
    assert set(Secret("abcdefg").masked()) == {"•"}


def test_reveal_bool_and_equality() -> None:
    secret = Secret(TOKEN)
    assert secret.reveal() == TOKEN
    assert Secret(secret).reveal() == TOKEN
    assert secret == Secret(TOKEN)
    assert secret != Secret(USER)
    assert secret != TOKEN  # never equal to a bare string
    assert bool(secret) and not Secret("")
    assert hash(secret) == hash(Secret(TOKEN))


def test_pickling_fails() -> None:
    with pytest.raises(TypeError):
        pickle.dumps(Secret(TOKEN))
    with pytest.raises(TypeError):
        pickle.dumps({"token": Secret(TOKEN)})


def test_secret_has_no_dict_to_dump() -> None:
    secret = Secret(TOKEN)
    assert not hasattr(secret, "__dict__")
    with pytest.raises(TypeError):
        copy.copy(secret)


def test_redact_url_masks_token_and_user_query_values() -> None:
    url = f"https://api.pushover.net/1/receipts/abc.json?token={TOKEN}&user={USER}&x=1"
    redacted = redact_url(url)
    assert TOKEN not in redacted and USER not in redacted
    assert "token=***" in redacted and "user=***" in redacted
    assert "x=1" in redacted
    assert redacted.startswith("https://api.pushover.net/1/receipts/abc.json?")


def test_redact_url_without_query_is_unchanged() -> None:
    assert redact_url("https://api.pushover.net/1/sounds.json") == (
        "https://api.pushover.net/1/sounds.json"
    )


def test_redact_masks_query_values_and_given_secrets() -> None:
    text = f"GET /1/sounds.json?token={TOKEN} and body user={USER}&message=hi"
    redacted = redact(text)
    assert TOKEN not in redacted and USER not in redacted
    assert "message=hi" in redacted

    bare = f"the key {TOKEN} and {USER} appear bare"
    redacted = redact(bare, Secret(TOKEN), USER, None, "")
    assert TOKEN not in redacted and USER not in redacted
    assert redacted == "the key *** and *** appear bare"
