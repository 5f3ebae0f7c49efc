"""Properties of the fee rules: the cap always holds, and replaying the facts changes nothing."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from billing.domain.care import CareCase, CompletedVisit, DecisionTerms, DecisionType, TeamPeriod
from billing.domain.fees import CAPPED_KINDS, Statement, cap_for, compose_statement
from billing.domain.money import Month

from .factories import hofors

T0 = datetime(2024, 1, 1, tzinfo=UTC)
MONTHS = [Month(2024, m) for m in range(1, 8)]


@dataclass(frozen=True)
class Grant:
    case_id: str
    decision_id: str
    kind: DecisionType
    start: date
    length: int
    at: int


@dataclass(frozen=True)
class Change:
    case_id: str
    decision_id: str
    length: int
    at: int


@dataclass(frozen=True)
class Period:
    case_id: str
    decision_id: str
    period_id: str
    start: date
    length: int
    ended_after: int | None
    at: int


@dataclass(frozen=True)
class Visit:
    case_id: str
    period_id: str
    visit_id: str
    day: date
    minutes: int


Fact = Grant | Change | Period | Visit

days_2024 = st.integers(min_value=0, max_value=150).map(lambda n: date(2024, 1, 1) + timedelta(days=n))


@st.composite
def histories(draw: st.DrawFn) -> list[Fact]:
    facts: list[Fact] = []
    for c in range(draw(st.integers(1, 3))):
        case_id = f"c{c}"
        for d in range(draw(st.integers(1, 2))):
            decision_id = f"{case_id}d{d}"
            kind = draw(st.sampled_from([DecisionType.TRYGG_HEMGANG, DecisionType.SHORT_TERM_STAY]))
            start = draw(days_2024)
            facts.append(Grant(case_id, decision_id, kind, start, draw(st.integers(1, 40)), at=0))
            for at in range(1, draw(st.integers(0, 3)) + 1):
                facts.append(Change(case_id, decision_id, draw(st.integers(1, 40)), at=at))
            if kind is DecisionType.TRYGG_HEMGANG and draw(st.booleans()):
                period_id = f"{decision_id}p"
                length = draw(st.integers(1, 20))
                facts.append(
                    Period(case_id, decision_id, period_id, start, length, draw(st.none() | st.integers(0, 20)), at=1)
                )
                for v in range(draw(st.integers(0, 4))):
                    facts.append(
                        Visit(
                            case_id, period_id, f"{period_id}v{v}", start + timedelta(days=v), draw(st.integers(5, 90))
                        )
                    )
    return facts


def apply(cases: dict[str, CareCase], fact: Fact) -> None:
    case = cases.setdefault(fact.case_id, CareCase(fact.case_id, "p1"))
    if isinstance(fact, Grant):
        end = fact.start + timedelta(days=fact.length - 1)
        case.grant(DecisionTerms(fact.decision_id, fact.kind, fact.start, end, T0 + timedelta(hours=fact.at)))
    elif isinstance(fact, Change):
        case.change_decision(
            fact.decision_id, end_date=None, length_days=fact.length, as_of=T0 + timedelta(hours=fact.at)
        )
    elif isinstance(fact, Period):
        last = fact.start + timedelta(days=fact.length - 1)
        ended = None if fact.ended_after is None else fact.start + timedelta(days=fact.ended_after)
        case.record_period(
            TeamPeriod(fact.period_id, fact.decision_id, fact.start, last, ended, None, T0 + timedelta(hours=fact.at))
        )
    else:
        case.record_visit(CompletedVisit(fact.visit_id, fact.period_id, "daily", fact.day, fact.minutes))


def issue_all(
    cases: list[CareCase], headroom: int | None, statements: list[Statement] | None = None
) -> list[Statement]:
    issued = list(statements or [])
    for month in MONTHS:
        if any(s.month == month for s in issued):
            continue
        s = compose_statement(
            "p1", month, cases, issued, lambda m: hofors(), lambda m: headroom, issued_at=T0 + timedelta(days=400)
        )
        if s is not None:
            issued.append(s)
    return issued


def billed_per_month(statements: list[Statement]) -> dict[Month, int]:
    totals: dict[Month, int] = defaultdict(int)
    for s in statements:
        for line in s.lines:
            if line.kind in CAPPED_KINDS:
                totals[line.service_month] += line.amount_ore
    return totals


@settings(max_examples=150, deadline=None)
@given(histories(), st.none() | st.integers(0, 400_000), st.integers(0, 6))
def test_no_month_ever_bills_more_than_the_cap_even_with_corrections(
    facts: list[Fact], headroom: int | None, issue_after: int
) -> None:
    # Half the facts arrive before the first statements, the rest afterwards (corrections).
    cases: dict[str, CareCase] = {}
    split = len(facts) * issue_after // 6
    for fact in facts[:split]:
        apply(cases, fact)
    early = issue_all(list(cases.values()), headroom)[:issue_after]
    for fact in facts[split:]:
        apply(cases, fact)
    statements = early.copy()
    # Later months are issued one by one, each correcting what came before it.
    statements = issue_all(list(cases.values()), headroom, statements)

    cap = cap_for(hofors().tariff, headroom)
    for month, total in billed_per_month(statements).items():
        assert 0 <= total <= cap, (month, total)


@settings(max_examples=150, deadline=None)
@given(histories(), st.randoms(use_true_random=False), st.none() | st.integers(0, 400_000))
def test_replaying_the_facts_in_any_order_and_twice_gives_identical_statements(
    facts: list[Fact], rnd: object, headroom: int | None
) -> None:
    import random

    assert isinstance(rnd, random.Random)
    first: dict[str, CareCase] = {}
    for fact in facts:
        apply(first, fact)
    replayed: dict[str, CareCase] = {}
    stream = facts + rnd.sample(facts, k=len(facts) // 2)  # repeats
    rnd.shuffle(stream)  # and reordering
    for fact in stream:
        apply(replayed, fact)

    assert issue_all(list(first.values()), headroom) == issue_all(list(replayed.values()), headroom)


@settings(max_examples=100, deadline=None)
@given(histories())
def test_issuing_again_after_replay_gives_no_new_line(facts: list[Fact]) -> None:
    cases: dict[str, CareCase] = {}
    for fact in facts:
        apply(cases, fact)
    statements = issue_all(list(cases.values()), None)
    for fact in facts:  # the same events delivered again
        apply(cases, fact)

    again = compose_statement(
        "p1", Month(2024, 8), list(cases.values()), statements, lambda m: hofors(), lambda m: None, issued_at=T0
    )

    assert again is None or all(not line.correction for line in again.lines)
