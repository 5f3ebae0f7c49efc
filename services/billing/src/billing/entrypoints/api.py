"""The billing HTTP API for `officer` and `ops`: statements, fee headroom, reports, tariffs, runs.

Routes translate HTTP to one use case and back. Every route needs a bearer token with one of
the roles in `ROLES` (team and on-call tokens get 403). Every response that shows personal data
(statements, reports with case ids and person references, CSV exports) writes an audit record
before it is sent. Errors are problem+json: 401, 403, 404, 409 (a state conflict: a run for a
month that has not ended, or held by another process), 422.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable, Sequence
from datetime import date, datetime
from fractions import Fraction
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Body, Depends, Path, Query
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from billing.domain.fees import Statement, format_kronor
from billing.domain.money import Month
from billing.domain.reports import CostReport, LiabilityReport
from billing.domain.tariffs import FeeDayRules, FeeModel, LiabilityPrice, Tariff, TariffError, VersionedBook
from billing.service_layer import reads
from billing.service_layer import statements as runs
from billing.service_layer import tariffs as books
from billing.service_layer.ports import Actor, AuditRecord, Authenticator, BillingDeps, IssueRun, Role
from trygg_shared.aggregate import ConcurrencyConflict, StorageUnavailable
from trygg_shared.csv_export import csv_text
from trygg_shared.fields import EARLIEST, LATEST, FreeText, Integer, Text
from trygg_shared.http import PROBLEM_JSON, Problem, ProblemError, known_query_only

ROLES: dict[str, tuple[Role, ...]] = {
    "read": (Role.OFFICER, Role.OPS),  # statements, reports, tariffs, CSV exports
    "set_headroom": (Role.OFFICER,),
    "manage": (Role.OPS,),  # tariffs, prices, statement runs, the audit trail
}

MONTH = r"^20\d{2}-(0[1-9]|1[0-2])$"  # 2000-01..2099-12, the plausible window (trygg_shared.fields)
CSV = "text/csv"
R = TypeVar("R")

_bearer = HTTPBearer(auto_error=False, description="Bearer token issued per API client.")


def _problem(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description, "content": {PROBLEM_JSON: {}}}


_AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: _problem("No valid bearer token"),
    403: _problem("The token lacks the role"),
    422: _problem("The request breaks the documented format"),
    503: _problem("The database is unavailable; retry later"),
}
_CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"description": "CSV (UTF-8, comma-separated, header row)", "content": {CSV: {"schema": {"type": "string"}}}}
}
LEFT_OUT_HEADER = "Trygg-Left-Out-Cases"
_REPORT_CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        **_CSV_RESPONSE[200],
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


# --- bodies ------------------------------------------------------------------------------------------


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


FRACTION = r"^[1-9]\d{0,5}/[1-9]\d{0,5}$|^0?\.\d{1,8}$"


class RulesIn(_In):
    count_first_day: StrictBool = Field(
        True, description="The first day of the service (often a part day) is a fee day."
    )
    count_last_day: StrictBool = Field(True, description="The last day (often a part day) is a fee day.")
    require_actual_period: StrictBool = Field(
        False, description="Only days inside the team's reported period count (none until it is reported)."
    )
    hourly_visit_kinds: list[Annotated[Text, Field(max_length=50)]] = Field(
        default_factory=lambda: ["homecoming", "daily", "handover"],
        max_length=10,
        description="Hourly model: visit kinds whose minutes are charged.",
    )


class TariffIn(_In):
    """A municipality's fees and unit costs for one year (money in öre, fractions as `1/14` or `0.5392`)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "prisbasbelopp_sek": 57300,
                    "fee_model": "fraction_of_maxtaxa_per_day",
                    "day_fraction": "1/14",
                    "short_term_stay_day_fraction": "1/9",
                    "short_term_stay_food_per_day_ore": 13000,
                    "note": "Hofors 2024, per the brochure",
                }
            ]
        },
    )
    prisbasbelopp_sek: Integer = Field(ge=1, le=10_000_000, description="Prisbasbelopp of the year, SEK.")
    fee_model: FeeModel = Field(description="How Trygg hemgång is charged.")
    maxtaxa_factor: str = Field("0.5392", pattern=FRACTION, description="Maxtaxa = factor × prisbasbelopp / 12.")
    day_fraction: str | None = Field(None, pattern=FRACTION, description="Fraction model: share of maxtaxa per day.")
    hourly_rate_ore: Integer | None = Field(None, ge=0, le=10_000_000, description="Hourly model: fee per hour, öre.")
    short_term_stay_day_fraction: str = Field(
        "1/30", pattern=FRACTION, description="Korttid: share of maxtaxa per day."
    )
    short_term_stay_food_per_day_ore: Integer | None = Field(
        None, ge=0, le=10_000_000, description="Korttid food per day."
    )
    external_hourly_rate_ore: Integer | None = Field(
        None, ge=0, le=10_000_000, description="External provider, per hour."
    )
    team_hour_cost_ore: Integer | None = Field(None, ge=0, le=10_000_000, description="Own team's cost per visit hour.")
    short_term_stay_cost_per_day_ore: Integer | None = Field(
        None, ge=0, le=100_000_000, description="The municipality's cost of a short-term stay day."
    )
    rules: RulesIn = Field(default_factory=RulesIn, description="Fee-day counting rules.")
    note: FreeText = Field("", max_length=500, description="Why the change (kept with the version).")


class PriceIn(_In):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"per_day_ore": 930000, "note": "2022"}]})
    per_day_ore: Integer = Field(ge=0, le=100_000_000, description="Price per liable day, öre.")
    note: FreeText = Field("", max_length=500, description="Why the change.")


class HeadroomIn(_In):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"valid_from": "2024-03", "amount_ore": 150000}]}
    )
    valid_from: str = Field(pattern=MONTH, description="First month it applies to (YYYY-MM).")
    amount_ore: Integer | None = Field(
        description="The person's fee headroom (avgiftsutrymme) per month, öre; null = not known.", ge=0, le=100_000_000
    )


# --- responses ---------------------------------------------------------------------------------------


class LineOut(_Out):
    kind: str
    service_month: str
    case_id: str | None
    decision_id: str | None
    days: int
    minutes: int
    unit_price_ore: int
    amount_ore: int
    correction: bool
    description: str


class RecipientOut(_Out):
    id_type: str
    identity_number: str
    given_name: str
    family_name: str
    street: str | None
    postal_code: str | None
    city: str | None


class StatementOut(_Out):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "statement_id": "p_3f2a:2024-03",
                    "person_ref": "p_3f2a",
                    "month": "2024-03",
                    "issued_at": "2024-04-01T04:00:00Z",
                    "municipality_code": "2104",
                    "maxtaxa_ore": 257500,
                    "tariff_version": 1,
                    "total_ore": 92000,
                    "total": "920 kr",
                    "recipient": None,
                    "lines": [
                        {
                            "kind": "trygg_hemgang_days",
                            "service_month": "2024-03",
                            "case_id": "c1",
                            "decision_id": "d1",
                            "days": 5,
                            "minutes": 0,
                            "unit_price_ore": 18400,
                            "amount_ore": 92000,
                            "correction": False,
                            "description": "Trygg hemgång 5 dagar à 184 kr",
                        }
                    ],
                }
            ]
        }
    )
    statement_id: str
    person_ref: str
    month: str
    issued_at: datetime
    municipality_code: str | None
    maxtaxa_ore: int | None
    tariff_version: int | None
    total_ore: int
    total: str
    recipient: RecipientOut | None
    lines: list[LineOut]


class LiabilityRowOut(_Out):
    case_id: str
    person_ref: str
    region_code: str
    liability_starts_at: datetime | None
    discharged_at: datetime | None
    days: int
    amount_ore: int
    home_in_time: bool
    running: bool


class RegionTotalsOut(_Out):
    region_code: str
    cases_liable: int
    liability_days: int
    amount_ore: int
    cases_home_in_time: int


class LiabilityReportOut(_Out):
    month: str
    regions: list[RegionTotalsOut]
    cases: list[LiabilityRowOut]
    left_out: list[str] = Field(
        default_factory=list,
        description="Cases (pseudonymous case ids) the report could not compute (a record that breaks a rule): "
        "left out of the cases and totals, and reported (logged and counted in `trygg_batch_record_failures_total`).",
    )


class PeriodCostOut(_Out):
    case_id: str
    person_ref: str
    period_id: str
    start_date: date
    last_day: date
    ended: bool
    days: int
    visits: int
    visit_minutes: int
    hour_cost_ore: int | None
    hour_cost_source: str | None
    visit_cost_ore: int | None
    short_term_stay_cost_ore: int | None
    hospital_liability_cost_ore: int | None


class CostReportOut(_Out):
    month: str
    days: int
    visits: int
    visit_minutes: int
    visit_cost_ore: int | None
    short_term_stay_cost_ore: int | None
    hospital_liability_cost_ore: int | None
    periods: list[PeriodCostOut]
    left_out: list[str] = Field(
        default_factory=list,
        description="Cases (pseudonymous case ids) the report could not compute (a record that breaks a rule): "
        "left out of the periods and totals, and reported (logged and counted in `trygg_batch_record_failures_total`).",
    )


class RulesOut(_Out):
    count_first_day: bool
    count_last_day: bool
    require_actual_period: bool
    hourly_visit_kinds: list[str]


class TariffOut(_Out):
    prisbasbelopp_sek: int
    fee_model: FeeModel
    maxtaxa_factor: str
    maxtaxa_ore: int
    day_fraction: str | None
    day_fee_ore: int
    hourly_rate_ore: int | None
    short_term_stay_day_fraction: str
    short_term_stay_day_fee_ore: int
    short_term_stay_food_per_day_ore: int | None
    external_hourly_rate_ore: int | None
    team_hour_cost_ore: int | None
    short_term_stay_cost_per_day_ore: int | None
    rules: RulesOut


class TariffVersionOut(_Out):
    version: int
    changed_by: str
    changed_at: datetime
    note: str
    terms: TariffOut


class TariffBookOut(_Out):
    municipality_code: str
    year: int
    current: TariffVersionOut
    history: list[TariffVersionOut]


class PriceVersionOut(_Out):
    version: int
    changed_by: str
    changed_at: datetime
    note: str
    per_day_ore: int


class PriceBookOut(_Out):
    region_code: str
    year: int
    current: PriceVersionOut
    history: list[PriceVersionOut]


class HeadroomOut(_Out):
    person_ref: str
    valid_from: str
    amount_ore: int | None


class RunOut(_Out):
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


class AuditRecordOut(_Out):
    record_id: str
    at: datetime
    actor: str
    roles: list[str]
    action: str
    subjects: list[str]
    detail: str


# --- mapping -----------------------------------------------------------------------------------------


def _fraction(f: Fraction | None) -> str | None:
    return None if f is None else f"{f.numerator}/{f.denominator}"


def _statement(s: Statement) -> StatementOut:
    own = s.tariffs.get(s.month) or next(iter(s.tariffs.values()), None)
    r = s.recipient
    return StatementOut(
        statement_id=s.statement_id,
        person_ref=s.person_ref,
        month=str(s.month),
        issued_at=s.issued_at,
        municipality_code=own.municipality_code if own else None,
        maxtaxa_ore=own.tariff.maxtaxa_ore if own else None,
        tariff_version=own.version if own else None,
        total_ore=s.total_ore,
        total=format_kronor(s.total_ore),
        recipient=RecipientOut.model_validate(r) if r else None,
        lines=[
            LineOut(
                kind=line.kind.value,
                service_month=str(line.service_month),
                case_id=line.case_id or None,
                decision_id=line.decision_id or None,
                days=line.days,
                minutes=line.minutes,
                unit_price_ore=line.unit_price_ore,
                amount_ore=line.amount_ore,
                correction=line.correction,
                description=line.description,
            )
            for line in s.lines
        ],
    )


def _tariff(t: Tariff) -> TariffOut:
    return TariffOut(
        prisbasbelopp_sek=t.prisbasbelopp_sek,
        fee_model=t.fee_model,
        maxtaxa_factor=_fraction(t.maxtaxa_factor) or "",
        maxtaxa_ore=t.maxtaxa_ore,
        day_fraction=_fraction(t.day_fraction),
        day_fee_ore=t.day_fee_ore,
        hourly_rate_ore=t.hourly_rate_ore,
        short_term_stay_day_fraction=_fraction(t.short_term_stay_day_fraction) or "",
        short_term_stay_day_fee_ore=t.short_term_stay_day_fee_ore,
        short_term_stay_food_per_day_ore=t.short_term_stay_food_per_day_ore,
        external_hourly_rate_ore=t.external_hourly_rate_ore,
        team_hour_cost_ore=t.team_hour_cost_ore,
        short_term_stay_cost_per_day_ore=t.short_term_stay_cost_per_day_ore,
        rules=RulesOut(
            count_first_day=t.rules.count_first_day,
            count_last_day=t.rules.count_last_day,
            require_actual_period=t.rules.require_actual_period,
            hourly_visit_kinds=list(t.rules.hourly_visit_kinds),
        ),
    )


def _tariff_book(book: VersionedBook[Tariff]) -> TariffBookOut:
    code, year = book.key.split(":")
    versions = [
        TariffVersionOut(
            version=v.number, changed_by=v.changed_by, changed_at=v.changed_at, note=v.note, terms=_tariff(v.terms)
        )
        for v in book.versions
    ]
    return TariffBookOut(municipality_code=code, year=int(year), current=versions[-1], history=versions)


def _price_book(book: VersionedBook[LiabilityPrice]) -> PriceBookOut:
    code, year = book.key.split(":")
    versions = [
        PriceVersionOut(
            version=v.number,
            changed_by=v.changed_by,
            changed_at=v.changed_at,
            note=v.note,
            per_day_ore=v.terms.per_day_ore,
        )
        for v in book.versions
    ]
    return PriceBookOut(region_code=code, year=int(year), current=versions[-1], history=versions)


def _liability(report: LiabilityReport) -> LiabilityReportOut:
    return LiabilityReportOut(
        month=str(report.month),
        regions=[RegionTotalsOut.model_validate(r) for r in report.regions],
        cases=[LiabilityRowOut.model_validate(r) for r in report.rows],
        left_out=list(report.left_out),
    )


def _cost(report: CostReport) -> CostReportOut:
    return CostReportOut(
        month=str(report.month),
        days=report.days,
        visits=report.visits,
        visit_minutes=report.visit_minutes,
        visit_cost_ore=report.visit_cost_ore,
        short_term_stay_cost_ore=report.short_term_stay_cost_ore,
        hospital_liability_cost_ore=report.hospital_liability_cost_ore,
        periods=[PeriodCostOut.model_validate(p) for p in report.periods],
        left_out=list(report.left_out),
    )


def _run(run: IssueRun | None, outcome: runs.RunOutcome | None = None) -> RunOut:
    if outcome is not None:
        return RunOut(
            month=str(outcome.month),
            status="done",
            statements_issued=outcome.statements_issued,
            persons_skipped=list(outcome.persons_skipped),
            regions_summarized=outcome.regions_summarized,
            already_done=outcome.already_done,
            persons_failed=list(outcome.persons_failed),
            cases_failed=list(outcome.cases_failed),
        )
    assert run is not None
    return RunOut(
        month=str(run.month),
        status=run.status,
        statements_issued=run.statements_issued,
        persons_skipped=list(run.persons_skipped),
        regions_summarized=run.regions_summarized,
        already_done=run.status == "done",
        persons_failed=list(run.persons_failed),
        cases_failed=list(run.cases_failed),
    )


def _csv(
    header: Sequence[str], rows: Iterable[Sequence[object]], filename: str, left_out: Sequence[str] = ()
) -> Response:
    """A CSV download; cells that a spreadsheet would run as formulas are neutralised (`csv_text`)."""
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if left_out:
        headers[LEFT_OUT_HEADER] = ",".join(left_out)
    return Response(csv_text(header, rows, lineterminator="\n"), media_type=f"{CSV}; charset=utf-8", headers=headers)


def _month(text: str) -> Month:
    return Month.parse(text)


def build_tariff(body: TariffIn) -> Tariff:
    """The domain tariff from a request body; 422 when the terms contradict each other."""
    try:
        return Tariff(
            prisbasbelopp_sek=body.prisbasbelopp_sek,
            fee_model=body.fee_model,
            maxtaxa_factor=Fraction(body.maxtaxa_factor),
            day_fraction=Fraction(body.day_fraction) if body.day_fraction else None,
            hourly_rate_ore=body.hourly_rate_ore,
            short_term_stay_day_fraction=Fraction(body.short_term_stay_day_fraction),
            short_term_stay_food_per_day_ore=body.short_term_stay_food_per_day_ore,
            external_hourly_rate_ore=body.external_hourly_rate_ore,
            team_hour_cost_ore=body.team_hour_cost_ore,
            short_term_stay_cost_per_day_ore=body.short_term_stay_cost_per_day_ore,
            rules=FeeDayRules(
                count_first_day=body.rules.count_first_day,
                count_last_day=body.rules.count_last_day,
                require_actual_period=body.rules.require_actual_period,
                hourly_visit_kinds=tuple(body.rules.hourly_visit_kinds),
            ),
        )
    except (TariffError, ValueError, ZeroDivisionError) as exc:
        raise ProblemError(422, "Unprocessable content", f"The tariff cannot be applied: {exc}") from None


# --- router ------------------------------------------------------------------------------------------


def billing_router(deps: BillingDeps, authenticator: Authenticator) -> APIRouter:
    def require(permission: str) -> Any:
        allowed = {r.value for r in ROLES[permission]}

        async def check(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Actor:
            if credentials is None:
                raise ProblemError(
                    401, "Unauthorized", "A bearer token is required.", headers={"WWW-Authenticate": "Bearer"}
                )
            actor = authenticator.authenticate(credentials.credentials)
            if actor is None:
                raise ProblemError(
                    401, "Unauthorized", "The token is not valid.", headers={"WWW-Authenticate": "Bearer"}
                )
            if not allowed & set(actor.roles):
                raise ProblemError(403, "Forbidden", f"Needs one of the roles: {', '.join(sorted(allowed))}.")
            return actor

        return Depends(check)

    reader, officer, ops = require("read"), require("set_headroom"), require("manage")
    router = APIRouter(responses=_AUTH_ERRORS, dependencies=[Depends(known_query_only)])

    async def run_safely(make: Callable[[], Coroutine[Any, Any, R]]) -> R:
        try:
            return await make()
        except StorageUnavailable:
            raise ProblemError(503, "Service unavailable", "The database is unavailable; retry later.") from None
        except ConcurrencyConflict:
            raise ProblemError(409, "Conflict", "The record kept changing; retry.") from None

    # statements ------------------------------------------------------------------------------------

    @router.get("/statements", response_model=list[StatementOut], tags=["statements"], summary="Statements of a month")
    async def statements_of_month(month: MonthQuery, actor: Actor = reader) -> list[StatementOut]:
        found = await run_safely(lambda: reads.statements_of_month(deps, actor, _month(month)))
        return [_statement(s) for s in found]

    @router.get(
        "/statements.csv",
        tags=["statements"],
        summary="Statements of a month as CSV, one row per line",
        responses=_CSV_RESPONSE,
        response_class=Response,
    )
    async def statements_csv(month: MonthQuery, actor: Actor = reader) -> Response:
        found = await run_safely(lambda: reads.statements_of_month(deps, actor, _month(month), export=True))
        rows = [
            (
                s.statement_id,
                s.person_ref,
                str(s.month),
                str(line.service_month),
                line.kind.value,
                line.case_id,
                line.decision_id,
                line.days,
                line.minutes,
                line.unit_price_ore,
                line.amount_ore,
                line.correction,
                line.description,
            )
            for s in found
            for line in s.lines
        ]
        header = (
            "statement_id",
            "person_ref",
            "month",
            "service_month",
            "kind",
            "case_id",
            "decision_id",
            "days",
            "minutes",
            "unit_price_ore",
            "amount_ore",
            "correction",
            "description",
        )
        return _csv(header, rows, f"statements-{month}.csv")

    @router.get(
        "/persons/{person_ref}/statements",
        response_model=list[StatementOut],
        tags=["statements"],
        summary="Every statement of a person",
    )
    async def statements_of_person(person_ref: PersonRef, actor: Actor = reader) -> list[StatementOut]:
        found = await run_safely(lambda: reads.statements_of_person(deps, actor, person_ref))
        return [_statement(s) for s in found]

    @router.get(
        "/persons/{person_ref}/statements/{month}",
        response_model=StatementOut,
        tags=["statements"],
        summary="A person's statement for a month",
        responses={404: _problem("No statement for that person and month")},
    )
    async def statement(person_ref: PersonRef, month: MonthPath, actor: Actor = reader) -> StatementOut:
        found = await run_safely(lambda: reads.statement_of(deps, actor, person_ref, _month(month)))
        if found is None:
            raise ProblemError(404, "Not found", "No statement for that person and month.")
        return _statement(found)

    @router.put(
        "/persons/{person_ref}/fee-headroom",
        response_model=HeadroomOut,
        tags=["statements"],
        summary="Record the person's fee headroom (avgiftsutrymme) from a month on",
        responses={409: _problem("The record kept changing; retry")},
    )
    async def set_headroom(
        person_ref: PersonRef, body: Annotated[HeadroomIn, Body()], actor: Actor = officer
    ) -> HeadroomOut:
        valid_from = _month(body.valid_from)
        await run_safely(lambda: reads.set_fee_headroom(deps, actor, person_ref, valid_from, body.amount_ore))
        return HeadroomOut(person_ref=person_ref, valid_from=body.valid_from, amount_ore=body.amount_ore)

    # reports ---------------------------------------------------------------------------------------

    @router.get(
        "/reports/liability",
        response_model=LiabilityReportOut,
        tags=["reports"],
        summary="Payment liability of a month, per case and region",
    )
    async def liability(month: MonthQuery, region: RegionQuery = None, actor: Actor = reader) -> LiabilityReportOut:
        report = await run_safely(lambda: reads.liability_report_of(deps, actor, _month(month), region))
        return _liability(report)

    @router.get(
        "/reports/liability.csv",
        tags=["reports"],
        summary="The liability report as CSV, one row per case",
        responses=_REPORT_CSV_RESPONSE,
        response_class=Response,
    )
    async def liability_csv(month: MonthQuery, region: RegionQuery = None, actor: Actor = reader) -> Response:
        report = await run_safely(lambda: reads.liability_report_of(deps, actor, _month(month), region, export=True))
        header = (
            "month",
            "region_code",
            "case_id",
            "person_ref",
            "liability_starts_at",
            "discharged_at",
            "days",
            "amount_ore",
            "home_in_time",
            "running",
        )
        rows = [
            (
                month,
                r.region_code,
                r.case_id,
                r.person_ref,
                r.liability_starts_at.isoformat() if r.liability_starts_at else None,
                r.discharged_at.isoformat() if r.discharged_at else None,
                r.days,
                r.amount_ore,
                r.home_in_time,
                r.running,
            )
            for r in report.rows
        ]
        return _csv(header, rows, f"liability-{month}.csv", report.left_out)

    @router.get(
        "/reports/cost",
        response_model=CostReportOut,
        tags=["reports"],
        summary="What the service cost in a month, beside short-term stay and hospital days",
    )
    async def cost(month: MonthQuery, actor: Actor = reader) -> CostReportOut:
        return _cost(await run_safely(lambda: reads.cost_report_of(deps, actor, _month(month))))

    @router.get(
        "/reports/cost.csv",
        tags=["reports"],
        summary="The cost report as CSV, one row per period",
        responses=_REPORT_CSV_RESPONSE,
        response_class=Response,
    )
    async def cost_csv(month: MonthQuery, actor: Actor = reader) -> Response:
        report = await run_safely(lambda: reads.cost_report_of(deps, actor, _month(month), export=True))
        header = (
            "month",
            "case_id",
            "person_ref",
            "period_id",
            "start_date",
            "last_day",
            "ended",
            "days",
            "visits",
            "visit_minutes",
            "hour_cost_ore",
            "hour_cost_source",
            "visit_cost_ore",
            "short_term_stay_cost_ore",
            "hospital_liability_cost_ore",
        )
        rows = [
            (
                month,
                p.case_id,
                p.person_ref,
                p.period_id,
                p.start_date.isoformat(),
                p.last_day.isoformat(),
                p.ended,
                p.days,
                p.visits,
                p.visit_minutes,
                p.hour_cost_ore,
                p.hour_cost_source,
                p.visit_cost_ore,
                p.short_term_stay_cost_ore,
                p.hospital_liability_cost_ore,
            )
            for p in report.periods
        ]
        return _csv(header, rows, f"cost-{month}.csv", report.left_out)

    # tariffs ---------------------------------------------------------------------------------------

    @router.get(
        "/tariffs",
        response_model=list[TariffBookOut],
        tags=["tariffs"],
        summary="Every municipality's tariffs per year, with history",
    )
    async def tariffs(actor: Actor = reader) -> list[TariffBookOut]:
        return [_tariff_book(b) for b in await run_safely(lambda: books.list_tariffs(deps)) if b.versions]

    @router.get(
        "/tariffs.csv",
        tags=["tariffs"],
        summary="Current tariffs as CSV",
        responses=_CSV_RESPONSE,
        response_class=Response,
    )
    async def tariffs_csv(actor: Actor = reader) -> Response:
        found = [b for b in await run_safely(lambda: books.list_tariffs(deps)) if b.versions]
        header = (
            "municipality_code",
            "year",
            "version",
            "prisbasbelopp_sek",
            "maxtaxa_ore",
            "fee_model",
            "day_fraction",
            "day_fee_ore",
            "hourly_rate_ore",
            "short_term_stay_day_fraction",
            "short_term_stay_day_fee_ore",
            "short_term_stay_food_per_day_ore",
            "external_hourly_rate_ore",
            "team_hour_cost_ore",
            "short_term_stay_cost_per_day_ore",
            "changed_by",
            "changed_at",
        )
        rows = []
        for b in found:
            code, year = b.key.split(":")
            v = b.current
            t = v.terms
            rows.append(
                (
                    code,
                    year,
                    v.number,
                    t.prisbasbelopp_sek,
                    t.maxtaxa_ore,
                    t.fee_model.value,
                    _fraction(t.day_fraction),
                    t.day_fee_ore,
                    t.hourly_rate_ore,
                    _fraction(t.short_term_stay_day_fraction),
                    t.short_term_stay_day_fee_ore,
                    t.short_term_stay_food_per_day_ore,
                    t.external_hourly_rate_ore,
                    t.team_hour_cost_ore,
                    t.short_term_stay_cost_per_day_ore,
                    v.changed_by,
                    v.changed_at.isoformat(),
                )
            )
        return _csv(header, rows, "tariffs.csv")

    @router.get(
        "/tariffs/{municipality_code}/{year}",
        response_model=TariffBookOut,
        tags=["tariffs"],
        summary="One municipality's tariff for a year, with history",
        responses={404: _problem("No tariff for that municipality and year")},
    )
    async def tariff(municipality_code: Municipality, year: Year, actor: Actor = reader) -> TariffBookOut:
        book = await run_safely(lambda: books.get_tariff(deps, municipality_code, year))
        if book is None or not book.versions:
            raise ProblemError(404, "Not found", "No tariff for that municipality and year.")
        return _tariff_book(book)

    @router.put(
        "/tariffs/{municipality_code}/{year}",
        response_model=TariffBookOut,
        tags=["tariffs"],
        summary="Set a new version of a tariff (audited; issued statements keep theirs)",
        responses={409: _problem("The tariff kept changing; retry")},
    )
    async def put_tariff(
        municipality_code: Municipality, year: Year, body: Annotated[TariffIn, Body()], actor: Actor = ops
    ) -> TariffBookOut:
        terms = build_tariff(body)
        book, _changed = await run_safely(
            lambda: books.change_tariff(deps, actor, municipality_code, year, terms, body.note)
        )
        return _tariff_book(book)

    @router.get(
        "/liability-prices",
        response_model=list[PriceBookOut],
        tags=["tariffs"],
        summary="The regions' liability prices per year, with history",
    )
    async def prices(actor: Actor = reader) -> list[PriceBookOut]:
        return [_price_book(b) for b in await run_safely(lambda: books.list_prices(deps)) if b.versions]

    @router.put(
        "/liability-prices/{region_code}/{year}",
        response_model=PriceBookOut,
        tags=["tariffs"],
        summary="Set a region's liability price per day for a year (audited)",
        responses={409: _problem("The price kept changing; retry")},
    )
    async def put_price(
        region_code: Region, year: Year, body: Annotated[PriceIn, Body()], actor: Actor = ops
    ) -> PriceBookOut:
        book, _changed = await run_safely(
            lambda: books.change_price(deps, actor, region_code, year, LiabilityPrice(body.per_day_ore), body.note)
        )
        return _price_book(book)

    # runs and audit --------------------------------------------------------------------------------

    @router.post(
        "/statement-runs/{month}",
        response_model=RunOut,
        tags=["runs"],
        summary="Issue a month's statements and liability summaries now (idempotent)",
        responses={409: _problem("The month has not ended, or another process is issuing it")},
    )
    async def run_month(month: MonthPath, actor: Actor = ops) -> RunOut:
        try:
            outcome = await run_safely(lambda: runs.issue_month(deps, _month(month)))
        except runs.MonthNotEnded:
            raise ProblemError(409, "Conflict", "The month has not ended yet.") from None
        except runs.RunHeldElsewhere:
            raise ProblemError(409, "Conflict", "Another process is issuing this month; try again later.") from None
        await reads.audit(deps, actor, "run_statements", [month])
        return _run(None, outcome)

    @router.get(
        "/statement-runs/{month}",
        response_model=RunOut,
        tags=["runs"],
        summary="The state of a month's run",
        responses={404: _problem("No run for that month")},
    )
    async def run_state(month: MonthPath, actor: Actor = reader) -> RunOut:
        found = await run_safely(lambda: deps.runs.get(_month(month)))
        if found is None:
            raise ProblemError(404, "Not found", "No run for that month.")
        return _run(found)

    @router.get("/audit", response_model=list[AuditRecordOut], tags=["audit"], summary="The latest audit records")
    async def audit_trail(limit: Annotated[int, Query(ge=1, le=500)] = 100, actor: Actor = ops) -> list[AuditRecordOut]:
        found: list[AuditRecord] = await run_safely(lambda: deps.audit.recent(limit))
        return [AuditRecordOut.model_validate(r) for r in found]

    return router
