"""One case that cannot be planned never keeps the other admitted cases from theirs: a place freed
(or capacity raised) admits several waiting cases; the one whose plan raises is reported (logged
by case id and error type, counted) and the others are planned. The case an event is about still
fails that event (it is retried, then dead-lettered with the reason)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from prometheus_client import REGISTRY
from scheduling_support import Harness, grant_command, seeded

from scheduling.domain.profiles import default_teams
from scheduling.service_layer import planning as uc
from scheduling.service_layer.teams import configure_team


def grant(case_id: str) -> uc.GrantDecision:
    return grant_command(case_id, length=5)


def failures(batch: str) -> float:
    return REGISTRY.get_sample_value("trygg_batch_record_failures_total", {"batch": batch}) or 0.0


def poison(h: Harness, bad: str) -> None:
    """Saving `bad`'s plan raises (a plan that breaks a rule nobody foresaw)."""
    original = h.plans.save

    async def save(case_id: str, *args: Any, **kwargs: Any) -> Any:
        if case_id == bad:
            raise ValueError("not a month: 378-4")
        return await original(case_id, *args, **kwargs)

    h.plans.save = save  # type: ignore[method-assign]


async def test_capacity_raised_plans_every_admitted_case_but_the_one_that_raises() -> None:
    h = await seeded()
    config = default_teams()["team-vast"]
    await configure_team(h.deps, "team-vast", dataclasses.replace(config, clients_per_day=1))
    first, bad, good = "case-a", "case-b", "case-c"
    for case_id in (first, bad, good):
        await uc.grant_decision(h.deps, grant(case_id))
    assert (await h.plan(first)).period is not None
    assert (await h.plan(bad)).period is None  # waiting
    assert (await h.plan(good)).period is None  # waiting
    poison(h, bad)
    before = failures("plan_admitted")

    await configure_team(h.deps, "team-vast", dataclasses.replace(config, clients_per_day=5))

    assert h.plans.states[good][0].period is not None  # planned although a case admitted before it raised
    assert h.plans.states[bad][0].period is None
    assert failures("plan_admitted") == before + 1


async def test_the_case_the_event_is_about_still_fails_its_event() -> None:
    h = await seeded()
    poison(h, "case-x")
    with pytest.raises(ValueError, match="378"):
        await uc.grant_decision(h.deps, grant("case-x"))
