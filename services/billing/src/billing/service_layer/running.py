"""The running month's fees per person, before its statements are issued (an audited read)."""

from __future__ import annotations

from billing.domain.fees import PersonAccount
from billing.domain.money import Month, local_date
from billing.domain.running import RunningFees, running_fees
from billing.service_layer.ports import Actor, BillingDeps
from billing.service_layer.prices import TariffTable, tariff_table
from billing.service_layer.reads import audit
from trygg_shared.batch import Failures


def running_month(deps: BillingDeps) -> Month:
    """The month that is running now (Stockholm)."""
    return Month.of(local_date(deps.clock.now()))


async def _fees_of(deps: BillingDeps, person_ref: str, month: Month, tariffs: TariffTable) -> RunningFees:
    cases = [case for case, _ in await deps.care_queries.cases_of_person(person_ref)]
    earlier = await deps.statement_queries.of_person(person_ref)
    loaded = await deps.persons.load(person_ref)
    account = loaded.state if loaded else PersonAccount(person_ref)
    return running_fees(account, month, (cases, earlier), tariffs.used, deps.clock.now())


async def fees_of_month(deps: BillingDeps, actor: Actor, month: Month) -> tuple[list[RunningFees], list[str]]:
    """Every person with fees (or corrections) in `month`, as their statement would be now (persons
    whose fees come to nothing are not listed), and the persons whose fees could not be composed
    (reported and left out: one person's bad record never hides the others')."""
    persons = {case.person_ref for case in await deps.care_queries.cases_for_month(month)}
    persons.update(await deps.care_queries.persons_to_bill())
    tariffs = await tariff_table(deps)
    found: list[RunningFees] = []
    failed = Failures("running_fees")
    for person_ref in sorted(persons):
        with failed.isolate(person_ref):
            fees = await _fees_of(deps, person_ref, month, tariffs)
            if fees.lines or fees.tariff_missing:
                found.append(fees)
    await audit(deps, actor, "read_running_fees", [f.person_ref for f in found], str(month))
    return found, failed.refs


async def fees_of_person(deps: BillingDeps, actor: Actor, person_ref: str, month: Month) -> RunningFees:
    await audit(deps, actor, "read_running_fees", [person_ref], str(month))
    return await _fees_of(deps, person_ref, month, await tariff_table(deps))
