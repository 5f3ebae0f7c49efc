"""`/figures` (the page), `/api/figures` and `/figures.csv`: the follow-up figures per month and team."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field

from console.domain.access import Actor, Page
from console.domain.figures import ALL_TEAMS, FIGURES, Row
from console.entrypoints.charts import bar_chart
from console.entrypoints.i18n import gettext as _
from console.entrypoints.i18n import month, share
from console.entrypoints.site import API_ERRORS, HTML, PROBLEM, Site, bearer, html_page
from console.service_layer import pages as uc
from console.service_layer.pages import FiguresPage
from trygg_shared.csv_export import csv_text
from trygg_shared.fields import Text
from trygg_shared.http import FieldError, ProblemError
from trygg_shared.mapping import to_contract

MONTH = r"^20\d{2}-(0[1-9]|1[0-2])$"  # 2000-2099
FromMonth = Annotated[str | None, Query(alias="from", pattern=MONTH)]
ToMonth = Annotated[str | None, Query(alias="to", pattern=MONTH)]
TeamQuery = Annotated[Text | None, Query(max_length=100)]


class FigureValueOut(BaseModel):
    value: float | None = Field(description="The figure (a share is 0..1); null when there is no data.")
    numerator: float | None = Field(None, description="For shares and means: the count or sum above the line.")
    denominator: int | None = Field(None, description="For shares and means: how many it is computed over.")


class FigureRowOut(BaseModel):
    month: str = Field(description="YYYY-MM (Swedish local time).")
    team: str = Field(description="Team id, or `*` for all teams.")
    team_label: str = Field(description="The team's name.")
    values: dict[str, FigureValueOut] = Field(description="Each figure by key.")


class FigureDefinitionOut(BaseModel):
    key: str
    title: str
    unit: str
    definition: str


class FiguresOut(BaseModel):
    months: list[str] = Field(description="The months computed, oldest first.")
    definitions: list[FigureDefinitionOut] = Field(description="What each figure means.")
    rows: list[FigureRowOut] = Field(description="One row per month and team (and all teams).")
    cases_left_out: int = Field(
        0,
        description="Cases the figures could not be computed for: left out, logged by case id and counted in "
        '`trygg_batch_record_failures_total{batch="figures"}`.',
    )


FIGURE_PARAMETERS = frozenset({"from", "to", "team"})


def only_known_parameters(request: Request) -> None:
    """The data endpoints are strict: an unknown or repeated query parameter is a mistake worth saying (422)."""
    unknown = sorted(set(request.query_params) - FIGURE_PARAMETERS)
    if unknown:  # the names are not echoed: error details never repeat request input
        raise ProblemError(
            422,
            "Unprocessable Content",
            "Unknown query parameters; use from, to and team.",
            errors=[FieldError(field="query", message=f"{len(unknown)} unknown parameter(s)", type="extra_forbidden")],
        )
    repeated = sorted(name for name in FIGURE_PARAMETERS if len(request.query_params.getlist(name)) > 1)
    if repeated:  # `team=a&team=b` would otherwise quietly mean `team=b`
        raise ProblemError(
            422,
            "Unprocessable Content",
            "Give each of from, to and team at most once.",
            errors=[
                FieldError(field=f"query.{name}", message="given more than once", type="too_long") for name in repeated
            ],
        )


MAX_FIGURE_MONTHS = 24  # a follow-up period; wider ranges are asked for in parts


def month_range(first: str | None, last: str | None) -> tuple[str | None, str | None]:
    """The months between `from` and `to` whichever is given first (both within 2000-2099), at most
    MAX_FIGURE_MONTHS of them (422 beyond: the figures are computed per request)."""
    if first and last and first > last:
        first, last = last, first
    if first and last:
        span = int(last[:4]) * 12 + int(last[5:]) - (int(first[:4]) * 12 + int(first[5:])) + 1
        if span > MAX_FIGURE_MONTHS:
            raise ProblemError(
                422,
                "Unprocessable Content",
                f"Ask for at most {MAX_FIGURE_MONTHS} months at a time.",
                errors=[FieldError(field="query.to", message=f"at most {MAX_FIGURE_MONTHS} months", type="too_long")],
            )
    return first, last


def row_out(row: Row) -> FigureRowOut:
    return to_contract(FigureRowOut, row, values={k: to_contract(FigureValueOut, v) for k, v in row.values.items()})


def figures_to_csv(rows: list[Row] | tuple[Row, ...] | Any) -> str:
    """One line per month, team and figure; team names (data from the events) cannot become formulas."""
    header = ["month", "team", "team_name", "figure", "title", "unit", "value", "numerator", "denominator"]
    return csv_text(header, _figure_lines(rows))


def _figure_lines(rows: list[Row] | tuple[Row, ...] | Any) -> Iterator[list[object]]:
    for row in rows:
        for figure in FIGURES:
            v = row.values[figure.key]
            yield (
                [
                    row.month,
                    row.team,
                    row.team_label,
                    figure.key,
                    figure.title,
                    figure.unit,
                    "" if v.value is None else _csv_number(v.value),
                    "" if v.numerator is None else _csv_number(v.numerator),
                    "" if v.denominator is None else v.denominator,
                ]
            )


def _csv_number(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.4f}".rstrip("0")


def groups(rows: list[Row] | Any) -> list[tuple[str, list[Row]]]:
    """Rows per team (all teams first, as computed), each team's months in order."""
    out: dict[str, tuple[str, list[Row]]] = {}
    for row in rows:
        out.setdefault(row.team, (row.team_label, []))[1].append(row)
    return list(out.values())


def charts(rows: list[Row] | Any) -> list[Any]:
    everyone = [r for r in rows if r.team == ALL_TEAMS]
    months = [month(r.month) for r in everyone]

    def series(key: str) -> list[float | None]:
        return [r.values[key].value for r in everyone]

    def percent(title: str, key: str) -> Any:
        return bar_chart(title, months, series(key), fmt=share, maximum=1)

    return [
        bar_chart(_("People served per month"), months, series("people_served")),
        percent(_("Home before payment liability"), "home_before_liability"),
        bar_chart(_("Liability days per month"), months, series("liability_days")),
        percent(_("Visits by the contact person"), "contact_person_share"),
    ]


def figures_page_router(site: Site) -> APIRouter:
    router = APIRouter()

    @html_page(
        router,
        "/figures",
        "Follow-up figures per month and team, with definitions",
        {
            422: {
                "content": {**HTML, **PROBLEM},
                "description": "More than 24 months asked for (a page saying so); a month not YYYY-MM (problem+json).",
            }
        },
    )
    async def figures_page(
        request: Request, first: FromMonth = None, last: ToMonth = None, team: TeamQuery = None
    ) -> Response:
        try:
            first, last = month_range(first, last)
        except ProblemError:  # a person asked: a page in their language, not problem+json
            message = _("Ask for at most %(months)s months at a time.") % {"months": MAX_FIGURE_MONTHS}
            return site.error(request, await site.session_actor(request), 422, _("Too many months"), message)

        async def load(actor: Actor) -> Any:
            model = await uc.figures(site.deps, actor, first=first, last=last, team=team)
            return model

        query = urlencode({k: v for k, v in {"from": first, "to": last, "team": team}.items() if v})
        return await site.show(
            request,
            Page.FIGURES,
            load,
            "figures.html",
            charts=charts,
            groups=groups,
            csv_query=query,
            all_teams=ALL_TEAMS,
        )

    return router


def figures_data_router(site: Site) -> APIRouter:
    router = APIRouter(tags=["figures"])

    async def asked(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
        first: FromMonth = None,
        last: ToMonth = None,
        team: TeamQuery = None,
    ) -> FiguresPage:
        """The figures asked for: only known parameters, each once (422); a caller who may see them
        (401, 403); at most 24 months (422)."""
        only_known_parameters(request)
        actor = await site.api_actor(request, credentials, Page.FIGURES)
        first, last = month_range(first, last)
        return await uc.figures(site.deps, actor, first=first, last=last, team=team)

    figures_asked = Depends(asked)

    @router.get(
        "/api/figures", response_model=FiguresOut, responses=API_ERRORS, summary="The follow-up figures as JSON"
    )
    async def figures_json(model: FiguresPage = figures_asked) -> FiguresOut:
        return FiguresOut(
            months=list(model.months),
            definitions=[
                FigureDefinitionOut(key=f.key, title=f.title, unit=f.unit, definition=f.definition) for f in FIGURES
            ],
            rows=[row_out(r) for r in model.rows],
            cases_left_out=len(model.cases_left_out),
        )

    @router.get(
        "/figures.csv",
        response_class=Response,
        responses={
            200: {"content": {"text/csv": {}}, "description": "One line per month, team and figure."},
            **API_ERRORS,
        },
        summary="The follow-up figures as CSV",
    )
    async def figures_csv(model: FiguresPage = figures_asked) -> Response:
        name = f"trygg-hemgang-figures-{model.months[0]}-{model.months[-1]}.csv" if model.months else "figures.csv"
        return Response(
            figures_to_csv(model.rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
        )

    return router
