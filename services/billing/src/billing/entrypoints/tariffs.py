"""`/tariffs`, `/liability-prices`: the municipalities' tariffs and the regions' liability prices, versioned."""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction
from typing import Annotated

from fastapi import APIRouter, Body
from fastapi.responses import Response
from pydantic import ConfigDict, Field, StrictBool

from billing.domain.tariffs import FeeDayRules, FeeModel, LiabilityPrice, Tariff, TariffError, VersionedBook
from billing.entrypoints.common import (
    Access,
    In,
    Municipality,
    Out,
    Region,
    Year,
    cell,
    cells,
    csv_response,
    csv_route,
    found,
    problem,
    run_safely,
)
from billing.service_layer import tariffs as books
from billing.service_layer.ports import Actor, BillingDeps
from trygg_shared.fields import FreeText, Integer, Text
from trygg_shared.http import ProblemError
from trygg_shared.mapping import to_contract

FRACTION = r"^[1-9]\d{0,5}/[1-9]\d{0,5}$|^0?\.\d{1,8}$"


class RulesIn(In):
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


class TariffIn(In):
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


class PriceIn(In):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"per_day_ore": 930000, "note": "2022"}]})
    per_day_ore: Integer = Field(ge=0, le=100_000_000, description="Price per liable day, öre.")
    note: FreeText = Field("", max_length=500, description="Why the change.")


class RulesOut(Out):
    count_first_day: bool
    count_last_day: bool
    require_actual_period: bool
    hourly_visit_kinds: list[str]


class TariffOut(Out):
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


class TariffVersionOut(Out):
    version: int
    changed_by: str
    changed_at: datetime
    note: str
    terms: TariffOut


class TariffBookOut(Out):
    municipality_code: str
    year: int
    current: TariffVersionOut
    history: list[TariffVersionOut]


class PriceVersionOut(Out):
    version: int
    changed_by: str
    changed_at: datetime
    note: str
    per_day_ore: int


class PriceBookOut(Out):
    region_code: str
    year: int
    current: PriceVersionOut
    history: list[PriceVersionOut]


def tariff_out(t: Tariff) -> TariffOut:
    """The terms by name, fractions as `n/d`; the rules as they are."""
    shown = {name: cell(getattr(t, name)) for name in TariffOut.model_fields}
    return TariffOut.model_validate(shown, from_attributes=True)


def tariff_book_out(book: VersionedBook[Tariff]) -> TariffBookOut:
    code, year = book.key.split(":")
    versions = [to_contract(TariffVersionOut, v, version=v.number, terms=tariff_out(v.terms)) for v in book.versions]
    return TariffBookOut(municipality_code=code, year=int(year), current=versions[-1], history=versions)


def price_book_out(book: VersionedBook[LiabilityPrice]) -> PriceBookOut:
    code, year = book.key.split(":")
    versions = [to_contract(PriceVersionOut, v, v.terms, version=v.number) for v in book.versions]
    return PriceBookOut(region_code=code, year=int(year), current=versions[-1], history=versions)


def build_tariff(body: TariffIn) -> Tariff:
    """The domain tariff from a request body; 422 when the terms contradict each other."""
    fractions = ("maxtaxa_factor", "day_fraction", "short_term_stay_day_fraction")
    given = body.model_dump(exclude={"rules", "note", *fractions})
    try:
        return Tariff(
            **given,
            maxtaxa_factor=Fraction(body.maxtaxa_factor),
            day_fraction=Fraction(body.day_fraction) if body.day_fraction else None,
            short_term_stay_day_fraction=Fraction(body.short_term_stay_day_fraction),
            rules=FeeDayRules(**body.rules.model_dump() | {"hourly_visit_kinds": tuple(body.rules.hourly_visit_kinds)}),
        )
    except (TariffError, ValueError, ZeroDivisionError) as exc:
        raise ProblemError(422, "Unprocessable content", f"The tariff cannot be applied: {exc}") from None


# The CSV export: the current version of each book, the terms as `tariff_out` names them.
TERM_COLUMNS = (
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
)
CSV_HEADER = ("municipality_code", "year", "version", *TERM_COLUMNS, "changed_by", "changed_at")


def csv_rows(found: list[VersionedBook[Tariff]]) -> list[tuple[object, ...]]:
    rows = []
    for b in found:
        v = b.current
        rows.append(
            (*b.key.split(":"), v.number, *cells(v.terms, TERM_COLUMNS), *cells(v, ("changed_by", "changed_at")))
        )
    return rows


def tariffs_router(deps: BillingDeps, access: Access) -> APIRouter:
    router = APIRouter(tags=["tariffs"])

    @router.get(
        "/tariffs", response_model=list[TariffBookOut], summary="Every municipality's tariffs per year, with history"
    )
    async def tariffs(actor: Actor = access.reader) -> list[TariffBookOut]:
        return [tariff_book_out(b) for b in await run_safely(lambda: books.list_tariffs(deps)) if b.versions]

    @csv_route(router, "/tariffs.csv", "Current tariffs as CSV")
    async def tariffs_csv(actor: Actor = access.reader) -> Response:
        found = [b for b in await run_safely(lambda: books.list_tariffs(deps)) if b.versions]
        return csv_response(CSV_HEADER, csv_rows(found), "tariffs.csv")

    @router.get(
        "/tariffs/{municipality_code}/{year}",
        response_model=TariffBookOut,
        summary="One municipality's tariff for a year, with history",
        responses={404: problem("No tariff for that municipality and year")},
    )
    async def tariff(municipality_code: Municipality, year: Year, actor: Actor = access.reader) -> TariffBookOut:
        book = await run_safely(lambda: books.get_tariff(deps, municipality_code, year))
        return tariff_book_out(found(book if book and book.versions else None, "tariff for that municipality and year"))

    @router.put(
        "/tariffs/{municipality_code}/{year}",
        response_model=TariffBookOut,
        summary="Set a new version of a tariff (audited; issued statements keep theirs)",
        responses={409: problem("The tariff kept changing; retry")},
    )
    async def put_tariff(
        municipality_code: Municipality, year: Year, body: Annotated[TariffIn, Body()], actor: Actor = access.ops
    ) -> TariffBookOut:
        terms = build_tariff(body)
        book, _ = await run_safely(lambda: books.change_tariff(deps, actor, municipality_code, year, terms, body.note))
        return tariff_book_out(book)

    return router


def prices_router(deps: BillingDeps, access: Access) -> APIRouter:
    router = APIRouter(tags=["tariffs"])

    @router.get(
        "/liability-prices",
        response_model=list[PriceBookOut],
        summary="The regions' liability prices per year, with history",
    )
    async def prices(actor: Actor = access.reader) -> list[PriceBookOut]:
        return [price_book_out(b) for b in await run_safely(lambda: books.list_prices(deps)) if b.versions]

    @router.put(
        "/liability-prices/{region_code}/{year}",
        response_model=PriceBookOut,
        summary="Set a region's liability price per day for a year (audited)",
        responses={409: problem("The price kept changing; retry")},
    )
    async def put_price(
        region_code: Region, year: Year, body: Annotated[PriceIn, Body()], actor: Actor = access.ops
    ) -> PriceBookOut:
        price = LiabilityPrice(body.per_day_ore)
        book, _ = await run_safely(lambda: books.change_price(deps, actor, region_code, year, price, body.note))
        return price_book_out(book)

    return router
