"""`GET /cases/{case_id}/cover-order`: each hemtjänst window with its real reason, the team's hours, the
handover; who may read it; the read is audited."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from scheduling_support import ApiHarness

from scheduling.adapters.codec import CasePlanCodec

CASE = "cover-case-1"


def _harness(**grant: Any) -> ApiHarness:
    return ApiHarness.with_plan(CASE, person_ref="p_cover", decision_id="d-cover", **grant)


def _order(h: ApiHarness, role: str = "team") -> dict[str, Any]:
    return h.read(f"/cases/{CASE}/cover-order", role)


def test_the_cover_order_shows_each_window_with_why_and_the_teams_hours() -> None:
    h = _harness()  # Team Väst, weekdays 08:00-16:30; from Wednesday 25 November 2026 for 14 days
    order = _order(h)
    assert order["team_id"] == "team-vast"
    assert order["team_hours"][0] == {"weekday": "monday", "start": "08:00", "end": "16:30"}
    assert [d["weekday"] for d in order["team_hours"]] == ["monday", "tuesday", "wednesday", "thursday", "friday"]
    assert order["team_works_holidays"] is False
    first = order["windows"][:5]  # from the first day's midnight: the discharge time is not known
    assert [(w["start"], w["end"], w["cause"], w["reason"]) for w in first] == [
        ("2026-11-24T23:00:00Z", "2026-11-25T06:00:00Z", "night", "outside_team_hours"),
        ("2026-11-25T06:00:00Z", "2026-11-25T07:00:00Z", "morning", "outside_team_hours"),
        ("2026-11-25T15:30:00Z", "2026-11-25T21:00:00Z", "evening", "outside_team_hours"),
        ("2026-11-25T21:00:00Z", "2026-11-26T06:00:00Z", "night", "outside_team_hours"),
        ("2026-11-26T06:00:00Z", "2026-11-26T07:00:00Z", "morning", "outside_team_hours"),
    ]
    weekend = [w for w in order["windows"] if w["cause"] == "weekend"]
    assert (weekend[0]["start"], weekend[0]["end"]) == ("2026-11-27T23:00:00Z", "2026-11-29T23:00:00Z")
    assert all(w["holiday"] is None for w in order["windows"])
    assert order["handover"]["status"] == "scheduled"
    assert order["handover"]["planned_start"] is not None
    assert order["handover"]["handed_over_at"] is None
    assert order["handover"]["needs"]["food"] == "not_assessed"


def test_christmas_windows_carry_the_holidays_swedish_names() -> None:
    h = _harness(start=date(2026, 12, 21), length=10)
    holidays = [(w["cause"], w["holiday"]) for w in _order(h)["windows"] if w["reason"] == "public_holiday"]
    assert holidays == [("holiday", "Julafton"), ("holiday", "Juldagen"), ("holiday", "Annandag jul")]


def test_the_read_is_audited_with_the_fields_shown() -> None:
    h = _harness()
    _order(h, "officer")
    record = h.audit.records[-1]
    assert (record.action, record.case_ids) == ("read_cover_order", (CASE,))
    assert "needs_summary" in record.fields


def test_the_team_of_the_case_the_officer_and_on_call_may_read_it_but_not_ops_nor_another_team() -> None:
    h = _harness()
    path = f"/cases/{CASE}/cover-order"
    statuses = {role: h.client.get(path, headers=h.as_role(role)).status_code for role in ("team", "officer", "oncall")}
    assert statuses == {"team": 200, "officer": 200, "oncall": 200}
    assert h.client.get(path, headers=h.as_role("ops")).status_code == 403
    other_team = h.client.get(path, headers={"Authorization": "Bearer dev-team-hofors"})
    assert other_team.status_code == 403
    assert other_team.headers["content-type"] == "application/problem+json"


def test_an_unknown_case_is_404_problem_json() -> None:
    h = ApiHarness()
    response = h.client.get("/cases/nobody/cover-order", headers=h.as_role("team"))
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_the_order_in_force_survives_the_plan_documents_round_trip() -> None:
    h = _harness()
    plan = asyncio.run(h.plan(CASE))
    codec = CasePlanCodec(h.clock)
    back = codec.from_document(codec.to_document(plan))
    assert back.cover_order == plan.cover_order
    assert back.cover_order is not None
    assert back.cover_order.windows[0].cause.value == "night"
