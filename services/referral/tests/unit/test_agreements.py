"""Payment-liability agreements as versioned data: shipped, stored, read and extended by ops, never retroactively.

DOMAIN.md gives Region Stockholm's agreement (noon cut-off, day 0 + 2; psychiatric 5 days)
and the national default (3 calendar days). It has no agreement of Huddinge's own: Huddinge is
a municipality in Region Stockholm, so Region Stockholm's agreement is Huddinge's rule.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from referral_support import NATIONAL, STOCKHOLM_2024, ApiHarness

from referral.domain.liability import AgreementTable, CareType, DayCount, LiabilityRule, start_clock
from referral.entrypoints.lus_format import parse_lus
from referral.service_layer.agreement_format import shipped_agreements
from referral.service_layer.intake import receive_hospital_message
from referral.service_layer.ports import Sender
from trygg_shared.contracts import referral as ev

HUDDINGE = "0126"
OPS, OFFICER = {"Authorization": "Bearer dev-ops"}, {"Authorization": "Bearer dev-officer"}
NEW_TERMS: dict[str, Any] = {
    "agreement_id": "region-stockholm-2024",
    "region_code": "01",
    "valid_from": "2026-11-23",
    "somatic": {"grace_days": 1, "day_zero_cutoff": "12:00", "day_count": "working"},
    "psychiatric": {"grace_days": 4, "day_zero_cutoff": "12:00", "day_count": "working"},
    "daily_price_sek": 9800,
    "source": "test: a renegotiated agreement",
}


def ready_notice(api: ApiHarness, lus_body: Any, *, ready_at: str, municipality: str | None = None) -> Any:
    body = lus_body("utskrivningsklar", ready_at=ready_at, sent_at=ready_at)
    body["episode"]["episode_id"] = f"TC-{uuid.uuid4().hex[:8]}"
    if municipality:
        body["patient"]["address"]["municipality_code"] = municipality
    sender = Sender("local-dev", "01")  # Region Stockholm's hospitals
    result = asyncio.run(receive_hospital_message(api.referral.deps, sender, uuid.uuid4().hex, parse_lus(body)))
    return next(
        e for e in reversed(api.events) if isinstance(e, ev.ReadyForDischarge) and e.case_id == result.answer.case_id
    )


def test_the_shipped_data_holds_stockholms_agreement_and_the_national_default() -> None:
    shipped = {a.agreement_id: a for a in shipped_agreements()}
    stockholm = shipped["region-stockholm-2024"]
    assert (stockholm.region_code, stockholm.valid_from) == ("01", date(2024, 1, 1))
    assert (stockholm.somatic.grace_days, stockholm.somatic.day_zero_cutoff) == (2, time(12))
    assert (stockholm.psychiatric.grace_days, stockholm.psychiatric.day_zero_cutoff) == (5, time(12))
    national = shipped["national-default"]
    assert (national.region_code, national.somatic.grace_days, national.somatic.day_zero_cutoff) == ("SE", 3, None)
    assert (national.price_for(2019), national.price_for(2021), national.price_for(2022)) == (7800, 7800, 9300)


def test_stockholm_a_notice_before_noon_is_day_zero_and_liability_starts_after_day_zero_plus_two(
    api: ApiHarness, lus_body: Any
) -> None:
    ready = ready_notice(api, lus_body, ready_at="2026-11-23T11:59:00+01:00")  # Monday, before noon
    assert ready.agreement_id == "region-stockholm-2024"
    assert ready.liability_starts_at == datetime(2026, 11, 25, 23, 0, tzinfo=UTC)  # Thursday 00:00 local
    after_noon = ready_notice(api, lus_body, ready_at="2026-11-23T12:00:00+01:00")
    assert after_noon.liability_starts_at == datetime(2026, 11, 26, 23, 0, tzinfo=UTC)  # Friday 00:00 local


def test_stockholm_psychiatric_care_has_five_days() -> None:
    table = AgreementTable(shipped_agreements())
    ready = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    clock = start_clock(ready, CareType.PSYCHIATRIC, table.find("01", ready.date()))
    assert clock.liability_starts_at == datetime(2026, 11, 28, 23, 0, tzinfo=UTC)  # day 0 + 5, Sunday 00:00


def test_huddinge_a_resident_of_huddinge_is_under_region_stockholms_agreement(api: ApiHarness, lus_body: Any) -> None:
    huddinge = ready_notice(api, lus_body, ready_at="2026-11-23T09:00:00+01:00", municipality=HUDDINGE)
    assert huddinge.municipality_code == HUDDINGE
    assert (huddinge.agreement_id, huddinge.agreement_version) == ("region-stockholm-2024", 1)
    assert huddinge.liability_starts_at == datetime(2026, 11, 25, 23, 0, tzinfo=UTC)


def test_a_region_without_an_agreement_gets_the_national_default_of_three_calendar_days() -> None:
    table = AgreementTable(shipped_agreements())
    ready = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    agreement = table.find("13", ready.date())  # Halland: no agreement in the data
    assert agreement.agreement_id == NATIONAL.agreement_id
    assert start_clock(ready, CareType.SOMATIC, agreement).liability_starts_at == datetime(
        2026, 11, 26, 23, 0, tzinfo=UTC
    )


def test_ops_reads_every_version_and_who_added_it(api: ApiHarness) -> None:
    response = api.client.get("/agreements", headers=OPS)
    assert response.status_code == 200
    versions = {(a["agreement_id"], a["version"]): a for a in response.json()}
    assert set(versions) == {("national-default", 1), ("region-stockholm-2024", 1)}
    assert versions[("region-stockholm-2024", 1)]["added_by"] == "system:shipped-data"
    assert api.client.get("/agreements", headers=OFFICER).status_code == 403


def test_a_version_starting_before_today_is_refused_and_changes_nothing(api: ApiHarness) -> None:
    response = api.client.post("/agreements", json={**NEW_TERMS, "valid_from": "2026-11-22"}, headers=OPS)
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert "today" in response.json()["detail"]
    assert len(api.client.get("/agreements", headers=OPS).json()) == 2
    assert not [r for r in api.audit.records if r.action == "add_agreement_version"]


def test_a_new_version_from_today_applies_to_new_notices_while_earlier_clocks_keep_theirs(
    api: ApiHarness, lus_body: Any
) -> None:
    before = ready_notice(api, lus_body, ready_at="2026-11-23T09:00:00+01:00")  # counted under version 1

    response = api.client.post("/agreements", json=NEW_TERMS, headers=OPS)

    assert response.status_code == 201, response.text
    added = response.json()
    assert (added["version"], added["added_by"]) == (2, "ops:dev")
    audited = [r for r in api.audit.records if r.action == "add_agreement_version"]
    assert [(r.actor, r.subject) for r in audited] == [("ops:dev", "agreement:region-stockholm-2024:2")]
    # Friday 27 Nov before noon: day 0; one working day (Monday 30th); liable from Tuesday 1 Dec.
    after = ready_notice(api, lus_body, ready_at="2026-11-27T10:00:00+01:00")
    assert (after.agreement_version, after.daily_price_sek) == (2, 9800)
    assert after.liability_starts_at == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    # The first case's clock was pinned to version 1: a later message refolds it unchanged.
    case_id = before.case_id
    loaded = asyncio.run(api.referral.deps.cases.load(case_id))
    assert loaded is not None
    facts = loaded.state.facts(api.referral.deps.agreements)
    assert facts.ready is not None
    assert (facts.ready.clock.agreement_version, facts.ready.clock.liability_starts_at) == (
        1,
        before.liability_starts_at,
    )


def test_working_days_skip_weekends_swedish_holidays_and_the_eves() -> None:
    stockholm = STOCKHOLM_2024
    working = replace(
        stockholm, version=2, somatic=LiabilityRule(grace_days=2, day_zero_cutoff=time(12), day_count=DayCount.WORKING)
    )
    table = AgreementTable([*shipped_agreements(), working])
    ready = datetime(2026, 12, 23, 9, 0, tzinfo=UTC)  # Wednesday before Christmas, before noon
    clock = start_clock(ready, CareType.SOMATIC, table.find("01", ready.date()))
    # Day 0 = 23 Dec; the grace days are 28 and 29 Dec (24-27: Christmas Eve, holidays, a weekend).
    assert clock.liability_starts_at == datetime(2026, 12, 29, 23, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"valid_to": "2026-01-01"}, 422),  # ends before it starts
        ({"region_code": "13"}, 422),  # the agreement id belongs to Region Stockholm
        ({"somatic": {"grace_days": 2, "day_zero_cutoff": "25:00"}}, 422),
    ],
)
def test_terms_that_contradict_themselves_are_refused(api: ApiHarness, change: dict[str, Any], status: int) -> None:
    response = api.client.post("/agreements", json={**NEW_TERMS, **change}, headers=OPS)
    assert response.status_code == status, response.text
    assert len(api.client.get("/agreements", headers=OPS).json()) == 2


def test_stockholm_2024_in_the_tests_is_the_shipped_data() -> None:
    assert STOCKHOLM_2024 in shipped_agreements()
