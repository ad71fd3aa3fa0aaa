"""Pushover clients people already use, judging the simulator over loopback.

pushover-complete 2.x, apprise's Pushover plugin and notifiers' Pushover provider work against the
real API with their defaults; each call they make here must get the answer the real API gives
(success bodies, receipts, the documented error bodies). Where a client's default is not what the
docs spell out (html=False, a file part without a content type, GET parameters in a body...), the
simulator accepts it: the README's "Where the simulator is lenient" table lists each case.
Each client is pointed at the simulator through the one setting it has for its API address.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
from pathlib import Path

import apprise
import httpx
import pushover_complete.pushover_api
import pytest
from apprise.plugins.pushover import NotifyPushover
from notifiers import get_notifier
from notifiers.providers.pushover import PushoverMixin
from pushover_complete import BadAPIRequestError, PushoverAPI

from pushover_tui.simulator import DEMO_GROUP, DEMO_TOKEN, DEMO_USER, Simulator

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
KEY_RE = re.compile(r"[A-Za-z0-9]{30}")
NOBODY = "uNobodyKnowsThisUserKey0000001"
# A valid 1x1 PNG: apprise only attaches files whose type is image/*.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"
)
PNG_INFO = {"size": len(PNG), "sha256": hashlib.sha256(PNG).hexdigest()}
PRIORITIES = (-2, -1, 0, 1)  # 2 (emergency) has its own tests: it needs retry and expire


@pytest.fixture
def pushover_simulator_options() -> dict[str, object]:
    # Nobody acknowledges on their own: tests acknowledge with sim.ack() when they need it.
    return {"ack_after": 0, "state": {"sounds": {"ding": "Ding (custom)"}}}


@pytest.fixture
def sim(pushover_simulator: Simulator) -> Simulator:
    return pushover_simulator


@pytest.fixture
def png(tmp_path: Path) -> Path:
    path = tmp_path / "chart.png"
    path.write_bytes(PNG)
    return path


def last_statuses(sim: Simulator, count: int) -> list[int]:
    return [record.status for record in sim.requests[-count:]]


# ---- pushover-complete -----------------------------------------------------------------------


@pytest.fixture
def pc(sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> PushoverAPI:
    # Its one setting for the API address: a module constant, joined with each endpoint.
    monkeypatch.setattr(pushover_complete.pushover_api, "PUSHOVER_API_URL", sim.base_url + "/")
    return PushoverAPI(DEMO_TOKEN)


def test_pc_plain_send_with_its_defaults(pc: PushoverAPI, sim: Simulator) -> None:
    # The case: send_message sends html=False on every message.
    body = pc.send_message(DEMO_USER, "x")
    assert body["status"] == 1 and UUID_RE.fullmatch(body["request"])
    assert "receipt" not in body
    assert sim.messages == [{"message": "x", "html": "False"}]


@pytest.mark.parametrize("priority", PRIORITIES)
def test_pc_every_priority_below_emergency(pc: PushoverAPI, sim: Simulator, priority: int) -> None:
    body = pc.send_message(DEMO_USER, "x", priority=priority)
    assert body["status"] == 1 and "receipt" not in body
    assert sim.messages[-1]["priority"] == str(priority)


def test_pc_every_option(pc: PushoverAPI, sim: Simulator) -> None:
    body = pc.send_message(
        DEMO_USER,
        "<b>disk</b> full",
        device="iphone",
        title="nas01",
        url="https://example.com/nas01",
        url_title="dashboard",
        timestamp=1_700_000_000,
        sound="ding",  # the app's custom sound, seeded from state
        html=True,
        ttl=3600,
    )
    assert body["status"] == 1
    assert sim.messages == [
        {
            "message": "<b>disk</b> full",
            "device": "iphone",
            "title": "nas01",
            "url": "https://example.com/nas01",
            "url_title": "dashboard",
            "timestamp": "1700000000",
            "sound": "ding",
            "html": "True",
            "ttl": "3600",
        }
    ]


def test_pc_device_list_is_accepted(pc: PushoverAPI, sim: Simulator) -> None:
    # A list goes out as repeated device fields; the simulator keeps the last one.
    assert pc.send_message(DEMO_USER, "x", device=["iphone", "pixel"])["status"] == 1
    assert sim.messages[-1]["device"] == "pixel"


@pytest.mark.parametrize("form", ["path", "str", "file"])
def test_pc_attachment(pc: PushoverAPI, sim: Simulator, png: Path, form: str) -> None:
    image = {"path": png, "str": str(png), "file": io.BytesIO(PNG)}[form]
    assert pc.send_message(DEMO_USER, "chart", image=image)["status"] == 1
    attachment = sim.messages[-1]["attachment"]
    assert isinstance(attachment, dict)
    # requests sends the file part without a content type; the real API takes it.
    assert attachment == {
        **PNG_INFO,
        "filename": "attachment" if form == "file" else "chart.png",
        "content_type": None,
    }


def test_pc_attachment_limit_is_the_documented_one(pc: PushoverAPI, sim: Simulator) -> None:
    limit = 5_242_880
    assert pc.send_message(DEMO_USER, "big", image=io.BytesIO(bytes(limit)))["status"] == 1
    with pytest.raises(BadAPIRequestError) as caught:
        pc.send_message(DEMO_USER, "too big", image=io.BytesIO(bytes(limit + 1)))
    assert str(caught.value) == "400: attachment is too large"
    assert [m["message"] for m in sim.messages] == ["big"]


def test_pc_emergency_receipt_acknowledged(pc: PushoverAPI, sim: Simulator) -> None:
    sent = pc.send_message(DEMO_USER, "db down", priority=2, retry=30, expire=3600)
    assert sent["status"] == 1 and KEY_RE.fullmatch(sent["receipt"])
    waiting = pc.check_receipt(sent["receipt"])
    assert (waiting["status"], waiting["acknowledged"], waiting["expired"]) == (1, 0, 0)
    assert waiting["expires_at"] > 0 and waiting["last_delivered_at"] > 0

    assert sim.ack(sent["receipt"], "pixel")
    done = pc.check_receipt(sent["receipt"])
    assert done["acknowledged"] == 1 and done["acknowledged_at"] > 0
    assert (done["acknowledged_by"], done["acknowledged_by_device"]) == (DEMO_USER, "pixel")
    # The receipt GET carries the token in its body here; the log never shows it.
    assert sim.requests[-1].path == f"/1/receipts/{sent['receipt']}.json"


def test_pc_cancel_receipt(pc: PushoverAPI) -> None:
    sent = pc.send_message(DEMO_USER, "db down", priority=2, retry=60, expire=600)
    cancelled = pc.cancel_receipt(sent["receipt"])
    assert cancelled["status"] == 1 and UUID_RE.fullmatch(cancelled["request"])
    after = pc.check_receipt(sent["receipt"])
    assert (after["acknowledged"], after["expired"]) == (0, 1)


def test_pc_send_messages_reuses_one_connection(pc: PushoverAPI, sim: Simulator) -> None:
    messages = [{"user": DEMO_USER, "message": f"m{p}", "priority": p} for p in PRIORITIES]
    bodies = pc.send_messages(messages)
    assert [body["status"] for body in bodies] == [1] * len(PRIORITIES)
    assert sim.connections_seen() == 1


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"user": NOBODY}, "400: user identifier is invalid"),
        (
            {"priority": 2},
            "400: retry must be supplied with priority=2: expire must be supplied with priority=2",
        ),
        ({"priority": 2, "retry": 29, "expire": 60}, "400: retry is invalid"),
        ({"priority": 2, "retry": 30, "expire": 10_801}, "400: expire is invalid"),
        ({"message": "m" * 1025}, "400: message is too long"),
        ({"sound": "kazoo"}, "400: sound is not a valid sound name"),
    ],
)
def test_pc_rejections_carry_the_real_errors(
    pc: PushoverAPI, sim: Simulator, fields: dict, error: str
) -> None:
    send = {"user": DEMO_USER, "message": "x", **fields}
    with pytest.raises(BadAPIRequestError) as caught:
        pc.send_message(**send)
    assert str(caught.value) == error
    assert sim.messages == []


def test_pc_bad_token(pc: PushoverAPI) -> None:
    stranger = PushoverAPI("aUnknownAppToken00000000000001")
    for call in (lambda: stranger.send_message(DEMO_USER, "x"), stranger.get_sounds):
        with pytest.raises(BadAPIRequestError) as caught:
            call()
        assert str(caught.value) == "400: application token is invalid"


def test_pc_sounds(pc: PushoverAPI) -> None:
    sounds = pc.get_sounds()
    assert sounds["pushover"] == "Pushover (default)" and sounds["none"] == "None (silent)"
    assert sounds["ding"] == "Ding (custom)"
    assert len(sounds) == 24  # 23 built-ins and the app's own


def test_pc_validate(pc: PushoverAPI) -> None:
    user = pc.validate(DEMO_USER)
    assert (user["status"], user["group"], user["devices"]) == (1, 0, ["iphone", "pixel"])
    assert user["licenses"] == ["iOS", "Android"]
    assert pc.validate(DEMO_USER, device="pixel")["status"] == 1
    assert pc.validate(DEMO_GROUP)["group"] == 1
    with pytest.raises(BadAPIRequestError) as caught:
        pc.validate(NOBODY)
    assert str(caught.value) == "400: user key is invalid"
    with pytest.raises(BadAPIRequestError) as caught:
        pc.validate(DEMO_USER, device="toaster")
    assert str(caught.value) == "400: device name is not valid for user"


def test_pc_unknown_receipt(pc: PushoverAPI) -> None:
    with pytest.raises(BadAPIRequestError) as caught:
        pc.check_receipt("r" * 30)
    assert str(caught.value) == "400: receipt not found; may be invalid or expired"


# ---- pushover-complete: delivery groups (issue 16) ---------------------------------------------


@pytest.fixture
def group(sim: Simulator) -> str:
    """A new group of the demo app's account, made with the documented create call (pushover-
    complete 2.0 has none)."""
    with httpx.Client(base_url=sim.base_url, timeout=5) as client:
        made = client.post("/groups.json", data={"token": DEMO_TOKEN, "name": "ops"})
    assert made.status_code == 200, made.text
    return made.json()["group"]


def test_pc_group_membership_round_trip(pc: PushoverAPI, group: str) -> None:
    assert pc.group_add_user(group, DEMO_USER, device="iphone", memo="Alice")["status"] == 1
    info = pc.group_info(group)
    assert info["name"] == "ops"
    assert [(m["user"], m["device"], m["memo"], m["disabled"]) for m in info["users"]] == [
        (DEMO_USER, "iphone", "Alice", False)
    ]
    assert pc.group_disable_user(group, DEMO_USER)["status"] == 1
    assert pc.group_info(group)["users"][0]["disabled"] is True
    assert pc.group_enable_user(group, DEMO_USER)["status"] == 1
    assert pc.group_info(group)["users"][0]["disabled"] is False
    assert pc.group_rename(group, "ops-night")["status"] == 1
    assert pc.group_info(group)["name"] == "ops-night"
    # pushover-complete still calls the older delete_user.json spelling.
    assert pc.group_delete_user(group, DEMO_USER)["status"] == 1
    assert pc.group_info(group)["users"] == []


def test_pc_group_errors(pc: PushoverAPI, group: str) -> None:
    with pytest.raises(BadAPIRequestError) as caught:
        pc.group_delete_user(group, DEMO_USER)
    assert str(caught.value) == "400: user is not a member of this group"
    with pytest.raises(BadAPIRequestError) as caught:
        pc.group_add_user(group, DEMO_USER, memo="m" * 201)
    assert str(caught.value).startswith("400: ")
    with pytest.raises(BadAPIRequestError) as caught:
        pc.group_info("g" * 30)
    assert str(caught.value).startswith("400: ")


def test_pc_send_to_a_group_and_validate_it(pc: PushoverAPI, sim: Simulator, group: str) -> None:
    pc.group_add_user(group, DEMO_USER)
    assert pc.validate(group)["group"] == 1
    assert pc.send_message(group, "to the group")["status"] == 1


# ---- pushover-complete: licenses and subscriptions (issue 25) --------------------------------
# What it supports beyond messages and groups; none of the three clients has glances or teams.


def test_pc_assign_license_by_user_key_and_by_email(pc: PushoverAPI, sim: Simulator) -> None:
    sim.license_credits = 2
    by_key = pc.assign_license(DEMO_USER, os="Desktop")
    assert by_key["status"] == 1 and by_key["credits"] == 1
    by_email = pc.assign_license("new.user@example.com")  # os=None: requests leaves it out
    assert by_email["credits"] == 0
    with pytest.raises(BadAPIRequestError, match="400: no license credits remaining"):
        pc.assign_license(DEMO_USER)
    with pytest.raises(BadAPIRequestError, match="os must be one of"):
        sim.license_credits = 1
        pc.assign_license(DEMO_USER, os="Windows")


def test_pc_migrate_to_subscription(pc: PushoverAPI, sim: Simulator) -> None:
    sim.add_subscription("pc-subscription")
    body = pc.migrate_to_subscription(DEMO_USER, "pc-subscription", device="iphone", sound="ding")
    assert body["status"] == 1 and KEY_RE.fullmatch(body["subscribed_user_key"])
    many = pc.migrate_multiple_to_subscription([{"user": DEMO_USER}], "pc-subscription")
    assert many[0]["subscribed_user_key"] == body["subscribed_user_key"]
    with pytest.raises(BadAPIRequestError, match="subscription code is invalid"):
        pc.migrate_to_subscription(DEMO_USER, "no-such-code")


# ---- apprise ---------------------------------------------------------------------------------


@pytest.fixture
def notify(sim: Simulator, monkeypatch: pytest.MonkeyPatch):
    # apprise has no setting for Pushover's address: the plugin's notify_url is the one place.
    monkeypatch.setattr(NotifyPushover, "notify_url", sim.base_url + "/messages.json")
    # apprise waits 5.5 s between two requests of one plugin (several attachments).
    monkeypatch.setattr(NotifyPushover, "request_rate_per_sec", 0)

    def send(path: str = "", body: str = "hello", **options: object) -> bool:
        sender = apprise.Apprise()
        assert sender.add(f"pover://{DEMO_USER}@{DEMO_TOKEN}/{path}")
        return bool(sender.notify(body, **options))

    return send


def test_apprise_plain_send_with_its_defaults(notify, sim: Simulator) -> None:
    assert notify()
    # ALL_DEVICES is apprise's name for "no device": an unknown device name, which the API
    # documents as falling back to all of the user's devices.
    assert sim.messages == [
        {
            "priority": "0",
            "title": "Apprise Notifications",
            "message": "hello",
            "sound": "pushover",
            "device": "ALL_DEVICES",
        }
    ]
    assert last_statuses(sim, 1) == [200]


@pytest.mark.parametrize(
    ("name", "priority"),
    [("low", -2), ("moderate", -1), ("normal", 0), ("high", 1), ("emergency", 2)],
)
def test_apprise_every_priority(notify, sim: Simulator, name: str, priority: int) -> None:
    assert notify(f"?priority={name}", title="db01")
    sent = sim.messages[-1]
    assert sent["priority"] == str(priority) and sent["title"] == "db01"
    # Its emergency defaults: retry every 15 minutes for an hour.
    assert (sent.get("retry"), sent.get("expire")) == (
        ("900", "3600") if priority == 2 else (None, None)
    )


def test_apprise_html_and_markdown(notify, sim: Simulator) -> None:
    assert notify(body="<p><strong>disk</strong> full</p>", body_format=apprise.NotifyFormat.HTML)
    assert notify(body="**disk** full", body_format=apprise.NotifyFormat.MARKDOWN)
    assert [m["html"] for m in sim.messages] == ["1", "1"]
    assert sim.messages[0]["message"].startswith("<b>disk</b> full")


def test_apprise_devices_sounds_and_url(notify, sim: Simulator) -> None:
    assert notify("iphone/pixel/?sound=ding&url=https://example.com&url_title=status")
    sent = sim.messages[-1]
    assert (sent["device"], sent["sound"]) == ("iphone,pixel", "ding")
    assert (sent["url"], sent["url_title"]) == ("https://example.com", "status")


def test_apprise_group_key_target(notify, sim: Simulator) -> None:
    assert notify(f"%23{DEMO_GROUP}")
    assert "device" not in sim.messages[-1]
    assert last_statuses(sim, 1) == [200]


def test_apprise_attachments(notify, sim: Simulator, png: Path, tmp_path: Path) -> None:
    second = tmp_path / "second.png"
    second.write_bytes(PNG)
    assert notify(attach=[str(png), str(second)])
    # One message per attachment, the later ones silent.
    first, other = sim.messages
    assert first["attachment"] == {**PNG_INFO, "filename": "chart.png", "content_type": None}
    assert (other["message"], other["sound"]) == ("second.png", "none")


def test_apprise_rejections_are_400s(notify, sim: Simulator) -> None:
    # apprise reads only the status code: each of these must be the real API's 400.
    sender = apprise.Apprise()
    sender.add(f"pover://{NOBODY}@{DEMO_TOKEN}")
    assert not sender.notify("to nobody")
    assert not notify("?sound=kazoo")
    assert last_statuses(sim, 2) == [400, 400]
    assert sim.messages == []


def test_apprise_message_limit_counts_code_points(notify, sim: Simulator) -> None:
    # apprise leaves over-long bodies to the API ("upstream" overflow): the documented 1024
    # characters, emoji counted as one.
    assert notify(body="😀" * 1024)
    assert not notify(body="😀" * 1025)
    assert last_statuses(sim, 2) == [200, 400]
    assert [m["message"] for m in sim.messages] == ["😀" * 1024]


# ---- notifiers -------------------------------------------------------------------------------


@pytest.fixture
def pushover(sim: Simulator, monkeypatch: pytest.MonkeyPatch):
    # notifiers' one setting for the address: the provider's base_url.
    monkeypatch.setattr(PushoverMixin, "base_url", sim.base_url + "/")
    return get_notifier("pushover")


def test_notifiers_send_with_its_defaults_and_flags(pushover, sim: Simulator) -> None:
    for html in (None, False, True):
        extra = {} if html is None else {"html": html}
        reply = pushover.notify(token=DEMO_TOKEN, user=DEMO_USER, message="x", **extra)
        assert reply.status == "Success", reply.errors
    assert [m.get("html") for m in sim.messages] == [None, "0", "1"]


@pytest.mark.parametrize("priority", PRIORITIES)
def test_notifiers_every_priority(pushover, sim: Simulator, priority: int) -> None:
    reply = pushover.notify(token=DEMO_TOKEN, user=DEMO_USER, message="x", priority=priority)
    assert reply.status == "Success"
    assert "receipt" not in reply.response.json()


def test_notifiers_emergency_and_attachment(pushover, sim: Simulator, png: Path) -> None:
    reply = pushover.notify(
        token=DEMO_TOKEN,
        user=[DEMO_USER, DEMO_GROUP],
        message="db down",
        priority=2,
        retry=30,
        expire=3600,
        callback="https://example.com/ack",
        attachment=str(png),
        timestamp=1_700_000_000,
    )
    assert reply.status == "Success", reply.errors
    assert KEY_RE.fullmatch(reply.response.json()["receipt"])
    assert sim.messages[-1]["attachment"] == {
        **PNG_INFO,
        "filename": str(png),
        "content_type": None,
    }


@pytest.mark.parametrize(
    ("fields", "body"),
    [
        ({"user": NOBODY}, {"user": "invalid", "errors": ["user identifier is invalid"]}),
        (
            {"priority": 2, "retry": 30},
            {
                "expire": "must be supplied with priority=2",
                "errors": ["expire must be supplied with priority=2"],
            },
        ),
        (
            {"token": "aUnknownAppToken00000000000001"},
            {"token": "invalid", "errors": ["application token is invalid"]},
        ),
    ],
)
def test_notifiers_sees_the_real_error_bodies(pushover, fields: dict, body: dict) -> None:
    reply = pushover.notify(**{"token": DEMO_TOKEN, "user": DEMO_USER, "message": "x", **fields})
    assert reply.status == "Failure"
    assert reply.errors == body["errors"]
    answer = reply.response.json()
    assert reply.response.status_code == 400
    assert UUID_RE.fullmatch(answer.pop("request"))
    assert answer == {**body, "status": 0}


def test_notifiers_sounds_and_limits(pushover, sim: Simulator) -> None:
    sent = pushover.notify(token=DEMO_TOKEN, user=DEMO_USER, message="x")
    quota = sent.response.headers
    assert {"ding", "pushover", "none"} <= set(pushover.sounds(token=DEMO_TOKEN))
    limits = pushover.limits(token=DEMO_TOKEN)
    assert limits["status"] == 1
    assert (limits["limit"], limits["remaining"], limits["reset"]) == (
        int(quota["X-Limit-App-Limit"]),
        int(quota["X-Limit-App-Remaining"]),
        int(quota["X-Limit-App-Reset"]),
    )
    assert limits["remaining"] == limits["limit"] - 1
