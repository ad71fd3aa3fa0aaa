"""Models: priorities, receipts, message parameters, quota."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from pushover_tui.api.models import (
    Attachment,
    Message,
    Priority,
    Quota,
    Receipt,
    ReceiptState,
)


def test_priority_values_and_labels() -> None:
    assert [(int(p), p.label) for p in Priority] == [
        (-2, "Lowest"),
        (-1, "Low"),
        (0, "Normal"),
        (1, "High"),
        (2, "Emergency"),
    ]
    for priority in Priority:
        assert priority.meaning


def test_receipt_state_derivation() -> None:
    receipt = "r" * 30
    assert Receipt(receipt).state is ReceiptState.AWAITING
    assert Receipt(receipt).state.is_open
    assert Receipt(receipt, acknowledged=True, acknowledged_at=5).state is (
        ReceiptState.ACKNOWLEDGED
    )
    assert Receipt(receipt, expired=True).state is ReceiptState.EXPIRED
    # Acknowledged and later expired: the acknowledgement is what matters.
    assert Receipt(receipt, acknowledged=True, expired=True).state is ReceiptState.ACKNOWLEDGED
    for state in (ReceiptState.ACKNOWLEDGED, ReceiptState.EXPIRED, ReceiptState.CANCELLED):
        assert not state.is_open


def test_receipt_fields_use_api_names_and_ints() -> None:
    fields = Receipt("r" * 30, acknowledged=True, acknowledged_by="u" * 30).fields()
    assert fields["acknowledged"] == 1
    assert fields["expired"] == 0
    assert fields["acknowledged_by"] == "u" * 30
    assert set(fields) == {
        "receipt",
        "acknowledged",
        "acknowledged_at",
        "acknowledged_by",
        "acknowledged_by_device",
        "last_delivered_at",
        "expired",
        "expires_at",
        "called_back",
        "called_back_at",
    }


ROUND_TRIP = [
    Message("hello"),
    Message("hi", title="T", url="https://example.com", url_title="site", sound="bike"),
    Message("quiet", priority=Priority.LOWEST, device="phone,tablet_2", timestamp=1_700_000_000),
    Message("html <b>bold</b>", html=True, ttl=3600, priority=Priority.HIGH),
    Message("mono", monospace=True, priority=Priority.LOW),
    Message(
        "fire",
        priority=Priority.EMERGENCY,
        retry=60,
        expire=3600,
        callback="https://example.com/cb",
        tags=("db", "prod"),
    ),
    Message("ünïcødé 👍", title="emoji 🎉"),
]


@pytest.mark.parametrize("message", ROUND_TRIP)
def test_params_round_trip(message: Message) -> None:
    params = message.params()
    assert params["priority"] == int(message.priority)
    assert Message.from_params(params) == message


def test_params_are_json_ready_ints() -> None:
    params = Message(
        "x", priority=2, retry=30, expire=60, html=True, timestamp=0, tags=("a",)
    ).params()
    assert params["retry"] == 30 and params["expire"] == 60
    assert params["html"] == 1 and params["timestamp"] == 0
    assert params["tags"] == "a"


def test_params_record_attachment_name_and_type_but_not_bytes() -> None:
    message = Message("x", attachment=Attachment.from_bytes(b"\x89PNG", "a.png", "image/png"))
    assert message.params()["attachment"] == {"filename": "a.png", "content_type": "image/png"}
    assert Message.from_params(message.params()).attachment is None


def test_form_leaves_blanks_out() -> None:
    assert Message("hi").form() == {"message": "hi"}


def test_form_emergency_fields_only_at_priority_2() -> None:
    extras = {"retry": 60, "expire": 600, "callback": "https://e.x/cb", "tags": ("a", "b")}
    for priority in (-2, -1, 0, 1):
        form = Message("x", priority=priority, **extras).form()
        assert not {"retry", "expire", "callback", "tags"} & set(form)
    form = Message("x", priority=2, ttl=60, **extras).form()
    assert form["retry"] == "60" and form["expire"] == "600"
    assert form["callback"] == "https://e.x/cb" and form["tags"] == "a,b"
    assert form["priority"] == "2"
    assert "ttl" not in form


def test_attachment_from_path_guesses_type(tmp_path: Path) -> None:
    path = tmp_path / "shot.png"
    path.write_bytes(b"\x89PNG\r\n")
    attachment = Attachment.from_path(path)
    assert attachment.filename == "shot.png"
    assert attachment.content_type == "image/png"
    assert attachment.size() == 6
    assert attachment.read() == b"\x89PNG\r\n"
    assert Attachment.from_path(tmp_path / "blob").content_type == "application/octet-stream"
    assert Attachment.from_path(path, "image/x-custom").content_type == "image/x-custom"


def test_attachment_repr_hides_bytes() -> None:
    assert "secretbytes" not in repr(Attachment.from_bytes(b"secretbytes", "a.png", "image/png"))


def test_quota_known_and_reset_at() -> None:
    assert not Quota().known
    assert Quota().reset_at is None
    quota = Quota(limit=10_000, remaining=0, reset=1_700_000_000)
    assert quota.known  # zero remaining is known, not unknown
    assert quota.reset_at == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert Quota(limit=10_000).known is False
