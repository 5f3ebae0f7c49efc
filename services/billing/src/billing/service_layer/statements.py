"""Issuing monthly statements and the regions' liability summaries: once per month, exactly once.

`issue_month` claims the month's run (one process at a time; the claim is a conditional write
on the run's own document), then for every person whose fees may not all be billed composes
the statement and saves it as a new document whose id is the person and month: a second save
of the same statement fails on the id, so a run that is repeated after a crash issues nothing
twice. Then each region's liability for the month is summarised the same way. The run is
marked done last; a run that died is taken over when its lease lapses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from billing.domain.care import CareCase
from billing.domain.fees import MissingTariff, PersonAccount, Statement, StatementIssued, compose_statement
from billing.domain.money import STOCKHOLM, Month, local_date
from billing.domain.reports import LiabilityMonthSummarized, LiabilitySummary, liability_report
from billing.service_layer.ports import BillingDeps, IssueRun
from billing.service_layer.prices import TariffTable, tariff_table
from trygg_shared.aggregate import ConcurrencyConflict, update_aggregate
from trygg_shared.batch import Failures, compute_isolated
from trygg_shared.carry import carry


class MonthNotEnded(Exception):
    """A statement run for a month that has not ended yet."""


class RunHeldElsewhere(Exception):
    """Another process holds the month's run."""


@dataclass(frozen=True)
class RunOutcome(IssueRun):
    """The month's run as issuing it left it: done now, or found done already."""

    already_done: bool = False


def due_month(now: datetime, issue_day: int, issue_hour: int) -> Month:
    """The latest month whose statements are due: the previous month from `issue_day` at `issue_hour`."""
    local = now.astimezone(STOCKHOLM)
    this = Month(local.year, local.month)
    if (local.day, local.hour) >= (issue_day, issue_hour):
        return this.previous()
    return this.previous().previous()


async def run_due_month(deps: BillingDeps) -> RunOutcome | None:
    """The timer's tick: issue the due month unless it is done or another process runs it."""
    month = due_month(deps.clock.now(), deps.issue_day, deps.issue_hour)
    run = await deps.runs.get(month)
    if run is not None and run.status == "done":
        return None
    try:
        return await issue_month(deps, month)
    except RunHeldElsewhere:
        return None


async def issue_month(deps: BillingDeps, month: Month) -> RunOutcome:
    """Issue every statement and liability summary of `month` (idempotent; see the module docstring)."""
    now = deps.clock.now()
    if local_date(now) <= month.last_day:
        raise MonthNotEnded(str(month))
    run = await deps.runs.get(month)
    if run is not None and run.status == "done":
        return carry(RunOutcome, run, already_done=True)
    if not await deps.runs.claim(month, deps.owner, now, deps.run_lease):
        raise RunHeldElsewhere(str(month))
    tariffs = await tariff_table(deps)
    issued = 0
    skipped: list[str] = []
    failed = Failures("statement_run")  # one bad person's data never stops the others' statements
    for person_ref in sorted(set(await deps.care_queries.persons_to_bill())):
        with failed.isolate(person_ref):
            try:
                if await issue_for_person(deps, person_ref, month, tariffs, now):
                    issued += 1
            except MissingTariff:
                skipped.append(person_ref)
    failed_cases = Failures("liability_summary")
    regions = await summarize_liability(deps, month, now, failed_cases)
    done = IssueRun(
        month=month,
        status="done",
        owner=deps.owner,
        lease_until=now,
        started_at=run.started_at if run else now,
        finished_at=deps.clock.now(),
        statements_issued=issued,
        persons_skipped=tuple(skipped),
        regions_summarized=regions,
        persons_failed=tuple(failed.refs),
        cases_failed=tuple(failed_cases.refs),
    )
    await deps.runs.complete(done)
    return carry(RunOutcome, done)


async def issue_for_person(
    deps: BillingDeps, person_ref: str, month: Month, tariffs: TariffTable, now: datetime
) -> bool:
    """Issue the person's statement for `month` if there is anything to bill; True when issued now."""
    read = await deps.care_queries.cases_of_person(person_ref)
    cases = [case for case, _ in read]
    earlier = await deps.statement_queries.of_person(person_ref)
    loaded = await deps.persons.load(person_ref)
    account = loaded.state if loaded else PersonAccount(person_ref)
    issued = False
    statement: Statement | None = None
    if not any(s.month == month for s in earlier):
        statement = compose_statement(
            person_ref,
            month,
            cases,
            earlier,
            tariffs.used,
            account.headroom_for,
            issued_at=now,
            recipient=account.recipient,
        )
        if statement is not None:
            try:
                await deps.statements.save(statement.statement_id, 0, statement, [StatementIssued(statement)])
                issued = True
            except ConcurrencyConflict:
                statement = None  # issued meanwhile by another process: exactly once
                earlier = await deps.statement_queries.of_person(person_ref)
    billed = [*earlier, *([statement] if statement else [])]
    if _all_billed(person_ref, month, cases, billed, tariffs, account):
        for case in cases:
            await _close(deps, case)
    return issued


def _all_billed(
    person_ref: str,
    month: Month,
    cases: list[CareCase],
    billed: list[Statement],
    tariffs: TariffTable,
    account: PersonAccount,
) -> bool:
    """Nothing after `month` can fall due, and billing the next month would change nothing."""
    for case in cases:
        last = case.last_day()
        if last is None or last > month.last_day:
            return False
    try:
        probe = compose_statement(
            person_ref,
            month.next(),
            cases,
            billed,
            tariffs.used,
            account.headroom_for,
            issued_at=datetime.max.replace(tzinfo=STOCKHOLM),
        )
    except (MissingTariff, ValueError):
        return False
    return probe is None


async def _close(deps: BillingDeps, case: CareCase) -> None:
    revision = case.revision

    def change(current: CareCase) -> tuple[None, list[object] | None]:
        return None, [] if current.close_billing(revision) else None

    await update_aggregate(deps.care, case.case_id, change)


async def summarize_liability(deps: BillingDeps, month: Month, now: datetime, failed: Failures | None = None) -> int:
    """One summary per region with liability (or a case home in time) in `month`; each once.

    A case the report cannot compute is left out and reported in `failed` (the others are summarised).
    """
    records = await deps.liability_queries.cases_for_month(month)
    report, left_out = compute_isolated(
        [r.case for r in records],
        lambda cases: liability_report(cases, month),
        lambda case: case.case_id,
        "liability_summary",
    )
    if failed is not None:
        failed.refs.extend(left_out)
    written = 0
    for totals in report.regions:
        summary = LiabilitySummary(totals, now)
        try:
            await deps.summaries.save(
                f"{totals.region_code}:{month}", 0, summary, [LiabilityMonthSummarized(totals, now)]
            )
            written += 1
        except ConcurrencyConflict:
            pass  # summarised already (a run taken over after a crash)
    return written
