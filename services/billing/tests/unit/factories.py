"""Builders of domain facts for the billing tests (plain values, random ids)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from billing.domain.care import CareCase, CompletedVisit, DecisionTerms, DecisionType, TeamPeriod
from billing.domain.fees import TariffUsed
from billing.domain.tariffs import Tariff, seed_tariffs

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def hofors(year: int = 2024) -> TariffUsed:
    return TariffUsed("2104", year, 1, seed_tariffs()[f"2104:{year}"])


def used(tariff: Tariff, year: int = 2024) -> TariffUsed:
    return TariffUsed("9999", year, 1, tariff)


def new_id() -> str:
    return uuid.uuid4().hex[:8]


def case_with(
    *decisions: tuple[DecisionType, date, date], person_ref: str = "p1", case_id: str | None = None
) -> CareCase:
    case = CareCase(case_id or f"c-{new_id()}", person_ref)
    for kind, first, last in decisions:
        case.grant(DecisionTerms(f"d-{new_id()}", kind, first, last, T0))
    return case


def trygg_hemgang(first: date, last: date, **kwargs: str) -> CareCase:
    return case_with((DecisionType.TRYGG_HEMGANG, first, last), **kwargs)


def period_for(
    case: CareCase, first: date, last: date, ended_on: date | None = None, hours: float | None = None
) -> str:
    decision = next(iter(case.decisions))
    period_id = f"per-{new_id()}"
    case.record_period(TeamPeriod(period_id, decision, first, last, ended_on, hours, T0))
    return period_id


def visit(case: CareCase, period_id: str, day: date, minutes: int, kind: str = "daily") -> None:
    case.record_visit(CompletedVisit(f"v-{new_id()}", period_id, kind, day, minutes))
