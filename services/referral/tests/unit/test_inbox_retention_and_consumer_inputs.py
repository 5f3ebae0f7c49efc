"""Inbox records expire without breaking idempotency or history; the events carry what consumers need."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

from referral_support import ApiHarness

from referral.entrypoints.lus_format import parse_lus
from referral.service_layer.intake import receive_hospital_message, sweep_inbox
from referral.service_layer.ports import Sender
from trygg_shared.contracts import referral as ev
from trygg_shared.contracts.topics import (
    REFERRAL_BILLING_SUBJECTS,
    REFERRAL_CASE_EVENTS,
    REFERRAL_PERSON_CONTACTS,
    REFERRAL_RELATIVE_CONTACTS,
)

OFFICER = {"Authorization": "Bearer dev-officer"}
PERSON = {"id_type": "personnummer", "id": "20121212-1212", "given_name": "Tolvan", "family_name": "Tolvansson"}


def send(api: ApiHarness, body: dict[str, Any], webhook_id: str) -> Any:
    sender = Sender("local-dev", "01")
    return asyncio.run(receive_hospital_message(api.referral.deps, sender, webhook_id, parse_lus(body)))


def ready_case(api: ApiHarness, lus_body: Any, webhook_id: str) -> str:
    """A new case from a ready-for-discharge message of its own episode; its case id."""
    body = lus_body("utskrivningsklar")
    body["episode"]["episode_id"] = f"TC-{uuid.uuid4().hex[:8]}"
    case_id: str = send(api, body, webhook_id).answer.case_id
    return case_id


def test_after_the_inbox_record_expires_a_repeat_gets_its_first_answer_and_the_history_stays(
    api: ApiHarness, lus_body: Any
) -> None:
    body = lus_body("utskrivningsklar")
    first = send(api, body, "w-expiring")
    published = len(api.events)
    api.clock.moment += timedelta(days=31)

    removed = asyncio.run(sweep_inbox(api.referral.deps, timedelta(days=30)))
    again = send(api, body, "w-expiring")

    assert removed == 1
    assert again.repeated is True
    assert again.answer == first.answer
    assert len(api.events) == published  # nothing new on the wire
    case = api.client.get(f"/cases/{first.answer.case_id}", headers=OFFICER).json()
    assert [(m["message_id"], m["applied"]) for m in case["messages"]] == [("w-expiring", True)]
    assert case["messages"][0]["received_at"] == "2026-11-23T10:00:00Z"


def test_unapplied_inbox_records_are_never_swept(api: ApiHarness, lus_body: Any) -> None:
    api.store.fail_next_save = True
    send(api, lus_body("utskrivningsklar"), "w-unapplied")
    api.clock.moment += timedelta(days=365)
    assert asyncio.run(sweep_inbox(api.referral.deps, timedelta(days=30))) == 0
    assert len(api.inbox.records) == 1


def test_a_hemgangsbeslut_grants_hours_and_its_changes_carry_them(api: ApiHarness) -> None:
    case_id = api.client.post("/cases", json={"reason": "already_at_home", "person": PERSON}, headers=OFFICER).json()[
        "case_id"
    ]
    relatives = [{"name": "Aino", "phone": "+358401234567", "language": "fi", "consent": True}]
    grant = {"decision_type": "hemgangsbeslut", "start_date": "2026-11-25", "hours_granted": 30, "team": "Team Väst"}
    decision = api.client.post(
        f"/cases/{case_id}/decisions", json={**grant, "relatives": relatives}, headers=OFFICER
    ).json()
    assert (decision["hours_granted"], decision["length_days"], decision["active"]) == (30, None, True)

    url = f"/cases/{case_id}/decisions/{decision['decision_id']}"
    changed = api.client.patch(url, json={"hours_granted": 40}, headers=OFFICER)

    assert changed.status_code == 200, changed.text
    granted = next(e for e in api.events if isinstance(e, ev.DecisionGranted))
    assert (granted.decision_type, granted.hours_granted, granted.team) == (
        ev.DecisionType.HEMGANGSBESLUT,
        30,
        "Team Väst",
    )
    assert granted.relatives == ()  # relatives go to notification only, on their own topic
    contacts = next(e for e in api.events if isinstance(e, ev.RelativeContactsChanged))
    assert [(r.phone, r.language) for r in contacts.relatives] == [("+358401234567", ev.Language.FI)]
    change = api.events[-1]  # more hours: the relatives' numbers are not sent again
    assert isinstance(change, ev.DecisionChanged)
    assert (change.changes, change.hours_granted, change.team, change.start_date.isoformat()) == (  # type: ignore[union-attr]
        (ev.DecisionChangeKind.EXTENDED,),
        40,
        "Team Väst",
        "2026-11-25",
    )


def test_hours_cannot_be_set_on_a_decision_that_grants_days(api: ApiHarness) -> None:
    case_id = api.client.post("/cases", json={"reason": "other", "person": PERSON}, headers=OFFICER).json()["case_id"]
    grant = {"decision_type": "trygg_hemgang", "start_date": "2026-11-25", "length_days": 10, "team": "Team Väst"}
    decision = api.client.post(f"/cases/{case_id}/decisions", json=grant, headers=OFFICER).json()
    url = f"/cases/{case_id}/decisions/{decision['decision_id']}"
    response = api.client.patch(url, json={"hours_granted": 10}, headers=OFFICER)
    assert response.status_code == 409
    assert "hemgångsbeslut" in response.json()["detail"]


def test_an_empty_change_changes_nothing_and_publishes_nothing(api: ApiHarness) -> None:
    case_id = api.client.post("/cases", json={"reason": "other", "person": PERSON}, headers=OFFICER).json()["case_id"]
    grant = {"decision_type": "trygg_hemgang", "start_date": "2026-11-25", "length_days": 10, "team": "Team Väst"}
    decision = api.client.post(f"/cases/{case_id}/decisions", json=grant, headers=OFFICER).json()
    published = len(api.events)
    response = api.client.patch(f"/cases/{case_id}/decisions/{decision['decision_id']}", json={}, headers=OFFICER)
    assert response.status_code == 200
    assert response.json()["changes"] == []
    assert len(api.events) == published


def test_withdrawn_consent_names_the_relatives_so_notification_stops_at_once(api: ApiHarness) -> None:
    case_id = api.client.post("/cases", json={"reason": "other", "person": PERSON}, headers=OFFICER).json()["case_id"]
    relatives = [
        {"name": "Karin", "phone": "+46701112233", "consent": True},
        {"name": "Bo", "phone": "+46709998877", "language": "en", "consent": True},
    ]
    grant = {"decision_type": "trygg_hemgang", "start_date": "2026-11-25", "length_days": 10, "team": "Team Väst"}
    decision = api.client.post(
        f"/cases/{case_id}/decisions", json={**grant, "relatives": relatives}, headers=OFFICER
    ).json()
    karin = decision["relatives"][0]["relative_id"]

    api.client.patch(
        f"/cases/{case_id}/decisions/{decision['decision_id']}", json={"withdraw_consent_of": [karin]}, headers=OFFICER
    )

    change, contacts = api.events[-2:]
    assert isinstance(change, ev.DecisionChanged)
    assert change.consent_withdrawn_relative_ids == (karin,)
    assert change.relatives == ()
    assert isinstance(contacts, ev.RelativeContactsChanged)
    assert contacts.consent_withdrawn_relative_ids == (karin,)
    assert [(r.phone, r.language) for r in contacts.relatives] == [("+46709998877", ev.Language.EN)]


def test_relatives_phone_numbers_go_only_to_the_relative_contacts_topic_never_to_case_events(
    api: ApiHarness, lus_body: Any
) -> None:
    case_id = ready_case(api, lus_body, "w-contacts")
    relatives = [
        {"name": "Karin", "phone": "+46701112233", "consent": True},
        {"name": "Bo", "phone": "+46709998877", "consent": False},
    ]
    grant = {"decision_type": "trygg_hemgang", "start_date": "2026-11-25", "length_days": 10, "team": "Team Väst"}
    decision = api.client.post(
        f"/cases/{case_id}/decisions", json={**grant, "relatives": relatives}, headers=OFFICER
    ).json()
    url = f"/cases/{case_id}/decisions/{decision['decision_id']}"
    api.client.patch(url, json={"length_days": 12}, headers=OFFICER)
    karin, bo = ({k: r[k] for k in ("relative_id", "name", "phone", "language")} for r in decision["relatives"])
    changed = api.client.patch(
        url, json={"relatives": [{**karin, "consent": True}, {**bo, "consent": True}]}, headers=OFFICER
    )
    assert changed.status_code == 200, changed.text

    by_topic: dict[str, list[Any]] = {}
    for e in api.events:
        by_topic.setdefault(e.TOPIC, []).append(e)
    assert set(by_topic) == {
        REFERRAL_CASE_EVENTS,
        REFERRAL_BILLING_SUBJECTS,
        REFERRAL_RELATIVE_CONTACTS,
        REFERRAL_PERSON_CONTACTS,
    }
    for e in by_topic[REFERRAL_CASE_EVENTS] + by_topic[REFERRAL_BILLING_SUBJECTS] + by_topic[REFERRAL_PERSON_CONTACTS]:
        dumped = e.model_dump_json()
        for relatives_data in ("+46701112233", "+46709998877", "Karin"):
            assert relatives_data not in dumped, (type(e).__name__, relatives_data)
    # One list with the grant, one with the change of relatives; none with the longer decision.
    lists = by_topic[REFERRAL_RELATIVE_CONTACTS]
    assert [[r.phone for r in e.relatives] for e in lists] == [["+46701112233"], ["+46701112233", "+46709998877"]]
    assert "Karin" not in lists[0].model_dump_json()  # no names: messages do not use them
    assert all(e.partition_key() == case_id for e in lists)


def test_the_persons_own_name_address_and_phone_go_only_to_the_person_contacts_topic(
    api: ApiHarness, lus_body: Any
) -> None:
    case_id = ready_case(api, lus_body, "w-person")
    grant = {"decision_type": "trygg_hemgang", "start_date": "2026-11-25", "length_days": 10, "team": "Team Väst"}
    decision = api.client.post(f"/cases/{case_id}/decisions", json=grant, headers=OFFICER).json()
    ended = api.client.post(
        f"/cases/{case_id}/decisions/{decision['decision_id']}/end",
        json={"end_date": "2026-11-30", "reason": "ended_early"},
        headers=OFFICER,
    )
    assert ended.status_code == 200, ended.text

    registered = [e for e in api.events if isinstance(e, ev.PersonContactRegistered)]
    assert len(registered) == 1  # with the granting decision, not with its end
    contact = registered[0]
    assert contact.TOPIC == REFERRAL_PERSON_CONTACTS
    assert contact.partition_key() == case_id
    assert contact.decision_id == decision["decision_id"]
    assert contact.person.address is not None
    assert contact.person.phone
    personal = (
        contact.person.given_name,
        contact.person.family_name,
        contact.person.address.street,
        contact.person.phone,
    )
    for e in api.events:
        if e.TOPIC in (REFERRAL_PERSON_CONTACTS, REFERRAL_BILLING_SUBJECTS):
            continue  # billing's statements need the name and the postal address (no phone)
        dumped = e.model_dump_json()
        for value in personal:
            assert value not in dumped, (type(e).__name__, "carries the person's own details")


def test_a_declined_decision_sends_no_person_contact(api: ApiHarness, lus_body: Any) -> None:
    case_id = ready_case(api, lus_body, "w-declined")
    declined = {"decision_type": "declined"}
    response = api.client.post(f"/cases/{case_id}/decisions", json=declined, headers=OFFICER)
    assert response.status_code == 201, response.text

    assert not [e for e in api.events if isinstance(e, ev.PersonContactRegistered)]


def test_a_case_opened_without_a_hospital_message_says_when_and_why(api: ApiHarness) -> None:
    api.client.post("/cases", json={"reason": "declined_home_care", "person": PERSON}, headers=OFFICER)
    opened = api.events[-1]
    assert isinstance(opened, ev.CaseOpened)
    assert opened.reason is ev.CaseOpenedReason.DECLINED_HOME_CARE
    assert opened.opened_at == api.clock.moment


def test_the_billing_subject_carries_identity_and_address_and_no_phone_number_or_relative(
    api: ApiHarness, lus_body: Any
) -> None:
    case_id = ready_case(api, lus_body, "w-subject")
    relatives = [{"name": "Karin", "phone": "+46701112233", "consent": True}]
    grant = {"decision_type": "trygg_hemgang", "start_date": "2026-11-25", "length_days": 10, "team": "Team Väst"}
    api.client.post(f"/cases/{case_id}/decisions", json={**grant, "relatives": relatives}, headers=OFFICER)

    subject = next(e for e in api.events if isinstance(e, ev.BillingSubjectRegistered))
    dumped = subject.model_dump_json()
    assert subject.identity_number == "194010092387"
    assert subject.address is not None
    assert "+46" not in dumped
    assert "Karin" not in dumped
    assert not {"phone", "relatives", "person"} & _property_names(ev.BillingSubjectRegistered.model_json_schema())


def _property_names(schema: Any) -> set[str]:
    """Every property name anywhere in a JSON Schema (nested definitions included)."""
    found: set[str] = set()
    if isinstance(schema, dict):
        found |= set(schema.get("properties", {}))
        for value in schema.values():
            found |= _property_names(value)
    elif isinstance(schema, list):
        for item in schema:
            found |= _property_names(item)
    return found
