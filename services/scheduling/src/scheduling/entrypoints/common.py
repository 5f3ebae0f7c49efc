"""What every route module of the HTTP API shares: base models, bounded types, the router's defaults."""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field

from scheduling.entrypoints.errors import COMMON_ERRORS, problems
from trygg_shared.fields import PlausibleAwareDatetime, PlausibleDate
from trygg_shared.http import known_query_only

LOCAL_ZONE = ZoneInfo("Europe/Stockholm")

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
