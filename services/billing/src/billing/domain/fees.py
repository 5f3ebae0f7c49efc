"""The person's fees: fee days, the monthly cap, and statements with correction lines.

Pure functions over `CareCase` facts and a `Tariff`:

- `due_items(cases, month, tariff, headroom)`: what the person owes for one service month as
  things stand: one item per decision and fee kind, plus a cap item (a negative amount) when
  the capped fees exceed the maxtaxa or the person's fee headroom (avgiftsutrymme), whichever
  is lower. Food at a short-term stay is outside the cap.
- `compose_statement(...)`: the statement for a month. For that month it has one line per
  due item. For every earlier month it compares what is due now with what earlier statements
  billed for it, item by item, and adds a correction line for each difference: an issued
  statement is never rewritten. An earlier month is recomputed with the tariff version its
  first statement used, so tariff changes never reach back to issued statements.

Because every statement bills exactly the difference, after each statement the lines billed for
a month add up to what is due for it, which never exceeds the cap.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from billing.domain.care import TRYGG_HEMGANG_DECISIONS, CareCase, DecisionTerms, DecisionType, TeamPeriod
from billing.domain.money import Month, days_between, months_between
from billing.domain.tariffs import FeeDayRules, FeeModel, Tariff


class ItemKind(StrEnum):
    TRYGG_HEMGANG_DAYS = "trygg_hemgang_days"
    TRYGG_HEMGANG_HOURS = "trygg_hemgang_hours"
    SHORT_TERM_STAY_DAYS = "short_term_stay_days"
    SHORT_TERM_STAY_FOOD = "short_term_stay_food"
    CAP = "cap"  # the reduction that keeps the month within maxtaxa / the fee headroom


CAPPED_KINDS = frozenset(
    {ItemKind.TRYGG_HEMGANG_DAYS, ItemKind.TRYGG_HEMGANG_HOURS, ItemKind.SHORT_TERM_STAY_DAYS, ItemKind.CAP}
)
_KIND_ORDER = {kind: i for i, kind in enumerate(ItemKind)}


class MissingTariff(LookupError):
    """No tariff for a month that has fees: the statement cannot be computed."""

    def __init__(self, month: Month) -> None:
        super().__init__(f"no tariff for {month}")
        self.month = month


@dataclass(frozen=True)
class FeeItem:
    """One fee item of one service month."""

    kind: ItemKind
    service_month: Month
    case_id: str
    decision_id: str
    days: int
    minutes: int
    unit_price_ore: int
    amount_ore: int

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (str(self.service_month), self.case_id, self.decision_id, self.kind.value)


@dataclass(frozen=True)
class StatementLine(FeeItem):
    """One line of a statement: a fee item, its text, and `correction` for a line about an earlier month."""

    correction: bool
    description: str

    @property
    def capped(self) -> bool:
        return self.kind in CAPPED_KINDS

    def published(self) -> dict[str, object]:
        """The line as statements show it (the HTTP API, `statement_issued`): the kind by its value, the
        month as `YYYY-MM`, no case or decision as None."""
        shown: dict[str, object] = {name: getattr(self, name) for name in self.__dataclass_fields__}
        return shown | {
            "kind": self.kind.value,
            "service_month": str(self.service_month),
            "case_id": self.case_id or None,
            "decision_id": self.decision_id or None,
        }


@dataclass(frozen=True)
class TariffUsed:
    """The tariff version a statement used for one service month (kept with the statement)."""

    municipality_code: str
    year: int
    version: int
    tariff: Tariff


@dataclass(frozen=True)
class Recipient:
    """Who the statement is for (personal data: shown only through audited reads)."""

    id_type: str
    identity_number: str
    given_name: str
    family_name: str
    street: str | None = None
    postal_code: str | None = None
    city: str | None = None


@dataclass
class Statement:
    """A monthly statement: issued once, never changed afterwards."""

    statement_id: str
    person_ref: str
    month: Month
    issued_at: datetime
    lines: list[StatementLine]
    tariffs: dict[Month, TariffUsed]
    headroom_ore: dict[Month, int | None]
    recipient: Recipient | None = None

    @property
    def total_ore(self) -> int:
        return sum(line.amount_ore for line in self.lines)

    def billed_months(self) -> set[Month]:
        return {line.service_month for line in self.lines}


def statement_id(person_ref: str, month: Month) -> str:
    return f"{person_ref}:{month}"


@dataclass(frozen=True)
class Headroom:
    """The person's fee headroom (avgiftsutrymme) from a month on; None = not known."""

    valid_from: Month
    amount_ore: int | None
    set_by: str
    set_at: datetime


@dataclass
class PersonAccount:
    """Who a person is (for statements) and their fee headroom over time."""

    person_ref: str
    recipient: Recipient | None = None
    recipient_as_of: datetime | None = None
    headroom: list[Headroom] = field(default_factory=list)

    def register(self, recipient: Recipient, as_of: datetime) -> bool:
        if self.recipient_as_of is not None and self.recipient_as_of > as_of:
            return False
        if self.recipient == recipient and self.recipient_as_of == as_of:
            return False
        self.recipient, self.recipient_as_of = recipient, as_of
        return True

    def set_headroom(self, entry: Headroom) -> bool:
        if entry.amount_ore is not None and entry.amount_ore < 0:
            raise ValueError("fee headroom must not be negative")
        current = self.headroom_for(entry.valid_from)
        kept = [h for h in self.headroom if h.valid_from != entry.valid_from]
        if current == entry.amount_ore and len(kept) < len(self.headroom):
            return False
        self.headroom = sorted([*kept, entry], key=lambda h: h.valid_from)
        return True

    def headroom_for(self, month: Month) -> int | None:
        found = [h for h in self.headroom if h.valid_from <= month]
        return found[-1].amount_ore if found else None


# --- fee days ------------------------------------------------------------------------------------


def fee_days(case: CareCase, decision: DecisionTerms, rules: FeeDayRules, month: Month) -> list[date]:
    """The decision's fee days in `month` under the counting rules (see `FeeDayRules`)."""
    trygg_hemgang = decision.decision_type in TRYGG_HEMGANG_DECISIONS
    period = case.period_for(decision.decision_id) if trygg_hemgang else None
    if trygg_hemgang and period is None and rules.require_actual_period:
        return []
    first = decision.start_date
    last = decision.last_day
    ended = last is not None
    if period is not None:
        first = period.start_date if first is None else max(first, period.start_date)
        last = period.last_day if last is None else min(last, period.last_day)
        ended = True
    if first is None:
        return []
    days = days_between(first, last if last is not None else month.last_day)
    if days and not rules.count_first_day:
        days = days[1:]
    if days and ended and not rules.count_last_day:
        days = days[:-1]
    return [d for d in days if month.contains(d)]


def charged_minutes(case: CareCase, period: TeamPeriod | None, rules: FeeDayRules, month: Month) -> int:
    """Hourly model: minutes of home visits in `month`, never beyond the period's pot of hours."""
    if period is None:
        return 0
    visits = sorted(
        (v for v in case.visits.values() if v.period_id == period.period_id and v.kind in rules.hourly_visit_kinds),
        key=lambda v: (v.day, v.visit_id),
    )
    pot = None if period.hours_granted is None else round(period.hours_granted * 60)
    used = 0
    in_month = 0
    for visit in visits:
        minutes = visit.minutes if pot is None else max(0, min(visit.minutes, pot - used))
        used += minutes
        if month.contains(visit.day):
            in_month += minutes
    return in_month


def due_items(cases: Iterable[CareCase], month: Month, tariff: Tariff, headroom_ore: int | None) -> list[FeeItem]:
    """Everything due for one service month, the cap applied (see the module docstring)."""
    items = [
        item
        for case in sorted(cases, key=lambda c: c.case_id)
        for decision in sorted(case.decisions.values(), key=lambda d: d.decision_id)
        for item in _decision_items(case, decision, month, tariff)
    ]
    limit = cap_for(tariff, headroom_ore)
    capped = sum(i.amount_ore for i in items if i.kind in CAPPED_KINDS)
    if capped > limit:
        items.append(FeeItem(ItemKind.CAP, month, "", "", 0, 0, limit, limit - capped))
    return items


def _decision_items(case: CareCase, decision: DecisionTerms, month: Month, tariff: Tariff) -> list[FeeItem]:
    """What one decision charges for the month: Trygg hemgång by the hour or per fee day, a short-term
    stay per day with its food; nothing for other decisions or a month without fee days."""
    if decision.decision_type in TRYGG_HEMGANG_DECISIONS and tariff.fee_model is FeeModel.HOURLY:
        minutes = charged_minutes(case, case.period_for(decision.decision_id), tariff.rules, month)
        rate, fee = tariff.hourly_rate_ore or 0, tariff.hourly_fee_ore(minutes)
        hours = FeeItem(ItemKind.TRYGG_HEMGANG_HOURS, month, case.case_id, decision.decision_id, 0, minutes, rate, fee)
        return [hours] if minutes else []
    if decision.decision_type in TRYGG_HEMGANG_DECISIONS:
        prices = [(ItemKind.TRYGG_HEMGANG_DAYS, tariff.day_fee_ore)]
    elif decision.decision_type is DecisionType.SHORT_TERM_STAY:
        food = tariff.short_term_stay_food_per_day_ore
        prices = [(ItemKind.SHORT_TERM_STAY_DAYS, tariff.short_term_stay_day_fee_ore)]
        prices += [] if food is None else [(ItemKind.SHORT_TERM_STAY_FOOD, food)]
    else:
        return []
    days = len(fee_days(case, decision, tariff.rules, month))
    return [
        FeeItem(kind, month, case.case_id, decision.decision_id, days, 0, unit, days * unit)
        for kind, unit in prices
        if days
    ]


def cap_for(tariff: Tariff, headroom_ore: int | None) -> int:
    """The most a month's capped fees may come to: maxtaxa, or the fee headroom when lower."""
    if headroom_ore is None:
        return tariff.maxtaxa_ore
    return max(0, min(tariff.maxtaxa_ore, headroom_ore))


# --- statements ----------------------------------------------------------------------------------

TariffLookup = Callable[[Month], TariffUsed | None]


def months_to_consider(cases: Sequence[CareCase], earlier: Sequence[Statement], upto: Month) -> list[Month]:
    """Every month up to `upto` that may hold fees: from the earliest fact, and every billed month."""
    months: set[Month] = set()
    firsts = [d for d in (c.first_day() for c in cases) if d is not None]
    if firsts:
        first = min(firsts)
        if first <= upto.last_day:
            months.update(months_between(first, upto.last_day))
    for statement in earlier:
        months.update(m for m in statement.billed_months() if m <= upto)
    return sorted(months)


def first_tariff(earlier: Sequence[Statement], month: Month) -> TariffUsed | None:
    """The tariff the first statement that billed `month` used."""
    for statement in sorted(earlier, key=lambda s: (s.issued_at, s.month)):
        if month in statement.tariffs:
            return statement.tariffs[month]
    return None


def compose_statement(
    person_ref: str,
    month: Month,
    cases: Sequence[CareCase],
    earlier: Sequence[Statement],
    tariff_for: TariffLookup,
    headroom_for: Callable[[Month], int | None],
    *,
    issued_at: datetime,
    recipient: Recipient | None = None,
) -> Statement | None:
    """The person's statement for `month`, or None when there is nothing to charge or correct.

    Raises `MissingTariff` when a month that needs computing has no tariff.
    """
    if any(s.month == month for s in earlier):
        raise ValueError(f"a statement for {month} was issued already")
    billed: dict[tuple[str, str, str, str], list[StatementLine]] = defaultdict(list)
    for statement in earlier:
        for line in statement.lines:
            billed[line.key].append(line)
    lines: list[StatementLine] = []
    tariffs: dict[Month, TariffUsed] = {}
    headrooms: dict[Month, int | None] = {}
    for service_month in months_to_consider(cases, earlier, month):
        used = first_tariff(earlier, service_month) or tariff_for(service_month)
        headroom = headroom_for(service_month)
        if used is None:
            if any(c.first_day() is not None for c in cases) and _may_have_fees(cases, service_month):
                raise MissingTariff(service_month)
            continue
        due = due_items(cases, service_month, used.tariff, headroom)
        month_lines = _month_lines(service_month, service_month == month, due, billed)
        if month_lines:
            lines.extend(month_lines)
            tariffs[service_month] = used
            headrooms[service_month] = headroom
    if not any(line.amount_ore for line in lines):
        return None
    return Statement(
        statement_id=statement_id(person_ref, month),
        person_ref=person_ref,
        month=month,
        issued_at=issued_at,
        lines=lines,
        tariffs=tariffs,
        headroom_ore=headrooms,
        recipient=recipient,
    )


Billed = Mapping[tuple[str, str, str, str], Sequence[StatementLine]]


def _month_lines(service_month: Month, current: bool, items: Sequence[FeeItem], billed: Billed) -> list[StatementLine]:
    """The lines for one service month: for the `current` month each due item never billed before
    as it is; otherwise (and for items billed already) the difference from what was billed. Items
    in order of case, decision and kind, the cap last."""
    due = {item.key: item for item in items}
    keys = sorted(
        set(due) | {k for k in billed if k[0] == str(service_month)},
        key=lambda k: (k[3] == ItemKind.CAP.value, k[1], k[2], _KIND_ORDER[ItemKind(k[3])]),
    )
    lines: list[StatementLine] = []
    for key in keys:
        item = due.get(key)
        before = billed.get(key, [])
        if not before and current:
            if item is not None and (item.days or item.minutes or item.amount_ore):
                lines.append(_line(item, correction=False))
            continue
        diff = _difference(key, item, before)
        if diff is not None:
            lines.append(diff)
    return lines


def _may_have_fees(cases: Sequence[CareCase], month: Month) -> bool:
    for case in cases:
        first, last = case.first_day(), case.last_day()
        if first is not None and first <= month.last_day and (last is None or last >= month.first_day):
            return True
    return False


def _line(item: FeeItem, *, correction: bool) -> StatementLine:
    """The item as a statement line: the same fields, with its text."""
    description = describe(item.kind, item.days, item.minutes, item.unit_price_ore, item.service_month, correction)
    given: dict[str, Any] = {f.name: getattr(item, f.name) for f in fields(FeeItem)}
    return StatementLine(**given, correction=correction, description=description)


def _difference(
    key: tuple[str, str, str, str], item: FeeItem | None, before: Sequence[StatementLine]
) -> StatementLine | None:
    """A correction line: what is due now for one item minus what was billed for it."""
    amount = (item.amount_ore if item else 0) - sum(b.amount_ore for b in before)
    if amount == 0:
        return None
    days = (item.days if item else 0) - sum(b.days for b in before)
    minutes = (item.minutes if item else 0) - sum(b.minutes for b in before)
    unit = item.unit_price_ore if item else before[-1].unit_price_ore
    now = FeeItem(ItemKind(key[3]), Month.parse(key[0]), key[1], key[2], days, minutes, unit, amount)
    return _line(now, correction=True)


def format_kronor(ore: int) -> str:
    """`184 kr`, `2 575 kr`, `-12,50 kr` (Swedish style)."""
    sign = "-" if ore < 0 else ""
    whole, rest = divmod(abs(ore), 100)
    text = f"{whole:,}".replace(",", " ")
    return f"{sign}{text},{rest:02d} kr" if rest else f"{sign}{text} kr"


def describe(kind: ItemKind, days: int, minutes: int, unit_ore: int, service_month: Month, correction: bool) -> str:
    """The line's text on the statement (Swedish)."""
    unit = format_kronor(unit_ore)
    if kind is ItemKind.TRYGG_HEMGANG_DAYS:
        text = f"Trygg hemgång {days} dagar à {unit}"
    elif kind is ItemKind.TRYGG_HEMGANG_HOURS:
        text = f"Trygg hemgång {minutes // 60} tim {minutes % 60} min à {unit}/tim"
    elif kind is ItemKind.SHORT_TERM_STAY_DAYS:
        text = f"Korttidsboende {days} dagar à {unit}"
    elif kind is ItemKind.SHORT_TERM_STAY_FOOD:
        text = f"Kost korttidsboende {days} dagar à {unit} (utanför maxtaxan)"
    else:
        text = f"Avgiftstak {unit} per månad (maxtaxa eller avgiftsutrymme)"
    return f"Rättelse {service_month}: {text}" if correction else text


@dataclass(frozen=True)
class StatementIssued:
    """A statement was issued (domain event; the codec maps it to the wire)."""

    statement: Statement
