"""What every route module of the HTTP API shares: base models, bounded types, the router's defaults."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field

from scheduling.entrypoints.errors import COMMON_ERRORS, for_case, problems
from scheduling.service_layer.ports import Actor, SchedulingDeps
from trygg_shared.fields import PlausibleAwareDatetime, PlausibleDate
from trygg_shared.http import known_query_only

LOCAL_ZONE = ZoneInfo("Europe/Stockholm")
R = TypeVar("R")
M = TypeVar("M", bound=BaseModel)

# The shared bounded types (2000-01-01..2099-12-31), with the bound in the OpenAPI document.
Day = PlausibleDate
Instant = PlausibleAwareDatetime
StaffId = Annotated[str, Field(pattern=r"^[A-Za-z0-9._:-]{1,64}$", description="A team member's staff id.")]
Id = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")]


class In(BaseModel):
    """A request body: unknown fields refused, text stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def example(sample: dict[str, Any]) -> ConfigDict:
    """A model's configuration with one example (in the OpenAPI document); the rest is its base's."""
    return ConfigDict(json_schema_extra={"examples": [sample]})


class Out(BaseModel):
    """A response body; read from the domain's objects by attribute name where the names match."""

    model_config = ConfigDict(from_attributes=True)


def api_router(tag: str) -> APIRouter:
    """A router of one OpenAPI tag: the errors every route may answer, no unknown query parameter (422)."""
    return APIRouter(tags=[tag], responses=problems(*COMMON_ERRORS), dependencies=[Depends(known_query_only)])


def case_read(
    router: APIRouter,
    deps: SchedulingDeps,
    path: str,
    model: type[M],
    role: Any,
    read: Callable[[SchedulingDeps, Actor, str], Awaitable[R]],
    out: Callable[[R], M],
    *,
    summary: str,
) -> None:
    """`GET /cases/{case_id}/...`: a read of a case the caller acts for (404 unknown), `out` of what it answers."""
    name = path.rsplit("/", 1)[-1].replace("-", "_")

    @router.get(path, response_model=model, responses=problems(404), summary=summary, name=name)
    async def route(case_id: Id, actor: Actor = role) -> M:
        return out(await for_case(deps, actor, case_id, lambda: read(deps, actor, case_id)))
