"""A report names the cases it left out: a case the report cannot compute (dated in the year 378,
accepted before the edges bounded dates) is left out of the rows and totals, logged and counted,
and its pseudonymous id is in the response (`left_out`; the CSV's `Trygg-Left-Out-Cases` header)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any

from billing_support import ApiHarness
from prometheus_client import REGISTRY

from billing.domain.care import CareCase
from billing.domain.liability import CaseLiability, LiabilityPeriod, LiabilityRecord, MonthLiability, on_discharged
from billing.domain.money import Month

from .factories import period_for, trygg_hemgang


def _failures(batch: str) -> float:
    return REGISTRY.get_sample_value("trygg_batch_record_failures_total", {"batch": batch}) or 0.0


def _liability(case_id: str, ready: datetime, counted: tuple[MonthLiability, ...] = ()) -> LiabilityRecord:
    period = LiabilityPeriod(
        ready_at=ready, liability_starts_at=ready, agreement_id="a-1", agreement_version=1, daily_price_sek=9300
    )
    case = CaseLiability(case_id, f"p_{case_id}", (period,), municipality_code="2104", counted=counted)
    return LiabilityRecord(case)


def test_the_cost_report_names_the_case_it_left_out() -> None:
    api = ApiHarness()
    good = trygg_hemgang(date(2024, 3, 4), date(2024, 3, 8), person_ref="p_good")
    period_for(good, date(2024, 3, 4), date(2024, 3, 8))
    bad = trygg_hemgang(date(2024, 3, 4), date(2024, 3, 8), person_ref="p_bad")
    asyncio.run(api.deps.care.save(good.case_id, 0, good, []))
    listed = api.deps.care_queries.cases_for_month

    async def with_a_broken_case(month: Month) -> list[Any]:
        return [*await listed(month), Broken(bad)]

    api.deps.care_queries.cases_for_month = with_a_broken_case  # type: ignore[method-assign]
    before = _failures("cost_report")

    answer = api.client.get("/reports/cost", params={"month": "2024-03"}, headers=api.as_role("ops"))

    assert answer.status_code == 200, answer.text
    assert [p["case_id"] for p in answer.json()["periods"]] == [good.case_id]
    assert answer.json()["left_out"] == [bad.case_id]
    assert _failures("cost_report") == before + 1
    csv = api.client.get("/reports/cost.csv", params={"month": "2024-03"}, headers=api.as_role("ops"))
    assert csv.status_code == 200
    assert csv.headers["Trygg-Left-Out-Cases"] == bad.case_id
    assert bad.case_id not in csv.text


class Broken:
    """A stored case that breaks a rule nobody foresaw: reading its region raises."""

    def __init__(self, case: CareCase) -> None:
        self.case_id, self.person_ref, self.periods = case.case_id, case.person_ref, case.periods

    @property
    def municipality_code(self) -> str:
        raise ValueError("not a month: 378-4")


def test_the_liability_report_names_the_case_it_left_out() -> None:
    api = ApiHarness()
    # The days are referral's count; the broken case was discharged home in time in the year 378.
    good = _liability(
        "case-good", datetime(2024, 3, 4, 9, tzinfo=UTC), (MonthLiability(Month(2024, 3), 28, 28 * 930_000),)
    )
    bad = _liability("case-bad", datetime(378, 4, 1, 9, tzinfo=UTC))
    bad.case = on_discharged(bad.case, datetime(378, 4, 1, 9, tzinfo=UTC), 0, None)
    for one in (good, bad):
        asyncio.run(api.deps.liabilities.save(one.case.case_id, 0, one, []))

    answer = api.client.get("/reports/liability", params={"month": "2024-03"}, headers=api.as_role("ops"))

    assert answer.status_code == 200, answer.text
    assert [c["case_id"] for c in answer.json()["cases"]] == ["case-good"]
    assert answer.json()["left_out"] == ["case-bad"]
    csv = api.client.get("/reports/liability.csv", params={"month": "2024-03"}, headers=api.as_role("ops"))
    assert csv.headers["Trygg-Left-Out-Cases"] == "case-bad"


def test_a_report_with_nothing_left_out_says_so() -> None:
    api = ApiHarness()
    answer = api.client.get("/reports/cost", params={"month": "2024-03"}, headers=api.as_role("ops"))
    assert answer.json()["left_out"] == []
    csv = api.client.get("/reports/cost.csv", params={"month": "2024-03"}, headers=api.as_role("ops"))
    assert "Trygg-Left-Out-Cases" not in csv.headers
