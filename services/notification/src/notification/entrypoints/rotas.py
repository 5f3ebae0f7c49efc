"""On-call rotas (`ops`): who is on call when; reading one is audited (phone numbers)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter
from pydantic import ConfigDict, Field

from notification.domain.alert import Responder, Rota, Shift
from notification.entrypoints.common import E164, ID, In, PathId
from notification.entrypoints.errors import AUTH_ERRORS, NOT_FOUND, domain_errors
from notification.service_layer import ops
from notification.service_layer.auth import PERMISSIONS, Actor, Authenticator
from notification.service_layer.deps import NotificationDeps
from trygg_shared.bearer import require
from trygg_shared.fields import PlausibleAwareDatetime


class ResponderIO(In):
    responder_id: str = Field(pattern=ID, max_length=100, description="Stable id of the person (staff).")
    phone: str = Field(pattern=E164, description="Mobile number in E.164.")


class ShiftIO(In):
    starts_at: PlausibleAwareDatetime = Field(description="Start of the shift (with its UTC offset).")
    minutes: int = Field(ge=15, le=20160, description="Length of the shift in minutes (at most two weeks).")
    responders: list[ResponderIO] = Field(min_length=1, max_length=10, description="In escalation order.")


_ROTA_EXAMPLE: dict[str, Any] = {
    "shifts": [
        {
            "starts_at": "2026-11-23T07:00:00+01:00",
            "minutes": 720,
            "responders": [
                {"responder_id": "staff-anna", "phone": "+46701234567"},
                {"responder_id": "staff-bo", "phone": "+46701234568"},
            ],
        }
    ]
}


class RotaIO(In):
    """Who is on call when: shifts, each with responders in the order alerts escalate."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_ROTA_EXAMPLE]})

    shifts: list[ShiftIO] = Field(max_length=1000)
    team_lead: ResponderIO | None = Field(
        None,
        description="The team's lead: told first of the team's own alerts in the team's working hours (an item of "
        "the homecoming checklist still open), on-call staff after; out of hours on-call staff only.",
    )

    def to_rota(self, team_id: str) -> Rota:
        lead = self.team_lead
        return Rota(
            team_id,
            tuple(
                Shift(
                    s.starts_at,
                    s.starts_at + timedelta(minutes=s.minutes),
                    tuple(Responder(r.responder_id, r.phone) for r in s.responders),
                )
                for s in self.shifts
            ),
            Responder(lead.responder_id, lead.phone) if lead else None,
        )

    @classmethod
    def of(cls, rota: Rota) -> RotaIO:
        return cls(
            shifts=[
                ShiftIO(
                    starts_at=s.starts_at,
                    minutes=int((s.ends_at - s.starts_at).total_seconds() // 60),
                    responders=[ResponderIO(responder_id=r.responder_id, phone=r.phone) for r in s.responders],
                )
                for s in rota.shifts
            ],
            team_lead=ResponderIO(responder_id=rota.team_lead.responder_id, phone=rota.team_lead.phone)
            if rota.team_lead
            else None,
        )


def rotas_router(deps: NotificationDeps, authenticator: Authenticator) -> APIRouter:
    router = APIRouter(tags=["rotas"], responses=AUTH_ERRORS)
    operator = require(authenticator, PERMISSIONS["operate"])

    @router.get(
        "/rotas/{team_id}",
        response_model=RotaIO,
        summary="A team's on-call rota (phone numbers: audited)",
        responses=NOT_FOUND,
    )
    async def get_rota(team_id: PathId, actor: Actor = operator) -> RotaIO:
        with domain_errors():
            return RotaIO.of(await ops.read_rota(deps, actor, team_id))

    @router.put(
        "/rotas/{team_id}",
        response_model=RotaIO,
        summary="Replace a team's on-call rota (`default` is the municipality's fallback rota)",
    )
    async def put_rota(team_id: PathId, body: RotaIO, actor: Actor = operator) -> RotaIO:
        with domain_errors():
            await ops.replace_rota(deps, actor, body.to_rota(team_id))
        return body

    return router
