"""What billing knows of one case's care: decisions, the team's period and its completed visits.

One `CareCase` per case, built from referral's decisions and scheduling's period events. Each
fact carries the time it was true as of (granted/changed/ended, planned/changed/ended), and a
fact older than the one held is ignored: the record converges whatever order the events come
in, and a repeat changes nothing. `revision` counts real changes; `billing_open` says that the
case may still give fees or corrections (set by every change, cleared once everything is billed).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from trygg_shared.vocabulary import referral as words

# The shared word (declared once, in trygg_shared.vocabulary); Gotland's hemgångsbeslut is billed as Trygg hemgång.
DecisionType = words.DecisionType


TRYGG_HEMGANG_DECISIONS = frozenset({DecisionType.TRYGG_HEMGANG, DecisionType.HEMGANGSBESLUT})
FEE_DECISIONS = TRYGG_HEMGANG_DECISIONS | {DecisionType.SHORT_TERM_STAY}


@dataclass(frozen=True)
class DecisionTerms:
    """A decision's current terms (dates are local days; `end_date` inclusive)."""

    decision_id: str
    decision_type: DecisionType
    start_date: date | None
    end_date: date | None
    as_of: datetime
    length_days: int | None = None

    @property
    def last_day(self) -> date | None:
        """The end date, or the start plus the length when only the length is known."""
        if self.end_date is not None:
            return self.end_date
        if self.start_date is not None and self.length_days is not None:
            return self.start_date + timedelta(days=self.length_days - 1)
        return None


@dataclass(frozen=True)
class TeamPeriod:
    """The team's period for a decision: planned span, actual last day once ended, hours pot."""

    period_id: str
    decision_id: str | None
    start_date: date
    planned_end: date
    ended_on: date | None
    hours_granted: float | None
    as_of: datetime

    @property
    def last_day(self) -> date:
        return self.ended_on or self.planned_end


@dataclass(frozen=True)
class CompletedVisit:
    visit_id: str
    period_id: str
    kind: str
    day: date  # local day the visit started
    minutes: int


@dataclass
class CareCase:
    case_id: str
    person_ref: str
    municipality_code: str | None = None
    decisions: dict[str, DecisionTerms] = field(default_factory=dict)
    periods: dict[str, TeamPeriod] = field(default_factory=dict)
    visits: dict[str, CompletedVisit] = field(default_factory=dict)
    revision: int = 0
    billing_open: bool = False

    def _changed(self) -> bool:
        self.revision += 1
        self.billing_open = True
        return True

    def note_municipality(self, code: str | None) -> bool:
        if code is None or code == self.municipality_code:
            return False
        self.municipality_code = code
        return True

    def change_decision(
        self,
        decision_id: str,
        *,
        end_date: date | None,
        length_days: int | None = None,
        as_of: datetime,
        decision_type: DecisionType | None = None,
        start_date: date | None = None,
    ) -> bool:
        """New terms of a decision (extended, shortened, ended early): the end date and/or the length.

        A change that overtook its grant is kept; the grant (older) fills in type and start.
        """
        if end_date is None and length_days is None:
            return False
        held = self.decisions.get(decision_id)
        if held is None:
            kind = decision_type or DecisionType.TRYGG_HEMGANG
            terms = DecisionTerms(decision_id, kind, start_date, end_date, as_of, length_days)
        elif held.as_of >= as_of:
            return False
        else:
            terms = replace(
                held,
                end_date=end_date,
                length_days=length_days,
                as_of=as_of,
                decision_type=decision_type or held.decision_type,
                start_date=start_date or held.start_date,
            )
        if terms == held:
            return False
        self.decisions[decision_id] = terms
        return self._changed()

    def grant(self, terms: DecisionTerms) -> bool:
        """A grant: its type and start always apply; its end only when no later change is held."""
        held = self.decisions.get(terms.decision_id)
        if held is not None and held.as_of > terms.as_of:
            merged = replace(held, decision_type=terms.decision_type, start_date=terms.start_date)
        else:
            merged = terms
        if merged == held:
            return False
        self.decisions[terms.decision_id] = merged
        return self._changed()

    def record_period(self, period: TeamPeriod) -> bool:
        held = self.periods.get(period.period_id)
        if held is not None:
            if held.as_of > period.as_of or held == period:
                return False
            if held.ended_on is not None and period.ended_on is None:
                # An end is final: a late change never reopens the period.
                period = TeamPeriod(
                    period.period_id,
                    period.decision_id or held.decision_id,
                    period.start_date,
                    period.planned_end,
                    held.ended_on,
                    period.hours_granted,
                    period.as_of,
                )
            elif period.decision_id is None:
                period = TeamPeriod(
                    period.period_id,
                    held.decision_id,
                    period.start_date,
                    period.planned_end,
                    period.ended_on,
                    period.hours_granted,
                    period.as_of,
                )
            if period == held:
                return False
        self.periods[period.period_id] = period
        return self._changed()

    def record_visit(self, visit: CompletedVisit) -> bool:
        if self.visits.get(visit.visit_id) == visit:
            return False
        self.visits[visit.visit_id] = visit
        return self._changed()

    def reopen_billing(self) -> bool:
        """A fact outside the case changed (the fee headroom): its months are computed again."""
        return self._changed()

    def close_billing(self, revision: int) -> bool:
        """Everything up to `revision` is billed; later facts open it again."""
        if not self.billing_open or self.revision != revision:
            return False
        self.billing_open = False
        return True

    def period_for(self, decision_id: str) -> TeamPeriod | None:
        found = [p for p in self.periods.values() if p.decision_id == decision_id]
        if not found:
            return None
        return max(found, key=lambda p: (p.start_date, p.period_id))

    def first_day(self) -> date | None:
        """The earliest day any fact of the case refers to."""
        days = [d.start_date for d in self.decisions.values() if d.start_date]
        days += [p.start_date for p in self.periods.values()]
        days += [v.day for v in self.visits.values()]
        return min(days) if days else None

    def last_day(self) -> date | None:
        """The latest day fees can fall on (`date.min` when none), or None when a decision has no end yet."""
        ends: list[date] = []
        for d in self.decisions.values():
            if d.decision_type not in FEE_DECISIONS:
                continue
            period = self.period_for(d.decision_id)
            end = d.last_day or (period.last_day if period else None)
            if end is None:
                return None
            ends.append(end)
        ends += [v.day for v in self.visits.values()]
        return max(ends) if ends else date.min
