"""How a case is stored, and how its domain events go on the wire: the edge of the referral service.

`CaseCodec` is the `AggregateCodec` that `trygg_shared.mongo_store.MongoAggregateStore` uses:

- `to_document`/`from_document`: the case as one document (hospital messages, receipts,
  decisions), plus denormalised top-level fields that the queries filter on (`person_ref`,
  `status`, `liability_running`, ...). Messages are an array, not a map: a sender's
  webhook-id may contain `.` or start with `$`.
- `to_wire`: each domain event as the contracts of `trygg_shared.contracts.referral`. Only
  relatives with recorded consent leave referral, and only on the relative-contacts topic,
  which only notification reads (the decisions on the case-events topic carry no relatives);
  a decision that grants a service also sends the person's own name, address and phone on the
  person-contacts topic (scheduling and the console) and registers the person on the
  billing-subjects topic (identity, name and postal address, nothing else).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter

from referral.domain import events as de
from referral.domain.case import Case, Opening, Receipt
from referral.domain.decision import SERVICE_DECISIONS, Decision, Relative
from referral.domain.liability import AgreementTable
from referral.domain.messages import HospitalMessage
from referral.domain.sip import SipInvitation
from trygg_shared.contracts import referral as ev
from trygg_shared.contracts import referral_ops as ops
from trygg_shared.contracts.base import IntegrationEvent
from trygg_shared.mapping import to_contract
from trygg_shared.mongo import Document

_MESSAGE = TypeAdapter(HospitalMessage)
_OPENING = TypeAdapter(Opening)
_DECISION = TypeAdapter(Decision)
_RECEIPT = TypeAdapter(Receipt)
_SIP = TypeAdapter(SipInvitation)
NOT_RUNNING = datetime(9999, 12, 31, tzinfo=UTC)
# The case's plain fields: stored under their own names, read back as they are (absent: None).
_AS_IS = ("sender_id", "episode_id", "region_code", "readmission_of_case_id", "liability_days_published")


class CaseCodec:
    """Case <-> document, domain event -> wire contracts. `agreements` gives the table in force."""

    def __init__(self, agreements: Callable[[], AgreementTable]) -> None:
        self._agreements = agreements

    # --- state ---------------------------------------------------------------------------------

    def to_document(self, case: Case) -> Document:
        facts = case.facts(self._agreements())
        ready = facts.ready
        running = ready is not None and ready.ended_at is None
        active = case.active_decision()
        sip_due = case.sip_due_at(self._agreements())
        return {
            "person_ref": case.person_ref,
            **{name: getattr(case, name) for name in _AS_IS},
            "messages": [
                {
                    **_MESSAGE.dump_python(m, mode="json"),
                    "receipt": _RECEIPT.dump_python(r, mode="json") if (r := case.receipts.get(m.message_id)) else None,
                }
                for m in case.messages.values()
            ],
            # Objects, not pairs: FerretDB v1 stores no nested arrays.
            "agreement_pins": [
                {"message_id": m, "agreement_id": a, "version": v} for m, (a, v) in case.agreement_pins.items()
            ],
            # Query fields, top level (FerretDB pushes only top-level equality down to SQL):
            "status": facts.status.value,
            "liability_running": running,
            "liability_starts_at": ready.clock.liability_starts_at if ready is not None and running else None,
            # The listing's order, cases without a running clock last (a null would sort first).
            "liability_order": ready.clock.liability_starts_at if ready is not None and running else NOT_RUNNING,
            "discharged_at": facts.discharge.discharged_at if facts.discharge else None,
            "opening": _OPENING.dump_python(case.opening, mode="json") if case.opening else None,
            "decisions": [_DECISION.dump_python(d, mode="json") for d in case.decisions],
            "active_decision": active.decision_type.value if active else None,
            "sms_cap_windows": sorted(case.sms_cap_windows),
            "sip_invitations": [_SIP.dump_python(i, mode="json") for i in case.sip_invitations],
            "sip_lapses_reported": sorted(case.sip_lapses_reported),
            # The SIP lapse timer: cases still waiting for an invitation, and when the wait ends.
            "sip_pending": sip_due is not None,
            "sip_due_at": sip_due,
            "team": case.stored_team(),  # team tokens list the cases of their teams
            "updated_at": datetime.now(UTC),
        }

    def from_document(self, doc: Document) -> Case:
        messages: dict[str, HospitalMessage] = {}
        receipts: dict[str, Receipt] = {}
        for item in doc.get("messages") or []:
            raw = dict(item)
            receipt = raw.pop("receipt", None)
            message = _MESSAGE.validate_python(raw)
            messages[message.message_id] = message
            if receipt:
                receipts[message.message_id] = _RECEIPT.validate_python(receipt)
        as_is: dict[str, Any] = {name: doc.get(name) for name in _AS_IS}
        return Case(
            case_id=str(doc["_id"]),
            person_ref=doc["person_ref"],
            **as_is,
            messages=messages,
            receipts=receipts,
            agreement_pins={
                str(p["message_id"]): (str(p["agreement_id"]), int(p["version"]))
                for p in doc.get("agreement_pins") or []
            },
            opening=_OPENING.validate_python(doc["opening"]) if doc.get("opening") else None,
            decisions=[_DECISION.validate_python(d) for d in doc.get("decisions") or []],
            sms_cap_windows={str(k) for k in doc.get("sms_cap_windows") or []},
            sip_invitations=[_SIP.validate_python(i) for i in doc.get("sip_invitations") or []],
            sip_lapses_reported={str(k) for k in doc.get("sip_lapses_reported") or []},
        )

    # --- wire ----------------------------------------------------------------------------------

    def to_wire(self, aggregate_id: str, event: object) -> Sequence[IntegrationEvent]:
        return to_wire(event)


def to_wire(event: object) -> list[IntegrationEvent]:
    """The wire contracts of one domain event (in order; most events map to exactly one).

    Fields go across by name (`trygg_shared.mapping`); only those named otherwise on the wire,
    or kept off it, are written here.
    """
    match event:
        case de.PlanningInformationReceived():
            fvk = event.fast_vardkontakt
            return [
                to_contract(
                    ev.PlanningInformationReceived,
                    event,
                    fast_vardkontakt_unit=fvk.unit_name if fvk else None,
                    fast_vardkontakt_phone=fvk.phone if fvk else None,
                )
            ]
        case de.ReadyForDischarge():
            return [to_contract(ev.ReadyForDischarge, event, event.clock)]
        case de.DecisionGranted():
            return _decision_granted(event)
        case de.DecisionChanged():
            return _decision_changed(event)
        case de.SmsCapReached():
            return [to_contract(ops.SmsCapReached, event, event.hit)]
    contract = _SAME_NAMES.get(type(event))
    if contract is None:
        raise TypeError(f"no wire contract for {type(event).__name__}")
    return [to_contract(contract, event)]


# Events whose fields all have the wire's names.
_SAME_NAMES: dict[type, type[IntegrationEvent]] = {
    de.AdmissionNoticed: ev.AdmissionNoticed,
    de.ReadyRevoked: ev.ReadyRevoked,
    de.Discharged: ev.Discharged,
    de.MessageCancelled: ev.MessageCancelled,
    de.LiabilityDaysCounted: ev.LiabilityDaysCounted,
    de.CaseOpened: ev.CaseOpened,
    de.DecisionEnded: ev.DecisionEnded,
    de.SipStatusChanged: ev.SipStatusChanged,
    de.SipDeadlineLapsed: ev.SipDeadlineLapsed,
}
# Kept off the case-events topic (old fields the contracts still read): the person's details travel on
# person-contacts, the relatives on relative-contacts.
_NO_PERSON: dict[str, Any] = {"person": None}
_NO_RELATIVES: dict[str, Any] = {"relatives": ()}


def _decision_granted(event: de.DecisionGranted) -> list[IntegrationEvent]:
    d, person = event.decision, event.person
    granted = to_contract(ev.DecisionGranted, d, event, **_NO_PERSON, **_NO_RELATIVES)
    # Always, even with nobody to inform: a new decision's list replaces the previous one's.
    contacts = _relative_contacts(event, d, (), d.granted_by, d.granted_at)
    if person is None or d.decision_type not in SERVICE_DECISIONS:
        return [granted, contacts]
    # The person's own details only to those who visit or show them; the identity only to billing.
    contact = to_contract(ev.PersonContactRegistered, d, event, person=person, registered_at=d.granted_at)
    subject = to_contract(
        ev.BillingSubjectRegistered,
        person,
        event,
        id_type=person.identity.id_type,
        identity_number=person.identity.value,
    )
    return [granted, contacts, contact, subject]


# The changes after which notification needs the relatives' new list.
_RELATIVES_TOUCHED = frozenset({ev.DecisionChangeKind.RELATIVES_CHANGED, ev.DecisionChangeKind.CONSENT_WITHDRAWN})


def _decision_changed(event: de.DecisionChanged) -> list[IntegrationEvent]:
    d = event.decision
    changed = to_contract(
        ev.DecisionChanged,
        event,
        d,
        consent_withdrawn_relative_ids=event.consent_withdrawn_from,
        **_NO_RELATIVES,
    )
    if _RELATIVES_TOUCHED.isdisjoint(changed.changes):
        return [changed]  # a longer or shorter decision: the relatives' numbers are not sent again
    return [changed, _relative_contacts(event, d, event.consent_withdrawn_from, event.changed_by, event.changed_at)]


def _relative_contacts(
    event: de.CaseEvent, d: Decision, withdrawn: tuple[str, ...], by: str, at: datetime
) -> ev.RelativeContactsChanged:
    return to_contract(
        ev.RelativeContactsChanged,
        event,
        d,
        relatives=_consented(d.relatives),
        consent_withdrawn_relative_ids=withdrawn,
        changed_by=by,
        changed_at=at,
    )


def _consented(relatives: tuple[Relative, ...]) -> tuple[ev.RelativeContact, ...]:
    """Only relatives the person agreed to inform leave referral: id, phone and language, no name."""
    return tuple(
        to_contract(
            ev.RelativeContact,
            r,
            consent_recorded_by=r.consent.recorded_by,
            consent_recorded_at=r.consent.recorded_at,
        )
        for r in relatives
        if r.consent is not None and r.phone is not None  # consent needs a phone (Relative.validate)
    )
