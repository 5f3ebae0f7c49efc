"""The running month's fees: what a person's statement for a month would say if it were issued now.

Before the month ends (and until its statement is issued) an officer sees the fee lines per person:
days, price per day, the cap (maxtaxa, or the fee headroom when lower) and how much the cap took
off. They are composed exactly as the statement will be (`compose_statement`, corrections of
earlier months included), so nothing is counted twice or differently; once the month's statement
is issued, its own lines are shown instead (`issued`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from billing.domain.care import CareCase
from billing.domain.fees import (
    CAPPED_KINDS,
    ItemKind,
    MissingTariff,
    PersonAccount,
    Statement,
    StatementLine,
    TariffLookup,
    cap_for,
    compose_statement,
)
from billing.domain.money import Month


@dataclass(frozen=True)
class RunningFees:
    """One person's fees for one month as things stand."""

    person_ref: str
    month: Month
    issued: bool  # the month's statement was issued: these are its lines
    lines: tuple[StatementLine, ...]
    maxtaxa_ore: int | None  # None: no tariff for the month
    headroom_ore: int | None  # the person's fee headroom (avgiftsutrymme), None when not known
    capped_fees_ore: int  # the month's own capped fees before the cap
    cap_ore: int | None  # the most the month's capped fees may come to
    capped_by_ore: int  # how much the cap took off (0 when under it)
    tariff_missing: bool = False

    @property
    def total_ore(self) -> int:
        return sum(line.amount_ore for line in self.lines)


def running_fees(
    account: PersonAccount,
    month: Month,
    facts: tuple[Sequence[CareCase], Sequence[Statement]],
    tariff_for: TariffLookup,
    now: datetime,
) -> RunningFees:
    """The person's fees for `month` (`facts`: the person's cases and issued statements): the issued
    statement's lines, else the statement as it would be now."""
    person_ref, headroom_for = account.person_ref, account.headroom_for
    cases, earlier = facts
    headroom = headroom_for(month)
    used = tariff_for(month)
    issued = next((s for s in earlier if s.month == month), None)
    missing = False
    if issued is not None:
        lines = tuple(issued.lines)
        used = issued.tariffs.get(month) or used
        headroom = issued.headroom_ore.get(month, headroom)
    else:
        try:
            draft = compose_statement(person_ref, month, cases, earlier, tariff_for, headroom_for, issued_at=now)
        except MissingTariff:
            draft, missing = None, True
        lines = tuple(draft.lines) if draft else ()
    own = [line for line in lines if line.service_month == month and not line.correction]
    capped = sum(line.amount_ore for line in own if line.kind in CAPPED_KINDS and line.kind is not ItemKind.CAP)
    cut = -sum(line.amount_ore for line in own if line.kind is ItemKind.CAP)
    return RunningFees(
        person_ref=person_ref,
        month=month,
        issued=issued is not None,
        lines=lines,
        maxtaxa_ore=used.tariff.maxtaxa_ore if used else None,
        headroom_ore=headroom,
        capped_fees_ore=capped,
        cap_ore=cap_for(used.tariff, headroom) if used else None,
        capped_by_ore=cut,
        tariff_missing=missing,
    )
