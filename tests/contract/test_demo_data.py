"""The demo's data means what the demo says: its one undecided case waits for the officer with its
payment-liability clock still counting down, under every agreement referral ships, so that the
alert rule for an undecided clock near or past liability (TryggLiabilityClockUndecided) does not
page for it once the demo is over (it did: the case's ready notice was dated three days back)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from devstack.demo import people
from referral.domain.liability import CareType, start_clock
from referral.service_layer.agreement_format import shipped_agreements

RULE_LEAD = timedelta(hours=2)  # deploy/prometheus/rules.yml: less than 7200 s left


@pytest.mark.parametrize("hour", [0, 5, 9, 14, 23])
@pytest.mark.parametrize("seed", [1, 7, 42])
def test_the_demos_waiting_case_has_its_liability_well_ahead(seed: int, hour: int) -> None:
    now = datetime(2026, 12, 6, hour, 30, tzinfo=UTC)
    crowd = people(8, now, random.Random(seed))
    waiting = [p for p in crowd if p.decision == "none"]

    assert len(waiting) == 1
    [p] = waiting
    assert p.admitted_at < p.ready_at <= now
    for agreement in shipped_agreements():
        clock = start_clock(p.ready_at, CareType.SOMATIC, agreement)
        assert clock.liability_starts_at - now > RULE_LEAD, agreement.agreement_id
