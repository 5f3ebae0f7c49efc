"""The HTTP API on in-memory adapters: roles, problem+json, the field API, audited reads, sick calls."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from scheduling_support import TEAM_BODY, ApiHarness

from scheduling.domain import events as ev

CASE = "http-case-1"


def harness_with_plan() -> ApiHarness:
    return ApiHarness.with_plan(CASE, length=7, person_ref="p_http", decision_id="d-http")


def plan(h: ApiHarness, role: str = "team") -> dict[str, Any]:
    return h.read(f"/cases/{CASE}/plan", role)


def test_without_a_token_the_api_answers_401_and_with_the_wrong_role_403_as_problem_json() -> None:
    h = ApiHarness()
    anonymous = h.client.get("/teams")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"
    assert anonymous.headers["www-authenticate"] == "Bearer"
    forbidden = h.client.put("/teams/x", json={}, headers=h.as_role("team"))
    assert forbidden.status_code == 403
    assert forbidden.json()["title"] == "Forbidden"


def test_ops_configures_a_team_and_keeps_recorded_absences() -> None:
    h = ApiHarness()
    body = {**TEAM_BODY, "members": [{"staff_id": "t-us1"}, {"staff_id": "t-us2"}]}
    created = h.client.put("/teams/test-team", json=body, headers=h.as_role("ops"))
    assert created.status_code == 200, created.text
    assert created.json()["hours"] == [{"weekday": "monday", "start": "07:00", "end": "16:00"}]
    absence = h.client.post(
        "/teams/test-team/absences",
        json={"staff_id": "t-us1", "first_day": "2026-12-01", "last_day": "2026-12-03"},
        headers=h.as_role("ops"),  # the new team is in no team token's `teams` yet
    )
    assert absence.status_code == 201
    again = h.client.put(
        "/teams/test-team",
        json={**body, "clients_per_day": 4, "hemtjanst_phone": "+46858512345"},
        headers=h.as_role("ops"),
    )
    member = next(m for m in again.json()["members"] if m["staff_id"] == "t-us1")
    assert member["absences"] == [{"first_day": "2026-12-01", "last_day": "2026-12-03", "kind": "leave"}]
    assert again.json()["version"] == 2
    assert (created.json()["hemtjanst_phone"], again.json()["hemtjanst_phone"]) == (None, "+46858512345")
    configured = [e for e in h.team_events("test-team") if isinstance(e, ev.TeamConfigured)]
    assert configured[-1].hemtjanst_phone == "+46858512345"  # notification tells relatives at the handover


def test_a_working_day_that_ends_before_it_starts_is_refused_with_field_errors() -> None:
    h = ApiHarness()
    response = h.client.put(
        "/teams/bad",
        headers=h.as_role("ops"),
        json={
            "name": "X",
            "phone": "+46701740610",
            "municipality_profile": "x",
            "works_on_holidays": False,
            "hours": [{"weekday": "monday", "start": "16:00", "end": "07:00"}],
            "clients_per_day": 1,
            "new_clients_per_month": 1,
        },
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "hours.0"


def test_the_field_completes_a_visit_and_the_plan_read_is_audited() -> None:
    h = harness_with_plan()
    visit = next(v for v in plan(h)["visits"] if v["kind"] == "homecoming")
    start = datetime.fromisoformat(visit["planned_start"])
    done = h.client.post(
        f"/cases/{CASE}/visits/{visit['visit_id']}/complete",
        headers=h.as_role("team"),
        json={
            "started_at": start.isoformat(),
            "ended_at": (start + timedelta(minutes=52)).isoformat(),
            "notes": {"food": "some_help", "worry": 3, "free_text": "Oroad inför natten."},
        },
    )
    assert done.status_code == 200, done.text
    assert done.json()["duration_minutes"] == 52
    after = plan(h, "officer")
    notes = next(v for v in after["visits"] if v["visit_id"] == visit["visit_id"])["notes"]
    assert notes["free_text"] == "Oroad inför natten."
    assert [r.action for r in h.audit.records] == ["read_plan", "read_plan"]
    assert h.audit.records[-1].actor == "officer:dev"
    assert "visit_notes" in h.audit.records[-1].fields
    completed = [e for e in h.events(CASE) if isinstance(e, ev.VisitCompleted)]
    assert completed[0].duration_minutes == 52


def test_cancelling_a_completed_visit_is_a_conflict() -> None:
    h = harness_with_plan()
    visit = next(v for v in plan(h)["visits"] if v["kind"] == "homecoming")
    h.client.post(f"/cases/{CASE}/visits/{visit['visit_id']}/start", json={}, headers=h.as_role("team"))
    h.client.post(f"/cases/{CASE}/visits/{visit['visit_id']}/complete", json={}, headers=h.as_role("team"))
    response = h.client.post(
        f"/cases/{CASE}/visits/{visit['visit_id']}/cancel", json={"reason": "declined"}, headers=h.as_role("team")
    )
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"


def test_rescheduling_outside_the_team_s_hours_is_a_conflict_and_inside_moves_the_visit() -> None:
    h = harness_with_plan()
    visit = next(v for v in plan(h)["visits"] if v["kind"] == "daily")
    day = date.fromisoformat(visit["day"])
    night = datetime(day.year, day.month, day.day, 22, tzinfo=UTC)
    assert (
        h.client.post(
            f"/cases/{CASE}/visits/{visit['visit_id']}/reschedule",
            json={"planned_start": night.isoformat()},
            headers=h.as_role("team"),
        ).status_code
        == 409
    )
    noon = datetime(day.year, day.month, day.day, 11, tzinfo=UTC)
    moved = h.client.post(
        f"/cases/{CASE}/visits/{visit['visit_id']}/reschedule",
        json={"planned_start": noon.isoformat()},
        headers=h.as_role("team"),
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["planned_start"] == "2026-11-26T11:00:00Z"
    assert any(isinstance(e, ev.VisitRescheduled) for e in h.events(CASE))


def test_a_sick_call_re_staffs_the_member_s_visits_and_says_how_long_it_took() -> None:
    h = harness_with_plan()
    visit = next(v for v in plan(h)["visits"] if v["kind"] == "daily")
    response = h.client.post(
        "/teams/team-vast/sick-calls",
        json={"staff_id": visit["staff_id"], "day": visit["day"]},
        headers=h.as_role("team"),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["reassigned"], body["unstaffed"]) == (1, 0)
    assert body["elapsed_ms"] >= 0
    after = next(v for v in plan(h)["visits"] if v["visit_id"] == visit["visit_id"])
    assert after["staff_id"] not in (None, visit["staff_id"])
    assert any(isinstance(e, ev.DayReplanned) for e in h.team_events("team-vast"))


def test_the_day_s_visits_of_a_member_are_listed_in_time_order_and_the_read_is_audited() -> None:
    h = harness_with_plan()
    visit = next(v for v in plan(h)["visits"] if v["kind"] == "daily")
    listed = h.client.get(
        "/visits", params={"day": visit["day"], "staff_id": visit["staff_id"]}, headers=h.as_role("team")
    )
    assert listed.status_code == 200
    assert [v["visit_id"] for v in listed.json()] == [visit["visit_id"]]
    assert h.audit.records[-1].action == "read_day_visits"
    unknown = h.client.get("/visits", params={"day": visit["day"], "staf_id": "x"}, headers=h.as_role("team"))
    assert unknown.status_code == 422


# --- team tokens act only for their teams ------------------------------------------------------------

HOFORS = {"Authorization": "Bearer dev-team-hofors"}  # a team token whose `teams` claim is ["hofors"]


def test_a_team_token_is_refused_on_another_teams_absences_sick_calls_and_day() -> None:
    h = ApiHarness()
    absence = {"staff_id": "stockholm-us1", "first_day": "2026-12-01", "last_day": "2026-12-03"}

    refused = [
        h.client.post("/teams/team-vast/absences", json=absence, headers=HOFORS),
        h.client.post("/teams/team-vast/sick-calls", json={"staff_id": "stockholm-us1"}, headers=HOFORS),
        h.client.get("/teams/team-vast/waiting-list", headers=HOFORS),
        h.client.get("/teams/team-vast/capacity", headers=HOFORS),
        h.client.get("/visits?team_id=team-vast", headers=HOFORS),
    ]

    assert [r.status_code for r in refused] == [403] * len(refused)
    assert refused[0].headers["content-type"] == "application/problem+json"
    team = h.client.get("/teams/team-vast", headers=h.as_role("ops")).json()
    assert all(m["absences"] == [] for m in team["members"])
    own = {"staff_id": "hofors-us1", "first_day": "2026-12-01", "last_day": "2026-12-03"}
    assert h.client.post("/teams/hofors/absences", json=own, headers=HOFORS).status_code == 201
    assert h.client.get("/visits?team_id=hofors", headers=HOFORS).status_code == 200
    # ops and the demo's team token keep their reach
    assert h.client.post("/teams/team-vast/absences", json=absence, headers=h.as_role("ops")).status_code == 201
    assert h.client.get("/teams/team-vast/capacity", headers=h.as_role("team")).status_code == 200


def test_a_team_token_is_refused_on_another_teams_case_plan_and_visits() -> None:
    h = harness_with_plan()  # planned for Team Väst
    visit = next(v for v in plan(h)["visits"] if v["kind"] == "homecoming")
    audited = len(h.audit.records)

    read = h.client.get(f"/cases/{CASE}/plan", headers=HOFORS)
    start = h.client.post(
        f"/cases/{CASE}/visits/{visit['visit_id']}/start", json={"started_at": visit["planned_start"]}, headers=HOFORS
    )
    cancel = h.client.post(
        f"/cases/{CASE}/visits/{visit['visit_id']}/cancel", json={"reason": "declined"}, headers=HOFORS
    )
    home = h.client.put(f"/cases/{CASE}/home-location", json={"lat": 59.3, "lon": 18.0}, headers=HOFORS)

    assert [r.status_code for r in (read, start, cancel, home)] == [403, 403, 403, 403]
    assert len(h.audit.records) == audited  # a refused read reads nothing
    assert next(v for v in plan(h)["visits"] if v["visit_id"] == visit["visit_id"])["status"] == "scheduled"
    assert plan(h, "officer")["case_id"] == CASE  # officers and on-call: municipality-wide
    assert plan(h, "oncall")["case_id"] == CASE
