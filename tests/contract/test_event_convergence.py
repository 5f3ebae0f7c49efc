"""Consumers that apply referral's events in order end in the same state whatever order the
hospital's messages arrived in, and however often they were repeated.

The events are the real ones: the case's domain events through referral's wire codec. The
consumer here is a reference reader of the case-events contract (what scheduling, notification
and billing each keep of the clock: the ready notice in force, whether it was revoked, the
discharge and the liable days); a later step drives the services' own consumers instead.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from referral.adapters.codec import to_wire
from referral.agreement_format import shipped_agreements
from referral.domain.case import Case
from referral.domain.liability import AgreementTable
from referral.domain.messages import HospitalMessage
from referral.lus_format import parse_lus, to_domain
from trygg_shared.contracts import referral as ev

SHIPPED = shipped_agreements()
AGREEMENTS = AgreementTable(SHIPPED)
STOCKHOLM = next(a for a in SHIPPED if a.region_code == "01")
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
    """The wire events consumers receive: the case's domain events through referral's codec."""
    case = Case(case_id="c1", person_ref="p", episode_id="TC-2026-004711", region_code="01")
    for m in arrivals:
        case.receive(m, AGREEMENTS, person_ref="p")
    return [w for e in case.events for w in to_wire(e)]


def consume(events: list[Any]) -> dict[str, Any]:
    """Apply the case events in order, as a consumer of the contract does; what it ends up holding."""
    ready_at = liability_starts_at = agreement = None
    status = None
    discharged = None
    for e in events:
        if isinstance(e, ev.ReadyForDischarge):
            ready_at, liability_starts_at, status = e.ready_at, e.liability_starts_at, "ready"
            agreement = (e.agreement_id, e.agreement_version, e.daily_price_sek)
        elif isinstance(e, ev.ReadyRevoked) and e.ready_at == ready_at:
            status = "revoked"
        elif isinstance(e, ev.Discharged):
            discharged = (e.discharged_at, e.liable_days, e.liable_days * (e.daily_price_sek or 0))
    return {
        "ready_at": ready_at,
        "liability_starts_at": liability_starts_at,
        "agreement": agreement,
        "clock": status,
        "discharged_at": discharged[0] if discharged else None,
        "liable_days": discharged[1] if discharged else None,
        "amount": discharged[2] if discharged else None,
    }


def test_in_order_the_stay_is_billed_as_the_agreement_says() -> None:
    state = consume(events_for(sorted(MESSAGES, key=lambda m: m.order_key)))
    # r1 (Fri 20th 10:00, liable from Mon 23rd) runs again once its revocation is withdrawn; r3
    # (Fri 27th 13:00) replaces it; r3 is liable from Tue 1 Dec; discharge Sat 5 Dec 11:00.
    assert state["liable_days"] == 5
    assert state["amount"] == 5 * STOCKHOLM.price_for(2026)
    assert state["ready_at"] == MESSAGES[5].ready_at
    assert state["agreement"] == (STOCKHOLM.agreement_id, STOCKHOLM.version, STOCKHOLM.price_for(2026))


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
