"""Reads of statements and reports: each read of personal data writes an audit record first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from billing.domain.care import CareCase
from billing.domain.fees import Headroom, PersonAccount, Statement, statement_id
from billing.domain.money import Month
from billing.domain.reports import CostReport, LiabilityReport, cost_report, liability_report
from billing.service_layer.ports import Actor, AuditRecord, BillingDeps
from billing.service_layer.prices import price_table, tariff_table
from trygg_shared.aggregate import update_aggregate
from trygg_shared.batch import compute_isolated


async def audit(deps: BillingDeps, actor: Actor, action: str, subjects: Sequence[str], detail: str = "") -> None:
    await deps.audit.append(AuditRecord.by(actor, deps.clock.now(), action, subjects=tuple(subjects), detail=detail))


async def statement_of(deps: BillingDeps, actor: Actor, person_ref: str, month: Month) -> Statement | None:
    await audit(deps, actor, "read_statement", [person_ref], str(month))
    loaded = await deps.statements.load(statement_id(person_ref, month))
    return loaded.state if loaded else None


async def statements_of_person(deps: BillingDeps, actor: Actor, person_ref: str) -> list[Statement]:
    await audit(deps, actor, "read_statements_of_person", [person_ref])
    return sorted(await deps.statement_queries.of_person(person_ref), key=lambda s: s.month)


async def statements_of_month(
    deps: BillingDeps, actor: Actor, month: Month, *, export: bool = False
) -> list[Statement]:
    found = sorted(await deps.statement_queries.of_month(month), key=lambda s: s.person_ref)
    action = "export_statements" if export else "read_statements_of_month"
    await audit(deps, actor, action, [s.person_ref for s in found], str(month))
    return found


async def liability_report_of(
    deps: BillingDeps, actor: Actor, month: Month, region: str | None, *, export: bool = False
) -> LiabilityReport:
    records = await deps.liability_queries.cases_for_month(month)
    # A case the report cannot compute is left out and reported (logged, counted, named in the
    # report's `left_out`); the others are shown.
    report, left_out = compute_isolated(
        [r.case for r in records],
        lambda cases: liability_report(cases, month, region),
        lambda case: case.case_id,
        "liability_report",
    )
    action = "export_liability_report" if export else "read_liability_report"
    await audit(deps, actor, action, [r.case_id for r in report.rows], str(month))
    return replace(report, left_out=left_out)


async def cost_report_of(deps: BillingDeps, actor: Actor, month: Month, *, export: bool = False) -> CostReport:
    cases: list[CareCase] = await deps.care_queries.cases_for_month(month)
    tariffs = await tariff_table(deps)
    used = tariffs.used(month)
    prices = await price_table(deps)
    report, left_out = compute_isolated(
        cases,
        lambda some: cost_report(some, month, used.tariff if used else None, prices.latest),
        lambda case: case.case_id,
        "cost_report",
    )
    action = "export_cost_report" if export else "read_cost_report"
    await audit(deps, actor, action, [p.case_id for p in report.periods], str(month))
    return replace(report, left_out=left_out)


async def set_fee_headroom(
    deps: BillingDeps, actor: Actor, person_ref: str, valid_from: Month, amount_ore: int | None
) -> PersonAccount:
    """Record the person's fee headroom from a month on; billed months are corrected next time."""
    now: datetime = deps.clock.now()
    entry = Headroom(valid_from, amount_ore, actor.subject, now)

    def change(account: PersonAccount) -> tuple[PersonAccount, list[object] | None]:
        return account, [] if account.set_headroom(entry) else None

    account = await update_aggregate(deps.persons, person_ref, change, create=lambda: PersonAccount(person_ref))
    await audit(deps, actor, "set_fee_headroom", [person_ref], f"from {valid_from}")
    for case, _ in await deps.care_queries.cases_of_person(person_ref):

        def reopen(current: CareCase) -> tuple[None, list[object] | None]:
            return None, [] if current.reopen_billing() else None

        await update_aggregate(deps.care, case.case_id, reopen)
    return account
