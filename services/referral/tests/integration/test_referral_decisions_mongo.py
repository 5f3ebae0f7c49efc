"""Decisions, openings, listing, the audit log and the agreements on the real MongoDB wire (FerretDB locally)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from referral.adapters.mongo import (
    CASES,
    INDEXES,
    MongoAgreementStore,
    MongoAuditLog,
    MongoCaseQueries,
    MongoConsentLedger,
)
from referral.domain.case import Case, Opening, OpeningReason
from referral.domain.decision import Consent, Decision, DecisionType, MunicipalityProfile, Relative, grant
from referral.domain.identity import parse_identity
from referral.domain.messages import Patient
from referral.service_layer.agreement_format import shipped_agreements
from referral.service_layer.ports import AgreementChange, AuditRecord, CaseQuery
from trygg_shared.indexes import ensure_indexes

from .test_referral_mongo import AGREEMENTS, CODEC, example, save_new, store

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def opened_case() -> Case:
    patient = Patient(parse_identity("personnummer", "20121212-1212"), "Tolvan", "Tolvansson")
    return Case.open_without_message(
        str(uuid.uuid4()), "p_t", Opening(OpeningReason.ALREADY_AT_HOME, "officer:a", NOW, patient)
    )


def trygg_hemgang(
    decision_id: str, team: str, profile: MunicipalityProfile, relatives: tuple[Relative, ...] = ()
) -> Decision:
    """A 14-day Trygg hemgång decision from 2026-11-25, granted by officer:a at NOW (checked by `grant`)."""
    draft = Decision(
        decision_id=decision_id,
        decision_type=DecisionType.TRYGG_HEMGANG,
        granted_by="officer:a",
        granted_at=NOW,
        start_date=date(2026, 11, 25),
        length_days=14,
        team=team,
        relatives=relatives,
    )
    return grant(draft, profile)


async def test_an_opened_case_with_a_decision_round_trips(db: AsyncDatabase[Any]) -> None:
    case = opened_case()
    karin = Relative("r1", "Karin", "+46701112233", consent=Consent("officer:a", NOW))
    decision = trygg_hemgang("d1", "Team Väst", MunicipalityProfile(), (karin,))
    case.grant_decision(decision, AGREEMENTS)
    await save_new(db, case)

    loaded = await store(db).load(case.case_id)
    assert loaded is not None
    assert loaded.state.opening == case.opening
    assert loaded.state.decisions == [decision]
    assert loaded.state.active_decision() == decision
    doc = await db[CASES].find_one({"_id": case.case_id})
    assert doc is not None
    assert doc["active_decision"] == "trygg_hemgang"
    # case_opened, decision_granted, relative_contacts_changed, person_contact_registered and
    # billing_subject_registered: 1-5, one outbox for the four topics
    assert sorted(e["seq"] for e in doc["outbox"].values()) == [1, 2, 3, 4, 5]
    topics = {e["event_type"].rsplit(".", 2)[-2]: e["topic"] for e in doc["outbox"].values()}
    assert topics["billing_subject_registered"] == "trygg.referral.billing-subjects.v1"
    assert topics["relative_contacts_changed"] == "trygg.referral.relative-contacts.v1"
    assert topics["decision_granted"] == "trygg.referral.case-events.v1"


async def test_cases_are_found_by_status_and_soonest_liability_first(db: AsyncDatabase[Any]) -> None:
    await ensure_indexes(db, INDEXES, None)
    ids = {}
    for name, ready_at in (("later", "2026-11-24T13:00:00+01:00"), ("sooner", "2026-11-23T09:00:00+01:00")):
        case = Case(
            case_id=f"{name}-{uuid.uuid4().hex[:6]}", person_ref="p", episode_id="TC-2026-004711", region_code="01"
        )
        case.receive(example("3-utskrivningsklar.json", ready_at=ready_at), AGREEMENTS, person_ref="p")
        await save_new(db, case)
        ids[name] = case.case_id
    await save_new(db, opened_case())
    queries = MongoCaseQueries(db[CASES], CODEC)

    running = await queries.find(CaseQuery(liability_running=True))
    assert [c.case_id for c in running] == [ids["sooner"], ids["later"]]
    opened = await queries.find(CaseQuery(statuses=("opened",)))
    assert len(opened) == 1
    assert len(await queries.find(CaseQuery(statuses=("ready", "opened")))) == 3
    assert [c.case_id for c in await queries.find(CaseQuery(limit=2))] == [ids["sooner"], ids["later"]]


async def test_audit_records_are_kept_and_read_back_by_case_and_by_subject(db: AsyncDatabase[Any]) -> None:
    await ensure_indexes(db, INDEXES, None)
    audit = MongoAuditLog(db)
    for i, cases in enumerate((("c1",), ("c1", "c2"), ("c2",))):
        await audit.append(
            AuditRecord(str(uuid.uuid4()), NOW.replace(minute=i), f"team:{i}", ("team",), "read_case", cases, ("name",))
        )
    await audit.append(
        AuditRecord(str(uuid.uuid4()), NOW, "ops:a", ("ops",), "add_agreement_version", (), (), subject="agreement:x:2")
    )
    trail = await audit.for_case("c1", 10)
    assert [r.actor for r in trail] == ["team:1", "team:0"]  # newest first
    assert trail[0].case_ids == ("c1",)  # one record per case the read showed, grouped by read_id
    assert trail[0].read_id == next(r for r in await audit.for_case("c2", 10) if r.actor == "team:1").read_id
    assert [r.actor for r in await audit.for_subject("agreement:x:2", 10)] == ["ops:a"]


async def test_agreement_versions_round_trip_and_a_version_number_is_taken_once(db: AsyncDatabase[Any]) -> None:
    agreements = MongoAgreementStore(db)
    shipped = shipped_agreements()
    for agreement in shipped:
        assert await agreements.add(AgreementChange(agreement, "system:shipped-data", NOW)) is True
    assert await agreements.add(AgreementChange(shipped[0], "ops:other", NOW)) is False
    stored = await agreements.all()
    by_id = {c.agreement.agreement_id: c for c in stored}
    assert {i: (c.agreement, c.added_by) for i, c in by_id.items()} == {
        a.agreement_id: (a, "system:shipped-data") for a in shipped
    }


async def test_a_list_read_of_the_documented_maximum_is_audited_and_each_case_answers_who_read_it(
    db: AsyncDatabase[Any],
) -> None:
    """`GET /cases?limit=200` audits 200 case ids: one indexed array of them exceeded PostgreSQL's
    btree row limit (2704 bytes) at about 65 ids, so the audit write, and with it the read, failed."""
    await ensure_indexes(db, INDEXES, None)
    audit = MongoAuditLog(db)
    shown = tuple(str(uuid.uuid4()) for _ in range(200))
    await audit.append(AuditRecord("read-1", NOW, "officer:a", ("officer",), "list_cases", shown, ("name",)))

    for case_id in (shown[0], shown[99], shown[-1]):
        trail = await audit.for_case(case_id, 10)
        assert [(r.actor, r.action, r.case_ids, r.read_id) for r in trail] == [
            ("officer:a", "list_cases", (case_id,), "read-1")
        ]
    assert await audit.for_case(str(uuid.uuid4()), 10) == []


async def test_the_consent_ledger_counts_an_officers_day_and_a_repeat_once(db: AsyncDatabase[Any]) -> None:
    await ensure_indexes(db, INDEXES, None)
    ledger = MongoConsentLedger(db)

    assert await ledger.add("officer:a|2026-11-23", ["c1:r1", "c1:r2"], NOW) == 2
    assert await ledger.add("officer:a|2026-11-23", ["c1:r2", "c2:r1"], NOW) == 3  # c1:r2 again counts once
    assert await ledger.add("officer:b|2026-11-23", ["c3:r1"], NOW) == 1
    await ledger.remove(["c2:r1"])
    assert await ledger.add("officer:a|2026-11-23", [], NOW) == 2
