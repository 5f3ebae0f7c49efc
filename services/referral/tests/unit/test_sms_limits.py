"""Limits on the texts a decision causes: the number allow-list, a cap per case and per officer and day."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from referral_support import ApiHarness

from referral.config import SmsSettings

from .test_officer_api import GRANT, OFFICER, OPS, hospital_case


def relatives(count: int, first: int = 0, **fields: Any) -> list[dict[str, Any]]:
    return [
        {"name": f"Relative {i}", "phone": f"+467011122{i:02d}", "consent": True, **fields}
        for i in range(first, first + count)
    ]


def grant(api: ApiHarness, case_id: str, rels: list[dict[str, Any]]) -> Any:
    return api.client.post(
        f"/cases/{case_id}/decisions", json={**GRANT, "relatives": rels}, headers=api.as_role(OFFICER)
    )


def cap_hits(api: ApiHarness) -> list[tuple[str, str]]:
    hits = api.client.get("/ops/sms-caps", headers=api.as_role(OPS)).json()
    return [(h["action"], h["case_ids"][0]) for h in hits]


@pytest.mark.parametrize(
    ("phone", "consent", "detail"),
    [
        ("+881612345678", True, "mobile"),  # Iridium satellite
        ("+870773111632", True, "mobile"),  # Inmarsat
        ("+46900123456", True, "mobile"),  # Swedish premium rate
        ("+4681234567", True, "mobile"),  # a fixed line: cannot get SMS
        ("08-123 456 78", True, "mobile"),  # the same, written the Swedish way
        ("+4915123456789", True, "mobile"),  # outside the Nordic countries
        ("0701 23", True, "not a valid"),
        ("070-000 00 0", True, "not a valid"),
        ("(123) 45 67", False, "not a valid"),  # without consent too: a number is kept only when it is one
    ],
)
def test_a_landline_an_invalid_number_or_one_off_the_allow_list_is_a_422_naming_the_field_not_echoing_it(
    api: Any, lus_body: Any, phone: str, consent: bool, detail: str
) -> None:
    case_id = hospital_case(api, lus_body)
    rels = [*relatives(1), {"name": "Far away", "phone": phone, "consent": consent}]

    response = grant(api, case_id, rels)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert [e["field"] for e in body["errors"]] == ["relatives.1.phone"]
    assert detail in body["detail"]
    assert phone not in response.text  # the number is personal data: never echoed
    assert phone.replace(" ", "") not in response.text.replace(" ", "")
    assert api.consents.entries == {}


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ("070-111 22 33", "+46701112233"),  # written the Swedish way
        ("0701112233", "+46701112233"),
        ("0046 70 111 22 33", "+46701112233"),
        ("+46 (0)70-111 22 33", "+46701112233"),
        ("+358 40 123 4567", "+358401234567"),  # a Finnish mobile, with its country code
    ],
)
def test_a_relatives_number_is_kept_in_e164_whatever_the_officer_wrote(
    api: Any, lus_body: Any, written: str, kept: str
) -> None:
    case_id = hospital_case(api, lus_body)

    response = grant(api, case_id, [{"name": "Karin", "phone": written, "consent": True}])

    assert response.status_code == 201, response.text
    assert [r["phone"] for r in response.json()["relatives"]] == [kept]
    case = api.client.get(f"/cases/{case_id}", headers=api.as_role(OFFICER)).json()
    assert [r["phone"] for r in case["decisions"][0]["relatives"]] == [kept]
    assert list(api.consents.entries) != []  # counted once, as any consent


def test_a_changed_decision_normalises_the_relatives_numbers_too(api: Any, lus_body: Any) -> None:
    case_id = hospital_case(api, lus_body)
    decision_id = grant(api, case_id, relatives(1)).json()["decision_id"]

    change = api.client.patch(
        f"/cases/{case_id}/decisions/{decision_id}",
        json={"relatives": [{"name": "New", "phone": "073-123 45 67", "consent": True}]},
        headers=api.as_role(OFFICER),
    )

    assert change.status_code == 200, change.text
    assert [r["phone"] for r in change.json()["relatives"]] == ["+46731234567"]


def test_a_relative_without_consent_may_have_any_number_and_a_nordic_mobile_may_consent(
    api: Any, lus_body: Any
) -> None:
    case_id = hospital_case(api, lus_body)
    rels = [
        {"name": "Never texted", "phone": "+881612345678", "consent": False},
        {"name": "Norway", "phone": "+4741234567", "consent": True},
        {"name": "Denmark", "phone": "+4520123456", "consent": True},
    ]

    assert grant(api, case_id, rels).status_code == 201


def test_more_consenting_relatives_than_the_cap_per_case_is_refused_and_ops_hears_of_it(
    api: Any, lus_body: Any
) -> None:
    """The report: three changes with ten relatives each sent 20 texts within seconds."""
    case_id = hospital_case(api, lus_body)
    granted = grant(api, case_id, relatives(5))
    assert granted.status_code == 201
    decision_id = granted.json()["decision_id"]

    for first in (10, 20, 30):
        change = api.client.patch(
            f"/cases/{case_id}/decisions/{decision_id}",
            json={"relatives": relatives(10, first)},
            headers=api.as_role(OFFICER),
        )
        assert change.status_code == 422, change.text
        assert [e["field"] for e in change.json()["errors"]] == ["relatives"]

    case = api.client.get(f"/cases/{case_id}", headers=api.as_role(OFFICER)).json()
    assert len(case["decisions"][0]["relatives"]) == 5  # unchanged
    assert cap_hits(api) == [("sms_cap_case", case_id)] * 3
    assert len(api.consents.entries) == 5


def test_an_officer_past_the_days_consents_gets_429_until_tomorrow_and_ops_hears_of_it(lus_body: Any) -> None:
    api = ApiHarness(sms=SmsSettings(officer_daily_consents=6))  # type: ignore[call-arg]
    first, second, third = (hospital_case(api, lus_body) for _ in range(3))
    assert grant(api, first, relatives(4)).status_code == 201

    refused = grant(api, second, relatives(3, 10))

    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert 0 < int(refused.headers["retry-after"]) <= 24 * 3600
    assert cap_hits(api) == [("sms_cap_officer_day", second)]
    assert len(api.consents.entries) == 4  # the refused change's consents do not count
    assert grant(api, second, relatives(2, 10)).status_code == 201  # up to the cap: 6

    api.clock.moment += timedelta(days=1)
    assert grant(api, third, relatives(3, 20)).status_code == 201


def test_consents_of_a_refused_decision_do_not_count_towards_the_officers_day(api: Any, lus_body: Any) -> None:
    case_id = hospital_case(api, lus_body)
    assert grant(api, case_id, relatives(2)).status_code == 201

    again = grant(api, case_id, relatives(3, 10))  # a decision is active already

    assert again.status_code == 409
    assert len(api.consents.entries) == 2


# --- the alert to ops: an event through the case's outbox, once per cap window, and a counter ------------


def cap_events(api: ApiHarness) -> list[dict[str, Any]]:
    return [e.model_dump(mode="json") for e in api.events if e.EVENT_TYPE.endswith("sms_cap_reached.v1")]


def cap_counter(api: ApiHarness, cap: str) -> float:
    sample = f'trygg_referral_sms_cap_hits_total{{cap="{cap}"}}'
    line = next((x for x in api.client.get("/metrics").text.splitlines() if x.startswith(sample)), None)
    return float(line.split()[-1]) if line else 0.0


def test_a_cap_hit_reaches_ops_as_one_event_per_window_without_personal_data(api: Any, lus_body: Any) -> None:
    case_id = hospital_case(api, lus_body)
    decision_id = grant(api, case_id, relatives(5)).json()["decision_id"]

    for first in (10, 20, 30):  # the same refused change, three times
        change = api.client.patch(
            f"/cases/{case_id}/decisions/{decision_id}",
            json={"relatives": relatives(10, first)},
            headers=api.as_role(OFFICER),
        )
        assert change.status_code == 422

    (event,) = cap_events(api)
    assert event["case_id"] == case_id
    assert event["cap"] == "per_case"
    assert event["limit"] == 5
    assert event["officer"] == "officer:dev"
    assert event["day"] == "2026-11-23"
    assert event["window_key"] == f"per_case:{case_id}:2026-11-23"
    body = str(event)
    assert "+46701112" not in body  # no numbers
    assert "Relative" not in body  # no names
    assert cap_counter(api, "per_case") == 3  # every refusal counts; one alert

    api.clock.moment += timedelta(days=1)  # a new day is a new window
    api.client.patch(
        f"/cases/{case_id}/decisions/{decision_id}",
        json={"relatives": relatives(10, 40)},
        headers=api.as_role(OFFICER),
    )
    assert [e["window_key"] for e in cap_events(api)][-1] == f"per_case:{case_id}:2026-11-24"


def test_the_alert_is_written_even_when_the_first_write_fails_and_the_retry_tells_ops_once(
    api: Any, lus_body: Any
) -> None:
    """The refused change is never stored: the alert is a write of its own, retried with the request."""
    case_id = hospital_case(api, lus_body)
    api.store.fail_next_save = True

    failed = grant(api, case_id, relatives(6))

    assert failed.status_code == 503  # a retry can fix it
    assert cap_events(api) == []
    assert grant(api, case_id, relatives(6)).status_code == 422
    assert grant(api, case_id, relatives(6)).status_code == 422
    assert len(cap_events(api)) == 1


def test_an_officers_full_day_is_one_window_over_all_cases(lus_body: Any) -> None:
    api = ApiHarness(sms=SmsSettings(officer_daily_consents=2))  # type: ignore[call-arg]
    first, second, third = (hospital_case(api, lus_body) for _ in range(3))
    assert grant(api, first, relatives(2)).status_code == 201

    assert grant(api, second, relatives(1, 10)).status_code == 429
    assert grant(api, third, relatives(1, 20)).status_code == 429

    events = cap_events(api)
    assert [(e["case_id"], e["cap"], e["limit"]) for e in events] == [
        (second, "officer_day", 2),
        (third, "officer_day", 2),
    ]
    assert len({e["window_key"] for e in events}) == 1  # notification raises one alert for both
    assert "officer:dev" not in events[0]["window_key"]
    assert cap_counter(api, "officer_day") == 2
