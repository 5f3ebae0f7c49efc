"""The region's invoice scenario the tests share: five stays of ours and the sample invoice that charges them.

`docs/billing/region-invoice-sample.csv` (Region Stockholm, `01`, March 2024, 9 300 kr a day; synthetic,
test identity numbers only) charges:

- line 2, EPI-A (by episode id): we count 5 days (7-11 March): agreed;
- line 3, 121212+1212: ready 11 March, revoked 16 March, discharged 20 March; we count 3 days
  (14-16): disputed, ready notice revoked, 4 days (17-20);
- line 4, 701063-2391 (samordningsnummer): ready Thursday 28 March 10:00; under the agreement's
  working-day grace Good Friday, the weekend and Easter Monday are no working days, so liability
  starts 4 April and we count nothing in March: disputed, liability starts later, 1 day (31 March);
- line 5, 20121212-1212: no admission notice; referral counts 2 days: disputed, admission notice
  missing, 2 days;
- line 6, 19121231-2340: no stay of ours: unknown.

`commands` gives the stays as billing's use cases take them (unit tests); `events` as referral
publishes them (end-to-end tests on Kafka).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from billing.domain.fees import Recipient
from billing.domain.liability import MonthLiability
from billing.domain.money import Month
from billing.service_layer import referral_facts as rf
from billing.service_layer.ports import BillingDeps
from trygg_shared.contracts import referral as ref
from trygg_shared.contracts.base import IntegrationEvent

SAMPLE = Path(__file__).resolve().parents[3] / "docs" / "billing" / "region-invoice-sample.csv"
REGION, MONTH = "01", Month(2024, 3)
PRICE_SEK = 9_300
_SE = ZoneInfo("Europe/Stockholm")


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=_SE)


@dataclass(frozen=True)
class Stay:
    case_id: str
    person_ref: str
    identity: str
    episode_id: str
    admission: bool
    ready_at: datetime
    liability_starts_at: datetime
    discharged_at: datetime
    counted: tuple[tuple[str, int], ...]  # (month, days) as referral counted them
    revoked_at: datetime | None = None
    agreement: tuple[str, int] = ("sll-2024-working", 2)

    def months(self) -> tuple[MonthLiability, ...]:
        return tuple(MonthLiability(Month.parse(m), days, days * PRICE_SEK * 100) for m, days in self.counted)

    @property
    def liable_days(self) -> int:
        return sum(days for _, days in self.counted)


def stays(suffix: str = "") -> list[Stay]:
    """The scenario's stays (`suffix` keeps ids apart when several tests share one database)."""
    return [
        Stay(f"case-a{suffix}", f"p_astrid{suffix}", "194010092387", f"EPI-A{suffix}", True,
             at(date(2024, 3, 4), 9), at(date(2024, 3, 7), 0), at(date(2024, 3, 11), 14), (("2024-03", 5),)),
        Stay(f"case-r{suffix}", f"p_tolv{suffix}", "191212121212", f"EPI-R{suffix}", True,
             at(date(2024, 3, 11), 9), at(date(2024, 3, 14), 0), at(date(2024, 3, 20), 10), (("2024-03", 3),),
             revoked_at=at(date(2024, 3, 16), 14)),
        Stay(f"case-h{suffix}", f"p_sam{suffix}", "197010632391", f"EPI-H{suffix}", True,
             at(date(2024, 3, 28), 10), at(date(2024, 4, 4), 0), at(date(2024, 4, 5), 11), (("2024-04", 2),)),
        Stay(f"case-n{suffix}", f"p_nils{suffix}", "201212121212", f"EPI-N{suffix}", False,
             at(date(2024, 3, 18), 8), at(date(2024, 3, 21), 0), at(date(2024, 3, 22), 15), (("2024-03", 2),)),
    ]  # fmt: skip


def sample_csv(suffix: str = "") -> bytes:
    """The sample invoice (with the episode ids of `stays(suffix)`)."""
    return SAMPLE.read_bytes().replace(b";EPI-A;", f";EPI-A{suffix};".encode())


def _recipient(stay: Stay) -> Recipient:
    return Recipient("personnummer", stay.identity, "Test", "Testsson")


async def seed(deps: BillingDeps, suffix: str = "") -> None:
    """The stays through billing's use cases, as the subscribers would call them."""
    for s in stays(suffix):
        counted = rf.ReferralCount(s.months(), None)
        await rf.register_billing_subject(deps, rf.RegisterBillingSubject(s.person_ref, _recipient(s), s.ready_at))
        if s.admission:
            await rf.record_admission(deps, rf.RecordAdmission(s.case_id, s.person_ref, s.episode_id))
        ready = (s.ready_at,)
        await rf.record_ready(
            deps,
            rf.RecordReady(s.case_id, s.person_ref, s.ready_at, s.liability_starts_at, *s.agreement, PRICE_SEK,
                           "0180", "ev", ready, rf.ReferralCount()),
            s.episode_id,
        )  # fmt: skip
        if s.revoked_at:
            await rf.record_revoked(
                deps, rf.RecordRevoked(s.case_id, s.person_ref, s.ready_at, s.revoked_at, s.liable_days, ready, counted)
            )
        await rf.record_discharge(
            deps, rf.RecordDischarge(s.case_id, s.person_ref, s.discharged_at, s.liable_days, PRICE_SEK, ready, counted)
        )


def events(suffix: str = "") -> list[IntegrationEvent]:
    """The same stays as referral publishes them (each case's events in its order)."""
    out: list[IntegrationEvent] = []
    for s in stays(suffix):
        months = tuple(
            ref.LiableMonth(month=str(m.month), days=m.days, amount_sek=m.amount_ore // 100) for m in s.months()
        )
        common = {"case_id": s.case_id, "person_ref": s.person_ref}
        picture = {"counting_ready_at": (s.ready_at,), "liable_months": months}
        out.append(
            ref.BillingSubjectRegistered(
                **common, id_type="personnummer", identity_number=s.identity, given_name="Test", family_name="Testsson"
            )
        )
        unit = {"episode_id": s.episode_id, "care_unit": {"hsa_id": "SE2321000016-ABCD", "name": "Avd 12"}}
        if s.admission:
            out.append(
                ref.AdmissionNoticed(
                    **common, **unit, care_type="somatic", expected_discharge_date=s.discharged_at.date()
                )
            )
        out.append(
            ref.ReadyForDischarge(
                **common,
                **unit,
                care_type="somatic",
                ready_at=s.ready_at,
                liability_starts_at=s.liability_starts_at,
                agreement_id=s.agreement[0],
                agreement_version=s.agreement[1],
                daily_price_sek=PRICE_SEK,
                municipality_code="0180",
                counting_ready_at=(s.ready_at,),
                liable_months=(),
            )
        )
        if s.revoked_at:
            out.append(
                ref.ReadyRevoked(
                    **common, revoked_at=s.revoked_at, ready_at=s.ready_at, liable_days=s.liable_days, **picture
                )
            )
        out.append(
            ref.Discharged(
                **common, discharged_at=s.discharged_at, liable_days=s.liable_days, daily_price_sek=PRICE_SEK, **picture
            )
        )
    return out  # fmt: skip
