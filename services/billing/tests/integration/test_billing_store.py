"""Billing's aggregates, queries, the monthly run's claim and the audit log on the real MongoDB wire."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from billing_support import FixedClock
from pymongo.asynchronous.database import AsyncDatabase

from billing.adapters.mongo import INDEXES, MongoIssueRuns, Stores
from billing.bootstrap import mongo_deps
from billing.config import Settings
from billing.domain.care import DecisionType, TeamPeriod
from billing.domain.money import Month
from billing.service_layer import reads
from billing.service_layer import referral_facts as rf
from billing.service_layer import scheduling_facts as sf
from billing.service_layer.ports import Actor, BillingDeps
from billing.service_layer.statements import issue_month
from billing.service_layer.tariffs import seed_books
from trygg_shared.indexes import ensure_indexes

MARCH = Month(2024, 3)
OFFICER = Actor("officer:it", ("officer",))


async def wired(db: AsyncDatabase[Any], owner: str = "it") -> BillingDeps:
    await ensure_indexes(db, INDEXES, None)
    deps = mongo_deps(Settings(), FixedClock(datetime(2024, 4, 2, 8, tzinfo=UTC)), Stores(db), db, owner=owner)
    await seed_books(deps)
    return deps


async def decide(
    deps: BillingDeps, person: str, decision_id: str, kind: Literal["granted", "changed"], as_of: datetime, **terms: Any
) -> None:
    """A decision about the person's case granted or changed (`terms`: the decision's, as referral sends them)."""
    cmd = rf.RecordDecision(f"case-{person}", person, decision_id, kind, as_of, **terms)
    await rf.record_decision(deps, cmd)


async def grant(deps: BillingDeps, person: str, start: date, length: int, decision_id: str | None = None) -> str:
    decision_id = decision_id or f"d-{uuid.uuid4().hex[:8]}"
    granted_at = datetime(2024, 3, 1, 9, tzinfo=UTC)
    terms = {"decision_type": DecisionType.TRYGG_HEMGANG, "start_date": start, "length_days": length}
    await decide(deps, person, decision_id, "granted", granted_at, **terms)
    return decision_id


async def test_a_statement_is_issued_once_and_reads_back_identical_from_the_database(db: AsyncDatabase[Any]) -> None:
    deps = await wired(db)
    person = f"p_{uuid.uuid4().hex[:10]}"
    await grant(deps, person, date(2024, 3, 4), 5)

    first = await issue_month(deps, MARCH)
    second = await issue_month(deps, MARCH)

    assert (first.statements_issued, second.already_done) == (1, True)
    [statement] = await deps.statement_queries.of_person(person)
    assert [(line.days, line.amount_ore) for line in statement.lines] == [(5, 92_000)]
    doc = await db["statements"].find_one({"_id": f"{person}:2024-03"})
    assert doc is not None
    assert doc["outbox_pending"] is True
    assert doc["total_ore"] == 92_000
    assert len(doc["outbox"]) == 1
    assert await reads.statement_of(deps, OFFICER, person, MARCH) == statement


async def test_two_processes_racing_for_a_month_issue_each_statement_once(db: AsyncDatabase[Any]) -> None:
    one, two = await wired(db, "one"), await wired(db, "two")
    persons = [f"p_{uuid.uuid4().hex[:10]}" for _ in range(4)]
    for person in persons:
        await grant(one, person, date(2024, 3, 4), 5)

    results = await asyncio.gather(issue_month(one, MARCH), issue_month(two, MARCH), return_exceptions=True)

    issued = [r.statements_issued for r in results if not isinstance(r, BaseException)]
    assert sum(issued) == 4
    assert await db["statements"].count_documents({}) == 4


async def test_a_run_that_stopped_is_taken_over_after_its_lease(db: AsyncDatabase[Any]) -> None:
    runs = MongoIssueRuns(db)
    now = datetime(2024, 4, 2, 8, tzinfo=UTC)

    assert await runs.claim(MARCH, "a", now, timedelta(minutes=10))
    assert not await runs.claim(MARCH, "b", now + timedelta(minutes=5), timedelta(minutes=10))
    assert await runs.claim(MARCH, "b", now + timedelta(minutes=11), timedelta(minutes=10))
    assert not await runs.claim(MARCH, "a", now + timedelta(minutes=12), timedelta(minutes=10))


async def test_a_change_after_the_statement_is_corrected_next_month_from_the_stored_statement(
    db: AsyncDatabase[Any],
) -> None:
    deps = await wired(db)
    person = f"p_{uuid.uuid4().hex[:10]}"
    decision = await grant(deps, person, date(2024, 3, 25), 5)
    await issue_month(deps, MARCH)
    await decide(deps, person, decision, "changed", datetime(2024, 4, 2, 9, tzinfo=UTC), length_days=10)
    assert isinstance(deps.clock, FixedClock)
    deps.clock.moment = datetime(2024, 5, 1, 8, tzinfo=UTC)

    await issue_month(deps, Month(2024, 4))

    april = await reads.statement_of(deps, OFFICER, person, Month(2024, 4))
    assert april is not None
    assert [(str(line.service_month), line.days, line.correction) for line in april.lines] == [
        ("2024-03", 2, True),
        ("2024-04", 3, False),
    ]
    assert [r.action for r in await deps.audit.recent(10)][:1] == ["read_statement"]


async def test_a_case_whose_fees_are_all_billed_leaves_the_billing_query(db: AsyncDatabase[Any]) -> None:
    deps = await wired(db)
    person = f"p_{uuid.uuid4().hex[:10]}"
    await grant(deps, person, date(2024, 3, 4), 5)
    assert person in await deps.care_queries.persons_to_bill()

    await issue_month(deps, MARCH)

    assert person not in await deps.care_queries.persons_to_bill()


async def test_the_month_queries_find_the_cases_of_the_month_and_the_open_ones_each_once(
    db: AsyncDatabase[Any],
) -> None:
    deps = await wired(db)
    ended, running, earlier = (f"case-{uuid.uuid4().hex[:8]}" for _ in range(3))
    spans = {ended: (date(2024, 3, 4), date(2024, 3, 8), True), running: (date(2024, 2, 20), date(2024, 3, 10), False)}
    spans[earlier] = (date(2024, 1, 8), date(2024, 1, 12), True)
    as_of = datetime(2024, 3, 1, tzinfo=UTC)
    for case_id, (start, planned_end, over) in spans.items():
        period = TeamPeriod(f"per-{case_id}", None, start, planned_end, planned_end if over else None, None, as_of)
        await sf.record_period(deps, sf.RecordPeriod(case_id, f"p-{case_id}", period))
    ready = datetime(2024, 2, 26, 9, tzinfo=UTC)  # a stay whose clock still runs (no discharge yet)
    cmd = rf.RecordReady(running, f"p-{running}", ready, ready, "national-default", 1, 9300, "2104", "e1")
    await rf.record_ready(deps, cmd)

    care = await deps.care_queries.cases_for_month(MARCH)
    liable = await deps.liability_queries.cases_for_month(MARCH)

    assert sorted(c.case_id for c in care) == sorted([ended, running])  # March's and the open one, once each
    assert [r.case.case_id for r in liable] == [running]
