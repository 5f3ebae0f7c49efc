"""The region's liability invoice checked against our own count.

Each invoice line (one stay, the days it charges in the invoice's month) is matched to one of our
cases: by the hospital's episode id, else by the person (the identity number, matched to the
person reference referral gave billing) and the stay's ready or discharge date. Our count is
referral's (the one counter: day 0 rules, working days and holidays, revoked ready notices, all
under the agreement in force), kept on the case; billing only compares. A line is:

- **agreed**: it charges no more days, and no more money, than our count for that month;
- **disputed**, with the reason and the days (and money) in question:
  `admission_notice_missing` (liability needs both the admission and the ready notice:
  DOMAIN.md; no day is owed), `ready_notice_revoked` (days charged after our revocation),
  `liability_starts_later` (days charged before liability started under the agreement: its day 0
  rule, its grace days, weekends and holidays), `days_differ` (any other surplus of days),
  `price_differs` (the days agree, the amount is higher than our price);
- **unknown**: no stay of ours matches (no such episode or person, or no stay with that date).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from billing.domain.invoice_csv import ChargedStay, InvoiceLine
from billing.domain.liability import CaseLiability, PeriodStatus
from billing.domain.money import Month, days_between, local_date


class LineStatus(StrEnum):
    """What we make of an invoice line."""

    AGREED = "agreed"
    DISPUTED = "disputed"
    UNKNOWN = "unknown"


def _ready_days(case: CaseLiability) -> set[date]:
    return {local_date(p.ready_at) for p in case.periods}


class DisputeReason(StrEnum):
    """Why a line is disputed (or, `no_episode`, unknown): see the module docstring."""

    ADMISSION_NOTICE_MISSING = "admission_notice_missing"
    READY_NOTICE_REVOKED = "ready_notice_revoked"
    LIABILITY_STARTS_LATER = "liability_starts_later"
    DAYS_DIFFER = "days_differ"
    PRICE_DIFFERS = "price_differs"
    NO_EPISODE = "no_episode"  # unknown: no stay of ours


@dataclass(frozen=True)
class CheckedLine(ChargedStay):
    """One invoice line and what we make of it (no identity number: the person by reference)."""

    status: LineStatus = LineStatus.UNKNOWN
    person_ref: str | None = None
    case_id: str | None = None
    our_days: int = 0
    our_amount_ore: int = 0
    reason: DisputeReason | None = None
    detail: str = ""
    disputed_days: int = 0
    disputed_amount_ore: int = 0
    disputed_dates: tuple[date, ...] = ()
    since: date | None = None  # the revocation day, or the day liability starts under the agreement
    agreement: str | None = None  # the agreement (id and version) our count is under


@dataclass(frozen=True)
class Tally:
    lines: int = 0
    days: int = 0
    amount_ore: int = 0

    def plus(self, days: int, amount_ore: int) -> Tally:
        return Tally(self.lines + 1, self.days + days, self.amount_ore + amount_ore)


@dataclass(frozen=True)
class InvoiceTotals:
    """The totals side by side: what was invoiced, what we agree to, what we dispute, what is unknown."""

    invoiced: Tally
    agreed: Tally
    disputed: Tally  # the lines disputed, the days and the money in question
    unknown: Tally


@dataclass
class Invoice:
    """One imported invoice file, checked: stored as one document whose id is the file's hash."""

    invoice_id: str  # sha256 of the file's bytes: the same file imported again is the same invoice
    region_code: str
    month: Month
    imported_at: datetime
    imported_by: str
    lines: list[CheckedLine]

    @property
    def totals(self) -> InvoiceTotals:
        return totals(self.lines)


def totals(lines: Sequence[CheckedLine]) -> InvoiceTotals:
    invoiced, agreed, disputed, unknown = Tally(), Tally(), Tally(), Tally()
    for line in lines:
        invoiced = invoiced.plus(line.days, line.amount_ore)
        if line.status is LineStatus.UNKNOWN:
            unknown = unknown.plus(line.days, line.amount_ore)
        elif line.status is LineStatus.DISPUTED:
            disputed = disputed.plus(line.disputed_days, line.disputed_amount_ore)
        else:
            agreed = agreed.plus(line.days, line.amount_ore)
    return InvoiceTotals(invoiced, agreed, disputed, unknown)


def match_stay(line: InvoiceLine, candidates: Sequence[CaseLiability]) -> CaseLiability | None:
    """Our stay the line is about: with its ready date, else its discharge date, else the person's or
    episode's only stay (a ready notice referral no longer counts is not among a stay's periods)."""
    with_ready = [c for c in candidates if line.ready_date in _ready_days(c)]
    if with_ready:
        return min(with_ready, key=lambda c: c.case_id)
    if line.discharge_date is not None:
        with_discharge = [
            c for c in candidates if c.discharged_at and local_date(c.discharged_at) == line.discharge_date
        ]
        if with_discharge:
            return min(with_discharge, key=lambda c: c.case_id)
    return candidates[0] if len(candidates) == 1 else None


def _our_count(case: CaseLiability, month: Month) -> tuple[int, int]:
    found = [m for m in case.counted if m.month == month]
    return sum(m.days for m in found), sum(m.amount_ore for m in found)


def _charged_dates(line: InvoiceLine, month: Month) -> list[date]:
    """The days the line charges, as the region must have counted them: back from its last day in the month."""
    last = min(line.discharge_date or month.last_day, month.last_day)
    return [d for d in days_between(last - timedelta(days=line.days - 1), last) if month.contains(d)]


@dataclass(frozen=True)
class Surplus:
    """Why a line charges more days than we count."""

    reason: DisputeReason
    detail: str
    dates: list[date]  # the days in question, as far as they can be named
    since: date | None = None
    agreement: str | None = None


def _surplus(line: InvoiceLine, case: CaseLiability, month: Month, ours: int) -> Surplus:
    """Why the line charges more days than we count, and which days (as far as they can be named)."""
    charged = _charged_dates(line, month)
    periods = [p for p in case.periods if local_date(p.ready_at) == line.ready_date] or list(case.periods)
    revoked = [p for p in periods if p.status is PeriodStatus.REVOKED and p.ended_at is not None]
    if revoked:
        ended = max(local_date(p.ended_at) for p in revoked if p.ended_at)
        after = [d for d in charged if d > ended]
        if after:
            return Surplus(DisputeReason.READY_NOTICE_REVOKED, f"ready notice revoked on {ended}", after, ended)
    starts = [p for p in periods if p.status is not PeriodStatus.SUPERSEDED]
    if starts:
        first = min(starts, key=lambda p: p.ready_at)
        start = local_date(first.liability_starts_at)
        before = [d for d in charged if d < start]
        if before:
            agreement = f"{first.agreement_id} v{first.agreement_version}"
            detail = f"liability starts {start} under {agreement} (day 0 rule, grace days, weekends and holidays)"
            return Surplus(DisputeReason.LIABILITY_STARTS_LATER, detail, before, start, agreement)
    return Surplus(DisputeReason.DAYS_DIFFER, f"we count {ours} days in {month}", [])


def check_line(
    line: InvoiceLine, person_ref: str | None, candidates: Sequence[CaseLiability], month: Month
) -> CheckedLine:
    """The line matched to our stay and compared with our count for the invoice's month."""
    charged = {f.name: getattr(line, f.name) for f in fields(ChargedStay)}
    base = CheckedLine(**charged, person_ref=person_ref)
    case = match_stay(line, candidates)
    if case is None:
        detail = "no stay of ours with this episode or person and date"
        return replace(base, reason=DisputeReason.NO_EPISODE, detail=detail)
    our_days, our_amount = _our_count(case, month)
    matched = replace(
        base, person_ref=case.person_ref, case_id=case.case_id, our_days=our_days, our_amount_ore=our_amount
    )
    if not case.admission_noticed:
        detail = "no admission notice (inskrivningsmeddelande) was received for this stay: no day is owed"
        return _disputed(matched, DisputeReason.ADMISSION_NOTICE_MISSING, detail, line.days, line.amount_ore, [])
    if line.days > our_days:
        why = _surplus(line, case, month, our_days)
        accepted = min(line.amount_ore, our_amount)
        disputed = _disputed(
            matched, why.reason, why.detail, line.days - our_days, line.amount_ore - accepted, why.dates
        )
        return replace(disputed, since=why.since, agreement=why.agreement)
    price = our_amount // our_days if our_days else 0
    if line.amount_ore > line.days * price:
        detail = f"{line.days} days at our price come to {line.days * price // 100} kr"
        return _disputed(matched, DisputeReason.PRICE_DIFFERS, detail, 0, line.amount_ore - line.days * price, [])
    return replace(matched, status=LineStatus.AGREED)


def _disputed(
    line: CheckedLine, reason: DisputeReason, detail: str, days: int, amount_ore: int, dates: Sequence[date]
) -> CheckedLine:
    return replace(
        line,
        status=LineStatus.DISPUTED,
        reason=reason,
        detail=detail,
        disputed_days=days,
        disputed_amount_ore=amount_ore,
        disputed_dates=tuple(dates),
    )
