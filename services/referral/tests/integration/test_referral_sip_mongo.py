"""SIP on the real MongoDB wire (FerretDB locally): a case waiting for an invitation is found by the
indexed `sip_pending` field, the officer's invitations and the lapses told survive a reload, and a
case whose lapse was told (or that got an invitation) is no longer waiting."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from referral.adapters.mongo import INDEXES, MongoCaseQueries
from referral.domain.case import Case
from referral.domain.sip import SipInvitation, SipPlace, SipSource
from referral.service_layer.cases import update_case
from referral.service_layer.ports import CaseQuery
from trygg_shared.indexes import ensure_indexes

from .test_referral_mongo import AGREEMENTS, CODEC, example, save_new, store

FVK = {"unit_name": "Vårdcentral Jakobsberg"}


def owed(ready_at: str) -> Case:
    case = Case(case_id=str(uuid.uuid4()), person_ref="p_sip", episode_id="TC-2026-004711", region_code="01")
    message = example("3-utskrivningsklar.json", ready_at=ready_at, fast_vardkontakt=FVK)
    case.receive(message, AGREEMENTS, person_ref="p_sip")
    return case


async def waiting(db: AsyncDatabase[Any]) -> set[str]:
    found = await MongoCaseQueries(db["cases"], CODEC).find(CaseQuery(sip_pending=True, order="updated", limit=500))
    return {c.case_id for c in found}


async def test_cases_waiting_for_a_sip_invitation_are_found_until_invited_or_told(db: AsyncDatabase[Any]) -> None:
    await ensure_indexes(db, INDEXES, None)
    invited, told, open_ = (
        owed("2026-11-23T09:00:00+01:00"),
        owed("2026-11-23T10:00:00+01:00"),
        owed("2026-11-24T09:00:00+01:00"),
    )
    for case in (invited, told, open_):
        await save_new(db, case)
    assert {invited.case_id, told.case_id, open_.case_id} <= await waiting(db)

    cases = store(db)
    loaded = await cases.load(invited.case_id)
    assert loaded is not None
    deadline = loaded.state.sip_due_at(AGREEMENTS)
    assert deadline is not None
    at = deadline - timedelta(days=1)
    invitation = SipInvitation("sip-1", at, at + timedelta(days=3), SipPlace.HOME, SipSource.OFFICER, "officer:a", at)
    await update_case(cases, invited.case_id, lambda c: c.record_sip_invitation(invitation, AGREEMENTS))
    assert await update_case(
        cases, told.case_id, lambda c: c.report_sip_lapse(AGREEMENTS, deadline + timedelta(hours=2))
    )

    now_waiting = await waiting(db)
    assert open_.case_id in now_waiting
    assert invited.case_id not in now_waiting
    assert told.case_id not in now_waiting
    reloaded = await cases.load(invited.case_id)
    assert reloaded is not None
    assert reloaded.state.sip_invitations == [invitation]
    assert reloaded.state.sip(AGREEMENTS).invited_in_time is True
    lapsed = await cases.load(told.case_id)
    assert lapsed is not None
    assert not lapsed.state.report_sip_lapse(AGREEMENTS, deadline + timedelta(days=1))  # told once, also after a reload
