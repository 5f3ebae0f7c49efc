"""The HTTP API: roles, problem+json, 409 on a second acknowledgement, audited reads, signed callbacks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from notification_support import Harness, as_role, make_settings

from notification.adapters.signing import CallbackSigner, twilio_signature
from notification.config import LOCAL_DEV_CALLBACK_SECRET
from notification.domain.alert import Responder, Rota, Shift
from notification.domain.message import MessageState
from notification.domain.templates import AlertFacts, AlertTopic
from notification.service_layer import alerts as al
from notification.service_layer.dispatch import dispatch_due

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ROTA = {
    "shifts": [
        {
            "starts_at": "2026-11-23T00:00:00+01:00",
            "minutes": 1440,
            "responders": [{"responder_id": "anna", "phone": "+46700000001"}],
        }
    ]
}


async def raised(h: Harness) -> str:
    await h.deps.rotas.put(
        Rota(
            "default", (Shift(T0 - timedelta(hours=1), T0 + timedelta(hours=9), (Responder("anna", "+46700000001"),)),)
        )
    )
    await al.raise_alert(h.deps, "missed:v1", AlertTopic.VISIT_MISSED, AlertFacts(case_ref="c1"), case_id="c1")
    return "missed:v1"


async def test_on_call_acknowledges_an_alert_once_and_a_second_time_is_a_conflict() -> None:
    h = Harness.create(now=T0)
    alert_id = await raised(h)
    client = h.client()
    listed = client.get("/alerts", params={"state": "open"}, headers=as_role("oncall"))
    assert [a["alert_id"] for a in listed.json()] == [alert_id]
    assert "+46700000001" not in listed.text

    first = client.post(f"/alerts/{alert_id}/acknowledgement", headers=as_role("oncall"))
    assert first.status_code == 200
    assert first.json()["acknowledged_by"] == "oncall:dev"
    second = client.post(f"/alerts/{alert_id}/acknowledgement", headers=as_role("oncall"))
    assert second.status_code == 409
    assert second.headers["content-type"] == "application/problem+json"


async def test_an_alert_and_its_message_are_answered_field_by_field_without_number_or_text() -> None:
    h = Harness.create(now=T0)
    alert_id = await raised(h)
    await dispatch_due(h.deps)
    [message] = await h.deps.message_queries.for_case("c1", 1)
    client = h.client()
    alert = client.get(f"/alerts/{alert_id}", headers=as_role("oncall")).json()
    assert alert == {
        "alert_id": "missed:v1",
        "topic": "visit_missed",
        "state": "open",
        "case_id": "c1",
        "team_id": None,
        "raised_at": "2026-11-23T09:00:00Z",
        "due_at": None,
        "level": 0,
        "responders_on_call": 1,
        "exhausted": False,
        "escalate_at": "2026-11-23T09:15:00Z",
        "acknowledged_by": None,
        "acknowledged_at": None,
        "channel": None,
    }
    got = client.get(f"/messages/{message.message_id}", headers=as_role("ops")).json()
    assert got == {
        "message_id": message.message_id,
        "kind": "oncall_alert",
        "recipient_kind": "oncall",
        "case_id": "c1",
        "alert_id": "missed:v1",
        "language": "sv",
        "state": "accepted",
        "attempts": 1,
        "provider": h.provider.name,
        "created_at": "2026-11-23T09:00:00Z",
        "not_before": "2026-11-23T09:00:00Z",
        "held_for_quiet_hours": False,
        "status_at": "2026-11-23T09:00:00Z",
        "failure_reason": None,
    }


def test_without_a_token_or_the_role_the_api_answers_401_and_403_as_problems() -> None:
    client = Harness.create(now=T0).client()
    assert client.get("/alerts").status_code == 401
    forbidden = client.put("/rotas/team-vast", json=ROTA, headers=as_role("oncall"))
    assert forbidden.status_code == 403
    assert forbidden.json()["title"] == "Forbidden"
    assert client.get("/alerts/nope", headers=as_role("oncall")).status_code == 404


async def test_the_link_in_the_sms_shows_a_button_and_acknowledges_only_on_post() -> None:
    h = Harness.create(now=T0)
    alert_id = await raised(h)
    code = (await h.deps.alerts.load(alert_id)).state.ack_code
    client = h.client()
    page = client.get(f"/ack/{code}")
    assert page.status_code == 200
    assert "<form method='post'" in page.text
    assert (await h.deps.alerts.load(alert_id)).state.acknowledged_at is None
    assert client.post(f"/ack/{code.lower()}").status_code == 200
    assert (await h.deps.alerts.load(alert_id)).state.channel.value == "link"
    assert client.post(f"/ack/{code}").status_code == 409
    assert client.get("/ack/ZZZZZZZZ").status_code == 404


def test_reading_a_rota_with_phone_numbers_is_audited_first() -> None:
    h = Harness.create(now=T0)
    client = h.client()
    assert client.put("/rotas/team-vast", json=ROTA, headers=as_role("ops")).status_code == 200
    got = client.get("/rotas/team-vast", headers=as_role("ops"))
    assert got.json()["shifts"][0]["responders"][0]["phone"] == "+46700000001"
    trail = client.get("/audit", params={"subject": "rota:team-vast"}, headers=as_role("ops")).json()
    assert [r["action"] for r in trail] == ["read_rota", "replace_rota"]
    bad = client.put("/rotas/x", json={"shifts": [{**ROTA["shifts"][0], "minutes": 0}]}, headers=as_role("ops"))
    assert bad.status_code == 422
    assert "+4670" not in bad.text


async def test_the_local_provider_shows_what_would_have_been_sent_to_ops_only() -> None:
    from fastapi.testclient import TestClient
    from notification_support import FixedClock, MemoryGuard

    from notification.bootstrap import bootstrap, memory_backend
    from notification.main import http_app

    clock = FixedClock(T0)
    n = bootstrap(make_settings(), backend=memory_backend(clock), clock=clock, guard_factory=lambda g: MemoryGuard())
    await n.deps.rotas.put(
        Rota(
            "default", (Shift(T0 - timedelta(hours=1), T0 + timedelta(hours=1), (Responder("anna", "+46700000001"),)),)
        )
    )
    await al.raise_alert(n.deps, "missed:v9", AlertTopic.VISIT_MISSED, AlertFacts())
    await dispatch_due(n.deps)
    client = TestClient(http_app(n, lifespan_enabled=False))
    shown = client.get("/ops/local-sms", headers=as_role("ops")).json()
    assert [s["to"] for s in shown] == ["+46700000001"]
    assert "LARM" in shown[0]["text"]
    assert client.get("/ops/local-sms", headers=as_role("oncall")).status_code == 403
    assert [r.action for r in await n.deps.audit.recent(10)] == ["read_local_sms"]


async def elks_harness() -> tuple[Harness, str]:
    h = Harness.create(now=T0, settings=make_settings(provider="46elks"))
    await raised(h)
    await dispatch_due(h.deps)
    [message] = await h.deps.message_queries.for_case("c1", 1)
    return h, message.message_id


async def test_a_46elks_delivery_report_at_our_signed_url_moves_the_status_and_others_are_refused() -> None:
    h, mid = await elks_harness()
    client = h.client()
    provider_id = (await h.deps.message_queries.get(mid)).provider_id
    sig = CallbackSigner(LOCAL_DEV_CALLBACK_SECRET.encode()).sign(mid)
    form = {"id": provider_id, "status": "delivered", "delivered": "2026-11-23T09:00:03Z"}

    unsigned = client.post("/callbacks/46elks/delivery", params={"message_id": mid}, data=form)
    assert unsigned.status_code == 401
    forged = client.post("/callbacks/46elks/delivery", params={"message_id": mid, "sig": "x" * 32}, data=form)
    assert forged.status_code == 401
    other = client.post(
        "/callbacks/46elks/delivery", params={"message_id": mid, "sig": sig}, data={**form, "id": "s-someone-else"}
    )
    assert other.status_code == 404
    ok = client.post("/callbacks/46elks/delivery", params={"message_id": mid, "sig": sig}, data=form)
    assert ok.status_code == 200
    assert ok.json() == {"result": "applied"}
    assert (await h.deps.message_queries.get(mid)).state is MessageState.DELIVERED
    again = client.post("/callbacks/46elks/delivery", params={"message_id": mid, "sig": sig}, data=form)
    assert again.json() == {"result": "ignored"}


async def test_a_twilio_status_callback_needs_a_valid_signature() -> None:
    h = Harness.create(now=T0, settings=make_settings(provider="twilio", twilio={"auth_token": "tok" * 8}))
    await raised(h)
    await dispatch_due(h.deps)
    [message] = await h.deps.message_queries.for_case("c1", 1)
    client = h.client()
    url = f"http://127.0.0.1:8003/callbacks/twilio/status?message_id={message.message_id}"
    form = {"MessageSid": message.provider_id, "MessageStatus": "undelivered"}
    bad = client.post(url, data=form, headers={"X-Twilio-Signature": "AAAA"})
    assert bad.status_code == 401
    good = client.post(url, data=form, headers={"X-Twilio-Signature": twilio_signature("tok" * 8, url, form)})
    assert good.status_code == 200
    assert (await h.deps.message_queries.get(message.message_id)).state is MessageState.FAILED


async def test_a_reply_through_46elks_with_the_code_acknowledges() -> None:
    h, _ = await elks_harness()
    code = (await h.deps.alerts.load("missed:v1")).state.ack_code
    sig = CallbackSigner(LOCAL_DEV_CALLBACK_SECRET.encode()).sign("inbound")
    client = h.client()
    assert client.post("/callbacks/46elks/inbound", data={"from": "+46700000001", "message": code}).status_code == 401
    r = client.post(
        "/callbacks/46elks/inbound",
        params={"for": "inbound", "sig": sig},
        data={"from": "+46700000001", "to": "+46766861069", "message": f"OK {code}"},
    )
    assert r.status_code == 204
    assert r.content == b""
    assert (await h.deps.alerts.load("missed:v1")).state.channel.value == "reply"
