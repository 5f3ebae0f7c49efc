"""Errors of the HTTP API as problem+json, the documented error responses, and the team scope of a token."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

from scheduling.domain.checklist import ChecklistItemNotFound
from scheduling.domain.checklist_work import NoChecklist
from scheduling.domain.plan import PlanError, VisitNotFound
from scheduling.domain.team import TeamError
from scheduling.service_layer import field as fuc
from scheduling.service_layer.cover import NoCoverOrder
from scheduling.service_layer.planning import UnknownTeam
from scheduling.service_layer.ports import Actor, SchedulingDeps
from trygg_shared.aggregate import AggregateNotFound, ConcurrencyConflict, StorageUnavailable
from trygg_shared.auth import may_act_for_team
from trygg_shared.http import Problem, ProblemError, service_unavailable

T = TypeVar("T")

_PROBLEM_TEXT = {
    400: "The body is not valid JSON.",
    401: "Missing or invalid bearer token.",
    403: "The token lacks the role this endpoint needs.",
    404: "Unknown team, case, visit or checklist item.",
    409: "A conflict with the plan's or the team's state.",
    422: "The request breaks the documented format.",
    503: "The database is unreachable; retry after the given time.",
}


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses` of these error statuses."""
    return {code: {"description": _PROBLEM_TEXT[code], "model": Problem} for code in codes}


# Every route may answer these (a router's `responses`).
COMMON_ERRORS = (400, 401, 403, 422, 503)


@contextlib.contextmanager
def domain_errors() -> Iterator[None]:
    """Domain and storage errors as problem+json; messages carry no personal data."""
    try:
        yield
    except (UnknownTeam, AggregateNotFound):
        raise ProblemError(404, "Not found", "No such team.") from None
    except fuc.CaseNotPlanned:
        raise ProblemError(404, "Not found", "No planned period for that case.") from None
    except NoCoverOrder:
        raise ProblemError(404, "Not found", "The case has no hemtjänst cover order.") from None
    except VisitNotFound:
        raise ProblemError(404, "Not found", "No such visit in the case's plan.") from None
    except NoChecklist:
        raise ProblemError(404, "Not found", "The case's plan has no homecoming checklist.") from None
    except ChecklistItemNotFound:
        raise ProblemError(404, "Not found", "No such item on the case's checklist.") from None
    except (PlanError, TeamError) as exc:
        raise ProblemError(409, "Conflict", str(exc)) from None
    except ConcurrencyConflict:
        raise ProblemError(409, "Conflict", "The plan changed meanwhile; try again.") from None
    except StorageUnavailable:
        raise service_unavailable() from None


def for_team(actor: Actor, team_id: str | None) -> None:
    """A team token acts only for its teams (its `teams` claim); ops, officers and on-call for all."""
    if not may_act_for_team(actor.teams, team_id):
        raise ProblemError(403, "Forbidden", "Your token does not act for this team.")


async def for_case_team(deps: SchedulingDeps, actor: Actor, case_id: str) -> None:
    """The same for a case: the team of its plan (an unknown case is the use case's 404)."""
    if actor.teams is None:
        return
    loaded = await deps.plans.load(case_id)
    if loaded is not None:
        for_team(actor, loaded.state.team_id)


async def for_case(deps: SchedulingDeps, actor: Actor, case_id: str, act: Callable[[], Awaitable[T]]) -> T:
    """Something done with a case the caller acts for (its team), domain errors as problem+json."""
    with domain_errors():
        await for_case_team(deps, actor, case_id)
        return await act()
