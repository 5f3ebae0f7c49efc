"""`/statement-runs/{month}` and `/audit`: issuing a month now, the run's state, the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from billing.entrypoints.common import Access, MonthPath, Out, found, month_of, problem, run_safely
from billing.service_layer import reads
from billing.service_layer import statements as runs
from billing.service_layer.ports import Actor, AuditRecord, BillingDeps, IssueRun
from trygg_shared.http import ProblemError
from trygg_shared.mapping import to_contract


class RunOut(Out):
    month: str
    status: str
    statements_issued: int
    persons_skipped: list[str]
    regions_summarized: int
    already_done: bool
    persons_failed: list[str] = Field(
        default_factory=list,
        description="Persons (pseudonymous refs) whose statement could not be composed: left out and "
        "reported (logged and counted in `trygg_batch_record_failures_total`); every other person was billed.",
    )
    cases_failed: list[str] = Field(
        default_factory=list, description="Cases the liability summary could not compute: left out and reported."
    )


class AuditRecordOut(Out):
    record_id: str
    at: datetime
    actor: str
    roles: list[str]
    action: str
    subjects: list[str]
    detail: str


def run_out(found: IssueRun) -> RunOut:
    """A run as stored, or the outcome of issuing a month now (done, or found done already)."""
    already_done = found.already_done if isinstance(found, runs.RunOutcome) else found.status == "done"
    return to_contract(RunOut, found, month=str(found.month), already_done=already_done)


def runs_router(deps: BillingDeps, access: Access) -> APIRouter:
    router = APIRouter(tags=["runs"])

    @router.post(
        "/statement-runs/{month}",
        response_model=RunOut,
        summary="Issue a month's statements and liability summaries now (idempotent)",
        responses={409: problem("The month has not ended, or another process is issuing it")},
    )
    async def run_month(month: MonthPath, actor: Actor = access.ops) -> RunOut:
        try:
            outcome = await run_safely(lambda: runs.issue_month(deps, month_of(month)))
        except runs.MonthNotEnded:
            raise ProblemError(409, "Conflict", "The month has not ended yet.") from None
        except runs.RunHeldElsewhere:
            raise ProblemError(409, "Conflict", "Another process is issuing this month; try again later.") from None
        await reads.audit(deps, actor, "run_statements", [month])
        return run_out(outcome)

    @router.get(
        "/statement-runs/{month}",
        response_model=RunOut,
        summary="The state of a month's run",
        responses={404: problem("No run for that month")},
    )
    async def run_state(month: MonthPath, actor: Actor = access.reader) -> RunOut:
        return run_out(found(await run_safely(lambda: deps.runs.get(month_of(month))), "run for that month"))

    return router


def audit_router(deps: BillingDeps, access: Access) -> APIRouter:
    router = APIRouter(tags=["audit"])

    @router.get("/audit", response_model=list[AuditRecordOut], summary="The latest audit records")
    async def audit_trail(
        limit: Annotated[int, Query(ge=1, le=500)] = 100, actor: Actor = access.ops
    ) -> list[AuditRecordOut]:
        found: list[AuditRecord] = await run_safely(lambda: deps.audit.recent(limit))
        return [AuditRecordOut.model_validate(r) for r in found]

    return router
