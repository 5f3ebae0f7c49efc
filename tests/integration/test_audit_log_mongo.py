"""Every service's audit documents on the real MongoDB wire, written by the chassis' one adapter
exactly as each service's own adapter wrote them (so records kept before still read), read back
newest first by case, by subject and in all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from billing.adapters.mongo import MongoAuditLog as BillingAuditLog
from console.adapters.mongo import MongoAuditLog as ConsoleAuditLog
from notification.adapters.mongo import MongoAuditLog as NotificationAuditLog
from referral.adapters.mongo import MongoAuditLog as ReferralAuditLog
from scheduling.adapters.mongo import MongoAuditLog as SchedulingAuditLog
from trygg_shared.audit import AuditRecord

AT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
CORE = {"_id", "at", "actor", "roles", "action"}
# The keys each service's own adapter wrote before the chassis kept the audit log.
SHAPES: dict[str, tuple[Any, str, set[str]]] = {
    "billing": (BillingAuditLog, "audit_log", {"subjects", "detail"}),
    # console: plus `subject` since the ops page's replay records which dead letter it replayed
    "console": (ConsoleAuditLog, "audit_log", {"case_ids", "fields", "trace_id", "subject"}),
    "notification": (NotificationAuditLog, "audit", {"subject"}),
    "referral": (ReferralAuditLog, "audit_log", {"case_ids", "fields", "trace_id", "subject", "read_id"}),
    "scheduling": (SchedulingAuditLog, "audit_log", {"case_ids", "fields"}),
}


def full(record_id: str, at: datetime, case_ids: tuple[str, ...] = ("c1",)) -> AuditRecord:
    return AuditRecord(
        record_id,
        at,
        "team:a",
        ("team",),
        "read_case",
        case_ids=case_ids,
        fields=("name",),
        trace_id="6f17052dc51d2463ba3ac84066774e80",
        subject="rota:team-vast",
        subjects=("p_abc",),
        detail="2024-03",
    )


@pytest.mark.parametrize("service", sorted(SHAPES))
async def test_each_service_keeps_its_own_document_shape(service: str, db: AsyncDatabase[Any]) -> None:
    make, collection, keys = SHAPES[service]
    log = make(db)
    await log.append(full("r1", AT))
    await log.append(full("r2", AT + timedelta(minutes=1)))

    docs = [d async for d in db[collection].find({})]
    assert [set(d) for d in docs] == [CORE | keys, CORE | keys]
    assert [r.record_id for r in await log.recent(10)] == ["r2", "r1"]
    newest = (await log.recent(1))[0]
    expected = {k: getattr(full("r2", AT), k) for k in keys - {"read_id"}}
    assert {k: getattr(newest, k) for k in keys - {"read_id"}} == expected


async def test_records_written_by_the_services_own_adapters_still_read(db: AsyncDatabase[Any]) -> None:
    """Documents as notification and billing wrote them before (notification: a driver-made `_id`, no roles)."""
    await db["audit"].insert_one({"actor": "ops:dev", "action": "read_rota", "subject": "rota:team-vast", "at": AT})
    await db["audit_log"].insert_one(
        {"_id": "b1", "at": AT, "actor": "ops:a", "roles": ["ops"], "action": "change_tariff", "subjects": ["k"]}
    )

    [rota] = await NotificationAuditLog(db).for_subject("rota:team-vast", 10)
    assert (rota.actor, rota.action, rota.subject, rota.at, rota.roles) == (
        "ops:dev",
        "read_rota",
        "rota:team-vast",
        AT,
        (),
    )
    assert await NotificationAuditLog(db).for_subject("rota:other", 10) == []
    [tariff] = await BillingAuditLog(db).recent(10)
    assert (tariff.subjects, tariff.detail) == (("k",), "")  # no `detail` then: the default
