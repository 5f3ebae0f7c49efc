"""Referral's Mongo adapters on the real MongoDB wire (FerretDB locally)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from referral.adapters.mongo import MongoCaseRepository, MongoInbox
from referral.domain.case import Case
from referral.domain.liability import REGION_STOCKHOLM_2024, AgreementTable
from referral.lus_format import parse_lus, to_domain
from referral.service_layer.ports import ConcurrencyConflict, InboundRecord, IntakeAnswer

AGREEMENTS = AgreementTable([REGION_STOCKHOLM_2024])
EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "specs" / "examples"


def example(name: str, message_id: str | None = None, **fields: Any) -> Any:
    import json

    body = json.loads((EXAMPLES / name).read_text())
    body.update(fields)
    return to_domain(message_id or uuid.uuid4().hex, parse_lus(body))


def record(case_id: str, webhook_id: str) -> InboundRecord:
    return InboundRecord(
        sender_id="s1",
        webhook_id=webhook_id,
        case_id=case_id,
        message_type="utskrivningsklar",
        body={"a": 1},
        answer=IntakeAnswer(case_id=case_id, message_id=str(uuid.uuid4())),
        received_at=datetime.now(UTC),
    )


async def test_the_inbox_keeps_the_first_answer_for_a_repeated_webhook_id(db: AsyncDatabase[Any]) -> None:
    inbox = MongoInbox(db)
    await inbox.ensure_indexes()
    first = record("c1", "w1")
    assert await inbox.add(first) is None
    again = await inbox.add(record("c1", "w1"))
    assert again is not None
    assert again.answer == first.answer


async def test_unapplied_messages_are_found_until_marked_applied(db: AsyncDatabase[Any]) -> None:
    inbox = MongoInbox(db)
    await inbox.add(record("c1", "w1"))
    later = datetime.now(UTC) + timedelta(seconds=1)
    assert [r.webhook_id for r in await inbox.unapplied(later, 10)] == ["w1"]
    await inbox.mark_applied("s1", "w1")
    assert await inbox.unapplied(later, 10) == []


async def test_a_saved_case_loads_with_the_same_facts_and_its_events_wait_in_the_outbox(db: AsyncDatabase[Any]) -> None:
    repo = MongoCaseRepository(db, AGREEMENTS)
    await repo.ensure_indexes()
    case = Case(case_id=str(uuid.uuid4()), person_ref="p_1", episode_id="TC-2026-004711", region_code="01")
    case.receive(example("1-inskrivningsmeddelande.json"), AGREEMENTS, person_ref="p_1")
    case.receive(example("3-utskrivningsklar.json"), AGREEMENTS, person_ref="p_1")
    facts = case.facts(AGREEMENTS)
    await repo.save(case)

    loaded = await repo.get(case.case_id)
    assert loaded is not None
    assert loaded.facts(AGREEMENTS) == facts
    assert loaded.version == 1
    doc = await db["cases"].find_one({"_id": case.case_id})
    assert doc is not None
    assert doc["outbox_pending"] is True
    assert sorted(e["event_type"].rsplit(".", 2)[-2] for e in doc["outbox"].values()) == [
        "admission_noticed",
        "ready_for_discharge",
    ]
    assert doc["liability_starts_at"] == datetime(2026, 11, 25, 23, 0, tzinfo=UTC)


async def test_saving_a_stale_case_is_a_conflict(db: AsyncDatabase[Any]) -> None:
    repo = MongoCaseRepository(db, AGREEMENTS)
    case = Case(case_id=str(uuid.uuid4()), person_ref="p_1", episode_id="TC-2026-004711")
    case.receive(example("3-utskrivningsklar.json"), AGREEMENTS, person_ref="p_1")
    await repo.save(case)
    a, b = await repo.get(case.case_id), await repo.get(case.case_id)
    assert a is not None
    assert b is not None
    a.receive(example("4-aterkallad_utskrivningsklar.json"), AGREEMENTS, person_ref="p_1")
    await repo.save(a)
    b.receive(example("5-utskrivningsmeddelande.json"), AGREEMENTS, person_ref="p_1")
    with pytest.raises(ConcurrencyConflict):
        await repo.save(b)


async def test_two_new_cases_with_the_same_id_conflict_instead_of_overwriting(db: AsyncDatabase[Any]) -> None:
    repo = MongoCaseRepository(db, AGREEMENTS)
    case_id = str(uuid.uuid4())
    for _ in range(2):
        case = Case(case_id=case_id, person_ref="p_1", episode_id="TC-2026-004711")
        case.receive(example("3-utskrivningsklar.json"), AGREEMENTS, person_ref="p_1")
        if _ == 0:
            await repo.save(case)
        else:
            with pytest.raises(ConcurrencyConflict):
                await repo.save(case)


async def test_a_recent_discharge_of_the_same_person_is_found(db: AsyncDatabase[Any]) -> None:
    repo = MongoCaseRepository(db, AGREEMENTS)
    await repo.ensure_indexes()
    old = Case(case_id=str(uuid.uuid4()), person_ref="p_same", episode_id="TC-2026-004711")
    old.receive(example("5-utskrivningsmeddelande.json"), AGREEMENTS, person_ref="p_same")
    await repo.save(old)
    since = datetime(2026, 11, 1, tzinfo=UTC)
    assert await repo.recent_discharge("p_same", since, "other") == old.case_id
    assert await repo.recent_discharge("p_other", since, "other") is None
    assert await repo.recent_discharge("p_same", datetime(2026, 12, 1, tzinfo=UTC), "other") is None


async def test_a_webhook_id_with_dots_or_a_dollar_sign_is_stored_and_read_back(db: AsyncDatabase[Any]) -> None:
    repo = MongoCaseRepository(db, AGREEMENTS)
    case = Case(case_id=str(uuid.uuid4()), person_ref="p_1", episode_id="TC-2026-004711")
    for webhook_id in ("TC.2026.1", "$ready", "plain"):
        case.receive(example("1-inskrivningsmeddelande.json", message_id=webhook_id), AGREEMENTS, person_ref="p_1")
    await repo.save(case)
    loaded = await repo.get(case.case_id)
    assert loaded is not None
    assert set(loaded.messages) == {"TC.2026.1", "$ready", "plain"}
