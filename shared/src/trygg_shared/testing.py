"""Test support shipped with the shared package: sample events built from the real contracts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from trygg_shared.contracts.referral import CareType, CareUnit, ReadyForDischarge


def sample_ready_for_discharge(case_id: str | None = None, person_ref: str | None = None) -> ReadyForDischarge:
    """A valid ready-for-discharge event (a new case id unless one is given)."""
    now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    return ReadyForDischarge(
        case_id=case_id or str(uuid.uuid4()),
        person_ref=person_ref or "p_" + uuid.uuid4().hex,
        episode_id="TC-1",
        care_unit=CareUnit(hsa_id="SE1", name="Avd 61"),
        care_type=CareType.SOMATIC,
        ready_at=now,
        liability_starts_at=now,
        agreement_id="national-default",
        agreement_version=1,
        daily_price_sek=9300,
    )
