"""PushoverClient against the simulator over loopback: every endpoint, the documented errors, the
emergency lifecycle, injected faults and a redirect that is not followed."""

from __future__ import annotations

import pytest

from pushover_tui.api.client import PushoverClient
from pushover_tui.api.errors import (
    QuotaExceededError,
    RejectedError,
    TemporaryError,
    UnexpectedResponseError,
)
from pushover_tui.api.models import Attachment, Message, Priority, ReceiptState
from pushover_tui.simulator import DEMO_GROUP, DEMO_TOKEN, DEMO_USER, Simulator

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def sim(clock):
    with Simulator(ack_after=0, clock=clock) as simulator:
        yield simulator


async def no_wait(_: float) -> None:
    return None


@pytest.fixture
async def client(sim):
    async with PushoverClient(DEMO_TOKEN, base_url=sim.base_url, sleep=no_wait) as client:
        yield client


async def test_send_with_every_option_and_attachment(client, sim):
    message = Message(
        "hello <b>world</b>",
        title="t",
        url="https://example.com",
        url_title="site",
        priority=Priority.HIGH,
        sound="bike",
        device="pixel",
        timestamp=1_700_000_000,
        ttl=3600,
        html=True,
        attachment=Attachment.from_bytes(PNG, "chart.png", "image/png"),
    )
    result = await client.send(DEMO_USER, message)
    assert result.request and result.receipt is None
    assert (result.quota.limit, result.quota.remaining) == (10_000, 9_999)
    received = sim.messages[-1]
    assert received["html"] == "1" and received["device"] == "pixel" and received["ttl"] == "3600"
    assert received["attachment"]["filename"] == "chart.png"
    assert received["attachment"]["content_type"] == "image/png"
    assert received["attachment"]["size"] == len(PNG)


async def test_group_key_and_validate(client):
    check = await client.validate_user(DEMO_USER)
    assert check.devices == ("iphone", "pixel") and not check.group
    group = await client.validate_user(DEMO_GROUP)
    assert group.group
    with pytest.raises(RejectedError) as caught:
        await client.validate_user(DEMO_USER, "nosuchphone")
    assert "device" in caught.value.fields


async def test_validate_bad_user_and_no_devices(client, sim):
    with pytest.raises(RejectedError) as caught:
        await client.validate_user("u" * 30)
    assert caught.value.fields["user"] == "invalid" and caught.value.request_id
    sim.add_user("n" * 30, devices=())
    with pytest.raises(RejectedError) as caught:
        await client.validate_user("n" * 30)
    assert "no active devices" in str(caught.value)


async def test_bad_token(sim):
    async with PushoverClient("t" * 30, base_url=sim.base_url) as client:
        with pytest.raises(RejectedError) as caught:
            await client.send(DEMO_USER, Message("x"))
    assert caught.value.fields == {"token": "invalid"}
    assert caught.value.status_code == 400


async def test_documented_field_errors_come_back_per_field(client):
    with pytest.raises(RejectedError) as caught:
        await client.send(DEMO_USER, Message("x", priority=2, retry=10, expire=60))
    assert "retry" in caught.value.fields
    with pytest.raises(RejectedError) as caught:
        await client.send(DEMO_USER, Message("x", priority=2, retry=60, expire=None))
    assert "expire" in caught.value.fields


async def test_sounds_and_limits(client, sim):
    sim.add_sound("klaxon", "Klaxon")
    sounds = await client.sounds()
    assert sounds["pushover"] and sounds["klaxon"] == "Klaxon"
    quota = await client.limits()
    assert quota.limit == 10_000 and quota.reset


async def test_quota_exceeded(client, sim):
    sim.set_remaining(DEMO_TOKEN, 0)
    with pytest.raises(QuotaExceededError) as caught:
        await client.send(DEMO_USER, Message("x"))
    assert caught.value.status_code == 429 and caught.value.reset
    assert len(sim.requests) == 1


async def emergency(client, **options):
    message = Message("fire", priority=Priority.EMERGENCY, retry=30, expire=300, **options)
    result = await client.send(DEMO_USER, message)
    assert result.receipt and len(result.receipt) == 30
    return result.receipt


async def test_emergency_awaiting_then_acknowledged(client, sim, clock):
    receipt = await emergency(client)
    first = await client.receipt(receipt)
    assert first.state is ReceiptState.AWAITING and first.expires_at == int(clock.now) + 300
    clock.now += 65
    later = await client.receipt(receipt)
    assert later.last_delivered_at >= first.last_delivered_at + 60
    sim.ack(receipt, device="pixel")
    done = await client.receipt(receipt)
    assert done.state is ReceiptState.ACKNOWLEDGED and done.acknowledged_by_device == "pixel"
    assert done.acknowledged_by.startswith("uQiR") and DEMO_USER not in done.acknowledged_by


async def test_emergency_expires(client, clock):
    receipt = await emergency(client)
    clock.now += 301
    assert (await client.receipt(receipt)).state is ReceiptState.EXPIRED


async def test_cancel_and_cancel_by_tag(client):
    receipt = await emergency(client)
    assert await client.cancel_receipt(receipt)
    assert (await client.receipt(receipt)).expired
    tagged = [await emergency(client, tags=("db",)) for _ in range(2)]
    other = await emergency(client, tags=("web",))
    assert await client.cancel_by_tag("db") == 2
    for receipt in tagged:
        assert (await client.receipt(receipt)).expired
    assert (await client.receipt(other)).state is ReceiptState.AWAITING


async def test_unknown_receipt(client):
    with pytest.raises(RejectedError) as caught:
        await client.receipt("r" * 30)
    assert caught.value.fields["receipt"] == "not found"


@pytest.mark.parametrize("kind", ["500", "502", "503", "drop"])
async def test_faults_are_retried_then_reported(client, sim, kind):
    sim.inject_fault(kind, count=3)
    with pytest.raises(TemporaryError) as caught:
        await client.send(DEMO_USER, Message("x"))
    assert caught.value.attempts == 3
    assert len(sim.requests) == 3
    assert sim.messages == []


async def test_fault_then_success(client, sim):
    sim.inject_fault("503", count=2)
    result = await client.send(DEMO_USER, Message("x"))
    assert result.request and len(sim.messages) == 1


async def test_hang_past_timeout(sim):
    sim.inject_fault("hang", count=2, seconds=2)
    async with PushoverClient(
        DEMO_TOKEN, base_url=sim.base_url, sleep=no_wait, timeout=0.2, retries=1
    ) as client:
        with pytest.raises(TemporaryError, match="did not answer"):
            await client.limits()
    sim.release()


async def test_non_json_page(client, sim):
    sim.inject_fault("html")
    with pytest.raises(UnexpectedResponseError) as caught:
        await client.send(DEMO_USER, Message("x"))
    assert caught.value.status_code == 200 and "maintenance" in str(caught.value)


async def test_redirect_is_not_followed(client, sim):
    sim.inject_fault("redirect", count=3)
    with pytest.raises(TemporaryError) as caught:
        await client.sounds()
    assert "redirect" in str(caught.value) and DEMO_TOKEN not in str(caught.value)
    assert {r.path for r in sim.requests} == {"/1/sounds.json"}  # only ever the simulator


async def test_sequential_requests_reuse_one_connection(client, sim):
    for _ in range(5):
        await client.send(DEMO_USER, Message("x"))
    assert sim.connections_seen() == 1
