"""Decisions, openings, listing and the audit log on the real MongoDB wire (FerretDB locally)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from referral.adapters.mongo import MongoAuditLog, MongoCaseRepository
from referral.domain.case import Case, Opening, OpeningReason
from referral.domain.decision import Consent, DecisionType, MunicipalityProfile, Relative, grant
from referral.domain.identity import parse_identity
from referral.domain.liability import REGION_STOCKHOLM_2024, AgreementTable
from referral.domain.messages import Patient
from referral.service_layer.ports import AuditRecord, CaseQuery

from .test_referral_mongo import example

AGREEMENTS = AgreementTable([REGION_STOCKHOLM_2024])
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def opened_case() -> Case:
    patient = Patient(parse_identity("personnummer", "20121212-1212"), "Tolvan", "Tolvansson")
    return Case.open_without_message(
        str(uuid.uuid4()), "p_t", Opening(OpeningReason.ALREADY_AT_HOME, "officer:a", NOW, patient)
    )


async def test_an_opened_case_with_a_decision_round_trips(db: AsyncDatabase[Any]) -> None:
    repo = MongoCaseRepository(db, AGREEMENTS)
    case = opened_case()
    decision = grant(
        decision_id="d1",
        decision_type=DecisionType.TRYGG_HEMGANG,
        officer="officer:a",
        now=NOW,
        profile=MunicipalityProfile(),
        start_date=date(2026, 11, 25),
        length_days=14,
        team="Team Väst",
        relatives=(Relative("r1", "Karin", "+46701112233", consent=Consent("officer:a", NOW)),),
    )
    case.grant_decision(decision, AGREEMENTS)
    await repo.save(case)

    loaded = await repo.get(case.case_id)
    assert loaded is not None
    assert loaded.opening == case.opening
    assert loaded.decisions == [decision]
    assert loaded.active_decision() == decision
    doc = await db["cases"].find_one({"_id": case.case_id})
    assert doc is not None
    assert doc["active_decision"] == "trygg_hemgang"
    assert len(doc["outbox"]) == 3  # case_opened, decision_granted, billing_subject_registered


async def test_cases_are_found_by_status_and_soonest_liability_first(db: AsyncDatabase[Any]) -> None:
    repo = MongoCaseRepository(db, AGREEMENTS)
    await repo.ensure_indexes()
    ids = {}
    for name, ready_at in (("later", "2026-11-24T13:00:00+01:00"), ("sooner", "2026-11-23T09:00:00+01:00")):
        case = Case(
            case_id=f"{name}-{uuid.uuid4().hex[:6]}", person_ref="p", episode_id="TC-2026-004711", region_code="01"
        )
        case.receive(example("3-utskrivningsklar.json", ready_at=ready_at), AGREEMENTS, person_ref="p")
        await repo.save(case)
        ids[name] = case.case_id
    await repo.save(opened_case())

    running = await repo.find(CaseQuery(liability_running=True))
    assert [c.case_id for c in running] == [ids["sooner"], ids["later"]]
    opened = await repo.find(CaseQuery(statuses=("opened",)))
    assert len(opened) == 1
    assert len(await repo.find(CaseQuery(statuses=("ready", "opened")))) == 3
    assert len(await repo.find(CaseQuery(limit=2))) == 2


async def test_audit_records_are_kept_and_read_back_by_case(db: AsyncDatabase[Any]) -> None:
    audit = MongoAuditLog(db)
    await audit.ensure_indexes()
    for i, cases in enumerate((("c1",), ("c1", "c2"), ("c2",))):
        await audit.append(
            AuditRecord(str(uuid.uuid4()), NOW.replace(minute=i), f"team:{i}", ("team",), "read_case", cases, ("name",))
        )
    trail = await audit.for_case("c1", 10)
    assert [r.actor for r in trail] == ["team:1", "team:0"]  # newest first
    assert trail[0].case_ids == ("c1", "c2")
