"""The fake 46elks gateway the test suites script: a failure scripted for one number is used by that number only."""

from __future__ import annotations

import base64

import httpx
import pytest

from notification.fake_gateway import FakeElks

pytestmark = pytest.mark.unit


async def _send(client: httpx.AsyncClient, fake: FakeElks, to: str) -> int:
    auth = base64.b64encode(f"{fake.username}:{fake.password}".encode()).decode()
    form = {"from": "TryggHem", "to": to, "message": "Hej!"}
    response = await client.post("/a1/sms", data=form, headers={"authorization": f"Basic {auth}"})
    return response.status_code


async def test_a_script_for_one_number_is_not_used_up_by_other_numbers() -> None:
    fake = FakeElks(deliver=False)
    relative, oncall = "+46701112233", "+46709998877"
    fake.fail_next(500, 500, to=relative)
    fake.fail_next(503)  # any number
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fake.app()), base_url="http://fake") as client:
        answers = [await _send(client, fake, n) for n in (oncall, oncall, relative, relative, relative, oncall)]
    assert answers == [503, 200, 500, 500, 200, 200]
    assert [status for to, status in fake.attempts if to == relative] == [500, 500, 200]
    assert [m.to for m in fake.messages] == [oncall, relative, oncall]
