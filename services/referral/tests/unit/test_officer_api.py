"""The officers' API: roles, decisions and their rules, automatic endings, audited reads."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Any

import pytest

from referral.entrypoints.lus_format import parse_lus
from referral.service_layer.intake import receive_hospital_message
from referral.service_layer.ports import Sender
from trygg_shared.contracts import referral as ev

OFFICER, TEAM, ONCALL, OPS = "officer", "team", "oncall", "ops"

PERSON = {
    "id_type": "personnummer",
    "id": "20121212-1212",
    "given_name": "Tolvan",
    "family_name": "Tolvansson",
    "address": {"street": "Exempelvägen 1", "postal_code": "17741", "city": "Järfälla", "municipality_code": "0123"},
}
GRANT = {
    "decision_type": "trygg_hemgang",
    "start_date": "2026-11-25",
    "length_days": 14,
    "team": "Team Väst",
    "hemtjanst_evenings_nights_weekends": True,
    "relatives": [{"name": "Karin", "phone": "+46701112233", "consent": True}],
}


def hospital_case(api: Any, lus_body: Any, *types: str, episode: str | None = None, **fields: Any) -> str:
    """Send hospital messages through the intake use case; returns the case id."""
    episode = episode or f"TC-{uuid.uuid4().hex[:8]}"
    case_id = ""
    for message_type in types or ("utskrivningsklar",):
        body = lus_body(message_type, **fields.get(message_type, {}))
        body["episode"]["episode_id"] = episode
        result = asyncio.run(
            receive_hospital_message(api.referral.deps, Sender("local-dev", "01"), uuid.uuid4().hex, parse_lus(body))
        )
        case_id = result.answer.case_id
    return case_id


def open_case(api: Any) -> str:
    response = api.client.post(
        "/cases", json={"reason": "already_at_home", "person": PERSON}, headers=api.as_role(OFFICER)
    )
    assert response.status_code == 201, response.text
    return str(response.json()["case_id"])


# --- who may do what --------------------------------------------------------------------------

ENDPOINTS = [
    ("POST", "/cases", {"reason": "already_at_home", "person": PERSON}, {OFFICER}),
    ("GET", "/cases", None, {OFFICER, TEAM, ONCALL}),
    ("GET", "/cases/{case_id}", None, {OFFICER, TEAM, ONCALL}),
    ("POST", "/cases/{case_id}/decisions", GRANT, {OFFICER}),
    ("PATCH", "/cases/{case_id}/decisions/{decision_id}", {"length_days": 10}, {OFFICER}),
    ("POST", "/cases/{case_id}/decisions/{decision_id}/end", {"end_date": "2026-11-30"}, {OFFICER}),
    ("GET", "/audit?case_id={case_id}", None, {OPS}),
]


@pytest.mark.parametrize(("method", "path", "body", "allowed"), ENDPOINTS, ids=[f"{m} {p}" for m, p, _, _ in ENDPOINTS])
@pytest.mark.parametrize("role", [OFFICER, TEAM, ONCALL, OPS])
def test_each_role_may_use_exactly_its_endpoints(
    api: Any, method: str, path: str, body: Any, allowed: set[str], role: str
) -> None:
    case_id = open_case(api)
    granted = api.client.post(f"/cases/{case_id}/decisions", json=GRANT, headers=api.as_role(OFFICER))
    url = path.format(case_id=case_id, decision_id=granted.json()["decision_id"])
    if "decisions" in path and method == "POST" and "end" not in path:
        url = url.replace(case_id, open_case(api))  # a fresh case for a new decision

    response = api.client.request(method, url, json=body, headers=api.as_role(role))

    if role in allowed:
        assert response.status_code in (200, 201), response.text
    else:
        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(("method", "path", "body", "allowed"), ENDPOINTS, ids=[f"{m} {p}" for m, p, _, _ in ENDPOINTS])
@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", "Basic ZGV2OmRldg==", "Bearer "])
def test_without_a_valid_token_every_endpoint_answers_401(
    api: Any, method: str, path: str, body: Any, allowed: set[str], authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = api.client.request(method, path.format(case_id="c", decision_id="d"), json=body, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.headers["content-type"] == "application/problem+json"


# --- opening a case without a hospital message ---------------------------------------------------


def test_an_officer_opens_a_case_for_a_person_already_at_home(api: Any) -> None:
    case_id = open_case(api)
    case = api.client.get(f"/cases/{case_id}", headers=api.as_role(OFFICER)).json()
    assert case["status"] == "opened"
    assert case["opened_without_message"] is True
    assert [type(e) for e in api.events] == [ev.CaseOpened]


def test_an_invalid_identity_number_is_refused_without_echoing_it(api: Any) -> None:
    person = {**PERSON, "id": "20121212-1213"}
    response = api.client.post("/cases", json={"reason": "other", "person": person}, headers=api.as_role(OFFICER))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "person.id"
    assert "20121212" not in response.text


# --- decisions ------------------------------------------------------------------------------------


def test_a_trygg_hemgang_decision_publishes_what_scheduling_notification_and_billing_need(
    api: Any, lus_body: Any
) -> None:
    case_id = hospital_case(api, lus_body, "inskrivningsmeddelande", "utskrivningsklar")
    response = api.client.post(f"/cases/{case_id}/decisions", json=GRANT, headers=api.as_role(OFFICER))

    assert response.status_code == 201, response.text
    decision = response.json()
    assert decision["end_date"] == "2026-12-08"
    assert decision["granted_by"] == "officer:dev"
    assert decision["relatives"][0]["consent_recorded_by"] == "officer:dev"
    granted = next(e for e in api.events if isinstance(e, ev.DecisionGranted))
    assert granted.team == "Team Väst"
    assert granted.hemtjanst_evenings_nights_weekends is True
    assert granted.person is None  # the person's own details go to scheduling and the console only
    assert granted.relatives == ()  # relatives' phones go to notification only, on their own topic
    contact = next(e for e in api.events if isinstance(e, ev.PersonContactRegistered))
    assert contact.person.address is not None
    assert (contact.decision_id, contact.decision_type) == (granted.decision_id, ev.DecisionType.TRYGG_HEMGANG)
    assert contact.TOPIC not in (granted.TOPIC, ev.BillingSubjectRegistered.TOPIC)
    assert "19401009" not in contact.model_dump_json()
    contacts = next(e for e in api.events if isinstance(e, ev.RelativeContactsChanged))
    assert [r.consent_recorded_by for r in contacts.relatives] == ["officer:dev"]
    assert contacts.TOPIC not in (granted.TOPIC, ev.BillingSubjectRegistered.TOPIC)
    assert "19401009" not in granted.model_dump_json()  # the identity number goes to billing only
    subject = next(e for e in api.events if isinstance(e, ev.BillingSubjectRegistered))
    assert subject.identity_number == "194010092387"
    assert subject.TOPIC != granted.TOPIC


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"length_days": 15}, "trygg_hemgang.length_days"),  # the profile's maximum is 14
        ({"team": "Team Öst"}, "trygg_hemgang.team"),  # not one of the profile's teams
        ({"start_date": None}, "trygg_hemgang.start_date"),
        ({"relatives": [{"name": "Bo", "consent": True}]}, "trygg_hemgang.relatives.0.ConsentingRelativeIn.phone"),
        ({"relatives": [{"name": "Bo", "phone": "ring 070 123"}]}, "trygg_hemgang.relatives.0.RelativeIn.phone"),
        ({"decision_type": "declined", "length_days": None, "start_date": None}, "declined.team"),  # no service
        ({"decision_type": "hemgangsbeslut"}, "hemgangsbeslut.hours_granted"),
        ({"hours_granted": 20}, "trygg_hemgang.hours_granted"),  # only a hemgångsbeslut grants hours
    ],
)
def test_a_decision_that_breaks_a_rule_is_refused_naming_the_field(
    api: Any, change: dict[str, Any], field: str
) -> None:
    case_id = open_case(api)
    response = api.client.post(f"/cases/{case_id}/decisions", json={**GRANT, **change}, headers=api.as_role(OFFICER))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]], response.json()["errors"]
    assert api.events == [ev.CaseOpened.model_validate(api.events[0].model_dump())]  # nothing decided


@pytest.mark.parametrize("decision_type", ["hemtjanst_only", "short_term_stay", "declined", "refused"])
def test_the_other_outcomes_can_be_recorded(api: Any, decision_type: str) -> None:
    case_id = open_case(api)
    body = {"decision_type": decision_type}
    if decision_type in ("hemtjanst_only", "short_term_stay"):
        body["start_date"] = "2026-11-25"
    response = api.client.post(f"/cases/{case_id}/decisions", json=body, headers=api.as_role(OFFICER))
    assert response.status_code == 201, response.text
    assert response.json()["active"] is (decision_type in ("hemtjanst_only", "short_term_stay"))


def test_a_second_decision_while_one_is_active_is_a_conflict(api: Any) -> None:
    case_id = open_case(api)
    api.client.post(f"/cases/{case_id}/decisions", json=GRANT, headers=api.as_role(OFFICER))
    response = api.client.post(f"/cases/{case_id}/decisions", json=GRANT, headers=api.as_role(OFFICER))
    assert response.status_code == 409


def test_no_decision_on_a_cancelled_case(api: Any, lus_body: Any) -> None:
    episode = f"TC-{uuid.uuid4().hex[:8]}"

    def send(body: dict[str, Any], webhook_id: str) -> str:
        body["episode"]["episode_id"] = episode
        sender = Sender("local-dev", "01")
        result = asyncio.run(receive_hospital_message(api.referral.deps, sender, webhook_id, parse_lus(body)))
        return result.answer.case_id

    case_id = send(lus_body("inskrivningsmeddelande"), "adm-1")
    send(lus_body("makulering", cancels_message_id="adm-1"), "cancel-1")

    response = api.client.post(f"/cases/{case_id}/decisions", json=GRANT, headers=api.as_role(OFFICER))
    assert response.status_code == 409
    assert "cancelled" in response.json()["detail"]


def test_an_officer_extends_shortens_and_ends_a_decision(api: Any) -> None:
    case_id = open_case(api)
    decision = api.client.post(
        f"/cases/{case_id}/decisions", json={**GRANT, "length_days": 5}, headers=api.as_role(OFFICER)
    ).json()
    url = f"/cases/{case_id}/decisions/{decision['decision_id']}"

    extended = api.client.patch(url, json={"length_days": 10}, headers=api.as_role(OFFICER)).json()
    shortened = api.client.patch(url, json={"length_days": 7}, headers=api.as_role(OFFICER)).json()
    ended = api.client.post(f"{url}/end", json={"end_date": "2026-11-28"}, headers=api.as_role(OFFICER)).json()

    assert (extended["end_date"], shortened["end_date"], ended["end_date"]) == (
        "2026-12-04",
        "2026-12-01",
        "2026-11-28",
    )
    assert ended["active"] is False
    changed = [e for e in api.events if isinstance(e, ev.DecisionChanged)]
    assert [c.changes for c in changed] == [(ev.DecisionChangeKind.EXTENDED,), (ev.DecisionChangeKind.SHORTENED,)]
    assert isinstance(api.events[-1], ev.DecisionEnded)
    again = api.client.patch(url, json={"length_days": 9}, headers=api.as_role(OFFICER))
    assert again.status_code == 409  # the decision has ended: a conflict with its state
    assert again.headers["content-type"] == "application/problem+json"
    ended_again = api.client.post(f"{url}/end", json={"end_date": "2026-11-27"}, headers=api.as_role(OFFICER))
    assert ended_again.status_code == 409


def test_withdrawn_consent_is_published_and_the_relative_stays_without_it(api: Any) -> None:
    case_id = open_case(api)
    decision = api.client.post(f"/cases/{case_id}/decisions", json=GRANT, headers=api.as_role(OFFICER)).json()
    relative_id = decision["relatives"][0]["relative_id"]
    url = f"/cases/{case_id}/decisions/{decision['decision_id']}"

    changed = api.client.patch(url, json={"withdraw_consent_of": [relative_id]}, headers=api.as_role(OFFICER)).json()

    assert changed["relatives"][0]["consent"] is False
    event, contacts = api.events[-2:]
    assert isinstance(event, ev.DecisionChanged)
    assert event.changes == (ev.DecisionChangeKind.CONSENT_WITHDRAWN,)
    assert event.consent_withdrawn_relative_ids == (relative_id,)
    assert isinstance(contacts, ev.RelativeContactsChanged)
    assert contacts.relatives == ()  # without consent, the relative's phone no longer leaves referral
    assert contacts.consent_withdrawn_relative_ids == (relative_id,)


def test_a_discharge_to_deceased_ends_the_active_decision(api: Any, lus_body: Any) -> None:
    episode = f"TC-{uuid.uuid4().hex[:8]}"
    case_id = hospital_case(api, lus_body, "utskrivningsklar", episode=episode)
    api.client.post(f"/cases/{case_id}/decisions", json=GRANT, headers=api.as_role(OFFICER))
    hospital_case(
        api, lus_body, "utskrivningsmeddelande", episode=episode, utskrivningsmeddelande={"destination": "deceased"}
    )
    ended = [e for e in api.events if isinstance(e, ev.DecisionEnded)]
    assert [e.reason for e in ended] == [ev.DecisionEndReason.DECEASED]


def test_readmission_within_30_days_is_flagged_and_ends_the_earlier_trygg_hemgang(api: Any, lus_body: Any) -> None:
    first = hospital_case(api, lus_body, "utskrivningsklar", "utskrivningsmeddelande")
    api.client.post(f"/cases/{first}/decisions", json=GRANT, headers=api.as_role(OFFICER))
    second = hospital_case(
        api,
        lus_body,
        "inskrivningsmeddelande",
        inskrivningsmeddelande={"sent_at": "2026-11-28T10:00:00+01:00", "expected_discharge_date": "2026-12-03"},
    )
    noticed = [e for e in api.events if isinstance(e, ev.AdmissionNoticed) and e.case_id == second]
    assert noticed[0].readmission_of_case_id == first
    ended = [e for e in api.events if isinstance(e, ev.DecisionEnded)]
    assert [(e.case_id, e.reason) for e in ended] == [(first, ev.DecisionEndReason.READMITTED)]


# --- reading cases, audited ------------------------------------------------------------------------


def test_reading_a_case_shows_its_message_history_and_writes_an_audit_record(api: Any, lus_body: Any) -> None:
    case_id = hospital_case(api, lus_body, "inskrivningsmeddelande", "planeringsunderlag", "utskrivningsklar")
    case = api.client.get(f"/cases/{case_id}", headers=api.as_role(OFFICER)).json()

    assert [m["message_type"] for m in case["messages"]] == [
        "inskrivningsmeddelande",
        "planeringsunderlag",
        "utskrivningsklar",
    ]
    assert case["person"]["id"] == "194010092387"
    assert case["liability"]["liability_starts_at"] == "2026-11-25T23:00:00Z"
    trail = api.client.get(f"/audit?case_id={case_id}", headers=api.as_role(OPS)).json()
    assert [(r["actor"], r["action"]) for r in trail] == [("officer:dev", "read_case")]
    assert "identity_number" in trail[0]["fields"]


def test_when_the_audit_record_cannot_be_written_no_personal_data_is_shown(api: Any) -> None:
    case_id = open_case(api)
    api.audit.available = False
    response = api.client.get(f"/cases/{case_id}", headers=api.as_role(OFFICER))
    assert response.status_code == 503
    assert "Tolvan" not in response.text


def test_cases_are_listed_soonest_liability_first_and_the_listing_is_audited(api: Any, lus_body: Any) -> None:
    later = hospital_case(api, lus_body, utskrivningsklar={"ready_at": "2026-11-24T13:00:00+01:00"})
    sooner = hospital_case(api, lus_body)
    open_case(api)

    listed = api.client.get("/cases?liability_running=true", headers=api.as_role(ONCALL)).json()

    assert [c["case_id"] for c in listed] == [sooner, later]
    kept = api.audit.records[-2:]  # one record per case shown, of one read
    assert [r.case_ids for r in kept] == [(sooner,), (later,)]
    assert kept[0].read_id == kept[1].read_id
    by_status = api.client.get("/cases?status=opened", headers=api.as_role(OFFICER)).json()
    assert [c["status"] for c in by_status] == ["opened"]


def test_the_liability_clocks_metrics_count_undecided_clocks_and_the_least_time_left(api: Any, lus_body: Any) -> None:
    def gauges() -> dict[str, float]:
        text = api.client.get("/metrics").text
        return {
            line.split()[0]: float(line.split()[1])
            for line in text.splitlines()
            if line.startswith("trygg_referral_liability")
        }

    assert gauges()["trygg_referral_liability_undecided_least_seconds_left"] == float("inf")
    sooner = hospital_case(api, lus_body)
    hospital_case(api, lus_body, utskrivningsklar={"ready_at": "2026-11-24T13:00:00+01:00"})
    before = gauges()
    assert before["trygg_referral_liability_clocks_running"] == 2
    assert before["trygg_referral_liability_clocks_undecided"] == 2
    [soonest] = api.client.get("/cases?liability_running=true", headers=api.as_role(ONCALL)).json()[:1]
    assert soonest["case_id"] == sooner
    starts = datetime.fromisoformat(soonest["liability_starts_at"])
    expected = (starts - api.clock.now()).total_seconds()
    assert before["trygg_referral_liability_undecided_least_seconds_left"] == pytest.approx(expected)

    granted = api.client.post(f"/cases/{sooner}/decisions", json=GRANT, headers=api.as_role(OFFICER))
    assert granted.status_code == 201, granted.text
    after = gauges()
    assert after["trygg_referral_liability_clocks_undecided"] == 1
    assert after["trygg_referral_liability_undecided_least_seconds_left"] > expected


def test_an_unknown_case_is_404(api: Any) -> None:
    assert api.client.get("/cases/nope", headers=api.as_role(OFFICER)).status_code == 404


def test_a_death_before_the_decision_starts_ends_it_without_losing_the_discharge(api: Any, lus_body: Any) -> None:
    episode = f"TC-{uuid.uuid4().hex[:8]}"
    case_id = hospital_case(api, lus_body, "utskrivningsklar", episode=episode)
    api.client.post(
        f"/cases/{case_id}/decisions", json={**GRANT, "start_date": "2026-11-28"}, headers=api.as_role(OFFICER)
    )
    hospital_case(
        api, lus_body, "utskrivningsmeddelande", episode=episode, utskrivningsmeddelande={"destination": "deceased"}
    )  # discharged (deceased) on 2026-11-25, before the decision's start

    case = api.client.get(f"/cases/{case_id}", headers=api.as_role(OFFICER)).json()
    assert case["status"] == "deceased"
    assert case["decisions"][0]["ending"]["end_date"] == "2026-11-27"  # zero days of service
    assert any(isinstance(e, ev.Discharged) for e in api.events)


def test_a_readmission_follow_up_lost_in_a_crash_is_redone_when_the_message_is_applied_again(
    api: Any, lus_body: Any
) -> None:
    from referral.service_layer.intake import apply_pending

    first = hospital_case(api, lus_body, "utskrivningsklar", "utskrivningsmeddelande")
    api.client.post(f"/cases/{first}/decisions", json=GRANT, headers=api.as_role(OFFICER))
    original = api.store.save
    calls = {"n": 0}

    async def save_then_die(*args: Any, **kwargs: Any) -> Any:  # the new case is saved, then the process "dies"
        calls["n"] += 1
        if calls["n"] == 2:
            raise ConnectionError("process died")
        return await original(*args, **kwargs)

    api.store.save = save_then_die  # type: ignore[method-assign]
    hospital_case(
        api,
        lus_body,
        "inskrivningsmeddelande",
        inskrivningsmeddelande={"sent_at": "2026-11-28T10:00:00+01:00", "expected_discharge_date": "2026-12-03"},
    )
    assert not [e for e in api.events if isinstance(e, ev.DecisionEnded)]

    api.store.save = original  # type: ignore[method-assign]
    api.clock.moment = api.clock.moment.replace(year=2027)
    asyncio.run(apply_pending(api.referral.deps, {"local-dev": "01"}, older_than=__import__("datetime").timedelta(0)))
    ended = [e for e in api.events if isinstance(e, ev.DecisionEnded)]
    assert [(e.case_id, e.reason) for e in ended] == [(first, ev.DecisionEndReason.READMITTED)]


def test_only_relatives_with_consent_leave_referral_in_events_and_decisions_are_audited(api: Any) -> None:
    case_id = open_case(api)
    relatives = [
        {"name": "Karin", "phone": "+46701112233", "consent": True},
        {"name": "Bo", "phone": "+46709998877", "consent": False},
    ]
    response = api.client.post(
        f"/cases/{case_id}/decisions", json={**GRANT, "relatives": relatives}, headers=api.as_role(OFFICER)
    )

    assert [r["name"] for r in response.json()["relatives"]] == ["Karin", "Bo"]  # the officer sees both
    contacts = next(e for e in api.events if isinstance(e, ev.RelativeContactsChanged))
    assert [r.phone for r in contacts.relatives] == ["+46701112233"]
    assert all("+46709998877" not in e.model_dump_json() for e in api.events)
    assert api.audit.records[-1].action == "decide"
    assert api.audit.records[-1].fields == ("relatives",)


def test_a_case_with_a_long_address_from_the_hospital_can_still_be_read(api: Any, lus_body: Any) -> None:
    body = lus_body("utskrivningsklar")
    body["patient"]["address"]["city"] = "Å" * 150  # the LUS format allows 200 characters
    case_id = hospital_case(api, lus_body, utskrivningsklar={"patient": body["patient"]})
    response = api.client.get(f"/cases/{case_id}", headers=api.as_role(OFFICER))
    assert response.status_code == 200


# --- need to know: each role sees what its work needs ----------------------------------------------

PERSON_CONTACT = {"person.given_name", "person.family_name", "person.address", "person.phone"}
# The role-by-field table of `GET /cases/{id}` (README: "Need to know").
CASE_FIELDS_BY_ROLE = {
    OFFICER: {
        "person.id",
        "person.id_type",
        *PERSON_CONTACT,
        "needs_summary",
        "aids",
        "decisions.relatives",
        "decisions.notes",
        "messages",
        "liability",
        "episode_id",
        "care_unit",
    },
    TEAM: {*PERSON_CONTACT, "status", "expected_discharge_date", "discharged_at", "plan.start_date", "plan.team"},
    ONCALL: {*PERSON_CONTACT, "status", "decision", "team", "liability_starts_at"},
}
NEVER_FOR = {
    TEAM: {"person.id", "person.id_type", "needs_summary", "aids", "relatives", "notes", "messages", "liability"},
    ONCALL: {"person.id", "needs_summary", "aids", "relatives", "plan", "decisions", "messages", "notes"},
}


def _paths(value: Any, prefix: str = "") -> set[str]:
    """Every field path in a JSON body (`person.address`, `decisions.relatives`), lists flattened."""
    found: set[str] = set()
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, dict):
            for key, inner in item.items():
                path = f"{prefix}{key}"
                found.add(path)
                found |= _paths(inner, f"{path}.")
    return found


@pytest.mark.parametrize("role", [OFFICER, TEAM, ONCALL])
def test_each_role_reads_only_the_fields_of_a_case_its_work_needs(api: Any, lus_body: Any, role: str) -> None:
    case_id = hospital_case(api, lus_body, "planeringsunderlag", "utskrivningsklar")
    granted = api.client.post(f"/cases/{case_id}/decisions", json=GRANT, headers=api.as_role(OFFICER))
    assert granted.status_code == 201, granted.text

    response = api.client.get(f"/cases/{case_id}", headers=api.as_role(role))

    assert response.status_code == 200
    body = response.json()
    assert body["view"] == role
    fields = _paths(body)
    assert CASE_FIELDS_BY_ROLE[role] <= fields
    forbidden = {f for f in fields for never in NEVER_FOR.get(role, ()) if f == never or f.endswith("." + never)}
    assert forbidden == set()
    if role != OFFICER:  # nor anywhere in the body: identity number, relatives' names and phones, needs
        for secret in ("194010092387", "Karin", "+46701112233", lus_body("planeringsunderlag")["needs_summary"]):
            assert secret not in response.text
    trail = api.client.get(f"/audit?case_id={case_id}", headers=api.as_role(OPS)).json()
    read = next(r for r in trail if r["action"] == "read_case")
    assert ("identity_number" in read["fields"]) is (role == OFFICER)


def test_the_openapi_document_describes_each_roles_view_of_a_case(api: Any) -> None:
    schema = api.client.get("/openapi.json").json()
    answer = schema["paths"]["/cases/{case_id}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    refs = {ref["$ref"].rsplit("/", 1)[-1] for ref in answer["oneOf"]}

    assert refs == {"CaseDetail", "TeamCaseView", "OnCallCaseView"}
    assert "id" not in schema["components"]["schemas"]["ContactOut"]["properties"]
