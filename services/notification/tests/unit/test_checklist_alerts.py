"""The homecoming checklist's alert: scheduling's overdue event tells the team lead in the team's hours
(on-call staff after, and out of hours only them), once; ticking the last item closes it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

from faststream.kafka import TestKafkaBroker
from notification_support import Harness, as_role, of_visit, publish, record

from notification.domain.alert import AlertRaised, AlertResolved, AlertState, Responder, Rota, Shift
from notification.domain.contacts import DayHours, TeamContact
from notification.domain.ids import checklist_alert_id
from notification.domain.templates import AlertTopic
from notification.service_layer import alerts as al
from notification.service_layer import relatives as rel
from notification.service_layer.checklist_alerts import checklist_open
from notification.service_layer.dispatch import dispatch_due
from trygg_shared.contracts import scheduling as s
from trygg_shared.contracts.topics import SCHEDULING_PERIOD_EVENTS

MONDAY_10 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Stockholm, a Monday
MONDAY_20 = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)  # 20:00: after the team's day
LEAD = Responder("lead-karin", "+46700000010")
ONCALL = Responder("oncall-bo", "+46700000011")
HOMECOMING = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)


def overdue(case_id: str) -> s.HomecomingChecklistOverdue:
    item = s.ChecklistItemState(item_id="keys", label="Keys or digital lock arranged", done=False)
    return s.HomecomingChecklistOverdue(
        **of_visit(case_id),
        homecoming_at=HOMECOMING,
        deadline=HOMECOMING - timedelta(hours=24),
        open_items=(item,),
        items_total=5,
        detected_at=MONDAY_10,
    )


def completed(case_id: str) -> s.HomecomingChecklistChanged:
    item = s.ChecklistItemState(item_id="keys", label="Keys", done=True, done_by="us1", done_at=MONDAY_10)
    return s.HomecomingChecklistChanged(
        case_id=case_id,
        person_ref="p_1",
        period_id="per1",
        team_id="team-vast",
        change=s.ChecklistChangeKind.TICKED,
        item_id="keys",
        changed_by="us1",
        items=(item,),
        complete=True,
        alert_hours=24,
        changed_at=MONDAY_10,
    )


async def team_with_lead(h: Harness) -> None:
    weekdays = tuple(DayHours(d, time(8), time(16, 30)) for d in range(5))
    await rel.configure_team(h.deps, TeamContact("team-vast", "Team Väst", "+46701740608", weekdays), 1)
    shift = Shift(MONDAY_10 - timedelta(days=1), MONDAY_10 + timedelta(days=2), (ONCALL,))
    await h.deps.rotas.put(Rota("team-vast", (shift,), team_lead=LEAD))


async def test_in_the_teams_hours_the_lead_is_told_first_then_on_call_and_the_sms_names_nobody() -> None:
    h = Harness.create(now=MONDAY_10)
    await team_with_lead(h)
    case_id = str(uuid.uuid4())
    broker = h.notification.runtime.infra.broker
    event = overdue(case_id)
    async with TestKafkaBroker(broker):
        await publish(broker, event.TOPIC, record(event))
        await publish(broker, event.TOPIC, record(event))  # redelivered
        await publish(broker, event.TOPIC, record(event))  # replayed under a new event id
    (raised,) = h.events_of(AlertRaised)
    assert (raised.topic, raised.responders, raised.rota) == (AlertTopic.HOMECOMING_CHECKLIST_OPEN, 2, "team-vast")
    await dispatch_due(h.deps)
    assert [m.to for m in h.provider.sent] == [LEAD.phone]
    text = h.provider.sent[0].text
    assert "Checklistan inför hemkomsten är inte klar, hembesök tisdag 24 nov kl. 14:00" in text
    assert case_id[:8] in text
    assert "Team Väst" in text
    assert "p_1" not in text
    assert "Keys" not in text
    h.clock.advance(minutes=16)
    assert await al.escalate_due(h.deps) == 1
    await dispatch_due(h.deps)
    assert [m.to for m in h.provider.sent] == [LEAD.phone, ONCALL.phone]


async def test_out_of_hours_the_alert_goes_to_on_call_only() -> None:
    h = Harness.create(now=MONDAY_20)
    await team_with_lead(h)
    case_id = str(uuid.uuid4())
    assert await checklist_open(h.deps, case_id, "per1", "team-vast", HOMECOMING)
    await dispatch_due(h.deps)
    assert [m.to for m in h.provider.sent] == [ONCALL.phone]


async def test_ticking_the_last_item_closes_the_alert_and_its_queued_sms() -> None:
    h = Harness.create(now=MONDAY_10)
    await team_with_lead(h)
    case_id = str(uuid.uuid4())
    broker = h.notification.runtime.infra.broker
    async with TestKafkaBroker(broker):
        await publish(broker, SCHEDULING_PERIOD_EVENTS, record(overdue(case_id)))
        await publish(broker, SCHEDULING_PERIOD_EVENTS, record(completed(case_id)))
    (resolved,) = h.events_of(AlertResolved)
    assert resolved.reason == "checklist_completed"
    loaded = await h.deps.alerts.load(checklist_alert_id(case_id, "per1"))
    assert loaded is not None
    assert loaded.state.state is AlertState.RESOLVED
    await dispatch_due(h.deps)
    assert h.provider.sent == []


def test_the_rota_api_keeps_the_team_lead() -> None:
    h = Harness.create(now=MONDAY_10)
    body = {
        "shifts": [
            {
                "starts_at": "2026-11-23T07:00:00+01:00",
                "minutes": 600,
                "responders": [{"responder_id": "bo", "phone": ONCALL.phone}],
            }
        ],
        "team_lead": {"responder_id": LEAD.responder_id, "phone": LEAD.phone},
    }
    client = h.client()
    assert client.put("/rotas/team-vast", json=body, headers=as_role("ops")).status_code == 200
    got = client.get("/rotas/team-vast", headers=as_role("ops")).json()
    assert got["team_lead"] == body["team_lead"]


async def test_in_hours_without_a_team_lead_on_the_rota_on_call_staff_are_told_as_for_every_alert() -> None:
    h = Harness.create(now=MONDAY_10)
    await team_with_lead(h)
    rota = await h.deps.rotas.get("team-vast")
    assert rota is not None
    await h.deps.rotas.put(Rota("team-vast", rota.shifts))  # no team lead
    assert await checklist_open(h.deps, str(uuid.uuid4()), "per1", "team-vast", HOMECOMING)
    (raised,) = h.events_of(AlertRaised)
    assert (raised.responders, raised.rota) == (1, "team-vast")
    await dispatch_due(h.deps)
    assert [m.to for m in h.provider.sent] == [ONCALL.phone]
