"""The running month's fees: per person, before the statement is issued, the cap shown (#19 §5)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from billing_support import ApiHarness

from billing.domain.fees import Headroom, ItemKind, PersonAccount, compose_statement
from billing.domain.money import Month
from billing.domain.running import running_fees

from .factories import hofors, trygg_hemgang
from .test_http_api import grant

NOW = datetime(2024, 4, 10, 8, tzinfo=UTC)
ACCOUNT = PersonAccount("p1")


def headroom(amount_ore: int) -> PersonAccount:
    account = PersonAccount("p1")
    account.set_headroom(Headroom(Month(2024, 1), amount_ore, "officer:test", NOW))
    return account


APRIL = Month(2024, 4)


def test_a_month_over_maxtaxa_shows_its_days_the_cap_and_what_the_cap_took_off() -> None:
    case = trygg_hemgang(date(2024, 4, 1), date(2024, 4, 20))

    fees = running_fees(ACCOUNT, APRIL, ([case], []), lambda m: hofors(), NOW)

    days = fees.lines[0]
    assert (days.kind, days.days, days.unit_price_ore, days.amount_ore) == (
        ItemKind.TRYGG_HEMGANG_DAYS,
        20,
        18_400,
        368_000,
    )
    assert (fees.maxtaxa_ore, fees.cap_ore, fees.capped_fees_ore) == (257_500, 257_500, 368_000)
    assert fees.capped_by_ore == 110_500
    assert fees.total_ore == 257_500
    assert fees.lines[-1].kind is ItemKind.CAP
    assert not fees.issued


def test_a_lower_fee_headroom_is_the_cap() -> None:
    case = trygg_hemgang(date(2024, 4, 1), date(2024, 4, 5))

    fees = running_fees(headroom(50_000), APRIL, ([case], []), lambda m: hofors(), NOW)

    assert (fees.cap_ore, fees.capped_fees_ore, fees.capped_by_ore, fees.total_ore) == (50_000, 92_000, 42_000, 50_000)


def test_once_issued_the_statement_s_own_lines_are_shown() -> None:
    case = trygg_hemgang(date(2024, 3, 4), date(2024, 3, 8))
    issued = compose_statement("p1", Month(2024, 3), [case], [], lambda m: hofors(), lambda m: None, issued_at=NOW)
    assert issued is not None

    fees = running_fees(ACCOUNT, Month(2024, 3), ([case], [issued]), lambda m: hofors(), NOW)

    assert fees.issued
    assert fees.lines == tuple(issued.lines)
    assert fees.total_ore == 92_000


def test_a_month_without_a_tariff_says_so() -> None:
    case = trygg_hemgang(date(2024, 4, 1), date(2024, 4, 5))

    fees = running_fees(ACCOUNT, APRIL, ([case], []), lambda m: None, NOW)

    assert fees.tariff_missing
    assert fees.lines == ()
    assert fees.maxtaxa_ore is None


@pytest.fixture
def api() -> ApiHarness:
    return ApiHarness(datetime(2024, 4, 10, 8, tzinfo=UTC))


def test_the_running_month_is_served_per_person_before_the_month_ends_and_the_read_is_audited(api: ApiHarness) -> None:
    grant(api, "p_long", date(2024, 4, 1), 20)
    grant(api, "p_short", date(2024, 4, 2), 3)

    response = api.client.get("/fees", headers=api.as_role("officer"))

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["month"] == "2024-04"
    by_person = {p["person_ref"]: p for p in body["persons"]}
    assert set(by_person) == {"p_long", "p_short"}
    long = by_person["p_long"]
    assert [(line["kind"], line["days"], line["unit_price_ore"]) for line in long["lines"]] == [
        ("trygg_hemgang_days", 20, 18_400),
        ("cap", 0, 257_500),
    ]
    assert (long["capped_by_ore"], long["total"], long["issued"]) == (110_500, "2 575 kr", False)
    assert by_person["p_short"]["capped_by_ore"] == 0
    assert api.audit.records[-1].action == "read_running_fees"
    assert set(api.audit.records[-1].subjects) == {"p_long", "p_short"}
    assert api.client.get("/statements?month=2024-04", headers=api.as_role("officer")).json() == []


def test_one_person_s_fees_for_a_month_and_roles(api: ApiHarness) -> None:
    grant(api, "p_one", date(2024, 3, 28), 7)

    march = api.client.get("/persons/p_one/fees?month=2024-03", headers=api.as_role("ops")).json()
    april = api.client.get("/persons/p_one/fees", headers=api.as_role("officer")).json()

    assert [line["days"] for line in march["lines"]] == [4]
    # March was never issued: April's statement would bill its days as a correction, as shown.
    assert [(line["service_month"], line["days"], line["correction"]) for line in april["lines"]] == [
        ("2024-03", 4, True),
        ("2024-04", 3, False),
    ]
    assert api.client.get("/fees", headers=api.as_role("team")).status_code == 403
    assert api.client.get("/fees?month=2024-13", headers=api.as_role("officer")).status_code == 422
