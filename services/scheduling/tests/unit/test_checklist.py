"""The homecoming checklist: the aggregate's rules, its deadline before the homecoming visit, the field API."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from scheduling_support import ApiHarness, Harness, seeded
from scheduling_support import grant_command as grant

from scheduling.domain.checklist import (
    DEFAULT_ITEMS,
    Checklist,
    ChecklistChange,
    ChecklistChanged,
    ChecklistError,
    ChecklistItemNotFound,
    ChecklistItemSpec,
    ChecklistOverdue,
    ChecklistTemplate,
)
from scheduling.service_layer import checklist as cuc
from scheduling.service_layer import field as fuc
from scheduling.service_layer import planning as uc
from scheduling.service_layer.ports import Actor
from scheduling.service_layer.teams import configure_team

T0 = datetime(2026, 11, 23, 9, tzinfo=UTC)
DISCHARGE = datetime(2026, 11, 25, 10, tzinfo=UTC)
HOMECOMING = DISCHARGE + timedelta(hours=1)  # an hour after the discharge (Team Väst's rules)
DEADLINE = HOMECOMING - timedelta(hours=24)
MEMBER = Actor(subject="team:stockholm-us1", roles=frozenset({"team"}))


def new_id() -> str:
    return uuid.uuid4().hex[:12]


# --- the aggregate ------------------------------------------------------------------------------


def test_a_tick_records_who_and_when_an_untick_clears_it_and_a_repeat_changes_nothing() -> None:
    c = Checklist.open(ChecklistTemplate(), "period-1", T0)
    assert [i.item_id for i in c.items] == ["aids", "medication_list", "safety_alarm", "keys", "sip"]
    assert not c.complete
    assert c.mark("aids", True, "us1", T0 + timedelta(minutes=5))
    assert not c.mark("aids", True, "us2", T0 + timedelta(minutes=6))  # the phone sent it twice
    aids = c.item("aids")
    assert (aids.done, aids.done_by, aids.done_at) == (True, "us1", T0 + timedelta(minutes=5))
    assert c.mark("aids", False, "us2", T0 + timedelta(minutes=7))
    assert (aids.done, aids.done_by, aids.done_at) == (False, None, None)
    assert [(m.item_id, m.done, m.by) for m in c.marks] == [("aids", True, "us1"), ("aids", False, "us2")]
    with pytest.raises(ChecklistItemNotFound):
        c.mark("parking", True, "us1", T0)
    for item in DEFAULT_ITEMS:
        c.mark(item.item_id, True, "us1", T0)
    assert c.complete
    assert c.open_items() == []


def test_the_alert_is_due_at_the_deadline_or_halfway_to_the_visit_when_planned_after_it() -> None:
    c = Checklist.open(ChecklistTemplate(alert_hours=24), "period-1", T0)
    visit = T0 + timedelta(hours=48)
    assert c.due(visit, T0) == visit - timedelta(hours=24)
    late_visit = T0 + timedelta(hours=10)  # planned 10 h before the visit: 5 h for the team to tick
    assert c.due(late_visit, T0) == T0 + timedelta(hours=5)
    assert c.due(T0, T0) is None  # the visit is due to begin
    c.alerted_at = T0
    assert c.due(visit, T0) is None  # once per checklist
    done = Checklist.open(ChecklistTemplate((ChecklistItemSpec("aids", "Aids"),)), "p", T0)
    done.mark("aids", True, "us1", T0)
    assert done.due(visit, T0) is None


def test_a_team_list_with_two_items_of_one_id_is_refused() -> None:
    with pytest.raises(ChecklistError, match="same id"):
        ChecklistTemplate((ChecklistItemSpec("aids", "A"), ChecklistItemSpec("aids", "B")))


# --- with the plan: opened at planning, the deadline follows the homecoming ---------------------


async def _planned(h: Harness) -> str:
    case_id = new_id()
    await uc.record_ready(h.deps, case_id, f"p_{case_id}", T0, DISCHARGE)
    await uc.grant_decision(h.deps, grant(case_id))
    return case_id


def _overdue(h: Harness, case_id: str) -> list[ChecklistOverdue]:
    return [e for e in h.events(case_id) if isinstance(e, ChecklistOverdue)]


async def test_planning_opens_the_teams_checklist_and_an_open_item_alerts_once_at_the_deadline() -> None:
    h = await seeded(T0)
    case_id = await _planned(h)
    (opened,) = [e for e in h.events(case_id) if isinstance(e, ChecklistChanged)]
    assert opened.change == ChecklistChange.OPENED
    assert not opened.complete
    assert len(opened.items) == 5
    view = await cuc.read_checklist(h.deps, case_id)
    assert view.homecoming is not None
    assert view.homecoming.planned_start == HOMECOMING
    assert view.deadline == DEADLINE
    assert view.alert_due_at == DEADLINE
    await cuc.mark_item(h.deps, MEMBER, case_id, "aids", True)

    h.clock.moment = DEADLINE - timedelta(seconds=1)
    await uc.fire_timers(h.deps, case_id)
    assert _overdue(h, case_id) == []
    h.clock.moment = DEADLINE
    await uc.fire_timers(h.deps, case_id)
    await uc.fire_timers(h.deps, case_id)  # a second replica, or a retry: nothing left to fire
    (overdue,) = _overdue(h, case_id)
    assert overdue.homecoming_at == HOMECOMING
    assert overdue.deadline == DEADLINE
    assert overdue.items_total == 5
    assert [i.item_id for i in overdue.open_items] == ["medication_list", "safety_alarm", "keys", "sip"]
    # Unticked and ticked again after the alert: it was raised once for this checklist.
    await cuc.mark_item(h.deps, MEMBER, case_id, "aids", False)
    h.clock.advance(hours=1)
    await uc.fire_timers(h.deps, case_id)
    assert len(_overdue(h, case_id)) == 1
    assert (await cuc.read_checklist(h.deps, case_id)).alert_due_at is None


async def test_moving_the_homecoming_moves_the_deadline() -> None:
    h = await seeded(T0)
    case_id = await _planned(h)
    later = DISCHARGE + timedelta(days=1)
    await uc.record_ready(h.deps, case_id, f"p_{case_id}", T0, later)  # the discharge was put off a day
    view = await cuc.read_checklist(h.deps, case_id)
    assert view.homecoming is not None
    assert view.homecoming.planned_start == later + timedelta(hours=1)
    assert view.alert_due_at == DEADLINE + timedelta(days=1)
    h.clock.moment = DEADLINE
    await uc.fire_timers(h.deps, case_id)
    assert _overdue(h, case_id) == []
    h.clock.moment = DEADLINE + timedelta(days=1)
    await uc.fire_timers(h.deps, case_id)
    assert len(_overdue(h, case_id)) == 1


async def test_ticking_the_last_item_before_the_deadline_cancels_the_alert_and_an_untick_arms_it_again() -> None:
    h = await seeded(T0)
    case_id = await _planned(h)
    for item in DEFAULT_ITEMS:
        view = await cuc.mark_item(h.deps, MEMBER, case_id, item.item_id, True)
    assert view.checklist.complete
    assert view.alert_due_at is None
    last = [e for e in h.events(case_id) if isinstance(e, ChecklistChanged)][-1]
    assert last.change == ChecklistChange.TICKED
    assert last.complete
    assert last.changed_by == "stockholm-us1"
    h.clock.moment = DEADLINE + timedelta(hours=1)
    await uc.fire_timers(h.deps, case_id)
    assert _overdue(h, case_id) == []
    # Unticked after the deadline: half the time left to the visit, then the alert.
    view = await cuc.mark_item(h.deps, MEMBER, case_id, "keys", False)
    assert view.alert_due_at == h.clock.now() + (HOMECOMING - h.clock.now()) / 2
    h.clock.moment = view.alert_due_at
    await uc.fire_timers(h.deps, case_id)
    assert [i.item_id for i in _overdue(h, case_id)[0].open_items] == ["keys"]


async def test_the_homecoming_begun_or_cancelled_disarms_the_alert() -> None:
    h = await seeded(T0)
    case_id = await _planned(h)
    view = await cuc.read_checklist(h.deps, case_id)
    assert view.homecoming is not None
    h.clock.moment = DEADLINE - timedelta(hours=1)
    await fuc.start_visit(h.deps, MEMBER, case_id, view.homecoming.visit_id, None)
    assert (await cuc.read_checklist(h.deps, case_id)).alert_due_at is None
    h.clock.moment = DEADLINE
    await uc.fire_timers(h.deps, case_id)
    assert _overdue(h, case_id) == []


async def test_a_teams_new_list_applies_to_cases_planned_afterwards_not_to_those_started() -> None:
    h = await seeded(T0)
    before = await _planned(h)
    await cuc.mark_item(h.deps, MEMBER, before, "aids", True)
    team = await h.deps.teams.load("team-vast")
    assert team is not None
    template = ChecklistTemplate((ChecklistItemSpec("aids", "Aids in place"), ChecklistItemSpec("pets", "Pets")), 48)
    await configure_team(h.deps, "team-vast", dataclasses.replace(team.state.config, checklist=template))
    after = await _planned(h)
    old, new = await cuc.read_checklist(h.deps, before), await cuc.read_checklist(h.deps, after)
    assert [i.item_id for i in old.checklist.items] == [i.item_id for i in DEFAULT_ITEMS]
    assert old.checklist.item("aids").done
    assert old.checklist.alert_hours == 24
    assert [i.item_id for i in new.checklist.items] == ["aids", "pets"]
    assert new.checklist.alert_hours == 48
    assert new.alert_due_at == HOMECOMING - timedelta(hours=48)  # 2026-11-23 11:00, two hours after planning


# --- the field API --------------------------------------------------------------------------------


def test_the_field_api_ticks_and_unticks_with_who_and_when_and_reads_the_checklist() -> None:
    h = ApiHarness(T0)
    case_id = "c-api"
    asyncio.run(uc.record_ready(h.deps, case_id, "p_api", T0, DISCHARGE))
    asyncio.run(uc.grant_decision(h.deps, grant(case_id)))
    got = h.client.get(f"/cases/{case_id}/checklist", headers=h.as_role("officer"))
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["complete"] is False
    assert body["alert_hours"] == 24
    assert body["deadline"] == DEADLINE.isoformat().replace("+00:00", "Z")
    url = f"/cases/{case_id}/checklist/items/safety_alarm"
    ticked = h.client.put(url, json={"done": True}, headers=h.as_role("team"))
    assert ticked.status_code == 200, ticked.text
    item = next(i for i in ticked.json()["items"] if i["item_id"] == "safety_alarm")
    assert item["done"]
    assert item["done_by"] == "dev"
    assert item["done_at"] is not None
    unticked = h.client.put(url, json={"done": False}, headers=h.as_role("team")).json()
    assert [(m["item_id"], m["done"]) for m in unticked["marks"]] == [("safety_alarm", True), ("safety_alarm", False)]
    assert h.client.put(url, json={"done": True}, headers=h.as_role("officer")).status_code == 403
    assert h.client.put(url, json={"done": "yes"}, headers=h.as_role("team")).status_code == 422
    unknown = h.client.put(f"/cases/{case_id}/checklist/items/parking", json={"done": True}, headers=h.as_role("team"))
    assert unknown.status_code == 404
    assert h.client.get("/cases/nobody/checklist", headers=h.as_role("team")).status_code == 404
    other_team = {"Authorization": "Bearer dev-team-hofors"}  # acts for Hofors only; the case is Team Väst's
    assert h.client.put(url, json={"done": True}, headers=other_team).status_code == 403
    assert h.client.get(f"/cases/{case_id}/checklist", headers=other_team).status_code == 403


def test_a_team_configures_its_checklist_through_the_teams_api() -> None:
    h = ApiHarness(T0)
    team = h.client.get("/teams/hofors", headers=h.as_role("ops")).json()
    assert [i["item_id"] for i in team["checklist"]["items"]] == [i.item_id for i in DEFAULT_ITEMS]
    body = {k: v for k, v in team.items() if k not in ("team_id", "version", "waiting_count")}
    for member in body["members"]:
        member.pop("absences")
    body["checklist"] = {"items": [{"item_id": "aids", "label": "Hjälpmedel på plats"}], "alert_hours": 36}
    put = h.client.put("/teams/hofors", json=body, headers=h.as_role("ops"))
    assert put.status_code == 200, put.text
    assert put.json()["checklist"] == body["checklist"]
    body["checklist"]["items"] *= 2
    assert h.client.put("/teams/hofors", json=body, headers=h.as_role("ops")).status_code == 422
