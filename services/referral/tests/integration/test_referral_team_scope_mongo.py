"""A team token's case list on the real MongoDB wire (FerretDB locally): the stored team, and documents
saved before it was stored; the SMS-cap windows a case has told ops of."""

from __future__ import annotations

from datetime import date
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from referral.adapters.mongo import CASES, INDEXES, MongoCaseQueries
from referral.domain.case import Case
from referral.domain.decision import MunicipalityProfile
from referral.domain.events import SmsCap, SmsCapHit
from referral.service_layer.ports import CaseQuery
from trygg_shared.aggregate import update_aggregate
from trygg_shared.indexes import ensure_indexes

from .test_referral_decisions_mongo import NOW, opened_case, trygg_hemgang
from .test_referral_mongo import AGREEMENTS, CODEC, save_new, store

PROFILE = MunicipalityProfile(team_ids=(("Team Väst", "team-vast"), ("Trygg hemgång Hofors", "hofors")))


def decided(team: str) -> Any:
    case = opened_case()
    decision = trygg_hemgang(f"d-{case.case_id}", team, PROFILE)
    case.grant_decision(decision, AGREEMENTS)
    return case


async def test_a_team_query_finds_its_teams_cases_and_those_saved_before_the_team_was_stored(
    db: AsyncDatabase[Any],
) -> None:
    await ensure_indexes(db, INDEXES, None)
    vast, hofors, undecided, old = decided("Team Väst"), decided("Trygg hemgång Hofors"), opened_case(), decided("X")
    for case in (vast, hofors, undecided, old):
        await save_new(db, case)
    # A document written before decisions kept team ids and the case kept its team: no `team` field.
    await db[CASES].update_one({"_id": old.case_id}, {"$unset": {"team": "", "decisions.0.team_id": ""}})
    queries = MongoCaseQueries(db[CASES], CODEC)

    found = await queries.find(CaseQuery(teams=frozenset({"team-vast", "Team Väst"}), limit=200))

    assert sorted(c.case_id for c in found) == sorted([vast.case_id, old.case_id])  # the use case checks the old one
    [old_read] = [c for c in found if c.case_id == old.case_id]
    assert old_read.decisions[0].team_id is None  # still reads
    assert old_read.team(PROFILE) == "X"
    assert {c.case_id for c in await queries.find(CaseQuery(limit=200))} >= {
        vast.case_id,
        hofors.case_id,
        undecided.case_id,
    }


async def test_the_sms_cap_windows_a_case_told_ops_of_are_kept(db: AsyncDatabase[Any]) -> None:
    case = opened_case()
    await save_new(db, case)

    def reached(c: Case) -> tuple[bool, list[object] | None]:
        told = c.sms_cap_reached(
            SmsCapHit(SmsCap.PER_CASE, 5, date(2026, 11, 23), "per_case:c:d"), officer="o", now=NOW
        )
        events: list[object] = list(c.take_events())
        return told, events or None

    assert await update_aggregate(store(db), case.case_id, reached)
    again = await store(db).load(case.case_id)
    assert again is not None
    assert again.state.sms_cap_windows == {"per_case:c:d"}
    assert not await update_aggregate(store(db), case.case_id, reached)  # told once
