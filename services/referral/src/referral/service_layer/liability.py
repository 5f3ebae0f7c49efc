"""The running payment clocks counted again: each case whose clock runs publishes its count
when a new Stockholm day has become liable (`Case.count_liability`), so billing's report of a
running clock is referral's count, never one billing makes itself."""

from __future__ import annotations

from referral.domain.case import Case
from referral.service_layer.cases import update_case
from referral.service_layer.deps import ReferralDeps
from referral.service_layer.ports import CaseQuery
from trygg_shared.batch import Failures

PAGE = 200


async def count_running_liability(deps: ReferralDeps, failed: Failures | None = None) -> int:
    """Count every running clock now; the number of cases whose count grew (and was published).

    Idempotent: a case counted again within the same liable day records nothing. One case that
    cannot be counted is reported in `failed` and the others are counted.
    """
    failures = failed or Failures("liability_count")
    now = deps.clock.now()

    def count(case: Case) -> bool | None:
        return case.count_liability(deps.agreements, now) or None

    counted, offset = 0, 0
    while True:
        page = await deps.queries.find(CaseQuery(liability_running=True, limit=PAGE, offset=offset))
        for case in page:
            with failures.isolate(case.case_id):
                counted += 1 if await update_case(deps.cases, case.case_id, count) else 0
        if len(page) < PAGE:
            return counted
        offset += PAGE
