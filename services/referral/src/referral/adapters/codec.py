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
from referral.domain.decision import Decision, Relative
from referral.domain.liability import AgreementTable
from referral.domain.messages import Address, CareUnit, HospitalMessage, Patient
from trygg_shared.contracts import referral as ev
from trygg_shared.contracts.base import IntegrationEvent
from trygg_shared.mongo import Document

_MESSAGE = TypeAdapter(HospitalMessage)
_OPENING = TypeAdapter(Opening)
_DECISION = TypeAdapter(Decision)
_RECEIPT = TypeAdapter(Receipt)
NOT_RUNNING = datetime(9999, 12, 31, tzinfo=UTC)


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
        return {
            "person_ref": case.person_ref,
            "sender_id": case.sender_id,
            "episode_id": case.episode_id,
            "region_code": case.region_code,
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
            "readmission_of_case_id": case.readmission_of_case_id,
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
        return Case(
            case_id=str(doc["_id"]),
            person_ref=doc["person_ref"],
            sender_id=doc.get("sender_id"),
            episode_id=doc.get("episode_id"),
            region_code=doc.get("region_code"),
            messages=messages,
            receipts=receipts,
            agreement_pins={
                str(p["message_id"]): (str(p["agreement_id"]), int(p["version"]))
                for p in doc.get("agreement_pins") or []
            },
            readmission_of_case_id=doc.get("readmission_of_case_id"),
            opening=_OPENING.validate_python(doc["opening"]) if doc.get("opening") else None,
            decisions=[_DECISION.validate_python(d) for d in doc.get("decisions") or []],
        )

    # --- wire ----------------------------------------------------------------------------------

    def to_wire(self, aggregate_id: str, event: object) -> Sequence[IntegrationEvent]:
        return to_wire(event)


def to_wire(event: object) -> list[IntegrationEvent]:
    """The wire contracts of one domain event (in order; most events map to exactly one)."""
    match event:
        case de.AdmissionNoticed():
            return [
                ev.AdmissionNoticed(
                    **_common(event),
                    episode_id=event.episode_id,
                    care_unit=_care_unit(event.care_unit),
                    care_type=ev.CareType(event.care_type.value),
                    admitted_at=event.admitted_at,
                    expected_discharge_date=event.expected_discharge_date,
                    municipality_code=event.municipality_code,
                    readmission_of_case_id=event.readmission_of_case_id,
                )
            ]
        case de.PlanningInformationReceived():
            fvk = event.fast_vardkontakt
            return [
                ev.PlanningInformationReceived(
                    **_common(event),
                    expected_discharge_date=event.expected_discharge_date,
                    aids=event.aids,
                    medication_list_attached=event.medication_list_attached,
                    has_needs_summary=event.has_needs_summary,
                    fast_vardkontakt_unit=fvk.unit_name if fvk else None,
                    fast_vardkontakt_phone=fvk.phone if fvk else None,
                )
            ]
        case de.ReadyForDischarge():
            clock = event.clock
            return [
                ev.ReadyForDischarge(
                    **_common(event),
                    episode_id=event.episode_id,
                    care_unit=_care_unit(event.care_unit),
                    care_type=ev.CareType(event.care_type.value),
                    ready_at=event.ready_at,
                    planned_discharge_at=event.planned_discharge_at,
                    liability_starts_at=clock.liability_starts_at,
                    agreement_id=clock.agreement_id,
                    agreement_version=clock.agreement_version,
                    daily_price_sek=event.daily_price_sek,
                    municipality_code=event.municipality_code,
                    counting_ready_at=event.counting_ready_at,
                )
            ]
        case de.ReadyRevoked():
            return [
                ev.ReadyRevoked(
                    **_common(event),
                    revoked_at=event.revoked_at,
                    ready_at=event.ready_at,
                    liable_days=event.liable_days,
                    counting_ready_at=event.counting_ready_at,
                )
            ]
        case de.Discharged():
            return [
                ev.Discharged(
                    **_common(event),
                    discharged_at=event.discharged_at,
                    destination=ev.Destination(event.destination.value) if event.destination else None,
                    liable_days=event.liable_days,
                    daily_price_sek=event.daily_price_sek,
                    counting_ready_at=event.counting_ready_at,
                )
            ]
        case de.MessageCancelled():
            kind = event.cancelled_message_type
            return [
                ev.MessageCancelled(
                    **_common(event),
                    cancelled_message_id=event.cancelled_message_id,
                    cancelled_message_type=kind.value if kind else None,
                    counting_ready_at=event.counting_ready_at,
                )
            ]
        case de.CaseOpened():
            return [
                ev.CaseOpened(
                    **_common(event),
                    reason=ev.CaseOpenedReason(event.reason.value),
                    municipality_code=event.municipality_code,
                    opened_at=event.opened_at,
                )
            ]
        case de.DecisionGranted():
            return _decision_granted(event)
        case de.DecisionChanged():
            return _decision_changed(event)
        case de.DecisionEnded():
            return [
                ev.DecisionEnded(
                    **_common(event),
                    decision_id=event.decision_id,
                    end_date=event.end_date,
                    reason=ev.DecisionEndReason(event.reason.value),
                    ended_by=event.ended_by,
                    ended_at=event.ended_at,
                )
            ]
    raise TypeError(f"no wire contract for {type(event).__name__}")


def _common(event: de.CaseEvent) -> dict[str, Any]:
    return {"case_id": event.case_id, "person_ref": event.person_ref}


def _care_unit(unit: CareUnit) -> ev.CareUnit:
    return ev.CareUnit(hsa_id=unit.hsa_id, name=unit.name)


def _decision_granted(event: de.DecisionGranted) -> list[IntegrationEvent]:
    d, person = event.decision, event.person
    granted = ev.DecisionGranted(
        **_common(event),
        decision_id=d.decision_id,
        decision_type=ev.DecisionType(d.decision_type.value),
        start_date=d.start_date,
        length_days=d.length_days,
        end_date=d.end_date,
        team=d.team,
        hemtjanst_evenings_nights_weekends=d.hemtjanst_evenings_nights_weekends,
        granted_by=d.granted_by,
        granted_at=d.granted_at,
        hours_granted=d.hours_granted,
    )
    # Always, even with nobody to inform: a new decision's list replaces the previous one's.
    contacts = _relative_contacts(event, d, (), d.granted_by, d.granted_at)
    if person is None or not d.decision_type.grants_service:
        return [granted, contacts]
    # The person's own details only to those who visit or show them; the identity only to billing.
    contact = ev.PersonContactRegistered(
        **_common(event),
        decision_id=d.decision_id,
        decision_type=ev.DecisionType(d.decision_type.value),
        person=_person_contact(person),
        registered_at=d.granted_at,
    )
    subject = ev.BillingSubjectRegistered(
        **_common(event),
        id_type=person.identity.id_type.value,
        identity_number=person.identity.value,
        given_name=person.given_name,
        family_name=person.family_name,
        address=_address(person.address),
    )
    return [granted, contacts, contact, subject]


# The changes after which notification needs the relatives' new list.
_RELATIVES_TOUCHED = frozenset({ev.DecisionChangeKind.RELATIVES_CHANGED, ev.DecisionChangeKind.CONSENT_WITHDRAWN})


def _decision_changed(event: de.DecisionChanged) -> list[IntegrationEvent]:
    d = event.decision
    changes = tuple(ev.DecisionChangeKind(c) for c in event.changes)
    changed = ev.DecisionChanged(
        **_common(event),
        decision_id=d.decision_id,
        changes=changes,
        length_days=d.length_days,
        end_date=d.end_date,
        hemtjanst_evenings_nights_weekends=d.hemtjanst_evenings_nights_weekends,
        changed_by=event.changed_by,
        changed_at=event.changed_at,
        decision_type=ev.DecisionType(d.decision_type.value),
        start_date=d.start_date,
        team=d.team,
        hours_granted=d.hours_granted,
        consent_withdrawn_relative_ids=event.consent_withdrawn_from,
    )
    if _RELATIVES_TOUCHED.isdisjoint(changes):
        return [changed]  # a longer or shorter decision: the relatives' numbers are not sent again
    return [changed, _relative_contacts(event, d, event.consent_withdrawn_from, event.changed_by, event.changed_at)]


def _person_contact(patient: Patient) -> ev.PersonContact:
    return ev.PersonContact(
        given_name=patient.given_name,
        family_name=patient.family_name,
        address=_address(patient.address),
        phone=patient.phone,
    )


def _address(a: Address | None) -> ev.Address | None:
    if a is None:
        return None
    return ev.Address(street=a.street, postal_code=a.postal_code, city=a.city, municipality_code=a.municipality_code)


def _relative_contacts(
    event: de.CaseEvent, d: Decision, withdrawn: tuple[str, ...], by: str, at: datetime
) -> ev.RelativeContactsChanged:
    return ev.RelativeContactsChanged(
        **_common(event),
        decision_id=d.decision_id,
        relatives=_consented(d.relatives),
        consent_withdrawn_relative_ids=withdrawn,
        changed_by=by,
        changed_at=at,
    )


def _consented(relatives: tuple[Relative, ...]) -> tuple[ev.RelativeContact, ...]:
    """Only relatives the person agreed to inform leave referral: id, phone and language, no name."""
    return tuple(
        ev.RelativeContact(
            relative_id=r.relative_id,
            phone=r.phone,
            language=ev.Language(r.language.value),
            consent_recorded_by=r.consent.recorded_by,
            consent_recorded_at=r.consent.recorded_at,
        )
        for r in relatives
        if r.consent is not None and r.phone is not None  # consent needs a phone (Relative.validate)
    )
