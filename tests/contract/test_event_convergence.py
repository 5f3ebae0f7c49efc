"""Consumers that apply referral's events in order end in the same state whatever order the
hospital's messages arrived in, and however often they were repeated.

The reference consumers are the real domain functions of billing, scheduling and notification.
"""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from billing.domain import liability as billing
from notification.domain import watches as notification
from referral.domain.case import Case
from referral.domain.liability import REGION_STOCKHOLM_2024, AgreementTable
from referral.domain.messages import HospitalMessage
from referral.lus_format import parse_lus, to_domain
from scheduling.domain import referrals as scheduling
from trygg_shared.contracts import referral as ev

AGREEMENTS = AgreementTable([REGION_STOCKHOLM_2024])
EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "specs" / "examples"
_BODIES = {json.loads(f.read_text())["message_type"]: json.loads(f.read_text()) for f in EXAMPLES.glob("*.json")}


def message(message_id: str, message_type: str, **fields: Any) -> HospitalMessage:
    body = copy.deepcopy(_BODIES[message_type])
    body.update(fields)
    return to_domain(message_id, parse_lus(body))


# A stay with a bit of everything: two ready notices, a revocation that is itself withdrawn,
# a withdrawn ready notice, and a late discharge (liability accrues).
MESSAGES = [
    message("adm", "inskrivningsmeddelande"),
    message("r1", "utskrivningsklar", ready_at="2026-11-20T10:00:00+01:00", sent_at="2026-11-20T10:05:00+01:00"),
    message(
        "rev1",
        "aterkallad_utskrivningsklar",
        revoked_at="2026-11-24T09:00:00+01:00",
        sent_at="2026-11-24T09:05:00+01:00",
    ),
    message("r2", "utskrivningsklar", ready_at="2026-11-26T10:00:00+01:00", sent_at="2026-11-26T10:05:00+01:00"),
    message("x-r2", "makulering", cancels_message_id="r2", sent_at="2026-11-26T12:00:00+01:00"),
    message("r3", "utskrivningsklar", ready_at="2026-11-27T13:00:00+01:00", sent_at="2026-11-27T13:05:00+01:00"),
    message("x-rev1", "makulering", cancels_message_id="rev1", sent_at="2026-11-28T08:00:00+01:00"),
    message(
        "dis", "utskrivningsmeddelande", discharged_at="2026-12-05T11:00:00+01:00", sent_at="2026-12-05T11:05:00+01:00"
    ),
]


def events_for(arrivals: list[HospitalMessage]) -> list[Any]:
    case = Case(case_id="c1", person_ref="p", episode_id="TC-2026-004711", region_code="01")
    for m in arrivals:
        case.receive(m, AGREEMENTS, person_ref="p")
    return list(case.events)


def consume(events: list[Any]) -> dict[str, Any]:
    """Run the consumers' own domain rules over the events, in order."""
    bill = billing.CaseLiability("c1", "p")
    sched: scheduling.IncomingReferral | None = None
    watch: notification.LiabilityWatch | None = None
    for e in events:
        if isinstance(e, ev.ReadyForDischarge):
            period = billing.LiabilityPeriod(
                e.ready_at, e.liability_starts_at, e.agreement_id, e.agreement_version, e.daily_price_sek
            )
            bill = billing.on_ready(bill, period)
            incoming = scheduling.IncomingReferral(
                e.case_id, e.person_ref, e.care_unit.name, e.ready_at, e.planned_discharge_at, e.liability_starts_at
            )
            sched = scheduling.on_ready(sched, incoming)
            watch = notification.watch_ready(
                watch,
                case_id=e.case_id,
                person_ref=e.person_ref,
                ready_at=e.ready_at,
                liability_starts_at=e.liability_starts_at,
                lead_time=timedelta(hours=24),
                source_event_id="",
            )
        elif isinstance(e, ev.ReadyRevoked):
            bill = billing.on_revoked(bill, e.ready_at, e.revoked_at, e.liable_days or 0)
            sched = scheduling.on_revoked(sched, e.revoked_at)
            watch = notification.stop_watch(watch, e.revoked_at)
        elif isinstance(e, ev.Discharged):
            bill = billing.on_discharged(bill, e.discharged_at, e.liable_days, e.daily_price_sek)
    open_period = bill.open_period
    return {
        "billing.open_period": open_period.ready_at if open_period else None,
        "billing.discharged_at": bill.discharged_at,
        "billing.liable_days": bill.liable_days,
        "billing.amount": bill.amount_sek,
        "scheduling": (sched.ready_at, sched.status) if sched else None,
        "notification": (watch.ready_at, watch.status) if watch else None,
    }


def test_in_order_the_stay_is_billed_as_the_agreement_says() -> None:
    state = consume(events_for(sorted(MESSAGES, key=lambda m: m.order_key)))
    # r1 (Fri 20th 10:00, liable from Mon 23rd) runs again once its revocation is withdrawn; r3
    # (Fri 27th 13:00) replaces it; r3 is liable from Tue 1 Dec; discharge Sat 5 Dec 11:00.
    assert state["billing.liable_days"] == 5
    assert state["billing.amount"] == 5 * REGION_STOCKHOLM_2024.daily_price_sek
    assert state["scheduling"][1] is scheduling.ReferralStatus.AWAITING_DECISION


@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_consumers_converge_whatever_the_arrival_order_and_repeats(data: st.DataObject) -> None:
    arrivals = data.draw(st.permutations(MESSAGES), label="order")
    repeats = data.draw(st.lists(st.sampled_from(MESSAGES), max_size=4), label="repeats")
    positions = data.draw(st.lists(st.integers(0, len(MESSAGES)), min_size=len(repeats), max_size=len(repeats)))
    stream = list(arrivals)
    for m, at in zip(repeats, positions, strict=True):
        stream.insert(at, m)

    assert consume(events_for(stream)) == consume(events_for(sorted(MESSAGES, key=lambda m: m.order_key)))


def test_every_subset_of_the_messages_converges_too() -> None:
    for size in range(1, len(MESSAGES) + 1):
        subset = MESSAGES[:size]
        in_order = consume(events_for(sorted(subset, key=lambda m: m.order_key)))
        assert consume(events_for(list(reversed(subset)))) == in_order, f"first {size} messages reversed"
        assert consume(events_for(subset[1:] + subset[:1])) == in_order, f"first {size} rotated"
