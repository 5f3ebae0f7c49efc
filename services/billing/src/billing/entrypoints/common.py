"""What every billing route shares: who may call it, parameters, error responses, CSV downloads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import Enum
from fractions import Fraction
from typing import Annotated, Any, ParamSpec, TypeVar

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict

from billing.domain.money import Month
from billing.service_layer.ports import PERMISSIONS, Authenticator
from trygg_shared.aggregate import ConcurrencyConflict, StorageUnavailable
from trygg_shared.bearer import require
from trygg_shared.csv_export import csv_text
from trygg_shared.fields import EARLIEST, LATEST, Text
from trygg_shared.http import PROBLEM_JSON, Problem, ProblemError

MONTH = r"^20\d{2}-(0[1-9]|1[0-2])$"  # 2000-01..2099-12, the plausible window (trygg_shared.fields)
CSV = "text/csv"
R = TypeVar("R")
P = ParamSpec("P")


@dataclass(frozen=True)
class Access:
    """The dependencies that yield the caller's `Actor` for each permission (`ports.PERMISSIONS`)."""

    reader: Any
    officer: Any
    ops: Any
    importer: Any  # the region's invoice

    @classmethod
    def of(cls, authenticator: Authenticator) -> Access:
        permissions = ("read", "set_headroom", "manage", "import_invoice")
        return cls(*(require(authenticator, PERMISSIONS[p]) for p in permissions))


def problem(description: str) -> dict[str, Any]:
    """An OpenAPI response entry for a problem+json error."""
    return {"model": Problem, "description": description, "content": {PROBLEM_JSON: {}}}


AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: problem("No valid bearer token"),
    403: problem("The token lacks the role"),
    422: problem("The request breaks the documented format"),
    503: problem("The database is unavailable; retry later"),
}
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"description": "CSV (UTF-8, comma-separated, header row)", "content": {CSV: {"schema": {"type": "string"}}}}
}
LEFT_OUT_HEADER = "Trygg-Left-Out-Cases"
REPORT_CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        **CSV_RESPONSE[200],
        "headers": {
            LEFT_OUT_HEADER: {
                "description": "Cases (pseudonymous case ids, comma-separated) the report could not compute: left "
                "out of the rows and reported (logged and counted). Absent when none was left out.",
                "schema": {"type": "string"},
            }
        },
    }
}

MonthQuery = Annotated[str, Query(pattern=MONTH, description="The month, YYYY-MM.", examples=["2024-03"])]
MonthPath = Annotated[str, Path(pattern=MONTH, description="The month, YYYY-MM.", examples=["2024-03"])]
PersonRef = Annotated[Text, Path(min_length=1, max_length=200, description="Pseudonymous person reference.")]
Municipality = Annotated[str, Path(pattern=r"^\d{4}$", description="Kommunkod, e.g. 2104 (Hofors).")]
Region = Annotated[
    str, Path(pattern=r"^(\d{2}|\*)$", description="Region (län code, e.g. 01), or * for the national price.")
]
RegionQuery = Annotated[str | None, Query(pattern=r"^(\d{2}|unknown)$", description="Only this region (län code).")]
Year = Annotated[int, Path(ge=EARLIEST.year, le=LATEST.year, description="The year.")]


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


async def run_safely(make: Callable[[], Coroutine[Any, Any, R]]) -> R:
    """The use case's result; 503 when the database is unavailable, 409 when a record kept changing."""
    try:
        return await make()
    except StorageUnavailable:
        raise ProblemError(503, "Service unavailable", "The database is unavailable; retry later.") from None
    except ConcurrencyConflict:
        raise ProblemError(409, "Conflict", "The record kept changing; retry.") from None


def found(value: R | None, what: str) -> R:
    """`value`, or 404 (`No <what>.`) when there is none."""
    if value is None:
        raise ProblemError(404, "Not found", f"No {what}.")
    return value


def month_of(text: str) -> Month:
    return Month.parse(text)


def cell(value: object) -> object:
    """A value as the API shows it: enums by value, dates and times ISO 8601, fractions `n/d`, months `YYYY-MM`."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}"
    if isinstance(value, Month):
        return str(value)
    return value


def cells(item: object, names: Iterable[str]) -> tuple[object, ...]:
    """The attributes `names` of `item`, each as a `cell`."""
    return tuple(cell(getattr(item, name)) for name in names)


def csv_route(
    router: APIRouter, path: str, summary: str, responses: dict[int | str, dict[str, Any]] = CSV_RESPONSE
) -> Callable[[Callable[P, Awaitable[Response]]], Callable[P, Awaitable[Response]]]:
    """Declares a CSV download: GET `path`, answered `text/csv` (`csv_response`), documented as such."""
    return router.get(path, summary=summary, responses=responses, response_class=Response)


def csv_response(
    header: Sequence[str], rows: Iterable[Sequence[object]], filename: str, left_out: Sequence[str] = ()
) -> Response:
    """A CSV download; cells that a spreadsheet would run as formulas are neutralised (`csv_text`)."""
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if left_out:
        headers[LEFT_OUT_HEADER] = ",".join(left_out)
    return Response(csv_text(header, rows, lineterminator="\n"), media_type=f"{CSV}; charset=utf-8", headers=headers)
